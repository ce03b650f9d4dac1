"""The answers a question offers, for comparing the given one with its alternatives (the semantic tier)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ._options import parse_choice, parse_options
from ._text import label_set, normalise_text


class Candidates(BaseModel):
    """The question's candidate answers as written there, and which of them the given answer is."""

    model_config = ConfigDict(frozen=True)

    texts: tuple[str, ...]
    given: int
    kind: Literal["options", "labels"]  # a lettered option list, or the labels of an "X or Y" question


def answer_candidates(question: str, answer: str) -> Candidates | None:
    """The option texts of a multiple-choice question ("(A) ... (B) ..."), or the labels of an "X or Y" question,
    when the answer names one of them; None otherwise (free text, numbers, yes/no: no alternatives to compare)."""
    options = parse_options(question)
    if len(options) >= 2:
        letter = parse_choice(answer, options)
        if letter is None:
            return None
        return Candidates(texts=tuple(options.values()), given=list(options).index(letter), kind="options")
    norm = normalise_text(answer)
    labels = label_set(question, norm)
    if len(labels) < 2:
        return None
    shown = []
    for label in labels:  # as written in the question (label_set works on the case-folded text)
        found = re.search(re.escape(label), question, re.IGNORECASE)
        shown.append(question[found.start() : found.end()] if found else label)
    return Candidates(texts=tuple(shown), given=labels.index(norm), kind="labels")
