"""What every adapter shares: turning a provider's reasoning channel and visible text into an
:class:`Extraction`, and asking the :class:`~guardrail.Guard` what to deliver (``Guard.check``, then
``Guard.deliver``).

Adapters stay thin: they only convert provider objects to an ``Extraction`` (so the adapter, not a text
heuristic, decides what is rationale and what is answer) and rebuild the provider object for the output.
Every decision (score, action, label/annotation text, fallback) comes from the Guard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .._errors import InputError
from .._extract import as_text, from_channel, noted, split_think
from .._policy import strictest
from .._types import Action, Extraction, Guarded, Verdict

if TYPE_CHECKING:
    from .._guard import Guard

QuestionFn = Callable[[Mapping[str, Any]], str]


class Converted(BaseModel):
    """A provider output as the Guard sees it (``extraction``) and the visible answer ``text`` to render."""

    model_config = ConfigDict(frozen=True)
    extraction: Extraction | None  # None: the text is unusable (NUL bytes, too large); the Guard says why
    text: str
    reasons: tuple[str, ...] = ()  # reasons about the output when there is no extraction to carry them
    rationale: str = ""  # the raw reasoning channel, kept for the Guard's own validation when unusable


def rewrite_visible(content: str, text: str, action: Action) -> str:
    """``content`` with its visible answer replaced by ``text``; a leading ``<think>`` section is kept as the
    model wrote it, except on block, where only ``text`` (the fallback) is delivered."""
    split = split_think(content) if action is not Action.BLOCK else None
    if split is None:
        return text
    answer = split.answer_text
    return split.head + answer[: len(answer) - len(answer.lstrip())] + text


def convert_parts(
    rationale: str, text: str, *, format: str, redacted: bool = False, reasons: Sequence[str] = ()
) -> Converted:
    """Convert a provider's reasoning channel (``rationale``: thinking blocks, ``reasoning_content``, what a
    stream collected) and its visible ``text``, by the runtime's one rule (:func:`guardrail._extract.from_channel`,
    the same that ``extract`` applies to a whole provider object).

    ``Converted.text`` is the visible answer text to render: after ``</think>`` when the text carries its own
    think tags. ``reasons`` (``output_truncated``, ``stream_interrupted``) go on the extraction, so the Guard's
    policy sees them. Text that cannot be checked (not text, NUL bytes, too large) has no extraction: the Guard
    validates the raw fields and its verdict says what is wrong.
    """
    try:
        as_text(rationale, "rationale")
        as_text(text, "answer")
        extraction = from_channel(rationale, text, format, redacted=redacted)
    except InputError:
        text = text if isinstance(text, str) else ""
        return Converted(extraction=None, text=text, rationale=str(rationale), reasons=tuple(reasons))
    split = split_think(text) if not rationale.strip() and not redacted else None
    visible = split.answer_text.strip() if split is not None else text
    return Converted(extraction=noted(extraction, reasons), text=visible)


class Outcome(BaseModel):
    """What the Guard decided for one extraction: the verdict, and the answer text to deliver."""

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    text: str | None  # answer text to deliver instead of the model's; None: deliver the model's unchanged
    display: str | None = None


def guarded_candidates(output: Any, original: Any, outcomes: Sequence[Outcome]) -> Guarded:
    """The :class:`Guarded` of a response holding one or several candidate answers (OpenAI choices, returned
    sequences), each already rewritten in ``output`` for its own outcome: no better than its worst candidate,
    so ``verdict`` is the strictest verdict and ``verdicts`` holds one per candidate when there are several."""
    verdicts = [outcome.verdict for outcome in outcomes]
    worst = strictest(verdicts)
    display = outcomes[verdicts.index(worst)].display
    several = tuple(verdicts) if len(verdicts) > 1 else ()
    return Guarded(output=output, original=original, verdict=worst, display=display, verdicts=several)


def decide(guard: Guard, question: str, converted: Converted, *, original: Any) -> Outcome:
    """Ask the Guard for the verdict on the extraction, then for what to deliver of the visible answer text.

    A block raises :class:`OutputBlocked` carrying the provider object (``block_mode="raise"``) or delivers
    the policy's fallback text. Label / annotate render the visible text, not the extraction, so the
    delivered output keeps the model's wording.
    """
    return _outcome(guard, guard.check(question, **_check_args(converted)), converted, original)


async def adecide(guard: Guard, question: str, converted: Converted, *, original: Any) -> Outcome:
    return _outcome(guard, await guard.acheck(question, **_check_args(converted)), converted, original)


def _check_args(converted: Converted) -> dict[str, Any]:
    if converted.extraction is None:  # let the Guard validate the raw fields: its verdict says what is wrong
        return {"rationale": converted.rationale, "answer": converted.text}
    return {"output": converted.extraction}


def _outcome(guard: Guard, verdict: Verdict, converted: Converted, original: Any) -> Outcome:
    guarded = guard.deliver(
        verdict, original, text=converted.text, extraction=converted.extraction, reasons=converted.reasons
    )
    if guarded.output is original:
        return Outcome(verdict=guarded.verdict, text=None)
    return Outcome(verdict=guarded.verdict, text=guarded.output, display=guarded.display)
