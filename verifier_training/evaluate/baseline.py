"""The string-match baseline that the verifier is measured against (evaluation only; the runtime never uses it).

It reads only the rationale's last non-empty line, with the answer reader's public functions, so its score
shows what plain string matching gets right without the verifier.
"""

from __future__ import annotations

import re

from guardrail import AnswerType
from guardrail.reader import (
    AMBIGUOUS,
    detect_answer_type,
    format_number,
    normalise_answer,
    normalise_text,
    numbers_in,
    option_by_content,
    parse_options,
    parse_yes_no,
)

_LAST_LINE_LETTER = re.compile(
    r"\(([A-P])\)|\b([A-P])\)|(?:answer|option|choice)[\s_]*(?:is\s*)?:?\s*([A-P])\b|(?:^|\s)([A-P])\s*[.!]?\s*$"
)
_LAST_LINE_YES_NO = re.compile(r"\b(yes|no|true|false)\b", re.IGNORECASE)


def string_match_baseline(question: str, rationale: str, answer: str) -> float:
    """FINDINGS' regex baseline: 1.0 if the answer is the number / option / yes-no / text the rationale's last
    non-empty line ends on, 0.0 if that line ends on something else, 0.5 if it ends on nothing of the type."""
    lines = [line for line in rationale.splitlines() if line.strip()]
    if not lines:
        return 0.5
    last = lines[-1]
    answer_type = detect_answer_type(question, answer)
    norm = normalise_answer(question, answer, answer_type)
    found: str | None
    if answer_type is AnswerType.CHOICE:
        options = parse_options(question)
        letters = [next(g for g in m.groups() if g).upper() for m in _LAST_LINE_LETTER.finditer(last)]
        found = letters[-1] if letters else option_by_content(last, options)
        found = None if found == AMBIGUOUS else found  # several options named, none settled on: nothing found
    elif answer_type is AnswerType.YES_NO:
        words = _LAST_LINE_YES_NO.findall(last)
        found = parse_yes_no(words[-1]) if words else None
    elif answer_type is AnswerType.NUMERIC:
        values = numbers_in(last)
        found = format_number(values[-1]) if values else None
    else:
        return 1.0 if norm and normalise_text(last).endswith(norm) else 0.0
    if found is None:
        return 0.5
    return 1.0 if found == norm else 0.0
