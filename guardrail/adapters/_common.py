"""What every adapter shares: finding the question, turning provider text into an :class:`Extraction`, and
asking the :class:`~guardrail.Guard` what to deliver.

Adapters stay thin: they only convert provider objects to an ``Extraction`` (so the adapter, not a text
heuristic, decides what is rationale and what is answer) and rebuild the provider object for the output.
Every decision (score, action, label/annotation text, fallback) comes from the Guard.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ConfigDict

from .._errors import InputError
from .._extract import as_text, extract, from_fields, noted, redaction_reasons
from .._guard import question_from_call
from .._policy import deliver, with_output_reasons
from .._types import Action, Extraction, Verdict
from ..reader import split_steps

if TYPE_CHECKING:
    from ._streaming import OnError

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"

QuestionFn = Callable[[Mapping[str, Any]], str]

_log = structlog.get_logger("guardrail")


def wrap_create(
    create: Callable[..., Any],
    guard: Any,
    *,
    question: QuestionFn,
    convert: Callable[[Any], Sequence[Converted]],
    rebuild: Callable[[Any, Sequence[Outcome]], Any],
    parser: Callable[[], Any],
    format: str,
    pass_rationale: bool,
    on_error: OnError,
    is_async: bool | None,
    check_request: Callable[[Mapping[str, Any]], None] | None = None,
) -> Callable[..., Any]:
    """The guarded ``create`` every provider adapter returns. Sync vs async is decided here, once.

    ``convert(response) -> [Converted, ...]`` (one per candidate answer: OpenAI's ``n`` choices; every one is
    checked) and ``rebuild(response, outcomes)`` are the provider's own parts; ``parser()`` makes a fresh
    stream parser for a ``stream=True`` call; ``check_request(kwargs)`` may refuse a request before it is sent.
    """
    from ._streaming import AsyncGuardedStream, GuardedStream  # _streaming imports this module

    stream_options: dict[str, Any] = {"pass_rationale": pass_rationale, "on_error": on_error, "format": format}
    if is_async if is_async is not None else is_async_callable(create):

        @functools.wraps(create)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            if check_request is not None:
                check_request(kwargs)
            response = await create(*args, **kwargs)
            asked = ask_question(question, kwargs)
            if kwargs.get("stream"):
                return AsyncGuardedStream(response, parser(), guard, asked, **stream_options)
            outcomes = [await adecide(guard, asked, c, original=response) for c in convert(response)]
            return rebuild(response, outcomes)

        return acreate

    @functools.wraps(create)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if check_request is not None:
            check_request(kwargs)
        response = create(*args, **kwargs)
        asked = ask_question(question, kwargs)
        if kwargs.get("stream"):
            return GuardedStream(response, parser(), guard, asked, **stream_options)
        outcomes = [decide(guard, asked, c, original=response) for c in convert(response)]
        return rebuild(response, outcomes)

    return wrapped


def is_async_callable(fn: Callable[..., Any]) -> bool:
    """SDK methods hide ``async def`` behind sync decorators that use functools.wraps; unwrap to see it."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(inspect.unwrap(fn))


def last_user_text(request: Mapping[str, Any]) -> str:
    """Default question: the text of the last ``user`` message of the request's ``messages``."""
    return question_from_call(**request)


def ask_question(question: QuestionFn, request: Mapping[str, Any]) -> str:
    """The question for a request; a failing or odd ``question`` function gives "" rather than losing the output."""
    try:
        found = question(request)
    except Exception as exc:
        _log.warning("guardrail.adapters.question_error", error_type=type(exc).__name__)
        return ""
    return found if isinstance(found, str) else ""


class ThinkSplit(BaseModel):
    """``text`` split at ``</think>``: ``head`` (kept verbatim when the answer is rewritten) + ``answer_text``."""

    model_config = ConfigDict(frozen=True)
    head: str
    rationale: str
    answer_text: str


def split_think_tags(text: str) -> ThinkSplit | None:
    """DeepSeek/vLLM style ``<think>...</think>answer``; also a lone ``</think>`` (the opening tag was in the
    prompt template). An unterminated ``<think>`` is all rationale, no answer. ``None``: no think tags."""
    close = text.find(THINK_CLOSE)
    if close < 0:
        stripped = text.lstrip()
        if stripped.startswith(THINK_OPEN):
            return ThinkSplit(head=text, rationale=stripped[len(THINK_OPEN) :].strip(), answer_text="")
        return None
    opening = text.find(THINK_OPEN, 0, close)
    rationale = text[opening + len(THINK_OPEN) : close] if opening >= 0 else text[:close]
    end = close + len(THINK_CLOSE)
    return ThinkSplit(head=text[:end], rationale=rationale.strip(), answer_text=text[end:])


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
    split = split_think_tags(content) if action is not Action.BLOCK else None
    if split is None:
        return text
    answer = split.answer_text
    return split.head + answer[: len(answer) - len(answer.lstrip())] + text


def convert_parts(
    rationale: str, text: str, *, format: str, redacted: bool = False, reasons: Sequence[str] = ()
) -> Converted:
    """Convert a provider's reasoning channel (``rationale``: thinking blocks, ``reasoning_content``, the
    inside of ``<think>`` tags) and its visible ``text``.

    With a channel, the rationale is the channel only, and the answer is the marked answer in the visible
    text ("Final answer: 42", a boxed value, ...) found by the runtime's extractor, else the whole visible
    text. The visible text's own lead-in ("The box holds 42 eggs.") is deliberately not added to the
    rationale: it restates the answer, and a rationale that ends on the answer looks consistent whatever
    the reasoning said. Redacted reasoning cannot be read: rationale "" and the Guard's ``rationale_redacted``
    reason, and the policy's no-rationale action applies; readable reasoning beside redacted blocks is checked
    and the verdict says ``partly_redacted``. Without a channel, ``<think>`` tags in the text are one;
    otherwise the runtime's extractor splits the text. ``reasons`` (``output_truncated``,
    ``stream_interrupted``) go on the extraction, so the Guard's policy sees them.
    """
    try:
        as_text(rationale, "rationale")
        as_text(text, "answer")
        converted = _convert(rationale, text, format, redacted)
    except InputError:  # not text, NUL bytes, too large: the Guard turns it into an input_error verdict
        text = text if isinstance(text, str) else ""
        return Converted(extraction=None, text=text, rationale=str(rationale), reasons=tuple(reasons))
    extraction = noted(converted.extraction, reasons) if converted.extraction is not None else None
    return converted.model_copy(update={"extraction": extraction})


def _convert(rationale: str, text: str, format: str, redacted: bool) -> Converted:
    if not rationale.strip() and not redacted:
        split = split_think_tags(text)
        if split is None:
            if not text.strip():  # nothing readable (tool calls only, cut before any text): no answer to check
                return Converted(extraction=Extraction(rationale="", answer=None, format="none"), text=text)
            return Converted(extraction=extract(text), text=text)
        rationale, text, format = split.rationale, split.answer_text.strip(), "think_tags"
    rationale = rationale.strip()
    fmt = f"{format}_redacted" if redacted and not rationale else format  # the Guard says rationale_redacted
    extraction = Extraction(
        rationale=rationale,
        answer=visible_answer(text),
        steps=split_steps(rationale),
        format=fmt,
        reasons=redaction_reasons(rationale, redacted),
    )
    return Converted(extraction=extraction, text=text)


def visible_answer(text: str) -> str | None:
    """The answer in a visible text: its marked answer, else the whole text (cleaned); None when empty."""
    if not text.strip():
        return None
    marked = extract(text).answer
    return marked if marked else from_fields("", text).answer


class Outcome(BaseModel):
    """What the Guard decided for one extraction: the verdict, and the answer text to deliver."""

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    text: str | None  # answer text to deliver instead of the model's; None: deliver the model's unchanged
    display: str | None = None


def decide(guard: Any, question: str, converted: Converted, *, original: Any) -> Outcome:
    """Ask the Guard for the verdict on the extraction, then apply its policy to the visible answer text.

    A block raises :class:`OutputBlocked` carrying the provider object (``block_mode="raise"``) or delivers
    the policy's fallback text. Label / annotate render the visible text, not the extraction, so the
    delivered output keeps the model's wording.
    """
    verdict = guard.check(question, **_check_args(converted))
    return _apply_policy(guard, with_output_reasons(guard.policy, verdict, converted.reasons), converted, original)


async def adecide(guard: Any, question: str, converted: Converted, *, original: Any) -> Outcome:
    verdict = await guard.acheck(question, **_check_args(converted))
    return _apply_policy(guard, with_output_reasons(guard.policy, verdict, converted.reasons), converted, original)


def _check_args(converted: Converted) -> dict[str, Any]:
    if converted.extraction is None:  # let the Guard validate the raw fields: its verdict says what is wrong
        return {"rationale": converted.rationale, "answer": converted.text}
    return {"output": converted.extraction}


def _apply_policy(guard: Any, verdict: Verdict, converted: Converted, original: Any) -> Outcome:
    guarded = deliver(guard.policy, verdict, converted.extraction, original, converted.text)
    if guarded.output is original:
        return Outcome(verdict=verdict, text=None)
    return Outcome(verdict=verdict, text=guarded.output, display=guarded.display)
