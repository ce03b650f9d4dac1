"""ClaudeJudge: the optional audit judge, a :class:`~guardrail.Verifier` built on the ``anthropic`` SDK.

Every input gets exactly one Opinion. A failure for one input (API error after retries, malformed
reply, breaker open, budget spent, deadline passed, no API key) is an Opinion with ``error`` set and
``consistency=None``; nothing here raises for one item. Only one layer retries: the SDK's own retries
are turned off (``max_retries=0``) and :class:`~guardrail.RetryPolicy` decides.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import structlog

from .._errors import JudgeError, JudgeResponseError, JudgeUnavailableError
from .._resilience import (
    BreakerState,
    CallBudget,
    CircuitBreaker,
    Clock,
    ConcurrencyLimit,
    ContentCache,
    Deadline,
    RetryPolicy,
    content_key,
    is_connection_error,
    status_of,
)
from .._types import CheckInput, Opinion
from ._prompt import PROMPT_VERSION, TOOL_NAME, JudgeRequest, build_request
from ._report import JudgeReport, parse_reply, report_reasons, valid_steps

# Cheap and fast enough to audit every escalated case, and it honours a forced tool_choice (Claude
# 5-generation models refuse one, see _forced_tool_supported). Any Messages API model id works.
DEFAULT_MODEL = "claude-haiku-4-5"
_log = structlog.get_logger("guardrail.judge")
_REQUEST_SPECIFIC = frozenset({400, 413, 422})  # this input's request was refused, not the service down


def _forced_tool_supported(model: str) -> bool:
    """Claude 5-generation models think adaptively by default and reject a forced tool_choice (400),
    so they get tool_choice "auto" plus the prompt's instruction; a reply without the call is a failure."""
    digits = [part for part in model.split("-") if part.isdigit()]
    return not digits or int(digits[0]) < 5


class _Attempts:
    """Counts the requests sent for one item (for the opinion's details and the error message)."""

    def __init__(self) -> None:
        self.count = 0


class _Job:
    """One item on its way to the judge: what the sync and async paths share before sending (the cache
    lookup, the request) and after (the opinion's timing and attempts)."""

    def __init__(self, item: CheckInput) -> None:
        self.item = item
        self.start = time.perf_counter()
        self.attempts = _Attempts()
        self.key = ""
        self.request: JudgeRequest | None = None


class ClaudeJudge:
    """Ask Claude whether a rationale supports its answer. See the module docstring for the fault rules.

    ``timeout`` bounds one request; ``deadline`` bounds everything one input costs once it holds a
    concurrency slot (all attempts and waits; each request's timeout is clipped to the time left), so a
    batch of n inputs takes at most about ceil(n / max_concurrency) * deadline, and far less when the
    breaker opens. ``budget`` caps the requests sent over the judge's lifetime (retries included).
    """

    def __init__(
        self,
        client: Any = None,
        *,
        async_client: Any = None,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 20.0,
        deadline: float | None = 60.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        max_concurrency: int = 4,
        budget: int | CallBudget | None = None,
        cache_size: int = 1024,
        max_field_chars: int = 8000,
        max_tokens: int | None = None,
        force_tool: bool | None = None,
        effort: str | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.model = model
        self.name = f"claude:{model}"
        self.timeout = timeout
        self.deadline = deadline
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.budget = budget if isinstance(budget, CallBudget) else CallBudget(budget)
        self.cache: ContentCache[Opinion] = ContentCache(cache_size)
        self.limit = ConcurrencyLimit(max_concurrency)
        self.max_field_chars = max_field_chars
        self.force_tool = _forced_tool_supported(model) if force_tool is None else force_tool
        # Without a forced tool call the model may think first: leave room so the call is not cut off.
        self.max_tokens = max_tokens or (1024 if self.force_tool else 4096)
        self.effort = effort
        self._clock = clock
        # None: the SDK resolves ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN itself (a token goes as a bearer).
        self._api_key = api_key
        self._base_url = base_url
        # Never mutate the caller's client: with_options returns a copy with the SDK's retries off.
        self._client = client.with_options(max_retries=0) if client is not None else None
        self._async_client = async_client.with_options(max_retries=0) if async_client is not None else None
        self._client_lock = threading.Lock()
        self._own_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self.unavailable_reason = self._find_unavailable_reason()
        self.available = self.unavailable_reason is None

    @classmethod
    def from_env(cls, **overrides: Any) -> ClaudeJudge:
        """A judge configured from ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL; keyword arguments win."""
        settings: dict[str, Any] = {
            "api_key": os.environ.get("ANTHROPIC_API_KEY") or None,
            "base_url": os.environ.get("ANTHROPIC_BASE_URL") or None,
        }
        settings.update(overrides)
        return cls(**settings)

    def __repr__(self) -> str:
        return f"ClaudeJudge(model={self.model!r}, available={self.available})"

    def _find_unavailable_reason(self) -> str | None:
        if self._client is not None or self._async_client is not None:
            return None
        if importlib.util.find_spec("anthropic") is None:
            return "anthropic is not installed (pip install 'rationale-guard[claude]')"
        if not (self._api_key or os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
            return "no API key (set ANTHROPIC_API_KEY)"
        return None

    # --- public API -------------------------------------------------------------------------------

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        items = list(items)
        if self._client is None and self._async_client is not None and self.unavailable_reason is None:
            return _run_coroutine_in_thread(self.acall(items))
        if len(items) <= 1 or self.unavailable_reason is not None:
            return [self._judge_one(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.limit.limit, len(items))) as pool:
            return list(pool.map(self._judge_one, items))

    async def acall(self, items: Sequence[CheckInput]) -> list[Opinion]:
        items = list(items)
        if self._async_client is None and self._client is not None:
            # A sync client was given: run it in worker threads rather than block the event loop.
            return await asyncio.to_thread(self.__call__, items)
        return list(await asyncio.gather(*(self._ajudge_one(item) for item in items)))

    # --- one item, sync ----------------------------------------------------------------------------

    def _judge_one(self, item: CheckInput) -> Opinion:
        job = _Job(item)
        try:
            cached = self._lookup(job)
            if cached is not None:
                return cached
            report = parse_reply(self._send_sync(job.request, job.attempts), TOOL_NAME)  # type: ignore[arg-type]
        except Exception as exc:  # a bug or an unexpected SDK error must not lose the verdict
            return self._failure(exc, job)
        return self._success(report, job)

    def _send_sync(self, request: JudgeRequest, attempts: _Attempts) -> Any:
        if self.unavailable_reason is not None:
            raise JudgeUnavailableError(f"judge_unavailable: {self.unavailable_reason}")
        with self.limit.sync:
            self._admit()  # after the slot: the breaker may have opened while this item queued
            deadline = Deadline(self.deadline, clock=self._clock)
            with self._breaker_outcome(attempts):
                client = self._sync_client()
                kwargs = self._create_kwargs(request)
                for attempt in self.retry.retrying(deadline):
                    with attempt:
                        self._before_attempt(deadline, attempts)
                        message = client.messages.create(**kwargs, timeout=deadline.clip(self.timeout))
            return message

    # --- one item, async ---------------------------------------------------------------------------

    async def _ajudge_one(self, item: CheckInput) -> Opinion:
        job = _Job(item)
        try:
            cached = self._lookup(job)
            if cached is not None:
                return cached
            report = parse_reply(await self._send_async(job.request, job.attempts), TOOL_NAME)  # type: ignore[arg-type]
        except Exception as exc:
            return self._failure(exc, job)
        return self._success(report, job)

    async def _send_async(self, request: JudgeRequest, attempts: _Attempts) -> Any:
        if self.unavailable_reason is not None:
            raise JudgeUnavailableError(f"judge_unavailable: {self.unavailable_reason}")
        async with self.limit.for_running_loop():
            self._admit()
            deadline = Deadline(self.deadline, clock=self._clock)
            with self._breaker_outcome(attempts):
                client = self._async_client_for_loop()
                kwargs = self._create_kwargs(request)
                async for attempt in self.retry.async_retrying(deadline):
                    with attempt:
                        self._before_attempt(deadline, attempts)
                        message = await client.messages.create(**kwargs, timeout=deadline.clip(self.timeout))
            return message

    @contextmanager
    def _breaker_outcome(self, attempts: _Attempts) -> Iterator[None]:
        """Tell the breaker how the sending in the ``with`` block (sync or async) ended; API errors become
        :class:`JudgeError`. The breaker's probe slot was taken by ``_admit``."""
        try:
            yield
        except JudgeUnavailableError:
            self.breaker.release_probe()
            raise
        except Exception as exc:
            self._record_failure(exc)
            raise JudgeError(describe_api_error(exc, attempts.count)) from exc
        except BaseException:  # cancelled: a half-open probe slot must not stay taken forever
            self.breaker.release_probe()
            raise
        self.breaker.record_success()

    def _create_kwargs(self, request: JudgeRequest) -> dict[str, Any]:
        kwargs = request.create_kwargs(model=self.model, max_tokens=self.max_tokens, force_tool=self.force_tool)
        if self.effort is not None:
            kwargs["output_config"] = {"effort": self.effort}
        return kwargs

    # --- gates -------------------------------------------------------------------------------------

    def _admit(self) -> None:
        """Refuse before any request when the judge cannot be asked. Takes the breaker's probe slot last."""
        if self.budget.remaining == 0:
            raise JudgeUnavailableError("judge_unavailable: budget_spent")
        if not self.breaker.allow():
            raise JudgeUnavailableError("judge_unavailable: breaker_open")

    def _record_failure(self, exc: BaseException) -> None:
        # Only failures of the service count toward opening the breaker; a request this one input made
        # invalid (400, 413, 422) or a local error says nothing about the service.
        status = status_of(exc)
        if status in _REQUEST_SPECIFIC or (status is None and not is_connection_error(exc)):
            self.breaker.release_probe()
        else:
            self.breaker.record_failure()

    def _before_attempt(self, deadline: Deadline, attempts: _Attempts) -> None:
        # Raised inside the retry loop; JudgeUnavailableError is not transient, so tenacity stops at once.
        if attempts.count and self.breaker.state is BreakerState.OPEN:
            raise JudgeUnavailableError("judge_unavailable: breaker_open")
        if deadline.expired:
            raise JudgeUnavailableError("judge_unavailable: deadline_exceeded")
        if not self.budget.try_spend():
            raise JudgeUnavailableError("judge_unavailable: budget_spent")
        attempts.count += 1

    # --- clients -----------------------------------------------------------------------------------

    def _sync_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import anthropic  # optional extra: imported only when a request is about to be sent

                self._client = anthropic.Anthropic(
                    api_key=self._api_key, base_url=self._base_url, timeout=self.timeout, max_retries=0
                )
            return self._client

    def _async_client_for_loop(self) -> Any:
        """The caller's async client, or one built per event loop (an httpx2.AsyncClient's connection pool
        belongs to the loop that opened it, and a program may call ``asyncio.run`` more than once)."""
        if self._async_client is not None:
            return self._async_client
        loop = asyncio.get_running_loop()
        with self._client_lock:
            client = self._own_async_clients.get(loop)
            if client is None:
                import anthropic

                client = self._own_async_clients[loop] = anthropic.AsyncAnthropic(
                    api_key=self._api_key, base_url=self._base_url, timeout=self.timeout, max_retries=0
                )
            return client

    # --- results -----------------------------------------------------------------------------------

    def _lookup(self, job: _Job) -> Opinion | None:
        """The cached opinion on the item (sync and async alike), or None once its request is built to send."""
        job.key = content_key(self.model, PROMPT_VERSION, job.item.question, job.item.rationale, job.item.answer)
        cached = self.cache.get(job.key)
        if cached is not None:
            return _as_cached(cached, job.start)
        job.request = build_request(job.item, max_field_chars=self.max_field_chars)
        return None

    def _success(self, report: JudgeReport, job: _Job) -> Opinion:
        request, attempts = job.request, job.attempts
        assert request is not None  # sent, so built
        opinion = Opinion(
            verifier=self.name,
            consistency=report.consistency,
            flagged_steps=valid_steps(report, request.n_steps),
            reasons=report_reasons(report),
            model_id=self.model,
            model_version=PROMPT_VERSION,
            latency_ms=_ms_since(job.start),
            details={"report": report.model_dump(mode="json"), "attempts": attempts.count, "cached": False},
        )
        self.cache.put(job.key, opinion)
        return opinion

    def _failure(self, exc: Exception, job: _Job) -> Opinion:
        attempts = job.attempts
        if not isinstance(exc, JudgeError):  # a bug or an unexpected SDK error: named by its type only
            exc = JudgeError(f"judge_failed: {type(exc).__name__}")
        message = f"judge_response_invalid: {exc}" if isinstance(exc, JudgeResponseError) else str(exc)
        log = _log.debug if isinstance(exc, JudgeUnavailableError) else _log.warning
        log("judge_failed", verifier=self.name, error=message, attempts=attempts.count)
        return Opinion(
            verifier=self.name,
            consistency=None,
            reasons=(message,),
            model_id=self.model,
            model_version=PROMPT_VERSION,
            latency_ms=_ms_since(job.start),
            error=message,
            details={"attempts": attempts.count, "error_type": type(exc).__name__},
        )


def describe_api_error(exc: BaseException, attempts: int) -> str:
    """A short, stable error text (no response bodies: they may echo user text)."""
    if isinstance(exc, JudgeResponseError):
        return str(exc)
    status = status_of(exc)
    kinds = {429: "rate_limited", 529: "overloaded"}
    if status is not None:
        kind = kinds.get(status, "server_error" if status >= 500 else "http_error")
        what = f"{kind} ({status})"
    elif "Timeout" in type(exc).__name__:
        what = "timeout"
    elif is_connection_error(exc):
        what = "connection_error"
    else:
        what = type(exc).__name__
    return f"judge_failed: {what} after {attempts} attempt{'s' if attempts != 1 else ''}"


def _as_cached(opinion: Opinion, start: float) -> Opinion:
    details = {**opinion.details, "cached": True, "attempts": 0}
    return opinion.model_copy(update={"details": details, "latency_ms": _ms_since(start)})


def _ms_since(start: float) -> float:
    return max(0.0, (time.perf_counter() - start) * 1000.0)


def _run_coroutine_in_thread(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even when the caller is inside an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
