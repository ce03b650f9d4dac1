"""guard_anthropic: the real anthropic SDK against a MockTransport, with a fake verifier set per test."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest
from anthropic.types import Message, TextBlock, ThinkingBlock
from provider_fakes import FixedVerifier, RecordingHandler, anthropic_client, anthropic_message, http_module

import guardrail
from guardrail import Action, Guard, Guarded, OutputBlocked, Policy
from guardrail.adapters import PARTLY_REDACTED, RATIONALE_REDACTED, guard_anthropic

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs?"
THINKING = "There are 6 rows.\nEach row has 7 eggs.\n6 * 7 = 42."
REQUEST = {
    "model": "claude-test",
    "max_tokens": 1024,
    "thinking": {"type": "enabled", "budget_tokens": 512},
    "messages": [
        {"role": "user", "content": "ignored earlier turn"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
    ],
}


def thinking_message(text: str = "Final answer: 42") -> dict:
    return anthropic_message(
        [{"type": "thinking", "thinking": THINKING, "signature": "sig=="}, {"type": "text", "text": text}]
    )


def make(body: dict, consistency: float, *, policy: Policy | None = None, is_async: bool = False):
    handler = RecordingHandler(http_module(anthropic), json.dumps(body).encode(), event_stream=False)
    client = anthropic_client(handler, is_async=is_async)
    verifier = FixedVerifier(consistency)
    return client, verifier, Guard(verifier=verifier, policy=policy)


def test_pass_keeps_the_sdk_message_and_scores_thinking_against_the_marked_answer():
    client, verifier, guard = make(thinking_message(), 0.95)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert isinstance(guarded, Guarded)
    assert guarded.verdict.action is Action.PASS
    assert guarded.output is guarded.original and isinstance(guarded.output, Message)
    [item] = verifier.seen
    assert item.question == QUESTION  # the last user message, not an earlier turn
    assert item.rationale == THINKING
    assert item.answer == "42"  # "Final answer:" marker in the text block
    assert len(item.steps) == 3


def test_label_replaces_only_the_text_block_and_keeps_the_original():
    client, _, guard = make(thinking_message("The eggs number 42."), 0.6)
    guarded = guard_anthropic(client.messages.create, guard)(**REQUEST)
    assert guarded.verdict.action is Action.LABEL
    output, original = guarded.output, guarded.original
    assert isinstance(output, Message) and output.id == original.id and output.usage == original.usage
    thinking, text = output.content
    assert isinstance(thinking, ThinkingBlock) and thinking == original.content[0]  # signature intact
    assert isinstance(text, TextBlock)
    assert text.text.startswith("[Stated reasoning, not verified]") and "The eggs number 42." in text.text
    assert original.content[1].text == "The eggs number 42."  # the model's output is never lost
    assert guarded.display == text.text


def test_annotate_appends_score_and_reasons():
    client, _, guard = make(thinking_message(), 0.3)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert guarded.verdict.action is Action.ANNOTATE
    text = guarded.output.content[-1].text
    assert text.startswith("Final answer: 42") and "consistency 0.30" in text


def test_block_raises_with_the_sdk_message_on_the_exception():
    client, _, guard = make(thinking_message("Final answer: 41"), 0.05)
    with pytest.raises(OutputBlocked) as info:
        guard_anthropic(client, guard)(**REQUEST)
    assert info.value.verdict.action is Action.BLOCK
    assert isinstance(info.value.original, Message)
    assert info.value.original.content[1].text == "Final answer: 41"


def test_block_with_fallback_delivers_only_the_fallback_text():
    policy = Policy(block_mode="fallback", fallback_text="Withheld.")
    client, _, guard = make(thinking_message("Final answer: 41"), 0.05, policy=policy)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert guarded.verdict.action is Action.BLOCK
    assert [block.type for block in guarded.output.content] == ["text"]
    assert guarded.output.content[0].text == "Withheld."
    assert guarded.original.content[1].text == "Final answer: 41"


def test_redacted_thinking_only_gets_the_no_rationale_policy_without_scoring():
    body = anthropic_message(
        [{"type": "redacted_thinking", "data": "EncryptedOpaque=="}, {"type": "text", "text": "42"}]
    )
    client, verifier, guard = make(body, 0.99)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert verifier.seen == []  # an empty rationale is not scored
    verdict = guarded.verdict
    assert verdict.consistency is None and verdict.action is Action.LABEL  # Policy().error_action()
    assert verdict.reasons[0].startswith(RATIONALE_REDACTED)
    assert guarded.output.content[0] == guarded.original.content[0]  # redacted block passed back unchanged
    assert guarded.output.content[1].text.startswith("[Stated reasoning, not verified]")


def test_partly_redacted_thinking_is_scored_and_the_verdict_says_so():
    body = anthropic_message(
        [
            {"type": "thinking", "thinking": THINKING, "signature": "sig=="},
            {"type": "redacted_thinking", "data": "EncryptedOpaque=="},
            {"type": "text", "text": "Final answer: 42"},
        ]
    )
    client, verifier, guard = make(body, 0.95)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert verifier.seen[0].rationale == THINKING  # the readable part is checked
    assert guarded.verdict.action is Action.PASS
    assert [r.split(":")[0] for r in guarded.verdict.reasons] == ["consistent", PARTLY_REDACTED]


def test_redacted_thinking_under_fail_closed_blocks():
    body = anthropic_message([{"type": "redacted_thinking", "data": "x"}, {"type": "text", "text": "42"}])
    client, _, guard = make(body, 0.99, policy=Policy(on_error="fail_closed"))
    with pytest.raises(OutputBlocked) as info:
        guard_anthropic(client, guard)(**REQUEST)
    assert RATIONALE_REDACTED in info.value.verdict.reasons[0]


def test_tool_use_without_text_gets_a_no_answer_verdict():
    body = anthropic_message([{"type": "tool_use", "id": "toolu_1", "name": "calc", "input": {"x": 1}}])
    client, verifier, guard = make(body, 0.9)
    guarded = guard_anthropic(client, guard)(**REQUEST)
    assert verifier.seen == []
    assert guarded.verdict.answer_found is False
    assert guarded.original.content[0].type == "tool_use"


def test_wrapping_never_changes_the_client():
    client, _, guard = make(thinking_message(), 0.6)
    client.messages.create(**REQUEST)  # the SDK fills some lazy attributes on first use; let it, first
    client_state, messages_state = dict(vars(client)), dict(vars(client.messages))
    create_before = client.messages.create
    wrapped = guard_anthropic(client, guard)
    assert dict(vars(client)) == client_state and dict(vars(client.messages)) == messages_state
    wrapped(**REQUEST)
    assert dict(vars(client)) == client_state and dict(vars(client.messages)) == messages_state
    assert client.messages.create == create_before  # same function bound to the same resource
    assert "create" not in vars(client.messages)  # no instance attribute shadows the method
    assert type(client.messages).create is anthropic.resources.Messages.create
    assert wrapped.__wrapped__ == create_before and wrapped.__name__ == "create"
    assert isinstance(client.messages.create(**REQUEST), Message)  # the client still returns raw messages


async def test_async_client_is_detected_once_and_guarded():
    client, verifier, guard = make(thinking_message("The eggs number 42."), 0.6, is_async=True)
    create = guard_anthropic(client, guard)
    assert inspect.iscoroutinefunction(create)
    guarded = await create(**REQUEST)
    assert guarded.verdict.action is Action.LABEL
    assert isinstance(guarded.output, Message) and guarded.output.content[1].text.startswith("[Stated")
    assert verifier.seen[0].rationale == THINKING


def test_custom_question_function():
    client, verifier, guard = make(thinking_message(), 0.9)
    guard_anthropic(client, guard, question=lambda request: request["system"])(**REQUEST, system="custom?")
    assert verifier.seen[0].question == "custom?"


def test_a_failing_question_function_does_not_lose_the_output():
    client, verifier, guard = make(thinking_message(), 0.9)
    guarded = guard_anthropic(client, guard, question=lambda request: request["missing"])(**REQUEST)
    assert verifier.seen[0].question == "" and isinstance(guarded.output, Message)


def test_importing_guardrail_does_not_import_the_sdks():
    code = (
        "import sys, guardrail, guardrail.adapters; "
        "print(sorted(m for m in ('anthropic', 'openai', 'torch', 'transformers') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
    assert guardrail.guard_anthropic is guard_anthropic


@pytest.mark.slow
def test_real_onnx_verifier_through_the_adapter(tiny_verifier):
    client, _, _ = make(thinking_message(), 0.0)
    guarded = guard_anthropic(client, Guard(verifier=tiny_verifier, policy=Policy(block_mode="fallback")))(**REQUEST)
    verdict = guarded.verdict
    assert verdict.consistency is not None and 0.0 <= verdict.consistency <= 1.0
    assert verdict.decided_by == (tiny_verifier.name,)
    assert isinstance(guarded.output, Message)
