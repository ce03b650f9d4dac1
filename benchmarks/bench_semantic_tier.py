"""Latency of the second local tier (the sentence encoder) next to the first tier, in the same run.

    python benchmarks/bench_semantic_tier.py [--model models/default] [--threads 2] [--runs 100]

The tier runs only on checks whose first-tier score is inside its band and whose question offers candidate
answers; this times what such a check costs, through the runtime's own path: ``OnnxVerifier`` without the tier
(every check pays that), the tier's evidence alone (rationale + every candidate through the encoder), and the
full tiered check (a copy of the model whose tier band is widened to [0, 1], so every check takes it), for a
rationale that fills the 256-token budget and 4 or 10 options. Single checks, encoding included, settings alternating round by round (the CPU
is shared and drifts), medians and p95, and each setting's ratio to the first tier. No asserts.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from guardrail import CheckInput, OnnxVerifier
from guardrail.reader import answer_candidates
from guardrail.toolkit import read_manifest, semantic_tier_for, write_manifest

ROUNDS = 5


def items(n: int, options: int) -> list[CheckInput]:
    letters = "ABCDEFGHIJ"[:options]
    steps = " ".join(f"Step {i}: the pressure on wall {i} rises because the gas is heated by {i + 3} degrees."
                     for i in range(30))
    question = "Which change explains the reading?\n" + "\n".join(
        f"({x}) The gas was heated by {k + 3} degrees in container {x}." for k, x in enumerate(letters))
    return [CheckInput(id=str(i), question=f"Case {i}. {question}", rationale=steps, answer="B") for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    spec = read_manifest(args.model).semantic
    if spec is None:
        raise SystemExit(f"{args.model} has no semantic tier")
    first = OnnxVerifier(args.model, threads=args.threads, semantic=False)
    tier = semantic_tier_for(args.model / spec.onnx_file, args.model / spec.tokenizer_file, spec.max_length, args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench-tier-")) / "model"
    shutil.copytree(args.model, work)
    manifest = read_manifest(work)
    write_manifest(work, **manifest.model_dump(exclude={"files", "semantic"}),
                   semantic=spec.model_copy(update={"band": (0.0, 1.0)}))
    tiered = OnnxVerifier(work, threads=args.threads)
    print(f"model {first.manifest.name} {first.manifest.version}, threads={args.threads}, runs={args.runs}")
    for options in (4, 10):
        checks = items(args.runs, options)

        def evidence(item: CheckInput) -> None:
            found = answer_candidates(item.question, item.answer)
            tier.margins([(item.rationale, found.texts, found.given)])

        settings = {"first tier": lambda item: first.probabilities([item]), "second tier": evidence,
                    "tiered check": lambda item: tiered.probabilities([item])}
        for item in checks[:5]:
            for run in settings.values():
                run(item)
        times: dict[str, list[float]] = {name: [] for name in settings}
        size = max(1, len(checks) // ROUNDS)
        for start in range(0, len(checks), size):
            for name, run in settings.items():
                for item in checks[start : start + size]:
                    began = time.perf_counter()
                    run(item)
                    times[name].append((time.perf_counter() - began) * 1000.0)
        base = float(np.median(times["first tier"]))
        print(f"\n{options} options, rationale at the 256-token budget:")
        for name, values in times.items():
            median = float(np.median(values))
            print(f"  {name:13s} p50 {median:6.1f} ms  p95 {np.percentile(values, 95):6.1f} ms  x first tier {median / base:4.1f}")


if __name__ == "__main__":
    main()
