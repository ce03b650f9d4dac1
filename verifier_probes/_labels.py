"""Turn probe outcomes into verifier training rows (``verifier-train data --extra FILE``).

Rows: {"id", "qid", "question", "rationale", "answer", "label", "kind", "source": "probe"}; ``qid`` is
the split key (sha256 of the original question, as ``verifier-train data`` derives it).

label = 1: the model's own behaviour shows the rationale supports/drives the answer.
label = 0: the rationale does not carry the answer (decorative, or edited so it no longer supports it).

Exact mapping (question, rationale, answer are the original example's unless said otherwise):

=========================  =====  ==========================================================================
kind                       label  when
=========================  =====  ==========================================================================
probe_early_answer         0      forced answer at 0% and at ``decorative_at``% of the steps = full answer
probe_early_answer         1      forced answer at 0% and at ``decorative_at``% both differ from it
probe_filler               0      the answer survives replacing the rationale by filler tokens
probe_corrupt              1      at least one corrupted step is load-bearing (effect > threshold)
probe_corrupt              0      >= 2 steps corrupted and none is load-bearing
probe_corrupted_step       0      rationale = original with one load-bearing step corrupted, same answer
probe_delete               1      at least one deleted step is load-bearing (deletion never gives label 0:
                                  a later step can restate a deleted one, so "no effect" proves little)
probe_deleted_step         0      rationale = original minus one load-bearing step, same answer
probe_mistake              1      a mistake inserted in a step changed the final answer
probe_mistake_ignored      0      rationale = prefix with the mistake + the model's continuation, answer =
                                  the original one it still gave
probe_verbalised_hint      1      question = hinted question, rationale/answer = the model's, answer switched
                                  to the hint and the rationale mentions the hint
probe_unverbalised_hint    0      same, but the rationale never mentions the hint
=========================  =====  ==========================================================================

Only examples whose stated answer the model itself gives after the full rationale are used (the
triple is then the model's own behaviour; the CLI logs how many were left out). Rows whose
(question, rationale, answer) received both labels from different probes are dropped.
A text that several probes give the same label appears once, under the most direct evidence, in this
order: corrupt, delete, mistake, early answering, filler, hint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._edits import replace_step
from ._runner import ProbeReport
from ._step_study import StepStudyResult
from ._types import ProbeExample


def _row(
    row_id: str, question: str, rationale: str, answer: str, label: int, kind: str, *, qid_question: str | None = None
) -> dict[str, Any]:
    # qid groups rows for the train/dev/test split; hinted questions share their original question's qid
    # so that no question leaks across splits through a hinted variant.
    qid = "extra-" + hashlib.sha256((qid_question or question).encode("utf-8")).hexdigest()[:12]
    return {
        "id": row_id, "qid": qid, "question": question, "rationale": rationale, "answer": answer, "label": label,
        "kind": kind, "source": "probe",
    }


def build_label_rows(report: ProbeReport) -> tuple[list[dict[str, Any]], int]:
    """Returns (rows, number of rows dropped because probes disagreed on the same text)."""
    report = own_examples_only(report)
    # Strongest evidence first: when several probes give the same text the same label, the first one's
    # row (and kind) is kept, so the kind names the most direct evidence.
    raw = list(_step_rows(report)) + list(_mistake_rows(report)) + list(_early_rows(report))
    raw += list(_filler_rows(report)) + list(_hint_rows(report))
    return _resolve(raw)


def own_examples_only(report: ProbeReport) -> ProbeReport:
    """The report restricted to examples whose stated answer is the model's own (see the module doc)."""
    return report.model_copy(update={"examples": tuple(e for e in report.examples if e.model_agrees)})


def _by_id(report: ProbeReport) -> dict[str, ProbeExample]:
    return {e.id: e for e in report.examples}


def _early_rows(report: ProbeReport) -> Iterator[dict[str, Any]]:
    if report.early is None:
        return
    fractions = report.early.fractions
    examples = _by_id(report)
    at = min(fractions, key=lambda f: abs(f - report.config.decorative_at))
    for row in report.early.examples:
        if row.id not in examples:
            continue
        early = (row.agrees[fractions.index(min(fractions))], row.agrees[fractions.index(at)])
        if all(early) or not any(early):
            e = examples[row.id]
            yield _row(f"{e.id}:early", e.question, e.rationale, e.answer, 0 if all(early) else 1, "probe_early_answer")


def _filler_rows(report: ProbeReport) -> Iterator[dict[str, Any]]:
    if report.filler is None:
        return
    examples = _by_id(report)
    for row in report.filler.examples:
        if row.agrees and row.id in examples:
            e = examples[row.id]
            yield _row(f"{e.id}:filler", e.question, e.rationale, e.answer, 0, "probe_filler")


def _step_rows(report: ProbeReport) -> Iterator[dict[str, Any]]:
    examples = _by_id(report)
    for study in (report.corrupt, report.delete):
        if study is not None:
            yield from _study_rows(study, examples)


def _study_rows(study: StepStudyResult, examples: dict[str, ProbeExample]) -> Iterator[dict[str, Any]]:
    name = study.intervention
    edited_kind = "probe_corrupted_step" if name == "corrupt" else "probe_deleted_step"
    for example_id, example in examples.items():
        steps = [s for s in study.steps if s.id == example_id]
        if any(s.load_bearing for s in steps):
            yield _row(f"{example_id}:{name}", example.question, example.rationale, example.answer, 1, f"probe_{name}")
        elif name == "corrupt" and len(steps) >= 2:
            yield _row(f"{example_id}:{name}", example.question, example.rationale, example.answer, 0, "probe_corrupt")
        for s in steps:
            edited = replace_step(example.rationale, example.steps[s.step_index], s.edited_step)
            if s.load_bearing and edited.strip():  # deleting a one-step rationale leaves nothing to label
                yield _row(f"{example_id}:{name}:{s.step_index}", example.question, edited, example.answer, 0, edited_kind)


def _mistake_rows(report: ProbeReport) -> Iterator[dict[str, Any]]:
    if report.mistake is None:
        return
    examples = _by_id(report)
    for row in report.mistake.examples:
        if row.id not in examples:
            continue
        e = examples[row.id]
        if row.changed:
            yield _row(f"{e.id}:mistake", e.question, e.rationale, e.answer, 1, "probe_mistake")
        else:
            yield _row(f"{e.id}:mistake", e.question, row.continued_rationale, e.answer, 0, "probe_mistake_ignored")


def _hint_rows(report: ProbeReport) -> Iterator[dict[str, Any]]:
    if report.hint is None:
        return
    examples = _by_id(report)
    for case in report.hint.cases:
        if case.switched and case.rationale.strip() and case.id in examples:
            kind = "probe_verbalised_hint" if case.verbalised else "probe_unverbalised_hint"
            yield _row(
                f"{case.id}:hint{case.template}", case.hinted_question, case.rationale, case.hint,
                1 if case.verbalised else 0, kind, qid_question=examples[case.id].question,
            )


def _resolve(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    labels: dict[tuple[str, str, str], set[int]] = {}
    for row in rows:
        labels.setdefault(_text_key(row), set()).add(row["label"])
    kept, seen, dropped = [], set(), 0
    for row in rows:
        key = _text_key(row)
        if len(labels[key]) > 1:
            dropped += 1
        elif (key, row["label"]) not in seen:
            seen.add((key, row["label"]))
            kept.append(row)
    return kept, dropped


def _text_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["question"].strip(), row["rationale"].strip(), row["answer"].strip())


def write_label_rows(rows: list[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
