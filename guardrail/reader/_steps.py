"""Split a rationale into steps so that verdicts can point at them.

Order of preference: one step per non-empty line; when the rationale is a single line, numbered items
("1. ... 2. ..." / "Step 1: ...") and then sentences. Offsets index into the original rationale.
"""

from __future__ import annotations

import re

from .._types import Step

_NUMBERED = re.compile(r"(?:(?<=\s)|^)(?:step\s*(\d{1,6})\s*[:.)]|\(?(\d{1,2})[.)])\s+", re.IGNORECASE)
# A sentence ends at . ! or ? followed by whitespace and an upper-case letter, digit or quote; avoids
# splitting decimals ("3.5") and most abbreviations' lower-case continuations.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[$\\])")


def split_steps(rationale: str) -> tuple[Step, ...]:
    spans = _line_spans(rationale)
    if len(spans) <= 1:
        spans = _split_single_block(rationale)
    return tuple(
        Step(index=i, text=rationale[start:end], start=start, end=end) for i, (start, end) in enumerate(spans)
    )


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, offset = [], 0
    for line in text.splitlines(keepends=True):
        spans.extend(_strip_span(text, offset, offset + len(line)))
        offset += len(line)
    return spans


def _split_single_block(text: str) -> list[tuple[int, int]]:
    cuts = _numbered_cuts(text)
    if not cuts:
        cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    bounds = [0, *cuts, len(text)]
    spans: list[tuple[int, int]] = []
    for start, end in zip(bounds, bounds[1:]):
        spans.extend(_strip_span(text, start, end))
    return spans


def _numbered_cuts(text: str) -> list[int]:
    """Start offsets of items numbered 1, 2, 3, ... in sequence ("costs 2. 2. Then" has one item 2)."""
    cuts, expected = [], None
    for match in _NUMBERED.finditer(text):
        number = int(match.group(1) or match.group(2))
        if expected is None and number != 1:
            continue  # a list starts at 1: "she has 3. So ..." ends a sentence on a number, it starts no item
        if expected is None or number == expected:
            if match.start() > 0:
                cuts.append(match.start())
            expected = number + 1
    # At least items 1 and 2 in sequence: a lone "2." after a sentence is a number, not a list.
    return cuts if expected is not None and expected > 2 else []


def _strip_span(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if end > start else []
