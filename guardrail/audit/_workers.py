"""The actors: each holds one verified :class:`~guardrail.OnnxVerifier` (its threads set) inside one Guard.

:class:`PartWriter` (``guardrail audit``) takes one part per call, skips it when its output file exists,
else reads, checks and writes it (temporary name, then rename) and returns its counts. :class:`RowScorer`
(:func:`~guardrail.audit.audit_dataset`) maps rows to records.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import structlog

from ._files import InputFile, OutputDir, read_part
from ._options import AuditOptions
from ._rows import check_rows, count, parse_lines, parse_row, records_table

_log = structlog.get_logger("guardrail.audit")
VerifierFactory = Callable[[], Any]


def make_guard(options: AuditOptions, verifier_factory: VerifierFactory | None, gate_name: str | None) -> Any:
    from .._cascade import scorer_for
    from .._guard import Guard

    if verifier_factory is not None:
        verifier = verifier_factory()
    else:
        from .._onnx import OnnxVerifier

        verifier = OnnxVerifier(options.model, threads=options.threads, batch_size=options.batch_size)
    judge = None
    if options.fallback == "claude" and gate_name is not None:
        from ._gate import cluster_judge

        judge = cluster_judge(gate_name, options.judge_concurrency)
    return Guard(scorer=scorer_for(judge, band=options.band)(verifier), policy=options.policy)


class PartWriter:
    """One call = one part (a one-row batch: the part's file index, range and output name)."""

    def __init__(
        self, options: AuditOptions, files: list[InputFile], output: OutputDir, output_format: str,
        labels: list[str | None], verifier_factory: VerifierFactory | None = None, gate_name: str | None = None,
        setup: Callable[[], Any] | None = None,
    ) -> None:  # fmt: skip
        if setup is not None:
            setup()
        self.options, self.files, self.output, self.format, self.labels = options, files, output, output_format, labels
        self.guard = make_guard(options, verifier_factory, gate_name)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        return pa.Table.from_pylist([self.run_part(row) for row in batch.to_pylist()])

    def run_part(self, part: dict[str, Any]) -> dict[str, Any]:
        name = part["name"]
        started = time.perf_counter()
        if self.output.exists(name):  # resumed, or a retry of a task whose actor died after the rename
            counts = self._count_existing(name)
            return {"name": name, "rows": sum(counts[k] for k in counts if k != "error"), "resumed": True,
                    "seconds": 0.0, **counts}  # fmt: skip
        source = self.files[part["file"]]
        label = self.labels[part["file"]]
        data = read_part(source, part["start"], part["end"])
        if source.format == "parquet":
            parsed = [parse_row(row, part["first"] + i, label) for i, row in enumerate(data)]
        else:
            parsed = parse_lines(data, part["first"], label)
        records = check_rows(self.guard, parsed, self.options.policy)
        self.output.write_atomic(name, self._payload(records))
        counts = count(records)
        seconds = time.perf_counter() - started
        _log.info("guardrail.audit.part", part=name, rows=len(records), errors=counts["error"], seconds=seconds)
        return {"name": name, "rows": len(records), "resumed": False, "seconds": seconds, **counts}

    def _payload(self, records: list[dict[str, Any]]) -> bytes:
        if self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            sink = pa.BufferOutputStream()
            pq.write_table(records_table(records, id_as_text=True), sink)
            return sink.getvalue().to_pybytes()
        lines = [json.dumps(record, ensure_ascii=False) for record in records]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def _count_existing(self, name: str) -> dict[str, int]:
        path = self.output.join(name)
        if self.format == "parquet":
            import pyarrow.parquet as pq

            with self.output.filesystem.open_input_file(path) as handle:
                table = pq.read_table(handle, columns=["action", "error"])
            return count(table.to_pylist())
        with self.output.filesystem.open_input_stream(path) as stream:
            text = stream.read().decode("utf-8")
        return count([json.loads(line) for line in text.splitlines() if line.strip()])


class RowScorer:
    """Rows in (``id``, ``question`` and ``output`` or ``rationale`` + ``answer``), records out, one per row."""

    def __init__(
        self, options: AuditOptions, verifier_factory: VerifierFactory | None = None, gate_name: str | None = None,
        setup: Callable[[], Any] | None = None,
    ) -> None:  # fmt: skip
        if setup is not None:
            setup()
        self.options = options
        self.guard = make_guard(options, verifier_factory, gate_name)

    def __call__(self, batch: Any) -> Any:
        parsed = [parse_row(row, None, None) for row in batch.to_pylist()]
        return records_table(check_rows(self.guard, parsed, self.options.policy))
