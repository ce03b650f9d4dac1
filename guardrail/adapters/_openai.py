"""Guard ``client.chat.completions.create`` of ``openai.OpenAI`` / ``openai.AsyncOpenAI`` and of
OpenAI-compatible servers (vLLM, DeepSeek, llama.cpp, ...), the ``openai`` extra.

Where the rationale comes from, first match wins: the non-standard ``message.reasoning_content`` /
``message.reasoning`` fields (kept by the SDK as extra fields), then ``<think>...</think>`` (or a lone
``</think>``) in ``content``, then answer markers in ``content``. Every choice is checked (``n>1``).

The result is a :class:`~guardrail.Guarded` whose ``output`` is the SDK's ``ChatCompletion``: the original
when every choice passes; else a ``model_copy`` in which each choice's ``message.content`` holds its
labelled/annotated answer (a leading ``<think>`` section is kept as it was) or only the fallback on block
(its reasoning dropped). With ``n>1``, ``Guarded.verdicts`` holds one verdict per choice and ``verdict`` is
the strictest of them; a block of any choice raises :class:`~guardrail.OutputBlocked` unless the policy has a
fallback. A choice cut at its length limit (``finish_reason`` ``length``) gets ``output_truncated`` and is
never passed. ``stream=True`` gives a guarded stream (``delta.reasoning_content`` / ``delta.reasoning`` and
``<think>`` in ``delta.content`` are the rationale); ``stream=True`` with ``n>1`` is refused before the request
is sent (:class:`~guardrail.InputError`): a guarded stream carries one answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import InputError
from .._extract import REASONING_FIELDS, THINK_TAGS, choices_of, field_of, reasoning_of, truncation_reasons
from .._question import last_user_text
from .._types import Action, Guarded
from ._common import (
    Converted,
    Outcome,
    QuestionFn,
    convert_parts,
    guarded_candidates,
    rewrite_visible,
)
from ._streaming import OnError, Piece
from ._wrap import Provider, wrap_create

if TYPE_CHECKING:
    from .._guard import Guard

FORMAT = "openai_reasoning"


def guard_openai(
    create: Any,
    guard: Guard,
    *,
    question: QuestionFn = last_user_text,
    pass_rationale: bool = True,
    on_error: OnError = "raise",
    is_async: bool | None = None,
) -> Callable[..., Any]:
    """Wrap ``client.chat.completions.create`` (pass the client or the method); the client is not modified."""
    options = {"question": question, "pass_rationale": pass_rationale, "on_error": on_error, "is_async": is_async}
    return wrap_create(create, guard, OPENAI, **options)


def refuse_streamed_choices(request: Any) -> None:
    """``stream=True`` with ``n>1`` interleaves several answers in one stream; a guarded stream holds and
    checks one, so the request is refused before it is sent (never an unchecked choice)."""
    n = request.get("n")
    if request.get("stream") and isinstance(n, int) and not isinstance(n, bool) and n > 1:
        raise InputError(
            f"multiple_choices: stream=True with n={n} cannot be guarded (a guarded stream checks one answer); "
            "stream with n=1, or call without stream=True to have every choice checked"
        )


def convert_completion(completion: Any) -> list[Converted]:
    """Every choice of a ``ChatCompletion`` as the Guard sees it, in order (one, empty, when there is none)."""
    return [convert_choice(choice) for choice in choices_of(completion) or [None]]


def convert_choice(choice: Any) -> Converted:
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None) or ""
    return convert_parts(reasoning_of(message), content, format=FORMAT, reasons=truncation_reasons(choice))


def guarded_completion(completion: Any, outcomes: Sequence[Outcome]) -> Guarded:
    """The completion with each choice rewritten for its own outcome; ``verdict`` is the strictest verdict,
    ``verdicts`` one per choice when there are several."""
    output = completion
    choices = list(getattr(completion, "choices", None) or ())
    if any(outcome.text is not None for outcome in outcomes) and choices:
        rewritten = [
            choice if outcome.text is None else replace_choice(choice, outcome.text, outcome.verdict.action)
            for choice, outcome in zip(choices, outcomes, strict=True)
        ]
        output = completion.model_copy(update={"choices": rewritten})
    return guarded_candidates(output, completion, outcomes)


def replace_choice(choice: Any, text: str, action: Action) -> Any:
    """A copy of one choice with its message content replaced; on block the reasoning is dropped too."""
    message = choice.message
    if action is Action.BLOCK:
        update: dict[str, Any] = {"content": text}
        update.update({field: None for field in REASONING_FIELDS if getattr(message, field, None) is not None})
    else:
        update = {"content": rewrite_visible(message.content or "", text, action)}
    return choice.model_copy(update={"message": message.model_copy(update=update)})


class OpenAIChunkParser:
    """``ChatCompletionChunk`` s (SDK objects or dicts) -> pieces. A ``finish_reason`` marks a complete stream
    (``length`` marks it truncated). A chunk for a second choice (``n>1``) raises :class:`InputError`: the
    guarded stream then ends with a ``stream_interrupted`` verdict, and no choice goes out unchecked."""

    def __init__(self) -> None:
        self._content = ThinkTagSplitter()

    def __call__(self, chunk: Any) -> Iterable[Piece]:
        pieces: list[Piece] = []
        for choice in field_of(chunk, "choices") or ():
            if (field_of(choice, "index") or 0) != 0:
                raise InputError("multiple_choices: the stream carries more than one choice (n>1); not guarded")
            delta = field_of(choice, "delta")
            reasoning = reasoning_of(delta)
            if reasoning:
                pieces.append(Piece(kind="rationale", text=reasoning))
            content = field_of(delta, "content") if delta is not None else None
            if content:
                pieces.extend(self._content.feed(content))
            if field_of(choice, "finish_reason") is not None:
                pieces.extend(Piece(kind="truncated", text=reason) for reason in truncation_reasons(choice))
                pieces.append(Piece(kind="end"))
        return pieces

    def flush(self) -> Iterable[Piece]:
        return self._content.flush()


class ThinkTagSplitter:
    """Splits streamed content at think tags that may arrive cut across chunks (the tags of
    :func:`guardrail._extract.split_think`: ``<think>``, ``<thinking>``, ``<reasoning>``, any case).

    Content that starts with an opening tag is rationale (streamed live) up to its closing tag, answer after it.
    Content that does not start with one is answer; a lone ``</think>`` inside it (R1-style templates) is
    split after the stream ends, by the same rule as non-streamed responses.
    """

    _OPENINGS = tuple(f"<{tag}>" for tag in THINK_TAGS)

    def __init__(self) -> None:
        self._mode, self._buffer, self._close = "start", "", ""

    def feed(self, text: str) -> list[Piece]:
        self._buffer += text
        if self._mode == "start":
            head = self._buffer.lstrip()
            opening = next((tag for tag in self._OPENINGS if head[: len(tag)].lower() == tag), None)
            if opening is not None:
                self._mode, self._buffer = "think", head[len(opening) :]
                self._close = "</" + opening[1:]
            elif any(tag.startswith(head.lower()) for tag in self._OPENINGS):
                return []  # still undecided: could be the start of an opening tag
            else:
                self._mode = "answer"
        if self._mode == "think":
            return self._think()
        if self._mode == "after_think":  # the blank lines between </think> and the answer are not the answer
            self._buffer = self._buffer.lstrip()
            if not self._buffer:
                return []
            self._mode = "answer"
        text, self._buffer = self._buffer, ""
        return [Piece(kind="answer", text=text)]

    def _think(self) -> list[Piece]:
        close = self._buffer.lower().find(self._close)
        if close >= 0:
            rationale, rest = self._buffer[:close], self._buffer[close + len(self._close) :]
            self._mode, self._buffer = "after_think", ""
            return [Piece(kind="rationale", text=rationale), *self.feed(rest)]
        keep = len(self._close) - 1  # the end of the buffer may be the start of a cut closing tag
        ready, self._buffer = self._buffer[:-keep], self._buffer[-keep:]
        return [Piece(kind="rationale", text=ready)] if ready else []

    def flush(self) -> list[Piece]:
        text, self._buffer = self._buffer, ""
        if not text:
            return []
        if self._mode == "after_think":
            text = text.lstrip()
        return [Piece(kind="rationale" if self._mode == "think" else "answer", text=text)] if text else []

OPENAI = Provider(
    format=FORMAT,
    method=("chat", "completions", "create"),
    convert=convert_completion,
    rebuild=guarded_completion,
    parser=OpenAIChunkParser,
    check_request=refuse_streamed_choices,
)
