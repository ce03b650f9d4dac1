"""Cascade policy: who is asked, how verdicts combine, and fallback when the judge fails."""

from __future__ import annotations

import asyncio
import threading

import pytest

from guardrail import (
    AsyncScorer,
    Cascade,
    CheckInput,
    CircuitBreaker,
    Opinion,
    Scorer,
    VerifierError,
    judge_decides,
    weighted,
)


def item(i: int) -> CheckInput:
    return CheckInput(id=str(i), question="q", rationale="r", answer="a")


class FakePrimary:
    """Returns set scores by item id (None: an error opinion for that item)."""

    name = "onnx:fake"

    def __init__(self, scores: dict[str, float | None], raises: Exception | None = None) -> None:
        self.scores = scores
        self.raises = raises
        self.calls: list[list[str]] = []
        self.threads: list[str] = []

    def __call__(self, items):
        self.calls.append([it.id for it in items])
        self.threads.append(threading.current_thread().name)
        if self.raises:
            raise self.raises
        return [self._opinion(self.scores[it.id]) for it in items]

    def _opinion(self, score):
        if score is None:
            return Opinion(verifier=self.name, consistency=None, error="verifier_failed: input too long")
        return Opinion(verifier=self.name, consistency=score, flagged_steps=(0,), reasons=("primary says so",))


class FakeJudge:
    """Answers ``verdict`` for every item, or an error opinion with ``error``."""

    name = "claude:fake"

    def __init__(self, verdict: float | None = 0.95, error: str | None = None, raises: Exception | None = None):
        self.verdict = verdict
        self.error = error
        self.raises = raises
        self.asked: list[str] = []

    def __call__(self, items):
        self.asked.extend(it.id for it in items)
        if self.raises:
            raise self.raises
        if self.error:
            failed = Opinion(verifier=self.name, consistency=None, error=self.error, reasons=(self.error,))
            return [failed for _ in items]
        return [
            Opinion(verifier=self.name, consistency=self.verdict, flagged_steps=(2,), reasons=("judge: reasons",))
            for _ in items
        ]


class AsyncFakeJudge(FakeJudge):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.async_calls = 0

    async def acall(self, items):
        self.async_calls += 1
        await asyncio.sleep(0)
        return self(items)


SCORES = {"0": 0.05, "1": 0.3, "2": 0.5, "3": 0.79, "4": 0.95, "5": 0.2, "6": 0.8}
ITEMS = [item(i) for i in range(7)]


def test_protocols():
    cascade = Cascade(FakePrimary(SCORES), FakeJudge())
    assert isinstance(cascade, Scorer) and isinstance(cascade, AsyncScorer)


def test_cascade_asks_the_judge_only_inside_the_band():
    judge = FakeJudge(0.95)
    assessments = Cascade(FakePrimary(SCORES), judge, band=(0.2, 0.8))(ITEMS)
    assert judge.asked == ["1", "2", "3", "5", "6"]  # band is inclusive
    assert len(assessments) == len(ITEMS)
    outside, inside = assessments[0], assessments[2]
    assert outside.consistency == 0.05 and outside.decided_by == ("onnx:fake",) and len(outside.opinions) == 1
    assert inside.consistency == 0.95 and inside.decided_by == ("claude:fake",)
    assert [o.verifier for o in inside.opinions] == ["onnx:fake", "claude:fake"]
    assert inside.flagged_steps == (2,)
    assert inside.reasons[0] == "escalated: onnx:fake score 0.50 in band [0.20, 0.80]"


def test_never_asks_nobody_and_always_asks_for_everything():
    judge = FakeJudge()
    never = Cascade(FakePrimary(SCORES), judge, mode="never")(ITEMS)
    assert judge.asked == [] and [a.consistency for a in never] == [SCORES[str(i)] for i in range(7)]
    judge = FakeJudge(0.6)
    always = Cascade(FakePrimary(SCORES), judge, mode="always")(ITEMS)
    assert judge.asked == [str(i) for i in range(7)]
    assert all(a.consistency == 0.6 and a.decided_by == ("claude:fake",) for a in always)


def test_judge_failure_falls_back_to_the_primary_and_says_so():
    judge = FakeJudge(error="judge_unavailable: breaker_open")
    assessments = Cascade(FakePrimary(SCORES), judge)(ITEMS)
    inside = assessments[2]
    assert inside.consistency == 0.5 and inside.decided_by == ("onnx:fake",)
    assert "judge_unavailable: breaker_open" in inside.reasons
    assert "fallback: decided by onnx:fake" in inside.reasons
    assert [o.error for o in inside.opinions] == [None, "judge_unavailable: breaker_open"]  # failed judge recorded
    assert all(a.consistency is not None for a in assessments)


def test_primary_failure_for_one_item_escalates_it():
    scores = {**SCORES, "4": None}
    judge = FakeJudge(0.1)
    assessments = Cascade(FakePrimary(scores), judge)(ITEMS)
    assert "4" in judge.asked
    assert assessments[4].consistency == 0.1 and assessments[4].decided_by == ("claude:fake",)
    assert assessments[4].reasons[0].startswith("escalated: onnx:fake could not score")


def test_no_verifier_could_decide_gives_none():
    scores = {**SCORES, "4": None}
    assessments = Cascade(FakePrimary(scores), FakeJudge(error="judge_failed: timeout after 3 attempts"))(ITEMS)
    assert assessments[4].consistency is None and assessments[4].decided_by == ()
    assert "no verifier could decide" in assessments[4].reasons
    assert len(assessments[4].opinions) == 2


def test_primary_batch_failure_goes_to_the_judge():
    primary = FakePrimary(SCORES, raises=VerifierError("onnxruntime failed"))
    assessments = Cascade(primary, FakeJudge(0.7))(ITEMS)
    assert all(a.consistency == 0.7 for a in assessments)
    never = Cascade(primary, FakeJudge(0.7), mode="never")(ITEMS)
    assert all(a.consistency is None and a.opinions[0].error for a in never)


def test_a_judge_that_raises_or_miscounts_never_loses_a_verdict():
    raising = Cascade(FakePrimary(SCORES), FakeJudge(raises=RuntimeError("boom")))(ITEMS)
    assert [a.consistency for a in raising] == [SCORES[str(i)] for i in range(7)]
    assert any("verifier_failed: claude:fake: RuntimeError: boom" in r for r in raising[2].reasons)

    class ShortJudge(FakeJudge):
        def __call__(self, items):
            return super().__call__(items)[:1]

    short = Cascade(FakePrimary(SCORES), ShortJudge())(ITEMS)
    assert len(short) == len(ITEMS) and short[2].consistency == 0.5
    assert any("returned 1 opinions for 5" in r for r in short[2].reasons)


def test_weighted_combination_names_both():
    assessments = Cascade(FakePrimary(SCORES), FakeJudge(1.0), combine=weighted(0.75))(ITEMS)
    assert assessments[2].consistency == pytest.approx(0.75 * 1.0 + 0.25 * 0.5)
    assert assessments[2].decided_by == ("onnx:fake", "claude:fake")
    assert assessments[2].flagged_steps == (0, 2)
    with pytest.raises(ValueError):
        weighted(1.5)


def test_judge_decides_is_the_default():
    assert Cascade(FakePrimary(SCORES), FakeJudge()).combine is judge_decides


@pytest.mark.parametrize(
    "kwargs", [{"mode": "sometimes"}, {"band": (0.8, 0.2)}, {"band": (-0.1, 0.5)}, {"judge": None}]
)
def test_invalid_settings(kwargs):
    args = {"judge": FakeJudge(), **kwargs}
    with pytest.raises(ValueError):
        Cascade(FakePrimary(SCORES), **args)


async def test_async_uses_the_judges_acall_and_runs_a_sync_primary_off_the_loop():
    primary = FakePrimary(SCORES)
    judge = AsyncFakeJudge(0.9)
    assessments = await Cascade(primary, judge).acall(ITEMS)
    assert judge.async_calls == 1 and judge.asked == ["1", "2", "3", "5", "6"]
    assert [a.consistency for a in assessments] == [0.05, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9]
    assert primary.threads[0] != threading.main_thread().name


async def test_async_with_a_sync_judge_and_fallback():
    judge = FakeJudge(error="judge_unavailable: budget_spent")
    assessments = await Cascade(FakePrimary(SCORES), judge).acall(ITEMS)
    assert assessments[1].consistency == 0.3 and "judge_unavailable: budget_spent" in assessments[1].reasons


# --- with the real ClaudeJudge behind a failing fake API -------------------------------------------


def test_cascade_with_a_claude_judge_whose_api_is_down():
    pytest.importorskip("anthropic")
    from judge_fakes import FakeMessagesAPI, fast_retry, status

    from guardrail import ClaudeJudge

    api = FakeMessagesAPI(status(503))
    judge = ClaudeJudge(api.client(), retry=fast_retry(2), breaker=CircuitBreaker(2, 60), max_concurrency=1)
    assessments = Cascade(FakePrimary(SCORES), judge)(ITEMS)
    assert len(assessments) == 7 and all(a.consistency == SCORES[str(i)] for i, a in enumerate(assessments))
    assert api.calls == 4  # two escalated items x 2 attempts, then the breaker is open
    reasons = [r for a in assessments for r in a.reasons]
    assert reasons.count("judge_failed: server_error (503) after 2 attempts") == 2
    assert reasons.count("judge_unavailable: breaker_open") == 3
    assert reasons.count("fallback: decided by onnx:fake") == 5


def test_bench_cascade_prints_a_table(tmp_path, capsys):
    import importlib.util
    import json
    from pathlib import Path

    rows = [
        {"id": "a", "question": "2+2?", "rationale": "2 + 2 = 4.\nSo the answer is 4.", "answer": "4", "label": 1},
        {"id": "b", "question": "2+3?", "rationale": "2 + 3 = 5.\nSo the answer is 5.", "answer": "6", "label": 0},
        {"id": "c", "question": "Is the sky green?", "rationale": "Look at it.", "answer": "no", "label": 1},
    ]
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_cascade.py"
    spec = importlib.util.spec_from_file_location("bench_cascade", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main([str(data), "--primary", "string-match", "--judge-accuracy", "1.0", "--bands", "0.4-0.6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = {}
    for line in lines[2:]:
        cells = line.split()
        table[cells[0] + (cells[1] if cells[0] == "cascade" else "")] = cells
    assert set(table) == {"never", "cascade[0.40,", "always"}
    assert table["always"][2] == "100.0%" and table["always"][4] == "1.000"  # a perfect judge asked everything
    assert table["never"][2] == "0.0%"
