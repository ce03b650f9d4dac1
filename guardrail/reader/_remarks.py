"""Sentences that comment on a result instead of stating it, left out when the conclusion is read.

* Checks: "12 * 12 = 144. Check: 144 / 12 = 12 ✓", "Verification: 55 - 40 = 15, which matches the pens",
  "Let's verify: 42 / 6 = 7". Their numbers are the check's working: read as the conclusion, the
  check passed a wrong 12 and blocked the right 144.
* Asides opened as such: "Note: with 8% sales tax the total would be 59.40.", "Incidentally, a dozen is 12.",
  "For reference, one book is 20.", unless they conclude ("Note that the total is therefore 55.").
* What would have been instead: "If she had bought 10 pens instead, she would get $7.50 back." (a case the
  question did not ask about; "instead", not "instead of", and "would" in one sentence).

A remark that concludes ("Check: ..., so the answer is 144") is read as usual.
"""

from __future__ import annotations

import re

from ._text import CONCLUDING_WORDS, SENTENCE_SPLIT

# A sentence that opens a check of what came before it. Weighing the options ("Checking each option:") is the
# rationale itself, and so is putting a value found back into an equation ("Substituting 12 back into J = 4N, John
# has 48": on our own rows such steps state the answer).
_CHECK_WORDS = r"check(?:ing)?|verif(?:y|ying|ication)|confirm(?:ing|ation)?|sanity[- ]check"
_CHECK_OPENER = re.compile(
    r"^[\W_]*(?:(?:let'?s|let\s+(?:us|me)|we\s+can|now|quick(?:ly)?|finally|to)\s+)?(?:double[- ]?)?"
    rf"(?:{_CHECK_WORDS})\b"
    r"(?!\s+(?:each|all|every|the)?\s*(?:of\s+the\s+)?(?:options?|choices?|answer\s+choices?)\b)",
    re.IGNORECASE,
)
# A sentence that says it is an aside.
_ASIDE_WORDS = (
    r"note\b|n\.?b\.|remark\b|incidentally\b|by\s+the\s+way\b|fun\s+fact\b|for\s+(?:reference|comparison|context)\b"
    r"|side\s+note\b|(?:as\s+an\s+)?aside\b|unrelated\b|p\.?\s?s\."
)
_ASIDE_OPENER = re.compile(rf"^[\W_]*(?:{_ASIDE_WORDS})", re.IGNORECASE)
# "instead of" compares within the question ("the calories he would have burnt running 5 hours instead of 2")
_INSTEAD = re.compile(r"\binstead\b(?!\s+of\b)", re.IGNORECASE)
_WOULD = re.compile(r"\bwould\b", re.IGNORECASE)
# A line that only heads a check ("Verification:", "### Check", "**Let's verify:**"): the lines under it are the
# check, up to a line that concludes or heads something else. ("Let's verify." ends a sentence: in "The answer
# should be 12. Let's verify. Jenny prints 175 pages ..." the working that follows is the rationale itself.)
_MARKUP = re.compile(r"^\s*#+\s*|[*_]+")
_ENDS_BLOCK = re.compile(
    r"^\W*(?:#|\*\*|(?:so|therefore|thus|hence|in\s+conclusion|final|the\s+(?:final\s+)?answer|answer)\b)"
    r"|\banswer\b|\\boxed",  # not a "so" inside a line: "55 - 40 = 15, so the pens are right" still checks
    re.IGNORECASE,
)
# Most steps check nothing: only a step with an opener's words somewhere is split into sentences.
_MAY_REMARK = re.compile(rf"{_CHECK_WORDS}|{_ASIDE_WORDS}|\binstead\b", re.IGNORECASE)


def _heads_check(step: str) -> bool:
    plain = _MARKUP.sub("", step).strip()
    headed = plain.endswith(":") or (step.lstrip().startswith(("#", "**")) and plain[-1:] not in ".!?")
    return headed and len(plain) <= 40 and bool(_CHECK_OPENER.match(plain))


def _is_remark(sentence: str) -> bool:
    """A check, an aside or a case instead of the one asked that does not conclude ("Note that the total is
    therefore 55." is read)."""
    instead = _INSTEAD.search(sentence) and _WOULD.search(sentence)
    opens = _CHECK_OPENER.match(sentence) or _ASIDE_OPENER.match(sentence) or instead
    return bool(opens) and not CONCLUDING_WORDS.search(sentence)


def without_remarks(steps: list[str]) -> list[str]:
    """``steps`` with the checks and asides left out (a step that was all remark becomes ""), index for index."""
    read: list[str] = []
    in_block = False
    for step in steps:
        if in_block and not _ENDS_BLOCK.search(step):
            read.append("")
            continue
        in_block = False
        if _heads_check(step):
            in_block = True
            read.append("")
            continue
        if not _MAY_REMARK.search(step):
            read.append(step)
            continue
        read.append(" ".join(s for s in SENTENCE_SPLIT.split(step) if not _is_remark(s)))
    return read
