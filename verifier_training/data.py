"""``verifier-train data``: read the sources in ``verifier_training/sources`` and emit base examples.

Each base example is one consistent (question, rationale, answer) triple plus a ``meta`` dict the perturb
stage needs (the rationale's steps, GSM8K's calculator annotations, options, label sets). Splits are by
source question (``qid``): every example built from one question, in every answer type, lands in the same
split, chosen by a hash of the qid so it does not depend on the order or the set of sources.

Answer types built here: numeric (GSM8K, PRMBench), choice (GSM8K turned into 5-option questions),
yes/no (StrategyQA), text (StrategyQA claims as supported/refuted, GSM8K parity labels, PRMBench answers
that are not numbers), and choice with word options (synthetic comparisons, ``synthetic.py``). With
``DataConfig.real`` it also adds finished labelled rows from real human- and model-written rationales
(``real.py``), which perturb passes through as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from guardrail.reader import (
    analyse,
    detect_answer_type,
    format_number,
    normalise_answer,
    numbers_in,
    parse_number,
    parse_options,
)
from guardrail import AnswerType

from . import formats
from ._errors import VerifierTrainingError, read_config
from .cli import VERBOSE_HELP
from .formats import OptionFormat

SOURCES = Path(__file__).parent / "sources"
ANNOTATION = re.compile(r"<<([^<>=]*)=([^<>]*)>>")


@dataclass(frozen=True)
class DataConfig:
    seed: int = 0
    sources_dir: str = ""  # "" -> verifier_training/sources
    dev_fraction: float = 0.08
    test_fraction: float = 0.08
    gsm8k_limit: int = 0  # 0 = all questions
    strategyqa_limit: int = 0
    prmbench_limit: int = 0
    choice_fraction: float = 0.5  # GSM8K questions also turned into multiple choice
    parity_fraction: float = 0.15  # GSM8K questions also asked as an even/odd label
    claim_fraction: float = 0.6  # StrategyQA questions also asked as a supported/refuted claim
    strategyqa_choice_fraction: float = 0.4  # ... and as multiple choice with text options
    compare_count: int = 0  # synthetic "who is the oldest?" questions with names as options (see synthetic.py)
    # Train files only by default: GSM8K's test questions and the problems of PRMBench's test files are in
    # held-back evaluation data, so reading them would leak it into training.
    gsm8k_files: tuple[str, ...] = ("train.jsonl",)
    prmbench_files: tuple[str, ...] = ("prm800k_train_p1_first400_4o_circular.jsonl",)
    # real labelled rows (verifier_training/real.py): source name -> max questions, 0 = all; absent = off
    real: dict[str, int] = field(default_factory=dict)
    extra: tuple[str, ...] = field(default=())

    @classmethod
    def load(cls, path: str | Path) -> DataConfig:
        raw = read_config(path, cls)
        for key in ("gsm8k_files", "prmbench_files", "extra"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(**raw)


def split_of(qid: str, config: DataConfig) -> str:
    bucket = int(hashlib.sha256(f"{config.seed}:{qid}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < config.test_fraction:
        return "test"
    if bucket < config.test_fraction + config.dev_fraction:
        return "dev"
    return "train"


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


# ------------------------------------------------------------------------------------------------ GSM8K


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


LAYOUTS = {  # the layouts the GSM8K / StrategyQA choice rows have always used, as formats.OptionFormat
    "inline": OptionFormat("paren", inline=True, header="Answer choices:"),
    "inline_bare": OptionFormat("paren", inline=True),
    "lines": OptionFormat("close"),
    "lines_paren": OptionFormat("paren"),
    "lines_dot": OptionFormat("dot", header="Options:"),
}


def render_options(options: dict[str, str], layout: str) -> str:
    """The option list as a question shows it, in one of several layouts (so no layout goes with a label).
    ``formats.py`` has the wider set the real-data rows draw from."""
    return formats.render_options(options, LAYOUTS.get(layout, LAYOUTS["lines_dot"]))


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


# ------------------------------------------------------------------------------------------------ StrategyQA


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


# ------------------------------------------------------------------------------------------------ PRMBench

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


# ------------------------------------------------------------------------------------------------ extra


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


# ------------------------------------------------------------------------------------------------ synthetic


def compare_examples(count: int, seed: int) -> Iterator[dict]:
    from .synthetic import read_compare

    for parts in read_compare(count, seed):
        yield base_row(parts["qid"], "compare_mc", parts["question"], parts["steps"], parts["answer"], "choice",
                       final=parts["answer"], options=parts["options"], value=None)


# ------------------------------------------------------------------------------------------------ driver


def _answer_stated(example: dict) -> bool:
    return analyse(example["question"], example["rationale"], example["answer"]).answer_position != "absent"


class SourcesMissing(VerifierTrainingError):
    """The sources folder does not exist (typically: run from an installed wheel, not a clone)."""


def sources_root(config: DataConfig) -> Path:
    """The sources folder: the config's ``sources_dir``, else the clone's ``verifier_training/sources``.

    A wheel leaves the sources out (they are large and carry their own licences), so an installed package
    must be pointed at a clone's folder with ``--sources DIR``.
    """
    root = Path(config.sources_dir) if config.sources_dir else SOURCES
    if not root.is_dir():
        raise SourcesMissing(
            f"sources folder not found: {root} (pass --sources DIR, e.g. a clone's verifier_training/sources)"
        )
    return root


def build(config: DataConfig) -> list[dict]:
    root = sources_root(config)
    rng = random.Random(config.seed)
    rows: list[dict] = []
    for example in read_gsm8k(root, config.gsm8k_limit, config.gsm8k_files):
        if not _answer_stated(example):
            continue  # a handful of GSM8K rationales never state the #### answer: their labels would be noise
        rows.append(example)
        if rng.random() < config.choice_fraction:
            rows.append(gsm8k_choice(example, rng))
        if rng.random() < config.parity_fraction and (parity := gsm8k_parity(example, rng)):
            rows.append(parity)
    for example in read_strategyqa(root, config.strategyqa_limit):
        rows.append(example)
        if rng.random() < config.claim_fraction:
            rows.append(strategyqa_claim(example, rng))
        if rng.random() < config.strategyqa_choice_fraction:
            rows.append(strategyqa_choice(example, rng))
    rows.extend(read_prmbench(root, config.prmbench_files, config.prmbench_limit))
    rows.extend(compare_examples(config.compare_count, config.seed))
    if config.real:
        from .real import read_real

        rows.extend(read_real(root, config.real, config.seed))
    for path in config.extra:
        rows.extend(read_extra(path))
    counts: dict[str, int] = {}
    for row in rows:
        row["split"] = split_of(row["qid"], config)
        key = f"{row['qid']}:{row['source']}"
        counts[key] = counts.get(key, 0) + 1
        row["id"] = f"{key}:base{counts[key]}"
    return rows


def write_splits(rows: list[dict], out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for split in ("train", "dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        partial = out / f".{split}.jsonl.partial"  # written whole, then renamed: readers never see half a file
        with open(partial, "w") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in chosen)
        partial.replace(out / f"{split}.jsonl")
        sizes[split] = len(chosen)
    return sizes


def run(args: argparse.Namespace) -> int:
    import structlog

    config = DataConfig.load(args.config)
    if args.extra:
        config = DataConfig(**{**asdict(config), "extra": (*config.extra, *args.extra)})
    if args.sources:
        config = DataConfig(**{**asdict(config), "sources_dir": args.sources})
    out = Path(args.out)
    try:
        rows = build(config)
    except SourcesMissing as error:
        print(f"verifier-train data: {error}", file=sys.stderr)
        return 1
    sizes = write_splits(rows, out)
    (out / "data_config.json").write_text(json.dumps(asdict(config), indent=2))
    structlog.get_logger().info("data written", out=str(out), **sizes)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="sources -> base examples (JSONL per split)")
    parser.add_argument("--config", required=True, help="DataConfig JSON (configs/data.json)")
    parser.add_argument("--out", required=True, help="output folder for train/dev/test.jsonl")
    parser.add_argument("--extra", action="append", default=[], help="extra JSONL rows (may repeat)")
    parser.add_argument(
        "--sources",
        default="",
        help="sources folder (default: the config's sources_dir, else the clone's verifier_training/sources)",
    )
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    parser.set_defaults(func=run)
