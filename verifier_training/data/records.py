"""Base rows: the data stage's unit (one consistent question, rationale, answer plus the ``meta`` perturb needs),
and rows given as they are (``--extra`` files, the real-data readers, the probes' label rows)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from guardrail import AnswerType
from guardrail.reader import detect_answer_type, format_number, normalise_answer, parse_number, parse_options


def base_row(
    qid: str, source: str, question: str, steps: list[str], answer: str, answer_type: str, **meta: Any
) -> dict:
    return {
        "qid": qid,
        "source": source,
        "question": question,
        "rationale": "\n".join(steps),
        "answer": answer,
        "label": 1,
        "kind": "original",
        "answer_type": answer_type,
        "meta": {"steps": steps, **meta},
    }


def read_extra(path: str) -> Iterator[dict]:
    """Rows {question, rationale, answer, label?, kind?} (e.g. from the faithfulness probes)."""
    with open(path) as handle:
        for line in handle:
            if line.strip():
                yield record_row(json.loads(line))


def record_row(record: dict) -> dict:
    """A base row from {question, rationale, answer, qid?, source?, label?, kind?}; with a label it is a
    finished labelled row (``meta.fixed``) that perturb passes through as it is. ``real.py`` uses it too."""
    qid = record.get("qid") or "extra-" + hashlib.sha256(record["question"].encode()).hexdigest()[:12]
    answer_type = detect_answer_type(record["question"], record["answer"])
    options = parse_options(record["question"]) if answer_type is AnswerType.CHOICE else None
    final = normalise_answer(record["question"], record["answer"], answer_type)
    if answer_type is AnswerType.CHOICE and options:
        value = parse_number(options.get(final, ""))
        options_meta = {"options": options, "value": format_number(value) if value is not None else None}
    else:
        options_meta = {}
    row = base_row(
        qid,
        record.get("source", "extra"),
        record["question"],
        [s for s in record["rationale"].splitlines() if s.strip()] or [record["rationale"]],
        record["answer"],
        answer_type.value,
        final=final,
        annotations=None,
        **options_meta,
    )
    row["rationale"] = record["rationale"]
    if "label" in record:  # labelled rows are taken as they are; perturb passes them through
        row.update(label=int(record["label"]), kind=record.get("kind", "extra"))
        row["meta"]["fixed"] = True
    return row
