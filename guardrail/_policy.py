"""The policy: what to do with an output given its consistency score.

The mapping, stated once (``consistency`` = calibrated probability that the rationale supports the answer)::

    consistency >= pass_above      -> pass      deliver as is
    consistency >= label_above     -> label     deliver; the rationale is marked "Stated reasoning, not verified"
    consistency >= annotate_above  -> annotate  deliver with score, reasons and flagged steps rendered
    otherwise                      -> block     raise OutputBlocked, or deliver ``fallback_text``

Three cases have no score (every verdict, scored or not, is built here: :func:`build_verdict`):

* no recognisable answer in the output -> the ``no_answer`` action (default ``label``);
* an answer with no stated reasoning (empty, or redacted by the provider) -> the ``no_rationale`` action
  (default ``None``: it could not be verified, so ``on_error`` decides, as below);
* the input could not be checked (not text, too large...) or the verifier failed -> ``on_error``:
  ``fail_open`` delivers with ``fail_open_action`` (default ``label``: it really was not verified),
  ``fail_closed`` blocks.

An output that went on past its answer with a new question (``continuation_dropped``: only the part up to the
answer was checked) gets at least the ``continuation`` action (default ``label``: the rest is not verified).

An incomplete output (a stream that was interrupted, an output the provider cut at its length limit) is
checked as far as it goes but never passed on its score: it gets the stricter of its scored action and the
``on_error`` action (:meth:`Policy.incomplete_action`).

Every verdict carries at least one reason. A reason is ``"<code>"`` or ``"<code>: <human text>"``; codes:
``consistent``, ``unverified``, ``low_consistency``, ``inconsistent``, ``no_answer_found``,
``input_error``, ``verifier_error``, ``rationale_redacted``, ``partly_redacted``, ``stream_interrupted``,
``output_truncated``, ``continuation_dropped`` (plus whatever the verifiers add).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._errors import OutputBlocked
from ._types import (
    CONTINUATION_DROPPED,
    INCOMPLETE,
    Action,
    Assessment,
    Extraction,
    Guarded,
    Opinion,
    Verdict,
    reason_code,
)

_CODES = {
    Action.PASS: "consistent",
    Action.LABEL: "unverified",
    Action.ANNOTATE: "low_consistency",
    Action.BLOCK: "inconsistent",
}


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pass_above: float = Field(default=0.8, ge=0.0, le=1.0)
    label_above: float = Field(default=0.5, ge=0.0, le=1.0)
    annotate_above: float = Field(default=0.2, ge=0.0, le=1.0)  # 0.0 never blocks on the score
    no_answer: Action = Action.LABEL
    no_rationale: Action | None = None  # None: treat as unverifiable, i.e. follow on_error
    on_error: Literal["fail_open", "fail_closed"] = "fail_open"
    fail_open_action: Action = Action.LABEL
    continuation: Action = Action.LABEL  # the least action for an output that went on past its answer
    block_mode: Literal["raise", "fallback"] = "raise"
    fallback_text: str = "This answer was withheld: its stated reasoning does not support it."
    label_text: str = "Stated reasoning, not verified"
    max_flagged_shown: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        if not self.annotate_above <= self.label_above <= self.pass_above:
            raise ValueError("thresholds must satisfy annotate_above <= label_above <= pass_above")
        return self

    @field_validator("fail_open_action")
    @classmethod
    def _open_delivers(cls, value: Action) -> Action:
        if value is Action.BLOCK:
            raise ValueError("fail_open_action cannot be block; use on_error='fail_closed'")
        return value

    def action_for(self, consistency: float) -> tuple[Action, str]:
        """The action for a score, and the reason that explains it."""
        if consistency >= self.pass_above:
            action, bound = Action.PASS, f">= pass_above {self.pass_above:.3f}"
        elif consistency >= self.label_above:
            action, bound = Action.LABEL, f"< pass_above {self.pass_above:.3f}"
        elif consistency >= self.annotate_above:
            action, bound = Action.ANNOTATE, f"< label_above {self.label_above:.3f}"
        else:
            action, bound = Action.BLOCK, f"< annotate_above {self.annotate_above:.3f}"
        return action, f"{_CODES[action]}: consistency {consistency:.3f} {bound}"

    def error_action(self) -> Action:
        return Action.BLOCK if self.on_error == "fail_closed" else self.fail_open_action

    def no_rationale_action(self) -> Action:
        return self.no_rationale if self.no_rationale is not None else self.error_action()

    def incomplete_action(self, action: Action) -> Action:
        """The action for an incomplete output (interrupted stream, truncated output) that would get ``action``:
        what arrived may not be what the model meant to say, so it never passes on its score; it follows
        ``on_error`` (``fail_closed`` blocks, ``fail_open`` gives ``fail_open_action``), or ``action`` when that
        is stricter."""
        return stricter(action, self.error_action())


def needs_score(extraction: Extraction | None) -> bool:
    """Whether an output goes to the verifiers: only one with an answer and some stated reasoning. An empty
    rationale would only give the verifier noise, and the policy has its own action for it (``no_rationale``)."""
    return extraction is not None and extraction.answer is not None and bool(extraction.rationale.strip())


def build_verdict(
    policy: Policy,
    item_id: str,
    extraction: Extraction | None,
    assessment: Assessment | None = None,
    *,
    error: str | None = None,
    latency_ms: float = 0.0,
) -> Verdict:
    """The verdict for one item, scored or not (the cases of the module docstring, in order).

    ``extraction`` is None when the item could not be checked at all (``error`` says why: an ``input_error``);
    ``assessment`` is None when an item that :func:`needs_score` was not scored (``error`` says why: a
    ``verifier_error``). What the extraction found about the output itself (``partly_redacted``,
    ``output_truncated``, ``stream_interrupted``) goes on the verdict: an incomplete output is never passed.
    """
    verdict = _decide(policy, item_id, extraction, assessment, error, latency_ms)
    if extraction is not None and extraction.reasons:
        return with_output_reasons(policy, verdict, extraction.reasons)
    return verdict


def _decide(
    policy: Policy,
    item_id: str,
    extraction: Extraction | None,
    assessment: Assessment | None,
    error: str | None,
    latency_ms: float,
) -> Verdict:
    def unscored(action: Action, reasons: tuple[str, ...], opinions: tuple[Opinion, ...] = ()) -> Verdict:
        answer_found = extraction is not None and extraction.answer is not None
        return Verdict(
            id=item_id,
            consistency=None,
            action=action,
            reasons=reasons,
            opinions=opinions,
            answer_found=answer_found,
            latency_ms=latency_ms,
        )

    if extraction is None:
        return unscored(policy.error_action(), (error or "input_error: the item could not be checked",))
    if extraction.answer is None:
        return unscored(policy.no_answer, ("no_answer_found: no recognisable answer in the output",))
    if not extraction.rationale.strip():
        return unscored(policy.no_rationale_action(), (_no_rationale_reason(extraction),))
    if assessment is None:
        return unscored(policy.error_action(), (error or "verifier_error: not scored",))
    if assessment.consistency is None:
        reasons = assessment.reasons or ("verifier_error: no verifier could score this input",)
        return unscored(policy.error_action(), reasons, assessment.opinions)
    action, reason = policy.action_for(assessment.consistency)
    deciding = next((o for o in assessment.opinions if o.verifier in assessment.decided_by), None)
    return Verdict(
        id=item_id,
        consistency=assessment.consistency,
        action=action,
        reasons=(reason, *assessment.reasons),
        flagged_steps=assessment.flagged_steps,
        opinions=assessment.opinions,
        decided_by=assessment.decided_by,
        model_id=deciding.model_id if deciding else None,
        model_version=deciding.model_version if deciding else None,
        latency_ms=latency_ms,
    )


def _no_rationale_reason(extraction: Extraction) -> str:
    if extraction.format.endswith("_redacted"):
        return "rationale_redacted: the model's reasoning was redacted by the provider; nothing to verify"
    return "no_rationale: the output states an answer without reasoning to verify"


_SEVERITY = {Action.PASS: 0, Action.LABEL: 1, Action.ANNOTATE: 2, Action.BLOCK: 3}


def stricter(first: Action, second: Action) -> Action:
    """The stricter of two actions (pass < label < annotate < block)."""
    return first if _SEVERITY[first] >= _SEVERITY[second] else second


def with_output_reasons(policy: Policy, verdict: Verdict, reasons: Sequence[str]) -> Verdict:
    """``verdict`` carrying ``reasons`` about the output itself (those whose code it lacks, after its own).
    An incomplete output (``stream_interrupted``, ``output_truncated``) gets :meth:`Policy.incomplete_action`, one
    that went on past its answer (``continuation_dropped``) at least :attr:`Policy.continuation`."""
    codes = {reason_code(reason) for reason in verdict.reasons}
    extra = tuple(reason for reason in reasons if reason_code(reason) not in codes)
    action = verdict.action
    if any(reason_code(reason) in INCOMPLETE for reason in reasons):
        action = policy.incomplete_action(action)
    if any(reason_code(reason) == CONTINUATION_DROPPED for reason in reasons):
        action = stricter(action, policy.continuation)
    if not extra and action is verdict.action:
        return verdict
    return verdict.model_copy(update={"reasons": verdict.reasons + extra, "action": action})


def strictest(verdicts: Sequence[Verdict]) -> Verdict:
    """The verdict with the strictest action (the first of equals): one verdict for an output with several
    candidates, which is no better than its worst one."""
    return max(verdicts, key=lambda verdict: _SEVERITY[verdict.action])  # max keeps the first of equals


def render(policy: Policy, verdict: Verdict, extraction: Extraction | None, text: str | None) -> str | None:
    """Human-readable rendering of an output for label / annotate; ``None`` for pass and block."""
    if verdict.action is Action.LABEL:
        body = text if text is not None else _plain(extraction)
        return f"[{policy.label_text}]\n{body}"
    if verdict.action is Action.ANNOTATE:
        body = text if text is not None else _plain(extraction)
        return f"{body}\n\n{annotation(policy, verdict, extraction)}"
    return None


def deliver(policy: Policy, verdict: Verdict, extraction: Extraction | None, original: Any, text: str | None) -> Guarded:
    """Apply the verdict's action to an output: ``text`` is the output's visible text when it has one.

    Block raises :class:`OutputBlocked` (``block_mode="raise"``) or delivers ``fallback_text``; label and
    annotate deliver the rendering when the output is text, else the original object plus ``display``.
    """
    if verdict.action is Action.BLOCK:
        if policy.block_mode == "raise":
            raise OutputBlocked(verdict, original)
        return Guarded(output=policy.fallback_text, original=original, verdict=verdict, display=policy.fallback_text)
    display = render(policy, verdict, extraction, text)
    delivered = display if display is not None and text is not None else original
    return Guarded(output=delivered, original=original, verdict=verdict, display=display)


def annotation(policy: Policy, verdict: Verdict, extraction: Extraction | None) -> str:
    """The annotation block: score, reasons and the flagged steps' text."""
    score = "n/a" if verdict.consistency is None else f"{verdict.consistency:.2f}"
    lines = [f"[rationale-guard: consistency {score}, {verdict.action.value}]"]
    lines += [f"- {reason}" for reason in verdict.reasons]
    steps = extraction.steps if extraction is not None else ()
    for index in verdict.flagged_steps[: policy.max_flagged_shown]:
        if 0 <= index < len(steps):
            lines.append(f"- flagged step {index + 1}: {_shorten(steps[index].text)}")
    return "\n".join(lines)


def _plain(extraction: Extraction | None) -> str:
    if extraction is None:
        return ""
    answer = extraction.answer if extraction.answer is not None else "(no answer found)"
    return f"{extraction.rationale}\n\nAnswer: {answer}".strip()


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def output_text(output: Any) -> str | None:
    """The output as text when it is text; renderings of other objects are built from the extraction."""
    if isinstance(output, str):
        return output
    if isinstance(output, (bytes, bytearray)):
        try:
            return bytes(output).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None
