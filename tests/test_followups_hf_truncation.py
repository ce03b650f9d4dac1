"""``guard_generate``: a local generation that stops at ``max_new_tokens`` without an end-of-sequence token is
incomplete, like a provider response cut at its length limit: ``output_truncated``, never a pass (issue 15
item 4). Tiny random GPT-2 with forced generation, as in ``test_hf_adapter.py``."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from runtime_fakes import FixedVerifier  # noqa: E402

from guardrail import Action, Guard, Policy  # noqa: E402
from guardrail._types import OUTPUT_TRUNCATED, reason_code  # noqa: E402
from guardrail.adapters import generate_completion, guard_generate  # noqa: E402
from examples._tiny_gpt2 import build_tiny_gpt2, forced_generation  # noqa: E402

PROMPT = "Q: what is 6 * 7 ?"
TARGET = "<think> 6 * 7 = 42 </think> Final answer: 42"


@pytest.fixture(scope="module")
def tiny_gpt2():
    return build_tiny_gpt2(seed=0)


def _cut_before_eos(tokenizer) -> dict:
    """Forced generation of all of TARGET, but one token short of the EOS that would end it."""
    options = forced_generation(tokenizer, PROMPT, TARGET)
    return {**options, "max_new_tokens": options["max_new_tokens"] - 1}


def _codes(verdict) -> list[str]:
    return [reason_code(reason) for reason in verdict.reasons]


def test_a_generation_cut_at_max_new_tokens_is_truncated_and_never_passes(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    verifier = FixedVerifier(0.95)  # the text alone would pass
    guarded = guard_generate(model, tokenizer, Guard(verifier), **_cut_before_eos(tokenizer))(PROMPT)
    assert guarded.original == TARGET  # every word arrived; only the end of sequence did not
    assert OUTPUT_TRUNCATED in _codes(guarded.verdict)
    assert guarded.verdict.action is Guard(verifier).policy.incomplete_action(Action.PASS) is not Action.PASS
    assert guarded.verdict.consistency == 0.95 and guarded.output != guarded.original  # scored, not delivered as is


def test_a_truncated_generation_follows_fail_closed(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    guard = Guard(FixedVerifier(0.95), policy=Policy(on_error="fail_closed", block_mode="fallback"))
    guarded = guard_generate(model, tokenizer, guard, **_cut_before_eos(tokenizer))(PROMPT)
    assert guarded.verdict.action is Action.BLOCK and guarded.output == guard.policy.fallback_text


def test_a_generation_ending_on_eos_at_the_limit_is_complete(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    options = forced_generation(tokenizer, PROMPT, TARGET)  # EOS is exactly the max_new_tokens-th token
    guarded = guard_generate(model, tokenizer, Guard(FixedVerifier(0.95)), **options)(PROMPT)
    assert guarded.verdict.action is Action.PASS and OUTPUT_TRUNCATED not in _codes(guarded.verdict)
    assert generate_completion(model, tokenizer, PROMPT, **options) == (TARGET, "stop")


def test_the_generation_configs_max_length_counts_when_max_new_tokens_is_not_given(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    options = forced_generation(tokenizer, PROMPT, TARGET)
    del options["max_new_tokens"]
    prompt_length = len(tokenizer(PROMPT)["input_ids"])
    text, finish = generate_completion(model, tokenizer, PROMPT, **options, max_length=prompt_length + 3)
    assert (text, finish) == ("<think> 6 *", "length")
