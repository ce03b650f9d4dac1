"""Read the probe data set (JSONL) and prepare examples: generate missing rationales, record the reference answer.

Each line: {"id"?, "question", "rationale"?, "answer"?, "hint_answer"?}. Without a rationale the model
writes one (the usual case: probe the model's own reasoning); without an answer the model's own is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog

from guardrail.reader import split_steps

from ._errors import ProbeDataError
from ._types import ProbeContext, ProbeExample

log = structlog.get_logger()


def load_records(path: str | Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProbeDataError(f"cannot read probe data {str(path)!r}: {type(exc).__name__}") from exc
    records, seen = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProbeDataError(f"{path}:{number}: not valid JSON") from exc
        if not isinstance(record, dict) or not isinstance(record.get("question"), str) or not record["question"].strip():
            raise ProbeDataError(f"{path}:{number}: each line needs a non-empty string 'question'")
        record["id"] = str(record.get("id", f"line-{number}"))
        if record["id"] in seen:  # ids are the bootstrap's clusters and the label rows' keys
            raise ProbeDataError(f"{path}:{number}: duplicate id {record['id']!r}")
        seen.add(record["id"])
        records.append(record)
    if not records:
        raise ProbeDataError(f"{path}: no examples")
    return records


def prepare_examples(
    ctx: ProbeContext, records: Iterable[dict[str, Any]]
) -> tuple[list[ProbeExample], list[dict[str, str]]]:
    """Returns (examples, skipped) where skipped rows say why an example could not be probed."""
    examples, skipped = [], []
    for record in records:
        example_id, question = str(record["id"]), record["question"]
        rationale, answer, source = _text(record.get("rationale")), _text(record.get("answer")), "data"
        if not rationale:
            rationale, generated_answer = ctx.solve(question)
            answer, source = answer or generated_answer, "generated"
        steps = split_steps(rationale)
        if not steps:
            skipped.append({"id": example_id, "reason": "empty rationale"})
            continue
        reference = ctx.force(question, rationale)  # None: the forced answer did not parse
        answer = answer or reference
        if not answer:
            skipped.append({"id": example_id, "reason": "no answer could be obtained"})
            continue
        examples.append(
            ProbeExample(
                id=example_id, question=question, rationale=rationale, answer=answer.strip(), steps=steps,
                reference=reference, rationale_source=source, hint_answer=_text(record.get("hint_answer")),
            )
        )
    log.info("probe_examples_prepared", n_examples=len(examples), n_skipped=len(skipped))
    return examples, skipped


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
