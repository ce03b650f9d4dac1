"""PRMBench (PRM800K processes): maths chains whose final answer is read off the last steps; its circular
variants feed the ``circular`` perturbation."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from guardrail.reader import parse_number

from .records import base_row

_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_FINAL_CLAUSE = re.compile(
    r"(?:(?:answer is|is|are|equals|be)\s+|=\s*)\$?([^\s$=]{1,30}?)\$?\s*(?:[a-zA-Z]+\s*){0,3}\.?\s*$"
)
_STEP_NUMBER = re.compile(r"^\s*\d{1,2}\.\s+")


def prm_final_answer(steps: list[str]) -> str | None:
    """The final answer stated by a PRM800K process, or None when it cannot be read off reliably.

    Trailing steps without a digit ("I agree.", "That's our final answer.") are skipped; the last step
    with one must box its answer or end on an "is / = X" clause.
    """
    answer = None
    for step in reversed(steps[-3:]):
        boxed = _BOXED.findall(step)
        if boxed:
            answer = boxed[-1]
            break
        if not re.search(r"\d", step):
            continue
        match = _FINAL_CLAUSE.search(step)
        if not match or not re.search(r"\d", match.group(1)):
            return None
        answer = match.group(1)
        break
    if answer is None:
        return None
    answer = re.sub(r"\^\{?\\circ\}?", "", answer.rsplit("=", 1)[-1]).strip().rstrip(".,")
    return answer or None


def read_prmbench(root: Path, files: tuple[str, ...], limit: int) -> Iterator[dict]:
    seen: set[str] = set()
    for name in files:
        with open(root / "prmbench" / name) as handle:
            for number, line in enumerate(handle):
                if limit and number >= limit:
                    break
                record = json.loads(line)
                example = _prm_example(record)
                if example and example["qid"] not in seen:
                    seen.add(example["qid"])
                    yield example


def _prm_example(record: dict) -> dict | None:
    steps = [_STEP_NUMBER.sub("", s).strip() for s in record["original_process"] if s.strip()]
    answer = prm_final_answer(steps)
    if not answer:
        return None
    answer_type = "numeric" if parse_number(answer) is not None else "text"
    qid = "prm-" + hashlib.sha256(record["original_question"].encode()).hexdigest()[:12]
    circular = None
    if record.get("classification") == "circular" and record["modified_process"] != record["original_process"]:
        circular = [_STEP_NUMBER.sub("", s).strip() for s in record["modified_process"] if s.strip()]
    return base_row(
        qid,
        "prmbench",
        record["question"],
        steps,
        answer,
        answer_type,
        final=answer,
        circular=circular,
        annotations=None,
    )
