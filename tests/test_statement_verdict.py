"""True-or-false questions: the verdict a rationale's closing sentences give on the statement asked about,
restated or reached by one step of deduction from the closing rule."""

from __future__ import annotations

import pytest

from guardrail.reader import analyse
from guardrail.reader._polarity import one_step_deduction, statement_verdict

QUESTION = "Is the following statement true or false? Polly is not dull.\nOptions:\nA) True\nB) False"


@pytest.mark.parametrize(
    ("rationale", "verdict"),
    [
        ("Polly is a tumpus.\nEvery tumpus is dull.\nPolly is dull.", "false"),  # restated with the other parity
        ("Polly is a tumpus.\nTumpuses are not dull.\nPolly is not dull.", "true"),
        # the last step cut: the closing rule applied to the entity the step before puts in its class
        ("Polly is a tumpus.\nEvery tumpus is dull.", "false"),
        ("Polly is a tumpus.\nTumpuses are not dull.", "true"),
        ("Polly is a rompus.\nRompuses are tumpuses.\nPolly is a tumpus.\nEach tumpus is dull.", "false"),
        # no verdict: the rule is about another class, or the chain stops at a membership
        ("Polly is a wumpus.\nEvery tumpus is dull.", None),
        ("Polly is a rompus.\nRompuses are tumpuses.\nPolly is a tumpus.", None),
    ],
)
def test_statement_verdict(rationale: str, verdict: str | None) -> None:
    assert statement_verdict(QUESTION, rationale.split("\n")) == verdict


def test_a_verdict_reads_as_the_true_or_false_option() -> None:
    cut = "Polly is a tumpus.\nEvery tumpus is dull."
    assert analyse(QUESTION, cut, "B) False").agrees is True
    assert analyse(QUESTION, cut, "A) True").agrees is False


@pytest.mark.parametrize(
    ("sentences", "derived"),
    [
        (["Polly is an impus.", "Impuses are not sour."], "Polly is not sour."),
        (["Rex is a cat.", "All cats are mammals."], "Rex is mammals."),
        (["The cow is cold.", "If something is cold then it eats the bald eagle."], "The cow eats the bald eagle."),
        (["Bob is not big.", "If someone is not big then they are red."], "Bob is red."),
        (["Bob is big.", "All big things are red."], "Bob is red."),
        # not a deduction: one fact about one member, a class given as a property, a property given as a class,
        # a negated membership, or no rule at all
        (["Polly is a tumpus.", "The tumpus is dull."], None),
        (["Bob is a cat.", "All cold things are nice."], None),
        (["Bob is big.", "Every big is red."], None),
        (["Polly is not a tumpus.", "Every tumpus is dull."], None),
        (["The sky is blue.", "The sun is hot."], None),
        (["Every tumpus is dull."], None),
    ],
)
def test_one_step_deduction(sentences: list[str], derived: str | None) -> None:
    assert one_step_deduction(sentences) == derived


def test_the_statement_is_matched_in_word_order() -> None:
    question = "True or false: the mouse is not bigger than the cow."
    assert statement_verdict(question, ["The cow is bigger than the mouse."]) is None  # the same words, swapped
    assert statement_verdict(question, ["The mouse is bigger than the cow."]) == "false"


@pytest.mark.parametrize(
    "question",
    [
        "Is the following statement true, false, or unknown? Polly is dull.",
        "Based on the premises, is the conclusion true, false, or uncertain? Polly is dull.",
        "Is it true or unknown? Polly is dull.",
    ],
)
def test_three_way_statement_questions_are_read(question: str) -> None:
    rationale = "Polly is a tumpus. Every tumpus is dull."
    assert analyse(question, rationale, "True").agrees is True
    assert analyse(question, rationale, "False").agrees is False


_CAT = "Could a house cat fit inside a standard shoebox?"


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        ("No. A house cat is about 46 cm long, while a shoebox is about 33 cm long.", "no"),  # answered first
        ("Yes, because cats curl up tightly and a shoebox is 33 cm long.", "yes"),
        ("**No** - a cat is 46 cm long and a shoebox 33 cm.", "no"),
        ("No wonder cats love boxes: a cat is 46 cm long and a box 33 cm.", None),  # no verdict set off
        ("No. 5 on the list of cat facts: a cat is 46 cm long and a box 33 cm.", None),  # "No. 5" is a number
        ("No. A cat is 46 cm long, but it curls up to fit in 30 cm, so yes, it fits.", "yes"),  # a closing wins
    ],
)
def test_a_rationale_that_opens_on_its_verdict(rationale: str, conclusion: str | None) -> None:
    assert analyse(_CAT, rationale, "No").conclusion == conclusion


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        ("A cat is 46 cm long and a shoebox 33 cm. True, cats are flexible, but it would not fit.", None),
        ("True, cats curl up, but a cat is 46 cm long and a box 33 cm.", None),
        ("A cat curls up to 30 cm and a shoebox is 33 cm. So the answer is true.", "yes"),
    ],
)
def test_a_true_that_concedes_a_point_is_no_verdict(rationale: str, conclusion: str | None) -> None:
    assert analyse(_CAT, rationale, "No").conclusion == conclusion


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        ("A cat is 46 cm long, a shoebox 33 cm.\n\nVerdict: \u274c No", "no"),
        ("Curled up, a cat is 30 cm and the box 33 cm. Verdict: \u2705 Yes.", "yes"),
    ],
)
def test_a_verdict_after_a_check_mark_is_read(rationale: str, conclusion: str) -> None:
    assert analyse(_CAT, rationale, "No").conclusion == conclusion
