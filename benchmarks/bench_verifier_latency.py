"""Latency of the shipped ONNX verifier vs the same model un-exported in torch, in the same run.

    PYTHONPATH=. python benchmarks/bench_verifier_latency.py [--model models/default] [--checkpoint DIR]
        [--compare OTHER_MODEL_DIR] [--threads 2] [--runs 200] [--data runs/train_data/test.jsonl]

Prints median / p95 per single check (batch of one, tokenisation included) on inputs that fill the full
token budget (256 tokens: the honest worst case for "a check of up to 256 tokens"), optionally on real
test items too, and throughput per batch; then each setting's ratio to the ONNX model. The torch model is
built from the export's config.json (weights from --checkpoint when given; latency does not depend on weight
values). The export computes the last layer for the [CLS] position only (``verifier_training.train.cls_only``);
"torch" is the model as trained, and "torch cls-only" the same rewrite in torch, so the ratios show what
the rewrite and what onnxruntime each contribute. ``--compare`` times another exported model (e.g. the
previous version) in the same run.
Needs the ``train`` extra (torch, transformers). The CPU may be shared and its speed drifts, so the settings
are timed in alternating rounds (A B C A B C ...) and medians are quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads distort timings on shared CPUs

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from guardrail.toolkit import encode_batch  # noqa: E402
from guardrail import OnnxVerifier  # noqa: E402
from guardrail import CheckInput  # noqa: E402

BATCH = 32


def full_budget_items(n: int) -> list[CheckInput]:
    """Word-problem-like checks long enough that the encoder truncates them to the full budget."""
    steps = " ".join(f"Step {i}: she buys {i + 3} boxes of {i + 7} pens, so {i + 3} x {i + 7} = {(i + 3) * (i + 7)}."
                     for i in range(40))
    return [
        CheckInput(id=str(i), question=f"Ann buys pens in {i + 40} shops. How many pens does she buy in total?",
                   rationale=f"{steps} So the total is {1000 + i}.", answer=str(1000 + i))
        for i in range(n)
    ]


def real_items(path: Path, n: int) -> list[CheckInput]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    return [CheckInput(id=str(i), question=rows[i]["question"], rationale=rows[i]["rationale"],
                       answer=rows[i]["answer"]) for i in chosen]


ROUNDS = 5  # settings alternate this many times, so drift in machine speed hits each alike


def time_interleaved(
    scorers: dict[str, Callable[[Sequence[CheckInput]], object]], batches: Sequence[Sequence[CheckInput]]
) -> dict[str, list[float]]:
    """Milliseconds per call of each scorer on every batch, the scorers taking turns round by round."""
    for score in scorers.values():
        for batch in batches[:5]:  # warm-up
            score(batch)
    times: dict[str, list[float]] = {name: [] for name in scorers}
    size = max(1, -(-len(batches) // ROUNDS))
    for start in range(0, len(batches), size):
        for name, score in scorers.items():
            for batch in batches[start : start + size]:
                started = time.perf_counter()
                score(batch)
                times[name].append((time.perf_counter() - started) * 1000.0)
    return times


def torch_scorer(model_dir: Path, checkpoint: Path | None, threads: int, max_length: int,
                 cls_only: bool = False) -> Callable:
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    torch.set_num_threads(threads)
    if checkpoint:
        model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    else:
        model = BertForSequenceClassification(BertConfig.from_pretrained(str(model_dir)))
    model.eval()
    if cls_only:
        from verifier_training.train.cls_only import rewrite_last_layer

        rewrite_last_layer(model)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))

    def score(items: Sequence[CheckInput]) -> np.ndarray:
        batch = encode_batch(tokenizer, items, max_length)
        with torch.no_grad():
            logits = model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits
        return torch.softmax(logits, dim=-1)[:, 1].numpy()

    return score


def summarise(label: str, times: dict[str, list[float]], per: int) -> None:
    """One line per setting, then each setting's median relative to the first (the shipped ONNX model)."""
    print(label)
    reference_name = next(iter(times))
    reference = statistics.median(times[reference_name])
    for name, ms in times.items():
        p50, p95 = statistics.median(ms), float(np.percentile(ms, 95))
        ratio = f"  {p50 / reference:.2f}x {reference_name}" if name != reference_name else ""
        print(f"  {name:<14}: median {p50:7.2f} ms  p95 {p95:7.2f} ms  ({per * 1000.0 / p50:7.1f} checks/s)"
              f"  n={len(ms)}{ratio}")


def describe(model_dir: Path, verifier: OnnxVerifier) -> str:
    manifest = verifier.manifest
    size_mb = (model_dir / manifest.onnx_file).stat().st_size / 1e6
    config = manifest.config
    return (f"{manifest.name} {manifest.version}: {model_dir / manifest.onnx_file} ({size_mb:.1f} MB, "
            f"{config.get('num_layers')} layers, heads {config.get('attention_heads') or 'all'}, "
            f"ffn {config.get('ffn_size') or 'full'}, quantisation {manifest.metrics.get('parity', {}).get('mode')})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--checkpoint", type=Path, help="torch checkpoint the model was exported from")
    parser.add_argument("--compare", type=Path, help="another exported model to time in the same run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=200, help="single checks timed per setting")
    parser.add_argument("--data", type=Path, help="labelled JSONL: also time real items (e.g. the test split)")
    args = parser.parse_args()

    onnx = OnnxVerifier(args.model, threads=args.threads, batch_size=BATCH)
    max_length = onnx.manifest.max_length
    scorers = {"onnx": onnx.probabilities,
               "torch": torch_scorer(args.model, args.checkpoint, args.threads, max_length),
               "torch cls-only": torch_scorer(args.model, args.checkpoint, args.threads, max_length, cls_only=True)}
    print(f"model {describe(args.model, onnx)}, threads={args.threads}")
    if args.compare:
        other = OnnxVerifier(args.compare, threads=args.threads, batch_size=BATCH)
        scorers[f"onnx {other.manifest.version}"] = other.probabilities
        print(f"compared with {describe(args.compare, other)}")
    tokenizer = Tokenizer.from_file(str(args.model / "tokenizer.json"))
    long_items = full_budget_items(args.runs)
    width = encode_batch(tokenizer, long_items[:1], max_length)["input_ids"].shape[1]
    singles = [[item] for item in long_items]
    summarise(f"single check, {width} tokens (full budget), encoding included", time_interleaved(scorers, singles), 1)
    if args.data:
        real = [[item] for item in real_items(args.data, args.runs)]
        summarise(f"single check, real items from {args.data}", time_interleaved(scorers, real), 1)
    batches = [long_items[i : i + BATCH] for i in range(0, len(long_items) - BATCH + 1, BATCH)] * 3
    if batches:  # --runs below the batch size times single checks only
        summarise(f"batch of {BATCH}, {width} tokens each (throughput)", time_interleaved(scorers, batches), BATCH)


if __name__ == "__main__":
    main()
