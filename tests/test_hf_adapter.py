"""The transformers adapter with a tiny randomly initialised GPT-2 and a word-level tokenizer built
locally by ``examples/_tiny_gpt2.py`` (no download). Generation is forced token by token
(``prefix_allowed_tokens_fn``) so the output is known; one test lets the random model speak freely and only
checks that a verdict always comes back."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from provider_fakes import FixedVerifier  # noqa: E402
from runtime_fakes import MappedVerifier  # noqa: E402

from guardrail import Action, Guard, Guarded, OutputBlocked, Policy  # noqa: E402
from guardrail.adapters import generate_text, guard_generate, guard_pipeline  # noqa: E402
from examples._tiny_gpt2 import build_tiny_gpt2, forced_generation  # noqa: E402

PROMPT = "Q: what is 6 * 7 ?"
TARGET = "<think> 6 * 7 = 42 </think> Final answer: 42"


@pytest.fixture(scope="module")
def tiny_gpt2():
    return build_tiny_gpt2(seed=0)


@pytest.fixture(scope="module")
def tokenizer(tiny_gpt2):
    return tiny_gpt2[1]


@pytest.fixture(scope="module")
def model(tiny_gpt2):
    return tiny_gpt2[0]


@pytest.fixture(scope="module")
def pipe(model, tokenizer):
    return transformers.pipeline("text-generation", model=model, tokenizer=tokenizer, device=-1)


def forced(tokenizer, text: str):
    return forced_generation(tokenizer, PROMPT, text)


def test_generate_think_tags_are_split_and_scored(model, tokenizer):
    verifier = FixedVerifier(0.95)
    generate = guard_generate(model, tokenizer, Guard(verifier=verifier), **forced(tokenizer, TARGET))
    guarded = generate(PROMPT)
    assert isinstance(guarded, Guarded) and guarded.output == TARGET == guarded.original
    [item] = verifier.seen
    assert (item.question, item.rationale, item.answer) == (PROMPT, "6 * 7 = 42", "42")
    assert guarded.verdict.action is Action.PASS


def test_generate_label_keeps_the_think_section(model, tokenizer):
    generate = guard_generate(model, tokenizer, Guard(verifier=FixedVerifier(0.6)), **forced(tokenizer, TARGET))
    guarded = generate(PROMPT)
    assert guarded.output.startswith("<think> 6 * 7 = 42 </think> [Stated reasoning, not verified]\nFinal answer: 42")


def test_pipeline_keeps_its_output_shape(pipe, tokenizer):
    verifier = FixedVerifier(0.3)
    guarded = guard_pipeline(pipe, Guard(verifier=verifier))(PROMPT, **forced(tokenizer, TARGET))
    assert guarded.verdict.action is Action.ANNOTATE and verifier.seen[0].answer == "42"
    [original] = guarded.original
    assert original["generated_text"] == f"{PROMPT} {TARGET}"  # the pipeline echoes the prompt
    [output] = guarded.output
    assert output["generated_text"].startswith(PROMPT) and "consistency 0.30" in output["generated_text"]


def test_pipeline_block_raises_with_the_pipeline_output(pipe, tokenizer):
    wrong = "<think> 6 * 7 = 42 </think> Final answer: 41"
    with pytest.raises(OutputBlocked) as info:
        guard_pipeline(pipe, Guard(verifier=FixedVerifier(0.05)))(PROMPT, **forced(tokenizer, wrong))
    assert info.value.original[0]["generated_text"].endswith("Final answer: 41")


def test_pipeline_block_with_fallback(pipe, tokenizer):
    guard = Guard(verifier=FixedVerifier(0.05), policy=Policy(block_mode="fallback", fallback_text="Withheld."))
    guarded = guard_pipeline(pipe, guard)(PROMPT, **forced(tokenizer, TARGET))
    assert (
        guarded.output[0]["generated_text"].endswith("Withheld.")
        and "<think>" not in guarded.output[0]["generated_text"]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_free_running_random_model_is_checked_like_any_output(model, tokenizer, seed):
    """Whatever a random model says, the adapter decodes only the new tokens, splits and scores them exactly
    as the runtime does for that text, and delivers what the verdict says (never the raw text on non-pass)."""
    options = {"do_sample": True, "max_new_tokens": 12, "pad_token_id": tokenizer.pad_token_id}
    torch.manual_seed(seed)
    expected_text = generate_text(model, tokenizer, PROMPT, **options)
    verifier = FixedVerifier(0.9)
    policy = Policy(block_mode="fallback")
    torch.manual_seed(seed)
    guarded = guard_generate(model, tokenizer, Guard(verifier=verifier, policy=policy), **options)(PROMPT)

    assert guarded.original == expected_text and not guarded.original.startswith(PROMPT)  # new tokens only
    reference_verifier = FixedVerifier(0.9)
    reference = Guard(verifier=reference_verifier, policy=policy).check(PROMPT, guarded.original)
    assert (guarded.verdict.action, guarded.verdict.reasons, guarded.verdict.answer_found) == (
        reference.action,
        reference.reasons,
        reference.answer_found,
    )
    assert [(i.question, i.rationale, i.answer) for i in verifier.seen] == [
        (i.question, i.rationale, i.answer) for i in reference_verifier.seen
    ]
    if guarded.verdict.action is Action.PASS:
        assert guarded.output == guarded.original
    else:
        assert guarded.output != guarded.original and policy.label_text in guarded.output


def test_every_returned_sequence_is_checked():
    def two_sequences(prompt, **kwargs):  # num_return_sequences=2
        return [
            {"generated_text": prompt + " <think> 6 * 7 = 42 </think> Final answer: 42"},
            {"generated_text": prompt + " <think> 6 * 7 = 42 </think> Final answer: 41"},
        ]

    verifier = MappedVerifier(lambda item: 0.95 if item.answer == "42" else 0.05)
    guard = Guard(verifier=verifier, policy=Policy(block_mode="fallback", fallback_text="Withheld."))
    guarded = guard_pipeline(two_sequences, guard)(PROMPT)
    assert sorted(i.answer for batch in verifier.calls for i in batch) == ["41", "42"]
    assert [v.action for v in guarded.verdicts] == [Action.PASS, Action.BLOCK]
    assert guarded.verdict.action is Action.BLOCK
    first, second = (seq["generated_text"] for seq in guarded.output)
    assert first.endswith("Final answer: 42") and second == PROMPT + "Withheld."
    with pytest.raises(OutputBlocked):
        guard_pipeline(two_sequences, Guard(verifier=verifier))(PROMPT)


def test_chat_shaped_pipeline_output_rewrites_the_last_assistant_turn():
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 6 * 7?"}]

    def chat_pipe(messages, **kwargs):  # the shape transformers returns for chat prompts
        return [
            {"generated_text": [*messages, {"role": "assistant", "content": "<think>6*7=42</think>\nFinal answer: 42"}]}
        ]

    verifier = FixedVerifier(0.6)
    guarded = guard_pipeline(chat_pipe, Guard(verifier=verifier))(chat)
    assert verifier.seen[0].question == "What is 6 * 7?" and verifier.seen[0].rationale == "6*7=42"
    turns = guarded.output[0]["generated_text"]
    assert turns[:2] == chat and turns[2]["content"].startswith("<think>6*7=42</think>\n[Stated reasoning")
    assert guarded.original[0]["generated_text"][2]["content"].endswith("Final answer: 42")
