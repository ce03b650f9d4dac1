"""Cost/accuracy of the judge cascade: escalation rate and accuracy of ``never`` vs ``cascade`` per band.

The judge is simulated (no API calls): for each item it gives the right verdict with probability
``--judge-accuracy`` (decided once per item from ``--seed``, so every band sees the same judge), with
a confident score (``--judge-confidence``, e.g. 0.95 / 0.05). The combination runs through the real
:class:`guardrail.Cascade`, so the table measures the shipped policy, not a re-implementation.

Primary verifier, one of:
- ``--model DIR``  (default: the shipped ONNX model) scored with :class:`guardrail.OnnxVerifier`;
- ``--scores FILE``: the output of ``guardrail score`` (JSONL with id and consistency);
- ``--primary string-match``: the regex baseline (no model needed).

Usage::

    python benchmarks/bench_cascade.py data/test.jsonl --judge-accuracy 0.9
    python benchmarks/bench_cascade.py data/test.jsonl --scores scored.jsonl --bands 0.4-0.6 0.2-0.8
    python benchmarks/bench_cascade.py data/test.jsonl --primary string-match --judge-accuracy 0.85

The labelled file has one JSON object per line: id, question, rationale, answer, label (1 = the
rationale supports the answer, 0 = it does not). An item counts as judged consistent when its final
score is >= ``--threshold``. Escalated = share of items sent to the judge = the judge's cost.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from guardrail import Cascade, CheckInput, Opinion

DEFAULT_BANDS = ("0.45-0.55", "0.4-0.6", "0.3-0.7", "0.2-0.8", "0.1-0.9")


def load_labelled(path: Path, limit: int | None) -> tuple[list[CheckInput], dict[str, int]]:
    items, labels = [], {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            item = CheckInput(
                id=str(row["id"]), question=row["question"], rationale=row["rationale"], answer=str(row["answer"])
            )
            items.append(item)
            labels[item.id] = int(row["label"])
            if limit and len(items) >= limit:
                break
    return items, labels


class FixedScores:
    """A primary verifier that replays precomputed scores (None: the primary could not score)."""

    def __init__(self, name: str, scores: dict[str, float | None]) -> None:
        self.name = name
        self.scores = scores

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        return [_opinion(self.name, self.scores.get(item.id)) for item in items]


def _opinion(name: str, score: float | None) -> Opinion:
    if score is None:
        return Opinion(verifier=name, consistency=None, error="no score")
    return Opinion(verifier=name, consistency=score)


class SimulatedJudge:
    """Right with probability ``accuracy``, decided per item id and seed (stable across bands)."""

    def __init__(self, labels: dict[str, int], accuracy: float, confidence: float, seed: int) -> None:
        self.name = f"simulated-judge:{accuracy:.2f}"
        self.labels, self.accuracy, self.confidence, self.seed = labels, accuracy, confidence, seed
        self.calls = 0

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        self.calls += len(items)
        return [Opinion(verifier=self.name, consistency=self._score(item.id)) for item in items]

    def _score(self, item_id: str) -> float:
        digest = hashlib.sha256(f"{self.seed}:{item_id}".encode()).digest()
        right = random.Random(digest).random() < self.accuracy
        label = self.labels[item_id] if right else 1 - self.labels[item_id]
        return self.confidence if label == 1 else 1.0 - self.confidence


def primary_scores(args: argparse.Namespace, items: list[CheckInput]) -> tuple[str, dict[str, float | None]]:
    if args.scores:
        scores = {}
        with open(args.scores, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    scores[str(row["id"])] = row.get("consistency")
        return f"scores:{Path(args.scores).name}", scores
    if args.primary == "string-match":
        from verifier_training.evaluate.baseline import string_match_baseline

        return "string-match", {it.id: string_match_baseline(it.question, it.rationale, it.answer) for it in items}
    from guardrail import OnnxVerifier

    verifier = OnnxVerifier(args.model, threads=args.threads, batch_size=args.batch_size)
    start = time.perf_counter()
    opinions = verifier(items)
    print(f"scored {len(items)} items with {verifier.name} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return verifier.name, {it.id: op.consistency for it, op in zip(items, opinions)}


def evaluate(cascade: Cascade, judge: SimulatedJudge, items, labels, threshold: float) -> dict[str, float]:
    judge.calls = 0
    assessments = cascade(items)
    decided = [(a, labels[it.id]) for a, it in zip(assessments, items) if a.consistency is not None]
    correct = sum((a.consistency >= threshold) == bool(label) for a, label in decided)
    return {
        "escalated": judge.calls / len(items),
        "judge_calls": judge.calls,
        "accuracy": correct / len(items),  # undecided items count as wrong
        "undecided": len(items) - len(decided),
    }


def parse_band(text: str) -> tuple[float, float]:
    lo, hi = (float(x) for x in text.split("-"))
    return lo, hi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="labelled JSONL: id, question, rationale, answer, label")
    parser.add_argument("--model", help="ONNX model directory (default: the shipped model)")
    parser.add_argument("--scores", help="primary scores from a `guardrail score` output file instead of a model")
    parser.add_argument("--primary", choices=("onnx", "string-match"), default="onnx")
    parser.add_argument("--judge-accuracy", type=float, default=0.9)
    parser.add_argument("--judge-confidence", type=float, default=0.95)
    parser.add_argument("--bands", nargs="+", default=list(DEFAULT_BANDS), help="LO-HI, e.g. 0.2-0.8")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="first N items only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    items, labels = load_labelled(args.data, args.limit)
    if not items:
        print("no items", file=sys.stderr)
        return 1
    name, scores = primary_scores(args, items)
    primary = FixedScores(name, scores)
    judge = SimulatedJudge(labels, args.judge_accuracy, args.judge_confidence, args.seed)
    rows = [("never", "-", evaluate(Cascade(primary, judge, mode="never"), judge, items, labels, args.threshold))]
    for band_text in args.bands:
        band = parse_band(band_text)
        cascade = Cascade(primary, judge, mode="cascade", band=band)
        result = evaluate(cascade, judge, items, labels, args.threshold)
        rows.append(("cascade", f"[{band[0]:.2f}, {band[1]:.2f}]", result))
    rows.append(("always", "-", evaluate(Cascade(primary, judge, mode="always"), judge, items, labels, args.threshold)))
    print_table(rows, n=len(items), primary=name, judge=judge, positives=sum(labels[it.id] for it in items))
    return 0


def print_table(rows, *, n: int, primary: str, judge: SimulatedJudge, positives: int) -> None:
    print(f"items: {n} ({positives} consistent, {n - positives} not)   primary: {primary}   judge: {judge.name}")
    header = ("mode", "band", "escalated", "judge calls", "accuracy", "vs never", "undecided")
    print("{:<8} {:<14} {:>9} {:>11} {:>8} {:>8} {:>9}".format(*header))
    base = rows[0][2]["accuracy"]
    for mode, band, r in rows:
        print(
            f"{mode:<8} {band:<14} {r['escalated']:>9.1%} {r['judge_calls']:>11d} {r['accuracy']:>8.3f} "
            f"{r['accuracy'] - base:>+8.3f} {r['undecided']:>9d}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
