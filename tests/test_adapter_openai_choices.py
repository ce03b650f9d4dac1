"""OpenAI ``n>1``: every choice is checked and gets its own verdict; no choice goes out unchecked (nor keeps
its reasoning when it is blocked). Streams with ``n>1`` are refused. Real openai SDK, MockTransport."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletion
from provider_fakes import RecordingHandler, http_module, openai_chunks, openai_choices, openai_client, openai_sse
from runtime_fakes import MappedVerifier

from guardrail import Action, Guard, InputError, OutputBlocked, Policy
from guardrail.adapters import STREAM_INTERRUPTED, guard_openai

QUESTION = "Tom has 3 bags of 5 apples. How many apples?"
REASONING = "3 bags.\n5 apples each.\n3 * 5 = 15."
REQUEST = {"model": "m", "messages": [{"role": "user", "content": QUESTION}], "n": 3}
GOOD = {"content": "Final answer: 15", "reasoning_content": REASONING}
BAD = {"content": "Final answer: 16", "reasoning_content": REASONING}
SO_SO = {"content": "Final answer: 14", "reasoning_content": REASONING}
SCORES = {"15": 0.95, "16": 0.05, "14": 0.6}


def make(*messages, policy=None, is_async=False):
    handler = RecordingHandler(http_module(openai), json.dumps(openai_choices(*messages)).encode(), event_stream=False)
    verifier = MappedVerifier(lambda item: SCORES[item.answer])
    return openai_client(handler, is_async=is_async), verifier, Guard(verifier=verifier, policy=policy), handler


def test_every_choice_is_checked_and_a_blocked_one_is_withheld_with_its_reasoning():
    client, verifier, guard, _ = make(GOOD, BAD, SO_SO, policy=Policy(block_mode="fallback", fallback_text="Withheld."))
    guarded = guard_openai(client, guard)(**REQUEST)
    assert sorted(item.answer for batch in verifier.calls for item in batch) == ["14", "15", "16"]
    assert [v.action for v in guarded.verdicts] == [Action.PASS, Action.BLOCK, Action.LABEL]
    assert guarded.verdict is guarded.verdicts[1]  # the strictest decides what the response is
    first, second, third = (choice.message for choice in guarded.output.choices)
    assert first.content == "Final answer: 15" and first.reasoning_content == REASONING  # passed as is
    assert second.content == "Withheld." and getattr(second, "reasoning_content", None) is None
    assert third.content.startswith("[Stated reasoning, not verified]") and third.reasoning_content == REASONING
    assert guarded.original.choices[1].message.content == "Final answer: 16"  # the original is kept


def test_a_blocked_later_choice_raises_even_when_choice_zero_passes():
    client, _, guard, _ = make(GOOD, BAD)
    with pytest.raises(OutputBlocked) as info:
        guard_openai(client, guard)(**REQUEST)
    assert info.value.verdict.action is Action.BLOCK and isinstance(info.value.original, ChatCompletion)


async def test_all_choices_passing_delivers_the_original_async():
    client, _, guard, _ = make(GOOD, GOOD, is_async=True)
    guarded = await guard_openai(client, guard)(**REQUEST)
    assert guarded.output is guarded.original
    assert [v.action for v in guarded.verdicts] == [Action.PASS, Action.PASS]


def test_stream_with_n_above_one_is_refused_before_the_request():
    client, _, guard, handler = make(GOOD)
    with pytest.raises(InputError, match="multiple_choices"):
        guard_openai(client, guard)(**REQUEST, stream=True)
    assert handler.requests == []  # nothing was sent, nothing was paid for


def test_a_stream_that_carries_a_second_choice_anyway_is_interrupted_not_passed():
    chunks = openai_chunks([{"content": "Final answer: 15"}]) + openai_chunks([{"content": "16"}], index=1)
    handler = RecordingHandler(http_module(openai), openai_sse(chunks), event_stream=True)
    guard = Guard(verifier=MappedVerifier(lambda item: 0.95))
    stream = guard_openai(openai_client(handler), guard)(model="m", messages=REQUEST["messages"], stream=True)
    events = []
    with pytest.raises(InputError, match="multiple_choices"):
        for event in stream:
            events.append(event)
    assert events[-1].type == "verdict" and stream.verdict.action is not Action.PASS
    assert any(r.startswith(STREAM_INTERRUPTED) for r in stream.verdict.reasons)
    assert "16" not in "".join(e.text for e in events)


def test_guard_apply_and_wrap_check_every_choice_check_refuses_to_pick_one():
    client, verifier, guard, _ = make(GOOD, SO_SO)
    completion = client.chat.completions.create(**REQUEST)
    guarded = guard.apply(QUESTION, completion, id="c")
    assert [v.id for v in guarded.verdicts] == ["c-0", "c-1"]
    assert [v.action for v in guarded.verdicts] == [Action.PASS, Action.LABEL]
    assert guarded.verdict.action is Action.LABEL and guarded.display.startswith("[Stated reasoning")

    wrapped = guard.wrap(lambda **kwargs: client.chat.completions.create(**kwargs))(**REQUEST)
    assert [v.action for v in wrapped.verdicts] == [Action.PASS, Action.LABEL]

    for output in (completion, completion.model_dump()):
        verdict = guard.check(QUESTION, output)
        assert verdict.reasons[0].startswith("input_error: multiple_choices") and verdict.action is Action.LABEL
