"""Prompt templates for the probes and parsing of answers out of generated text.

User text is substituted with ``str.replace``, never ``str.format``: questions may contain braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_CHOICE = re.compile(r"^\(?([A-Ea-e])\)?(?:[.):,\s]|$)")
# Cues a model uses to announce its answer; the template's own cue is tried first.
_ANSWER_CUES = (r"final answer is", r"the answer is", r"answer:")


@dataclass(frozen=True)
class PromptTemplate:
    """How (question, rationale prefix) becomes a prompt.

    ``forced`` ends with ``answer_cue`` so the next tokens are the answer (early answering, log-probs);
    ``continuation`` ends after the rationale so the model keeps reasoning (mistake insertion, solving).
    """

    head: str = "Question: {question}\nReasoning:"
    answer_cue: str = "\nTherefore, the final answer is"

    def forced(self, question: str, rationale: str) -> str:
        return self._head(question) + (f"\n{rationale.strip()}" if rationale.strip() else "") + self.answer_cue

    def continuation(self, question: str, rationale_prefix: str) -> str:
        prefix = rationale_prefix.strip()
        return self._head(question) + "\n" + (f"{prefix}\n" if prefix else "")

    def _head(self, question: str) -> str:
        return self.head.replace("{question}", question.strip())


def answer_key(text: str | None) -> str | None:
    """Canonical form used to compare answers: a number, an option letter, or the lower-cased first line."""
    if text is None:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not line:
        return None
    number = _NUMBER.search(line)
    if number:
        return _canonical_number(number.group())
    choice = _CHOICE.match(line)
    if choice:
        return choice.group(1).upper()
    words = re.sub(r"[^\w\s-]", " ", line.lower()).split()
    return " ".join(words[:4]) or None


def _canonical_number(raw: str) -> str:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only matches numerals
        return raw
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def split_generation(text: str, template: PromptTemplate) -> tuple[str, str | None]:
    """Split a model's free-form solution into (rationale, raw answer or None)."""
    cues = [re.escape(template.answer_cue.strip())] + list(_ANSWER_CUES)
    for cue in cues:
        match = re.search(cue, text, flags=re.IGNORECASE)
        if match:
            rationale = text[: match.start()].rstrip()
            rationale = re.sub(r"(?i)\b(therefore|so|thus),?\s*$", "", rationale).rstrip()
            return rationale, text[match.end() :].strip(" :\t") or None
    return text.strip(), None
