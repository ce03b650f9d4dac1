"""Options weighed one by one: the one judged right, others judged wrong, is the choice (guardrail/reader/_tally.py)."""

from __future__ import annotations

import pytest

from guardrail.reader import analyse

_GAS = (
    "Why does the ideal gas law work for most gases?\nA: the room is warm\nB: the container is small\n"
    "C: the particles barely interact\nD: the gas is made of dimers"
)
_WEIGHED = (
    "Step 1: Analyze choice A: the temperature of the room does not explain it. This is incorrect.\n"
    "Step 2: Analyze choice B: a small container changes nothing about the law. This is not correct.\n"
    "Step 3: Analyze choice C: the law assumes particles with negligible interactions. This matches how most "
    "gases behave.\n"
    "Step 4: Analyze choice D: gases are not dimers, so this is false."
)


def test_the_one_option_judged_right_is_the_choice() -> None:
    assert analyse(_GAS, _WEIGHED, "C").conclusion == "C"
    assert analyse(_GAS, _WEIGHED, "C").agrees is True
    assert analyse(_GAS, _WEIGHED, "(B)").agrees is False


@pytest.mark.parametrize(
    ("question", "rationale"),
    [
        # two options judged right
        (_GAS, _WEIGHED.replace("so this is false", "and this is also correct")),
        # the question asks for the exception: "true" is then a verdict against the option
        (_GAS.replace("Why does", "Which is NOT a reason"), _WEIGHED),
        (_GAS.replace("Why does the ideal gas law work", "All of these explain the law EXCEPT"), _WEIGHED),
        # the chain ends comparing two options
        (_GAS, _WEIGHED + "\nStep 5: Choice C is close to choice D in spirit, and both describe the particles."),
        # no option judged wrong: one judged right among others left open is no choice
        (_GAS, "Choice A concerns the room.\nChoice B concerns the container.\nChoice C: negligible "
               "interactions. This matches how gases behave.\nChoice D concerns dimers."),
        # "correct" as a modifier is no verdict
        (_GAS, "Choice A is twice the correct value. Choice B is incorrect. Choice C is incorrect."),
    ],
)
def test_no_choice_is_read_where_the_weighing_settles_on_none(question: str, rationale: str) -> None:
    assert analyse(question, rationale, "C").conclusion is None
    assert analyse(question, rationale, "C").agrees is None


def test_a_stated_choice_is_read_before_any_weighing() -> None:
    rationale = _WEIGHED + "\nSo the answer is (D)."
    assert analyse(_GAS, rationale, "D").agrees is True
    assert analyse(_GAS, rationale, "C").agrees is False


def test_the_last_verdict_on_an_option_counts() -> None:
    rationale = (
        "Choice A: the room's warmth. This seems correct at first. On reflection it is wrong: warmth is not why.\n"
        "Choice C: negligible interactions. This is correct.\nChoice D: dimers. This is false."
    )
    assert analyse(_GAS, rationale, "C").conclusion == "C"
