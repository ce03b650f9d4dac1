"""Rationale/answer extraction: every supported shape, and bad input as a typed error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from runtime_fakes import EXAMPLES

from guardrail import Extraction, InputError, extract, split_steps
from guardrail._extract import from_fields


@pytest.mark.parametrize(
    ("question", "output", "answer", "fmt"), EXAMPLES, ids=[e[3] + str(i) for i, e in enumerate(EXAMPLES)]
)
def test_each_text_shape(question, output, answer, fmt):
    found = extract(output)
    assert (found.answer, found.format) == (answer, fmt)
    assert found.rationale and found.steps
    assert found.steps[-1].end <= len(found.rationale)


def test_rationale_does_not_restate_the_answer():
    # The rationale is checked against the answer: it must not end on "so the answer is \boxed{7}".
    found = extract("3 + 4 = 7.\nSo the final answer is $\\boxed{7}$.")
    assert found.rationale == "3 + 4 = 7."
    assert extract("First 2.\nThen 5.\nTherefore, the answer is 5.").rationale == "First 2.\nThen 5."


def test_nested_braces_in_boxed():
    assert extract("so \\boxed{\\frac{\\sqrt{2}}{2}}").answer == "\\frac{\\sqrt{2}}{2}"


def test_last_boxed_wins():
    assert extract("Try \\boxed{3}? No.\nRecount: \\boxed{4}").answer == "4"


def test_unclosed_and_deeply_nested_boxes():
    assert extract("Recount: \\boxed{4} and then \\boxed{5").answer == "4"  # the last box never closes
    assert extract("}} \\boxed{{4}} {").answer == "{4}"
    # 20,000 nested boxes: braces are matched in one pass (a forward scan per box was quadratic)
    deep = extract("2 + 2 = 4. " + "\\boxed{" * 20_000 + "4" + "}" * 20_000)
    assert deep.answer == "4" and deep.format == "boxed"


def test_strongest_marker_wins_over_a_later_weak_one():
    found = extract("Work.\n#### 12\nThe answer is obvious")
    assert (found.answer, found.format) == ("12", "hash_answer")


def test_answer_first_then_explanation():
    found = extract("Answer: B\nExplanation: 9 is the largest option.")
    assert found.answer == "B"
    assert "largest" in found.rationale


def test_think_tags_with_marked_final_text():
    found = extract("<think>Let me add. 3+4=7</think>\n**Final answer:** 7")
    assert (found.rationale, found.answer, found.format) == ("Let me add. 3+4=7", "7", "think_tags")


def test_unclosed_think_has_no_answer():
    found = extract("<think>I keep thinking and the generation was cut")
    assert found.answer is None and found.format == "think_tags"


def test_lone_closing_think_tag():
    found = extract("3 + 4 = 7</think>7")
    assert (found.rationale, found.answer) == ("3 + 4 = 7", "7")


def test_answer_only_inside_thinking():
    found = extract("<think>3+4=7. The answer is 7.</think>")
    assert found.answer == "7"


def _block(kind, **fields):
    return SimpleNamespace(type=kind, **fields)


def test_anthropic_message_with_thinking_blocks():
    message = SimpleNamespace(
        content=[
            _block("thinking", thinking="3 + 4 = 7.\nHe has 7 apples.", signature="sig"),
            _block("redacted_thinking", data="opaque"),
            _block("text", text="He has 7 apples."),
        ]
    )
    found = extract(message)
    assert found.format == "anthropic_thinking"
    assert found.rationale == "3 + 4 = 7.\nHe has 7 apples."
    assert found.answer == "He has 7 apples"


def test_anthropic_message_text_only_uses_text_markers():
    message = {"content": [{"type": "text", "text": "3 + 4 = 7.\n#### 7"}]}
    assert extract(message).answer == "7"


def test_anthropic_message_only_redacted_thinking_has_no_rationale_and_no_answer():
    found = extract(SimpleNamespace(content=[_block("redacted_thinking", data="x")]))
    assert (found.rationale, found.answer, found.format) == ("", None, "anthropic_thinking_redacted")


def test_anthropic_redacted_thinking_with_text_keeps_the_answer_but_no_rationale():
    message = SimpleNamespace(content=[_block("redacted_thinking", data="x"), _block("text", text="Final answer: 7")])
    found = extract(message)
    assert (found.rationale, found.answer, found.format) == ("", "7", "anthropic_thinking_redacted")


def test_reasoning_channel_rationale_excludes_the_visible_lead_in():
    # The visible text restates its own answer; adding it to the rationale would make any thinking "consistent".
    message = SimpleNamespace(
        content=[_block("thinking", thinking="6 * 7 = 42."), _block("text", text="The box holds 41.\nFinal answer: 41")]
    )
    found = extract(message)
    assert (found.rationale, found.answer) == ("6 * 7 = 42.", "41")


def test_openai_completion_with_reasoning_content():
    message = SimpleNamespace(content="7", reasoning_content="3 + 4 = 7.")
    found = extract(SimpleNamespace(choices=[SimpleNamespace(message=message)]))
    assert (found.rationale, found.answer, found.format) == ("3 + 4 = 7.", "7", "openai_reasoning")


@pytest.mark.parametrize(
    "data",
    [
        {"reasoning": "r", "answer": "7"},
        {"Rationale": "r", "final_answer": 7},
        {"explanation": "r", "result": "7."},
    ],
)
def test_dict_fields(data):
    found = extract(data)
    assert (found.rationale, found.answer, found.format) == ("r", "7", "json")


def test_json_without_answer_has_none():
    assert extract('{"reasoning": "thinking only"}').answer is None


def test_json_nested_past_the_parser_depth_falls_back_to_the_other_formats():
    deep = '{"answer": ' * 5_000 + "1" + "}" * 5_000
    found = extract(f"2 + 2 = 4.\n```json\n{deep}\n```\nFinal answer: 4")
    assert (found.answer, found.format) == ("4", "final_answer")


def test_bool_answer_becomes_yes_no():
    assert extract({"reasoning": "r", "answer": True}).answer == "yes"


def test_no_marker_gives_no_answer():
    found = extract("Just some prose without a conclusion")
    assert found.answer is None and found.format == "none"
    assert found.rationale == "Just some prose without a conclusion"


def test_extraction_passes_through():
    given = Extraction(rationale="r", answer="a", format="custom")
    assert extract(given) is given


def test_utf8_bytes_accepted():
    assert extract("3 + 4 = 7 €.\n#### 7".encode()).answer == "7"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (b"\xff\xfe#### 7", "not_utf8"),
        (b"3 + 4 = 7\xff\n#### 7".decode("utf-8", "surrogateescape"), "not_utf8"),  # lone surrogate in a str
        ("a\x00b\n#### 7", "nul_byte"),
        ("   \n ", "empty"),
        ("x" * 1_000_001, "input_too_large"),
        (12345, "cannot extract"),
        (None, "cannot extract"),
    ],
)
def test_bad_input_is_typed_error(bad, code):
    with pytest.raises(InputError, match=code):
        extract(bad)


def test_from_fields_validates_and_keeps_steps():
    found = from_fields("Step 1: 3 + 4 = 7. Step 2: so 7.", 7)
    assert found.answer == "7" and len(found.steps) == 2 and found.format == "fields"
    with pytest.raises(InputError, match="missing_field"):
        from_fields(None, "7")
    with pytest.raises(InputError, match="not_text"):
        from_fields(["a"], "7")


def test_empty_answer_field_is_no_answer():
    assert from_fields("r", "  ").answer is None


def test_answer_line_beats_earlier_prose():
    found = extract("I first thought the answer is 5.\nChecking again, 2 + 4 = 6.\n**Answer:** 6")
    assert (found.answer, found.format) == ("6", "answer_label")
    assert found.rationale.endswith("2 + 4 = 6.")


def test_bare_list_of_content_blocks():
    found = extract([{"type": "thinking", "thinking": "3 + 4 = 7."}, {"type": "text", "text": "7"}])
    assert (found.rationale, found.answer) == ("3 + 4 = 7.", "7")


def test_step_numbers_too_long_to_be_step_numbers_do_not_raise():
    # int() refuses digit strings over 4,300 characters; such a "step number" is no step number
    steps = split_steps(f"Step 1: start. Step {'9' * 5000}: go. Step 2: stop.")
    assert steps[0].text.startswith("Step 1: start.") and steps[-1].text == "Step 2: stop."
