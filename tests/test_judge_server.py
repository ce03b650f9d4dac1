"""ClaudeJudge against a real HTTP server on 127.0.0.1 (real sockets, real timeouts), SDK pointed at it
with ``base_url`` / ``ANTHROPIC_BASE_URL``."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("anthropic")

from guardrail import CircuitBreaker, ClaudeJudge  # noqa: E402

from judge_fakes import LocalMessagesServer, fast_retry, item  # noqa: E402


def test_valid_tool_reply_from_a_local_server():
    with LocalMessagesServer("ok") as server:
        judge = ClaudeJudge(api_key="sk-test", base_url=server.base_url, retry=fast_retry())
        opinions = judge([item(1), item(2)])
    assert [o.consistency for o in opinions] == [pytest.approx(0.85)] * 2
    assert server.paths == ["/v1/messages"] * 2
    assert server.requests[0]["tools"][0]["name"] == "record_audit"


def test_server_that_always_fails_is_retried_a_bounded_number_of_times():
    with LocalMessagesServer("500") as server:
        judge = ClaudeJudge(
            api_key="sk-test",
            base_url=server.base_url,
            retry=fast_retry(3),
            breaker=CircuitBreaker(failure_threshold=2, reset_after=60),
            max_concurrency=1,
        )
        opinions = judge([item(i) for i in range(5)])
    assert len(opinions) == 5 and all(o.consistency is None for o in opinions)
    assert [o.error for o in opinions[:2]] == ["judge_failed: server_error (500) after 3 attempts"] * 2
    assert [o.error for o in opinions[2:]] == ["judge_unavailable: breaker_open"] * 3
    assert len(server.requests) == 6


def test_hang_past_the_timeout_is_a_timeout_error():
    with LocalMessagesServer("hang", hang_seconds=1.5) as server:
        judge = ClaudeJudge(api_key="sk-test", base_url=server.base_url, timeout=0.2, retry=fast_retry(2))
        start = time.monotonic()
        opinion = judge([item()])[0]
        elapsed = time.monotonic() - start
    assert opinion.error == "judge_failed: timeout after 2 attempts"
    assert elapsed < 1.2  # two 0.2 s timeouts plus tiny backoff, not the server's 1.5 s hang


def test_deadline_bounds_a_batch_against_a_hanging_server():
    with LocalMessagesServer("hang", hang_seconds=2.0) as server:
        judge = ClaudeJudge(
            api_key="sk-test", base_url=server.base_url, timeout=5.0, deadline=0.4, retry=fast_retry(5)
        )
        start = time.monotonic()
        opinions = judge([item(i) for i in range(6)])
        elapsed = time.monotonic() - start
    assert len(opinions) == 6 and all(o.consistency is None for o in opinions)
    assert elapsed < 1.5  # each request timeout is clipped to the time left before the deadline


def test_anthropic_base_url_env_points_the_sdk_at_a_gateway(monkeypatch):
    with LocalMessagesServer("ok") as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        judge = ClaudeJudge.from_env(retry=fast_retry())
        assert judge([item()])[0].consistency == pytest.approx(0.85)
    assert len(server.requests) == 1


async def test_async_against_a_local_server():
    with LocalMessagesServer("no_tool") as server:
        judge = ClaudeJudge(api_key="sk-test", base_url=server.base_url, retry=fast_retry())
        opinions = await judge.acall([item(1), item(2), item(3)])
    assert all(o.error.startswith("judge_response_invalid: no record_audit tool call") for o in opinions)
    assert len(server.requests) == 3


def test_async_judge_survives_several_event_loops():
    import asyncio

    with LocalMessagesServer("ok") as server:
        judge = ClaudeJudge(api_key="sk-test", base_url=server.base_url, retry=fast_retry(), cache_size=0)
        first = asyncio.run(judge.acall([item(1)]))
        second = asyncio.run(judge.acall([item(1)]))  # a fresh loop gets a fresh client, not a dead pool
    assert first[0].consistency == second[0].consistency == pytest.approx(0.85)
    assert len(server.requests) == 2


def test_connection_dropped_by_the_server_is_retried_then_reported():
    with LocalMessagesServer("drop") as server:
        judge = ClaudeJudge(api_key="sk-test", base_url=server.base_url, retry=fast_retry(3))
        opinion = judge([item()])[0]
    assert opinion.error == "judge_failed: connection_error after 3 attempts"
    assert len(server.requests) == 3
