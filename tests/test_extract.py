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


@pytest.mark.parametrize(
    ("output", "rationale", "answer"),
    [
        # the answer tags of reasoning-tuned open models' templates, after </think> or on their own
        ("<think>18 is the largest.</think>\n<answer>C</answer>", "18 is the largest.", "C"),
        ("<think>18 is the largest.</think>\n<answer>\nC\n</answer>", "18 is the largest.", "C"),
        ("18 is the largest.\n<answer>C</answer>", "18 is the largest.", "C"),
        ("x = 5, so\n<answer>The final answer is \\boxed{5}.</answer>", "x = 5", "5"),  # a marker inside the tag
        ("<answer>B</answer>\nBecause 18 > 15.", "Because 18 > 15.", "B"),  # answer first, reasoning after
        # answer labels with a dash or abbreviated
        ("18 is the largest.\nAnswer - C", "18 is the largest.", "C"),
        ("18 is the largest.\nAns: C", "18 is the largest.", "C"),
    ],
)
def test_answer_tags_and_short_labels(output, rationale, answer):
    found = extract(output)
    assert (found.rationale, found.answer) == (rationale, answer)


def test_a_dash_inside_a_line_is_no_answer_label():
    assert extract("Step - 1: compute the sum.").answer is None
    assert extract("18 is the largest.\n<answer>").answer is None  # an empty tag names nothing


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


# --- provider shapes as dicts and as SDK objects go through the same code (issue 15, item 10) ---------------

OPENAI_MESSAGE = {"role": "assistant", "content": "So 7 apples.\nFinal answer: 7", "reasoning_content": "3 + 4 = 7."}
OPENAI_COMPLETION = {
    "id": "c",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [{"index": 0, "message": OPENAI_MESSAGE, "finish_reason": "stop"}],
}
ANTHROPIC_MESSAGE = {
    "id": "msg",
    "type": "message",
    "role": "assistant",
    "model": "claude",
    "content": [
        {"type": "thinking", "thinking": "3 + 4 = 7.", "signature": "sig"},
        {"type": "text", "text": "So 7 apples.\nFinal answer: 7"},
    ],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


def _sdk_objects():
    from anthropic.types import Message
    from openai.types.chat import ChatCompletion, ChatCompletionMessage

    return {
        "openai_completion": ChatCompletion.model_validate(OPENAI_COMPLETION),
        "openai_choice": ChatCompletion.model_validate(OPENAI_COMPLETION).choices[0],
        "openai_message": ChatCompletionMessage.model_validate(OPENAI_MESSAGE),
        "anthropic_message": Message.model_validate(ANTHROPIC_MESSAGE),
    }


@pytest.mark.parametrize(
    ("shape", "as_dict"),
    [
        ("openai_completion", OPENAI_COMPLETION),
        ("openai_choice", OPENAI_COMPLETION["choices"][0]),
        ("openai_message", OPENAI_MESSAGE),
        ("anthropic_message", ANTHROPIC_MESSAGE),
    ],
)
def test_a_provider_dict_extracts_like_the_sdk_object_of_the_same_shape(shape, as_dict):
    pytest.importorskip("anthropic")
    pytest.importorskip("openai")
    from_dict, from_object = extract(as_dict), extract(_sdk_objects()[shape])
    assert from_dict == from_object
    assert (from_dict.rationale, from_dict.answer) == ("3 + 4 = 7.", "7")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_bare_message_dict_with_either_reasoning_field(field):
    found = extract({"role": "assistant", "content": "Final answer: 7", field: "3 + 4 = 7."})
    assert (found.rationale, found.answer, found.format) == ("3 + 4 = 7.", "7", "openai_reasoning")
    assert extract({"content": "Final answer: 7", field: "3 + 4 = 7."}).answer == "7"  # no role: still a message


def test_plain_reasoning_answer_dicts_are_still_records_not_messages():
    assert extract({"reasoning": "3 + 4 = 7.", "answer": 7}).answer == "7"
    assert extract({"role": "solver", "rationale": "3 + 4 = 7.", "answer": "7"}).format == "json"


def test_a_guard_scores_provider_dicts_including_a_jsonl_output_field():
    from runtime_fakes import FixedVerifier

    from guardrail import Action, Guard

    fake = FixedVerifier(0.9)
    items = [{"id": str(i), "question": "3 + 4?", "output": o} for i, o in enumerate(
        [OPENAI_COMPLETION, OPENAI_MESSAGE, ANTHROPIC_MESSAGE]
    )]
    verdicts = Guard(fake).check_many(items)
    assert [v.action for v in verdicts] == [Action.PASS] * 3
    assert [(i.rationale, i.answer) for i in fake.calls[0]] == [("3 + 4 = 7.", "7")] * 3


def test_multiple_choices_are_not_silently_reduced_to_the_first():
    two = {**OPENAI_COMPLETION, "choices": [OPENAI_COMPLETION["choices"][0]] * 2}
    with pytest.raises(InputError, match="multiple_choices"):
        extract(two)


# --- partly redacted thinking (item 13) ---------------------------------------------------------------------


def test_partly_redacted_thinking_is_checked_and_says_so():
    message = {
        "content": [
            {"type": "thinking", "thinking": "3 + 4 = 7.", "signature": "s"},
            {"type": "redacted_thinking", "data": "Opaque=="},
            {"type": "text", "text": "Final answer: 7"},
        ]
    }
    found = extract(message)
    assert (found.rationale, found.answer) == ("3 + 4 = 7.", "7")
    assert [r.split(":")[0] for r in found.reasons] == ["partly_redacted"]
    assert extract({"content": message["content"][::2]}).reasons == ()  # nothing redacted: no reason


RUNAWAY = (
    "Mitosis gives two identical daughter cells, so the answer is (B).\n\n"
    "Question:\nWhich gas do plants take in?\n(A) oxygen (B) nitrogen (C) carbon dioxide\n"
    "Answer: Let's think step by step. Plants fix carbon dioxide. The answer is (C)."
)


def test_a_new_question_after_the_answer_is_cut_off_with_its_reason():
    # A base model writes on into an invented next few-shot example: its answer is the first one, not the
    # invented question's.
    found = extract(RUNAWAY)
    assert found.answer == "B"
    assert "Plants" not in found.rationale and found.rationale.startswith("Mitosis")
    assert [r.split(":")[0] for r in found.reasons] == ["continuation_dropped"]
    fields = from_fields(RUNAWAY, "B")
    assert fields.rationale.endswith("so the answer is (B).") and fields.reasons == found.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Question: what is asked? The total.\n3 + 4 = 7.\nThe answer is 7.",  # a turn line before any answer
        "The answer is 7.\nQuestion 2 of the exercise: 7 + 1 = 8.",  # numbered: maybe part of the question
        "The answer is 7, as the questions below confirm.\nQ.E.D.",
        "3 + 4 = 7.\nQuestion: is that right? Yes.",  # no stated answer before it
    ],
)
def test_text_without_a_new_turn_after_an_answer_is_kept_whole(text):
    assert not extract(text).reasons and not from_fields(text, "7").reasons
    assert from_fields(text, "7").rationale == text


@pytest.mark.parametrize("turn", ["Q:", "Problem:", "### Question:", "**Question:**", "Human:", "User:"])
def test_new_turn_headers(turn):
    text = f"3 + 4 = 7.\n#### 7\n\n{turn} 2 + 2?\n2 + 2 = 4.\n#### 4"
    found = extract(text)
    assert found.answer == "7" and found.reasons[0].startswith("continuation_dropped")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Jupiter is the largest planet.\n\nThe correct choice is **B. Jupiter**.", "B. Jupiter"),
        ("Only neon is inert here. So the right option is (C).", "C"),
        ("9 beats 2 and 5. The best answer is: (B)", "B"),
    ],
)
def test_a_correct_choice_or_option_is_an_answer_marker(text, answer):
    found = extract(text)
    assert (found.answer, found.format) == (answer, "best_answer")
    assert "choice is" not in found.rationale and "option is" not in found.rationale
