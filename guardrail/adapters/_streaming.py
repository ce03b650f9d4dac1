"""Guarded streaming, provider-agnostic: rationale flows through, the answer is held until it can be checked.

A provider parser turns each upstream event into :class:`Piece` s (rationale text, answer text, "the reasoning
was redacted", "the stream ended normally"). :class:`GuardedStream` / :class:`AsyncGuardedStream` are plain
(async) iterators of :class:`StreamEvent`:

- ``rationale`` events as the rationale arrives (only with ``pass_rationale=True``);
- one ``answer`` event after the upstream stream ended and the Guard decided: the held answer (pass), its
  labelled/annotated rendering, or the fallback (block). No answer event when there is nothing to deliver;
- always a final ``verdict`` event, also when the upstream ended early (no end marker) or raised: the verdict
  then carries the reason ``stream_interrupted``; a stream the provider cut at its length limit carries
  ``output_truncated``. Either way what arrived is checked but never passed: the policy's ``on_error`` action
  applies (or the scored action, when that is stricter). After the verdict event the upstream error is re-raised
  (``on_error="raise"``, the default) or only reported on ``stream.error`` (``on_error="report"``); a block
  without fallback raises :class:`~guardrail.OutputBlocked` after the verdict event.

``stream.verdict``, ``stream.guarded``, ``stream.rationale`` and ``stream.error`` hold the results once the
iteration is over. A consumer that stops iterating early (``break``) ends the check too: no verdict is made
for an answer it chose not to read.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from .._errors import OutputBlocked
from .._types import STREAM_INTERRUPTED, Guarded, Verdict
from ._common import Converted, Outcome, adecide, convert_parts, decide

if TYPE_CHECKING:
    from .._guard import Guard

OnError = Literal["raise", "report"]


class Piece(BaseModel):
    """What a provider parser found in one upstream event."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["rationale", "answer", "redacted", "truncated", "end"]
    text: str = ""  # for "truncated": the reason (see guardrail._extract.truncation_reasons)


Parser = Callable[[Any], Iterable[Piece]]  # may also have ``flush() -> Iterable[Piece]`` for text it held back


class StreamEvent(BaseModel):
    """What the consumer of a guarded stream receives."""

    model_config = ConfigDict(frozen=True)
    type: Literal["rationale", "answer", "verdict"]
    text: str = ""
    verdict: Verdict | None = None


class _Collector:
    """The state of one stream: the rationale so far, the held answer, whether it ended normally."""

    def __init__(self, parser: Parser, pass_rationale: bool, format: str) -> None:
        self.parser, self.pass_rationale, self.format = parser, pass_rationale, format
        self.rationale: list[str] = []
        self.answer: list[str] = []
        self.truncated: list[str] = []  # output_truncated reasons: the provider stopped at its length limit
        self.redacted = self.ended = False

    def feed(self, event: Any) -> list[StreamEvent]:
        return self._take(self.parser(event))

    def flush(self) -> list[StreamEvent]:
        flush = getattr(self.parser, "flush", None)
        return self._take(flush()) if flush is not None else []

    def _take(self, pieces: Iterable[Piece]) -> list[StreamEvent]:
        out = []
        for piece in pieces:
            if piece.kind == "rationale" and piece.text:
                self.rationale.append(piece.text)
                if self.pass_rationale:
                    out.append(StreamEvent(type="rationale", text=piece.text))
            elif piece.kind == "answer":
                self.answer.append(piece.text)
            elif piece.kind == "redacted":
                self.redacted = True
            elif piece.kind == "truncated":
                self.truncated.append(piece.text)
            elif piece.kind == "end":
                self.ended = True
        return out

    def convert(self, error: Exception | None) -> Converted:
        reasons = list(self.truncated)
        if error is not None or not self.ended:  # what arrived is all there is: check it, never pass it
            why = f"the upstream raised {type(error).__name__}" if error is not None else "no end-of-stream marker"
            reasons.append(f"{STREAM_INTERRUPTED}: {why}; the answer may be incomplete")
        rationale, answer = "".join(self.rationale), "".join(self.answer)
        return convert_parts(rationale, answer, format=self.format, redacted=self.redacted, reasons=reasons)


class _StreamBase:
    def __init__(
        self,
        upstream: Any,
        parser: Parser,
        guard: Guard,
        question: str,
        *,
        pass_rationale: bool = True,
        on_error: OnError = "raise",
        format: str = "stream",
    ) -> None:
        if on_error not in ("raise", "report"):
            raise ValueError(f"on_error must be 'raise' or 'report', not {on_error!r}")
        self._upstream, self._guard, self._question, self._on_error = upstream, guard, question, on_error
        self._collector = _Collector(parser, pass_rationale, format)
        self.verdict: Verdict | None = None
        self.guarded: Guarded | None = None
        self.error: Exception | None = None
        self._started = False

    @property
    def rationale(self) -> str:
        return "".join(self._collector.rationale)

    @property
    def held_answer(self) -> str:
        """The answer text exactly as the model streamed it (kept even when it is blocked)."""
        return "".join(self._collector.answer)

    def _claim(self) -> None:
        if self._started:  # a stream is read once, like the SDKs' own streams
            raise RuntimeError("a guarded stream can only be iterated once")
        self._started = True

    def _release(self, converted: Converted, outcome: Outcome) -> list[StreamEvent]:
        held = self.held_answer
        text = converted.text if outcome.text is None else outcome.text
        self.verdict = outcome.verdict
        self.guarded = Guarded(output=text, original=held, verdict=outcome.verdict, display=outcome.display)
        late = []  # reasoning found only at the end (a lone "</think>"): it was held as answer text until now
        collector, extraction = self._collector, converted.extraction
        if collector.pass_rationale and not collector.rationale and extraction and extraction.format == "think_tags":
            late = [StreamEvent(type="rationale", text=extraction.rationale)]
        answer = [StreamEvent(type="answer", text=text)] if text else []
        return [*late, *answer, StreamEvent(type="verdict", verdict=outcome.verdict)]

    def _blocked(self, exc: OutputBlocked) -> StreamEvent:
        self.verdict = exc.verdict
        exc.original = self.held_answer  # the model's answer is never lost
        return StreamEvent(type="verdict", verdict=exc.verdict)

    def _reraise(self, blocked: OutputBlocked | None) -> None:
        if self.error is not None and self._on_error == "raise":
            raise self.error
        if blocked is not None:
            raise blocked


class GuardedStream(_StreamBase):
    """A guarded synchronous stream; iterate it once, like the SDK stream it wraps."""

    def __iter__(self):
        self._claim()
        return self._run()

    def _run(self):
        try:
            for event in self._upstream:
                yield from self._collector.feed(event)
            yield from self._collector.flush()
        except Exception as exc:  # the upstream broke mid-way: still check what arrived
            self.error = exc
        finally:
            self.close()
        converted = self._collector.convert(self.error)
        blocked = None
        try:
            outcome = decide(self._guard, self._question, converted, original=self.held_answer)
            yield from self._release(converted, outcome)
        except OutputBlocked as exc:
            blocked = exc
            yield self._blocked(exc)
        self._reraise(blocked)

    def close(self) -> None:
        close = getattr(self._upstream, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> GuardedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncGuardedStream(_StreamBase):
    """A guarded asynchronous stream; ``async for`` it once."""

    def __aiter__(self):
        self._claim()
        return self._run()

    async def _run(self):
        try:
            async for event in self._upstream:
                for item in self._collector.feed(event):
                    yield item
            for item in self._collector.flush():
                yield item
        except Exception as exc:
            self.error = exc
        finally:
            await self.close()
        converted = self._collector.convert(self.error)
        blocked = None
        try:
            outcome = await adecide(self._guard, self._question, converted, original=self.held_answer)
            for item in self._release(converted, outcome):
                yield item
        except OutputBlocked as exc:
            blocked = exc
            yield self._blocked(exc)
        self._reraise(blocked)

    async def close(self) -> None:
        close = getattr(self._upstream, "close", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result

    async def __aenter__(self) -> AsyncGuardedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


def guard_stream(
    upstream: Iterable[Any] | AsyncIterable[Any], parser: Parser, guard: Guard, question: str, **options: Any
) -> GuardedStream | AsyncGuardedStream:
    """Guard any stream given a parser for its events: sync or async is decided by the upstream object."""
    if hasattr(upstream, "__aiter__"):
        return AsyncGuardedStream(upstream, parser, guard, question, **options)
    return GuardedStream(upstream, parser, guard, question, **options)
