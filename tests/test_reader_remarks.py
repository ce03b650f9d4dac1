"""A check of the result after it ("Check: 144 / 12 = 12 ✓") is not the conclusion (guardrail/reader/_checks.py)."""

from __future__ import annotations

import pytest

from guardrail.reader import analyse

_PENS = "A shop sells 3 pens at $5 each and 2 books at $20 each. How much does it earn?"


@pytest.mark.parametrize(
    ("question", "rationale", "right", "wrong"),
    [
        ("What is 12 * 12?", "12 * 12 = 144. Check: 144 / 12 = 12. ✓", "144", "12"),
        (_PENS, "Pens: 15, books: 40, total 55.\n\nVerification: 55 - 40 = 15, which matches the pens.", "55", "15"),
        ("Solve 2x + 1 = 7.", "2x = 6, so x = 3.\nConfirming: 2(3) + 1 = 7.", "3", "7"),
        (_PENS, "Pens: 3 * 5 = 15. Books: 2 * 20 = 40. Total: 15 + 40 = 55.\n\n### Verification\n55 - 40 = 15 ✓\n"
                "55 - 15 = 40 ✓", "55", "40"),
        (_PENS, "Total: 15 + 40 = 55.\n**Let's double-check:**\n15 + 40 = 55 ✓\n40 = 2 * 20 ✓", "55", "20"),
        ("What is 6 * 7?", "6 * 7 = 42. Let's verify: 42 / 6 = 7.", "42", "7"),
        ("What is 6 * 7?", "6 * 7 = 42.\nLet me verify: 42 / 6 = 7.", "42", "7"),
        (_PENS, "Total: 15 + 40 = 55.\n\nTo double check, 55 minus 40 leaves 15, which is what we had.", "55", "15"),
    ],
)
def test_a_check_after_the_result_is_not_the_conclusion(question: str, rationale: str, right: str, wrong: str) -> None:
    assert analyse(question, rationale, right).agrees is True
    assert analyse(question, rationale, wrong).agrees is False


def test_a_check_that_states_the_answer_is_read() -> None:
    rationale = "12 * 12 = 124.\nCheck: 12 * 12 is 144, not 124, so the answer is 144."
    assert analyse("What is 12 * 12?", rationale, "144").agrees is True


def test_a_value_put_back_into_an_equation_is_working_not_a_check() -> None:
    rationale = "N = (67 + 5) / 6 = 12.\nSubstituting 12 back into J = 4N, John has 4 x 12 = $48"
    assert analyse("How much does John have?", rationale, "48").agrees is True


def test_weighing_the_options_is_no_check() -> None:
    question = "Which lengths cannot form a triangle with longest side 10?\nA. 5, 5\nB. 9, 8\nC. 3, 9"
    rationale = ("Checking each option:\nA. 5 + 5 = 10, equal to the longest side.\nB. 9 + 8 = 17 > 10.\n"
                 "C. 3 + 9 = 12 > 10.\nThe only option that fails is A. The answer is (A).")
    assert analyse(question, rationale, "A").agrees is True


def test_a_check_block_runs_until_a_line_concludes() -> None:
    rationale = "Total: 15 + 40 = 55.\nVerification:\n55 - 40 = 15, so the pens are right ✓\n55 - 15 = 40 ✓"
    assert analyse(_PENS, rationale, "55").agrees is True
    assert analyse(_PENS, rationale, "15").agrees is False


def test_a_conclusion_after_a_check_block_is_read() -> None:
    rationale = "15 + 40 = 55.\nVerification:\n55 - 40 = 15 ✓\nTherefore, the shop earns $55."
    assert analyse(_PENS, rationale, "55").conclusion == "55"


def test_working_after_lets_verify_is_the_rationale_itself() -> None:
    """'The answer should be 12. Let's verify.' announces the working that follows: that working is read."""
    rationale = "The answer should be 12. Let's verify. Jenny prints 7*25 = 175 pages. This costs 175*$.10 = $17.5."
    analysis = analyse("How much does Jenny pay?", rationale, "12")
    assert analysis.conclusion == "17.5"
    assert analysis.agrees is False


def test_a_rationale_that_is_all_check_concludes_nothing() -> None:
    analysis = analyse("What is 12 * 12?", "Check: 144 / 12 = 12.", "144")
    assert analysis.conclusion is None
    assert analysis.agrees is None
    assert analysis.answer_position == "elsewhere"


_CHANGE = "A pen costs $1.25. Maria buys 12 pens with a $20 bill. How much change does she get?"


@pytest.mark.parametrize(
    ("question", "rationale", "conclusion"),
    [
        (_CHANGE, "12 x 1.25 = 15. Change: 20 - 15 = 5.\n\n"
         "If she had bought 10 pens instead, she would get $7.50 back.", "5"),  # a case not asked about
        (_CHANGE, "12 x 1.25 = 15, so 20 - 15 = 5. With a $50 bill instead, the change would be $35.", "5"),
        # "instead of" compares within what was asked: the sentence is the conclusion
        ("How many more calories would he burn running 5 hours instead of 2, at 30 an hour?",
         "2 * 30 = 60 and 5 * 30 = 150. He would burn 150 - 60 = 90 more calories running 5 hours instead of 2.", "90"),
    ],
)
def test_a_case_instead_of_the_one_asked_is_no_conclusion(question: str, rationale: str, conclusion: str) -> None:
    assert analyse(question, rationale, conclusion).conclusion == conclusion
