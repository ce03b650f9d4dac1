"""The Guard: actions, fail-open/closed, batches, wrapping (sync and async), logging, laziness."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
import structlog
from runtime_fakes import AsyncFixedVerifier, FailingVerifier, FixedVerifier, MappedVerifier

from guardrail import (
    Action,
    Assessment,
    CheckInput,
    CheckRequest,
    Extraction,
    Guard,
    ModelNotFoundError,
    OutputBlocked,
    Policy,
    question_from_call,
)

Q = "Tom has 3 apples and buys 4 more. How many?"
OUT = "3 + 4 = 7.\nHe has 7 apples.\n#### 7"


@pytest.mark.parametrize(
    ("score", "action"),
    [(0.95, Action.PASS), (0.6, Action.LABEL), (0.3, Action.ANNOTATE), (0.05, Action.BLOCK)],
)
def test_each_action(score, action):
    verdict = Guard(FixedVerifier(score)).check(Q, OUT, id="a")
    assert verdict.action is action
    assert verdict.consistency == score
    assert verdict.id == "a" and verdict.answer_found
    assert verdict.decided_by == ("fake",)
    assert (verdict.model_id, verdict.model_version) == ("fake-model", "0")
    assert verdict.reasons and verdict.latency_ms > 0


def test_verifier_receives_extracted_rationale_answer_and_steps():
    fake = FixedVerifier(0.9)
    Guard(fake).check(Q, OUT)
    (item,) = fake.calls[0]
    assert (item.question, item.rationale, item.answer) == (Q, "3 + 4 = 7.\nHe has 7 apples.", "7")
    assert len(item.steps) == 2


def test_check_with_split_fields():
    fake = FixedVerifier(0.9)
    verdict = Guard(fake).check(Q, rationale="3 + 4 = 7.", answer=7)
    assert verdict.action is Action.PASS and fake.calls[0][0].answer == "7"


@pytest.mark.parametrize(("on_error", "action"), [("fail_open", Action.LABEL), ("fail_closed", Action.BLOCK)])
def test_verifier_failure_open_and_closed(on_error, action):
    verdict = Guard(FailingVerifier(), policy=Policy(on_error=on_error)).check(Q, OUT)
    assert verdict.action is action
    assert verdict.consistency is None
    assert verdict.reasons[0].startswith("verifier_error: VerifierError: fake verifier is down")


def test_any_exception_from_verifier_becomes_a_verdict():
    verdict = Guard(FailingVerifier(RuntimeError("boom"))).check(Q, OUT)
    assert verdict.reasons == ("verifier_error: RuntimeError: boom",)


def test_fail_open_can_pass_unmarked():
    policy = Policy(fail_open_action="pass")
    assert Guard(FailingVerifier(), policy=policy).check(Q, OUT).action is Action.PASS


def test_per_item_verifier_error_only_hits_that_item():
    fake = MappedVerifier(lambda item: None if item.answer == "8" else 0.9)
    verdicts = Guard(fake, policy=Policy(on_error="fail_closed")).check_many(
        [{"question": Q, "output": "3 + 4 = 7.\n#### 7"}, {"question": Q, "output": "3 + 4 = 7.\n#### 8"}]
    )
    assert [v.action for v in verdicts] == [Action.PASS, Action.BLOCK]
    assert verdicts[1].reasons[0].startswith("verifier_error: fake")
    assert verdicts[1].opinions[0].error == "fake per-item failure"


class _WrongCountScorer:
    def __call__(self, items):
        return [Assessment(consistency=0.9)] * (len(items) + 1)


def test_scorer_returning_wrong_count_is_a_verifier_error():
    verdicts = Guard(scorer=_WrongCountScorer()).check_many([{"question": Q, "output": OUT}] * 2)
    assert all(v.consistency is None and v.reasons[0].startswith("verifier_error") for v in verdicts)


@pytest.mark.parametrize("no_answer", [Action.LABEL, Action.BLOCK, Action.PASS])
def test_no_answer_policy(no_answer):
    fake = FixedVerifier(0.9)
    verdict = Guard(fake, policy=Policy(no_answer=no_answer)).check(Q, "Some musing with no conclusion")
    assert verdict.action is no_answer
    assert verdict.answer_found is False and verdict.reasons[0].startswith("no_answer_found")
    assert fake.calls == []  # nothing to verify: the verifier is not asked


def test_check_many_preserves_order_ids_and_batches_once():
    fake = MappedVerifier(lambda item: 0.9 if item.answer == "7" else 0.1)
    items = [
        {"id": "a", "question": Q, "output": OUT},
        CheckRequest(id="b", question=Q, rationale="3 + 4 = 7.", answer="8"),
        {"question": Q, "output": b"\xff\xfe"},
        {"id": 7, "question": Q, "output": "no answer here"},
        "not a request",
        {"id": "f", "question": None, "output": OUT},
        {"id": "g", "question": Q, "output": "x\x00y\n#### 7"},
        {"id": "h", "question": Q, "rationale": "r"},
        {"id": "i", "question": Q, "output": "3 + 4 = 7.\n#### 7"},
        CheckInput(id="j", question=Q, rationale="3 + 4 = 7.", answer="7"),
    ]
    verdicts = Guard(fake).check_many(items)
    assert [v.id for v in verdicts] == ["a", "b", "2", "7", "4", "f", "g", "h", "i", "j"]
    assert [v.action for v in verdicts] == [
        Action.PASS,
        Action.BLOCK,
        Action.LABEL,
        Action.LABEL,
        Action.LABEL,
        Action.LABEL,
        Action.LABEL,
        Action.LABEL,
        Action.PASS,
        Action.PASS,
    ]
    assert len(fake.calls) == 1 and [i.id for i in fake.calls[0]] == ["a", "b", "i", "j"]
    codes = [v.reasons[0].split(":")[0] for v in verdicts]
    assert codes[2:8] == [
        "input_error",
        "no_answer_found",
        "input_error",
        "input_error",
        "input_error",
        "input_error",  # a rationale without an answer is an input error, not "no answer found"
    ]
    assert "not_utf8" in verdicts[2].reasons[0] and "missing_field: question" in verdicts[5].reasons[0]
    assert "missing_field: answer" in verdicts[7].reasons[0]


def test_oversized_input_is_a_verdict_not_a_crash():
    verdict = Guard(FixedVerifier(0.9)).check(Q, "x" * (1 << 20) + "\n#### 7")
    assert verdict.reasons[0].startswith("input_error: input_too_large")


def test_custom_extractor_and_its_failures():
    def extractor(output):
        rationale, answer = output.split("=>")
        return Extraction(rationale=rationale.strip(), answer=answer.strip(), format="custom")

    fake = FixedVerifier(0.9)
    guard = Guard(fake, extractor=extractor)
    assert guard.check(Q, "3 + 4 = 7 => 7").action is Action.PASS
    assert fake.calls[0][0].answer == "7"
    failed = guard.check(Q, "no arrow")
    assert failed.reasons[0].startswith("input_error: extractor_failed: ValueError")
    bad = Guard(fake, extractor=lambda output: ("r", "a")).check(Q, "x")
    assert "not an Extraction" in bad.reasons[0]


# --- apply / rendering -----------------------------------------------------------------------------------


def test_apply_pass_delivers_original():
    guarded = Guard(FixedVerifier(0.95)).apply(Q, OUT)
    assert guarded.output is OUT and guarded.original is OUT and guarded.display is None


def test_apply_label_renders_text():
    guarded = Guard(FixedVerifier(0.6), policy=Policy(label_text="Unchecked reasoning")).apply(Q, OUT)
    assert guarded.output == "[Unchecked reasoning]\n" + OUT == guarded.display
    assert guarded.original == OUT


def test_apply_annotate_renders_flagged_step():
    guarded = Guard(FixedVerifier(0.3)).apply(Q, OUT)
    assert guarded.output.startswith(OUT)
    assert "consistency 0.30" in guarded.output and "flagged step 1: 3 + 4 = 7." in guarded.output


def test_apply_block_raises_with_original():
    with pytest.raises(OutputBlocked) as info:
        Guard(FixedVerifier(0.05)).apply(Q, OUT)
    assert info.value.original is OUT and info.value.verdict.action is Action.BLOCK


def test_apply_block_fallback():
    policy = Policy(block_mode="fallback", fallback_text="withheld")
    guarded = Guard(FixedVerifier(0.05), policy=policy).apply(Q, OUT)
    assert guarded.output == "withheld" and guarded.original is OUT


def test_apply_non_text_output_is_delivered_unchanged_with_display():
    message = SimpleNamespace(
        content=[SimpleNamespace(type="thinking", thinking="3 + 4 = 7."), SimpleNamespace(type="text", text="7")]
    )
    guarded = Guard(FixedVerifier(0.6)).apply(Q, message)
    assert guarded.output is message
    assert guarded.display.startswith("[Stated reasoning, not verified]\n3 + 4 = 7.\n\nAnswer: 7")


def test_apply_dict_and_extraction_outputs():
    fake = FixedVerifier(0.9)
    guard = Guard(fake)
    assert guard.apply(Q, {"reasoning": "3+4=7", "answer": "7"}).verdict.action is Action.PASS
    extraction = Extraction(rationale="3+4=7", answer="7", format="stream")
    assert guard.apply(Q, extraction).output is extraction
    assert fake.calls[-1][0].rationale == "3+4=7"


# --- wrapping ---------------------------------------------------------------------------------------------


def test_wrap_sync_keeps_metadata_and_finds_question():
    fake = FixedVerifier(0.95)
    guard = Guard(fake)

    @guard.wrap
    def generate(question: str, temperature: float = 0.0) -> str:
        """Docstring kept."""
        return OUT

    guarded = generate(Q)
    assert guarded.verdict.action is Action.PASS and guarded.output == OUT
    assert generate.__name__ == "generate" and generate.__doc__ == "Docstring kept."
    assert fake.calls[0][0].question == Q
    assert not asyncio.iscoroutinefunction(generate)


def test_wrap_with_question_from_and_client_untouched():
    client = SimpleNamespace(create=lambda **kw: OUT)
    before = client.create
    fake = FixedVerifier(0.95)
    guard = Guard(fake)
    ask = guard.wrap(lambda **kw: client.create(**kw), question_from=lambda **kw: kw["body"]["q"])
    assert ask(body={"q": "custom question"}).verdict.action is Action.PASS
    assert fake.calls[0][0].question == "custom question"
    assert client.create is before


def test_wrap_decorator_form_with_arguments():
    fake = FixedVerifier(0.95)

    @Guard(fake).wrap(question_from=lambda topic: f"about {topic}")
    def generate(topic):
        return OUT

    generate("apples")
    assert fake.calls[0][0].question == "about apples"


def test_wrap_question_from_failure_does_not_lose_output():
    guard = Guard(FixedVerifier(0.95))
    guarded = guard.wrap(lambda: OUT, question_from=lambda: 1 / 0)()
    assert guarded.output == OUT


def test_wrap_block_raises_output_blocked():
    with pytest.raises(OutputBlocked):
        Guard(FixedVerifier(0.0)).wrap(lambda question: OUT)(question=Q)


async def test_wrap_async_uses_acall():
    fake = AsyncFixedVerifier(0.6)
    guard = Guard(fake)

    @guard.wrap
    async def generate(*, messages):
        await asyncio.sleep(0)
        return OUT

    assert asyncio.iscoroutinefunction(generate)
    guarded = await generate(
        messages=[{"role": "user", "content": [{"type": "text", "text": Q}]}, {"role": "assistant", "content": "x"}]
    )
    assert guarded.verdict.action is Action.LABEL
    assert fake.acalls == 1 and fake.calls[0][0].question == Q


class _SlowSyncVerifier(FixedVerifier):
    def __call__(self, items):
        time.sleep(0.3)
        return super().__call__(items)


async def test_async_check_without_acall_does_not_block_the_loop():
    guard = Guard(_SlowSyncVerifier(0.9))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    verdicts = await guard.acheck_many([{"question": Q, "output": OUT}] * 3)
    task.cancel()
    assert [v.action for v in verdicts] == [Action.PASS] * 3
    assert ticks >= 10  # the loop kept running while the verifier slept in a worker thread


async def test_acheck_failures_follow_policy():
    guard = Guard(FailingVerifier(), policy=Policy(on_error="fail_closed"))
    verdict = await guard.acheck(Q, OUT)
    assert verdict.action is Action.BLOCK
    with pytest.raises(OutputBlocked):
        await guard.aapply(Q, OUT)


async def test_aapply_fallback():
    guard = Guard(AsyncFixedVerifier(0.0), policy=Policy(block_mode="fallback"))
    assert (await guard.aapply(Q, OUT)).output == Policy().fallback_text


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {"question": "q1"}, "q1"),
        ((), {"prompt": "q2", "question": 3}, "q2"),
        ((), {"messages": [{"role": "user", "content": "first"}, {"role": "user", "content": "last"}]}, "last"),
        (([SimpleNamespace(role="user", content="obj")],), {}, "obj"),
        (("positional",), {}, "positional"),
        ((1, 2), {}, ""),
    ],
)
def test_default_question_finder(args, kwargs, expected):
    assert question_from_call(*args, **kwargs) == expected


# --- judge cascade, laziness, logging ---------------------------------------------------------------------


def test_judge_is_asked_inside_the_band():
    primary = MappedVerifier(lambda item: 0.5 if item.answer == "7" else 0.95, name="onnx:fake")
    judge = FixedVerifier(0.1, name="judge")
    guard = Guard(primary, judge=judge, escalate="cascade", band=(0.2, 0.8))
    uncertain, sure = guard.check_many([{"question": Q, "output": "3 + 4 = 7.\n#### 7"}, {"question": Q, "output": "3 + 4 = 7.\n#### 9"}])
    assert uncertain.decided_by == ("judge",) and uncertain.action is Action.BLOCK
    assert sure.decided_by == ("onnx:fake",) and sure.action is Action.PASS
    assert len(judge.calls) == 1 and len(judge.calls[0]) == 1


def test_default_verifier_is_lazy_and_load_errors_become_verdicts(monkeypatch, tmp_path):
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(tmp_path / "missing"))
    guard = Guard()  # no I/O here
    verdict = guard.check(Q, OUT)
    assert verdict.action is Action.LABEL and "ModelNotFoundError" in verdict.reasons[0]
    with pytest.raises(ModelNotFoundError):
        guard.warmup()


def test_guard_argument_validation():
    with pytest.raises(ValueError):
        Guard(FixedVerifier(0.5), escalate="sometimes")
    with pytest.raises(ValueError):
        Guard(FixedVerifier(0.5), band=(0.9, 0.1))


def test_verdict_log_has_no_user_text_by_default():
    with structlog.testing.capture_logs() as logs:
        Guard(FixedVerifier(0.3)).check("secret question", "secret reasoning\n#### 4217", id="k")
    (event,) = [e for e in logs if e["event"] == "guardrail.verdict"]
    assert event["id"] == "k" and event["action"] == "annotate" and event["consistency"] == 0.3
    assert event["decided_by"] == ["fake"] and event["answer_found"] is True and "latency_ms" in event
    # the timing is a number that could contain any digits: look for the answer in everything else
    logged = repr({key: value for key, value in event.items() if key != "latency_ms"})
    assert "secret" not in logged and "4217" not in logged


def test_verdict_log_with_text_opt_in():
    with structlog.testing.capture_logs() as logs:
        Guard(FixedVerifier(0.3), log_text=True).check("secret question", "r\n#### 42")
    event = next(e for e in logs if e["event"] == "guardrail.verdict")
    assert event["question"] == "secret question" and event["answer"] == "42"


def test_verifier_error_is_logged():
    with structlog.testing.capture_logs() as logs:
        Guard(FailingVerifier()).check(Q, OUT)
    assert any(e["event"] == "guardrail.verifier_error" and e["log_level"] == "warning" for e in logs)


async def test_async_cascade_escalates_through_acall():
    primary = FixedVerifier(0.5, name="onnx:fake")
    judge = AsyncFixedVerifier(0.95, name="judge")
    guard = Guard(primary, judge=judge, escalate="cascade")
    verdicts = await guard.acheck_many([{"question": Q, "output": OUT}] * 2)
    assert [v.decided_by for v in verdicts] == [("judge",)] * 2 and verdicts[0].action is Action.PASS
    assert judge.acalls == 1


def test_quickstart_wraps_a_real_anthropic_sdk_call():
    """The README quickstart shape, on the real SDK's Message type (served by a MockTransport, no network)."""
    anthropic = pytest.importorskip("anthropic")
    import json

    from provider_fakes import RecordingHandler, anthropic_client, anthropic_message, http_module

    body = anthropic_message(
        [
            {"type": "thinking", "thinking": "25% of 20 is 5.\n20 - 5 = 15.", "signature": "sig"},
            {"type": "text", "text": "The price is $15."},
        ]
    )
    client = anthropic_client(RecordingHandler(http_module(anthropic), json.dumps(body).encode(), event_stream=False))
    fake = FixedVerifier(0.6)
    guard = Guard(fake)  # the README uses Guard(): the shipped ONNX verifier

    @guard.wrap
    def ask(question: str):
        return client.messages.create(
            model="claude-opus-4-1",
            max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": question}],
        )

    guarded = ask("A shirt costs $20 and is 25% off. What is the price?")
    assert guarded.verdict.action is Action.LABEL
    assert isinstance(guarded.original, anthropic.types.Message) and guarded.output is guarded.original
    assert guarded.display.startswith("[Stated reasoning, not verified]\n25% of 20 is 5.")
    (item,) = fake.calls[0]
    assert (item.question, item.rationale, item.answer) == (
        "A shirt costs $20 and is 25% off. What is the price?",
        "25% of 20 is 5.\n20 - 5 = 15.",
        "The price is $15",
    )


def test_a_judge_defaults_to_cascade_and_never_can_be_chosen():
    judge = FixedVerifier(0.1, name="judge")
    assert Guard(FixedVerifier(0.5), judge=judge).check(Q, OUT).decided_by == ("judge",)
    assert Guard(FixedVerifier(0.5), judge=judge, escalate="never").check(Q, OUT).decided_by == ("fake",)


def test_ids_are_strings_and_generated_when_missing():
    guard = Guard(FixedVerifier(0.9))
    assert guard.check(Q, OUT, id=5).id == "5"
    first, second = guard.check(Q, OUT).id, guard.check(Q, OUT).id
    assert first != second and len(first) == 16


def test_answer_without_rationale_is_not_scored_and_follows_the_no_rationale_policy():
    fake = FixedVerifier(0.99)
    open_verdict, = Guard(fake).check_many([{"question": Q, "output": "#### 7"}])
    closed = Guard(fake, policy=Policy(on_error="fail_closed")).check(Q, "#### 7")
    explicit = Guard(fake, policy=Policy(on_error="fail_closed", no_rationale=Action.PASS)).check(Q, "#### 7")
    assert fake.calls == []
    assert open_verdict.action is Action.LABEL and open_verdict.consistency is None
    assert open_verdict.reasons[0].startswith("no_rationale")
    assert closed.action is Action.BLOCK and explicit.action is Action.PASS


# --- ambiguous and incomplete API inputs (issue 15, item 11) --------------------------------------------------


def test_an_output_and_a_rationale_answer_together_are_ambiguous_not_silently_resolved():
    fake = FixedVerifier(0.9)
    guard = Guard(fake)
    for kwargs in ({"rationale": "3 + 4 = 7."}, {"answer": "8"}, {"rationale": "3 + 4 = 7.", "answer": "8"}):
        verdict = guard.check(Q, OUT, **kwargs)
        assert verdict.reasons[0].startswith("input_error: ambiguous_input") and verdict.action is Action.LABEL
    [verdict] = guard.check_many([{"question": Q, "output": OUT, "rationale": "r", "answer": "8"}])
    assert verdict.reasons[0].startswith("input_error: ambiguous_input")
    assert Guard(fake, policy=Policy(on_error="fail_closed")).check(Q, OUT, answer="8").action is Action.BLOCK
    assert fake.calls == []  # neither reading was scored


def test_a_rationale_without_an_answer_is_an_input_error_not_no_answer():
    verdict = Guard(FixedVerifier(0.9)).check(Q, rationale="3 + 4 = 7.")
    assert verdict.reasons[0].startswith("input_error: missing_field: answer")


# --- partly redacted thinking (item 13) -----------------------------------------------------------------------


def test_partly_redacted_thinking_gets_a_reason_on_the_verdict():
    message = {
        "content": [
            {"type": "thinking", "thinking": "3 + 4 = 7.", "signature": "s"},
            {"type": "redacted_thinking", "data": "Opaque=="},
            {"type": "text", "text": "#### 7"},
        ]
    }
    verdict = Guard(FixedVerifier(0.9)).check(Q, message)
    assert verdict.action is Action.PASS  # the readable part was checked and supports the answer
    assert [r.split(":")[0] for r in verdict.reasons] == ["consistent", "partly_redacted"]

