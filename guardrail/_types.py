"""Frozen result and input models shared by every part of the runtime.

Score range, stated once: every ``consistency`` in this package is the calibrated probability, in
[0, 1], that the rationale supports the answer. 1.0 = consistent, 0.0 = the answer does not follow
from the rationale. ``None`` means no verifier could produce a score (see ``reasons``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="forbid")

Probability = Field(ge=0.0, le=1.0)

# Reason codes that describe the output itself (found while extracting it, or by an adapter), stated once.
# A reason is "<code>" or "<code>: <human text>".
RATIONALE_REDACTED = "rationale_redacted"  # all of the reasoning was redacted: nothing to verify
PARTLY_REDACTED = "partly_redacted"  # some reasoning blocks were redacted: only the readable part was checked
STREAM_INTERRUPTED = "stream_interrupted"  # the stream ended early or raised: the answer may be incomplete
OUTPUT_TRUNCATED = "output_truncated"  # the provider cut the output at a length limit (max_tokens, length)
# The output went on past its answer with a new question (a model writing the next few-shot example): only the
# part up to the answer was checked, the rest is not verified (see Policy.continuation).
CONTINUATION_DROPPED = "continuation_dropped"
# An output with one of these is incomplete: whatever its score, it is never passed (see Policy.incomplete_action).
INCOMPLETE = frozenset({STREAM_INTERRUPTED, OUTPUT_TRUNCATED})


def reason_code(reason: str) -> str:
    """The code of a reason (``"<code>"`` or ``"<code>: <text>"``)."""
    return reason.split(":", 1)[0]


def given_id(raw: Any) -> str | int | None:
    """The id a caller gave, if it is one: a string or an integer (``True`` is not an id). One rule for every
    entry point (``Guard.check_many`` items, ``guardrail score`` lines, ``POST /v1/check`` bodies)."""
    return raw if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None


class Action(str, Enum):
    """What the policy does with an output."""

    PASS = "pass"  # deliver as is
    LABEL = "label"  # deliver, rationale marked as the model's stated reasoning, not verified
    ANNOTATE = "annotate"  # deliver with score, reasons and flagged steps attached
    BLOCK = "block"  # withhold: raise OutputBlocked or deliver the configured fallback


class AnswerType(str, Enum):
    NUMERIC = "numeric"
    CHOICE = "choice"  # multiple-choice letter, options in the question
    YES_NO = "yes_no"
    TEXT = "text"  # short label or free text


class Step(BaseModel):
    """One step of a rationale; ``start``/``end`` are character offsets into the rationale."""

    model_config = _FROZEN
    index: int = Field(ge=0)
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Extraction(BaseModel):
    """A model output split into rationale and answer."""

    model_config = _FROZEN
    rationale: str
    answer: str | None  # None: no recognisable answer
    steps: tuple[Step, ...] = ()
    format: str  # which extractor matched, e.g. "think_tags", "boxed", "json", "custom", "none"
    # reasons about the output itself that the verdict must carry, e.g. "partly_redacted: ...",
    # "output_truncated: ..." (an incomplete output is never passed, whatever its score)
    reasons: tuple[str, ...] = ()


class CheckInput(BaseModel):
    """What a verifier scores: one (question, rationale, answer) triple."""

    model_config = _FROZEN
    id: str
    question: str
    rationale: str
    answer: str
    steps: tuple[Step, ...] = ()


class Opinion(BaseModel):
    """One verifier's view of one input. Exactly one of ``consistency`` / ``error`` is set."""

    model_config = _FROZEN
    verifier: str  # e.g. "onnx:rg-minilm-l2", "claude:claude-haiku-4-5"
    consistency: float | None = Probability
    flagged_steps: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    model_id: str | None = None
    model_version: str | None = None
    latency_ms: float = Field(default=0.0, ge=0.0)
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)  # verifier-specific, JSON-serialisable


class Assessment(BaseModel):
    """What a :class:`~guardrail.Scorer` concludes for one input, before the policy picks an action."""

    model_config = _FROZEN
    consistency: float | None = Probability  # None: no verifier could decide
    opinions: tuple[Opinion, ...] = ()  # every verifier that was asked, including failed ones
    decided_by: tuple[str, ...] = ()  # the verifiers whose opinion made ``consistency``
    flagged_steps: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()


class Verdict(BaseModel):
    """The decision for one output."""

    model_config = _FROZEN
    id: str
    consistency: float | None = Probability
    action: Action
    reasons: tuple[str, ...] = ()
    flagged_steps: tuple[int, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    decided_by: tuple[str, ...] = ()  # names of the verifiers whose opinion made the score
    answer_found: bool = True
    model_id: str | None = None
    model_version: str | None = None
    latency_ms: float = Field(default=0.0, ge=0.0)


class Guarded(BaseModel):
    """A guarded output: what to deliver, what the model produced, and why."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    output: Any  # what to deliver: the original, a labelled/annotated rendering, or the fallback
    original: Any  # exactly what the wrapped call returned; never lost
    verdict: Verdict  # with several candidates (OpenAI ``n>1``, several sequences): the strictest of ``verdicts``
    display: str | None = None  # human-readable rendering for label / annotate
    verdicts: tuple[Verdict, ...] = ()  # one per candidate, in order, when the output held several (else empty)
