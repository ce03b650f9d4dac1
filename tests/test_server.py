"""``guardrail serve``: the check API, limits, security and operations, over real HTTP (uvicorn on 127.0.0.1)
with the shipped verifier (and slow or recording fakes where timing must be controlled)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from guardrail import Guard, Opinion  # noqa: E402
from guardrail._cli import RECORD_KEYS  # noqa: E402
from guardrail.server import ServerConfig, create_app  # noqa: E402
from test_server_support import QUESTION, running  # noqa: E402

from examples._support import REASONING  # noqa: E402

RATIONALE = "".join(REASONING)
GOOD = {"id": "good", "question": QUESTION, "rationale": RATIONALE, "answer": "42"}
BAD = {"id": 7, "question": QUESTION, "rationale": RATIONALE, "answer": "41"}


class SlowVerifier:
    """Scores 0.9 after ``delay`` seconds per call; records each call's batch size."""

    name = "fake:slow"

    def __init__(self, delay: float) -> None:
        self.delay, self.batches = delay, []

    def __call__(self, items):
        self.batches.append(len(items))
        time.sleep(self.delay)
        return [Opinion(verifier=self.name, consistency=0.9) for _ in items]


def client(url: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=url, trust_env=False, timeout=30, headers=headers)


@pytest.fixture(scope="module")
def server():
    with running(create_app(ServerConfig(max_body_bytes=1 << 20))) as url:
        yield url


def test_check_returns_the_score_record(server):
    with client(server) as http:
        good = http.post("/v1/check", json=GOOD)
        bad = http.post("/v1/check", json=BAD)
        text = http.post("/v1/check", json={"question": QUESTION, "output": f"<think>{RATIONALE}</think>42"})
    assert good.status_code == 200 and bad.status_code == 200 and text.status_code == 200
    for response in (good, bad, text):
        assert tuple(response.json()) == RECORD_KEYS
    expected = Guard().check_many([GOOD, BAD])  # the same verdicts as in process
    assert good.json()["id"] == "good" and good.json()["action"] == "pass"
    assert bad.json()["id"] == 7 and bad.json()["action"] == "block"
    assert good.json()["consistency"] == pytest.approx(expected[0].consistency, abs=1e-6)
    assert bad.json()["consistency"] == pytest.approx(expected[1].consistency, abs=1e-6)
    assert text.json()["answer_found"] and text.json()["action"] == "pass" and text.json()["error"] is None


def test_batch_keeps_order_and_gives_bad_items_error_records(server):
    items = [GOOD, {"id": "no-question", "answer": "1"}, BAD, "not an object", {"question": QUESTION, "output": 5}]
    with client(server) as http:
        response = http.post("/v1/check/batch", json={"items": items})
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert [r["id"] for r in records] == ["good", "no-question", 7, "item-3", "item-4"]
    assert [r["action"] for r in records] == ["pass", "label", "block", "label", "label"]
    assert all(tuple(r) == RECORD_KEYS for r in records)
    assert records[1]["error"].startswith("input_error: invalid_shape: question")
    assert records[0]["error"] is None and records[2]["error"] is None


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"question": "\xff\xfe", "output": "x"}', 400, "not_utf8"),
        (b"", 400, "empty_body"),
        (b'["question"]', 422, "not_an_object"),
        (b'{"question": 3, "output": "x"}', 422, "question"),
        (b'{"output": "x"}', 422, "question"),
        (b'{"question": "q", "output": "x", "answer": NaN}', 422, "non_finite_number"),
        (b'{"question": "q", "output": "x", "rationale": "r", "answer": "a"}', 422, "ambiguous_input"),
        (b'{"question": "q", "rationale": "r\\u0000", "answer": "a"}', 422, "input_error"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(server, body, status, says):
    with client(server, **{"content-type": "application/json"}) as http:
        response = http.post("/v1/check", content=body)
        assert response.status_code == status, response.text
        assert says in response.text
        assert http.post("/v1/check", json=GOOD).json()["action"] == "pass"  # still up


def test_oversized_and_garbage_bodies_leave_the_server_up(server):
    with client(server) as http:
        huge = http.post("/v1/check", content=b"x" * (10 << 20), headers={"content-type": "application/json"})
        assert huge.status_code == 413 and "over the limit" in huge.json()["error"]["message"]
        chunked = http.post("/v1/check", content=iter([b'{"question": "', b"y" * (2 << 20), b'"}']))
        assert chunked.status_code == 413
        many = http.post("/v1/check/batch", json={"items": [GOOD] * 300})
        assert many.status_code == 413
        wrong = http.post("/v1/check/batch", json={"items": "all of them"})
        assert wrong.status_code == 422 and "items" in wrong.json()["error"]["message"]
        proxy = http.post("/v1/chat/completions", content=b"\xff")
        assert proxy.status_code == 400
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.post("/v1/check", json=GOOD).status_code == 200


def test_ops_endpoints_and_metrics(server):
    with client(server) as http:
        http.post("/v1/check", json=GOOD)
        ready = http.get("/readyz")
        metrics = http.get("/metrics")
        docs = http.get("/openapi.json")
        assert http.get("/docs").status_code == 200 and http.get("/nowhere").status_code == 404
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    text = metrics.text
    assert metrics.headers["content-type"].startswith("text/plain")
    for name in ("guardrail_verdicts_total{action=\"pass\",route=\"/v1/check\"}", "guardrail_batch_size_bucket",
                 "guardrail_queue_depth", "guardrail_check_seconds", "guardrail_http_requests_total",
                 "guardrail_judge_escalations_total", "guardrail_upstream_errors"):  # fmt: skip
        assert name in text, name
    paths = docs.json()["paths"]
    assert {"/v1/check", "/v1/check/batch", "/v1/chat/completions", "/v1/messages", "/metrics"} <= set(paths)
    assert "question" in str(paths["/v1/check"]["post"]["requestBody"])


def test_no_user_text_in_logs(server):
    import logging

    import structlog

    captured = structlog.testing.LogCapture()
    saved = structlog.get_config()
    structlog.configure(processors=[captured], wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    secret = "zebra-unicorn-7731"
    try:
        with client(server) as http:
            http.post("/v1/check", json={**GOOD, "question": f"{QUESTION} {secret}"},
                      headers={"authorization": f"Bearer {secret}", "x-upstream-api-key": secret})  # fmt: skip
            http.post("/v1/check?token=" + secret, content=b"{not json " + secret.encode())
        time.sleep(0.05)
    finally:
        structlog.configure(**saved)
    events = [entry["event"] for entry in captured.entries]
    assert "guardrail.server.access" in events and "guardrail.verdict" in events
    assert secret not in repr(captured.entries)


def test_cors_is_off_by_default(server):
    with client(server) as http:
        response = http.options("/v1/check", headers={"origin": "https://evil.example",
                                                      "access-control-request-method": "POST"})  # fmt: skip
    assert "access-control-allow-origin" not in response.headers


def test_api_keys_constant_time_bearer_or_x_api_key(monkeypatch):
    monkeypatch.setenv("GR_TEST_KEYS", "key-one, key-two")
    with running(create_app(ServerConfig(api_keys_env="GR_TEST_KEYS"))) as url, client(url) as http:
        assert http.post("/v1/check", json=GOOD).status_code == 401
        assert http.post("/v1/check", json=GOOD, headers={"authorization": "Bearer nope"}).status_code == 401
        assert http.post("/v1/check", json=GOOD, headers={"authorization": "Bearer key-two"}).status_code == 200
        assert http.post("/v1/check", json=GOOD, headers={"x-api-key": "key-one"}).status_code == 200
        assert http.get("/healthz").status_code == 200 and http.get("/readyz").status_code == 200


def test_micro_batching_gathers_concurrent_checks():
    slow = SlowVerifier(0.05)
    app = create_app(ServerConfig(batch_wait_ms=2.0, max_batch=64), verifier=slow)
    with running(app) as url, client(url) as http, ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: http.post("/v1/check", json={**GOOD, "id": i}), range(32)))
        metrics = http.get("/metrics").text
    assert [r.json()["id"] for r in responses] == list(range(32))  # each request gets its own record
    assert all(r.json()["action"] == "pass" for r in responses)
    assert sum(slow.batches) == 32 and max(slow.batches) > 1 and len(slow.batches) < 32
    assert "guardrail_batch_size_count 1" not in metrics


def test_micro_batching_off_scores_each_alone():
    slow = SlowVerifier(0.01)
    app = create_app(ServerConfig(batch_wait_ms=0, max_batch=1), verifier=slow)
    with running(app) as url, client(url) as http, ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: http.post("/v1/check", json=GOOD), range(16)))
    assert slow.batches == [1] * 16


def test_full_queue_answers_429_with_retry_after_never_hangs():
    app = create_app(ServerConfig(queue_size=2, retry_after_s=3), verifier=SlowVerifier(1.0))
    with running(app) as url, client(url) as http, ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        responses = list(pool.map(lambda i: http.post("/v1/check", json=GOOD), range(8)))
        elapsed = time.monotonic() - started
    codes = sorted(r.status_code for r in responses)
    refused = [r for r in responses if r.status_code == 429]
    assert codes.count(200) >= 2 and refused, codes
    assert all(r.headers["retry-after"] == "3" and "queue is full" in r.text for r in refused)
    assert elapsed < 8  # refusals are immediate; only the two admitted checks take time


def test_a_check_past_the_request_timeout_gets_504():
    app = create_app(ServerConfig(request_timeout_s=0.2), verifier=SlowVerifier(1.0))
    with running(app) as url, client(url) as http:
        response = http.post("/v1/check", json=GOOD)
        assert response.status_code == 504 and response.json()["error"]["code"] == "timeout"
        assert http.get("/healthz").status_code == 200


def test_a_model_that_fails_to_load_is_not_ready(tmp_path):
    app = create_app(ServerConfig(model_dir=str(tmp_path)))
    with running(app, ready=False) as url, client(url) as http:
        deadline = time.monotonic() + 10
        while http.get("/readyz").json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.02)
        ready = http.get("/readyz")
        check = http.post("/v1/check", json=GOOD)
    assert ready.status_code == 503 and ready.json()["status"] == "failed"
    assert check.status_code == 503 and "failed to load" in check.json()["error"]["message"]
    assert check.headers["retry-after"] == "1"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_cli_starts_answers_and_drains_on_sigterm(tmp_path):
    port = _free_port()
    config = tmp_path / "serve.json"
    config.write_text('{"batch_wait_ms": 1.0, "policy": {"pass_above": 0.9}}')
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrail._cli", "serve", "--port", str(port), "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "GUARDRAIL_API_KEYS": ""},
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        with client(url) as http:
            while True:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()  # before reading its output: reading a live process's pipe would wait forever
                    pytest.fail(f"server never became ready: {proc.stdout.read().decode()[-3000:]}")
                time.sleep(0.05)
            slow = threading.Thread(target=lambda: results.append(http.post("/v1/check", json=GOOD)))
            results: list[httpx.Response] = []
            slow.start()
            time.sleep(0.01)
            proc.send_signal(signal.SIGTERM)
            slow.join(10)
        assert proc.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained
        assert results and results[0].status_code == 200  # the in-flight request was answered
        assert b"guardrail.server.stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_settings_file_flags_and_defaults(tmp_path, monkeypatch):
    import guardrail.server
    from guardrail._cli import main

    seen = []
    monkeypatch.setattr(guardrail.server, "serve", seen.append)
    settings = tmp_path / "serve.toml"
    settings.write_text('threads = 1\nport = 7000\nbatch_wait_ms = 0.5\n[policy]\npass_above = 0.9\n')
    assert main(["serve", "--config", str(settings), "--port", "7001", "--pass-above", "0.7"]) == 0
    config = seen[-1]
    assert (config.port, config.threads, config.batch_wait_ms, config.policy.pass_above) == (7001, 1, 0.5, 0.9)
    assert main(["serve", "--max-batch", "8", "--pass-above", "0.7", "--label-above", "0.6"]) == 0
    assert (seen[-1].max_batch, seen[-1].policy.pass_above, seen[-1].host) == (8, 0.7, "127.0.0.1")
    settings.write_text('batch_wait_ms = 5\n')  # over the 2 ms cap
    assert main(["serve", "--config", str(settings)]) == 2
    assert main(["serve", "--config", str(tmp_path / "missing.json")]) == 1


def test_the_proxy_example_runs_offline():
    pytest.importorskip("openai")
    pytest.importorskip("anthropic")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "proxy_guarded.py"], cwd=os.path.join(root, "examples"),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "x-guardrail-action=pass" in done.stdout and "x-guardrail-action=block" in done.stdout
    assert "verdict:   pass" in done.stdout and "Anthropic: block" in done.stdout


def test_concurrent_checks_through_the_real_model_match_in_process(server):
    import json
    from pathlib import Path

    rows = [json.loads(line) for line in Path("examples/sample.jsonl").read_text().splitlines() if line.strip()]
    expected = {v.id: v for v in Guard().check_many(rows)}
    with client(server) as http, ThreadPoolExecutor(12) as pool:
        records = list(pool.map(lambda row: http.post("/v1/check", json=row).json(), rows))
    for row, record in zip(rows, records, strict=True):
        verdict = expected[str(row["id"])]
        assert record["id"] == row["id"] and record["action"] == verdict.action.value
        assert record["consistency"] == pytest.approx(verdict.consistency, abs=1e-4)


class Judge:
    """A judge for the cascade: scores 0.95, or fails when ``fail``."""

    name = "claude:fake"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def __call__(self, items):
        if self.fail:
            raise RuntimeError("judge down")
        return [Opinion(verifier=self.name, consistency=0.95) for _ in items]


@pytest.mark.parametrize("fail", [False, True])
def test_judge_escalations_and_failures_are_counted(fail):
    class Unsure(SlowVerifier):
        def __call__(self, items):
            return [Opinion(verifier="fake:unsure", consistency=0.5) for _ in items]

    with running(create_app(ServerConfig(), verifier=Unsure(0), judge=Judge(fail))) as url, client(url) as http:
        record = http.post("/v1/check", json=GOOD).json()
        metrics = http.get("/metrics").text
    assert record["action"] == ("label" if fail else "pass")
    assert "guardrail_judge_escalations_total 1.0" in metrics
    assert f"guardrail_judge_failures_total {1.0 if fail else 0.0}" in metrics


def test_claude_judge_from_settings_without_a_key_says_unavailable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    class Unsure(SlowVerifier):
        def __call__(self, items):
            return [Opinion(verifier="fake:unsure", consistency=0.5) for _ in items]

    with running(create_app(ServerConfig(judge="claude"), verifier=Unsure(0))) as url, client(url) as http:
        record = http.post("/v1/check", json=GOOD).json()
        metrics = http.get("/metrics").text
    assert any(reason.startswith("judge_unavailable") for reason in record["reasons"]), record["reasons"]
    assert "guardrail_judge_failures_total 1.0" in metrics
