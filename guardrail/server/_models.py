"""Request and response bodies of the check API (frozen pydantic models; they also make the OpenAPI docs).

``CheckItem`` has the shapes of a ``guardrail score`` JSONL line; ``CheckRecord`` is that command's record,
built by the same function (:func:`guardrail._records.verdict_record`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from .._records import RECORD_KEYS

_IN = ConfigDict(frozen=True, extra="ignore")  # like the CLI: unknown keys of a line are ignored
_OUT = ConfigDict(frozen=True, extra="forbid")


class CheckItem(BaseModel):
    """One item: ``question`` plus ``output`` (split into rationale and answer), or ``rationale`` + ``answer``."""

    model_config = _IN
    id: StrictStr | StrictInt | None = None
    question: StrictStr
    output: StrictStr | dict[str, Any] | list[Any] | None = Field(
        default=None, description="the full model output: text, or a provider object (Anthropic message, "
        "OpenAI completion / choice / message)",
    )  # fmt: skip
    rationale: StrictStr | None = None
    answer: StrictStr | None = None


class CheckBatch(BaseModel):
    model_config = _IN
    items: list[Any] = Field(description="CheckItem objects, each checked on its own (a bad one: an error record)")


class CheckRecord(BaseModel):
    """The record of ``guardrail score``: ``error`` is null when the item was checked."""

    model_config = _OUT
    id: StrictStr | StrictInt
    error: str | None
    consistency: float | None
    action: str
    reasons: list[str | None]
    flagged_steps: list[int]
    decided_by: list[str]
    answer_found: bool
    model_id: str | None
    model_version: str | None
    latency_ms: float | None


assert tuple(CheckRecord.model_fields) == RECORD_KEYS, "CheckRecord must have the keys of guardrail score"


class CheckBatchResult(BaseModel):
    model_config = _OUT
    records: list[CheckRecord]


class ErrorDetail(BaseModel):
    model_config = _OUT
    type: str
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"type", "code", "message"}}`` (the OpenAI error shape; the Anthropic
    endpoint answers ``{"type": "error", "error": {...}}``)."""

    model_config = _OUT
    error: ErrorDetail
