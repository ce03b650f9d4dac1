"""Measured evaluation of third-party reader libraries against the project's own (issues 19 item 2, 15 item 9).

Needs the optional evaluation packages (never runtime dependencies), in a separate venv: pysbd 0.3.4 installs
a top-level ``examples`` package into site-packages, which shadows this repository's ``examples/`` and breaks
the test suite's imports in the same environment.

    python3 -m venv /tmp/readers && . /tmp/readers/bin/activate && pip install -e . math-verify pysbd syntok blingfire

Study 1 -- answer equivalence: ``math_verify.verify(parse(a), parse(b))`` against our reader
(``normalise_answer`` equality, or equal ``parse_number`` values), on pairs built from the project's own training
data (PRMBench train processes, GSM8K train answers; never ../shared/validation) and a hand-written set of tricky
equivalences with the expected verdict. math-verify is run two ways: as asked (bare strings), and "wrapped"
(each string put in ``$...$`` unless it already has a math delimiter), which is how its docs want gold answers.
Also: cost per call, import time and memory, behaviour on hostile input (each in a subprocess with a wall cap).

Study 2 -- sentence splitting of single-line rationales: pysbd, syntok, blingfire against ``split_steps``, on
hand-written hard cases (expected splits below) and real single-paragraph rationales (StrategyQA facts joined,
GSM8K answers joined, MMLU-Pro CoT outputs joined): accuracy, pairwise agreement, cost per rationale.

Run: ``nice -n 19 python benchmarks/bench_reader_libraries.py`` (prints tables; no asserts).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SOURCES = ROOT / "verifier_training" / "sources"

from guardrail.reader import normalise_answer, parse_number, split_steps  # noqa: E402
from verifier_training.data.gsm8k import ANNOTATION  # noqa: E402
from verifier_training.data.prmbench import _STEP_NUMBER, prm_final_answer  # noqa: E402

N_GSM8K = 300
N_SPLIT = 500  # real rationales per source for study 2

# ------------------------------------------------------------------------------------- study 1: equivalence

# (a, b, expected equal?) -- written for this study; "expected" is the value-equality verdict a grader wants.
EQUIV_CASES: list[tuple[str, str, bool]] = [
    (r"\frac{5}{2}", "5/2", True),
    (r"\frac{5}{2}", "2.5", True),
    ("5/2", "2.5", True),
    (r"\dfrac{5}{2}", r"\frac{5}{2}", True),
    (r"\tfrac{1}{2}", "0.5", True),
    (r"\frac12", "1/2", True),
    (r"\frac{5}{2}", r"\frac{2}{5}", False),
    (r"\frac{2}{4}", r"\frac{1}{2}", True),
    (r"-\frac{1}{2}", r"\frac{-1}{2}", True),
    (r"\( x = \frac{5}{2} \)", "5/2", True),
    (r"$\frac{5}{2}$", "5/2", True),
    (r"4\pi", "4", False),
    (r"4\pi", r"4 \pi", True),
    (r"4\pi", r"4\cdot\pi", True),
    (r"\boxed{4\pi}", "4", False),
    (r"\frac{\pi}{4}", r"\pi/4", True),
    (r"\pi", "3.14", False),
    (r"\sqrt{3}", "3", False),
    (r"\sqrt{3}", r"\sqrt3", True),
    (r"3\sqrt{2}", r"3 \sqrt 2", True),
    (r"2\sqrt{2}", r"\sqrt{8}", True),
    (r"\dfrac{\sqrt{3}}{2}", r"\frac{\sqrt3}{2}", True),
    (r"\dfrac{\sqrt{3}}{2}", r"\frac{1}{2}\sqrt{3}", True),
    (r"\dfrac{\sqrt{3}}{2}", r"\frac{3}{2}", False),
    (r"\frac{\sqrt{2}}{2}", r"\sqrt{2}/2", True),
    ("(1, 2]", "(1,2]", True),
    ("(1, 2]", "[1, 2]", False),
    ("(1, 2]", "(1, 2)", False),
    (r"(-\infty, 3)", r"(-\infty,3)", True),
    (r"(-\infty, 3)", r"(-\infty, 3]", False),
    ("(1,2)", "(1, 2)", True),
    ("(1,2)", "(2,1)", False),
    (r"\{1, 2\}", r"\{2, 1\}", True),
    (r"50\%", "50", True),
    (r"50\%", "50%", True),
    (r"50\%", "5", False),
    (r"5\text{ cm}", "5", True),
    (r"5\text{ cm}", "5 cm", True),
    (r"5\text{ cm}", r"6\text{ cm}", False),
    (r"\frac{7}{2}\text{ hours}", "3.5", True),
    ("3 apples", "3", True),
    (r"90^\circ", "90", True),
    ("x = 3", "3", True),
    ("x=3", "x = 4", False),
    (r"\boxed{3}", "3", True),
    (r"\boxed{\frac{1}{2}}", "0.5", True),
    (r"$\$1,234.50$", "1234.5", True),
    ("1,000", "1000", True),
    ("1{,}000", "1000", True),
    ("2.50", "2.5", True),
    ("12", "12.0", True),
    ("12", "21", False),
    ("-3", "3", False),
    (r"\$5", "5 dollars", True),
    ("five", "5", True),
    ("10^{3}", "1000", True),
    (r"1.5\times10^3", "1500", True),
    ("3^2", "9", True),
    (r"\log_2 8", "3", True),
    ("2x+1", "1+2x", True),
    ("x^2+2x+1", "(x+1)^2", True),
    ("x^2+2x+1", "x^2+2x", False),
    (r"\infty", r"-\infty", False),
    ("1/2", r"\frac{1}{2}\pi", False),
]

_DELIMITED = re.compile(r"\$|\\\(|\\\[|\\boxed")


def ours_equal(question: str, a: str, b: str) -> bool:
    na, nb = normalise_answer(question, a), normalise_answer(question, b)
    if na and na == nb:
        return True
    pa, pb = parse_number(a), parse_number(b)
    return pa is not None and pa == pb


def mv_equal(a: str, b: str, wrap: bool = False) -> bool:
    from math_verify import parse, verify

    if wrap:
        a, b = (x if _DELIMITED.search(x) else f"${x}$" for x in (a, b))
    return bool(verify(parse(a), parse(b)))


def _bump_digit(text: str) -> str | None:
    """The answer with its last digit changed (a different value)."""
    for i in range(len(text) - 1, -1, -1):
        if text[i].isdigit():
            return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    return None


def prm_pairs() -> list[tuple[str, str, str, str, bool | None]]:
    """(group, question, a, b, expected or None) from PRMBench train processes."""
    pairs = []
    for path in sorted((SOURCES / "prmbench").glob("prm800k_train_*.jsonl")):
        for line in path.open():
            record = json.loads(line)
            clean = lambda steps: [_STEP_NUMBER.sub("", s).strip() for s in steps if s.strip()]  # noqa: E731
            answer = prm_final_answer(clean(record["original_process"]))
            if not answer:
                continue
            q = record["question"]
            other = prm_final_answer(clean(record["modified_process"]))
            if other:
                pairs.append(("prm orig~modified final", q, answer, other, None))
            pairs.append(("prm x vs $x$ / \\boxed{x}", q, answer, f"${answer}$", True))
            pairs.append(("prm x vs $x$ / \\boxed{x}", q, answer, rf"\boxed{{{answer}}}", True))
            bumped = _bump_digit(answer)
            if bumped:
                pairs.append(("prm x vs digit changed", q, answer, bumped, False))
    return pairs


def gsm8k_pairs() -> list[tuple[str, str, str, str, bool | None]]:
    pairs = []
    with (SOURCES / "gsm8k" / "train.jsonl").open() as handle:
        for number, line in enumerate(handle):
            if number >= N_GSM8K:
                break
            record = json.loads(line)
            body, _, final = record["answer"].rpartition("####")
            gold, q = final.strip(), record["question"]
            last = " ".join(ANNOTATION.sub("", body.strip().splitlines()[-1]).split())
            tail = last.rsplit("=", 1)[-1].strip()
            pairs.append(("gsm8k gold~last-line tail", q, gold, tail, None))
            for label, form in (("$X", f"${gold}"), ("\\$X", f"\\${gold}"), ("X.00", f"{gold}.00"),
                                (r"\boxed{X}", rf"\boxed{{{gold}}}"), ("X dollars", f"{gold} dollars")):
                pairs.append((f"gsm8k gold vs {label}", q, gold, form, True))
            pairs.append(("gsm8k gold vs gold+1", q, gold, str(int(gold.replace(",", "")) + 1), False))
    return pairs


def _timed(fn, *args) -> tuple[bool, int]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return result, time.perf_counter_ns() - start


def study_equivalence() -> None:
    print("=" * 100)
    print("STUDY 1: answer equivalence -- our reader vs math-verify")
    print("=" * 100)
    cold = subprocess.run(
        [sys.executable, "-c", COLD_SNIPPET], capture_output=True, text=True, timeout=300, cwd=ROOT
    ).stdout.strip()
    print(f"math-verify cold start (fresh process): {cold}")

    rows = [("hand-written", "", a, b, e) for a, b, e in EQUIV_CASES] + prm_pairs() + gsm8k_pairs()
    mv_equal("1", "1")  # warm: first call compiles regexes / loads the ANTLR parser
    results: dict[str, list] = {}
    times = {"ours": [], "mv": [], "mv-wrapped": []}
    wrong = {"ours": [], "mv": [], "mv-wrapped": []}
    wrong_real: list[str] = []
    for group, q, a, b, expected in rows:
        ours, t0 = _timed(ours_equal, q, a, b)
        mv, t1 = _timed(mv_equal, a, b)
        mvw, t2 = _timed(mv_equal, a, b, True)
        for key, t in (("ours", t0), ("mv", t1), ("mv-wrapped", t2)):
            times[key].append(t)
        results.setdefault(group, []).append((a, b, expected, ours, mv, mvw))
        if expected is not None and group != "hand-written" and ours != expected and len(wrong_real) < 8:
            wrong_real.append(f"[{group}] {a!r} vs {b!r}: expected {expected}")
        if expected is not None and group == "hand-written":
            for key, got in (("ours", ours), ("mv", mv), ("mv-wrapped", mvw)):
                if got != expected:
                    wrong[key].append(f"{a!r} vs {b!r}: expected {expected}, got {got}")

    header = f"{'group':34} {'n':>5} {'agree ours/mv':>14} {'agree ours/mvW':>15} {'acc ours':>9} {'acc mv':>7} {'acc mvW':>8}"
    print("\n" + header)
    print("-" * len(header))
    for group, items in results.items():
        n = len(items)
        agree = sum(o == m for _, _, _, o, m, _ in items) / n
        agree_w = sum(o == w for _, _, _, o, _, w in items) / n
        labelled = [x for x in items if x[2] is not None]
        if labelled:
            acc = [sum(x[2] == x[k] for x in labelled) / len(labelled) for k in (3, 4, 5)]
            accs = f"{acc[0]:9.1%} {acc[1]:7.1%} {acc[2]:8.1%}"
        else:
            eq = [sum(x[k] for x in items) / n for k in (3, 4, 5)]
            accs = f"  (share judged equal: ours {eq[0]:.0%}, mv {eq[1]:.0%}, mvW {eq[2]:.0%})"
        print(f"{group:34} {n:5d} {agree:14.1%} {agree_w:15.1%} {accs}")
    total = [x for items in results.values() for x in items]
    print(f"{'ALL':34} {len(total):5d} {sum(x[3] == x[4] for x in total) / len(total):14.1%}"
          f" {sum(x[3] == x[5] for x in total) / len(total):15.1%}")

    print("\ncost per equality decision (both sides parsed + compared), median / p95 microseconds:")
    for key, values in times.items():
        values = sorted(values)
        print(f"  {key:11} median {statistics.median(values) / 1000:9.1f} us   p95 {values[int(0.95 * len(values))] / 1000:9.1f} us"
              f"   max {values[-1] / 1e6:8.1f} ms")

    for key, items in wrong.items():
        print(f"\nhand-written cases {key} gets wrong ({len(items)}/{len(EQUIV_CASES)}):")
        for item in items:
            print("   ", item)

    print("\nlabelled real-data pairs our reader gets wrong (first 8):")
    for item in wrong_real:
        print("   ", item)

    print("\nreal-data disagreements (first 12, a | b | ours | mv | mv-wrapped):")
    shown = 0
    for group, items in results.items():
        if group == "hand-written":
            continue
        for a, b, _, o, m, w in items:
            if o != m or o != w:
                if shown < 12:
                    print(f"   [{group}] {a!r} | {b!r} | {o} | {m} | {w}")
                shown += 1
    print(f"   ({shown} disagreeing real pairs in all)")
    study_hostile()


COLD_SNIPPET = textwrap.dedent(
    """
    import time, resource
    def rss():
        return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) // 1024
    r0 = rss(); t = time.perf_counter()
    from math_verify import parse, verify
    t_import = time.perf_counter() - t; r1 = rss(); t = time.perf_counter()
    verify(parse('$\\\\frac{5}{2}$'), parse('2.5'))
    t_first = time.perf_counter() - t; r2 = rss()
    print(f'import {t_import*1000:.0f} ms, first verify {t_first*1000:.0f} ms; '
          f'RSS {r0} MB -> {r1} MB after import -> {r2} MB after first call')
    """
)

HOSTILE = {
    "100 kB of digits and operators": "'1+2*' * 20000 + '1'",
    "100 kB prose": "'the answer is 7. ' * 6000",
    "nested braces depth 5000": "'{' * 5000 + '1' + '}' * 5000",
    "nested \\frac depth 500": "'\\\\frac{' * 500 + '1' + '}{2}' * 500",
    "power tower 9^9^9^9": "'$9^{9^{9^{9}}}$'",
    "10^{10^{10^{10}}} vs 1": "'$10^{10^{10^{10}}}$'",
}

HOSTILE_SNIPPET = """
import sys, time
sys.path.insert(0, {root!r})
text = {expr}
mode = {mode!r}
if mode == 'ours':
    from guardrail.reader import normalise_answer, parse_number
    t = time.perf_counter()
    normalise_answer('', text); parse_number(text)
else:
    from math_verify import parse, verify
    verify(parse('$1$'), parse('1'))
    t = time.perf_counter()
    kw = dict(parsing_timeout=None) if mode == 'mv-no-timeout' else {{}}
    vk = dict(timeout_seconds=None) if mode == 'mv-no-timeout' else {{}}
    verify(parse(text, **kw), parse('1', **kw), **vk)
print(f'{{(time.perf_counter() - t) * 1000:.0f}} ms')
"""


def study_hostile() -> None:
    print("\nhostile input (fresh process each, time of the call after imports; 'HANG' = killed at the 30 s cap):")
    print(f"  {'input':34} {'ours':>10} {'mv (timeout 5 s)':>18} {'mv (timeout None)':>18}")
    for name, expr in HOSTILE.items():
        cells = []
        for mode in ("ours", "mv", "mv-no-timeout"):
            code = HOSTILE_SNIPPET.format(root=str(ROOT), expr=expr, mode=mode)
            try:
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
                cells.append(proc.stdout.strip() or f"error: {proc.stderr.strip().splitlines()[-1][:40]}")
            except subprocess.TimeoutExpired:
                cells.append("HANG")
        print(f"  {name:34} {cells[0]:>10} {cells[1]:>18} {cells[2]:>18}")
    code = textwrap.dedent(
        """
        import threading
        from math_verify import parse
        out = []
        def run():
            try:
                parse('$1$'); out.append('ok')
            except Exception as e:
                out.append(type(e).__name__ + ': ' + str(e)[:90])
        t = threading.Thread(target=run); t.start(); t.join(); print(out[0])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    print(f"  parse() with its default timeout, called off the main thread: {proc.stdout.strip()}")


# ------------------------------------------------------------------------------------- study 2: splitting

# (single-line rationale, expected sentences) -- written for this study.
SPLIT_CASES: list[tuple[str, list[str]]] = [
    ("He has 5 apples and she has 3. So together they have 8.",
     ["He has 5 apples and she has 3.", "So together they have 8."]),
    ("She has 3. So she needs 2 more.", ["She has 3.", "So she needs 2 more."]),
    ("The price is 3.5 dollars. Then it rises.", ["The price is 3.5 dollars.", "Then it rises."]),
    ("He walked 2.5 km. Then he ran 3 km.", ["He walked 2.5 km.", "Then he ran 3 km."]),
    ("Some fruits, e.g. apples, are red. So the answer is yes.",
     ["Some fruits, e.g. apples, are red.", "So the answer is yes."]),
    ("E.g. apples are fruit. So yes.", ["E.g. apples are fruit.", "So yes."]),
    ("Vitamin C, i.e. ascorbic acid, is water soluble. So the answer is A.",
     ["Vitamin C, i.e. ascorbic acid, is water soluble.", "So the answer is A."]),
    ("Mr. Smith bought 4 pens. He paid $2 each.", ["Mr. Smith bought 4 pens.", "He paid $2 each."]),
    ("Prof. Lee teaches Ph.D. students. They study math.", ["Prof. Lee teaches Ph.D. students.", "They study math."]),
    ("Dr. Jones arrived at 3 p.m. on Monday. He left at 5.", ["Dr. Jones arrived at 3 p.m. on Monday.", "He left at 5."]),
    ("St. Louis is in Missouri. Missouri is a U.S. state. So yes.",
     ["St. Louis is in Missouri.", "Missouri is a U.S. state.", "So yes."]),
    ("The U.S. has 50 states. So the answer is 50.", ["The U.S. has 50 states.", "So the answer is 50."]),
    ("It was made in the U.S. It sold well.", ["It was made in the U.S.", "It sold well."]),
    ("Jan. 5 was cold. Feb. 2 was warm.", ["Jan. 5 was cold.", "Feb. 2 was warm."]),
    ("The value is approx. 3.14. Thus the answer is C.", ["The value is approx. 3.14.", "Thus the answer is C."]),
    ("1. Add 2 and 3. 2. Multiply by 4. 3. The result is 20.",
     ["1. Add 2 and 3.", "2. Multiply by 4.", "3. The result is 20."]),
    ("1) Count the boys. 2) Count the girls. 3) Add them.",
     ["1) Count the boys.", "2) Count the girls.", "3) Add them."]),
    ("Step 1: Find the total. Step 2: Divide by 4.", ["Step 1: Find the total.", "Step 2: Divide by 4."]),
    (r"We solve \( x = 2.5 \). So the answer is 2.5.", [r"We solve \( x = 2.5 \).", "So the answer is 2.5."]),
    (r"Compute \(\frac{5}{2} = 2.5\). Then double it to get 5.",
     [r"Compute \(\frac{5}{2} = 2.5\).", "Then double it to get 5."]),
    ("The formula is $a^2 + b^2 = c^2$. Hence c = 5.", ["The formula is $a^2 + b^2 = c^2$.", "Hence c = 5."]),
    ("The toy costs $3.50. She pays with $5.", ["The toy costs $3.50.", "She pays with $5."]),
    ("Apples cost $1.25 each. 4 apples cost $5.00. So she spends $5.",
     ["Apples cost $1.25 each.", "4 apples cost $5.00.", "So she spends $5."]),
    ("There are 12 eggs. 3 break. So 9 remain.", ["There are 12 eggs.", "3 break.", "So 9 remain."]),
    ("She has 3 cats. 2 of them are black. So 1 is white.",
     ["She has 3 cats.", "2 of them are black.", "So 1 is white."]),
    ("He scored 3. 2 more goals came later. The total is 5.",
     ["He scored 3.", "2 more goals came later.", "The total is 5."]),
    ("The total is 10. 10 divided by 2 is 5.", ["The total is 10.", "10 divided by 2 is 5."]),
    ("First, 6 x 7 = 42. Second, 42 / 2 = 21. The answer is 21.",
     ["First, 6 x 7 = 42.", "Second, 42 / 2 = 21.", "The answer is 21."]),
    ("In 1990 the population was 2.3 million. By 2000 it grew.",
     ["In 1990 the population was 2.3 million.", "By 2000 it grew."]),
    ("The ratio is 1:2. So A gets 10.", ["The ratio is 1:2.", "So A gets 10."]),
    ("The result is 0.5. The answer is 1/2.", ["The result is 0.5.", "The answer is 1/2."]),
    ("Let x = 3. Then 2x = 6.", ["Let x = 3.", "Then 2x = 6."]),
    ("Since x = 4, y = 2x = 8. Therefore the answer is 8.", ["Since x = 4, y = 2x = 8.", "Therefore the answer is 8."]),
    ("Is it red? No, it is blue! So the answer is B.", ["Is it red?", "No, it is blue!", "So the answer is B."]),
    ('He said "yes." Then he left.', ['He said "yes."', "Then he left."]),
    ("The answer is (B). It matches the definition.", ["The answer is (B).", "It matches the definition."]),
    ("No. The sun is a star.", ["No.", "The sun is a star."]),
    ("Water boils at 100 °C. Ice melts at 0 °C.", ["Water boils at 100 °C.", "Ice melts at 0 °C."]),
    ("Option A is wrong. Option B is right. The answer is B.",
     ["Option A is wrong.", "Option B is right.", "The answer is B."]),
    ("Pages 3-5 cover it, see p. 4. The answer is D.", ["Pages 3-5 cover it, see p. 4.", "The answer is D."]),
    ("A single sentence with no break at all", ["A single sentence with no break at all"]),
]


def _norm(parts) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in parts if p.strip())


def split_ours(text: str) -> tuple[str, ...]:
    return _norm(step.text for step in split_steps(text))


_PYSBD = None


def split_pysbd(text: str) -> tuple[str, ...]:
    global _PYSBD
    if _PYSBD is None:
        import pysbd

        _PYSBD = pysbd.Segmenter(language="en", clean=False)
    return _norm(_PYSBD.segment(text))


def split_syntok(text: str) -> tuple[str, ...]:
    from syntok import segmenter

    return _norm(
        "".join(token.spacing + token.value for token in sentence)
        for paragraph in segmenter.analyze(text)
        for sentence in paragraph
    )


def split_blingfire(text: str) -> tuple[str, ...]:
    import blingfire

    return _norm(blingfire.text_to_sentences(text).split("\n"))


SPLITTERS = {"split_steps": split_ours, "pysbd": split_pysbd, "syntok": split_syntok, "blingfire": split_blingfire}


def real_rationales() -> dict[str, list[str]]:
    rng = random.Random(0)
    out: dict[str, list[str]] = {}
    facts = json.load((SOURCES / "strategyqa" / "train.json").open())
    out["strategyqa facts"] = [" ".join(" ".join(r["facts"]).split()) for r in facts[:N_SPLIT] if r.get("facts")]
    gsm = []
    with (SOURCES / "gsm8k" / "train.jsonl").open() as handle:
        for number, line in enumerate(handle):
            if number >= N_SPLIT:
                break
            body = json.loads(line)["answer"].rpartition("####")[0]
            gsm.append(" ".join(ANNOTATION.sub("", body).split()))
    out["gsm8k answers"] = gsm
    with gzip.open(SOURCES / "mmlu_pro_cot" / "mmlu_pro_cot.jsonl.gz", "rt") as handle:
        lines = handle.readlines()
    chains = [" ".join(json.loads(line)["output"].split()) for line in rng.sample(lines, N_SPLIT)]
    out["mmlu-pro cot"] = [c for c in chains if c]
    return out


def study_splitting() -> None:
    print("\n" + "=" * 100)
    print("STUDY 2: sentence splitting of single-line rationales -- split_steps vs pysbd / syntok / blingfire")
    print("=" * 100)
    for fn in SPLITTERS.values():
        fn("Warm up. Then go.")
    names = list(SPLITTERS)
    wrong: dict[str, list[str]] = {n: [] for n in names}
    correct = dict.fromkeys(names, 0)
    for text, expected in SPLIT_CASES:
        for name, fn in SPLITTERS.items():
            got = fn(text)
            if got == _norm(expected):
                correct[name] += 1
            else:
                wrong[name].append(f"{text!r} -> {list(got)}")
    print(f"\nhand-written hard cases ({len(SPLIT_CASES)}): exact split correct")
    for name in names:
        print(f"  {name:12} {correct[name]:3d}/{len(SPLIT_CASES)} = {correct[name] / len(SPLIT_CASES):.1%}")

    data = real_rationales()
    times: dict[str, list[int]] = {n: [] for n in names}
    print(f"\nreal single-line rationales: exact agreement of the segmentations, pairwise; mean sentences")
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    head = f"  {'source':18} {'n':>4} " + " ".join(f"{a[:5]}/{b[:5]:>6}" for a, b in pairs) + "   mean #sent " + "/".join(n[:5] for n in names)
    print(head)
    examples: list[str] = []
    lone = dict.fromkeys(names, 0)
    total = 0
    for source, texts in data.items():
        segs = {n: [] for n in names}
        for text in texts:
            for name, fn in SPLITTERS.items():
                start = time.perf_counter_ns()
                result = fn(text)
                times[name].append(time.perf_counter_ns() - start)
                segs[name].append(result)
        n = len(texts)
        total += n
        cells = " ".join(f"{sum(x == y for x, y in zip(segs[a], segs[b])) / n:12.1%}" for a, b in pairs)
        means = "/".join(f"{statistics.mean(len(s) for s in segs[name]):.1f}" for name in names)
        print(f"  {source:18} {n:4d} {cells}   {means}")
        for i in range(n):
            for name in names:  # the other three agree with each other and this one differs: a lone outlier
                others = [segs[o][i] for o in names if o != name]
                if all(o == others[0] for o in others) and segs[name][i] != others[0]:
                    lone[name] += 1
                    if name == "split_steps" and len(examples) < 6:
                        diff = set(segs[name][i]) ^ set(others[0])
                        examples.append(f"[{source}] split_steps: {sorted(x for x in diff if x in segs[name][i])[:2]}"
                                        f"  others: {sorted(x for x in diff if x in others[0])[:2]}")
    print(f"\n  lone outlier (the other three agree, this one differs), of {total}: "
          + ", ".join(f"{k} {v}" for k, v in lone.items()))
    for example in examples:
        print("   ", example[:300])

    print("\ncost per rationale (real data), median / p95 microseconds:")
    for name, values in times.items():
        values = sorted(values)
        print(f"  {name:12} median {statistics.median(values) / 1000:9.1f} us   p95 {values[int(0.95 * len(values))] / 1000:9.1f} us")

    for name in names:
        print(f"\nhand-written cases {name} gets wrong ({len(wrong[name])}):")
        for item in wrong[name]:
            print("   ", item[:220])


if __name__ == "__main__":
    study_equivalence()
    study_splitting()
