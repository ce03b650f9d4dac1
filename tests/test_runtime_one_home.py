"""Issue 18: each runtime rule has one home. The composed scorer, the Guard's public delivery, one reading of
provider outputs (``Guard.apply`` and the adapters alike), one think-tag rule and one id rule."""

from __future__ import annotations

from types import SimpleNamespace

from runtime_fakes import FixedVerifier, MappedVerifier

from guardrail import Action, Cascade, Guard, Policy, extract
from guardrail.adapters import ThinkTagSplitter, guard_anthropic, guard_openai

Q = "Tom has 3 apples and buys 4 more. How many?"
OUT = "3 + 4 = 7.\n#### 7"


def test_a_composed_cascade_decides_as_the_shorthand_does():
    def primary():
        return MappedVerifier(lambda item: 0.5 if item.answer == "7" else 0.95, name="onnx:fake")

    items = [{"question": Q, "output": OUT}, {"question": Q, "output": "3 + 4 = 7.\n#### 9"}]
    composed = Guard(scorer=Cascade(primary(), FixedVerifier(0.1, name="judge"), band=(0.2, 0.8)))
    shorthand = Guard(primary(), judge=FixedVerifier(0.1, name="judge"), band=(0.2, 0.8))
    decided = [[(v.action, v.decided_by, v.reasons) for v in g.check_many(items)] for g in (composed, shorthand)]
    assert decided[0] == decided[1] and decided[0][0][1] == ("judge",)


def test_deliver_is_what_apply_does_after_check():
    guard = Guard(FixedVerifier(0.6))
    verdict = guard.check(Q, OUT, id="x")
    delivered = guard.deliver(verdict, OUT)
    applied = guard.apply(Q, OUT, id="x")
    assert (delivered.output, delivered.display, delivered.verdict.action) == (
        applied.output, applied.display, Action.LABEL
    )
    truncated = guard.deliver(verdict, OUT, reasons=("output_truncated: cut",))
    assert truncated.verdict.reasons[-1] == "output_truncated: cut" and truncated.verdict.action is Action.LABEL


def _block(kind: str, **fields: str) -> SimpleNamespace:
    return SimpleNamespace(type=kind, **fields)


def test_an_anthropic_message_reads_the_same_through_apply_and_the_adapter():
    message = SimpleNamespace(
        content=[
            _block("thinking", thinking="Tom starts with 3."),
            _block("thinking", thinking="3 + 4 = 7."),
            _block("text", text="He has 7 apples. "),
            _block("text", text="Final answer: 7"),
        ],
        stop_reason="end_turn",
    )
    through_apply, through_adapter = FixedVerifier(0.9), FixedVerifier(0.9)
    Guard(through_apply).apply(Q, message)
    create = guard_anthropic(lambda **request: message, Guard(through_adapter), is_async=False)
    create(messages=[{"role": "user", "content": Q}])
    (applied,), (adapted,) = through_apply.calls[0], through_adapter.calls[0]
    assert (applied.rationale, applied.answer) == (adapted.rationale, adapted.answer) == (
        "Tom starts with 3.\n\n3 + 4 = 7.", "7"
    )


def test_an_openai_message_reads_the_same_through_apply_and_the_adapter():
    message = SimpleNamespace(role="assistant", content="Final answer: 7", reasoning_content="3 + 4 = 7.")
    completion = SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason="stop", index=0)])
    through_apply, through_adapter = FixedVerifier(0.9), FixedVerifier(0.9)
    Guard(through_apply).apply(Q, completion)
    guard_openai(lambda **request: completion, Guard(through_adapter), is_async=False)(messages=[])
    assert through_apply.calls[0][0].rationale == through_adapter.calls[0][0].rationale == "3 + 4 = 7."
    assert through_apply.calls[0][0].answer == through_adapter.calls[0][0].answer == "7"


def test_every_think_tag_spelling_is_split_alike_streamed_or_not():
    text = "<Thinking>3 + 4 = 7.</Thinking>\n\nFinal answer: 7"
    found = extract(text)
    assert (found.rationale, found.answer, found.format) == ("3 + 4 = 7.", "7", "think_tags")
    splitter, pieces = ThinkTagSplitter(), []
    for chunk in ("<Think", "ing>3 + 4", " = 7.</Thin", "king>\n\nFinal answer: 7"):
        pieces += splitter.feed(chunk)
    pieces += splitter.flush()
    streamed = {kind: "".join(p.text for p in pieces if p.kind == kind) for kind in ("rationale", "answer")}
    assert streamed == {"rationale": "3 + 4 = 7.", "answer": "Final answer: 7"}


def test_one_id_rule_for_batches_and_files():
    from guardrail._records import parse_line

    verdicts = Guard(FixedVerifier(0.9)).check_many(
        [{"id": 7, "question": Q, "output": OUT}, {"id": True, "question": Q, "output": OUT}]
    )
    assert [v.id for v in verdicts] == ["7", "1"]  # True is not an id: the item's index stands in
    assert parse_line(b'{"id": 7}', 1)[0] == 7 and parse_line(b'{"id": true}', 2)[0] == "line-2"
    policy = Policy(on_error="fail_closed")
    assert Guard(FixedVerifier(0.9), policy=policy).check_many([3])[0].action is Action.BLOCK
