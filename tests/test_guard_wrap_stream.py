"""``@guard.wrap`` around a call that returns a stream: the stream is guarded exactly like the adapters'
``stream=True`` (answer held, checked, then released / labelled / replaced), never passed through raw.
Real anthropic / openai SDKs against a MockTransport; nothing touches the network."""

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

from guardrail import Action, AsyncGuardedStream, Guard, Guarded, GuardedStream, InputError, OutputBlocked, Policy
from guardrail.adapters import STREAM_INTERRUPTED

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs?"
THINKING = ["There are 6 rows.", "\nEach row has 7 eggs.", "\n6 * 7 = 42."]
TEXT = ["The box holds ", "42 eggs. Final ", "answer: 42"]


def anthropic_handler(events=None):
    return RecordingHandler(
        http_module(anthropic), sse(events or anthropic_stream_events(THINKING, TEXT)), event_stream=True
    )


def openai_handler(chunks):
    return RecordingHandler(http_module(openai), openai_sse(chunks), event_stream=True)


def kinds(events):
    return [event.type for event in events]


def test_a_wrapped_anthropic_stream_is_guarded_not_passed_through():
    client = anthropic_client(anthropic_handler())
    verifier = FixedVerifier(0.95)
    guard = Guard(verifier=verifier)

    @guard.wrap
    def ask(question: str):
        return client.messages.create(
            model="claude-test", max_tokens=1024, messages=[{"role": "user", "content": question}], stream=True
        )

    stream = ask(QUESTION)
    assert isinstance(stream, GuardedStream) and not isinstance(stream, Guarded)
    events = list(stream)
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert events[3].text == "".join(TEXT) and stream.verdict.action is Action.PASS
    [item] = verifier.seen
    assert (item.question, item.rationale, item.answer) == (QUESTION, "".join(THINKING), "42")


def streaming_call(client):
    def ask(question: str):
        messages = [{"role": "user", "content": question}]
        return client.messages.create(model="claude-test", max_tokens=1024, messages=messages, stream=True)

    return ask


def test_a_blocked_wrapped_stream_never_releases_the_models_answer():
    client = anthropic_client(anthropic_handler())
    guard = Guard(verifier=FixedVerifier(0.05), policy=Policy(block_mode="fallback", fallback_text="Withheld."))
    stream = guard.wrap(streaming_call(client))(QUESTION)
    answers = [event.text for event in stream if event.type == "answer"]
    assert answers == ["Withheld."] and stream.verdict.action is Action.BLOCK

    guard = Guard(verifier=FixedVerifier(0.05))  # block_mode="raise": the verdict, then OutputBlocked
    stream = guard.wrap(streaming_call(client))(QUESTION)
    received = []
    with pytest.raises(OutputBlocked):
        for event in stream:
            received.append(event)
    assert kinds(received) == ["rationale"] * 3 + ["verdict"]


async def test_a_wrapped_async_openai_stream_is_guarded():
    chunks = openai_chunks([{"reasoning_content": t} for t in THINKING] + [{"content": t} for t in TEXT])
    client = openai_client(openai_handler(chunks), is_async=True)
    verifier = FixedVerifier(0.6)
    guard = Guard(verifier=verifier)

    @guard.wrap
    async def ask(question: str):
        return await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": question}], stream=True
        )

    stream = await ask(QUESTION)
    assert isinstance(stream, AsyncGuardedStream)
    events = [event async for event in stream]
    assert kinds(events) == ["rationale"] * 3 + ["answer", "verdict"]
    assert events[3].text.startswith("[Stated reasoning, not verified]")  # labelled, as the adapters do
    assert stream.verdict.action is Action.LABEL and verifier.seen[0].answer == "42"


def test_any_iterator_of_provider_event_dicts_is_guarded():
    chunks = openai_chunks([{"content": "<think>6 * 7 = 42.</think>"}, {"content": "Final answer: 42"}])
    guard = Guard(verifier=FixedVerifier(0.95))
    stream = guard.wrap(lambda question: iter(chunks))(QUESTION)
    events = list(stream)
    assert kinds(events) == ["rationale", "answer", "verdict"] and stream.verdict.action is Action.PASS


def test_an_unrecognised_event_stream_is_never_passed():
    guard = Guard(verifier=FixedVerifier(0.99))
    stream = guard.wrap(lambda question: (event for event in ["The answer is 42."]))(QUESTION)
    events = list(stream)
    assert not any("42" in event.text for event in events)  # nothing unread or unchecked goes out
    assert stream.verdict.action is not Action.PASS
    assert any(reason.startswith(STREAM_INTERRUPTED) for reason in stream.verdict.reasons)


def test_a_stream_manager_or_a_stream_given_to_apply_is_refused_with_a_typed_error():
    client = anthropic_client(anthropic_handler())
    guard = Guard(verifier=FixedVerifier(0.95))

    @guard.wrap
    def ask(question: str):  # the SDK's stream helper: a manager, opened by `with`
        messages = [{"role": "user", "content": question}]
        return client.messages.stream(model="claude-test", max_tokens=1024, messages=messages)

    with pytest.raises(InputError, match="stream_output"):
        ask(QUESTION)
    raw = streaming_call(client)(QUESTION)
    with pytest.raises(InputError, match="stream_output"):
        guard.apply(QUESTION, raw)
    raw.close()
