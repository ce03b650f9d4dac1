"""Format invariance: the same multiple-choice item rendered in many surface formats should score the same.

    python benchmarks/bench_format_invariance.py [--model DIR] [--items 300] [--sources DIR]

Items are real chains of thought (MMLU-Pro, 22 models) from the **test split** of the project's own data
(``verifier_training.data.split_of``), never from ``shared/validation``. Each chain is scored with its own
answer and with another option, each in every rendering of ``RENDERINGS`` (option list style x one line or
one per line x answer style, from ``verifier_training.data.formats``). The spread of an (item, answer) is the
largest minus the smallest score over its renderings. Prints the median and 95th percentile of the spread
(targets: <= 0.02 and <= 0.05), the share of items whose reader analysis differs between renderings, and
the renderings that move scores most. Asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import _source_bench as source_bench  # noqa: E402
from guardrail import CheckInput  # noqa: E402
from guardrail.reader import analyse  # noqa: E402
from verifier_training.data import formats  # noqa: E402
from verifier_training.data import DataConfig, split_of  # noqa: E402
from verifier_training.data.real import cut_after_answer, open_text  # noqa: E402

# (option style, inline, answer style): every option style, both layouts, every answer style at least twice
RENDERINGS: tuple[tuple[str, bool, str], ...] = (
    ("paren", False, "paren"),
    ("paren", True, "letter"),
    ("close", False, "letter_text"),
    ("close", True, "option"),
    ("tight", False, "letter"),
    ("tight", True, "text"),
    ("dot", False, "option"),
    ("dot", True, "paren"),
    ("colon", False, "text"),
    ("colon", True, "letter_text"),
    ("lower", False, "letter"),
    ("lower", True, "paren"),
    ("dash_paren", False, "option"),
)


def test_split_chains(sources: Path, count: int, seed: int = 0) -> list[dict]:
    """MMLU-Pro chains whose question falls in the test split, cut after their first stated answer."""
    import json

    config = DataConfig()
    chains = []
    with open_text(sources / "mmlu_pro_cot" / "mmlu_pro_cot.jsonl") as handle:
        for line in handle:
            record = json.loads(line)
            if not record.get("pred") or split_of(f"mmlu-{record['question_id']}", config) != "test":
                continue
            cut = cut_after_answer(record["output"] or "")
            options = record["options"]
            if cut is None or cut[1] != record["pred"] or not 2 <= len(options) <= 16:
                continue
            if len({o.strip().lower() for o in options}) != len(options):
                continue  # duplicate option texts make the text answer ambiguous
            chains.append({"stem": record["question"], "options": formats.lettered(options), "chain": cut[0],
                           "own": cut[1]})
    random.Random(seed).shuffle(chains)
    return chains[:count]


def renderings(chain: dict, letter: str) -> list[CheckInput]:
    items = []
    for number, (style, inline, answer_style) in enumerate(RENDERINGS):
        fmt = formats.OptionFormat(style=style, inline=inline)
        question = formats.with_options(chain["stem"], chain["options"], fmt)
        answer = formats.render_answer(letter, chain["options"], answer_style, fmt)
        items.append(CheckInput(id=f"r{number}", question=question, rationale=chain["chain"], answer=answer))
    return items


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = source_bench.parser(__doc__, "chains to render (each with 2 answers)")
    args = parser.parse_args()

    verifier = source_bench.verifier(args.model, args.threads)
    chains = test_split_chains(Path(args.sources), args.items)
    spreads: dict[str, list[float]] = {"own": [], "other": []}
    moved = {rendering: [] for rendering in RENDERINGS}
    analysis_differs = 0
    started = time.perf_counter()
    for index, chain in enumerate(chains):
        others = [k for k in chain["options"] if k != chain["own"]]
        for role, letter in (("own", chain["own"]), ("other", random.Random(index).choice(others))):
            items = renderings(chain, letter)
            scores = [float(p) for p in verifier.probabilities(items)]
            spreads[role].append(max(scores) - min(scores))
            centre = statistics.median(scores)
            for rendering, score in zip(RENDERINGS, scores):
                moved[rendering].append(abs(score - centre))
            readings = {(a.agrees, a.conclusion) for a in (analyse(i.question, i.rationale, i.answer) for i in items)}
            analysis_differs += len(readings) > 1
    elapsed = time.perf_counter() - started
    every = spreads["own"] + spreads["other"]
    print(f"model {verifier.name} {verifier.model_version}; {len(chains)} test-split chains x 2 answers x "
          f"{len(RENDERINGS)} renderings ({len(every) * len(RENDERINGS)} checks, {elapsed:.0f} s)")
    print(f"spread (max - min score per item and answer): median {statistics.median(every):.4f}  "
          f"p95 {percentile(every, 0.95):.4f}  max {max(every):.4f}   (targets: median <= 0.02, p95 <= 0.05)")
    for role, values in spreads.items():
        print(f"  {role:5s} answer: median {statistics.median(values):.4f}  p95 {percentile(values, 0.95):.4f}")
    print(f"reader analysis differs across renderings: {analysis_differs} of {len(every)} (item, answer) pairs")
    print("mean |score - item median| by rendering (option style, one line, answer style):")
    for rendering, values in sorted(moved.items(), key=lambda kv: -statistics.fmean(kv[1])):
        print(f"  {rendering!s:40s} {statistics.fmean(values):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
