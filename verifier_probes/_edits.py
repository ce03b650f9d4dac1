"""Text edits applied to one step of a rationale: corruption, control, deletion, filler.

Edits are deterministic (seeded by a stable hash of the text) so a probe run is reproducible.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from guardrail import Step

_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)")
_NEGATABLE = re.compile(r"\b(is|are|was|were|does|do|did|can|will|has|have|should|must)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(not|never|no longer)\s+", re.IGNORECASE)
# A control edit must leave the meaning intact: swap a connective/verb for a synonym, else add a
# neutral discourse marker. Pairs are tried in order; the first one found in the step is used.
_SYNONYMS = (
    ("so", "thus"), ("thus", "so"), ("then", "next"), ("next", "then"), ("total", "sum"),
    ("gets", "obtains"), ("equals", "is"), ("therefore", "hence"), ("because", "since"),
    ("we get", "we obtain"), ("which is", "that is"), ("each", "every"),
)


def stable_seed(*parts: object) -> int:
    return zlib.crc32("\x1f".join(map(str, parts)).encode("utf-8"))


def corrupt_text(text: str, seed: int = 0) -> str | None:
    """Change the step's last number (its conclusion), else negate its claim; ``None`` if neither applies."""
    numbers = list(_NUMBER.finditer(text))
    if numbers:
        match = numbers[-1]
        return text[: match.start()] + _shift_number(match.group(1), seed) + text[match.end() :]
    return negate_text(text)


def _shift_number(raw: str, seed: int) -> str:
    delta = 1 + seed % 9
    plain = raw.replace(",", "")
    if "." in plain:
        decimals = len(plain.split(".")[1])
        return f"{float(plain) + delta:.{decimals}f}"
    return str(int(plain) + delta)


def negate_text(text: str) -> str | None:
    """Remove an existing negation, or insert "not" after the first auxiliary verb."""
    negated = _NEGATED.search(text)
    if negated:
        return text[: negated.start()] + text[negated.end() :]
    aux = _NEGATABLE.search(text)
    if aux:
        return text[: aux.end()] + " not" + text[aux.end() :]
    return None


def control_text(text: str) -> str:
    """A meaning-preserving edit of the same size as a corruption, so the comparison is like for like."""
    for old, new in _SYNONYMS:
        match = re.search(rf"\b{re.escape(old)}\b", text, flags=re.IGNORECASE)
        if match:
            replacement = new.capitalize() if match.group()[0].isupper() else new
            return text[: match.start()] + replacement + text[match.end() :]
    return "Also, " + text if text[:1].isupper() or not text[:1].isalpha() else "also " + text


def replace_step(rationale: str, step: Step, new_text: str | None) -> str:
    """The rationale with ``step`` replaced (``None`` deletes the step and its line)."""
    if new_text is not None:
        return rationale[: step.start] + new_text + rationale[step.end :]
    before, after = rationale[: step.start], rationale[step.end :]
    after = re.sub(r"^\r?\n", "", after)  # drop the deleted step's line break, not the next line's
    return (before + after.lstrip(" ")).strip()


def prefix_through(rationale: str, steps: Sequence[Step], n_steps: int) -> str:
    """The rationale text up to the end of its first ``n_steps`` steps."""
    if n_steps <= 0 or not steps:
        return ""
    return rationale[: steps[min(n_steps, len(steps)) - 1].end]


def filler_text(n_tokens: int, token: str = "...") -> str:
    return " ".join([token] * max(1, n_tokens))
