"""``verifier-train perturb``: base examples -> labelled rows (1 consistent / 0 inconsistent) per split.

For every base example a few label-1 and label-0 operators are drawn from those that apply to its answer
type (see ``consistent``, ``inconsistent``, ``arith``), each applied with a generator seeded by the
config seed and the example id, so a row does not depend on which other rows were made. Every variant is
rendered in a randomly drawn style (lines, paragraph, numbered, "Step k:", bullets, optional preface) so
formatting carries no label. Rows other operators draw from (another rationale, another answer) come from
the same split only.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..cli_common import VERBOSE_HELP, read_config
from ..rows import BaseRow, Row, read_rows, write_rows
from ._common import Example, Operator, Variant, render
from .checked import with_check

SPLITS = ("train", "dev", "test")
ROW_KEYS = tuple(f.name for f in fields(Row))  # a labelled row: id, qid, source, split, question, ..., answer_type


@dataclass(frozen=True)
class PerturbConfig:
    seed: int = 0
    # label-1 / label-0 variants drawn per base example, by source; "default" for the rest
    n_consistent: dict[str, int] = field(default_factory=lambda: {"default": 2, "strategyqa": 3, "prmbench": 3})
    n_inconsistent: dict[str, int] = field(default_factory=lambda: {"default": 2, "strategyqa": 3, "prmbench": 3})
    limit_per_split: int = 0  # 0 = all base examples
    decorate_inconsistent: float = 0.3  # share of label-0 variants that also get a filler / aside
    checked: float = 0.0  # share of rows (either label) that close with a check of their own result (``checked``)

    @classmethod
    def load(cls, path: str | Path) -> PerturbConfig:
        return cls(**read_config(path, cls))

    def count(self, table: dict[str, int], source: str) -> int:
        return table.get(source, table.get("default", 2))


def operator_tables() -> tuple[dict[str, dict[str, Operator]], dict[str, dict[str, Operator]]]:
    """(label-1 operators, label-0 operators) by answer type."""
    from . import arith, consistent, inconsistent

    pos, neg = consistent.OPERATORS, inconsistent.OPERATORS
    common_pos = {
        k: pos[k] for k in ("original", "filler", "aside", "reformat", "paraphrase", "hint_ignored", "condensed")
    }
    arith_pos = {**common_pos, "trailing_remark": pos["trailing_remark"], "self_consistent": arith.self_consistent}
    label_neg = {k: neg[k] for k in ("swap_small", "other_rationale", "contradict", "hint_follow")}
    consistent_ops = {"numeric": arith_pos, "choice": arith_pos, "yes_no": common_pos, "text": common_pos}
    inconsistent_ops = {
        "numeric": {
            **{k: v for k, v in neg.items()},
            "last_step_changed": arith.last_step_changed,
            "propagated": arith.propagated,
        },
        "choice": {
            **{
                k: neg[k]
                for k in (
                    "swap_small",
                    "swap_intermediate",
                    "truncated",
                    "unsupported_conclusion",
                    "other_rationale",
                    "contradict",
                    "hint_follow",
                    "rejected_answer",
                )
            },
            "last_step_changed": arith.last_step_changed,
            "propagated": arith.propagated,
        },
        "yes_no": label_neg,
        "text": {
            **label_neg,
            "swap_other": neg["swap_other"],
            "truncated": neg["truncated"],
            "unsupported_conclusion": neg["unsupported_conclusion"],
            "circular": neg["circular"],
        },
    }
    return consistent_ops, inconsistent_ops


def variants_for(example: Example, pool: Sequence[Example], config: PerturbConfig, rng: random.Random) -> list[Variant]:
    consistent_ops, inconsistent_ops = operator_tables()
    source = example.row["source"]
    made: list[Variant] = []
    for table, wanted in (
        (consistent_ops, config.count(config.n_consistent, source)),
        (inconsistent_ops, config.count(config.n_inconsistent, source)),
    ):
        names = sorted(table.get(example.answer_type, {}))
        rng.shuffle(names)
        if example.meta.get("circular") and "circular" in names:  # scarce and real: always use it
            names.remove("circular")
            names.insert(0, "circular")
        got = 0
        for name in names:
            if got >= wanted:
                break
            variant = table[example.answer_type][name](example, rng, pool)
            if variant is not None:
                if variant.label == 0 and rng.random() < config.decorate_inconsistent:
                    variant = decorate(variant, rng)
                made.append(variant)
                got += 1
    return made


def decorate(variant: Variant, rng: random.Random) -> Variant:
    """Insert a filler sentence or an aside into a label-0 variant, as the label-1 filler/aside kinds do,
    so that harmless padding (and the length it adds) is no cue for either label."""
    from dataclasses import replace

    from .consistent import ASIDES, FILLERS

    sentence = rng.choice(FILLERS + ASIDES)
    if variant.keep_style:
        text = variant.steps[0]
        return replace(variant, steps=[f"{sentence}{chr(10) if chr(10) in text else ' '}{text}"])
    steps = list(variant.steps)
    steps.insert(rng.randint(0, max(0, len(steps) - 1)), sentence)
    return replace(variant, steps=steps)


def to_row(example: Example, variant: Variant, number: int, rng: random.Random) -> dict:
    from guardrail.reader import detect_answer_type

    rationale = variant.steps[0] if variant.keep_style else render(variant.steps, rng)
    row = example.row
    return {
        "id": f"{row['id']}:{variant.kind}:{number}",
        "qid": row["qid"],
        "source": row["source"],
        "split": row["split"],
        "question": variant.question,
        "rationale": rationale,
        "answer": variant.answer,
        "label": variant.label,
        "kind": variant.kind,
        "answer_type": detect_answer_type(variant.question, variant.answer).value,
    }


def perturb_split(rows: Iterable[dict], config: PerturbConfig) -> list[dict]:
    examples = [Example(r) for r in rows]
    if config.limit_per_split:
        examples = examples[: config.limit_per_split]
    by_type: dict[str, list[Example]] = {}
    for example in examples:
        by_type.setdefault(example.answer_type, []).append(example)
    out: list[dict] = []
    for example in examples:
        if example.meta.get("fixed"):  # labelled extra rows are taken as they are
            out.append({k: example.row.get(k) for k in ROW_KEYS} | {"answer_type": _detected(example.row)})
            continue
        rng = random.Random(f"{config.seed}:{example.row['id']}")
        pool = by_type.get(example.answer_type, [])
        for number, variant in enumerate(variants_for(example, pool, config, rng)):
            out.append(with_check(to_row(example, variant, number, rng), config.checked, config.seed))
    return out


def _detected(row: dict) -> str:
    from guardrail.reader import detect_answer_type

    return detect_answer_type(row["question"], row["answer"]).value


def run(args: argparse.Namespace) -> int:
    import structlog

    log = structlog.get_logger()
    config = PerturbConfig.load(args.config)
    source, out = Path(args.input), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        base = read_rows(source / f"{split}.jsonl", record=BaseRow)
        rows = perturb_split((row.to_dict() for row in base), config)
        write_rows(out / f"{split}.jsonl", (Row.from_dict(row) for row in rows))
        stats[split] = dict(Counter(f"{r['kind']}/{r['label']}" for r in rows))
        log.info("perturbed", split=split, rows=len(rows), positive=sum(r["label"] for r in rows))
    (out / "perturb_config.json").write_text(json.dumps(asdict(config), indent=2))
    (out / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("perturb", help="base examples -> labelled consistent/inconsistent rows")
    parser.add_argument("--config", required=True, help="PerturbConfig JSON (configs/perturb.json)")
    parser.add_argument("--in", dest="input", required=True, help="folder written by `verifier-train data`")
    parser.add_argument("--out", required=True, help="output folder for train/dev/test.jsonl")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    parser.set_defaults(func=run)
