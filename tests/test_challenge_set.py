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
    readme = " ".join((FOLDER / "README.md").read_text(encoding="utf-8").split())
    assert "The licence is the project's own, **Apache-2.0**" in readme
    assert 'license = { text = "Apache-2.0" }' in (FOLDER.parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert "It is **never used for training or model selection**." in readme
    assert "`verifier-train data` does not read this folder." in readme


def test_the_data_stage_does_not_read_this_folder(monkeypatch) -> None:
    """What the README states, checked: building the smoke data opens the other sources, never this folder."""
    import builtins
    import io

    from verifier_training import data

    opened: list[Path] = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    config = data.DataConfig(**json.loads((FOLDER.parents[1] / "configs" / "data_smoke.json").read_text()))
    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(builtins, "open", spy)
    assert data.build(config)
    sources = FOLDER.parent.resolve()
    assert any(sources in path.parents for path in opened)  # the spy sees the sources that are read
    assert not [path for path in opened if FOLDER.resolve() in path.parents]


def _strings(value, path: tuple[str, ...] = ()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
    elif isinstance(value, str):
        yield path, value


def test_pipeline_configs_name_this_folder_only_as_an_evaluation_set() -> None:
    configs = sorted((FOLDER.parents[1] / "configs").rglob("*.json"))  # history/ too
    assert configs
    named = [
        (config.name, path)
        for config in configs
        for path, value in _strings(json.loads(config.read_text(encoding="utf-8")))
        if "challenge" in value
    ]
    assert [(name, path) for name, path in named if "also" not in path] == []  # evaluate --also only
