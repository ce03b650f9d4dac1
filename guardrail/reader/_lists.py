"""Answers that list several values: the solutions of an equation ("3, -2", "x = 3 or x = -2", "\\{-2, 3\\}").

A listed answer is a set: the order it is written in says nothing, so values are compared sorted. The rationale
concludes a list when its concluding sentence ends on one ("so $x = 3$ or $x = -2$."). An interval or a tuple
("[3, \\infty)", "(1, -2)") is one value whose order matters; the reader compares it as written, not here.
"""

from __future__ import annotations

import re

from ._latex import is_bracketed, last_boxed, latex_to_plain, math_canonical, without_units
from ._numbers import DIGIT, format_number, parse_number
from ._text import SENTENCE_SPLIT

# Between listed values: a comma (not one grouping thousands: "1,000" is one value), a semicolon, "and", "or".
_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and|or)\b|,(?!\d{3}(?!\d))|;|\band\b|\bor\b)\s*", re.IGNORECASE)
_VARIABLE = re.compile(r"^[a-z](?:_\{?\w\}?)?\s*=\s*", re.IGNORECASE)  # "x = 3", "x_1 = 3"
# What a value may hold once canonical: digits, operators, brackets and the symbols the canonical form spells out
# (sqrt, pi, inf); a letter outside them makes it an expression in a variable or words, which this reader leaves.
_VALUE = re.compile(r"[-+]?(?:[\d.+\-*/^()]|sqrt|pi|inf)+")
_SET_BRACES = re.compile(r"^\{(.*)\}$")
_LAST_TERM = re.compile(r"(?:=|\s)\s*([^=\s]+)$")  # the last term of a clause ("so x=3" ends on 3)
_MAX_CHARS = 200


def _value(part: str) -> str | None:
    """One listed value as a comparable key: a number in ``format_number`` form, else its canonical math."""
    part = _VARIABLE.sub("", part.strip().strip("{}").strip())
    canonical = math_canonical(part)
    if not canonical or not _VALUE.fullmatch(canonical) or not (DIGIT.search(canonical) or "pi" in canonical):
        return None
    number = parse_number(part)
    return format_number(number) if number is not None else canonical


def _parts(text: str) -> list[str]:
    plain = latex_to_plain(without_units(text[:_MAX_CHARS])).strip().rstrip(".!").strip()
    braces = _SET_BRACES.match(plain)
    return _SEPARATOR.split(braces.group(1) if braces else plain)


def listed_values(answer: str) -> tuple[str, ...] | None:
    """The values an answer lists, sorted ("x = 3 or x = -2" -> ("-2", "3")); None unless it lists two or more
    values and nothing else (one value, an interval or tuple, words)."""
    if len(answer) > _MAX_CHARS or is_bracketed(answer):
        return None
    parts = _parts(answer)
    values = [_value(part) for part in parts]
    if len(values) < 2 or None in values:
        return None
    return tuple(sorted(value for value in values if value is not None))


def concluded_values(step: str) -> tuple[str, ...] | None:
    """The values a step concludes when it ends on a list: the boxed list, else the run of values its last sentence
    with a digit ends on ("Factoring, (x-3)(x+2) = 0, so x = 3 or x = -2." -> ("-2", "3")); None when that is
    not two values or more."""
    boxed = last_boxed(step)
    if boxed is not None:
        return listed_values(boxed)
    sentences = [sentence for sentence in SENTENCE_SPLIT.split(step) if DIGIT.search(sentence)]
    if not sentences:
        return None
    found: list[str] = []
    for part in reversed(_parts(sentences[-1][-_MAX_CHARS:])):
        value = _value(part)
        if value is None:  # the clause that opens the run: its last term is the run's first value
            term = _LAST_TERM.search(part)
            value = _value(term.group(1)) if term else None
            found += [value] if value is not None else []
            break
        found.append(value)
    return tuple(sorted(found)) if len(found) >= 2 else None
