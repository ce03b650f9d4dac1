"""``guardrail score FILE --fallback claude`` end to end, in a subprocess, against a local server that
fails every request, and with no API key at all. The verifier is the tiny exported model (conftest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("anthropic")

from guardrail import CircuitBreaker, ClaudeJudge, RetryPolicy  # noqa: E402

from judge_fakes import LocalMessagesServer  # noqa: E402

pytestmark = pytest.mark.slow  # the tiny_model_dir fixture exports a model
ROOT = Path(__file__).resolve().parents[1]
N_ITEMS = 12


def write_input(path: Path) -> Path:
    lines = [
        {"id": f"q{i}", "question": f"What is {i} + {i}?", "rationale": f"{i} + {i} = {2 * i}.", "answer": str(2 * i)}
        for i in range(N_ITEMS)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    code = "import sys; from guardrail._cli import main; sys.exit(main(sys.argv[1:]))"
    full_env = {**env, "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=full_env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["ANTHROPIC_CONFIG_DIR"] = "/nonexistent-guardrail-test"  # never pick up a developer's profile
    return env


def worst_case_requests(judge: ClaudeJudge) -> int:
    """Requests before the breaker opens: failures to open it, plus calls already in flight, each retried."""
    return (judge.breaker.failure_threshold + judge.limit.limit - 1) * judge.retry.max_attempts


def worst_case_judge_seconds(judge: ClaudeJudge, request_seconds: float = 1.0) -> float:
    """Wall time the judge can add against a server that answers every request at once with a 500 (no
    retry-after): the inputs that reach the server run in waves of max_concurrency; each input makes
    max_attempts requests with the backoff caps between them. Afterwards the breaker is open."""
    retry = judge.retry
    waves = -(-(judge.breaker.failure_threshold + judge.limit.limit - 1) // judge.limit.limit)
    backoff = sum(min(retry.max_backoff, retry.backoff_base * 2 ** (n - 1)) for n in range(1, retry.max_attempts))
    return waves * (backoff + retry.max_attempts * request_seconds)


def test_score_with_a_judge_whose_server_fails_every_request(tiny_model_dir, tmp_path):
    source = write_input(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    with LocalMessagesServer("500") as server:
        env = {**base_env(), "ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": server.base_url}
        start = time.monotonic()
        result = run_cli(
            ["score", str(source), "-o", str(out), "--fallback", "claude", "--band", "0", "1",
             "--model", str(tiny_model_dir), "--no-progress"],
            env,
        )
        elapsed = time.monotonic() - start
        sent = len(server.requests)
    print(f"score --fallback claude vs a failing server: {elapsed:.2f} s, {sent} requests")  # shown with -s
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [f"q{i}" for i in range(N_ITEMS)]  # a verdict for every id
    assert all(r["consistency"] is not None for r in records)  # the ONNX score stands in for the judge
    assert all(r["decided_by"] and r["decided_by"][0].startswith("onnx:") for r in records)
    reasons = [reason for r in records for reason in r["reasons"]]
    assert any(reason.startswith("judge_failed: server_error (500)") for reason in reasons)
    assert any(reason == "judge_unavailable: breaker_open" for reason in reasons)
    # Bounded: the default judge (as the CLI builds it) can send at most this many requests before its
    # breaker opens, and every batch is bounded by the judge's deadline.
    defaults = ClaudeJudge(api_key="unused", max_concurrency=4)
    assert 0 < sent <= worst_case_requests(defaults) == 24
    assert worst_case_judge_seconds(defaults) == 2 * (0.5 + 1.0 + 3 * 1.0)  # 9 s with the default settings
    assert elapsed < worst_case_judge_seconds(defaults) + 30  # + interpreter start and model load


def test_score_without_an_api_key_says_once_that_the_judge_is_off(tiny_model_dir, tmp_path):
    source = write_input(tmp_path / "in.jsonl")
    result = run_cli(
        ["score", str(source), "--fallback", "claude", "--model", str(tiny_model_dir), "--no-progress"], base_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("judge off") == 1 and "ANTHROPIC_API_KEY" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == N_ITEMS and all(r["consistency"] is not None for r in records)


def test_worst_case_bound_matches_the_retry_settings():
    judge = ClaudeJudge(
        api_key="unused",
        retry=RetryPolicy(max_attempts=2),
        breaker=CircuitBreaker(failure_threshold=3),
        max_concurrency=2,
    )
    assert worst_case_requests(judge) == 8
