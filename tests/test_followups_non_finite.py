"""A NaN or infinite number given as the answer is refused with ``input_error: non_finite_number`` (the code the
CLI gives such a JSONL line), never scored as the text "nan" / "inf" (issue 15 item 12)."""

from __future__ import annotations

import math

import pytest
from runtime_fakes import FixedVerifier

from guardrail import Guard
from guardrail._types import reason_code
from guardrail._cli import parse_line
from guardrail._extract import NON_FINITE_NUMBER

Q = "Tom has 3 apples and buys 4 more. How many?"
RATIONALE = "3 + 4 = 7. He has 7 apples."
NON_FINITE = [math.nan, math.inf, -math.inf, float("1e999")]


def _input_error_code(verdict) -> str:
    """The code after ``input_error: `` in the verdict's first reason."""
    first = verdict.reasons[0]
    assert reason_code(first) == "input_error", first
    return reason_code(first.split(": ", 1)[1])


@pytest.mark.parametrize("answer", NON_FINITE)
def test_check_with_a_non_finite_answer_is_an_input_error_never_a_score(answer):
    verifier = FixedVerifier(0.95)
    verdict = Guard(verifier).check(Q, rationale=RATIONALE, answer=answer)
    assert _input_error_code(verdict) == NON_FINITE_NUMBER
    assert verdict.consistency is None and not verdict.answer_found
    assert verifier.calls == []  # nothing was sent to the verifier


@pytest.mark.parametrize("answer", NON_FINITE)
def test_a_non_finite_answer_in_an_output_dict_or_a_batch_item_is_refused_alone(answer):
    verifier = FixedVerifier(0.95)
    guard = Guard(verifier)
    verdict = guard.check(Q, {"reasoning": RATIONALE, "answer": answer})
    assert _input_error_code(verdict) == NON_FINITE_NUMBER and verdict.consistency is None
    items = [{"question": Q, "rationale": RATIONALE, "answer": value} for value in (answer, 7)]
    bad, good = guard.check_many(items)
    assert _input_error_code(bad) == NON_FINITE_NUMBER and bad.consistency is None
    assert good.consistency == 0.95 and [item.answer for batch in verifier.calls for item in batch] == ["7"]


def test_finite_numbers_are_still_answers():
    verifier = FixedVerifier(0.95)
    for answer in (7, 7.5, -0.0, 10**30):
        assert Guard(verifier).check(Q, rationale=RATIONALE, answer=answer).consistency == 0.95
    assert [item.answer for batch in verifier.calls for item in batch] == ["7", "7.5", "-0.0", str(10**30)]


def test_the_library_and_the_cli_give_the_same_code():
    _, item, cli_error = parse_line(b'{"question": "q", "rationale": "r", "answer": NaN}', 1)
    assert item is None and cli_error.startswith(f"input_error: {NON_FINITE_NUMBER}: ")
