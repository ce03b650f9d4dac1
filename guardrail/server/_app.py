"""``create_app``: the FastAPI application of ``guardrail serve``.

Routes: ``POST /v1/check`` and ``/v1/check/batch`` (the record of ``guardrail score``), the proxies
``POST /v1/chat/completions`` and ``/v1/messages``, and ``GET /healthz``, ``/readyz``, ``/metrics``; OpenAPI
docs at ``/docs``. One verifier is loaded (in a worker thread, after start-up: ``/readyz`` says when) and
shared by every request through the micro-batcher; each request is admitted or refused at once (429), bounded
in body size (413) and time (504). A pure ASGI middleware does the API-key check (constant time), the access
log (method, route, status, latency: never a body, a header value or the query string) and the request
metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from .._cascade import scorer_for
from .._guard import Guard
from .._records import echo_id, encodable, error_record, non_finite_field, verdict_record
from ._batching import Admission, BatchingVerifier
from ._config import ServerConfig
from ._errors import (
    BadRequest,
    BodyTooLarge,
    InvalidShape,
    NotReady,
    RequestTimeout,
    ServerError,
    Unauthorized,
    UpstreamError,
)
from ._metrics import Metrics
from ._models import CheckBatch, CheckBatchResult, CheckItem, CheckRecord, ErrorBody
from ._proxy import Proxy
from ._upstream import Upstream

_log = structlog.get_logger("guardrail.server")
_OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")
_ROUTES = (
    "/v1/check", "/v1/check/batch", "/v1/chat/completions", "/v1/messages", *_OPEN_PATHS,
)  # fmt: skip
_DRAIN_EXTRA = 16 << 20  # an oversized body is read (and dropped) this far, so the client sees the 413


class _State:
    """What the routes share: settings, the Guard (once loaded), the batcher, admission, metrics, upstream."""

    def __init__(self, config: ServerConfig, verifier: Any, judge: Any) -> None:
        self.config = config
        self.metrics = Metrics()
        self.admission = Admission(config.queue_size, config.retry_after_s)
        self.metrics.set_queue_depth(lambda: self.admission.pending)
        self.upstream = Upstream(config.upstream_timeout_s, self._upstream_error)
        self.api_keys = config.api_keys()
        self.policy = config.policy.model_copy(
            update={"block_mode": "raise" if config.block_response == "error" else "fallback"}
        )
        self.given_verifier, self.judge = verifier, judge
        self.batcher: BatchingVerifier | None = None
        self.guard: Guard | None = None
        self.load_error: str | None = None
        self.draining = False

    def _upstream_error(self, provider: str, kind: str) -> None:
        self.metrics.upstream_errors.labels(provider=provider, kind=kind).inc()

    def load(self) -> None:
        """Load and verify the model (a worker thread), then build the Guard around the batcher."""
        verifier = self.given_verifier
        if verifier is None:
            from .._onnx import shared_verifier

            config = self.config
            verifier = shared_verifier(config.model_dir, threads=config.threads, batch_size=config.onnx_batch_size)
        self.batcher = BatchingVerifier(
            verifier,
            wait_ms=self.config.batch_wait_ms,
            max_batch=self.config.max_batch,
            workers=self.config.workers,
            observe=self.metrics.observe_batch,
            expected=lambda: self.admission.pending,
        )
        judge = self.judge
        if judge is None and self.config.judge == "claude":
            from .._judge import ClaudeJudge

            judge = ClaudeJudge.from_env()  # without a key, escalated verdicts say judge_unavailable
        scorer = scorer_for(judge, band=self.config.judge_band)(self.batcher)  # a Cascade when there is a judge
        self.guard = Guard(scorer=scorer, policy=self.policy, log_text=self.config.log_text)

    def ready_guard(self) -> Guard:
        if self.draining:
            raise NotReady("the server is shutting down", retry_after=self.config.retry_after_s)
        if self.guard is None:
            why = f"the model failed to load: {self.load_error}" if self.load_error else "the model is loading"
            raise NotReady(why, retry_after=self.config.retry_after_s)
        return self.guard


def create_app(config: ServerConfig | None = None, *, verifier: Any = None, judge: Any = None) -> FastAPI:
    """The service. ``verifier`` replaces the ONNX model (any :class:`~guardrail.Verifier`); ``judge`` adds the
    Claude audit judge (:class:`~guardrail.ClaudeJudge`) to the cascade. Nothing is loaded until start-up."""
    config = config or ServerConfig()
    state = _State(config, verifier, judge)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.upstream.start()
        loading = asyncio.create_task(_load(state))
        try:
            yield
        finally:
            state.draining = True  # uvicorn has stopped accepting and drained in-flight requests by now
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loading
            if state.batcher is not None:
                await state.batcher.stop()
            await state.upstream.close()
            _log.info("guardrail.server.stopped")

    app = FastAPI(
        title="rationale-guard",
        summary="Checks that an LLM's stated reasoning supports its answer; guarding OpenAI/Anthropic proxies.",
        lifespan=lifespan,
    )
    app.state.guardrail = state
    app.add_exception_handler(ServerError, _server_error)
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type", "x-api-key"])  # fmt: skip
    app.add_middleware(_Edge, state=state)
    _routes(app, state)
    return app


async def _load(state: _State) -> None:
    try:
        await asyncio.to_thread(state.load)
    except Exception as exc:  # ModelError and the like: /readyz says so, every check answers 503
        state.load_error = f"{type(exc).__name__}: {exc}"
        _log.error("guardrail.server.model_load_failed", error_type=type(exc).__name__, error=str(exc))
        return
    if state.batcher is not None:
        state.batcher.start()
    _log.info("guardrail.server.ready")


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body read by hand (so that bad bytes get our own 4xx, not a parser's)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 413, 422, 429, 503, 504)
}


def _routes(app: FastAPI, state: _State) -> None:
    config = state.config

    @app.post("/v1/check", response_model=CheckRecord, responses={**_ERRORS, 422: {"model": CheckRecord}},
              openapi_extra=_body_doc(CheckItem), summary="Check one item: the record of guardrail score")  # fmt: skip
    async def check(request: Request) -> Response:
        data = _object(await _body(request, config.max_body_bytes))
        _validate(CheckItem, data)
        guard = state.ready_guard()
        echo = echo_id(data, "request")
        started = time.perf_counter()
        with state.admission.reserve(1):
            verdicts = await _timed(guard.acheck_many([_item(data, echo)]), config.request_timeout_s)
        state.metrics.check_seconds.labels(route="/v1/check").observe(time.perf_counter() - started)
        state.metrics.observe_verdict(verdicts[0], "/v1/check")
        record = encodable(verdict_record(echo, verdicts[0]))
        return JSONResponse(record, status_code=422 if record["error"] else 200)

    @app.post("/v1/check/batch", response_model=CheckBatchResult, responses=_ERRORS,
              openapi_extra=_body_doc(CheckBatch), summary="Check many items; one record each, in order")  # fmt: skip
    async def check_batch(request: Request) -> Response:
        data = _object(await _body(request, config.max_body_bytes))
        items = _validate(CheckBatch, data).items
        if len(items) > config.max_batch_items:
            raise BodyTooLarge(f"items: at most {config.max_batch_items} per request, got {len(items)}")
        guard = state.ready_guard()
        records: list[dict[str, Any] | None] = []
        checked: list[dict[str, Any]] = []
        echoes = []
        for index, item in enumerate(items):
            echo = echo_id(item, f"item-{index}")
            try:
                _validate(CheckItem, item)
                field = non_finite_field(item)
                if field is not None:
                    raise InvalidShape(f"non_finite_number: {field} is NaN or infinite")
            except InvalidShape as exc:
                records.append(error_record(echo, f"input_error: invalid_shape: {exc.message}", guard.policy))
                continue
            records.append(None)
            checked.append(_item(item, echo))
            echoes.append(echo)
        started = time.perf_counter()
        with state.admission.reserve(max(1, len(checked))):
            verdicts = await _timed(guard.acheck_many(checked), config.request_timeout_s) if checked else []
        state.metrics.check_seconds.labels(route="/v1/check/batch").observe(time.perf_counter() - started)
        latency_ms = (time.perf_counter() - started) * 1000.0 / max(1, len(verdicts))
        pending = iter(zip(echoes, verdicts, strict=True))
        out = []
        for record in records:
            if record is None:
                echo, verdict = next(pending)
                state.metrics.observe_verdict(verdict, "/v1/check/batch")
                record = verdict_record(echo, verdict, latency_ms=latency_ms)
            out.append(record)
        return JSONResponse(encodable({"records": out}))

    openai_proxy, anthropic_proxy = Proxy("openai", state), Proxy("anthropic", state)

    @app.post("/v1/chat/completions", responses=_ERRORS, summary="OpenAI-compatible guarding proxy")
    async def chat_completions(request: Request) -> Response:
        body = _object(await _body(request, config.max_body_bytes))
        state.ready_guard()
        return await openai_proxy.handle(request, body)

    @app.post("/v1/messages", responses=_ERRORS, summary="Anthropic Messages guarding proxy")
    async def messages(request: Request) -> Response:
        body = _object(await _body(request, config.max_body_bytes))
        state.ready_guard()
        return await anthropic_proxy.handle(request, body)

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: the model is loaded and verified, and the server is not draining")
    async def readyz() -> Response:
        if state.guard is not None and not state.draining:
            verifier = state.batcher.verifier if state.batcher else None
            return JSONResponse({"status": "ready", "model": getattr(verifier, "name", None),
                                 "model_version": getattr(verifier, "model_version", None)})  # fmt: skip
        status = "draining" if state.draining else ("failed" if state.load_error else "loading")
        return JSONResponse({"status": status, "error": state.load_error}, status_code=503,
                            headers={"retry-after": str(config.retry_after_s)})  # fmt: skip

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        payload, content_type = state.metrics.render()
        return Response(payload, media_type=content_type)


def _item(data: dict[str, Any], echo: Any) -> dict[str, Any]:
    return {**{key: data.get(key) for key in ("question", "output", "rationale", "answer")}, "id": str(echo)}


async def _timed(work: Any, timeout_s: float) -> Any:
    try:
        return await asyncio.wait_for(work, timeout_s)
    except asyncio.TimeoutError as exc:
        raise RequestTimeout(f"no verdict within {timeout_s:g} s") from exc


async def _body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (413 past it, after reading a bounded amount more)."""
    declared = request.headers.get("content-length", "")
    size, chunks, too_large = 0, [], declared.isdigit() and int(declared) > limit
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_large = True
        if too_large:
            if size > limit + _DRAIN_EXTRA:
                break
            continue
        chunks.append(chunk)
    if too_large:
        raise BodyTooLarge(f"the request body is over the limit of {limit} bytes")
    return b"".join(chunks)


def _object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 for bytes that are not UTF-8 JSON, 422 for another JSON value."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"not_utf8: the body is not valid UTF-8 (byte {exc.start})") from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise BadRequest("empty_body: expected a JSON object")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"invalid_json: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("invalid_json: nested too deeply") from exc
    if not isinstance(data, dict):
        raise InvalidShape(f"not_an_object: the body is a JSON {type(data).__name__}, expected an object")
    field = non_finite_field(data)
    if field is not None:
        raise InvalidShape(f"non_finite_number: {field} is NaN or infinite")
    return data


def _validate(model: type[BaseModel], data: Any) -> Any:
    """``model`` from ``data``, or 422 naming each bad field and why (never echoing the input)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors()[:8]
        )
        raise InvalidShape(problems) from exc


async def _server_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServerError)
    headers = {"retry-after": str(int(max(1, round(exc.retry_after))))} if exc.retry_after else {}
    if isinstance(exc, UpstreamError) and exc.body is not None:  # the upstream's own error answer, as it came
        headers.update(exc.headers)
        return Response(exc.body, status_code=exc.status, headers=headers)
    detail = {"type": exc.code, "code": exc.code, "message": exc.message}
    if request.url.path == "/v1/messages":
        body: dict[str, Any] = {"type": "error", "error": detail}
    else:
        body = {"error": detail}
    verdict = getattr(exc, "verdict", None)
    if verdict is not None:
        from ._proxy import verdict_headers, verdict_summary

        body["guardrail"] = verdict_summary(verdict)
        headers.update(verdict_headers(verdict))
    return JSONResponse(body, status_code=exc.status, headers=headers)


class _Edge:
    """Pure ASGI middleware (streams pass untouched): API keys, access log, request metrics."""

    def __init__(self, app: Any, state: _State) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        route = path if path in _ROUTES else "other"
        status = {"code": 500}
        request_id = uuid.uuid4().hex[:16]

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if self.state.api_keys and path not in _OPEN_PATHS and not self._authorized(scope):
                self.state.metrics.rejected.labels(reason="unauthorized").inc()
                error = Unauthorized("a valid service API key is required (Authorization: Bearer KEY or x-api-key)")
                response = await _server_error(Request(scope), error)
                await response(scope, receive, sending)
                return
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            code = status["code"]
            metrics = self.state.metrics
            metrics.requests.labels(route=route, status=str(code)).inc()
            metrics.request_seconds.labels(route=route).observe(seconds)
            if code in (413, 429, 503, 504):
                metrics.rejected.labels(reason=str(code)).inc()
            _log.info("guardrail.server.access", request_id=request_id, method=scope.get("method"), route=route,
                      status=code, ms=round(seconds * 1000.0, 2))  # fmt: skip

    def _authorized(self, scope: dict[str, Any]) -> bool:
        given = []
        for name, value in scope.get("headers", ()):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                given.append(value[7:].strip())
            elif name == b"x-api-key":
                given.append(value.strip())
        ok = False
        for candidate in given:
            for key in self.state.api_keys:
                ok |= hmac.compare_digest(candidate, key)  # every pair compared: no early exit
        return ok
