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

This module is the stage (config, splits, the driver and its command); each source has its own module
(``gsm8k``, ``strategyqa``, ``prmbench``, ``synthetic``, ``real``) that yields base rows (``records``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from guardrail.reader import analyse

from ..cli_common import VERBOSE_HELP, read_config
from ..errors import VerifierTrainingError
from ..rows import BaseRow, write_rows
from .gsm8k import gsm8k_choice, gsm8k_parity, read_gsm8k
from .prmbench import read_prmbench
from .records import read_extra
from .strategyqa import read_strategyqa, strategyqa_choice, strategyqa_claim
from .synthetic import compare_examples

# The sources stay at the package's top (verifier_training/sources): the wheel leaves that folder out.
SOURCES = Path(__file__).parent.parent / "sources"


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
    compare_count: int = 0  # synthetic "who is the oldest?" questions with names as options (see data/synthetic.py)
    # Train files only by default: GSM8K's test questions and the problems of PRMBench's test files are in
    # held-back evaluation data, so reading them would leak it into training.
    gsm8k_files: tuple[str, ...] = ("train.jsonl",)
    prmbench_files: tuple[str, ...] = ("prm800k_train_p1_first400_4o_circular.jsonl",)
    # real labelled rows (verifier_training/data/real.py): source name -> max questions, 0 = all; absent = off
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
    return {
        split: write_rows(out / f"{split}.jsonl", (BaseRow.from_dict(r) for r in rows if r["split"] == split))
        for split in ("train", "dev", "test")
    }


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
