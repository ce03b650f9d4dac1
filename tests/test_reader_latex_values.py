"""LaTeX values the reader must read as written: brace-less fractions, nested boxed values, integer powers."""

from __future__ import annotations

import pytest

from guardrail.reader import analyse, math_canonical, parse_number
from guardrail.reader._lists import listed_values


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("So x = \\frac12.", "1/2", True),  # TeX reads \frac12 as 1/2
        ("So x = \\frac12.", "12", False),
        ("So x = \\dfrac34.", "0.75", True),
        ("The answer is \\boxed{\\frac{\\sqrt{3}}{2}}.", "\\frac{\\sqrt{3}}{2}", True),  # nested braces in boxed
        ("The answer is \\boxed{\\frac{\\sqrt{3}}{2}}.", "\\frac{\\sqrt{2}}{2}", False),
        ("Thus we get \\boxed{\\boxed{7}}", "7", True),
        ("So the result is 2^{10}.", "1024", True),  # an integer power is its value, not its exponent
        ("So the result is 2^{10}.", "10", False),
        ("The legs give 3^2 + 4^2 = 25.", "25", True),
        # a unit after the value is no part of it; a connective is
        ("So the area is \\boxed{4\\pi \\text{ cm}^2}.", "4\\pi", True),
        ("So the area is \\boxed{4\\pi \\text{ cm}^2}.", "4", False),
        ("Then g = 9.8\\,\\mathrm{m/s^2}.", "9.8", True),
        # plain-text symbols are symbolic too: "4pi" is not 4
        ("The answer is 4.", "4pi", False),
        ("The answer is 4pi.", "4", False),
        ("The answer is 4pi.", "4\\pi", True),
        ("So x = sqrt(3).", "3", False),
        # a root written without LaTeX holds its radicand: "16√3" ends on 16√3, not on the 3 under the root
        ("So the area is 16√3.", "3", False),
        ("So the area is 16*sqrt(3).", "3", False),
        ("So the area is 16*sqrt(3).", "16\\sqrt{3}", True),
        ("So the diagonal is 5√2.", "5\\sqrt{2}", True),
        # an interval or a tuple is one value, not the number written first in it
        ("So the domain is $[3, \\infty)$.", "[3, \\infty)", True),
        ("So the domain is $[3, \\infty)$.", "(3, \\infty)", False),
        ("So the domain is $[3, \\infty)$.", "3", False),
        ("The domain is [3, ∞).", "[3,\\infty)", True),
        ("So the vertex is (1, -2).", "(1, -2)", True),
        ("So the vertex is (1, -2).", "(-1, 2)", False),
        ("So x lies in $(-\\infty, 2]$.", "(-inf, 2]", True),  # "inf" in plain text is infinity, not the 2
        # digit groups: a thin space or a comma in LaTeX separates thousands
        ("So the total is \\boxed{1\\,000}.", "1000", True),
        ("So the total is \\boxed{1\\,000}.", "1", False),
        ("So the total is $1{,}250{,}000$ units.", "1250000", True),
        ("So the price is \\boxed{\\$1\\,250}.", "1250", True),
        ("So the area is \\boxed{1,000\\pi}.", "1000\\pi", True),
        # a mixed number is its whole value, not its whole part
        ("So it takes \\boxed{2\\frac{1}{3}} hours.", "7/3", True),
        ("So it takes \\boxed{2\\frac{1}{3}} hours.", "2", False),
        ("The answer is 2 1/3 cups.", "\\frac{7}{3}", True),
        # commas that group no thousands are no number: a set or list is not 12
        ("So the solutions are \\{1, 2\\}.", "{1,2}", True),
        ("So the solutions are \\{1, 2\\}.", "12", False),
    ],
)
def test_latex_values_are_read_as_written(rationale: str, answer: str, agrees: bool) -> None:
    assert analyse("Find the value.", rationale, answer).agrees is agrees


def test_scientific_notation_answers_keep_their_power_of_ten() -> None:
    assert parse_number("2.4 \\times 10^5 m/s") == 240000
    assert parse_number("2.4 × 10^5 m/s") == 240000


def test_huge_powers_stay_as_written() -> None:
    assert parse_number("2^{99}") is None or parse_number("2^{99}") != 2  # never read as the base or exponent
    assert analyse("Find the value.", "So it is 7^{40}.", "40").agrees is not True


def test_whole_expression_parentheses_are_dropped_but_not_groups() -> None:
    assert math_canonical("{\\frac{\\sqrt{3}}{2}}") == math_canonical("\\frac{\\sqrt{3}}{2}") == "sqrt3/2"
    assert math_canonical("(a+1)/(b+1)") == "(a+1)/(b+1)"


def test_free_text_math_answers_compare_without_their_units() -> None:
    rationale = "So the area is \\boxed{4\\pi \\text{ cm}^2}."
    assert analyse("Find the area.", rationale, "4\\pi \\text{ cm}^2").agrees is True
    assert analyse("Find the area.", rationale, "4\\pi").agrees is True
    assert analyse("Find the area.", "So it is \\boxed{2 \\text{ or } 3}.", "2").agrees is not True  # a connective
    word = analyse("Which day?", "So the answer is \\text{Sunday}.", "\\text{Sunday}")  # a word answer, not a unit
    assert word.conclusion == "sunday" and word.agrees is True


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        # an answer listing values is a set: any order, any separator, with or without "x ="
        ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2.", "3, -2", True),
        ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2.", "-2,3", True),
        ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2.", "x = -2 or x = 3", True),
        ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2.", "-3, 2", False),
        ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2.", "3, -2, 5", False),
        ("The solutions are $x=3$ and $x=-2$.", "-2, 3", True),
        ("So $x \\in \\{-2, 3\\}$.", "3, -2", True),
        ("So $x \\in \\{-2, 3\\}$.", "2, -3", False),
        ("Final answer: x = 3 or x = -2", "\\{-2, 3\\}", True),
        ("The roots are \\boxed{\\frac{1}{2}, -4}.", "-4, 1/2", True),
        ("The roots are \\boxed{\\frac{1}{2}, -4}.", "-4, 0.5", True),  # listed numbers compare as numbers
        ("So $x = 1 \\pm \\sqrt{2}$, i.e. $x = 1+\\sqrt{2}$ or $x = 1-\\sqrt{2}$.", "1-\\sqrt{2}, 1+\\sqrt{2}", True),
        # an explicit single answer is no list, nor is one value the list a chain concludes
        ("The answer is 3.", "3, -2", False),
        ("Factor: (x-2)(x-5) = 0.\nThus the answer is \\boxed{2, 5}.", "2", False),
        ("Factor: (x-2)(x-5) = 0.\nThus the answer is \\boxed{2, 5}.", "5,2", True),
        ("So the answer is 2 and 5.", "2", False),
        # a step that ends on one root, or on something else, leaves a listed answer unplaced rather than refuted
        ("x - 3 = 0 gives x = 3.\nx + 2 = 0 gives x = -2.", "3, -2", None),
        ("The solutions are 3 and -2, whose sum is 1.", "3, -2", None),
        # a thousands comma groups digits: "1,000, 2" lists two values
        ("So the values are 1,000 and 2.", "2, 1,000", True),
    ],
)
def test_answers_listing_values_compare_as_sets(rationale: str, answer: str, agrees: bool | None) -> None:
    assert analyse("Solve for x.", rationale, answer).agrees is agrees


@pytest.mark.parametrize("answer", ["(3, -2)", "[1, 2, 3]", "June 5, 1990", "3", "x + 1, y", "2 apples and 3 pears"])
def test_what_is_no_list_of_values(answer: str) -> None:
    assert listed_values(answer) is None


@pytest.mark.parametrize("space", ["\u00a0", "\u2009", "\u202f"])
def test_unicode_thin_spaces_group_thousands(space: str) -> None:
    rationale = f"Start with 1{space}000 apples and add 200.\nSo the total is 1{space}200 apples."
    assert analyse("How many apples?", rationale, "1200").agrees is True
    assert analyse("How many apples?", rationale, "200").agrees is False
    assert parse_number(f"1{space}200") == 1200


def test_plain_space_digit_groups_leave_the_number_unplaced() -> None:
    rationale = "Start with 1 000 apples and add 200.\nSo the total is 1 200 apples."
    assert analyse("How many apples?", rationale, "1200").agrees is None  # one number, or two: not guessed
    assert analyse("How many apples?", rationale, "200").agrees is None
    assert analyse("How many apples?", "So the total is 1200 apples.", "1200").agrees is True
    # only a conclusion read as one of the groups is left unplaced
    assert analyse("How much?", "Brown sold it for $110 000 - $11 000 = $99,000.", "99000").agrees is True
    assert analyse("How many?", "It can store 2400 / 200 = 12 200-kilobyte videos.", "12").agrees is True


@pytest.mark.parametrize(
    "rationale", ["So the area is 16*sqrt(3).", "So the area is 16√3.", "So the area is 16\\sqrt{3}.",
                  "The inradius is 2, so the area is (16 \\sqrt{3})."]
)
def test_an_option_that_is_a_symbolic_value_is_read_beside_number_options(rationale: str) -> None:
    question = "What is the area?\nA: 12\nB: 16\nC: 12*sqrt(3)\nD: 16*sqrt(3)"
    assert analyse(question, rationale, "D").agrees is True
    assert analyse(question, rationale, "B").agrees is False  # 16 alone is option B, not this value
