"""Batch audit on Ray Data (extra ``ray``): ``guardrail audit`` and :func:`audit_dataset`.

Importing this package does not import ray; it is imported when an audit runs.

- :func:`audit_dataset` maps the rows of a ``ray.data.Dataset`` to records (lazy, like any Dataset).
- :func:`audit_files` audits JSONL / Parquet files into a folder of part files, resumably, exactly once per
  row even when Ray retries tasks of dead actors; ``guardrail audit`` is its CLI.
"""

from ._options import AuditError, AuditOptions, AuditSummary
from ._run import audit_dataset, audit_files

__all__ = ["AuditError", "AuditOptions", "AuditSummary", "audit_dataset", "audit_files"]
