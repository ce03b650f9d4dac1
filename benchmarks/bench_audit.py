"""Batch audit throughput: single-process ``guardrail score`` against ``guardrail audit`` (Ray Data) with 1 and
2 actors, on the same generated JSONL file (default 200,000 rows), shipped model. One run each; no asserts.

    python benchmarks/bench_audit.py [--rows 200000] [--part-bytes N] [--keep DIR]

Each command runs in its own process and is timed from start to exit (for ``audit``: Ray's start, planning,
actor start-up and model loads included); ``audit``'s own summary rate (rows checked / its run time) is shown
too. Settings: ``score --threads 2`` (the whole 2-core machine), ``audit --actors 1 --threads 2`` and
``audit --actors 2 --threads 1``, with ``--part-bytes`` the audit default (4 MiB) or, for small files, a
sixteenth of the file, so that both actors have parts to take. Rows are the examples in
``examples/sample.jsonl`` with fresh ids and a case number in each question (no two rows are the same text).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def generate(path: Path, rows: int) -> int:
    examples = [json.loads(line) for line in (REPO / "examples" / "sample.jsonl").read_text().splitlines() if line]
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            row = dict(examples[i % len(examples)])
            row["id"] = f"b{i}"
            row["question"] = f"{row['question']} (case {i})"
            out.write(json.dumps(row) + "\n")
    return path.stat().st_size


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-3000:]}")
    return seconds, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--part-bytes", type=int, help="default: 4 MiB, or a sixteenth of a smaller file")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-audit-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "in.jsonl"
    size = generate(source, args.rows)
    if args.part_bytes is None:
        args.part_bytes = min(4 << 20, max(1 << 16, size // 16))
    exe = [sys.executable, "-m", "guardrail"]
    print(f"{args.rows} rows, {size / 1e6:.1f} MB, parts of {args.part_bytes} bytes, {os.cpu_count()} CPUs, "
          f"started {time.strftime('%H:%M:%S')}", flush=True)  # fmt: skip
    results = []
    runs = [
        ("score, 1 process, 2 threads", [*exe, "score", str(source), "-o", str(work / "score.jsonl"),
                                         "--threads", "2", "--no-progress"]),
        ("audit, 1 actor x 2 threads", [*exe, "audit", str(source), "-o", str(work / "audit1"), "--actors", "1",
                                        "--threads", "2", "--part-bytes", str(args.part_bytes)]),
        ("audit, 2 actors x 1 thread", [*exe, "audit", str(source), "-o", str(work / "audit2"), "--actors", "2",
                                        "--threads", "1", "--part-bytes", str(args.part_bytes)]),
    ]  # fmt: skip
    for name, command in runs:
        seconds, last = timed(command)
        own = None
        summary = Path(command[command.index("-o") + 1]) / "_summary.json"
        if summary.exists():
            own = json.loads(summary.read_text())["rows_per_second"]
        results.append((name, seconds, args.rows / seconds, own))
        print(f"  {name}: {seconds:.1f} s, {args.rows / seconds:.1f} rows/s end to end"
              + (f", {own:.1f} rows/s by its summary" if own else "") + f"  [{last}]", flush=True)  # fmt: skip
    base = results[0][2]
    print(f"\n| run | wall s | rows/s | x score |\n|---|---:|---:|---:|")
    for name, seconds, rate, _own in results:
        print(f"| {name} | {seconds:.1f} | {rate:.1f} | {rate / base:.2f} |")
    print(f"finished {time.strftime('%H:%M:%S')}; output in {work}" if args.keep else "")


if __name__ == "__main__":
    main()
