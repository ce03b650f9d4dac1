"""The typed records between stages (verifier_training.rows): same bytes as the dicts they replace."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, fields

import pytest

from verifier_training.rows import BaseRow, Row, read_rows, write_rows

LABELLED = {"id": "q1:gsm8k:base1:filler:0", "qid": "q1", "source": "gsm8k", "split": "dev", "question": "2+2? Ünï",
            "rationale": "2 + 2 = 4.", "answer": "4", "label": 1, "kind": "filler", "answer_type": "numeric"}
BASE = {"qid": "q1", "source": "gsm8k", "question": "2+2?", "rationale": "2 + 2 = 4.", "answer": "4", "label": 1,
        "kind": "original", "answer_type": "numeric", "meta": {"steps": ["2 + 2 = 4."], "final": "4"},
        "split": "train", "id": "q1:gsm8k:base1"}


@pytest.mark.parametrize(("record", "data"), [(Row, LABELLED), (BaseRow, BASE)])
def test_a_record_writes_the_bytes_its_dict_did(tmp_path, record, data):
    path = tmp_path / "rows.jsonl"
    assert write_rows(path, [record.from_dict(data)] * 2) == 2
    assert path.read_bytes() == ((json.dumps(data, ensure_ascii=False) + "\n") * 2).encode("utf-8")
    assert read_rows(path, record=record) == [record.from_dict(data)] * 2
    assert not list(tmp_path.glob(".*partial"))


def test_labelled_rows_keep_the_perturb_stage_key_order_and_are_frozen():
    order = ("id", "qid", "source", "split", "question", "rationale", "answer", "label", "kind", "answer_type")
    assert tuple(f.name for f in fields(Row)) == order  # the order perturb has always written
    row = Row.from_dict({"question": "q", "rationale": "r", "answer": "a", "label": "0", "note": "ignored"})
    assert row.label == 0 and row.id is None and row.check_input(7).id == "7"
    with pytest.raises(FrozenInstanceError):
        row.label = 1  # type: ignore[misc]
