"""The option a chain settles on by weighing the options one by one, when no step states a choice.

Chains often go through the options in turn and give each a verdict, with no closing "so the answer is":
"Step 3: Analyze choice C: ... This matches the expected equation." / "Step 4: Analyze choice D: ... This is
incorrect." When exactly one option is judged right and at least one other is judged wrong, the chain has chosen
that option. The read is left out (the answer stays unplaced) where it would be a guess:

- the question asks for the exception ("Which is NOT ...", "... EXCEPT", "which is false"): there a verdict of
  "true" is against the option, and which way a chain means it is not read;
- two or more options are judged right ("Choices C and D are both correct"), or none is judged wrong;
- the last sentence that names an option names several ("the reduced mass (Choice_D) is directly related to the
  force constant (Choice_C)"): the chain ends comparing them, not on a verdict.

A verdict is read from the sentence that names the option and from the sentences after it until another option is
named: against it ("incorrect", "is not accurate", "contradicts", "less likely") before for it ("is correct",
"This matches", "aligns with", "makes sense"), so "not correct" is no verdict for it. "Correct" as a modifier
("double the correct frequency") is no verdict.

On the validation suite's Mr-Ben chains without their closing sentence (counted in aggregate, rules chosen
there), this read placed 132 of the 452 chains left unplaced, each time as the chain's own option; it places none
of our own rows, whose chains rarely weigh the options one by one.
"""

from __future__ import annotations

import re

from ._options import named_letters, question_body
from ._text import SENTENCE_SPLIT

_EXCEPTION_ASKED = re.compile(
    r"\b(?:not|except|least|false|incorrect|untrue|wrong|cannot|never|exception|inaccurate|fails?)\b|n't\b",
    re.IGNORECASE,
)
# Verdicts anywhere in a sentence about the option (``_options``' verdict patterns read a verdict where it closes an
# option step or follows a chosen letter, which chains that weigh each option in several sentences rarely do).
_AGAINST = re.compile(
    r"\b(?:incorrect|false|wrong|invalid|inaccurate|untrue|unlikely|implausible|irrelevant|contradicts?|cannot|"
    r"can't|does\s+not|doesn't|is\s+not|isn't|eliminat\w*|rul(?:e|ed)\s+out|too\s+(?:large|small|high|low)|"
    r"less\s+likely|not\s+(?:\w+\s+){0,2}?(?:correct|true|right|accurate|valid|supported|"
    r"the\s+(?:\w+\s+)?(?:answer|option|choice|explanation)))\b",
    re.IGNORECASE,
)
_RIGHT = r"(?:correct|true|right|accurate|valid|plausible|appropriate|reasonable|consistent|supported)"
_FOR = re.compile(
    r"\b(?:is|are|seems?|appears?|would\s+be|must\s+be)\s+(?:(?:also|thus|therefore|indeed|both|all)\s+)?"
    r"(?:the\s+)?(?:most\s+)?" + _RIGHT + r"\b"
    r"|\b(?:this|which|it|that)\s+(?:is\s+)?(?:also\s+)?" + _RIGHT + r"\b|^\W*" + _RIGHT + r"\b"
    r"|\b(?:matches|aligns\s+with|agrees\s+with|makes\s+sense|fits)\b",
    re.IGNORECASE,
)


def _verdicts(steps: list[str], options: dict[str, str]) -> tuple[dict[str, bool], frozenset[str]]:
    """Each option's last verdict (True: right, False: wrong) and the letters the last naming sentence names."""
    verdicts: dict[str, bool] = {}
    subject: frozenset[str] = frozenset()
    for step in steps:
        for sentence in SENTENCE_SPLIT.split(step):
            subject = named_letters(sentence, options) or subject
            if not subject:
                continue
            if _AGAINST.search(sentence):
                verdicts.update(dict.fromkeys(subject, False))
            elif _FOR.search(sentence):
                verdicts.update(dict.fromkeys(subject, True))
    return verdicts, subject


def tallied_choice(question: str, steps: list[str], options: dict[str, str]) -> str | None:
    """The one option the steps judge right while judging another wrong; None where that is not read."""
    if len(options) < 2 or _EXCEPTION_ASKED.search(question_body(question, options)):
        return None
    verdicts, last_named = _verdicts(steps, options)
    right = [letter for letter, verdict in verdicts.items() if verdict]
    if len(last_named) > 1 or len(right) != 1 or all(verdicts.values()):
        return None
    return right[0]
