"""Options, summary and the error of an audit (plain pydantic; nothing here imports ray)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._errors import GuardrailError
from .._policy import Policy

PART_BYTES = 4 << 20  # a JSONL input is cut into parts of about this many bytes (at line starts)
ROWS_PER_CALL = 256  # rows checked per Guard.check_many call: what `guardrail score` batches


class AuditError(GuardrailError):
    """An audit could not run: an input path is missing or unreadable, the output folder cannot be written,
    or it holds the output of a different audit."""


class AuditOptions(BaseModel):
    """How every actor checks its rows. ``threads`` and ``batch_size`` are per actor (one onnxruntime session
    each); ``judge_concurrency`` and ``judge_budget`` bound the Claude judge across the whole cluster."""

    model_config = ConfigDict(frozen=True)

    model: str | None = None  # model directory on every node (default: the model shipped in the package)
    threads: int = Field(1, ge=1, le=64)
    batch_size: int = Field(16, ge=1)
    policy: Policy = Field(default_factory=Policy)
    fallback: Literal["none", "claude"] = "none"
    band: tuple[float, float] = (0.2, 0.8)
    judge_concurrency: int = Field(4, ge=1)
    judge_budget: int | None = Field(None, ge=0)  # judge requests for the whole audit (None: unlimited)

    @model_validator(mode="after")
    def _band_in_order(self) -> AuditOptions:
        lo, hi = self.band
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"band must satisfy 0 <= lo <= hi <= 1, got {self.band}")
        return self

    def fingerprint(self) -> dict[str, object]:
        """What decides the records (not how fast they are made): a rerun resumes only when this matches."""
        return self.model_dump(mode="json", exclude={"threads", "batch_size", "judge_concurrency"})


class AuditSummary(BaseModel):
    """The outcome of :func:`audit_files`; also written as ``_summary.json`` in the output folder."""

    model_config = ConfigDict(frozen=True)

    output: str
    records: int  # every record in the output folder (this run's and resumed parts')
    actions: dict[str, int]  # records per action
    errors: int  # records with an error (bad rows)
    parts: int
    parts_resumed: int  # parts found already written and skipped
    rows_checked: int  # rows checked in this run
    seconds: float  # wall time of this run, from planning to the _SUCCESS marker
    rows_per_second: float  # rows_checked / seconds

    def line(self) -> str:
        per_action = ", ".join(f"{action} {count}" for action, count in self.actions.items())
        return (
            f"guardrail: {self.records} records: {per_action}; {self.errors} with errors; {self.parts} parts "
            f"({self.parts_resumed} resumed); {self.rows_checked} rows checked at {self.rows_per_second:.1f} rows/s"
        )
