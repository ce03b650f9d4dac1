"""A check of the rationale's own result, appended to a row of either label.

Real models often close by checking their result ("Let's verify: 55 - 40 = 15. Correct."), so the text ends on
a number of the working, not on the result. The reader leaves such checks out of the conclusion
(``guardrail.reader`` ``_remarks``), but a model that has never seen one takes the closing number for the
conclusion: rg-minilm-l2 0.15.0 scored 95% of the right answers of own numeric rows below 0.2 once "Let's verify:
c - d = x. Correct." followed. The check re-derives the conclusion the reader reads, so it changes neither the
reading nor the label, and rows of both labels get it alike: a check is no cue for either.

Each row is drawn with its own generator (seeded by the config seed and the row id), so the other rows stay as
they were without checks.
"""

from __future__ import annotations

import random
from fractions import Fraction

from guardrail.reader import analyse, format_number, numbers_in, option_value, parse_options

# c: the conclusion, x: a number of the working, d = c - x, q = c / x.
_ADDITIVE = (
    "{c} - {x} = {d} ✓",
    "{x} + {d} = {c}, which matches.",
    "{c} - {d} = {x}. Correct.",
    "{d} + {x} = {c}. Yes.",
    "{c} - {x} = {d}, and {d} + {x} = {c}.",
    "subtracting {d} from {c} leaves {x}, as above.",
)
_MULTIPLICATIVE = (
    "{c} / {x} = {q} ✓",
    "{q} × {x} = {c}, consistent with the steps above.",
    "{c} ÷ {q} = {x}. Correct.",
    "{x} * {q} = {c}. Yes.",
)
_OPENERS = (
    "Check:",
    "Verification:",
    "Let's verify:",
    "Let's double-check:",
    "Double-checking:",
    "Quick check:",
    "Sanity check:",
    "Checking:",
    "Let's check:",
    "Let me verify:",
    "Let me double-check:",
)
_HEADINGS = ("**Verification:**", "### Check", "Verification:", "**Let's verify:**", "**Check**")


def with_check(row: dict, share: float, seed: int) -> dict:
    """``row`` with a check of its conclusion appended, for a ``share`` of rows whose conclusion is a number."""
    if share <= 0:
        return row
    rng = random.Random(f"{seed}:checked:{row['id']}")
    if rng.random() >= share:
        return row
    before = analyse(row["question"], row["rationale"], row["answer"])
    value = _concluded_value(row["question"], before.conclusion, before.answer_type.value)
    if value is None:
        return row
    check = _check(value, numbers_in(row["rationale"]), rng)
    if check is None:
        return row
    rationale = _appended(row["rationale"], check, rng)
    after = analyse(row["question"], rationale, row["answer"])
    if (after.conclusion, after.agrees) != (before.conclusion, before.agrees):
        return row  # the reader would read the check: it would change what the row says
    return {**row, "rationale": rationale}


def _concluded_value(question: str, conclusion: str | None, answer_type: str) -> Fraction | None:
    if not conclusion:
        return None
    if answer_type == "choice":
        text = parse_options(question).get(conclusion)
        return option_value(text) if text else None
    if answer_type != "numeric":
        return None
    try:
        return Fraction(conclusion)
    except (ValueError, ZeroDivisionError):
        return None


def checkable_numbers(c: Fraction, working: list[Fraction]) -> list[Fraction]:
    """The numbers of the working a check of ``c`` can relate it to: whole, positive, smaller than ``c`` and not its
    half (where ``c - x`` is ``x`` again, the check would name one number twice)."""
    return sorted({x for x in working if 0 < x < c and x.denominator == 1 and 2 * x != c})


def _check(c: Fraction, working: list[Fraction], rng: random.Random) -> list[str] | None:
    """The check's lines: equations relating the conclusion to one number of the working."""
    if c <= 1 or c.denominator != 1:
        return None
    smaller = checkable_numbers(c, working)
    if not smaller:
        return None
    factors = [x for x in smaller if x > 1 and (c / x).denominator == 1]
    if factors and rng.random() < 0.4:
        x = rng.choice(factors)
        forms, values = _MULTIPLICATIVE, {"q": c / x}
    else:
        x = rng.choice(smaller)
        forms, values = _ADDITIVE, {"d": c - x}
    values |= {"c": c, "x": x}
    shown = {k: format_number(v) for k, v in values.items()}
    lines = [form.format(**shown) for form in rng.sample(forms, rng.choice((1, 1, 2)))]
    return [line[0].upper() + line[1:] for line in lines]


def _appended(rationale: str, lines: list[str], rng: random.Random) -> str:
    """As a sentence after the text (its first line), or as a headed block under it (every line)."""
    if rng.random() < 0.3:
        return f"{rationale.rstrip()}\n\n{rng.choice(_HEADINGS)}\n" + "\n".join(lines)
    check = f"{rng.choice(_OPENERS)} {lines[0]}"
    separator = rng.choice(("\n", "\n\n")) if "\n" in rationale else " "
    return f"{rationale.rstrip()}{separator}{check}"
