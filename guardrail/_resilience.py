"""Small composable pieces that keep a remote verifier from making the guard fragile, slow or expensive.

- :class:`RetryPolicy`: which errors are worth another try and how long to wait (tenacity under the hood).
- :class:`Deadline`: an overall time limit that every wait and every request timeout is clipped to.
- :class:`CircuitBreaker`: stop calling a service that keeps failing; probe it again later.
- :class:`CallBudget`: an optional cap on the number of requests sent.
- :class:`ContentCache`: a small thread-safe LRU keyed by a sha256 of the request content.
- :class:`ConcurrencyLimit`: at most N requests in flight, for threads and for event loops.

Nothing here imports a provider SDK: errors are classified by duck typing (``status_code``,
``response.headers``, the class name ``APIConnectionError``), so the module costs nothing to import.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import random
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

import tenacity

Clock = Callable[[], float]
T = TypeVar("T")

# 429 rate limited, 529 overloaded, every 5xx; 4xx other than 429 means our request is wrong: never retry.
_RETRYABLE_STATUS = frozenset({429, 529})
_CONNECTION_ERROR_NAMES = frozenset({"APIConnectionError", "APITimeoutError"})


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_connection_error(exc: BaseException) -> bool:
    """Network trouble: the SDK's APIConnectionError/APITimeoutError, or the stdlib equivalents."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(cls.__name__ in _CONNECTION_ERROR_NAMES for cls in type(exc).__mro__)


def is_transient(exc: BaseException) -> bool:
    """True for errors another attempt may fix: 429, 529, 5xx, connection errors and timeouts."""
    status = status_of(exc)
    if status is not None:
        return status in _RETRYABLE_STATUS or 500 <= status <= 599
    return is_connection_error(exc)


def retry_after_seconds(exc: BaseException, *, now: Callable[[], float] = time.time) -> float | None:
    """The server's requested wait, from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


class Deadline:
    """A point in time after which no new attempt starts and no wait is allowed to end."""

    def __init__(self, seconds: float | None, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._end = None if seconds is None else clock() + seconds

    def remaining(self) -> float:
        return float("inf") if self._end is None else max(0.0, self._end - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def clip(self, seconds: float) -> float:
        return min(seconds, self.remaining())


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry one request. Passed in as an object, like a tenacity strategy.

    Exponential backoff with full jitter: wait = uniform(0, min(max_backoff, base * 2**(n-1))), but never
    shorter than the server's ``retry-after`` / ``retry-after-ms``. Stops after ``max_attempts``, when
    the server asks for a wait longer than ``max_retry_after`` (retrying earlier would only be refused
    again), or when the next wait would end past the deadline; so a failing service costs at most
    ``max_attempts`` requests and never outlives the caller's deadline.
    """

    max_attempts: int = 3
    backoff_base: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 30.0
    retryable: Callable[[BaseException], bool] = is_transient
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.backoff_base < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("backoff_base, max_backoff and max_retry_after must be >= 0")

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = self.rng.uniform(0.0, min(self.max_backoff, self.backoff_base * 2 ** (attempt - 1)))
        server_wait = retry_after_seconds(exc) if exc is not None else None
        return backoff if server_wait is None else max(backoff, server_wait)

    def max_total_wait(self) -> float:
        """Upper bound on the time spent sleeping between attempts of one request."""
        waits = (
            max(min(self.max_backoff, self.backoff_base * 2 ** (n - 1)), self.max_retry_after)
            for n in range(1, self.max_attempts)
        )
        return float(sum(waits))

    def _tenacity_kwargs(self, deadline: Deadline) -> dict[str, Any]:
        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_seconds(state.attempt_number, exc)

        def stop(state: tenacity.RetryCallState) -> bool:
            # tenacity computes the wait before asking stop: give up if that wait is too long for us.
            return (
                state.attempt_number >= self.max_attempts
                or state.upcoming_sleep > max(self.max_backoff, self.max_retry_after)
                or state.upcoming_sleep >= deadline.remaining()
            )

        return {
            "retry": tenacity.retry_if_exception(self.retryable),
            "wait": wait,
            "stop": stop,
            "reraise": True,
        }

    def retrying(self, deadline: Deadline, *, sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
        return tenacity.Retrying(sleep=sleep, **self._tenacity_kwargs(deadline))

    def async_retrying(self, deadline: Deadline) -> tenacity.AsyncRetrying:
        return tenacity.AsyncRetrying(sleep=asyncio.sleep, **self._tenacity_kwargs(deadline))


class BreakerState(str, Enum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls refused until reset_after has passed
    HALF_OPEN = "half_open"  # one probe call allowed; its outcome closes or re-opens the breaker


class CircuitBreaker:
    """closed -> open after ``failure_threshold`` consecutive failures -> half-open after ``reset_after``
    seconds (one probe) -> closed on success, open again on failure. Thread-safe; the clock is injectable."""

    def __init__(self, failure_threshold: int = 5, reset_after: float = 30.0, *, clock: Clock = time.monotonic):
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def allow(self) -> bool:
        """May a call start now? In half-open state only one probe is let through at a time."""
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
            self._probe_in_flight = False

    def release_probe(self) -> None:
        """Give back the half-open probe slot when the probe call never reached the service."""
        with self._lock:
            self._probe_in_flight = False

    def _maybe_half_open(self) -> None:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.reset_after:
            self._state = BreakerState.HALF_OPEN
            self._probe_in_flight = False


class CallBudget:
    """At most ``max_calls`` requests in the lifetime of this object (None: unlimited). Thread-safe."""

    def __init__(self, max_calls: int | None) -> None:
        if max_calls is not None and max_calls < 0:
            raise ValueError("max_calls must be >= 0")
        self.max_calls = max_calls
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    @property
    def remaining(self) -> int | None:
        return None if self.max_calls is None else max(0, self.max_calls - self._used)

    def try_spend(self) -> bool:
        with self._lock:
            if self.max_calls is not None and self._used >= self.max_calls:
                return False
            self._used += 1
            return True


def content_key(*parts: str) -> str:
    """sha256 over the parts, length-prefixed through JSON so that ("ab", "c") != ("a", "bc")."""
    # surrogatepass: text with lone surrogates still hashes, and distinct texts stay distinct.
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


class ContentCache(Generic[T]):
    """A small thread-safe LRU cache. ``maxsize=0`` disables it."""

    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be >= 0")
        self.maxsize = maxsize
        self._data: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> T | None:
        with self._lock:
            if key not in self._data:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]

    def put(self, key: str, value: T) -> None:
        if self.maxsize == 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)


class ConcurrencyLimit:
    """At most ``limit`` requests in flight: a BoundedSemaphore for threads, and one asyncio.Semaphore per
    event loop (an asyncio primitive is bound to the loop it first waits on, and a CLI may call
    ``asyncio.run`` more than once)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.limit = limit
        self.sync = threading.BoundedSemaphore(limit)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def for_running_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._async.get(loop)
            if semaphore is None:
                semaphore = self._async[loop] = asyncio.Semaphore(self.limit)
            return semaphore
