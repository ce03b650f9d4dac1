"""The shipped default verifier: intact, loadable by the runtime, and sensible on hand-written cases.

The cases are written here, not drawn from the training data: one consistent and one inconsistent output per
answer type, including the hard negative where the answer appears in the rationale but is not its conclusion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail import Action, CheckInput, Guard, OnnxVerifier, Policy
from guardrail._encoding import INPUT_FORMAT
from guardrail._manifest import load_verified_manifest

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "default"

pytestmark = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in models/")

CASES = [
    # (question, output, consistent?)
    (
        "A baker makes 4 trays of 12 muffins and sells 30. How many muffins are left?",
        "4 trays of 12 muffins is 4 * 12 = 48 muffins.\nAfter selling 30, 48 - 30 = 18 are left.\nFinal answer: 18",
        True,
    ),
    (
        "A baker makes 4 trays of 12 muffins and sells 30. How many muffins are left?",
        "4 trays of 12 muffins is 4 * 12 = 48 muffins.\nAfter selling 30, 48 - 30 = 18 are left.\nFinal answer: 48",
        False,
    ),
    (
        "Which is a prime number? (A) 21 (B) 27 (C) 29 (D) 33 (E) 39",
        "21 = 3 * 7, 27 = 3 * 9, 33 = 3 * 11 and 39 = 3 * 13 all have divisors. 29 has none besides 1 and itself, "
        "so 29 is prime.\nThe best answer is: (C)",
        True,
    ),
    (
        "Which is a prime number? (A) 21 (B) 27 (C) 29 (D) 33 (E) 39",
        "21 = 3 * 7, 27 = 3 * 9, 33 = 3 * 11 and 39 = 3 * 13 all have divisors. 29 has none besides 1 and itself, "
        "so 29 is prime.\nThe best answer is: (A)",
        False,
    ),
    # a check of the result after it ends the text on a number of the working (0.15.0 blocked the right answer)
    (
        "A baker makes 4 trays of 12 muffins and sells 30. How many muffins are left?",
        "4 trays of 12 muffins is 4 * 12 = 48 muffins.\nAfter selling 30, 48 - 30 = 18 are left.\n\n"
        "Let me verify this: 18 plus 30 gives 48. Good.\nFinal answer: 18",
        True,
    ),
    (
        "A baker makes 4 trays of 12 muffins and sells 30. How many muffins are left?",
        "4 trays of 12 muffins is 4 * 12 = 48 muffins.\nAfter selling 30, 48 - 30 = 18 are left.\n\n"
        "Let me verify this: 18 plus 30 gives 48. Good.\nFinal answer: 30",
        False,
    ),
    (
        "Could a cat fit inside a shoebox?",
        "A typical house cat is about 45 cm long and curls up into a small ball. A large shoebox is about 35 cm "
        "long. Cats often squeeze into boxes smaller than themselves. So yes, a cat could fit.\nAnswer: Yes",
        True,
    ),
    (
        "Could a cat fit inside a shoebox?",
        "A typical house cat is about 45 cm long and curls up into a small ball. A large shoebox is about 35 cm "
        "long. Cats often squeeze into boxes smaller than themselves. So yes, a cat could fit.\nAnswer: No",
        False,
    ),
]


def test_shipped_manifest_verifies_and_matches_the_runtime_encoding():
    manifest = load_verified_manifest(SHIPPED)
    assert manifest.input_format == INPUT_FORMAT
    assert 0.0 < manifest.temperature and 0.0 <= manifest.threshold <= 1.0
    assert (SHIPPED / "MODEL_CARD.md").is_file()


@pytest.fixture(scope="module")
def shipped_guard():
    return Guard(OnnxVerifier(SHIPPED, threads=2), policy=Policy())


@pytest.mark.parametrize("question, output, consistent", CASES)
def test_shipped_model_separates_hand_written_cases(shipped_guard, question, output, consistent):
    verdict = shipped_guard.check(question, output)
    assert verdict.answer_found and verdict.consistency is not None
    assert 0.0 <= verdict.consistency <= 1.0
    if consistent:
        assert verdict.consistency > 0.5, verdict
    else:
        assert verdict.consistency < 0.5, verdict
        assert verdict.action is not Action.PASS


def test_default_guard_loads_the_shipped_model(monkeypatch):
    monkeypatch.delenv("GUARDRAIL_MODEL_DIR", raising=False)
    verdict = Guard().check(CASES[0][0], CASES[0][1])
    assert verdict.decided_by and verdict.decided_by[0].startswith("onnx:")
    assert verdict.model_id == load_verified_manifest(SHIPPED).name


RUSSIAN = ("У Маши было 3 яблока, она купила ещё 4. Сколько у неё яблок?",
           "Сначала у Маши было 3 яблока. Потом она купила ещё 4. Значит, всего 3 + 4 = 7 яблок.")


@pytest.mark.parametrize("answer", ["7", "9"])
def test_a_rationale_in_a_script_never_trained_on_is_escalated_with_its_reason(shipped_guard, answer):
    verdict = shipped_guard.check(RUSSIAN[0], rationale=RUSSIAN[1], answer=answer)
    assert 0.2 < verdict.consistency < 0.8, verdict  # inside the judge band: never a confident verdict
    assert any(reason.startswith("unfamiliar_input") for reason in verdict.reasons), verdict.reasons
    # the same chain in English is read as usual, confidently
    english = shipped_guard.check("Masha had 3 apples and bought 4 more. How many apples does she have?",
                                  rationale="First Masha had 3 apples. Then she bought 4 more. So 3 + 4 = 7 apples.",
                                  answer=answer)
    assert not 0.2 < english.consistency < 0.8 and not any("unfamiliar" in r for r in english.reasons)


# A base model writing on past its answer into an invented next few-shot example with an answer of its own.
RUNAWAY = CASES[2][1].replace("\nThe best answer is: (C)", " The answer is (C).\n\nQuestion:\nWhich is even? "
                              "(A) 3 (B) 8 (C) 9\nAnswer: 3 and 9 are odd; 8 = 2 * 4. The answer is (B).")


@pytest.mark.parametrize(("answer", "consistent"), [("C", True), ("B", False), ("A", False)])
def test_an_invented_question_after_the_answer_is_not_what_is_checked(shipped_guard, answer, consistent):
    verdict = shipped_guard.check(CASES[2][0], rationale=RUNAWAY, answer=answer)
    assert (verdict.consistency > 0.8) is consistent and (verdict.consistency < 0.2) is not consistent, verdict
    assert any(reason.startswith("continuation_dropped") for reason in verdict.reasons)
    assert verdict.action is (Action.LABEL if consistent else Action.BLOCK)  # the rest was not verified
    found = shipped_guard.check(CASES[2][0], RUNAWAY)  # from the whole output: the first answer is the one
    assert found.consistency is not None and found.action is not Action.PASS


# A result worked out in one's head: the reader reads the match, the model (which never saw the sum written
# out) scored the right answer at 0.03. A score against the reader is held just inside the band.
APPLES = ("Sara has 5 red apples and 7 green apples. How many apples does she have?",
          "Sara has 5 red apples and 7 green apples. So she has 12 apples.")


def test_a_score_against_the_reader_is_escalated_with_its_reason(shipped_guard):
    raw = OnnxVerifier(SHIPPED, threads=2, reader_gate=False).probabilities(
        [CheckInput(id="a", question=APPLES[0], rationale=APPLES[1], answer="12")])[0]
    verdict = shipped_guard.check(APPLES[0], rationale=APPLES[1], answer="12")
    assert raw < 0.2 and 0.2 <= verdict.consistency < 0.3, (raw, verdict)
    assert any(reason.startswith("reader_conflict") for reason in verdict.reasons)
    assert verdict.action is Action.ANNOTATE  # delivered with the conflict shown, not blocked
    wrong = shipped_guard.check(APPLES[0], rationale=APPLES[1], answer="7")
    assert wrong.consistency < 0.2 and not any(r.startswith("reader_conflict") for r in wrong.reasons)
