"""Policy thresholds, error actions and rendering."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrail import Action, Extraction, Policy, Step, Verdict
from guardrail._policy import annotation, render


@pytest.mark.parametrize(
    ("score", "action", "code"),
    [
        (1.0, Action.PASS, "consistent"),
        (0.8, Action.PASS, "consistent"),
        (0.79, Action.LABEL, "unverified"),
        (0.5, Action.LABEL, "unverified"),
        (0.49, Action.ANNOTATE, "low_consistency"),
        (0.2, Action.ANNOTATE, "low_consistency"),
        (0.19, Action.BLOCK, "inconsistent"),
        (0.0, Action.BLOCK, "inconsistent"),
    ],
)
def test_default_mapping(score, action, code):
    got, reason = Policy().action_for(score)
    assert got is action
    assert reason.split(":", 1)[0] == code


def test_zero_annotate_threshold_never_blocks_on_score():
    assert Policy(annotate_above=0.0).action_for(0.0)[0] is Action.ANNOTATE


def test_thresholds_must_be_ordered():
    with pytest.raises(ValidationError):
        Policy(pass_above=0.4, label_above=0.5)
    with pytest.raises(ValidationError):
        Policy(pass_above=1.5)


def test_error_action():
    assert Policy().error_action() is Action.LABEL
    assert Policy(fail_open_action="pass").error_action() is Action.PASS
    assert Policy(on_error="fail_closed").error_action() is Action.BLOCK
    with pytest.raises(ValidationError):
        Policy(fail_open_action="block")


def test_policy_is_frozen():
    with pytest.raises(ValidationError):
        Policy().pass_above = 0.1  # type: ignore[misc]


def _verdict(action: Action, consistency: float | None = 0.3, flagged=(1,)) -> Verdict:
    return Verdict(
        id="x", consistency=consistency, action=action, reasons=("low_consistency: test",), flagged_steps=flagged
    )


EXTRACTION = Extraction(
    rationale="3 + 4 = 7.\nSo he has 8.",
    answer="8",
    steps=(Step(index=0, text="3 + 4 = 7.", start=0, end=10), Step(index=1, text="So he has 8.", start=11, end=23)),
    format="fields",
)


def test_render_label_uses_configured_wording():
    text = render(Policy(label_text="Model's own reasoning"), _verdict(Action.LABEL), EXTRACTION, "original text")
    assert text == "[Model's own reasoning]\noriginal text"


def test_render_annotate_shows_score_reasons_and_flagged_step():
    text = render(Policy(), _verdict(Action.ANNOTATE), EXTRACTION, None)
    assert text.startswith("3 + 4 = 7.\nSo he has 8.\n\nAnswer: 8")
    assert "consistency 0.30" in text and "low_consistency: test" in text
    assert "flagged step 2: So he has 8." in text


def test_annotation_ignores_out_of_range_steps_and_missing_score():
    text = annotation(Policy(), _verdict(Action.ANNOTATE, consistency=None, flagged=(9,)), EXTRACTION)
    assert "n/a" in text and "flagged" not in text


@pytest.mark.parametrize("action", [Action.PASS, Action.BLOCK])
def test_no_rendering_for_pass_and_block(action):
    assert render(Policy(), _verdict(action), EXTRACTION, "t") is None


@pytest.mark.parametrize(
    ("policy", "scored", "expected"),
    [
        (Policy(), Action.PASS, Action.LABEL),  # fail_open: fail_open_action
        (Policy(fail_open_action="annotate"), Action.PASS, Action.ANNOTATE),
        (Policy(on_error="fail_closed"), Action.PASS, Action.BLOCK),
        (Policy(), Action.ANNOTATE, Action.ANNOTATE),  # never looser than the score
        (Policy(), Action.BLOCK, Action.BLOCK),
    ],
)
def test_an_incomplete_output_never_passes_on_its_score(policy, scored, expected):
    assert policy.incomplete_action(scored) is expected


def test_output_reasons_make_an_incomplete_verdict_follow_on_error():
    from guardrail._policy import with_output_reasons

    verdict = Verdict(id="x", consistency=0.95, action=Action.PASS, reasons=("consistent: 0.95",))
    cut = with_output_reasons(Policy(), verdict, ["stream_interrupted: no end-of-stream marker"])
    assert cut.action is Action.LABEL and cut.reasons[-1].startswith("stream_interrupted")
    noted = with_output_reasons(Policy(), verdict, ["partly_redacted: some blocks were redacted"])
    assert noted.action is Action.PASS and noted.reasons[-1].startswith("partly_redacted")
    assert with_output_reasons(Policy(), cut, ["stream_interrupted"]).reasons == cut.reasons  # no duplicate codes


def test_strictest_verdict_of_several_candidates():
    from guardrail._policy import strictest

    actions = [Action.PASS, Action.ANNOTATE, Action.LABEL]
    verdicts = [Verdict(id=str(i), consistency=None, action=a) for i, a in enumerate(actions)]
    assert strictest(verdicts).id == "1"
    assert strictest(verdicts[:1] * 2) is verdicts[0]


@pytest.mark.parametrize(
    ("policy", "scored", "expected"),
    [
        (Policy(), Action.PASS, Action.LABEL),  # the text after the answer was not verified
        (Policy(continuation="pass"), Action.PASS, Action.PASS),
        (Policy(), Action.BLOCK, Action.BLOCK),  # never looser than the score
        (Policy(continuation="annotate"), Action.LABEL, Action.ANNOTATE),
    ],
)
def test_an_output_that_went_on_past_its_answer_gets_at_least_the_continuation_action(policy, scored, expected):
    from guardrail._policy import with_output_reasons

    verdict = Verdict(id="x", consistency=0.5, action=scored, reasons=("scored",))
    noted = with_output_reasons(policy, verdict, ["continuation_dropped: a new question (90 characters)"])
    assert noted.action is expected and noted.reasons[-1].startswith("continuation_dropped")
