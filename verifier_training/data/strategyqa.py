"""StrategyQA: yes/no questions with supporting facts, also asked as claims with label names and as multiple
choice with text options."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from .options import render_options
from .records import base_row


def read_strategyqa(root: Path, limit: int) -> Iterator[dict]:
    records = json.loads((root / "strategyqa" / "train.json").read_text())
    for record in records[: limit or None]:
        facts = [" ".join(f.split()) for f in record["facts"] if f.strip()]
        if not facts:
            continue
        polarity = "yes" if record["answer"] else "no"
        yield base_row(
            f"sqa-{record['qid']}",
            "strategyqa",
            record["question"],
            facts,
            polarity.capitalize(),
            "yes_no",
            final=polarity,
            labels=["yes", "no"],
        )


LABEL_PAIRS = (
    ("supported", "refuted"),
    ("entailment", "contradiction"),
    ("valid", "invalid"),
    ("plausible", "implausible"),
    ("supported", "refuted"),
)


THIRD_LABELS = {"supported": "unverifiable", "entailment": "neutral", "valid": "undetermined",
                "plausible": "unclear"}


def strategyqa_claim(example: dict, rng: random.Random) -> dict:
    """The question as a claim with a two-label verdict (NLI-style label names); a third of them also offer
    a third label ("neutral", "unverifiable") that the answer never is, so a label set is not always two."""
    positive, negative = rng.choice(LABEL_PAIRS)
    label = positive if example["meta"]["final"] == "yes" else negative
    labels = [positive, negative]
    if rng.random() < 0.35:
        labels.append(THIRD_LABELS[positive])
    offered = " or ".join((", ".join(labels[:-1]), labels[-1]))
    question = rng.choice(
        (
            "Is the claim {o}? Claim: {q}",
            "Claim: {q}\nLabel it as {o}.",
            "Decide whether this is {o} given the evidence: {q}",
        )
    ).format(q=example["question"], o=offered)
    return base_row(
        example["qid"],
        "strategyqa_claim",
        question,
        list(example["meta"]["steps"]),
        label,
        "text",
        final=label,
        labels=labels,
    )


def strategyqa_choice(example: dict, rng: random.Random) -> dict:
    """The question as multiple choice with text options (Yes / No / sometimes "Cannot be determined")."""
    texts = ["Yes", "No"]
    rng.shuffle(texts)
    if rng.random() < 0.4:
        texts.append(rng.choice(("Cannot be determined", "Not enough information")))
    mapping = dict(zip("ABC", texts))
    correct = next(k for k, v in mapping.items() if v.lower() == example["meta"]["final"])
    question = example["question"] + render_options(mapping, rng.choice(("inline", "lines", "lines_dot")))
    return base_row(
        example["qid"],
        "strategyqa_mc",
        question,
        list(example["meta"]["steps"]),
        correct,
        "choice",
        final=correct,
        options=mapping,
        value=None,
    )
