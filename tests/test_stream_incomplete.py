"""Interrupted and truncated outputs are checked as far as they go but never passed: they follow the policy's
``on_error`` (or a stricter scored action) and the verdict says why (``stream_interrupted``,
``output_truncated``). Real SDKs against a MockTransport, streamed and not."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from anthropic.types import Message
from provider_fakes import (
    FixedVerifier,
    RecordingHandler,
    anthropic_client,
    anthropic_error_event,
    anthropic_message,
    anthropic_stream_events,
    http_module,
    openai_chunks,
    openai_client,
    openai_completion,
    openai_sse,
    sse,
    with_stop_reason,
)

from guardrail import Action, Guard, OutputBlocked, Policy
from guardrail.adapters import OUTPUT_TRUNCATED, STREAM_INTERRUPTED, guard_anthropic, guard_openai

QUESTION = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many altogether?"
MESSAGES = [{"role": "user", "content": QUESTION}]
THINKING = ["48 in April.", "\n48 / 2 = 24 in May.", "\n48 + 24 = 72."]
TEXT = ["Natalia sold 72 clips altogether.", "\nC", "orrection: 71. Final answer: 71"]
FAIL_OPEN, FAIL_CLOSED = Policy(), Policy(on_error="fail_closed")


def codes(verdict):
    return [reason.split(":", 1)[0] for reason in verdict.reasons]


def anthropic_create(body: bytes, consistency: float, policy: Policy, *, event_stream=True, fail_after=None):
    handler = RecordingHandler(http_module(anthropic), body, event_stream=event_stream, fail_after=fail_after)
    return guard_anthropic(anthropic_client(handler), Guard(verifier=FixedVerifier(consistency), policy=policy))


def read(stream):
    """Events until the stream ends or raises, and what it raised."""
    events, raised = [], None
    try:
        for event in stream:
            events.append(event)
    except Exception as exc:
        raised = exc
    return events, raised


# --- streams -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "action"), [(FAIL_OPEN, Action.LABEL), (FAIL_CLOSED, Action.BLOCK)])
def test_a_connection_dropped_mid_answer_is_never_passed(policy, action):
    body = sse(anthropic_stream_events(THINKING, TEXT))
    cut = body.index(b"\\nC") + 5  # inside the answer: the consumer would get "... altogether.\nC"
    create = anthropic_create(body, 0.95, policy, fail_after=cut)
    stream = create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True)
    events, raised = read(stream)
    assert raised is stream.error and raised is not None  # the upstream error, after the verdict
    assert events[-1].type == "verdict" and stream.verdict.action is action
    assert stream.verdict.consistency == 0.95  # what arrived was scored; the score alone does not pass it
    assert STREAM_INTERRUPTED in codes(stream.verdict)
    if action is Action.LABEL:
        [answer] = [e.text for e in events if e.type == "answer"]
        assert answer.startswith("[Stated reasoning, not verified]")


@pytest.mark.parametrize(("policy", "action"), [(FAIL_OPEN, Action.LABEL), (FAIL_CLOSED, Action.BLOCK)])
def test_an_overloaded_error_event_mid_stream_is_never_passed(policy, action):
    events = anthropic_stream_events(THINKING, TEXT[:2], complete=False) + [anthropic_error_event()]
    create = anthropic_create(sse(events), 0.95, policy)
    stream = create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True)
    received, raised = read(stream)
    assert isinstance(raised, anthropic.APIStatusError)  # the SDK's own error for `event: error`
    assert received[-1].type == "verdict" and stream.verdict.action is action
    assert STREAM_INTERRUPTED in codes(stream.verdict)
    assert not any(e.type == "answer" and e.text == "".join(TEXT[:2]) for e in received)  # never unlabelled


def test_a_stream_stopped_at_max_tokens_is_truncated_not_passed():
    events = with_stop_reason(anthropic_stream_events(THINKING, TEXT[:1]), "max_tokens")
    create = anthropic_create(sse(events), 0.95, FAIL_OPEN)
    stream = create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True)
    received = list(stream)
    assert stream.error is None and stream.verdict.action is Action.LABEL
    assert OUTPUT_TRUNCATED in codes(stream.verdict) and STREAM_INTERRUPTED not in codes(stream.verdict)
    assert "max_tokens" in stream.verdict.reasons[-1]
    assert received[-2].text.startswith("[Stated reasoning, not verified]")


def test_a_complete_stream_still_passes():
    create = anthropic_create(sse(anthropic_stream_events(THINKING, ["Final answer: 72"])), 0.95, FAIL_CLOSED)
    stream = create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True)
    list(stream)
    assert stream.verdict.action is Action.PASS and codes(stream.verdict) == ["consistent"]


@pytest.mark.parametrize(("policy", "action"), [(FAIL_OPEN, Action.LABEL), (FAIL_CLOSED, Action.BLOCK)])
def test_an_openai_stream_finished_by_length_is_truncated(policy, action):
    deltas = [{"reasoning_content": "".join(THINKING)}, {"content": "Final answer: 72"}]
    body = openai_sse(openai_chunks(deltas, finish="length"))
    handler = RecordingHandler(http_module(openai), body, event_stream=True)
    guard = Guard(verifier=FixedVerifier(0.95), policy=policy.model_copy(update={"block_mode": "fallback"}))
    stream = guard_openai(openai_client(handler), guard)(model="m", messages=MESSAGES, stream=True)
    list(stream)
    assert stream.verdict.action is action and OUTPUT_TRUNCATED in codes(stream.verdict)
    assert "finish_reason=length" in stream.verdict.reasons[-1]


def test_a_low_score_on_an_incomplete_stream_stays_blocked_under_fail_open():
    """The incomplete rule only ever makes the action stricter."""
    events = with_stop_reason(anthropic_stream_events(THINKING, TEXT[:1]), "max_tokens")
    create = anthropic_create(sse(events), 0.05, Policy(block_mode="fallback"))
    stream = create(model="claude-test", max_tokens=1024, messages=MESSAGES, stream=True)
    list(stream)
    assert stream.verdict.action is Action.BLOCK


# --- non-streamed --------------------------------------------------------------------------------------------


def truncated_message() -> dict:
    thinking = {"type": "thinking", "thinking": "".join(THINKING), "signature": "sig"}
    return anthropic_message([thinking, {"type": "text", "text": "Natalia sold 72"}], stop_reason="max_tokens")


@pytest.mark.parametrize(("policy", "action"), [(FAIL_OPEN, Action.LABEL), (FAIL_CLOSED, Action.BLOCK)])
def test_an_anthropic_message_cut_at_max_tokens_is_never_passed(policy, action):
    create = anthropic_create(json.dumps(truncated_message()).encode(), 0.95, policy, event_stream=False)
    if action is Action.BLOCK:
        with pytest.raises(OutputBlocked) as info:
            create(model="claude-test", max_tokens=1024, messages=MESSAGES)
        assert OUTPUT_TRUNCATED in codes(info.value.verdict)
        return
    guarded = create(model="claude-test", max_tokens=1024, messages=MESSAGES)
    assert guarded.verdict.action is action and OUTPUT_TRUNCATED in codes(guarded.verdict)
    assert guarded.output.content[1].text.startswith("[Stated reasoning, not verified]")


def test_an_openai_completion_finished_by_length_is_never_passed():
    body = openai_completion("Natalia sold 72", reasoning_content="".join(THINKING), finish_reason="length")
    handler = RecordingHandler(http_module(openai), json.dumps(body).encode(), event_stream=False)
    guarded = guard_openai(openai_client(handler), Guard(verifier=FixedVerifier(0.95)))(model="m", messages=MESSAGES)
    assert guarded.verdict.action is Action.LABEL and OUTPUT_TRUNCATED in codes(guarded.verdict)


def test_guard_apply_and_check_see_truncation_on_sdk_objects_and_dicts():
    guard = Guard(verifier=FixedVerifier(0.95))
    message = Message.model_validate(truncated_message())
    for output in (message, truncated_message()):
        verdict = guard.check(QUESTION, output)
        assert verdict.action is Action.LABEL and OUTPUT_TRUNCATED in codes(verdict)
    assert guard.apply(QUESTION, message).verdict.action is Action.LABEL
    completion = openai_completion("Final answer: 72", reasoning_content="".join(THINKING), finish_reason="length")
    assert OUTPUT_TRUNCATED in codes(guard.check(QUESTION, completion))
    complete = openai_completion("Final answer: 72", reasoning_content="".join(THINKING))
    assert guard.check(QUESTION, complete).action is Action.PASS
