"""The guarding proxies of ``guardrail serve`` with the real ``openai`` and ``anthropic`` SDKs: SDK ->
service (uvicorn on 127.0.0.1) -> fake upstream (stdlib server on 127.0.0.1). No other traffic."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

from guardrail.server import ServerConfig, create_app  # noqa: E402
from test_server_support import QUESTION, FakeUpstream, running  # noqa: E402

from examples._support import REASONING  # noqa: E402

ANSWER = "The box holds 42 eggs.\nFinal answer: 42"
FALLBACK = "This answer was withheld: its stated reasoning does not support it."
LABEL = "[Stated reasoning, not verified]"
ASK = [{"role": "user", "content": QUESTION}]
CONTRADICT = [{"role": "user", "content": QUESTION + " (inconsistent)"}]


@pytest.fixture(scope="module")
def upstream():
    with FakeUpstream() as up:
        yield up


def _config(upstream: FakeUpstream, **extra) -> ServerConfig:
    return ServerConfig(openai_upstream=f"{upstream.url}/v1", anthropic_upstream=upstream.url,
                        upstream_timeout_s=1.0, request_timeout_s=5.0, **extra)  # fmt: skip


@pytest.fixture(scope="module")
def proxy(upstream):
    with running(create_app(_config(upstream))) as url:
        yield url


def oai(url: str, key: str = "caller-key") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=15)


def claude(url: str, key: str = "caller-key") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=key, max_retries=0, timeout=15)


# --- OpenAI-compatible ------------------------------------------------------------------------------------


def test_openai_pass_keeps_the_reply_and_carries_the_verdict(proxy, upstream):
    raw = oai(proxy).chat.completions.with_raw_response.create(model="fake", messages=ASK)
    completion = raw.parse()
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].message.model_extra["reasoning_content"] == "".join(REASONING)
    assert raw.headers["x-guardrail-action"] == "pass" and raw.headers["x-guardrail-reasons"] == "consistent"
    assert float(raw.headers["x-guardrail-consistency"]) > 0.8
    assert completion.model_extra["guardrail"]["action"] == "pass"
    path, headers, body = upstream.requests[-1]
    assert path == "/v1/chat/completions" and body["messages"] == ASK
    assert headers["authorization"] == "Bearer caller-key"  # passed through: no service keys, no env key


def test_openai_block_delivers_the_fallback_without_the_reasoning(proxy):
    raw = oai(proxy).chat.completions.with_raw_response.create(model="fake", messages=CONTRADICT)
    message = raw.parse().choices[0].message
    assert message.content == FALLBACK and not message.model_extra.get("reasoning_content")
    assert raw.headers["x-guardrail-action"] == "block" and "inconsistent" in raw.headers["x-guardrail-reasons"]


def test_openai_truncated_reply_is_never_passed(proxy):
    completion = oai(proxy).chat.completions.create(model="truncated", messages=ASK)
    verdict = completion.model_extra["guardrail"]
    assert verdict["action"] == "label" and any(r.startswith("output_truncated") for r in verdict["reasons"])
    assert completion.choices[0].message.content.startswith(LABEL)


def test_openai_stream_holds_every_answer_byte_until_the_verdict(proxy, upstream):
    upstream.gate = threading.Event()
    released: list[float] = []

    def release() -> None:
        released.append(time.monotonic())
        upstream.gate.set()

    seen: list[tuple[float, str, object]] = []
    stream = oai(proxy).chat.completions.create(model="gated", messages=ASK, stream=True)
    rationale = ""
    for chunk in stream:
        now = time.monotonic()
        verdict = (chunk.model_extra or {}).get("guardrail")
        if verdict:
            seen.append((now, "verdict", verdict))
        for choice in chunk.choices:
            reasoning = (choice.delta.model_extra or {}).get("reasoning_content")
            if reasoning:
                rationale += reasoning
                seen.append((now, "rationale", reasoning))
                if rationale == "".join(REASONING) and not released:  # upstream has sent the answer by now
                    threading.Timer(0.3, release).start()
            if choice.delta.content:
                seen.append((now, "answer", choice.delta.content))
            if choice.finish_reason:
                seen.append((now, "finish", choice.finish_reason))
    kinds = [kind for _, kind, _ in seen]
    assert kinds.index("rationale") < kinds.index("answer")
    assert released and all(at > released[0] for at, kind, _ in seen if kind == "answer")
    assert "".join(text for _, kind, text in seen if kind == "answer") == ANSWER
    verdict = next(value for _, kind, value in seen if kind == "verdict")
    assert verdict["action"] == "pass" and ("finish" in kinds)


def test_openai_stream_block_sends_the_fallback_not_the_answer(proxy):
    stream = oai(proxy).chat.completions.create(model="fake", messages=CONTRADICT, stream=True)
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == FALLBACK and "41" not in content
    assert chunks[-1].model_extra["guardrail"]["action"] == "block"


def test_openai_interrupted_stream_is_never_passed_and_ends_in_an_error(proxy):
    chunks = []
    with pytest.raises(openai.APIError, match="interrupted"):
        for chunk in oai(proxy).chat.completions.create(model="cut", messages=ASK, stream=True):
            chunks.append(chunk)
    verdict = next(c.model_extra["guardrail"] for c in chunks if (c.model_extra or {}).get("guardrail"))
    assert verdict["action"] != "pass" and any(r.startswith("stream_interrupted") for r in verdict["reasons"])
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "" or content.startswith(LABEL) or "[rationale-guard: consistency" in content  # marked


@pytest.mark.parametrize(("model", "error", "status"), [
    ("rate-limited", openai.RateLimitError, 429), ("broken", openai.InternalServerError, 500),
    ("hang", openai.InternalServerError, 504),
])  # fmt: skip
@pytest.mark.parametrize("stream", [False, True])
def test_openai_upstream_errors_reach_the_sdk(proxy, model, error, status, stream):
    started = time.monotonic()
    with pytest.raises(error) as caught:
        oai(proxy).chat.completions.create(model=model, messages=ASK, stream=stream)
    assert caught.value.status_code == status and time.monotonic() - started < 4
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "7"


def test_block_as_error_and_unreachable_upstream(upstream):
    config = _config(upstream, block_response="error")
    with running(create_app(config)) as url:
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            oai(url).chat.completions.create(model="fake", messages=CONTRADICT)
        assert caught.value.response.json()["guardrail"]["action"] == "block"
        assert caught.value.response.headers["x-guardrail-action"] == "block"
        chunks = []
        with pytest.raises(openai.APIError, match="blocked"):
            for chunk in oai(url).chat.completions.create(model="fake", messages=CONTRADICT, stream=True):
                chunks.append(chunk)
        assert not any(c.choices and c.choices[0].delta.content for c in chunks)  # no answer byte went out
        with pytest.raises(anthropic.UnprocessableEntityError):
            claude(url).messages.create(model="fake", max_tokens=64, messages=CONTRADICT)
    dead = ServerConfig(openai_upstream="http://127.0.0.1:9/v1", upstream_timeout_s=1.0)
    with running(create_app(dead)) as url, pytest.raises(openai.APIStatusError) as caught:
        oai(url).chat.completions.create(model="fake", messages=ASK)
    assert caught.value.status_code == 502


def test_upstream_credentials_from_env_and_service_keys(upstream, monkeypatch):
    monkeypatch.setenv("GR_PROXY_KEYS", "service-key")
    monkeypatch.setenv("GUARDRAIL_UPSTREAM_OPENAI_KEY", "upstream-secret")
    with running(create_app(_config(upstream, api_keys_env="GR_PROXY_KEYS"))) as url:
        with pytest.raises(openai.AuthenticationError):
            oai(url, key="wrong").chat.completions.create(model="fake", messages=ASK)
        oai(url, key="service-key").chat.completions.create(model="fake", messages=ASK)
    assert upstream.requests[-1][1]["authorization"] == "Bearer upstream-secret"  # never the service key


def test_bad_proxy_requests_get_4xx(proxy):
    with pytest.raises(openai.BadRequestError, match="n=2"):
        oai(proxy).chat.completions.create(model="fake", messages=ASK, stream=True, n=2)
    with pytest.raises(openai.UnprocessableEntityError, match="messages"):
        oai(proxy).chat.completions.create(model="fake", messages="hello")  # type: ignore[arg-type]


# --- Anthropic Messages -----------------------------------------------------------------------------------


def test_anthropic_pass_and_block(proxy, upstream):
    raw = claude(proxy).messages.with_raw_response.create(model="fake", max_tokens=64, messages=ASK)
    message = raw.parse()
    assert [b.type for b in message.content] == ["thinking", "text"] and message.content[1].text == ANSWER
    assert raw.headers["x-guardrail-action"] == "pass" and message.model_extra["guardrail"]["action"] == "pass"
    path, headers, _ = upstream.requests[-1]
    assert path == "/v1/messages" and "caller-key" in (headers.get("x-api-key"), headers.get("authorization", "")[7:])
    blocked = claude(proxy).messages.create(model="fake", max_tokens=64, messages=CONTRADICT)
    assert [b.type for b in blocked.content] == ["text"] and blocked.content[0].text == FALLBACK


def test_anthropic_stream_thinking_flows_answer_held(proxy):
    events = list(claude(proxy).messages.create(model="fake", max_tokens=64, messages=ASK, stream=True))
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    thinking = "".join(e.delta.thinking for e in events if e.type == "content_block_delta" and
                       e.delta.type == "thinking_delta")  # fmt: skip
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta")
    assert thinking == "".join(REASONING) and text == ANSWER
    last_thinking = max(i for i, e in enumerate(events) if e.type == "content_block_delta" and
                        e.delta.type == "thinking_delta")  # fmt: skip
    first_text = min(i for i, e in enumerate(events) if e.type == "content_block_delta" and
                     e.delta.type == "text_delta")  # fmt: skip
    assert last_thinking < first_text
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.model_extra["guardrail"]["action"] == "pass" and delta.delta.stop_reason == "end_turn"
    with claude(proxy).messages.stream(model="fake", max_tokens=64, messages=ASK) as stream:  # the SDK's helper
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"] and final.content[1].text == ANSWER
    assert final.content[0].signature == "sig"  # the upstream's signature: thinking can be sent back


def test_anthropic_interrupted_and_truncated_streams_never_pass(proxy):
    events = []
    with pytest.raises(anthropic.APIError):
        for event in claude(proxy).messages.create(model="cut", max_tokens=64, messages=ASK, stream=True):
            events.append(event)
    verdict = next(e.model_extra["guardrail"] for e in events if e.type == "message_delta")
    assert verdict["action"] != "pass" and any(r.startswith("stream_interrupted") for r in verdict["reasons"])
    events = list(claude(proxy).messages.create(model="truncated", max_tokens=64, messages=ASK, stream=True))
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == "max_tokens" and delta.model_extra["guardrail"]["action"] == "label"


def test_a_stream_that_stalls_mid_way_times_out_and_is_not_passed(proxy, upstream):
    upstream.gate = threading.Event()  # never set: the upstream sends the answer, then goes silent
    chunks, started = [], time.monotonic()
    with pytest.raises(openai.APIError, match="interrupted"):
        for chunk in oai(proxy).chat.completions.create(model="gated", messages=ASK, stream=True):
            chunks.append(chunk)
    assert time.monotonic() - started < 4  # upstream_timeout_s=1 between bytes
    verdict = next(c.model_extra["guardrail"] for c in chunks if (c.model_extra or {}).get("guardrail"))
    assert verdict["action"] != "pass" and any(r.startswith("stream_interrupted") for r in verdict["reasons"])
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content != ANSWER  # the whole answer had arrived, but unfinished: delivered marked, never as is
    upstream.gate.set()


def test_anthropic_stream_holds_the_text_until_the_verdict(proxy, upstream):
    upstream.gate = threading.Event()
    released: list[float] = []

    def release() -> None:
        released.append(time.monotonic())
        upstream.gate.set()

    texts, thinking = [], ""
    for event in claude(proxy).messages.create(model="gated", max_tokens=64, messages=ASK, stream=True):
        if event.type == "content_block_delta" and event.delta.type == "thinking_delta":
            thinking += event.delta.thinking
            if thinking == "".join(REASONING) and not released:
                threading.Timer(0.3, release).start()
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            texts.append((time.monotonic(), event.delta.text))
    assert released and texts and all(at > released[0] for at, _ in texts)
    assert "".join(text for _, text in texts) == ANSWER


def _queue_depth(url: str) -> float:
    import httpx

    text = httpx.get(f"{url}/metrics", trust_env=False).text
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith("guardrail_queue_depth ")))


def test_a_client_that_leaves_mid_stream_frees_its_place(proxy, upstream):
    import httpx

    upstream.gate = threading.Event()  # the upstream stalls after the answer; the client leaves meanwhile
    body = {"model": "gated", "messages": ASK, "stream": True}
    with httpx.Client(trust_env=False, timeout=10) as http, http.stream("POST", f"{proxy}/v1/chat/completions",
                                                                         json=body) as response:  # fmt: skip
        assert response.status_code == 200
        chunks = response.iter_raw()  # kept: a dropped iterator would close the response at once
        first = next(chunks)
        assert b"reasoning_content" in first or b"assistant" in first
        assert _queue_depth(proxy) == 1
    deadline = time.monotonic() + 6
    while _queue_depth(proxy) != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _queue_depth(proxy) == 0
    upstream.gate.set()


def test_anthropic_stream_with_redacted_thinking_passes_the_block_on(proxy):
    with claude(proxy).messages.stream(model="redacted", max_tokens=64, messages=ASK) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["redacted_thinking", "text"]
    assert final.content[0].data == "EncryptedOpaque==" and final.content[1].text.startswith(LABEL)
    events = list(claude(proxy).messages.create(model="redacted", max_tokens=64, messages=ASK, stream=True))
    verdict = next(e for e in events if e.type == "message_delta").model_extra["guardrail"]
    assert verdict["action"] == "label" and any(r.startswith("rationale_redacted") for r in verdict["reasons"])
