"""Guard ``client.chat.completions.create`` of ``openai.OpenAI`` / ``openai.AsyncOpenAI`` and of
OpenAI-compatible servers (vLLM, DeepSeek, llama.cpp, ...), the ``openai`` extra.

Where the rationale comes from, first match wins: the non-standard ``message.reasoning_content`` /
``message.reasoning`` fields (kept by the SDK as extra fields), then ``<think>...</think>`` (or a lone
``</think>``) in ``content``, then answer markers in ``content``. Only ``choices[0]`` is checked.

The result is a :class:`~guardrail.Guarded` whose ``output`` is the SDK's ``ChatCompletion``: the original
on pass; a ``model_copy`` whose ``choices[0].message.content`` holds the labelled/annotated answer (a leading
``<think>`` section is kept as it was) or only the fallback on block. ``stream=True`` gives a guarded stream
(``delta.reasoning_content`` / ``delta.reasoning`` and ``<think>`` in ``delta.content`` are the rationale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._types import Action, Guarded
from ._common import (
    THINK_CLOSE,
    THINK_OPEN,
    Converted,
    Outcome,
    QuestionFn,
    convert_parts,
    last_user_text,
    rewrite_visible,
    wrap_create,
)
from ._streaming import OnError, Piece

FORMAT = "openai_reasoning"
REASONING_FIELDS = ("reasoning_content", "reasoning")


def guard_openai(
    create: Any,
    guard: Any,
    *,
    question: QuestionFn = last_user_text,
    pass_rationale: bool = True,
    on_error: OnError = "raise",
    is_async: bool | None = None,
) -> Callable[..., Any]:
    """Wrap ``client.chat.completions.create`` (pass the client or the method); the client is not modified."""
    chat = getattr(create, "chat", None)
    create = getattr(getattr(chat, "completions", None), "create", create)  # a client was passed
    return wrap_create(
        create,
        guard,
        question=question,
        convert=convert_completion,
        rebuild=guarded_completion,
        parser=OpenAIChunkParser,
        format=FORMAT,
        pass_rationale=pass_rationale,
        on_error=on_error,
        is_async=is_async,
    )


def reasoning_of(obj: Any) -> str:
    for field in REASONING_FIELDS:
        value = getattr(obj, field, None)
        if isinstance(value, str) and value:
            return value
    return ""


def convert_completion(completion: Any) -> Converted:
    """``choices[0]`` of a ``ChatCompletion`` as the Guard sees it."""
    choices = getattr(completion, "choices", None) or ()
    message = getattr(choices[0], "message", None) if choices else None
    content = getattr(message, "content", None) or ""
    return convert_parts(reasoning_of(message), content, format=FORMAT)


def guarded_completion(completion: Any, outcome: Outcome) -> Guarded:
    output = completion if outcome.text is None else replace_content(completion, outcome.text, outcome.verdict.action)
    return Guarded(output=output, original=completion, verdict=outcome.verdict, display=outcome.display)


def replace_content(completion: Any, text: str, action: Action) -> Any:
    """A copy with ``choices[0].message.content`` replaced; on block the reasoning is dropped too."""
    choice = completion.choices[0]
    message = choice.message
    if action is Action.BLOCK:
        update: dict[str, Any] = {"content": text}
        update.update({field: None for field in REASONING_FIELDS if getattr(message, field, None) is not None})
    else:
        update = {"content": rewrite_visible(message.content or "", text, action)}
    choice = choice.model_copy(update={"message": message.model_copy(update=update)})
    return completion.model_copy(update={"choices": [choice, *completion.choices[1:]]})


class OpenAIChunkParser:
    """``ChatCompletionChunk`` s -> pieces (choice 0 only). A ``finish_reason`` marks a complete stream."""

    def __init__(self) -> None:
        self._content = ThinkTagSplitter()

    def __call__(self, chunk: Any) -> Iterable[Piece]:
        pieces: list[Piece] = []
        for choice in getattr(chunk, "choices", None) or ():
            if getattr(choice, "index", 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            reasoning = reasoning_of(delta)
            if reasoning:
                pieces.append(Piece(kind="rationale", text=reasoning))
            content = getattr(delta, "content", None)
            if content:
                pieces.extend(self._content.feed(content))
            if getattr(choice, "finish_reason", None) is not None:
                pieces.append(Piece(kind="end"))
        return pieces

    def flush(self) -> Iterable[Piece]:
        return self._content.flush()


class ThinkTagSplitter:
    """Splits streamed content at ``<think>``/``</think>`` tags that may arrive cut across chunks.

    Content that starts with ``<think>`` is rationale (streamed live) up to ``</think>``, answer after it.
    Content that does not start with it is answer; a lone ``</think>`` inside it (R1-style templates) is
    split after the stream ends, by the same extractor as non-streamed responses.
    """

    def __init__(self) -> None:
        self._mode, self._buffer = "start", ""

    def feed(self, text: str) -> list[Piece]:
        self._buffer += text
        if self._mode == "start":
            head = self._buffer.lstrip()
            if head.startswith(THINK_OPEN):
                self._mode, self._buffer = "think", head[len(THINK_OPEN) :]
            elif THINK_OPEN.startswith(head):
                return []  # still undecided: could be the start of "<think>"
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
        close = self._buffer.find(THINK_CLOSE)
        if close >= 0:
            rationale, rest = self._buffer[:close], self._buffer[close + len(THINK_CLOSE) :]
            self._mode, self._buffer = "after_think", ""
            return [Piece(kind="rationale", text=rationale), *self.feed(rest)]
        keep = len(THINK_CLOSE) - 1  # the end of the buffer may be the start of a cut "</think>"
        ready, self._buffer = self._buffer[:-keep], self._buffer[-keep:]
        return [Piece(kind="rationale", text=ready)] if ready else []

    def flush(self) -> list[Piece]:
        text, self._buffer = self._buffer, ""
        if not text:
            return []
        if self._mode == "after_think":
            text = text.lstrip()
        return [Piece(kind="rationale" if self._mode == "think" else "answer", text=text)] if text else []
