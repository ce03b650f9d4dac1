"""Latency of the shipped ONNX verifier vs the same model un-exported in torch, in the same run.

    PYTHONPATH=. python benchmarks/bench_verifier_latency.py [--model models/default] [--checkpoint DIR]
        [--threads 2] [--runs 200] [--data runs/train_data/test.jsonl]

Prints median / p95 per single check (batch of one, tokenisation included) on inputs that fill the full
token budget (256 tokens: the honest worst case for "a check of up to 256 tokens"), optionally on real
test items too, and throughput per batch; then the torch / ONNX ratio. The torch model is built from the
export's config.json (weights from --checkpoint when given; latency does not depend on weight values).
Needs the ``train`` extra (torch, transformers). The CPU may be shared: medians over many runs.
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

from guardrail._encoding import encode_batch  # noqa: E402
from guardrail._onnx import OnnxVerifier  # noqa: E402
from guardrail._types import CheckInput  # noqa: E402

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


def time_calls(fn: Callable[[Sequence[CheckInput]], object], batches: Sequence[Sequence[CheckInput]]) -> list[float]:
    for batch in batches[:5]:  # warm-up
        fn(batch)
    times = []
    for batch in batches:
        started = time.perf_counter()
        fn(batch)
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def torch_scorer(model_dir: Path, checkpoint: Path | None, threads: int, max_length: int) -> Callable:
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    torch.set_num_threads(threads)
    if checkpoint:
        model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    else:
        model = BertForSequenceClassification(BertConfig.from_pretrained(str(model_dir)))
    model.eval()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))

    def score(items: Sequence[CheckInput]) -> np.ndarray:
        batch = encode_batch(tokenizer, items, max_length)
        with torch.no_grad():
            logits = model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits
        return torch.softmax(logits, dim=-1)[:, 1].numpy()

    return score


def summarise(label: str, onnx_ms: list[float], torch_ms: list[float], per: int) -> None:
    onnx_p50, torch_p50 = statistics.median(onnx_ms), statistics.median(torch_ms)
    print(f"{label}")
    for name, ms in (("onnx ", onnx_ms), ("torch", torch_ms)):
        p50, p95 = statistics.median(ms), float(np.percentile(ms, 95))
        rate = per * 1000.0 / p50
        print(f"  {name}: median {p50:7.2f} ms  p95 {p95:7.2f} ms  ({rate:7.1f} checks/s)  n={len(ms)}")
    print(f"  torch / onnx median ratio: {torch_p50 / onnx_p50:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--checkpoint", type=Path, help="torch checkpoint the model was exported from")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=200, help="single checks timed per setting")
    parser.add_argument("--data", type=Path, help="labelled JSONL: also time real items (e.g. the test split)")
    args = parser.parse_args()

    onnx = OnnxVerifier(args.model, threads=args.threads, batch_size=BATCH)
    max_length = onnx.manifest.max_length
    torch_score = torch_scorer(args.model, args.checkpoint, args.threads, max_length)
    tokenizer = Tokenizer.from_file(str(args.model / "tokenizer.json"))
    long_items = full_budget_items(args.runs)
    width = encode_batch(tokenizer, long_items[:1], max_length)["input_ids"].shape[1]
    size_mb = (args.model / onnx.manifest.onnx_file).stat().st_size / 1e6
    print(f"model {onnx.manifest.name} {onnx.manifest.version}: {args.model / onnx.manifest.onnx_file} "
          f"({size_mb:.1f} MB, {onnx.manifest.config.get('num_layers')} layers, "
          f"quantisation {onnx.manifest.metrics.get('parity', {}).get('mode')}), threads={args.threads}")

    singles = [[item] for item in long_items]
    summarise(f"single check, {width} tokens (full budget), encoding included",
              time_calls(onnx.probabilities, singles), time_calls(torch_score, singles), 1)
    if args.data:
        real = [[item] for item in real_items(args.data, args.runs)]
        summarise(f"single check, real items from {args.data}", time_calls(onnx.probabilities, real),
                  time_calls(torch_score, real), 1)
    batches = [long_items[i : i + BATCH] for i in range(0, len(long_items) - BATCH + 1, BATCH)] * 3
    summarise(f"batch of {BATCH}, {width} tokens each (throughput)", time_calls(onnx.probabilities, batches),
              time_calls(torch_score, batches), BATCH)


if __name__ == "__main__":
    main()
