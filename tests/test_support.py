"""Topic overlap and derived conclusions: the two rg-v2 signals (guardrail.reader, via analyse)."""

from __future__ import annotations

import pytest

from guardrail.reader import analyse, content_keys, derives_conclusion, topic_overlap
from verifier_training.evaluate.baseline import string_match_baseline

QUESTION = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many clips did she sell?"
OWN = "In May she sold 48 / 2 = 24 clips.\nAltogether she sold 48 + 24 = 72 clips."
FOREIGN = "Weng earns 12 / 60 = $0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $10."


def test_content_keys_drop_stopwords_and_stem() -> None:
    assert content_keys("How many of the clips did she sell in April?") == {"clips", "sell", "april"}
    assert "gestat" in content_keys("gestation") and content_keys("gestational") == content_keys("gestation")


def test_own_rationale_overlaps_far_more_than_a_foreign_one() -> None:
    own, foreign = topic_overlap(QUESTION, OWN), topic_overlap(QUESTION, FOREIGN)
    assert own is not None and foreign is not None
    assert 0.0 <= foreign < 0.15 < 0.3 < own <= 1.0


def test_overlap_is_none_without_content_words() -> None:
    assert topic_overlap("Is it?", "Yes, it is.") is None


def test_one_option_named_is_no_topic_but_weighing_the_options_is() -> None:
    """A rationale that names one option shares no topic with the question; one that weighs the options by their
    content is on topic even without the question's own words."""
    question = "Which metal is liquid at room temperature? (A) mercury (B) iron (C) copper"
    analysis = analyse(question, "Iron and copper melt far above room temperature, mercury melts at -39 C. So (A).", "A")
    stranger = analyse(question, "Mercury is the closest planet to the sun. So (A).", "A")
    terse = analyse(question, "Iron melts at 1538 C and copper at 1085 C; mercury at -39 C. So (A).", "A")
    assert stranger.topic_overlap == 0.0  # "mercury" is an option, not the question's topic
    assert analysis.topic_overlap == terse.topic_overlap == 1.0  # all three options weighed
    assert topic_overlap("Which metal is liquid at room temperature?", "Iron melts at 1538 C.", ["iron", "copper"]) == 0


@pytest.mark.parametrize(
    ("steps", "conclusion_step", "expected"),
    [
        ([("8", "9", "72")], 0, True),  # "8 x 9 = 72"
        ([("72",), ("72",)], 1, True),  # computed earlier, restated last
        ([("48",), ("72",)], 1, False),  # "So the answer is 72." after unrelated steps
        ([("72", "72")], 0, False),  # repeating one number is no derivation
        ([("3",), ()], 1, False),
    ],
)
def test_derives_conclusion(steps: list[tuple[str, ...]], conclusion_step: int, expected: bool) -> None:
    assert derives_conclusion(steps, conclusion_step, "72") is expected


def test_analyse_marks_asserted_numeric_conclusions() -> None:
    worked = analyse(QUESTION, OWN, "72")
    asserted = analyse(QUESTION, "In May she sold half as many.\nSo the answer is 72.", "72")
    assert worked.derived is True and asserted.derived is False


def test_analyse_derived_for_numeric_options_and_none_for_words() -> None:
    question = "How many clips did she sell? (A) 60 (B) 72 (C) 96"
    assert analyse(question, OWN + "\nSo the answer is (B).", "B").derived is True
    assert analyse(question, "She sold clips.\nSo the answer is (B).", "B").derived is False
    words = "Who read the most? (A) Priya (B) Dev"
    assert analyse(words, "Priya read 9 books and Dev read 4. So it is Priya.", "A").derived is None
    assert analyse("Is 7 prime?", "7 has no divisors but 1 and 7. So yes.", "yes").derived is None


def test_baseline_scores_an_unsettled_word_option_line_as_nothing_found() -> None:
    """Several options named on the last line, none marked: 0.5 (nothing found), not a mismatch."""
    question = "Who read the most? (A) Priya (B) Dev (C) Sam"
    assert string_match_baseline(question, "Priya and Dev both read a lot", "A") == 0.5
    assert string_match_baseline(question, "So it is Priya.", "A") == 1.0


def test_analyse_matches_a_repeating_decimal_with_its_fraction() -> None:
    analysis = analyse("Three friends share one cake equally. What share does each get?",
                       "One cake split three ways is 1/3 each.\nSo the answer is 0.333333.", "0.333333")
    assert analysis.derived is True
