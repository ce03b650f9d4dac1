"""Faithfulness probes: measure whether a model's answers depend on its own rationales.

Probes: early answering, step corruption, step deletion (log-prob effect vs a control edit, clustered
bootstrap, chain-position thirds), filler substitution, mistake insertion, hint verbalisation. Results
become a JSON/PNG/Markdown report and, optionally, verifier training labels.

Names are resolved lazily (PEP 562) so that ``verifier-train --help``, which imports ``verifier_probes.cli``,
does not pay for numpy/pydantic models; torch/transformers load only when a TransformersBackend is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "_errors": ("BackendError", "ProbeDataError", "ProbeError"),
    "_backends": ("GenerateBackend", "GenerateOnlyBackend", "LogProbBackend", "TransformersBackend",
                  "command_generate", "has_logprobs", "import_callable"),
    "_data": ("load_records", "prepare_examples"),
    "_early": ("EarlyAnswerResult", "run_early_answering"),
    "_edits": ("control_text", "corrupt_text", "filler_text", "negate_text", "replace_step"),
    "_filler": ("FillerResult", "run_filler"),
    "_hint": ("HintResult", "hint_value", "run_hint"),
    "_labels": ("build_label_rows", "write_label_rows"),
    "_mistake": ("MistakeResult", "run_mistake_insertion"),
    "_prompt": ("PromptTemplate", "answer_key", "split_generation"),
    "_report": ("render_markdown", "write_report"),
    "_runner": ("ALL_PROBES", "ProbeReport", "parse_probe_list", "run_probes"),
    "_stats": ("Interval", "ThirdSummary", "clustered_bootstrap_ci", "position_third", "thirds_breakdown"),
    "_step_study": ("StepEffect", "StepStudyResult", "run_step_study"),
    "_types": ("ProbeConfig", "ProbeContext", "ProbeExample"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
