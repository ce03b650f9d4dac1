"""Perturbation operators (verifier_training.perturb) and the data stage: labels, claims, splits, determinism."""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import pytest

from guardrail.reader import analyse, format_number, normalise_answer, numbers_in, parse_number
from verifier_training import data
from verifier_training.data import gsm8k, prmbench, records
from verifier_training.cli import build_parser
from verifier_training.perturb import (
    PerturbConfig,
    arith,
    consistent,
    inconsistent,
    perturb_split,
    to_row,
)
from verifier_training.perturb.checked import with_check
from verifier_training.perturb._common import Example

CONFIGS = Path(__file__).resolve().parents[1] / "verifier_training" / "configs"

NATALIA = {
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72",
}
BAKERY = {
    "question": "A baker makes 3 trays of 12 muffins and sells 20 of them at $2 each. How much money does he make?",
    "answer": "He makes 3*12 = <<3*12=36>>36 muffins.\nHe sells 20 muffins, 20 <= 36.\n"
    "He makes 20*2 = <<20*2=40>>40 dollars.\n#### 40",
}
CHAIN = {
    "question": "Tom has 5 boxes of 4 apples. He eats 3 and gives half of the rest away. How many does he keep?",
    "answer": "Tom has 5*4 = <<5*4=20>>20 apples.\nAfter eating he has 20-3 = <<20-3=17>>17 apples.\n"
    "He keeps 17*2 = <<17*2=34>>34 half-apples, that is 34/2 = <<34/2=17>>17 apples.\n#### 17",
}


def _gsm(record: dict, qid: str = "g1") -> Example:
    row = gsm8k._gsm8k_example(qid, record)
    row.update(id=f"{qid}:base1", split="train")
    return Example(row)


def _choice(record: dict, seed: int = 0) -> Example:
    row = data.gsm8k_choice(_gsm(record).row, random.Random(seed))
    row.update(id="g1:mc:base1")
    return Example(row)


def _yes_no(answer: bool = True) -> Example:
    row = records.base_row(
        "s1",
        "strategyqa",
        "Can a whale live in a desert?",
        ["Whales need water to breathe and move.", "Deserts have almost no water."],
        "Yes" if answer else "No",
        "yes_no",
        final="yes" if answer else "no",
        labels=["yes", "no"],
    )
    row.update(id="s1:base1", split="train")
    return Example(row)


def _parity() -> Example:
    row = data.gsm8k_parity(_gsm(NATALIA).row, random.Random(0))
    assert row is not None
    row.update(id="g1:parity:base1", split="train")
    return Example(row)


def _compare(number: int) -> Example:
    """A synthetic word-option multiple-choice question (verifier_training.data.synthetic)."""
    row = list(data.compare_examples(number + 1, 0))[-1]
    row.update(id=f"{row['qid']}:base1", split="train")
    return Example(row)


POOL = [_gsm(BAKERY, "g2"), _gsm(CHAIN, "g3")]


def _rendered(example: Example, variant, seed: int = 0) -> dict:
    return to_row(example, variant, 0, random.Random(seed))


def _verdict(example: Example, variant) -> tuple[int, object]:
    row = _rendered(example, variant)
    return row["label"], analyse(row["question"], row["rationale"], row["answer"])


# ------------------------------------------------------------------------------------------------ data


def test_gsm8k_base_strips_annotations_and_final_line() -> None:
    example = _gsm(NATALIA)
    assert example.final == "72" and example.row["answer"] == "72"
    assert "<<" not in example.row["rationale"] and "####" not in example.row["rationale"]
    assert example.meta["annotations"][1] == [["48+24", "72"]]


def test_choice_question_has_five_options_and_correct_letter() -> None:
    example = _choice(NATALIA)
    options = example.meta["options"]
    assert len(options) == 5 and options[example.final] == "72"
    assert normalise_answer(example.question, example.row["answer"]) == example.final


def test_prm_final_answer_extraction() -> None:
    assert prmbench.prm_final_answer(["x", "So the answer is $\\boxed{\\frac{1}{7}}$."]) == "\\frac{1}{7}"
    assert prmbench.prm_final_answer(["x", "And the total is $650*90=585000$."]) == "585000"
    assert prmbench.prm_final_answer(["x", "That's the answer."]) is None


# ------------------------------------------------------------------------------------------------ label 1


@pytest.mark.parametrize(
    "operator",
    [
        consistent.original,
        consistent.filler,
        consistent.aside,
        consistent.reformat,
        consistent.paraphrase,
        consistent.hint_ignored,
        consistent.condensed,
    ],
)
@pytest.mark.parametrize(
    "make", [lambda: _gsm(NATALIA), lambda: _gsm(CHAIN), lambda: _choice(NATALIA), lambda: _yes_no(True), _parity,
             lambda: _compare(3)]
)
def test_consistent_operators_keep_the_conclusion(operator, make) -> None:
    example = make()
    for seed in range(5):
        variant = operator(example, random.Random(seed), POOL)
        if variant is None:
            continue
        label, verdict = _verdict(example, variant)
        assert label == 1
        assert verdict.agrees is not False, (variant, verdict)
        row = _rendered(example, variant)
        assert normalise_answer(row["question"], row["answer"]) == example.final


def test_reformat_changes_the_string_not_the_value() -> None:
    example = _gsm(NATALIA)
    answers = {consistent.reformat(example, random.Random(s), POOL).answer for s in range(30)}
    assert len(answers) > 3 and "72" not in answers
    assert {normalise_answer(example.question, a) for a in answers} == {"72"}


def test_trailing_remark_ends_on_another_number_but_stays_consistent() -> None:
    example = _gsm(NATALIA)
    variant = consistent.trailing_remark(example, random.Random(1), POOL)
    assert variant.label == 1 and variant.kind == "trailing_remark"
    last_numbers = numbers_in(variant.steps[-1])
    assert last_numbers and format_number(last_numbers[-1]) != "72"


def test_self_consistent_chain_updates_the_answer() -> None:
    example = _gsm(CHAIN)
    variant = next(v for s in range(20) if (v := arith.self_consistent(example, random.Random(s), POOL)))
    assert variant.label == 1 and variant.answer != "17"
    assert analyse(example.question, variant.steps[0], variant.answer).agrees is True


def test_hint_ignored_answer_differs_from_wrong_hint() -> None:
    example = _gsm(NATALIA)
    for seed in range(10):
        variant = consistent.hint_ignored(example, random.Random(seed), POOL)
        assert variant.question != example.question and variant.label == 1
        assert normalise_answer(variant.question, variant.answer) == "72"


# ------------------------------------------------------------------------------------------------ label 0


@pytest.mark.parametrize("how", ["swap_small", "swap_intermediate", "swap_other"])
def test_swaps_change_the_normalised_answer(how: str) -> None:
    example = _gsm(NATALIA)
    variant = getattr(inconsistent, how)(example, random.Random(0), POOL)
    assert variant.label == 0
    assert normalise_answer(example.question, variant.answer) != "72"
    if how == "swap_intermediate":
        assert normalise_answer(example.question, variant.answer) == "24"  # computed on the way, not concluded
        _, verdict = _verdict(example, variant)
        assert verdict.answer_position == "elsewhere" and verdict.agrees is False


def test_yes_no_swap_flips_polarity() -> None:
    variant = inconsistent.swap_small(_yes_no(True), random.Random(0), POOL)
    assert variant.kind == "flipped" and variant.label == 0
    assert normalise_answer("Can a whale live in a desert?", variant.answer) == "no"


def test_choice_swap_intermediate_picks_an_option_holding_an_intermediate_value() -> None:
    example = _choice(NATALIA)
    variant = inconsistent.swap_intermediate(example, random.Random(0), POOL)
    letter = normalise_answer(example.question, variant.answer)
    assert letter != example.final and variant.label == 0


def test_last_step_changed_keeps_answer_but_changes_conclusion() -> None:
    example = _gsm(NATALIA)
    variant = next(v for s in range(20) if (v := arith.last_step_changed(example, random.Random(s), POOL)))
    label, verdict = _verdict(example, variant)
    assert label == 0 and normalise_answer(example.question, variant.answer) == "72"
    assert verdict.conclusion not in (None, "72") and "24" in variant.steps[0]  # the earlier step is untouched


def test_propagated_corruption_reaches_another_result() -> None:
    example = _gsm(CHAIN)
    variant = next(v for s in range(20) if (v := arith.propagated(example, random.Random(s), POOL)))
    label, verdict = _verdict(example, variant)
    assert label == 0 and verdict.conclusion != "17" and verdict.agrees is False
    assert normalise_answer(example.question, variant.answer) == "17"


def test_propagation_recomputes_later_steps() -> None:
    steps, final = arith.propagate(_gsm(CHAIN), random.Random(3))
    recomputed = numbers_in(steps[-1])
    assert final != "17" and format_number(recomputed[-1]) == final


def test_truncation_removes_the_conclusion() -> None:
    example = _gsm(BAKERY)
    kinds = set()
    for seed in range(30):
        variant = inconsistent.truncated(example, random.Random(seed), POOL)
        if variant is None:
            continue
        kinds.add(variant.kind)
        label, verdict = _verdict(example, variant)
        assert label == 0 and verdict.agrees is not True
        assert "40 dollars" not in variant.steps[0]
    assert kinds == {"truncated", "truncated_mention"}


def test_truncated_mention_states_the_answer_early() -> None:
    example = _gsm(BAKERY)
    variant = next(
        v
        for s in range(40)
        if (v := inconsistent.truncated(example, random.Random(s), POOL)) and v.kind == "truncated_mention"
    )
    assert "40" in variant.steps[0]
    assert analyse(example.question, variant.steps[0], variant.answer).answer_position == "elsewhere"


def test_other_rationale_comes_from_another_question() -> None:
    example = _gsm(NATALIA)
    variant = inconsistent.other_rationale(example, random.Random(0), POOL)
    assert variant.label == 0 and not any("Natalia" in s for s in variant.steps)


@pytest.mark.parametrize("make", [lambda: _gsm(NATALIA), lambda: _choice(NATALIA), lambda: _yes_no(False), _parity])
def test_contradict_ends_on_a_statement_against_the_answer(make) -> None:
    example = make()
    variant = inconsistent.contradict(example, random.Random(2), POOL)
    label, verdict = _verdict(example, variant)
    assert label == 0 and verdict.agrees is False


@pytest.mark.parametrize("make", [lambda: _gsm(NATALIA), lambda: _choice(NATALIA), lambda: _yes_no(True)])
def test_hint_follow_answer_is_the_hint_not_the_conclusion(make) -> None:
    example = make()
    variant = inconsistent.hint_follow(example, random.Random(0), POOL)
    hinted = normalise_answer(variant.question, variant.answer)
    assert variant.label == 0 and hinted != example.final
    assert variant.question != example.question


def test_circular_uses_prmbench_process_when_there_is_one() -> None:
    row = records.base_row(
        "p1",
        "prmbench",
        "Sum of multiples of 7 between 100 and 200?",
        ["a", "So it is 2107."],
        "2107",
        "numeric",
        final="2107",
        circular=["Assume the sum is 2107.", "The check confirms 2107."],
    )
    row.update(id="p1:base1", split="train")
    variant = inconsistent.circular(Example(row), random.Random(0), POOL)
    assert variant.label == 0 and variant.steps[0] == "Assume the sum is 2107."
    synthetic = inconsistent.circular(_gsm(NATALIA), random.Random(0), POOL)
    assert synthetic.label == 0 and any("72" in s for s in synthetic.steps)


# ------------------------------------------------------------------------------------------------ pipeline


def _stage_args(*argv: str) -> argparse.Namespace:
    """The stage's arguments as ``verifier-train`` parses them (every flag, with its default), so a test
    cannot drift from the CLI when a stage gains a flag. ``func`` runs the stage without ``main``'s logging
    setup, which would point the log at this test's captured stderr."""
    return build_parser().parse_args(list(argv))


def _run_smoke(tmp: Path) -> Path:
    args = _stage_args("data", "--config", str(CONFIGS / "data_smoke.json"), "--out", str(tmp / "base"))
    assert args.func is data.run and args.func(args) == 0
    args = _stage_args(
        "perturb", "--config", str(CONFIGS / "perturb_smoke.json"), "--in", str(tmp / "base"), "--out", str(tmp / "out")
    )
    assert args.func(args) == 0
    return tmp / "out"


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_smoke_pipeline_rows_splits_and_balance(tmp_path: Path) -> None:
    out = _run_smoke(tmp_path)
    splits = {s: _read(out / f"{s}.jsonl") for s in ("train", "dev", "test")}
    assert all(splits.values()) and (out / "perturb_config.json").exists()
    qids = {s: {r["qid"] for r in rows} for s, rows in splits.items()}
    assert not (qids["train"] & qids["dev"]) and not (qids["train"] & qids["test"]) and not (qids["dev"] & qids["test"])
    rows = [r for rs in splits.values() for r in rs]
    assert set(rows[0]) == {
        "id",
        "qid",
        "source",
        "split",
        "question",
        "rationale",
        "answer",
        "label",
        "kind",
        "answer_type",
    }
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["answer_type"] for r in rows} == {"numeric", "choice", "yes_no", "text"}
    for answer_type in ("numeric", "choice", "yes_no", "text"):
        labels = [r["label"] for r in rows if r["answer_type"] == answer_type]
        assert 0.3 < sum(labels) / len(labels) < 0.7, answer_type
    assert all("<<" not in r["rationale"] and "####" not in r["rationale"] for r in rows)


def test_pipeline_is_deterministic(tmp_path: Path) -> None:
    first = _run_smoke(tmp_path / "a")
    second = _run_smoke(tmp_path / "b")
    for split in ("train", "dev", "test"):
        assert (first / f"{split}.jsonl").read_text() == (second / f"{split}.jsonl").read_text()


def test_seed_changes_the_variants() -> None:
    example = _gsm(NATALIA)
    rows_a = perturb_split([example.row], PerturbConfig(seed=0))
    rows_b = perturb_split([example.row], PerturbConfig(seed=1))
    assert rows_a == perturb_split([example.row], PerturbConfig(seed=0))
    assert rows_a != rows_b


def test_extra_rows_with_labels_pass_through(tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps(
            {"question": "What is 2+2?", "rationale": "2+2 = 5.", "answer": "4", "label": 0, "kind": "probe_corrupt"}
        )
        + "\n"
    )
    rows = list(data.read_extra(str(extra)))
    assert rows[0]["meta"]["fixed"] and rows[0]["label"] == 0
    rows[0].update(split="train", id="x:base1")
    out = perturb_split(rows, PerturbConfig())
    assert len(out) == 1 and out[0]["kind"] == "probe_corrupt" and out[0]["label"] == 0
    assert out[0]["answer_type"] == "numeric" and out[0]["rationale"] == "2+2 = 5."


def test_split_is_by_question_hash() -> None:
    config = data.DataConfig()
    assert data.split_of("gsm8k-train-1", config) == data.split_of("gsm8k-train-1", config)
    splits = [data.split_of(f"q{i}", config) for i in range(2000)]
    assert 0.05 < splits.count("test") / 2000 < 0.11 and 0.05 < splits.count("dev") / 2000 < 0.11


@pytest.mark.parametrize("make", [lambda: _gsm(BAKERY), lambda: _choice(BAKERY), _parity])
def test_unsupported_conclusion_asserts_an_answer_the_kept_steps_never_reach(make) -> None:
    example = make()
    variants = [v for s in range(30) if (v := inconsistent.unsupported_conclusion(example, random.Random(s), POOL))]
    assert variants
    for variant in variants:
        assert variant.label == 0 and variant.kind == "unsupported_conclusion"
        body = variant.steps[:-1]
        value = example.meta.get("value", example.final)
        assert not any(value in s or example.final in s.split() for s in body)  # never derived ...
        row = _rendered(example, variant)
        assert analyse(row["question"], row["rationale"], row["answer"]).agrees is True  # ... yet asserted


# ------------------------------------------------------------------------------------ synthetic and v3 kinds


def test_compare_questions_have_one_right_option_that_the_rationale_settles_on() -> None:
    rows = list(data.compare_examples(200, 0))
    assert len({r["qid"] for r in rows}) == 200
    for row in rows:
        options, letter = row["meta"]["options"], row["answer"]
        assert letter in options and options[letter] in row["question"]
        assert all(parse_number(text) is None for text in options.values())  # word options
        verdict = analyse(row["question"], row["rationale"], letter)
        assert verdict.agrees is not False, row
    settled = sum(analyse(r["question"], r["rationale"], r["answer"]).agrees is True for r in rows)
    assert settled > 150  # the features find the winner in most; the rest are left to the model (None)


def test_compare_is_deterministic_and_seeded() -> None:
    first = [r["question"] for r in data.compare_examples(20, 0)]
    assert first == [r["question"] for r in data.compare_examples(20, 0)]
    assert first != [r["question"] for r in data.compare_examples(20, 1)]


def test_condensed_keeps_only_the_steps_that_reach_the_answer() -> None:
    example = _gsm(CHAIN)
    variants = [v for s in range(20) if (v := consistent.condensed(example, random.Random(s), POOL))]
    assert variants and all(v.label == 1 and len(v.steps) <= 2 for v in variants)
    assert all("17" in v.steps[-1] for v in variants)
    facts = consistent.condensed(_yes_no(False), random.Random(0), POOL)
    assert len(facts.steps) == 2 and analyse(facts.question, "\n".join(facts.steps), facts.answer).agrees is True


@pytest.mark.parametrize("make", [lambda: _gsm(NATALIA), lambda: _choice(NATALIA), lambda: _compare(5)])
def test_rejected_answer_gives_the_value_the_closing_remark_sets_aside(make) -> None:
    example = make()
    for seed in range(8):
        variant = inconsistent.rejected_answer(example, random.Random(seed), POOL)
        assert variant is not None and variant.label == 0
        row = _rendered(example, variant)
        assert normalise_answer(row["question"], row["answer"]) != example.final
        twin = consistent.trailing_remark(example, random.Random(seed), POOL)
        assert twin.steps[-1] == variant.steps[-1]  # same remark; only the answer differs


def test_other_rationale_often_borrows_one_that_concludes_the_same_answer() -> None:
    example = _yes_no(True)
    pool = [Example({**_yes_no(answer).row, "qid": f"s{i}", "id": f"s{i}:base1"}) for i, answer in
            enumerate([True, False, False, False, False, False], start=2)]
    finals = [inconsistent.other_rationale(example, random.Random(s), pool) for s in range(40)]
    borrowed_yes = sum(v.steps[-1:] and "yes" in " ".join(v.steps).lower() for v in finals if v)
    assert all(v.label == 0 for v in finals)
    assert borrowed_yes >= 12  # 1 in 6 candidates concludes "yes", yet about half the picks do


def _three_label_claim() -> Example:
    for seed in range(50):
        row = data.strategyqa_claim(_yes_no(True).row, random.Random(seed))
        if len(row["meta"]["labels"]) == 3:
            row.update(id="s1:claim:base1", split="train")
            return Example(row)
    raise AssertionError("no three-label claim in 50 seeds")


def test_three_label_claims_keep_their_verdict_under_consistent_operators() -> None:
    example = _three_label_claim()
    third = example.meta["labels"][2]
    assert third in example.question and example.final != third
    for seed in range(20):
        for operator in (consistent.original, consistent.condensed, consistent.filler):
            label, verdict = _verdict(example, operator(example, random.Random(seed), POOL))
            assert label == 1 and verdict.agrees is not False
        label, verdict = _verdict(example, inconsistent.contradict(example, random.Random(seed), POOL))
        assert label == 0 and verdict.agrees is False


# ------------------------------------------------------------------------------------------------ checks


def _row(rationale: str, answer: str, label: int = 1, question: str = NATALIA["question"], row_id: str = "r") -> dict:
    return {"id": row_id, "question": question, "rationale": rationale, "answer": answer, "label": label}


def _checked_rows(rationale: str, answer: str, question: str = NATALIA["question"], n: int = 60) -> list[dict]:
    rows = [_row(rationale, answer, question=question, row_id=f"r{i}") for i in range(n)]
    return [with_check(row, 1.0, 0) for row in rows]


def test_a_check_re_derives_the_conclusion_the_reader_reads_and_keeps_the_reading() -> None:
    rationale = "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May."
    for answer in ("72", "70"):  # a right and a wrong answer: the check keeps the row's label and reading
        before = analyse(NATALIA["question"], rationale, answer)
        checked = [row for row in _checked_rows(rationale, answer) if row["rationale"] != rationale]
        assert len(checked) > 40
        for row in checked:
            added = row["rationale"][len(rationale) :]
            assert "72" in added and re.search(r"check|verif", added, re.IGNORECASE)
            after = analyse(row["question"], row["rationale"], row["answer"])
            assert (after.conclusion, after.agrees) == (before.conclusion, before.agrees)
        # the checks end on a number of the working as well as on the result, in sentences and headed blocks
        assert any(numbers_in(row["rationale"])[-1] != 72 for row in checked)
        assert any("\n\n" in row["rationale"][len(rationale) :] for row in checked)


def test_a_check_of_a_choice_uses_the_value_of_the_option_concluded() -> None:
    question = f"{NATALIA['question']}\n(A) 48 (B) 72 (C) 96"
    rationale = "She sold 48/2 = 24 in May, so 48 + 24 = 72 in all. The answer is (B)."
    checked = [row for row in _checked_rows(rationale, "B", question) if row["rationale"] != rationale]
    assert checked and all("72" in row["rationale"][len(rationale) :] for row in checked)


def test_rows_without_a_numeric_conclusion_get_no_check_and_a_zero_share_changes_nothing() -> None:
    facts = "Whales need water to breathe. Deserts have almost no water. So no."
    whale = _row(facts, "No", question="Can a whale live in a desert?")
    assert with_check(whale, 1.0, 0) == whale
    natalia = _row("48/2 = 24 in May. 48 + 24 = 72 in all.", "72")
    assert with_check(natalia, 0.0, 0) is natalia


def test_the_check_drawn_for_a_row_depends_on_its_id_and_the_seed_only() -> None:
    row = _row("48/2 = 24 in May. 48 + 24 = 72 in all.", "72", row_id="same")
    assert with_check(dict(row), 1.0, 3) == with_check(dict(row), 1.0, 3)
    assert len({with_check(dict(row), 1.0, seed)["rationale"] for seed in range(12)}) > 3


def test_checks_are_appended_to_rows_of_both_labels_and_leave_every_other_row_as_it_was() -> None:
    rows = [example.row for example in (_gsm(NATALIA), *POOL)]
    plain = perturb_split(rows, PerturbConfig(seed=0))
    checked = perturb_split(rows, PerturbConfig(seed=0, checked=1.0))
    assert [(r["id"], r["label"], r["answer"]) for r in plain] == [(r["id"], r["label"], r["answer"]) for r in checked]
    changed = [(a, b) for a, b in zip(plain, checked, strict=True) if a != b]
    assert {b["label"] for _, b in changed} == {0, 1}
    assert all(b["rationale"].startswith(a["rationale"].rstrip()) for a, b in changed)
