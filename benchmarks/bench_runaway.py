"""Outputs that go on past their answer: is the answer the chain gave the one that is checked?

    python benchmarks/bench_runaway.py [--model DIR] [--items 300]

Base models prompted few-shot often write on after "The answer is (B)." with an invented next example
("\\n\\nQuestion: ... The answer is (D)."). Items are MMLU-Pro chains of **test-split** questions
(``verifier_training.data.split_of``) whose text goes on for more than 40 characters after the first "the answer
is (X)", X being the model's own answer (MMLU-Pro's ``pred``, the first one). Each is checked with its own
answer (label 1) and another option (label 0), the whole output given as the rationale, two ways side by side
in one run: the verifier alone on the whole text (what was checked before ``continuation_dropped``), and
``Guard.check`` (which cuts a new question after the answer off). Prints, per label, the share of confident
errors (label 1 below 0.2, label 0 above 0.8) and of scores in the judge band, and how many outputs had a new
question cut off. Asserts nothing.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import _source_bench as source_bench  # noqa: E402
from guardrail import CheckInput, Guard  # noqa: E402
from verifier_training.data import DataConfig, split_of  # noqa: E402
from verifier_training.data.formats import OptionFormat, lettered, with_options  # noqa: E402
from verifier_training.data.real import cut_after_answer, open_text  # noqa: E402

TAIL_CHARS = 40  # more than a closing sentence's worth of text after the answer


def runaway_items(sources: Path, count: int, seed: int = 0) -> list[dict]:
    """(question, whole output, own letter, another letter) for test-split chains that go on past their answer."""
    config = DataConfig()
    rng = random.Random(seed)
    items = []
    with open_text(sources / "mmlu_pro_cot" / "mmlu_pro_cot.jsonl") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    for record in records:
        output = (record["output"] or "").strip()
        cut = cut_after_answer(output) if record["pred"] else None
        if cut is None or cut[1] != record["pred"] or len(output) - len(cut[0]) <= TAIL_CHARS:
            continue
        if split_of(f"mmlu-{record['question_id']}", config) != "test" or len(record["options"]) < 2:
            continue
        options = lettered(record["options"])
        if record["pred"] not in options:
            continue
        other = rng.choice(sorted(set(options) - {record["pred"]}))
        items.append({"question": with_options(record["question"], options, OptionFormat()), "output": output,
                      "own": record["pred"], "other": other})
    rng.shuffle(items)
    return items[:count]


def main() -> int:
    parser = source_bench.parser(__doc__, "chains that go on past their answer")
    args = parser.parse_args()

    verifier = source_bench.verifier(args.model, args.threads)
    guard = Guard(verifier)
    items = runaway_items(Path(args.sources), args.items)
    cases = [(label, item, item[key]) for item in items for label, key in ((1, "own"), (0, "other"))]
    whole = verifier.probabilities([CheckInput(id=str(i), question=item["question"], rationale=item["output"],
                                               answer=answer) for i, (_, item, answer) in enumerate(cases)])
    verdicts = [guard.check(item["question"], rationale=item["output"], answer=answer) for _, item, answer in cases]
    cut = sum(any(r.startswith("continuation_dropped") for r in v.reasons) for v in verdicts[::2])
    print(f"{len(items)} MMLU-Pro test-split chains that go on past their answer; a new question cut off in {cut}")
    print(f"{'label':5s} | {'whole text: conf. err  band':28s} | {'Guard.check: conf. err  band':28s}")
    for label in (1, 0):
        chosen = [i for i, case in enumerate(cases) if case[0] == label]
        row = f"{label:5d}"
        for scores in (whole, [verdicts[i].consistency for i in range(len(cases))]):
            values = [float(scores[i]) for i in chosen]
            wrong = sum((p < 0.2) if label else (p > 0.8) for p in values) / len(values)
            band = sum(0.2 <= p <= 0.8 for p in values) / len(values)
            row += f" | {wrong:20.1%} {band:6.1%}"
        print(row)
    print(json.dumps({"items": len(cases), "model": f"{verifier.model_id} {verifier.model_version}"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
