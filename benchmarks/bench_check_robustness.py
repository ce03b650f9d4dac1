"""Check robustness: a check of the result after the conclusion should not move the verdict.

    python benchmarks/bench_check_robustness.py [--model DIR] [--compare DIR] [--items 300] [--choice]

Chat models often close by checking their result ("Let's verify: 55 - 40 = 15. Correct."), so the text ends on
a number of the working. Items are GSM8K solutions from the **test split** of the project's own data
(``verifier_training.data.split_of``), each with its own final answer (label 1) and with a number of its working
as the answer (label 0), first as they are and then closed by each check in ``CHECKS``. None of these phrasings is
among the templates training appends (``verifier_training/perturb/checked.py``), so the figures measure how far
what was learnt carries. Prints, per phrasing and label, the share of confident errors (a right answer scored
below 0.2, a wrong one above 0.8) and the mean score, for each model side by side in one run. Asserts nothing.
``--choice``: MMLU-Pro chains of test-split questions whose options are words, with their own option and another,
closed by a check of the letter they conclude (``CHOICE_CHECKS``; training appends checks after numeric
conclusions only, so these measure how far those carry).
"""

from __future__ import annotations

import json
import random
import sys
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import _source_bench as source_bench  # noqa: E402
from guardrail import CheckInput  # noqa: E402
from guardrail.reader import format_number, numbers_in  # noqa: E402
from verifier_training.data import DataConfig, split_of  # noqa: E402
from verifier_training.data.gsm8k import read_gsm8k  # noqa: E402
from verifier_training.perturb.checked import checkable_numbers  # noqa: E402

# c: the result, x: a number of the working, d = c - x
CHECKS = {
    "none": "",
    "let me verify this": "Let me verify this: {x} plus {d} gives {c}. Good.",
    "verifying, bold": "**Verifying:** {d} + {x} = {c} ✔️ and {c} − {d} = {x} ✔️",
    "sanity check, dash": "Sanity check — {c} − {x} = {d}, consistent.",
    "to double check": "To double check, {c} minus {x} leaves {d}, which is what we had.",
    "we can check": "We can check: if we take away {d} from {c}, we get back {x}.",
    "confirmation block": "### Confirmation\n{c} - {d} = {x}\nEverything adds up.",
}


def test_split_items(sources: Path, count: int, seed: int = 0) -> list[dict]:
    """(question, rationale, right answer, wrong answer, check values) from GSM8K's test-split questions."""
    config = DataConfig()
    items = []
    for row in read_gsm8k(sources, 0):
        if split_of(row["qid"], config) != "test":
            continue
        c = Fraction(row["answer"])
        working = checkable_numbers(c, numbers_in(row["rationale"]))
        if c.denominator != 1 or not working:
            continue
        items.append({"question": row["question"], "rationale": row["rationale"], "c": c, "working": working})
    rng = random.Random(seed)
    rng.shuffle(items)
    for item in items[:count]:
        x = rng.choice(item["working"])
        item["values"] = {"c": format_number(item["c"]), "x": format_number(x), "d": format_number(item["c"] - x)}
    return items[:count]


# c: the option letter the chain concludes (with --choice).
CHOICE_CHECKS = {
    "none": "",
    "let me verify, option": "Let me verify: option ({c}) is consistent with every step above. Correct.",
    "verification, bold": "**Verification:** Re-reading the question, choice {c} still fits; the other options do not.",
    "double-checking": "Double-checking: ({c}) matches the reasoning. ✓",
    "to confirm": "To confirm, {c} is the only option that satisfies all the conditions.",
}


def choice_items(sources: Path, count: int, seed: int = 0) -> list[dict]:
    """MMLU-Pro chains of test-split questions whose options are words, ending on their own option, with that
    option (label 1) and another (label 0): (question, rationale, right, wrong, letter concluded)."""
    from guardrail.reader import analyse, option_value, parse_options
    from verifier_training.data.real import read_mmlu_pro_cot

    config = DataConfig()
    items = []
    rows = [row for row in read_mmlu_pro_cot(sources, 0, seed) if split_of(row["qid"], config) == "test"]
    for good, bad in zip(rows[::2], rows[1::2], strict=True):
        options = parse_options(good["question"]).values()
        if good["kind"] != "own_answer" or any(option_value(text) is not None for text in options):
            continue
        read = analyse(good["question"], good["rationale"], good["answer"])
        if read.agrees and read.conclusion:
            items.append({"question": good["question"], "rationale": good["rationale"], "right": good["answer"],
                          "wrong": bad["answer"], "values": {"c": read.conclusion}})
    random.Random(seed).shuffle(items)
    return items[:count]


def checks_for(item: dict, checks: dict[str, str] = CHECKS) -> list[tuple[str, int, CheckInput]]:
    """(phrasing, label, check input) for the right and the wrong answer under every phrasing."""
    out = []
    for name, template in checks.items():
        rationale = item["rationale"] + ("\n\n" + template.format(**item["values"]) if template else "")
        answers = (item["right"], item["wrong"]) if "right" in item else (item["values"]["c"], item["values"]["x"])
        for label, answer in zip((1, 0), answers, strict=True):
            out.append((name, label, CheckInput(id=f"{name}:{label}", question=item["question"],
                                                rationale=rationale, answer=answer)))
    return out


def main() -> int:
    parser = source_bench.parser(__doc__, "GSM8K test-split solutions")
    parser.add_argument("--compare", default=None, help="a second model directory, scored in the same run")
    parser.add_argument("--choice", action="store_true",
                        help="MMLU-Pro test-split chains with word options, closed by a check of the letter concluded")
    args = parser.parse_args()
    checks = CHOICE_CHECKS if args.choice else CHECKS

    models = [source_bench.verifier(args.model, args.threads)]
    if args.compare:
        models.append(source_bench.verifier(args.compare, args.threads))
    items = (choice_items if args.choice else test_split_items)(Path(args.sources), args.items)
    cases = [case for item in items for case in checks_for(item, checks)]
    scores = {id(model): model.probabilities([case[2] for case in cases]) for model in models}
    kind = "MMLU-Pro chains (word options)" if args.choice else "GSM8K solutions"
    print(f"{len(items)} {kind} of the test split, right and wrong answer, {len(checks)} closings")
    header = "".join(f" | {model.model_version:>7s} conf. err  mean" for model in models)
    print(f"{'closing':20s} label{header}")
    for name in checks:
        for label in (1, 0):
            chosen = [i for i, case in enumerate(cases) if case[0] == name and case[1] == label]
            row = f"{name:20s} {label:5d}"
            for model in models:
                values = [float(scores[id(model)][i]) for i in chosen]
                wrong = sum((p < 0.2) if label else (p > 0.8) for p in values) / len(values)
                row += f" | {wrong:17.1%} {sum(values) / len(values):5.2f}"
            print(row)
    print(json.dumps({"items": len(cases), "models": [f"{m.model_id} {m.model_version}" for m in models]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
