"""Retry policy, circuit breaker, budget, cache and concurrency limit, without any network."""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from types import SimpleNamespace

import pytest

from guardrail import CallBudget, CircuitBreaker, ContentCache, RetryPolicy
from guardrail._resilience import (
    BreakerState,
    ConcurrencyLimit,
    Deadline,
    content_key,
    is_transient,
    retry_after_seconds,
)


class StatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"status {status}")
        self.status_code = status
        self.response = SimpleNamespace(headers=headers or {})


class APIConnectionError(Exception):  # same name as the SDK's: classified by name, no SDK import
    pass


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# --- classification and retry-after -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [(429, True), (529, True), (500, True), (503, True), (400, False), (401, False), (404, False), (422, False)],
)
def test_only_429_529_and_5xx_are_transient(status, expected):
    assert is_transient(StatusError(status)) is expected


def test_connection_errors_are_transient_and_others_are_not():
    assert is_transient(APIConnectionError()) and is_transient(ConnectionResetError()) and is_transient(TimeoutError())
    assert not is_transient(ValueError("bug"))


def test_retry_after_headers():
    assert retry_after_seconds(StatusError(429, {"retry-after": "2"})) == 2.0
    assert retry_after_seconds(StatusError(429, {"retry-after": "0.5"})) == 0.5
    assert retry_after_seconds(StatusError(429, {"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(StatusError(429, {"retry-after": date}), now=lambda: 1_000_000) == pytest.approx(30)
    assert retry_after_seconds(StatusError(429, {"retry-after": "soon"})) is None
    assert retry_after_seconds(StatusError(500)) is None
    assert retry_after_seconds(ValueError()) is None


def test_wait_is_jittered_exponential_and_honours_capped_retry_after():
    policy = RetryPolicy(backoff_base=1.0, max_backoff=4.0, max_retry_after=10.0, rng=random.Random(0))
    waits = [policy.wait_seconds(n, StatusError(500)) for n in (1, 2, 3, 4, 5) for _ in range(200)]
    assert min(waits) >= 0.0 and max(waits) <= 4.0
    assert max(policy.wait_seconds(1, StatusError(500)) for _ in range(200)) <= 1.0
    assert policy.wait_seconds(1, StatusError(429, {"retry-after": "3"})) >= 3.0
    assert policy.wait_seconds(1, StatusError(429, {"retry-after": "3600"})) == 3600.0  # then retrying stops


def test_retrying_counts_attempts_and_stops():
    policy = RetryPolicy(max_attempts=4, backoff_base=0.0)
    calls = []

    def flaky():
        calls.append(1)
        raise StatusError(503)

    with pytest.raises(StatusError):
        for attempt in policy.retrying(Deadline(None)):
            with attempt:
                flaky()
    assert len(calls) == 4


def test_non_transient_error_is_raised_at_once():
    policy = RetryPolicy(max_attempts=4, backoff_base=0.0)
    calls = []
    with pytest.raises(StatusError):
        for attempt in policy.retrying(Deadline(None)):
            with attempt:
                calls.append(1)
                raise StatusError(401)
    assert len(calls) == 1


def test_retrying_gives_up_when_the_wait_would_pass_the_deadline():
    policy = RetryPolicy(max_attempts=10, max_retry_after=60)
    slept = []
    with pytest.raises(StatusError):
        for attempt in policy.retrying(Deadline(1.0), sleep=slept.append):
            with attempt:
                raise StatusError(429, {"retry-after": "5"})
    assert slept == []


def test_retrying_gives_up_when_the_server_asks_for_too_long_a_wait():
    policy = RetryPolicy(max_attempts=5, max_retry_after=2.0)
    slept, calls = [], []
    with pytest.raises(StatusError):
        for attempt in policy.retrying(Deadline(None), sleep=slept.append):
            with attempt:
                calls.append(1)
                raise StatusError(429, {"retry-after": "60"})
    assert calls == [1] and slept == []


def test_retrying_sleeps_what_the_server_asked():
    policy = RetryPolicy(max_attempts=2, backoff_base=0.01, max_retry_after=5.0)
    slept = []
    with pytest.raises(StatusError):
        for attempt in policy.retrying(Deadline(None), sleep=slept.append):
            with attempt:
                raise StatusError(529, {"retry-after": "4"})
    assert slept == [4.0]


def test_max_total_wait_bounds_the_sleeping():
    policy = RetryPolicy(max_attempts=3, backoff_base=0.5, max_backoff=8.0, max_retry_after=2.0)
    assert policy.max_total_wait() == 4.0  # two waits, each at most max(backoff cap, retry-after cap)


def test_policy_validates_settings():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


# --- breaker ---------------------------------------------------------------------------------------


def test_breaker_closed_open_half_open_closed():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.now = 9.9
    assert not breaker.allow()
    clock.now = 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_success_resets_the_consecutive_count():
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_failed_probe_reopens_and_restarts_the_timer():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=5, reset_after=10, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now = 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 19
    assert not breaker.allow()
    clock.now = 20
    assert breaker.allow()


def test_released_probe_can_be_taken_again():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=1, clock=clock)
    breaker.record_failure()
    clock.now = 1
    assert breaker.allow() and not breaker.allow()
    breaker.release_probe()
    assert breaker.allow()


def test_breaker_is_thread_safe():
    breaker = CircuitBreaker(failure_threshold=801, reset_after=10, clock=FakeClock())
    threads = [threading.Thread(target=lambda: [breaker.record_failure() for _ in range(100)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker._failures == 800 and breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


# --- budget, cache, deadline, concurrency -----------------------------------------------------------


def test_budget():
    budget = CallBudget(2)
    assert budget.try_spend() and budget.try_spend() and not budget.try_spend()
    assert budget.used == 2 and budget.remaining == 0
    unlimited = CallBudget(None)
    assert all(unlimited.try_spend() for _ in range(100)) and unlimited.remaining is None


def test_cache_is_lru():
    cache: ContentCache[int] = ContentCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.hits == 3 and cache.misses == 1


def test_cache_size_zero_disables_it():
    cache: ContentCache[int] = ContentCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0


def test_content_key_separates_fields():
    assert content_key("ab", "c") != content_key("a", "bc")
    assert content_key("m", "q", "r", "a") == content_key("m", "q", "r", "a")
    assert len(content_key("x")) == 64


def test_deadline():
    clock = FakeClock()
    deadline = Deadline(2.0, clock=clock)
    assert deadline.remaining() == 2.0 and deadline.clip(5.0) == 2.0 and deadline.clip(1.0) == 1.0
    clock.now = 3.0
    assert deadline.expired and deadline.remaining() == 0.0
    assert Deadline(None).remaining() == float("inf")


def test_concurrency_limit_one_semaphore_per_event_loop():
    limit = ConcurrencyLimit(2)

    async def peak() -> int:
        semaphore = limit.for_running_loop()
        assert semaphore is limit.for_running_loop()
        running, top = 0, 0

        async def one():
            nonlocal running, top
            async with semaphore:
                running += 1
                top = max(top, running)
                await asyncio.sleep(0.01)
                running -= 1

        await asyncio.gather(*(one() for _ in range(6)))
        return top

    assert asyncio.run(peak()) == 2
    assert asyncio.run(peak()) == 2  # a second event loop gets its own semaphore, no "bound to a different loop"
    with pytest.raises(ValueError):
        ConcurrencyLimit(0)


def test_sync_limit_blocks_the_third_thread():
    limit = ConcurrencyLimit(2)
    assert limit.sync.acquire(timeout=0.01) and limit.sync.acquire(timeout=0.01)
    start = time.monotonic()
    assert not limit.sync.acquire(timeout=0.05)
    assert time.monotonic() - start >= 0.04
