"""The Guard's own overhead per call (model time excluded) and the ONNX verifier's latency, in one run.

    python benchmarks/bench_guard_overhead.py [--model DIR] [--threads 2] [--batch 16] [--reps 300]

Part 1, overhead: a Guard around a no-op verifier (it returns a ready-made opinion) against calling that
verifier directly; the difference is extraction + step splitting + input validation + policy + verdict
building + the structlog call. Measured with verdict events filtered (the host's level above info) and with
events rendered as JSON to /dev/null.
Part 2, model: OnnxVerifier median latency per check (batch of 1) and per batch, split into encoding
(tokenise + answer analysis) and onnxruntime; and Guard.check on the real verifier against the verifier alone.
Inputs are examples/sample.jsonl. Prints medians and ratios; asserts nothing (targets live in the README).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import structlog

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from guardrail import CheckInput, Guard, ModelError, OnnxVerifier, Opinion  # noqa: E402
from guardrail.toolkit import encode_batch  # noqa: E402
from guardrail import extract  # noqa: E402


def median_ms(fn, reps: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e6


def paired_ms(base, guarded, reps: int, warmup: int = 5) -> tuple[float, float, float]:
    """Alternate the two calls so CPU contention hits both alike: (median base, median guarded, median diff)."""
    for _ in range(warmup):
        base(), guarded()
    a, b = [], []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        base()
        t1 = time.perf_counter_ns()
        guarded()
        t2 = time.perf_counter_ns()
        a.append(t1 - t0)
        b.append(t2 - t1)
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    return statistics.median(a) / 1e6, statistics.median(b) / 1e6, statistics.median(diffs) / 1e6


class NoopVerifier:
    """Returns a ready-made opinion: its own cost is a list multiplication."""

    name = "noop"
    _opinion = Opinion(verifier="noop", consistency=0.9, model_id="noop", model_version="0")

    def __call__(self, items):
        return [self._opinion] * len(items)


def load_examples() -> list[dict]:
    with open(REPO / "examples" / "sample.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def as_input(row: dict) -> CheckInput:
    if "output" in row:
        found = extract(row["output"])
        rationale, answer = found.rationale, found.answer or ""
    else:
        rationale, answer = row["rationale"], row["answer"]
    return CheckInput(id=row["id"], question=row["question"], rationale=rationale, answer=answer)


def quiet_logging() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def json_logging_to_devnull() -> None:
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives for the whole benchmark
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sink),
    )


def bench_overhead(rows: list[dict], reps: int) -> None:
    noop = NoopVerifier()
    guard = Guard(noop)
    shaped = [r for r in rows if "output" in r]
    fielded = [r for r in rows if "output" not in r]
    print(
        f"\n== Part 1: guard overhead per call (no-op verifier; median over the examples of {reps} paired calls each) =="
    )
    for label, configure in (
        ("events filtered", quiet_logging),
        ("events as JSON to /dev/null", json_logging_to_devnull),
    ):
        configure()
        for kind, subset, call in (
            ("output", shaped, lambda r: guard.check(r["question"], r["output"])),
            (
                "rationale+answer",
                fielded,
                lambda r: guard.check(r["question"], rationale=r["rationale"], answer=r["answer"]),
            ),
        ):
            pairs = [paired_ms(lambda it=as_input(r): noop([it]), lambda r=r, call=call: call(r), reps) for r in subset]  # noqa: B008
            direct, guarded, diff = (statistics.median(p[k] for p in pairs) for k in range(3))
            print(
                f"guard.check({kind:16s}) [{label:27s}] {guarded * 1000:7.1f} us vs verifier alone {direct * 1000:5.1f} us: "
                f"overhead {diff * 1000:6.1f} us = {diff:.4f} ms"
            )
    quiet_logging()
    ext_ms = statistics.median(median_ms(lambda r=r: extract(r["output"]), reps) for r in shaped)
    print(f"{'  of which extract(output) + split_steps':46s} {ext_ms * 1000:8.1f} us")


def bench_model(rows: list[dict], model_dir: str | None, threads: int, batch: int, reps: int) -> None:
    quiet_logging()
    verifier = OnnxVerifier(model_dir, threads=threads, batch_size=batch)
    items = [as_input(r) for r in rows]
    batch_items = [items[i % len(items)] for i in range(batch)]
    encoded = encode_batch(verifier._tokenizer, items, verifier.max_length)
    lengths = encoded["attention_mask"].sum(axis=1)
    print(f"\n== Part 2: {verifier!r}, threads={threads}, max_length={verifier.max_length} ==")
    print(
        f"model file: {os.path.getsize(verifier.model_dir / verifier.manifest.onnx_file) / 1e6:.1f} MB; "
        f"example lengths: median {int(statistics.median(lengths))} tokens, max {int(lengths.max())}"
    )
    per_check = statistics.median(median_ms(lambda it=it: verifier([it]), reps) for it in items)
    encode_one = statistics.median(
        median_ms(lambda it=it: encode_batch(verifier._tokenizer, [it], verifier.max_length), reps) for it in items
    )
    per_batch = median_ms(lambda: verifier(batch_items), max(10, reps // 4))
    encode_b = median_ms(
        lambda: encode_batch(verifier._tokenizer, batch_items, verifier.max_length), max(10, reps // 4)
    )
    guard = Guard(verifier)
    pairs = []
    for row, it in zip(rows, items, strict=True):
        if "output" in row:
            call = lambda r=row: guard.check(r["question"], r["output"])  # noqa: E731
        else:
            call = lambda r=row: guard.check(r["question"], rationale=r["rationale"], answer=r["answer"])  # noqa: E731
        pairs.append(paired_ms(lambda it=it: verifier([it]), call, reps))
    alone, guarded, diff = (statistics.median(p[k] for p in pairs) for k in range(3))
    print(
        f"{'verifier, batch of 1 (per check)':40s} {per_check:8.2f} ms   of which encoding {encode_one:6.2f} ms ({encode_one / per_check:5.1%})"
    )
    print(
        f"{f'verifier, batch of {batch} (per batch)':40s} {per_batch:8.2f} ms   of which encoding {encode_b:6.2f} ms ({encode_b / per_batch:5.1%})"
    )
    print(
        f"{f'verifier, batch of {batch} (per item)':40s} {per_batch / batch:8.2f} ms   = {per_check / (per_batch / batch):4.2f}x throughput of batch 1"
    )
    print(
        f"{'guard.check vs verifier alone (paired)':40s} {guarded:8.2f} ms vs {alone:.2f} ms: {diff * 1000:+.0f} us per call "
        f"({diff / alone:.1%} of the model time)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the shipped model / $GUARDRAIL_MODEL_DIR)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
    )
    rows = load_examples()
    bench_overhead(rows, args.reps)
    try:
        bench_model(rows, args.model, args.threads, args.batch, max(20, args.reps // 10))
    except ModelError as exc:
        print(f"\n== Part 2 skipped: {exc} ==")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
