"""The hand-written out-of-distribution challenge set (verifier_training/sources/challenge): its schema and
its pairing, so an edit cannot silently unbalance it or drop a field the evaluation reads."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from guardrail import AnswerType

FOLDER = Path(__file__).resolve().parents[1] / "verifier_training" / "sources" / "challenge"
FIELDS = {"id", "question", "rationale", "answer", "label", "kind", "answer_type", "domain", "note"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    lines = (FOLDER / "challenge.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_row_has_the_fields_and_valid_values(rows) -> None:
    assert len(rows) >= 100
    for row in rows:
        assert set(row) == FIELDS, row["id"]
        assert row["label"] in (0, 1)
        assert AnswerType(row["answer_type"])
        assert all(isinstance(row[k], str) and row[k].strip() for k in ("question", "rationale", "answer"))
    assert len({row["id"] for row in rows}) == len(rows)


def test_rows_come_in_label_pairs_on_one_question(rows) -> None:
    by_pair: dict[str, list[dict]] = {}
    for row in rows:
        by_pair.setdefault(row["id"].rsplit("-", 1)[0], []).append(row)
    for pair, members in by_pair.items():
        assert sorted(m["label"] for m in members) == [0, 1], pair
        assert len({m["question"] for m in members}) == 1, pair


def test_every_answer_type_is_covered_with_both_labels(rows) -> None:
    counts = Counter((row["answer_type"], row["label"]) for row in rows)
    for answer_type in AnswerType:
        assert counts[(answer_type.value, 0)] >= 10 and counts[(answer_type.value, 1)] >= 10, answer_type


def test_readme_states_licence_and_that_it_is_never_trained_on() -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert "Apache-2.0" in readme
    assert "never" in readme.lower() and "train" in readme.lower()
