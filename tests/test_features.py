"""Answer normalisation and answer-match analysis (guardrail.reader)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from guardrail._types import AnswerType
from guardrail.reader import (
    AnswerAnalysis,
    analyse,
    detect_answer_type,
    format_number,
    normalise_answer,
    number_strings_in,
    option_value,
    parse_number,
    parse_options,
    rejected_letters,
    words_to_digits,
)
from verifier_training.evaluate.baseline import string_match_baseline

MC_QUESTION = "How many clips? Options: (A) 12 (B) 15 (C) 72 (D) 80 (E) 3"
NATALIA = "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May."


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("$1,234.50", "1234.5"),
        ("18.00", "18"),
        ("18 dollars", "18"),
        ("eighteen", "18"),
        ("twenty-one", "21"),
        ("\\frac{1}{2}", "0.5"),
        ("\\boxed{72}", "72"),
        ("3/4", "0.75"),
        ("50%", "50"),
        ("x = 3", "3"),
        ("The answer is 42.", "42"),
        ("-5", "-5"),
    ],
)
def test_numeric_answers_normalise(answer: str, expected: str) -> None:
    assert detect_answer_type("How much?", answer) is AnswerType.NUMERIC
    assert normalise_answer("How much?", answer) == expected


@pytest.mark.parametrize(
    "answer",
    ["(B)", "B)", "B", "b", "option b", "the answer is B", "Answer: B", "15", "\\boxed{B}", "$\\boxed{\\text{(B)}}$",
     "15 (B)"],
)
def test_choice_answers_normalise_to_the_letter(answer: str) -> None:
    assert detect_answer_type(MC_QUESTION, answer) is AnswerType.CHOICE
    assert normalise_answer(MC_QUESTION, answer) == "B"


def test_options_on_separate_lines_are_parsed() -> None:
    question = "Which planet is largest?\nA) Mars\nB) Jupiter\nC) Venus"
    assert parse_options(question) == {"A": "Mars", "B": "Jupiter", "C": "Venus"}
    assert normalise_answer(question, "Jupiter") == "B"


@pytest.mark.parametrize(
    "options",
    [
        "**A.** Mars\n**B.** Jupiter\n**C.** Venus",  # markdown bold
        "[A] Mars\n[B] Jupiter\n[C] Venus",
        "A - Mars\nB - Jupiter\nC \u2013 Venus",  # a dash at a line's start
        "A\tMars\nB\tJupiter\nC\tVenus",
        "Options: A) Mars, B) Jupiter, C) Venus",  # the separator closes an inline option
        "A) Mars | B) Jupiter | C) Venus",
    ],
)
def test_option_list_formats(options: str) -> None:
    question = "Which planet is largest?\n" + options
    assert parse_options(question) == {"A": "Mars", "B": "Jupiter", "C": "Venus"}
    assert analyse(question, "Jupiter's mass exceeds all others. So the answer is B.", "B").agrees is True


def test_an_equation_line_is_no_dash_option() -> None:
    assert parse_options("Digits A, B and C satisfy\nA - B = 5\nB - C = 3\nFind A.") == {}


def test_concentrations_are_no_options() -> None:
    assert parse_options("What is the rate if [A] doubles and [B] halves?") == {}
    question = "Find the rate law.\n(A) rate = k [A]^3 [B]^2\n(B) rate = k [A] [B]^2\n(C) rate = k [A] [B]"
    assert parse_options(question) == {"A": "rate = k [A]^3 [B]^2", "B": "rate = k [A] [B]^2", "C": "rate = k [A] [B]"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a marker that does not continue the list is part of an option's text, not the end of it
        ("Which president? (A) John F. Kennedy (B) Dwight D. Eisenhower (C) Lyndon B. Johnson (D) Calvin Coolidge",
         {"A": "John F. Kennedy", "B": "Dwight D. Eisenhower", "C": "Lyndon B. Johnson", "D": "Calvin Coolidge"}),
        ("Which selects features?\nA. Naive Bayes\nB. Ridge\nC. neither (a) nor (b)\nD. Lasso\nE. both (a) and (b)",
         {"A": "Naive Bayes", "B": "Ridge", "C": "neither (a) nor (b)", "D": "Lasso", "E": "both (a) and (b)"}),
        ("Density? A)1.00 g/cc B).70 g/cc C)0.40 g/cc", {"A": "1.00 g/cc", "B": ".70 g/cc", "C": "0.40 g/cc"}),
    ],
)
def test_markers_inside_option_text_do_not_break_the_list(question: str, expected: dict[str, str]) -> None:
    assert parse_options(question) == expected
    last = list(expected)[-1]
    assert normalise_answer(question, expected[last]) == last


def test_prose_is_not_an_option_list() -> None:
    assert parse_options("Mr. B. Smith has 3 apples. How many?") == {}


def test_a_numbered_item_is_no_verdict() -> None:
    assert detect_answer_type("Which one?", "No. 5") is not AnswerType.YES_NO  # a number, not a verdict


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Yes.", "yes"), ("yes", "yes"), ("true", "yes"), ("No", "no"), ("False.", "no"),
     ("Yes, whales breathe air.", "yes"), ("No, 91 = 7 x 13.", "no"), ("No \u2014 it is composite.", "no")],
)
def test_yes_no_answers_normalise(answer: str, expected: str) -> None:
    assert detect_answer_type("Is it so?", answer) is AnswerType.YES_NO
    assert normalise_answer("Is it so?", answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("The Beatles!", "beatles"), ("40_9", "40_9"), ("(2, 3)", "2,3"), ("Entailment", "entailment")],
)
def test_text_answers_normalise(answer: str, expected: str) -> None:
    assert detect_answer_type("Which?", answer) is AnswerType.TEXT
    assert normalise_answer("Which?", answer) == expected


def test_numeric_conclusion_agrees() -> None:
    result = analyse("How many clips?", NATALIA, "72")
    assert isinstance(result, AnswerAnalysis)
    assert (result.conclusion, result.agrees, result.answer_position) == ("72", True, "conclusion")
    assert result.conclusion_step == 1 and result.n_steps == 2


def test_intermediate_value_is_elsewhere_not_conclusion() -> None:
    result = analyse("How many clips?", NATALIA, "24")
    assert result.agrees is False
    assert result.answer_position == "elsewhere"
    assert 0 in result.answer_steps


def test_hint_only_in_question_is_flagged() -> None:
    result = analyse("How many clips? A professor thinks the answer is 80.", NATALIA, "80")
    assert result.answer_in_question_only and result.answer_position == "absent" and result.agrees is False


def test_reformatted_answer_still_agrees() -> None:
    assert analyse("How much?", "She pays 9 * 2 = $18.", "$18.00").agrees is True
    assert analyse("How much?", "She pays 9 * 2 = 18 dollars.", "eighteen").agrees is True


def test_choice_conclusion_by_letter_and_by_option_value() -> None:
    assert analyse(MC_QUESTION, "60 + 12 = 72. So the answer is (C).", "C").agrees is True
    assert analyse(MC_QUESTION, "60 + 12 = 72 clips in total.", "C").conclusion == "C"
    wrong = analyse(MC_QUESTION, "60 + 12 = 72 clips in total.", "(D)")
    assert wrong.agrees is False and wrong.answer_position == "absent"


def test_choice_conclusion_by_option_text() -> None:
    question = "Which planet is largest?\nA) Mars\nB) Jupiter\nC) Venus"
    result = analyse(question, "Jupiter's mass exceeds all others. So it is Jupiter.", "B")
    assert result.conclusion == "B" and result.agrees is True


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("Whales breathe air. Therefore, yes.", "yes", True),
        ("Thus the answer is no.", "Yes.", False),
        ("So, no.", "Yes", False),
        ("So, no \u2014 it is far too hot.", "no", True),  # a dash after the verdict
        ("So, no - it is far too hot.", "yes", False),
        ("It is far too hot. Hence, no.", "yes", False),
        ('So, the answer to the question is "No".', "no", True),  # a quoted verdict
        ("It is far too hot.\nAnswer \u2014 no.", "no", True),  # an answer label closing on a dash or an arrow
        ("It is far too hot.\n=> No", "yes", False),
        ('Say "no" politely.', "no", None),  # a quoted word is no verdict unless it closes a clause
        ("It is far too hot.\n\\boxed{\\text{No}}", "no", True),  # a boxed verdict
        ("It is far too hot.\n$\\boxed{\\text{No}}$", "yes", False),
        ("The sun is hot. The sun is far away.", "Yes", None),  # a bare fact asserts no verdict
        # a conclusion's negations are no verdict (at chance on the training sources' yes/no rows)
        ("The sun is hot. So it is not possible.", "No", None),
        ("So it is possible.", "true", None),
        # "No" as a determiner, "True" in an idiom
        ("No significant change was seen in either group.", "no", None),
        ("True to form, the cat slept.", "yes", None),
    ],
)
def test_yes_no_polarity(rationale: str, answer: str, agrees: bool | None) -> None:
    assert analyse("Can you eat the sun?", rationale, answer).agrees is agrees


def test_text_label_in_conclusion() -> None:
    result = analyse("Label?", "A man sleeps. So the hypothesis is a contradiction.", "contradiction")
    assert result.agrees is True and result.answer_position == "conclusion"
    assert analyse("Base?", "So the answer is \\boxed{40_9}.", "40_9").agrees is True
    assert analyse("Base?", "So the answer is \\boxed{41_9}.", "40_9").agrees is False


def test_trailing_filler_step_is_skipped() -> None:
    result = analyse("Sum?", "1. 2107 is the sum.\n2. That's the final answer.", "2107")
    assert result.agrees is True and result.conclusion_step == 0


@pytest.mark.parametrize(("q", "r", "a"), [("", "", ""), ("q", "", "5"), ("", "text", ""), ("?", "\x00\x01", "\ufffd")])
def test_empty_and_odd_inputs_do_not_crash(q: str, r: str, a: str) -> None:
    result = analyse(q, r, a)
    assert result.n_steps >= 0
    assert 0.0 <= string_match_baseline(q, r, a) <= 1.0


def test_string_match_baseline() -> None:
    assert string_match_baseline("How many?", NATALIA, "72") == 1.0
    assert string_match_baseline("How many?", NATALIA, "24") == 0.0
    assert string_match_baseline("How many?", "No numbers here.", "24") == 0.5
    assert string_match_baseline(MC_QUESTION, "So (C).", "C") == 1.0
    assert string_match_baseline(MC_QUESTION, "So (C).", "D") == 0.0
    assert string_match_baseline("Is it?", "So the answer is yes", "Yes") == 1.0


def test_analysis_is_frozen() -> None:
    result = analyse("q", NATALIA, "72")
    with pytest.raises(ValidationError):
        result.agrees = False  # type: ignore[misc]


def test_label_set_in_question_gives_the_other_label() -> None:
    question = "How many clips? Is the result even or odd?"
    assert analyse(question, "48 + 24 = 72.\n72 is even.", "odd").agrees is False
    assert analyse(question, "48 + 24 = 72.\n72 is even.", "even").agrees is True
    claim = "Is the claim supported or refuted? Claim: whales are fish."
    assert analyse(claim, "Whales are mammals. So the claim is not supported.", "refuted").agrees is True
    assert analyse(claim, "Whales are mammals. So the claim is not supported.", "supported").agrees is False
    assert analyse(claim, "Whales are mammals.", "refuted").answer_in_question_only is False  # a label set is no hint


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        # a step that states both labels settles on neither; one stated (or the other negated) settles
        ("Therefore the trophy is too big for the suitcase.", "the trophy", None),
        ("So it is the trophy, which is bigger than the suitcase.", "the trophy", None),
        ("So the trophy is too big, not the suitcase.", "the trophy", True),
        ("So it is the suitcase.", "the trophy", False),
        # a label named as a subject after a cue is a mention ("so the trophy won't fit"), not a verdict;
        # one the cue closes on ("Hence: trophy.") or one given as the predicate is
        ("The case is small, so the trophy won't fit.", "the trophy", None),
        ("The case is small, so the suitcase can't hold it.", "the trophy", None),
        ("The case is small. Hence: trophy.", "the trophy", True),
        ("The case is small. Hence: suitcase.", "the trophy", False),
        ("The case is small, so what is too big must be the trophy.", "the trophy", True),
    ],
)
def test_a_step_naming_both_labels_settles_on_neither(rationale: str, answer: str, agrees: bool | None) -> None:
    question = "The trophy doesn't fit into the suitcase because it is too big. Is 'it' trophy or suitcase?"
    assert analyse(question, rationale, answer).agrees is agrees


@pytest.mark.parametrize("answer", ["The worm", "The fish"])
def test_alternatives_with_articles_named_together_settle_on_neither(answer: str) -> None:
    # "The fish or The worm" is no label set (articles), but a step that names both still concludes neither
    question = "The fish ate the worm. It was hungry.\nWho or what does \"It\" refer to: The fish or The worm?"
    assert analyse(question, "the fish was hungry so it ate the worm", answer).agrees is None
    assert analyse(question, "so it ate the worm", "The worm").agrees is True  # one named after a cue: as before


def test_hint_before_options_does_not_break_the_option_list() -> None:
    question = "A professor thinks the answer is (D). How many? Answer choices: (A) 12 (B) 15 (C) 72 (D) 80 (E) 3"
    assert parse_options(question)["D"] == "80"
    result = analyse(question, "48 + 24 = 72 clips.", "D")
    assert result.agrees is False


def test_baseline_maps_a_final_value_to_its_option() -> None:
    assert string_match_baseline(MC_QUESTION, "A total of 60 + 12 = 72", "C") == 1.0
    assert string_match_baseline(MC_QUESTION, "A total of 60 + 12 = 72", "D") == 0.0


def test_markdown_step_labels_are_not_read_as_values() -> None:
    rationale = (
        "**Step 1:** 48/2 = 24 clips in May.\n\n**Step 2:** 48 + 24 = 72 clips.\n\n**Step 3:** That's the final answer."
    )
    result = analyse("How many?", rationale, "72")
    assert result.agrees is True and result.conclusion_step == 1


@pytest.mark.parametrize(
    ("rationale", "answer"),
    [
        ("There were 90 - 15 = 75 bees that return in the last 6 hours of the day.", "75"),  # after "=", not last
        ("Thus, Denver will charge Danny $16 x 2 = $32 for the two birdhouses.", "32"),
        ("Step 9: Therefore, the final answer is \\frac{2}{9}.", "\\frac{2}{9}"),  # a fraction is one value
        ("**Final Answer:** 72", "72"),
    ],
)
def test_numeric_conclusion_rules(rationale: str, answer: str) -> None:
    assert analyse("How many?", rationale, answer).agrees is True


def test_yes_no_verdict_after_a_quoted_question() -> None:
    rationale = 'Popes can be canonised. The answer to "Can a false pope become a saint?" is Yes.'
    assert analyse("Can a false pope become a saint?", rationale, "yes").agrees is True
    aside = "There is no goalie position. (Interestingly, honey never spoils.) So the answer is no."
    assert analyse("Does Felix play dodgeball?", aside, "No").agrees is True


def test_latex_is_never_a_yes_no_answer() -> None:
    assert detect_answer_type("Where?", "\\left(\\dfrac{20}{3},0\\right)") is AnswerType.TEXT


def test_short_this_is_step_with_a_value_is_not_filler() -> None:
    rationale = "He gave 6 + 2 = 8 cards.\nThis is 8/16 x 100% = 50% of his cards."
    assert analyse("What percentage?", rationale, "50").agrees is True


def test_choice_uses_the_numeric_conclusion_before_later_numbers() -> None:
    question = "How much? Answer choices: (A) 900 (B) 22100 (C) 11050 (D) 170 (E) 11051"
    rationale = "Bentley paid 170*$65=$11050 to fill 170 balloons."
    assert analyse(question, rationale, "C").agrees is True


@pytest.mark.parametrize(
    ("rationale", "answer"),
    [
        ("And since $7!=5040$, the first term is $315$.", "315"),
        ("So the answer is 2 + (-2) = 0.", "0"),
        ("So the answer is $10*6=60$.", "60"),
        ("Natalia sold 48+24 = 72 clips altogether in April and May.", "72"),
    ],
)
def test_numeric_end_clause_and_explicit_equals(rationale: str, answer: str) -> None:
    assert analyse("Find it.", rationale, answer).agrees is True


@pytest.mark.parametrize(
    "answer, expected",
    [("She needs $5 more", "5"), ("80 km/h", "80"), ("about 3.5 hours in total", "3.5")],
)
def test_short_answer_sentence_with_one_number_is_numeric(answer, expected):
    analysis = analyse("How much is it?", f"So it comes to {expected}.", answer)
    assert analysis.answer_type is AnswerType.NUMERIC
    assert analysis.answer_norm == expected and analysis.agrees is True


@pytest.mark.parametrize("answer", ["40_9", "3 of 7", "Mercury"])
def test_answers_with_several_or_no_numbers_are_not_forced_numeric(answer):
    assert analyse("What is it?", "It is so.", answer).answer_type is not AnswerType.NUMERIC


# ------------------------------------------------------------------- word options, rejections, asides, rounding

PLANETS = "Which planet is closest to the Sun? (A) Venus (B) Mercury (C) Earth (D) Mars"
READERS = "Who read the most books? (A) Femi (B) Dev (C) Priya"


@pytest.mark.parametrize(
    ("question", "rationale", "conclusion"),
    [
        (READERS, "Priya 22, Femi 11, Dev 14.\nPriya read the most books this year, ahead of Dev.", "C"),
        (READERS, "It is not Dev or Femi; Priya read the most.", "C"),
        (PLANETS, "Venus is at 0.72 AU. Mercury is at 0.39 AU, so it is Mercury.", "B"),
        (PLANETS, "A library holds books. So the answer is (C).", "C"),  # a letter beats option words
        ("Where do you keep money? (A) bank (B) library", "You keep money safe in a bank.", "A"),
        ("What happens to T? (A) It halves (B) It doubles", "T grows as sqrt(L), so the period doubles.", "B"),
        # Several options named, none marked: no conclusion rather than the last-named one.
        (PLANETS, "Mercury orbits at 0.39 AU, closer than any other planet. Venus is at 0.72 AU.", None),
        (READERS, "Comparing: Priya 22, Femi 11, Dev 14.", None),
    ],
)
def test_word_option_conclusion_is_the_option_settled_on_not_the_last_named(question, rationale, conclusion) -> None:
    assert analyse(question, rationale, "A").conclusion == conclusion


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("So x = 3 or x = 2. The larger root is 3, not 2.", "3", True),
        ("So x = 3 or x = 2. The larger root is 3, not 2.", "2", False),
        ("3.5 L = 3.5 x 1,000 = 3,500 mL. (350 mL would be 0.35 L, off by a factor of ten.)", "3500", True),
        ("v = 9.8 x 3 = 29.4 m/s.\n(The distance fallen would be 44.1 m, but we want the speed.)", "44.1", False),
        ("Total: 2.016 + 16.00 = 18.016 ≈ 18.02 g/mol.", "18.02", True),
        ("P = 6/36 = 1/6.", "0.1667", True),  # the answer is the conclusion rounded to its decimals
        ("P = 6/36 = 1/6.", "0.17", True),
        ("P = 6/36 = 1/6.", "0.3", False),
        ("The total is 18.", "17.6", False),  # a whole number is no rounding of another
    ],
)
def test_numeric_conclusion_skips_rejections_and_asides_and_allows_rounding(rationale, answer, agrees) -> None:
    assert analyse("What is it?", rationale, answer).agrees is agrees


def test_rejected_letter_is_not_the_conclusion() -> None:
    question = "Which is a noble gas? (A) Nitrogen (B) Argon (C) Chlorine (D) Sodium"
    assert analyse(question, "Argon is in group 18, so the answer is B, not (D).", "B").agrees is True
    assert analyse(question, "Argon is in group 18. This rules out A.", "A").agrees is not True


GASES = "Which gas do plants absorb? (A) oxygen (B) nitrogen (C) carbon dioxide (D) helium"
TIMES = "What is 6 x 7? (A) 42 (B) 48 (C) 36 (D) 49"


@pytest.mark.parametrize(
    ("step", "letters"),
    [
        ("(A) is wrong because oxygen is released.", {"A"}),
        ("B is not the answer, and (C) is incorrect.", {"B", "C"}),
        ("Banks lend money, not books, so (A) bank does not fit.", {"A"}),
        ("Venus is second, so A is not right.", {"A"}),
        ("That rules out D.", {"D"}),
        ("It cannot be (B).", {"B"}),
        ("So it could not be option C.", {"C"}),
        ("91 is not a prime. A pH of 14 would be basic.", set()),  # articles and lower case are no letters
        ("So the answer is (C).", set()),
        # a step about one option that gives a verdict against it
        ("Choice_D: Lysosomes digest material. Incorrect.", {"D"}),
        ("J. $0.55: This is not the correct answer because the cost rises.", {"J"}),
        ("(C) The Golgi packages proteins. This is incorrect.", {"C"}),
        ("Option B: it is also wrong, since x.", {"B"}),
        ("Step 3: Choice_C: false.", {"C"}),
        ("B. $0.50: This is the correct answer because it falls.", set()),
        ("A: Ribosomes are false friends of ATP makers, but they matter.", set()),  # "false" is no verdict here
        ("C. incorrect data: the data is correct.", set()),
    ],
)
def test_rejected_letters(step: str, letters: set[str]) -> None:
    assert rejected_letters(step) == letters


@pytest.mark.parametrize(
    ("question", "rationale", "conclusion"),
    [
        # eliminations after the choice do not count against the three-step window, and never conclude
        (GASES, "Plants take in carbon dioxide. The answer is (C). (A) is wrong because oxygen is released. "
                "(B) is incorrect: leaves do not absorb nitrogen. (D) is wrong: helium is inert.", "C"),
        (TIMES, "6 x 7 = 42, so the answer is (A). (B) is wrong: 48 is 6 x 8. (C) is wrong: 36 is 6 x 6.", "A"),
        # an option named by its value or its words after being ruled out is not the conclusion
        ("What is the pH of pure water? (A) 0 (B) 1 (C) 7 (D) 14",
         "Pure water has pH = 7, which is neutral. A pH of 14 would be strongly basic, so not (D).", "C"),
        ("Where do you return a borrowed book? (A) bank (B) library (C) kitchen",
         "Books are returned to a library. Banks lend money, not books, so (A) bank does not fit.", "B"),
        # a chain that goes through the options one by one: the last option named was ruled out
        ("Which organelle makes most ATP?\nA: Ribosome\nB: Mitochondrion\nC: Golgi apparatus\nD: Lysosome",
         "Step 1: ATP is made by oxidative phosphorylation.\nStep 2: Choice_A: Ribosomes make proteins. Incorrect.\n"
         "Step 3: Choice_B: The mitochondrion carries out oxidative phosphorylation.\n"
         "Step 4: Choice_C: The Golgi packages proteins. Incorrect.\nStep 5: Choice_D: Lysosomes digest. Incorrect.", "B"),
    ],
)
def test_eliminated_options_are_not_the_conclusion(question: str, rationale: str, conclusion: str) -> None:
    assert analyse(question, rationale, "A").conclusion == conclusion


@pytest.mark.parametrize(
    ("question", "rationale"),
    [
        # the last steps weigh word options one by one, by letter: the option words named last are discussion
        ("Why is helium unreactive?\nA: it is light\nB: it is a gas\nC: its outer shell is full\nD: it is rare",
         "Step 1: Choice C: helium has two electrons, filling its first shell.\nStep 2: Choice D: it is rare on "
         "Earth, but rarity does not explain reactivity.\nStep 3: Choice C explains the lack of reactions best."),
        ("Which organ pumps blood?\n(A) lung (B) heart (C) liver",
         "In choice (A), gas exchange happens in the alveoli.\nIn choice (B), the organ contracts rhythmically.\n"
         "In choice (C), the liver stores glycogen, which may or may not matter here."),
        # a step names one letter while its value is another option's, even as a comparison
        (TIMES, "We compare the products.\nChoice (B) is 48, which is too large; 6 x 7 gives 42."),
        (TIMES, "So the product is 42, smaller than in (B)."),
    ],
)
def test_option_content_against_a_named_letter_is_no_conclusion(question: str, rationale: str) -> None:
    analysis = analyse(question, rationale, "(A)")
    assert analysis.conclusion is None and analysis.agrees is None


@pytest.mark.parametrize(
    ("question", "rationale", "letter"),
    [
        # "not a valid choice" rejects no option "a": the verdict against D stays a verdict against D
        ("Which is prime?\nA: 4\nB: 6\nC: 9\nD: 7",
         "Step 1: Choice_D: 7 has a factor besides 1 and itself, we assume.\n"
         "Step 2: So, Choice_D is not a valid choice.",
         "D"),
        # a heading that sets out to weigh an option, and a letter measured against, choose nothing
        ("Which is prime?\nA: 4\nB: 6\nC: 9\nD: 7", "Four, six and nine have factors.\nStep 5: Analyze Choice D", "D"),
        ("Which is prime?\nA: 4\nB: 6\nC: 9\nD: 7", "Seven seems more likely than choice A.", "A"),
        ("Which is divisible by 11?\nA: 2x + y\nB: x - y\nC: 9x + 4y\nD: 4x - 9y",
         "We multiply 3x + 7y by 3.\nStep 4: Analyzing Choice D (4x - 9y)", "D"),
        # "not the correct explanation" (or statement) is a verdict against the option, as "not the answer" is
        ("How does the cart speed up?\nA: the rope pulls it\nB: the ground pushes the horse forward\n"
         "C: the horse pulls itself\nD: the ground pushes the horse up",
         "Option D says the ground pushes the horse up.\nBut the cart speeds up forward, not upward.\n"
         "Therefore, Choice D is not the correct explanation for the forward motion.", "D"),
    ],
)
def test_letters_rejected_weighed_or_compared_are_no_choice(question: str, rationale: str, letter: str) -> None:
    analysis = analyse(question, rationale, letter)
    assert analysis.conclusion != letter and analysis.agrees is not True


def test_markdown_escapes_read_as_the_characters_they_escape() -> None:
    question = "Which process removes introns?\nA: splicing\nB: capping\nC: translation\nD: replication"
    rationale = "Introns are cut out of the primary transcript.\nSolution: Choice\\_A"
    assert analyse(question, rationale, "A").agrees is True
    assert analyse(question, rationale, "D").agrees is False
    escaped = analyse("What is 4 \\* 6?", "4 \\* 6 = 24, so the answer is 24.", "24")
    assert escaped == analyse("What is 4 * 6?", "4 * 6 = 24, so the answer is 24.", "24")


@pytest.mark.parametrize(
    ("question", "rationale", "conclusion"),
    [
        # the letter a step names is the option its words or value conclude: it stands
        ("Which gas is inert?\nA: oxygen\nB: nitrogen\nC: helium\nD: chlorine",
         "Noble gases have full shells.\nSo the gas is helium, choice C.", "C"),
        (TIMES, "6 x 7 = 42.\nSo (A) 42.", "A"),
        # no letter named: the option's words or value conclude as before
        ("Which gas is inert?\nA: oxygen\nB: nitrogen\nC: helium\nD: chlorine",
         "Noble gases have full shells.\nSo the gas is helium.", "C"),
        (TIMES, "6 x 7 = 42.", "A"),
    ],
)
def test_option_content_that_agrees_with_the_named_letter_concludes(question: str, rationale: str,
                                                                    conclusion: str) -> None:
    assert analyse(question, rationale, "(B)").conclusion == conclusion


TEN = "Pick one. " + " ".join(f"({letter}) {value}" for letter, value in zip("ABCDEFGHIJ", range(11, 21), strict=True))


@pytest.mark.parametrize(
    "rationale",
    [
        # a bare capital after a number is a unit, after a name an initial, after "for" a variable
        "The inductance is L = V / (di/dt).\nPlugging in, we get L = 2 V / 5 A/s = 0.4 H.",
        "President Franklin D.",
        "We can solve for V_c and then plug it into the equation for H.",
        # "(a)", "b)" and "(i)" label a question's parts; "P(H)" applies a function; "P)" closes a parenthesis
        "(a) The heat produced is mgh = 490 J.\n(b) The temperature rises by 0.12 K.",
        "Thus, (i), (ii) and (iv) are true.",
        "P(H, U, P, W) = P(H) * P(U | H) * P(W | P)",
        # a letter named without being chosen settles on nothing; several settle on none
        "The load in (B) is larger than the rest.",
        # several letters named without a cue settle on none
        "(D) is a false statement. Thus, (A) and (C) are true.",
        # a number in the working of an earlier step is a step on the way, not the choice
        "We have E = 50 lux, I = 15 lumens and L = 12 m.\nSo the illuminance follows from E = I / A.",
    ],
)
def test_letters_and_numbers_that_name_no_option_are_no_conclusion(rationale: str) -> None:
    analysis = analyse(TEN, rationale, "(J)")
    assert analysis.conclusion is None and analysis.agrees is None


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        ("The mitochondrion makes ATP. So, B.", "B"),
        ("**B**", "B"),
        ("The correct choice is b).", "B"),
        ("(D) is false and (A) is too weak, so the answer is (C).", "C"),
        ("(C) fits best.", "C"),
        ("Solution: Choice_B", "B"),
        # an adverb between the cue and the letter, and a later answer that revises an earlier one
        ("The answer is (B).\nBut 15 is larger.\nSo the answer is actually (E).", "E"),
        ("The correct option is therefore C.", "C"),
        ("The answer is, indeed, D.", "D"),
        # a cue in an earlier step still concludes: the explanation follows the answer
        ("The answer is (E).\nThis is because 15 is 3 x 5.", "E"),
        ("The power is 19 W.\nThis is less than the rated power.", "I"),
    ],
)
def test_letters_named_as_the_choice_are_the_conclusion(rationale: str, conclusion: str) -> None:
    assert analyse(TEN, rationale, "(A)").conclusion == conclusion


def test_a_letter_said_not_to_be_correct_is_not_chosen() -> None:
    from guardrail.reader._options import cued_letter

    options = parse_options(TEN)
    assert cued_letter("(B) is not correct.", options) is None
    assert cued_letter("(B) is the correct answer.", options) == "B"
    # a verdict under a condition chooses nothing; the answer stated before it stands
    assert cued_letter("(B) would be correct only if the load were doubled.", options) is None
    assert cued_letter("B would be right if we ignored friction.", options) is None
    later = analyse(TEN, "So the answer is (E).\n(B) would be correct only if the load were doubled.", "E")
    assert later.conclusion == "E"


@pytest.mark.parametrize(
    "step",
    [
        "Therefore, choice D is incorrect.",
        "So option B cannot be true.",
        "Thus, choice C does not satisfy the equation.",
        "Therefore, choice A and choice B are also incorrect, as shown.",
        "So choice D is not entirely correct.",
        "Thus, Choice C can be eliminated.",
        "Hence option (B) is ruled out.",
    ],
)
def test_a_cue_that_opens_a_verdict_against_its_letter_chooses_nothing(step: str) -> None:
    from guardrail.reader._options import cued_letter

    assert cued_letter(step, parse_options(TEN)) is None


@pytest.mark.parametrize(
    ("step", "letter"),
    [
        ("Therefore, choice C is correct.", "C"),
        ("So option B is the only one that is not wrong.", "B"),  # the negation belongs to a relative clause
        ("So option C is the answer because A is not possible.", "C"),
        ("The answer is (B), not (C).", "B"),
    ],
)
def test_a_cue_followed_by_a_verdict_for_its_letter_or_a_clause_still_chooses(step: str, letter: str) -> None:
    from guardrail.reader._options import cued_letter

    assert cued_letter(step, parse_options(TEN)) == letter


@pytest.mark.parametrize(
    ("options", "rationale", "conclusion"),
    [
        ("A) v/4\nB) v\nC) 2v\nD) 4v", "The speed depends only on the medium.\n= v.", "B"),
        ("A) Zero\nB) 4.9 m/s^2\nC) 9.8 m/s^2\nD) 8.9 m/s^2", "This gives about 8.9 m/s^2.\n= 8.9 m/s^2.", "D"),
        ("A) y = 2x + 1\nB) y = 2x\nC) y = x + 2\nD) y = x + 1", "Simplifying gives y = 2x + 1.\n= y = 2x + 1.", "A"),
        ("A) 3.691 x 10^-34 J s\nB) 8.370 x 10^-34 J s", "So L = (7/2)(1.054 x 10^-34)\n= 3.691 x 10^-34 J s.", "A"),
    ],
)
def test_a_closing_line_equal_to_an_option_concludes_it(options: str, rationale: str, conclusion: str) -> None:
    question = "Which is right?\n" + options
    assert analyse(question, rationale, "(A)").conclusion == conclusion


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        ("Oxygen is released.\nTherefore, choice D is not correct.", None),  # the negation is kept, no verdict for D
        ("The answer is (C).\nIt cannot be (B).", "C"),  # the rejection is no conclusion; the choice before it is
        ("So the answer is (B), not (D).", "B"),
    ],
)
def test_negated_verdicts_and_rejections_are_not_read_as_choices(rationale: str, conclusion: str | None) -> None:
    assert analyse(TEN, rationale, "(A)").conclusion == conclusion


def test_a_closing_line_equal_to_no_option_or_to_several_concludes_nothing_new() -> None:
    from guardrail.reader._options import equated_option

    options = {"A": "v", "B": "v", "C": "2v"}
    assert equated_option("= v.", options) is None  # two options read "v"
    assert equated_option("v <= 3", {"A": "3"}) is None  # an inequality states no result
    assert equated_option("= 5.", {"A": "3", "B": "4"}) is None


def test_lower_case_letter_after_answer_cue_is_not_the_article() -> None:
    assert analyse(TEN, "The answer is a function of the load.", "A").conclusion is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Forty-two apples and Seven pears", "42 apples and 7 pears"),
        ("three hundred people", "300 people"),
        ("someone often went", "someone often went"),  # number words inside other words are no numbers
        ("ſix apples", "6 apples"),  # the long s folds to s
        ("SİX apples, twenty-İ", "SİX apples, 20-İ"),  # no plain spelling: kept as written, no KeyError
    ],
)
def test_words_to_digits(text: str, expected: str) -> None:
    assert words_to_digits(text) == expected


def test_absurd_numbers_neither_raise_nor_count() -> None:
    # beyond float range: rounded exactly; a 5,000-digit run (int() refuses over 4,300 digits) is no number
    assert format_number(Fraction(10**400 + 1, 4)) == "25" + "0" * 398 + ".25"
    assert format_number(Fraction(-(10**400), 3)).startswith("-3333")
    assert number_strings_in("9" * 5000 + " apples, 3/0." + "0" * 320 + "1 pears") == ("3", "0", "3" + "0" * 321)
    huge = f"Step {'9' * 5000}: she has {'9' * 5000} apples and 1/0.{'0' * 330}1 of a pear. So the answer is 7."
    assert analyse("How many?", huge, "7").agrees is True


def test_free_text_answer_named_only_to_be_rejected_is_not_the_conclusion() -> None:
    question = "Which gas do plants absorb from the air?"
    rejected = analyse(question, "Leaves take in carbon dioxide, not oxygen.", "oxygen")
    assert rejected.conclusion is None and rejected.agrees is None and rejected.answer_position == "elsewhere"
    chosen = analyse(question, "So leaves take in carbon dioxide, not oxygen.", "carbon dioxide")
    assert chosen.agrees is True


def test_free_text_answer_merely_mentioned_is_not_placed() -> None:
    """Without a concluding cue, a free-text answer named in a reason ("because the trophy is big") is a
    mention, not a conclusion: the reader leaves it unplaced, so the verifier's score stays in the band."""
    mentioned = analyse("Which gas do plants absorb?", "Leaves take in carbon dioxide, not oxygen.", "carbon dioxide")
    assert mentioned.conclusion is None and mentioned.agrees is None


def test_three_label_sets_ignore_negated_labels() -> None:
    question = "Label it as supported, refuted or unverifiable. Claim: Is the sky blue?"
    rationale = "The sky scatters blue light. The label is supported, not refuted."
    assert analyse(question, rationale, "supported").agrees is True
    assert analyse(question, rationale, "refuted").agrees is False
    nli = "Premise: A man sleeps. Hypothesis: A man runs. Entailment, neutral or contradiction?"
    assert analyse(nli, "Sleeping is not running, so it is a contradiction.", "contradiction").agrees is True


def test_sentiment_labels_are_text_not_verdicts() -> None:
    question = 'Review: "Great screen, tinny speakers." Is the sentiment positive or negative?'
    for answer in ("positive", "negative"):
        assert analyse(question, "Mostly praise. Overall it is positive.", answer).answer_type is AnswerType.TEXT
    assert analyse(question, "Mostly praise. Overall it is positive.", "negative").agrees is False


def test_sentence_final_number_starts_no_list_item() -> None:
    """Issue 15 item 9: "she has 3. So ..." ends a sentence on a number; a numbered list starts at 1."""
    from guardrail.reader import split_steps

    steps = [s.text for s in split_steps("He has 5 apples and she has 3. So together they have 8.")]
    assert steps == ["He has 5 apples and she has 3.", "So together they have 8."]
    listed = [s.text for s in split_steps("1. Add 5 and 3. 2. So the total is 8.")]
    assert listed == ["1. Add 5 and 3.", "2. So the total is 8."]


@pytest.mark.parametrize(
    ("question", "rationale", "conclusion"),
    [
        # an option that is an expression or a phrase with a number is read by its words, not by its number
        ("Which expression?\nA) 25 + (25+ m)\nB) 25 + m\nC) m + 25m\nD) m - 25", "So we have 25 + m.", "B"),
        ("Which function?\nA. Cost = 1200 + X\nB. Cost = 1500 + 1.5 X\nC. Cost = 1200 + 1.5 X",
         "So the linear cost function is Cost = 1200 + 1.5 X.", "C"),
        ("What happens to the atomic number?\nA: reduces by 1\nB: increases by 3\nC: increases by 1",
         "When an element ejects a beta particle, its atomic number increases by 1.", "C"),
        # an option that is a number with a unit keeps its number ("4 N/kg", "9.8 m/s^2")
        ("Which value?\nA. 10 N/kg  B. 4 N/kg  C. 2 N/kg", "So g on Mars = 4 N/kg.", "B"),
        ("Which value?\nA) 4.9 m/s^2\nB) 9.8 m/s^2\nC) 19.6 m/s^2", "So the acceleration is 9.8 m/s^2.", "B"),
    ],
)
def test_options_are_read_by_value_only_when_they_are_values(question: str, rationale: str, conclusion: str) -> None:
    assert analyse(question, rationale, "A").conclusion == conclusion


def test_a_value_two_options_hold_names_neither() -> None:
    question = "Which speed?\n(A) 25 m/s, upward\n(B) 25 m/s, downward\n(C) 35 m/s, upward"
    analysis = analyse(question, "So the speed 3 s later is 25 m/s.", "B")
    assert analysis.conclusion is None and analysis.agrees is None  # not the last option holding 25


def test_option_value_is_the_number_an_option_is() -> None:
    assert option_value("$1,200") == 1200 and option_value("3 years") == 3 and option_value("ten thousand") == 10000
    assert option_value("4 N/kg") == 4 and option_value("2.4 x 10^5 m/s") == 240000
    assert option_value("25 + m") is None and option_value("increases by 1") is None
    assert parse_number("She needs $5 more.") == 5  # an answer sentence still states its one number


@pytest.mark.parametrize("closing", ["<answer>C</answer>", "<answer>\n(C) 18\n</answer>", "Answer - C", "Ans: C"])
def test_answer_tags_and_short_answer_labels_state_the_choice(closing: str) -> None:
    question = "Which value is largest?\nA) 12\nB) 15\nC) 18\nD) 20"
    rationale = f"Considering each option in turn.\n{closing}"
    assert analyse(question, rationale, "C").agrees is True
    assert analyse(question, rationale, "B").agrees is False


GAS_QUESTION = "Which gas makes up most of the air?\nA) Oxygen\nB) Nitrogen\nC) Argon"


@pytest.mark.parametrize(
    ("rationale", "conclusion"),
    [
        # what follows an option's words after its letter is said of the letter
        ("Air is 78% nitrogen. B) Nitrogen is the correct answer.", "B"),
        ("Air is 78% nitrogen. Option B (Nitrogen) is correct.", "B"),
        ("Air is 78% nitrogen. So option C, 'Argon', is not possible. So the answer is B.", "B"),
        ("Air is 78% nitrogen. So option C, Argon, is not possible.", None),
        ("Argon is not possible, so it is nitrogen.", "B"),
        ("Air is 78% nitrogen.\nCorrect option \u2192 B", "B"),  # an arrow after the cue
    ],
)
def test_option_letters_with_their_words_and_verdicts(rationale: str, conclusion: str | None) -> None:
    assert analyse(GAS_QUESTION, rationale, "B").conclusion == conclusion


@pytest.mark.parametrize(
    ("answer", "agrees"),
    [
        ("Shakespeare", True),
        ("William Shakespeare", None),  # one side names the other in part: undeterminable, not a mismatch
        ("Christopher Marlowe", False),
        ("Marlowe", False),
    ],
)
def test_free_text_named_in_part_is_unclear(answer: str, agrees: bool | None) -> None:
    rationale = "Hamlet is a tragedy written around 1600.\n**Answer:** Shakespeare"
    assert analyse("Who wrote Hamlet?", rationale, answer).agrees is agrees


@pytest.mark.parametrize(
    ("closing", "conclusion"),
    [
        ("So she sold 72 clips, 48 in April and 24 in May.", "72"),  # a total, then its parts
        ("72 clips in total: 48 in April plus 24 in May.", "72"),
        ("In total, Natalia sold 72 clips: 48 in April and 24 in May.", "72"),
        ("He had 10 apples, gave away 4, so 6 remain.", "6"),  # opens on no result: it ends on it
        ("She sold 72 clips altogether, 24 of them in May.", "72"),  # "24 of them" is a part
        ("So the speed is 0.75 minus 0.75, or 0.", "0"),  # a zero is no part of a total
        ("So she has 3 bags with 2 and 1 apples, and 5 apples.", "5"),  # the first number is no sum of the others
        ("So she needs 5 more cupcakes, one for each friend.", "5"),  # "one" as a pronoun counts nothing
        ("So 5 people came, one of whom was late.", "5"),
    ],
)
def test_a_closing_total_and_its_parts(closing: str, conclusion: str) -> None:
    assert analyse("How many?", "May: 48/2 = 24.\n" + closing, conclusion).conclusion == conclusion


@pytest.mark.parametrize(
    ("closing", "conclusion"),
    [
        ("So Janet makes $18 every day at the market from selling 9 eggs.", "18"),  # the result, then how
        ("The shop earns $55 by selling 3 pens and 2 books.", "55"),
        ("She makes $18 per day, selling 9 eggs at $2 each.", "18"),
        ("So, the shop makes **$55** after selling 3 pens and 2 books.", "55"),
        ("In total, the shop earns $55 for the 3 pens and the 2 books.", "55"),
        ("So there are 3 groups with 12 students.", "12"),  # "with" states no circumstance: read as before
        ("Thus, 5 people at 12 dollars each pay 60.", "60"),  # no result after a subject and verb
        ("For 3 pens she pays $15.", "15"),  # a circumstance first: the sentence ends on its result
        ("The temperature dropped 8 degrees from 5 to -3.", "-3"),  # a value reached: it ends on it
        ("The train travels 20 miles per hour for 6 hours, so it travels 120 miles.", "120"),  # goes on
        ("If he leaves the $500 for 5 years, he will have $925.00.", "925"),  # a condition first
        ("The emf is 400 J divided by 1.5 C.", "1.5"),  # a computation, read as before
        ("The image is 35 inches from the mirror, and the image is 17.5 inches from the object.", "17.5"),
    ],
)
def test_a_closing_result_and_its_circumstances(closing: str, conclusion: str) -> None:
    assert analyse("How much?", "9 * 2 = 18. 3 * 5 = 15.\n" + closing, conclusion).conclusion == conclusion


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("The city grew by 0.5 million to reach 1.5 million people.", "1500000", True),
        ("Revenue rose to $2.5k.", "2500", True),
        ("So it costs $4M.", "4000000", True),
        ("The answer is 1,500,000 people.", "1.5 million", True),
        ("So it is 1.5 million.", "1.5", True),  # asked in millions
        ("So it is 1.5 million.", "15000", False),
        ("He ran 5 m.", "5000", False),  # "m" is metres, no scale
    ],
)
def test_a_number_with_a_scale_agrees_with_its_value(rationale: str, answer: str, agrees: bool) -> None:
    assert analyse("How many?", rationale, answer).agrees is agrees


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("3 of 6 faces are even, so the probability is 3/6 = 1/2, or 50%.", "50%", True),
        ("3 of 6 faces are even, so the probability is 3/6 = 1/2, or 50%.", "50", True),  # the step says 50%
        ("3 of 6 faces are even: 3/6 = 0.5.", "50%", True),
        ("3 of 6 faces are even, so the chance is 50%.", "0.5", True),
        ("3 of 6 faces are even: 3/6 = 0.5.", "50", False),  # no percent on either side
        ("So she saves 20% of $50, which is $10.", "0.1", False),  # 10 is no percentage
    ],
)
def test_a_percentage_agrees_with_its_fraction(rationale: str, answer: str, agrees: bool) -> None:
    assert analyse("What is the probability?", rationale, answer).agrees is agrees


@pytest.mark.parametrize(
    ("rationale", "answer", "agrees"),
    [
        ("240 / 120 = 2. So the trip takes 2 hours, or 120 minutes.", "2", True),
        ("240 / 120 = 2. So the trip takes 2 hours, or 120 minutes.", "120", True),
        ("240 / 120 = 2. So the trip takes 2 hours (120 minutes).", "2", True),
        ("Time = 240/120 = 2 h = 120 min.", "2", True),
        ("10 * 100 = 1000. So he pays 1000 cents, i.e. $10.", "1000", True),
        ("The pole is 1.5 kg (1500 g).", "1.5", True),
        ("The sign is 50 cm (20 in) wide.", "50", True),  # rounded conversions count
        ("240 / 120 = 2. So the trip takes 2 hours, or 120 minutes.", "3", False),
        ("He works 2 hours a day, so in 4 days = 8 hours.", "4", False),  # a total, not the same quantity
        ("13 hours/week * 4 weeks = 52 hours.", "4", False),  # an operand
        ("So he has 5 apples or 3 pears.", "5", False),  # no units: a choice
    ],
)
def test_a_result_restated_in_another_unit_agrees_in_either(rationale: str, answer: str, agrees: bool) -> None:
    assert analyse("How long?", rationale, answer).agrees is agrees


@pytest.mark.parametrize(
    ("output", "conclusion"),
    [
        ("**Answer:** 55\n\n**Explanation:** The pens bring 3 x 5 = 15 and the books 2 x 20 = 40.", None),
        ("Answer: 55\nExplanation: 3 x 5 = 15 and 2 x 20 = 40, so the total is 55.", "55"),
        ("Answer: 55\nReasoning: 15 + 40 = 55.", None),  # no step concludes: the answer line said it
    ],
)
def test_an_explanation_after_its_answer_is_read_only_where_it_concludes(output: str, conclusion: str | None) -> None:
    """Answer first: the extractor takes the answer line out, and the explanation's last number (the books' 40)
    is no result unless a step concludes."""
    from guardrail import extract

    extraction = extract(output)
    assert extraction.answer == "55"
    analysis = analyse("How much does the shop earn?", extraction.rationale, extraction.answer)
    assert analysis.conclusion == conclusion
    assert analysis.agrees is (None if conclusion is None else True)
