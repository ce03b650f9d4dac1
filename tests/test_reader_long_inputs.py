"""The reader reads a rationale in time linear in its length, whatever a model writes.

Each text below once took the reader time quadratic in its length: a run of 50,000 digits took over three
minutes (a symbolic term's number was re-read from every digit), unclosed ``\\boxed{`` openings were scanned to
the end of the text from every opening, every "=" of a long line had the rest of the line normalised, a closing
aside was looked for from every space of a long run (20,000 spaces took six seconds), and patterns with spaces on
both sides of an optional word tried every split of a long run of spaces (the reader now reads a long run as a
short one). At these sizes a quadratic reader takes seconds to minutes per text; the reader now takes
milliseconds. No time is asserted (speed belongs to ``benchmarks/``): a regression shows as a suite that stalls
here.
"""

from __future__ import annotations

import pytest

from guardrail.reader import AnswerAnalysis, analyse

LONG_TEXTS = {
    "a run of digits": "5" * 20_000,
    "decimals": "1.5" * 7_000,
    "unclosed boxes": "\\boxed{" * 5_000,
    "equals signs": "= " * 5_000 + "5",
    "tuples": "(1, " * 5_000,
    "units": "5\\text{ cm}" * 2_000,
    "a run of spaces": "It is 5 cm" + " " * 20_000 + "long.",
    "spaces before a symbol": "5" + " " * 20_000 + "\\pi",
    "spaces after a cue": "The answer is" + " " * 20_000 + "B",
    "spaces after a dollar": "$" + " " * 20_000 + "5",
    "tabs and line breaks": "so" + " \n \t" * 5_000 + "B",
    "verdicts on options": "Choice A is not the correct one. Choice B: this is correct. " * 2_000,
    "negations": "not " * 10_000 + "correct",
    "markdown escapes": "\\_\\*" * 10_000,
    "roots": "16√" * 5_000 + "3",
    "plain roots": "2*sqrt(" * 5_000 + "3" + ")" * 5_000,
    "closing parentheses": "so x = 4\\pi" + ")" * 20_000,
}
QUESTIONS = [("Find x.", "(1, 2)"), ("Which? (A) 1 (B) 2", "B"), ("Is it even or odd?", "even"), ("Find x.", "72")]


@pytest.mark.parametrize("text", LONG_TEXTS.values(), ids=LONG_TEXTS.keys())
def test_long_pathological_rationales_are_read(text: str) -> None:
    for question, answer in QUESTIONS:
        assert isinstance(analyse(question, text, answer), AnswerAnalysis)
