"""Guarded streams: real SDK streams (SSE through MockTransport), cut and failing streams, and the core."""

from __future__ import annotations

import anthropic
import openai
import pytest
from provider_fakes import (
    FixedVerifier,
    RecordingHandler,
    anthropic_client,
    anthropic_stream_events,
    http_module,
    openai_chunks,
    openai_client,
    openai_sse,
    sse,
)

from guardrail import Action, Guard, OutputBlocked, Policy
from guardrail.adapters import (
    PARTLY_REDACTED,
    RATIONALE_REDACTED,
    AnthropicEventParser,
    STREAM_INTERRUPTED,
    GuardedStream,
    Piece,
    StreamEvent,
    ThinkTagSplitter,
    guard_anthropic,
    guard_openai,
    guard_stream,
)

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs?"
MESSAGES = [{"role": "user", "content": QUESTION}]
THINKING = ["There are 6 rows.", "\nEach row has 7 eggs.", "\n6 * 7 = 42."]
TEXT = ["The box holds ", "42 eggs. Final ", "answer: 42"]
RATIONALE = "".join(THINKING)  # what is scored: the thinking only, not the visible text's restatement


def anthropic_stream(events, consistency, *, policy=None, is_async=False, fail_after=None, **options):
    body = sse(events)
    handler = RecordingHandler(
        http_module(anthropic),
        body,
        event_stream=True,
        fail_after=None if fail_after is None else int(len(body) * fail_after),
    )
    verifier = FixedVerifier(consistency)
    create = guard_anthropic(
        anthropic_client(handler, is_async=is_async), Guard(verifier=verifier, policy=policy), **options
    )
    return create, verifier


def call(create, **extra):
    return create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True, **extra)


def kinds(events: list[StreamEvent]) -> list[str]:
    return [event.type for event in events]


# --- Anthropic -------------------------------------------------------------------------------------------------


def test_thinking_streams_through_and_the_answer_is_held_then_released():
    create, verifier = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.95)
    stream = call(create)
    assert isinstance(stream, GuardedStream)
    events = list(stream)
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert [e.text for e in events[:3]] == THINKING  # as they arrived
    assert events[3].text == "".join(TEXT)  # released whole, unchanged, on pass
    assert events[4].verdict is stream.verdict and stream.verdict.action is Action.PASS
    [item] = verifier.seen
    assert (item.question, item.rationale, item.answer) == (QUESTION, RATIONALE, "42")
    assert stream.guarded.output == stream.guarded.original == "".join(TEXT)


def test_rationale_can_be_kept_back():
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.6, pass_rationale=False)
    events = list(call(create))
    assert kinds(events) == ["answer", "verdict"]
    assert events[0].text.startswith("[Stated reasoning, not verified]") and events[0].text.endswith("answer: 42")


def test_a_stream_that_ends_without_message_stop_still_gets_a_verdict():
    create, verifier = anthropic_stream(anthropic_stream_events(THINKING, TEXT[:2], complete=False), 0.95)
    stream = call(create)
    events = list(stream)
    assert events[-1].type == "verdict"
    assert any(reason.startswith(STREAM_INTERRUPTED) for reason in stream.verdict.reasons)
    assert stream.error is None
    assert verifier.seen[0].rationale == "".join(THINKING)  # what arrived was checked


@pytest.mark.parametrize("cut", [0.3, 0.8])  # inside the thinking, inside the answer
def test_a_connection_dropped_mid_stream_gives_a_verdict_then_reraises(cut):
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.95, fail_after=cut)
    stream = call(create)
    received = []
    with pytest.raises(http_module(anthropic).ReadError) as info:
        for event in stream:
            received.append(event)
    assert info.value is stream.error and "connection reset" in str(info.value)
    assert received[-1].type == "verdict" and received[-1].verdict is stream.verdict
    assert any(reason.startswith(STREAM_INTERRUPTED) for reason in stream.verdict.reasons)


def test_on_error_report_keeps_the_error_on_the_stream():
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.95, fail_after=0.8, on_error="report")
    stream = call(create)
    events = list(stream)
    assert events[-1].type == "verdict" and stream.error is not None


def test_block_with_fallback_replaces_the_held_answer():
    policy = Policy(block_mode="fallback", fallback_text="Withheld.")
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.05, policy=policy)
    stream = call(create)
    events = list(stream)
    answers = [e.text for e in events if e.type == "answer"]
    assert answers == ["Withheld."]  # the model's answer never reached the consumer
    assert stream.verdict.action is Action.BLOCK and stream.guarded.original == "".join(TEXT)


def test_block_without_fallback_raises_after_the_verdict():
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.05)
    stream = call(create)
    received = []
    with pytest.raises(OutputBlocked) as info:
        for event in stream:
            received.append(event)
    assert "answer" not in kinds(received) and received[-1].type == "verdict"
    assert info.value.original == "".join(TEXT) and info.value.verdict is stream.verdict


def test_redacted_thinking_stream_gets_the_no_rationale_policy():
    create, verifier = anthropic_stream(anthropic_stream_events([], ["42"], redacted=True), 0.99)
    stream = call(create)
    events = list(stream)
    assert verifier.seen == [] and kinds(events) == ["answer", "verdict"]
    assert stream.verdict.reasons[0].startswith(RATIONALE_REDACTED)


def test_partly_redacted_thinking_stream_is_scored_and_says_so():
    events = anthropic_stream_events(THINKING, TEXT)
    redacted = {"type": "redacted_thinking", "data": "EncryptedOpaque=="}
    events[1:1] = [  # a redacted block before the readable one
        {"type": "content_block_start", "index": 0, "content_block": redacted},
        {"type": "content_block_stop", "index": 0},
    ]
    create, verifier = anthropic_stream(events, 0.95)
    stream = call(create)
    list(stream)
    assert verifier.seen[0].rationale == RATIONALE and stream.verdict.action is Action.PASS
    assert [r.split(":")[0] for r in stream.verdict.reasons] == ["consistent", PARTLY_REDACTED]


async def test_async_anthropic_stream():
    create, verifier = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.6, is_async=True)
    stream = await call(create)
    events = [event async for event in stream]
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert stream.verdict.action is Action.LABEL and verifier.seen[0].answer == "42"


async def test_async_stream_cut_mid_way_reraises_after_the_verdict():
    create, _ = anthropic_stream(anthropic_stream_events(THINKING, TEXT), 0.95, is_async=True, fail_after=0.8)
    stream = await call(create)
    received = []
    with pytest.raises(http_module(anthropic).ReadError):
        async for event in stream:
            received.append(event)
    assert received[-1].type == "verdict" and STREAM_INTERRUPTED in received[-1].verdict.reasons[-1]


def test_the_sdk_stream_helper_works_through_guard_stream():
    body = sse(anthropic_stream_events(THINKING, TEXT))
    client = anthropic_client(RecordingHandler(http_module(anthropic), body, event_stream=True))
    verifier = FixedVerifier(0.95)
    with client.messages.stream(model="claude-test", max_tokens=1024, messages=MESSAGES) as sdk_stream:
        stream = guard_stream(sdk_stream, AnthropicEventParser(), Guard(verifier=verifier), QUESTION)
        events = list(stream)  # the helper also emits "text"/"thinking" events; they are not double counted
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert events[3].text == "".join(TEXT) and verifier.seen[0].rationale == RATIONALE


# --- OpenAI-compatible ---------------------------------------------------------------------------------------


def openai_stream(chunks, consistency, *, is_async=False, done=True, **options):
    handler = RecordingHandler(http_module(openai), openai_sse(chunks, done=done), event_stream=True)
    verifier = FixedVerifier(consistency)
    create = guard_openai(openai_client(handler, is_async=is_async), Guard(verifier=verifier), **options)
    return create, verifier


def test_openai_reasoning_content_deltas():
    deltas = [{"reasoning_content": t} for t in THINKING] + [{"content": t} for t in TEXT]
    create, verifier = openai_stream(openai_chunks(deltas), 0.95)
    stream = create(model="m", messages=MESSAGES, stream=True)
    events = list(stream)
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert verifier.seen[0].rationale == RATIONALE and stream.verdict.action is Action.PASS
    assert not any(STREAM_INTERRUPTED in r for r in stream.verdict.reasons)


async def test_openai_think_tags_split_across_chunks_async():
    content = "<think>" + "".join(THINKING) + "</think>\n\n" + "".join(TEXT)
    deltas = [{"content": content[i : i + 5]} for i in range(0, len(content), 5)]  # tags cut mid-way
    create, verifier = openai_stream(openai_chunks(deltas), 0.6, is_async=True)
    stream = await create(model="m", messages=MESSAGES, stream=True)
    events = [event async for event in stream]
    rationale = "".join(e.text for e in events if e.type == "rationale")
    assert rationale == "".join(THINKING)
    assert "<think>" not in rationale and "</think>" not in "".join(e.text for e in events)
    assert verifier.seen[0].answer == "42" and stream.verdict.action is Action.LABEL


def test_openai_lone_closing_think_tag_is_split_when_the_stream_ends():
    content = "".join(THINKING) + "\n</think>\n\n" + "".join(TEXT)
    chunks = openai_chunks([{"content": content[i : i + 7]} for i in range(0, len(content), 7)])
    create, verifier = openai_stream(chunks, 0.95)
    events = list(create(model="m", messages=MESSAGES, stream=True))
    assert kinds(events) == ["rationale", "answer", "verdict"]
    assert events[0].text == "".join(THINKING) and events[1].text == "".join(TEXT)
    assert verifier.seen[0].rationale == "".join(THINKING) and verifier.seen[0].answer == "42"


def test_openai_stream_without_finish_reason_is_interrupted():
    create, _ = openai_stream(openai_chunks([{"content": "4"}], complete=False), 0.95, done=False)
    stream = create(model="m", messages=MESSAGES, stream=True)
    list(stream)
    assert any(reason.startswith(STREAM_INTERRUPTED) for reason in stream.verdict.reasons)


# --- core ------------------------------------------------------------------------------------------------------


def test_the_answer_is_only_released_after_the_upstream_is_exhausted():
    pulled = []

    def upstream():
        for i, piece in enumerate(
            [Piece(kind="rationale", text="6 * 7 = 42."), Piece(kind="answer", text="42"), Piece(kind="end")]
        ):
            pulled.append(i)
            yield piece

    stream = GuardedStream(upstream(), lambda piece: [piece], Guard(verifier=FixedVerifier(0.9)), QUESTION)
    seen_at = [(event.type, len(pulled)) for event in stream]
    assert seen_at == [("rationale", 1), ("answer", 3), ("verdict", 3)]


def test_a_parser_error_is_an_interruption_not_a_lost_verdict():
    def parser(event):
        if event == "bad":
            raise ValueError("malformed event")
        return [Piece(kind="rationale", text=event)]

    stream = GuardedStream(
        iter(["ok.", "bad"]), parser, Guard(verifier=FixedVerifier(0.9)), QUESTION, on_error="report"
    )
    events = list(stream)
    assert events[-1].type == "verdict" and events[-1].verdict.answer_found is False
    assert isinstance(stream.error, ValueError)


def test_binary_junk_in_a_stream_gets_an_input_error_verdict():
    pieces = [Piece(kind="rationale", text="6 * 7 = 42."), Piece(kind="answer", text="42\x00"), Piece(kind="end")]
    stream = GuardedStream(iter(pieces), lambda piece: [piece], Guard(verifier=FixedVerifier(0.9)), QUESTION)
    events = list(stream)
    assert events[-1].verdict.reasons[0].startswith("input_error") and stream.error is None


def test_a_stream_is_read_once():
    stream = GuardedStream(iter([]), lambda e: [], Guard(verifier=FixedVerifier(0.9)), QUESTION)
    list(stream)
    with pytest.raises(RuntimeError):
        iter(stream)


@pytest.mark.parametrize(
    "text",
    [
        "<think>a < b and </thin is not a tag</think>answer 42",
        "  <think>r</think>",
        "no tags at all, answer 42",
        "<thin",
        "<think>unterminated reasoning",
    ],
)
def test_think_splitter_gives_the_same_split_for_every_chunking(text):
    def split(chunks):
        splitter, pieces = ThinkTagSplitter(), []
        for chunk in chunks:
            pieces += splitter.feed(chunk)
        pieces += splitter.flush()
        return (
            "".join(p.text for p in pieces if p.kind == "rationale"),
            "".join(p.text for p in pieces if p.kind == "answer"),
        )

    whole = split([text])
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            assert split([text[:i], text[i:j], text[j:]]) == whole


@pytest.mark.parametrize("script", ["anthropic_guarded.py", "openai_compatible_guarded.py", "streaming_guarded.py"])
def test_examples_run_offline_against_the_local_fake_server(script):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}  # never live
    env["PYTHONPATH"] = str(root)
    done = subprocess.run(
        [sys.executable, str(root / "examples" / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=root / "examples",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "block" in done.stdout and "pass" in done.stdout
