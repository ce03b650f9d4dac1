"""Calls to the upstream model server (httpx, one pooled client per app) and its server-sent events.

Upstream replies are turned into permissive pydantic objects (:func:`loose`) so the adapters
(``guard_openai`` / ``guard_anthropic``) read and rebuild them exactly as they do the SDKs' objects, without
the SDKs installed. Credentials go into the upstream request only; nothing here logs a header or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._errors import UpstreamError

_RELAYED_HEADERS = ("retry-after", "content-type", "x-request-id", "request-id")


class Loose(BaseModel):
    """Any JSON object, its fields readable as attributes and copyable with ``model_copy`` (as SDK models)."""

    model_config = ConfigDict(extra="allow")


def loose(value: Any) -> Any:
    """A JSON value with every object turned into a :class:`Loose` (lists kept as lists)."""
    if isinstance(value, dict):
        return Loose.model_validate({str(k): loose(v) for k, v in value.items()})
    if isinstance(value, list):
        return [loose(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """Back from :func:`loose` to JSON values."""
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in {**value.__dict__, **(value.__pydantic_extra__ or {})}.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


class Upstream:
    """The pooled HTTP client for the upstream model servers; ``observe_error(provider, kind)`` counts failures."""

    def __init__(self, timeout_s: float, observe_error: Callable[[str, str], None]) -> None:
        self.timeout_s = timeout_s
        self._observe_error = observe_error
        self._client: Any = None

    async def start(self) -> None:
        import httpx

        timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @contextlib.contextmanager
    def _transport_errors(self, provider: str) -> Iterator[None]:
        """One mapping of transport failures to upstream errors (a timeout is 504, anything else 502)."""
        import httpx

        try:
            yield
        except (httpx.TimeoutException, asyncio.TimeoutError) as exc:
            self._observe_error(provider, "timeout")
            raise UpstreamError(f"the upstream did not answer within {self.timeout_s:g} s", status=504) from exc
        except httpx.HTTPError as exc:
            self._observe_error(provider, "connect")
            raise UpstreamError(f"the upstream could not be reached ({type(exc).__name__})") from exc

    async def post_json(self, provider: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        """The upstream's JSON reply to ``body``; an error status, a timeout or a bad reply raise UpstreamError."""
        with self._transport_errors(provider):
            response = await self._client.post(url, content=_dumps(body), headers=headers)
        if response.status_code != 200:
            raise self._status_error(provider, response.status_code, response.content, response.headers)
        try:
            return response.json()
        except ValueError as exc:
            self._observe_error(provider, "bad_reply")
            raise UpstreamError("the upstream answered with a body that is not JSON") from exc

    async def open_stream(
        self, provider: str, url: str, body: dict[str, Any], headers: dict[str, str], *, deadline: float,
        on_event: Callable[[dict[str, Any]], None],
    ) -> UpstreamEvents:  # fmt: skip
        """The upstream's event stream, once it answered 200 (an error status is raised, with its body)."""
        request = self._client.build_request("POST", url, content=_dumps(body), headers=headers)
        with self._transport_errors(provider):
            response = await asyncio.wait_for(self._client.send(request, stream=True), _left(deadline))
        if response.status_code != 200:
            try:
                content = await response.aread()
            finally:
                await response.aclose()
            raise self._status_error(provider, response.status_code, content, response.headers)
        return UpstreamEvents(response, deadline, on_event, lambda kind: self._observe_error(provider, kind))

    def _status_error(self, provider: str, status: int, content: bytes, headers: Any) -> UpstreamError:
        self._observe_error(provider, f"status_{status}")
        relayed = {name: headers[name] for name in _RELAYED_HEADERS if name in headers}
        code = status if 400 <= status < 600 else 502
        return UpstreamError(f"the upstream answered {status}", status=code, body=content, headers=relayed)


class UpstreamEvents:
    """The JSON events of an upstream SSE stream, as an async iterator with ``close()`` (what the guarded
    stream expects of an SDK stream). ``[DONE]`` ends it; a read error, a timeout or a malformed event raise
    (the guarded stream then says ``stream_interrupted``)."""

    def __init__(
        self, response: Any, deadline: float, on_event: Callable[[dict[str, Any]], None], failed: Callable[[str], None]
    ) -> None:
        self._response, self._deadline, self._on_event, self._failed = response, deadline, on_event, failed
        self._lines: AsyncIterator[str] = response.aiter_lines()
        self._done = False

    def __aiter__(self) -> UpstreamEvents:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._done:
            raise StopAsyncIteration
        try:
            event = await asyncio.wait_for(self._next_event(), _left(self._deadline))
        except asyncio.TimeoutError as exc:
            self._failed("timeout")
            raise UpstreamError("the upstream stream stalled past the request timeout", status=504) from exc
        except Exception:
            self._failed("stream_broken")
            raise
        if event is None:
            self._done = True
            raise StopAsyncIteration
        self._on_event(event)
        return event

    async def _next_event(self) -> dict[str, Any] | None:
        """The next JSON object event; ``None`` at the end (``[DONE]`` or the end of the body)."""
        data: list[str] = []
        async for line in self._lines:
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif not line and data:
                text = "\n".join(data)
                if text.strip() == "[DONE]":
                    return None
                try:
                    event = json.loads(text)
                except ValueError as exc:
                    raise UpstreamError("the upstream sent an event that is not JSON") from exc
                if isinstance(event, dict):
                    return event
                data = []
        if data and "".join(data).strip() != "[DONE]":  # a last event without its blank line
            raise UpstreamError("the upstream stream ended inside an event")
        return None

    async def close(self) -> None:
        await self._response.aclose()


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
