"""Format invariance as a tested property (issue 19 item 3): one item rendered in many surface formats.

The reader (``analyse``) must reach the same verdict on every rendering of an item: the option list written
as ``(A) x``, ``A) x``, ``A)x``, ``A. x``, ``A: x``, ``a) x`` or ``- (A) x``, inline or one per line, with or
without a header, and the answer given as ``B``, ``(B)``, ``Option B``, ``B) text`` or the option's text.
With the shipped model, the score's spread across renderings stays small. (The benchmark
``benchmarks/bench_format_invariance.py`` measures the spread on a few hundred real chains.)
"""

from __future__ import annotations

import itertools

import pytest

from guardrail import CheckInput
from guardrail.reader import analyse
from verifier_training.data import formats

ITEMS = [  # (stem, options, rationale, the letter the rationale concludes)
    ("A car travels 120 km in 2 hours. What is its average speed?", ["40 km/h", "60 km/h", "80 km/h", "240 km/h"],
     "Average speed is distance over time.\n120 km / 2 h = 60 km/h.\nSo the average speed is 60 km/h.", "B"),
    ("Which planet is the largest in the solar system?", ["Mars", "Venus", "Jupiter", "Mercury"],
     "Mars and Venus are rocky and small. Jupiter is a gas giant far bigger than the others.\n"
     "So the largest planet is Jupiter.", "C"),
    ("What is the area of a circle of radius 2?", ["2\\pi", "4\\pi", "8\\pi", "16\\pi"],
     "The area is \\pi r^2.\nWith r = 2, that is \\pi \\cdot 4.\nThe answer is (B).", "B"),
    ("A shirt costs $20 and is 25% off. What is the price?", ["$5", "$10", "$15", "$20", "$25"],
     "25% of $20 is $5.\n$20 - $5 = $15.\nFinal answer: $15", "C"),
    ("How many sides does a hexagon have?", [str(n) for n in range(3, 15)],
     "A hexagon is a polygon with six sides.\nThe answer is 6.", "D"),
]
STYLES = sorted(formats.OPTION_STYLES)
LAYOUTS = (False, True)


def _renderings(stem: str, texts: list[str], letter: str):
    options = formats.lettered(texts)
    for style, inline, answer_style in itertools.product(STYLES, LAYOUTS, formats.ANSWER_STYLES):
        if inline and style == "dash_paren":
            continue
        fmt = formats.OptionFormat(style=style, inline=inline, header="Options:" if inline else None)
        question = formats.with_options(stem, options, fmt)
        yield (style, inline, answer_style), question, formats.render_answer(letter, options, answer_style, fmt)


@pytest.mark.parametrize("stem, texts, rationale, own", ITEMS, ids=[i[0][:24] for i in ITEMS])
def test_reader_verdict_is_the_same_in_every_format(stem, texts, rationale, own):
    other = next(k for k in formats.lettered(texts) if k != own)
    for letter, expected in ((own, True), (other, False)):
        for rendering, question, answer in _renderings(stem, texts, letter):
            analysis = analyse(question, rationale, answer)
            assert analysis.agrees is expected, (rendering, question, answer, analysis)


@pytest.mark.parametrize("stem, texts, rationale, own", ITEMS, ids=[i[0][:24] for i in ITEMS])
def test_shipped_model_score_barely_moves_across_formats(stem, texts, rationale, own):
    from guardrail import Policy

    verifier = _verifier()
    other = next(k for k in formats.lettered(texts) if k != own)
    for letter in (own, other):
        items = [CheckInput(id=str(i), question=q, rationale=rationale, answer=a)
                 for i, (_, q, a) in enumerate(_renderings(stem, texts, letter))]
        scores = [float(p) for p in verifier.probabilities(items)]
        assert max(scores) - min(scores) <= SPREAD_LIMIT, (letter, min(scores), max(scores))
        actions = {Policy().action_for(score)[0] for score in scores}
        assert len(actions) == 1, (letter, actions, scores)  # what the user gets never depends on the format


# Every one of these clean items: at most 0.1 apart across 70 renderings, and always the same action. (The
# benchmark's targets, median <= 0.02 and 95th percentile <= 0.05, are over a few hundred real chains.)
SPREAD_LIMIT = 0.1
_CACHE: dict[str, object] = {}


def _verifier():
    from guardrail import OnnxVerifier

    if "v" not in _CACHE:
        _CACHE["v"] = OnnxVerifier()
    return _CACHE["v"]


# Option markers that models and benchmarks write besides the training generator's styles (bold, brackets, a dash
# or a tab at a line's start, an inline list parted by "|" or ","): rendered here by hand, so the generator's
# training data does not change with them.
EXTRA_STYLES = {
    "bold": lambda pairs: "\n".join(f"**{k}.** {v}" for k, v in pairs),
    "bracket": lambda pairs: "\n".join(f"[{k}] {v}" for k, v in pairs),
    "dash": lambda pairs: "\n".join(f"{k} - {v}" for k, v in pairs),
    "tab": lambda pairs: "\n".join(f"{k}\t{v}" for k, v in pairs),
    "pipe": lambda pairs: " | ".join(f"{k}) {v}" for k, v in pairs),
    "comma": lambda pairs: "Options: " + ", ".join(f"{k}) {v}" for k, v in pairs),
}


@pytest.mark.parametrize("stem, texts, rationale, own", ITEMS, ids=[i[0][:24] for i in ITEMS])
def test_other_option_markers_keep_the_verdict_and_the_score(stem, texts, rationale, own):
    options = formats.lettered(texts)
    other = next(k for k in options if k != own)
    reference = formats.with_options(stem, options, formats.OptionFormat(style=STYLES[0], inline=False, header=None))
    for letter, expected in ((own, True), (other, False)):
        questions = [reference] + [f"{stem}\n{render(list(options.items()))}" for render in EXTRA_STYLES.values()]
        for question in questions:
            assert analyse(question, rationale, letter).agrees is expected, (question, letter)
        items = [CheckInput(id=str(i), question=q, rationale=rationale, answer=letter) for i, q in enumerate(questions)]
        scores = [float(p) for p in _verifier().probabilities(items)]
        assert max(scores) - min(scores) <= SPREAD_LIMIT, (letter, scores)
