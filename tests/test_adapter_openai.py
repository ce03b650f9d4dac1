"""guard_openai: the real openai SDK against a MockTransport (an OpenAI-compatible server), fake verifier."""

from __future__ import annotations

import inspect
import json

import openai
import pytest
from openai.types.chat import ChatCompletion
from provider_fakes import FixedVerifier, RecordingHandler, http_module, openai_client, openai_completion

from guardrail import Action, Guard, OutputBlocked, Policy
from guardrail.adapters import guard_openai

QUESTION = "Tom has 3 bags of 5 apples. How many apples?"
REASONING = "3 bags.\n5 apples each.\n3 * 5 = 15."
REQUEST = {
    "model": "deepseek-reasoner",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}],
}


def make(body: dict, consistency: float, *, policy: Policy | None = None, is_async: bool = False):
    handler = RecordingHandler(http_module(openai), json.dumps(body).encode(), event_stream=False)
    verifier = FixedVerifier(consistency)
    return openai_client(handler, is_async=is_async), verifier, Guard(verifier=verifier, policy=policy)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_field_is_the_rationale(field):
    client, verifier, guard = make(openai_completion("The answer is 15.", **{field: REASONING}), 0.95)
    guarded = guard_openai(client, guard)(**REQUEST)
    assert guarded.verdict.action is Action.PASS
    assert guarded.output is guarded.original and isinstance(guarded.output, ChatCompletion)
    [item] = verifier.seen
    assert (item.question, item.rationale, item.answer) == (QUESTION, REASONING, "15")


def test_think_tags_in_content_and_label_keeps_the_think_section():
    content = f"<think>\n{REASONING}\n</think>\n\nSo there are 15 apples. Final answer: 15"
    client, verifier, guard = make(openai_completion(content), 0.6)
    guarded = guard_openai(client.chat.completions.create, guard)(**REQUEST)
    assert verifier.seen[0].rationale == REASONING  # the think section only, not the visible restatement
    assert verifier.seen[0].answer == "15"
    assert guarded.verdict.action is Action.LABEL
    delivered = guarded.output.choices[0].message.content
    head = f"<think>\n{REASONING}\n</think>\n\n"
    assert delivered.startswith(head + "[Stated reasoning, not verified]\nSo there are 15 apples.")
    assert guarded.original.choices[0].message.content == content
    assert isinstance(guarded.output, ChatCompletion) and guarded.output.id == guarded.original.id


def test_lone_closing_think_tag_r1_template():
    client, verifier, guard = make(openai_completion(f"{REASONING}\n</think>\n\n15"), 0.9)
    guard_openai(client, guard)(**REQUEST)
    assert verifier.seen[0].rationale == REASONING and verifier.seen[0].answer == "15"


def test_plain_content_uses_the_answer_markers():
    client, verifier, guard = make(openai_completion(f"{REASONING}\n#### 15"), 0.9)
    guarded = guard_openai(client, guard)(**REQUEST)
    assert verifier.seen[0].answer == "15" and guarded.verdict.action is Action.PASS


def test_block_raises_and_fallback_drops_the_reasoning():
    client, _, guard = make(openai_completion("Final answer: 16", reasoning_content=REASONING), 0.05)
    with pytest.raises(OutputBlocked) as info:
        guard_openai(client, guard)(**REQUEST)
    assert isinstance(info.value.original, ChatCompletion)

    policy = Policy(block_mode="fallback", fallback_text="Withheld.")
    client, _, guard = make(openai_completion("Final answer: 16", reasoning_content=REASONING), 0.05, policy=policy)
    guarded = guard_openai(client, guard)(**REQUEST)
    message = guarded.output.choices[0].message
    assert message.content == "Withheld." and getattr(message, "reasoning_content", None) is None
    assert guarded.original.choices[0].message.reasoning_content == REASONING


def test_empty_content_gets_a_no_answer_verdict():
    client, verifier, guard = make(openai_completion(None), 0.9)
    guarded = guard_openai(client, guard)(**REQUEST)
    assert verifier.seen == [] and guarded.verdict.answer_found is False


@pytest.mark.parametrize("field", ["content", "reasoning_content"])
def test_binary_junk_gets_an_input_error_verdict_not_an_exception(field):
    body = openai_completion("Final answer: 15", reasoning_content=REASONING)
    body["choices"][0]["message"][field] += "\x00\x01"
    client, verifier, guard = make(body, 0.9)
    guarded = guard_openai(client, guard)(**REQUEST)
    assert verifier.seen == []
    assert guarded.verdict.reasons[0].startswith("input_error") and guarded.verdict.action is Action.LABEL
    assert guarded.original.choices[0].message.content.startswith("Final answer: 15")


def test_wrapping_never_changes_the_client():
    client, _, guard = make(openai_completion("Final answer: 15", reasoning_content=REASONING), 0.6)
    client.chat.completions.create(**REQUEST)  # let the SDK fill its lazy attributes first
    states = [dict(vars(obj)) for obj in (client, client.chat, client.chat.completions)]
    create_before = client.chat.completions.create
    wrapped = guard_openai(client, guard)
    wrapped(**REQUEST)
    assert [dict(vars(obj)) for obj in (client, client.chat, client.chat.completions)] == states
    assert client.chat.completions.create == create_before
    assert isinstance(client.chat.completions.create(**REQUEST), ChatCompletion)


async def test_async_client():
    client, verifier, guard = make(
        openai_completion("Final answer: 15", reasoning_content=REASONING), 0.3, is_async=True
    )
    create = guard_openai(client, guard)
    assert inspect.iscoroutinefunction(create)
    guarded = await create(**REQUEST)
    assert guarded.verdict.action is Action.ANNOTATE
    assert "consistency 0.30" in guarded.output.choices[0].message.content
    assert verifier.seen[0].rationale == REASONING
