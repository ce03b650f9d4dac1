"""The guarded ``create`` every provider adapter returns, built from a :class:`Provider` record: what one
provider's API needs (how to read a response, rebuild it, parse its stream, refuse a request), kept apart from
what the caller chose (the question finder, streaming options, sync or async)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._question import ask
from ._common import Converted, Outcome, QuestionFn, adecide, decide
from ._streaming import AsyncGuardedStream, GuardedStream, OnError, Parser

if TYPE_CHECKING:
    from .._guard import Guard


@dataclass(frozen=True)
class Provider:
    """One provider API as the adapters see it.

    ``convert(response) -> [Converted, ...]``: one per candidate answer (OpenAI's ``n`` choices; every one is
    checked); ``rebuild(response, outcomes)``: the response for what the Guard decided; ``parser()``: a fresh
    stream parser for a ``stream=True`` call; ``check_request(kwargs)`` may refuse a request before it is sent;
    ``format`` names the provider in ``Extraction.format`` for streamed outputs; ``method`` is where a client
    keeps the call (``("messages", "create")``), so that a client or the method itself can be passed.
    """

    format: str
    method: tuple[str, ...]
    convert: Callable[[Any], Sequence[Converted]]
    rebuild: Callable[[Any, Sequence[Outcome]], Any]
    parser: Callable[[], Parser]
    check_request: Callable[[Mapping[str, Any]], None] | None = None


def wrap_create(
    create: Callable[..., Any],
    guard: Guard,
    provider: Provider,
    *,
    question: QuestionFn,
    pass_rationale: bool,
    on_error: OnError,
    is_async: bool | None,
) -> Callable[..., Any]:
    """The guarded ``create`` (a client, or its method). Sync vs async is decided here, once (``is_async=None``:
    from ``create``)."""
    create = _method_of(create, provider.method)
    stream_options: dict[str, Any] = {"pass_rationale": pass_rationale, "on_error": on_error, "format": provider.format}

    def sent(kwargs: Mapping[str, Any]) -> None:
        if provider.check_request is not None:
            provider.check_request(kwargs)

    if is_async if is_async is not None else is_async_callable(create):

        @functools.wraps(create)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            sent(kwargs)
            response = await create(*args, **kwargs)
            asked = ask(question, kwargs)
            if kwargs.get("stream"):
                return AsyncGuardedStream(response, provider.parser(), guard, asked, **stream_options)
            outcomes = [await adecide(guard, asked, c, original=response) for c in provider.convert(response)]
            return provider.rebuild(response, outcomes)

        return acreate

    @functools.wraps(create)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        sent(kwargs)
        response = create(*args, **kwargs)
        asked = ask(question, kwargs)
        if kwargs.get("stream"):
            return GuardedStream(response, provider.parser(), guard, asked, **stream_options)
        outcomes = [decide(guard, asked, c, original=response) for c in provider.convert(response)]
        return provider.rebuild(response, outcomes)

    return wrapped


def _method_of(client: Any, path: Sequence[str]) -> Callable[..., Any]:
    """``client.<path>`` when ``client`` is a client; else ``client`` is the method itself."""
    found = client
    for name in path:
        found = getattr(found, name, None)
    return found if callable(found) else client


def is_async_callable(fn: Callable[..., Any]) -> bool:
    """SDK methods hide ``async def`` behind sync decorators that use functools.wraps; unwrap to see it."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(inspect.unwrap(fn))
