"""The judge through the public Guard: sync and async checks escalate, and fall back when the API is down."""

from __future__ import annotations

import pytest

pytest.importorskip("anthropic")

from guardrail import Action, CircuitBreaker, ClaudeJudge, Guard  # noqa: E402

from judge_fakes import FakeMessagesAPI, fast_retry, ok, status  # noqa: E402
from runtime_fakes import FixedVerifier  # noqa: E402

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does he have?"
OUTPUT = "3 + 4 = 7.\nFinal answer: 7"


def guard_with(api: FakeMessagesAPI, score: float, **judge_kwargs) -> Guard:
    judge = ClaudeJudge(api.client(), retry=fast_retry(2), **judge_kwargs)
    return Guard(FixedVerifier(score, name="onnx:fixed"), judge=judge, escalate="cascade", band=(0.2, 0.8))


def test_uncertain_output_is_decided_by_the_judge():
    api = FakeMessagesAPI(ok(0.97))
    verdict = guard_with(api, 0.5).check(QUESTION, OUTPUT)
    assert verdict.consistency == pytest.approx(0.97) and verdict.decided_by == ("claude:claude-haiku-4-5",)
    assert [o.verifier for o in verdict.opinions] == ["onnx:fixed", "claude:claude-haiku-4-5"]
    assert api.calls == 1


def test_confident_output_never_reaches_the_judge():
    api = FakeMessagesAPI(ok(0.1))
    verdict = guard_with(api, 0.95).check(QUESTION, OUTPUT)
    assert verdict.consistency == pytest.approx(0.95) and api.calls == 0


async def test_async_check_falls_back_when_the_api_is_down():
    api = FakeMessagesAPI(status(503))
    guard = guard_with(api, 0.6, breaker=CircuitBreaker(failure_threshold=1, reset_after=60))
    verdicts = await guard.acheck_many([{"id": str(i), "question": QUESTION, "output": OUTPUT} for i in range(5)])
    assert len(verdicts) == 5 and all(v.consistency == pytest.approx(0.6) for v in verdicts)
    assert all(v.decided_by == ("onnx:fixed",) and v.action is not Action.BLOCK for v in verdicts)
    assert api.calls <= 2 * 4  # breaker opens after the first failure; at most the in-flight calls retried
    reasons = [r for v in verdicts for r in v.reasons]
    assert "judge_unavailable: breaker_open" in reasons and "fallback: decided by onnx:fixed" in reasons
