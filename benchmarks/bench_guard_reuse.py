"""What a new ``Guard()`` per call costs, against one long-lived Guard: checks/s and peak RSS.

    python benchmarks/bench_guard_reuse.py [--calls 40] [--concurrency 50] [--model DIR] [--no-cache]

Each setting runs in a fresh subprocess (so peak RSS is its own):

- ``new``: ``Guard().check(question, output)`` in a loop, a new Guard every call (what the issue measured);
- ``shared``: one ``Guard()`` made once, ``.check`` in a loop;
- ``new-concurrent``: ``--concurrency`` threads at once, each making its own ``Guard()`` and checking.

With the shared verifier cache every ``Guard()`` on the same model directory reuses one loaded verifier, so
``new`` should come close to ``shared``. ``--no-cache`` gives every Guard its own ``OnnxVerifier()`` instead
(every Guard loads its own model: the behaviour before the cache) to compare in one run. Prints numbers only;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

QUESTION = "A shirt costs $20 and is 25% off. What is the price?"
OUTPUT = "<think>25% of 20 is 5.\n20 - 5 = 15.</think>\nThe price is $15. Final answer: 15"


def _child(mode: str, calls: int, concurrency: int, no_cache: bool) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from guardrail import Guard, OnnxVerifier

    def new_guard() -> Guard:
        return Guard(OnnxVerifier()) if no_cache else Guard()  # a verifier of its own, or the shared one

    new_guard().check(QUESTION, OUTPUT)  # the first load is paid in every mode; measure the steady state
    started = time.perf_counter()
    if mode == "shared":
        guard = new_guard()
        for _ in range(calls):
            guard.check(QUESTION, OUTPUT)
        done = calls
    elif mode == "new":
        for _ in range(calls):
            new_guard().check(QUESTION, OUTPUT)
        done = calls
    else:
        barrier = threading.Barrier(concurrency)

        def worker() -> None:
            barrier.wait()
            new_guard().check(QUESTION, OUTPUT)

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = concurrency
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"checks_per_s": done / elapsed, "seconds": elapsed, "peak_rss_mb": rss_mb, "checks": done}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--no-cache", action="store_true", help="every Guard loads its own model")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.model:
        os.environ["GUARDRAIL_MODEL_DIR"] = args.model
    if args.child:
        print(json.dumps(_child(args.child, args.calls, args.concurrency, args.no_cache)))
        return
    for mode in ("shared", "new", "new-concurrent"):
        command = [sys.executable, __file__, "--child", mode, "--calls", str(args.calls)]
        command += ["--concurrency", str(args.concurrency)] + (["--no-cache"] if args.no_cache else [])
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{mode:>15}: {result['checks_per_s']:7.1f} checks/s ({int(result['checks'])} checks in "
            f"{result['seconds']:.2f} s), peak RSS {result['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
