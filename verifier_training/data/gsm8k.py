"""GSM8K: numeric questions with calculator-annotated steps, also asked as multiple choice and as even/odd."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from guardrail.reader import format_number, numbers_in, parse_number

from .options import render_options
from .records import base_row

ANNOTATION = re.compile(r"<<([^<>=]*)=([^<>]*)>>")


def read_gsm8k(root: Path, limit: int, files: tuple[str, ...] = ("train.jsonl",)) -> Iterator[dict]:
    for name in files:
        split = name.split(".")[0]  # "train.jsonl" -> qids "gsm8k-train-N", as before
        with open(root / "gsm8k" / name) as handle:
            for number, line in enumerate(handle):
                if limit and number >= limit:
                    break
                record = json.loads(line)
                yield _gsm8k_example(f"gsm8k-{split}-{number}", record)


def _gsm8k_example(qid: str, record: dict) -> dict:
    body, _, final = record["answer"].rpartition("####")
    steps, annotations = [], []
    for line in body.strip().splitlines():
        if not line.strip():
            continue
        annotations.append([list(pair) for pair in ANNOTATION.findall(line)])
        steps.append(" ".join(ANNOTATION.sub("", line).split()))
    value = format_number(parse_number(final.strip()) or 0)
    return base_row(qid, "gsm8k", record["question"], steps, value, "numeric", final=value, annotations=annotations)


def gsm8k_choice(example: dict, rng: random.Random) -> dict:
    """The same question with 5 options: distractors are intermediate values, near misses and scalings."""
    final = parse_number(example["meta"]["final"])
    candidates = [v for v in (numbers_in(example["rationale"])) if v != final and v >= 0]
    rng.shuffle(candidates)
    near = [final + d for d in (1, -1, 2, 10, -10, 5)] + [final * 2, final / 2 if final % 2 == 0 else final + 3]
    rng.shuffle(near)
    distractors: list[str] = []
    for value in [*candidates[:2], *near]:
        text = format_number(value)
        if value >= 0 and text != example["meta"]["final"] and text not in distractors:
            distractors.append(text)
    options = [example["meta"]["final"], *distractors[:4]]
    rng.shuffle(options)
    letters = "ABCDE"
    mapping = dict(zip(letters, options))
    correct = letters[options.index(example["meta"]["final"])]
    layout = rng.choice(("inline", "lines", "lines_dot"))
    question = example["question"] + render_options(mapping, layout)
    row = dict(example, question=question, answer=correct, answer_type="choice", source="gsm8k_mc")
    row["meta"] = dict(example["meta"], options=mapping, final=correct, value=example["meta"]["final"])
    return row


def gsm8k_parity(example: dict, rng: random.Random) -> dict | None:
    value = parse_number(example["meta"]["final"])
    if value is None or value.denominator != 1:
        return None
    label = "even" if value.numerator % 2 == 0 else "odd"
    question = example["question"] + rng.choice(
        (" Is the result even or odd?", " Answer with even or odd.", " Label the final count as even or odd.")
    )
    steps = [
        *example["meta"]["steps"],
        f"{example['meta']['final']} is {rng.choice(('an ', ''))}{label}{rng.choice((' number', ''))}.",
    ]
    row = base_row(
        example["qid"],
        "gsm8k_parity",
        question,
        steps,
        label,
        "text",
        final=label,
        labels=["even", "odd"],
        annotations=None,
        value=example["meta"]["final"],
    )
    return row
