"""``analyse(question, rationale, answer)``: what string analysis can establish about one triple.

It states, in explicit fields, the answer type, the normalised answer, the value / option / polarity the
rationale's concluding statement states, whether the two agree, and where else the answer occurs. The
verifier gets these as feature words next to the text (see ``guardrail._encoding``) so it does not have
to rediscover "is the answer the last number" from raw tokens, and can spend its capacity on the cases
string matching gets wrong.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .._types import AnswerType
from ._conclusion import find_conclusion, label_conclusion, looks_math, math_conclusion
from ._latex import without_units
from ._lists import concluded_values, listed_values
from ._mentions import MATCHERS
from ._numbers import (
    format_number,
    fraction,
    number_strings_in,
    option_value,
    parse_number,
    restated_values,
    scaled_values,
)
from ._options import parse_choice, parse_options, question_body
from ._polarity import opening_verdict, parse_yes_no, statement_verdict, verdict_as_answer
from ._remarks import without_remarks
from ._steps import split_steps
from ._support import derives_conclusion, topic_overlap
from ._tally import tallied_choice
from ._text import normalise_text, whole_word


Position = Literal["conclusion", "elsewhere", "absent"]


# A step's own number ("2.", "Step 3:", "**1)**") is no value it states: it is cut before the step is read.
_STEP_NUMBER = re.compile(
    r"^\s*(?:[#*>-]+\s*)?(?:step\s*\d+\s*[:.)]|\(?\d{1,2}[.)](?!\d))\s*(?:\*\*)?\s*", re.IGNORECASE
)


class AnswerAnalysis(BaseModel):
    """What string matching can establish about one (question, rationale, answer) triple."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    answer_type: AnswerType
    answer_norm: str  # "" when the answer could not be parsed as its type
    conclusion: str | None  # normalised value / option letter / polarity / text the rationale ends on
    agrees: bool | None  # answer == conclusion; None when either side is undeterminable
    answer_position: Position  # where the answer occurs in the rationale
    answer_in_question_only: bool  # the answer is stated in the question but nowhere in the rationale
    conclusion_step: int | None
    answer_steps: tuple[int, ...]  # steps that mention the answer
    n_steps: int
    topic_overlap: float | None = None  # in [0, 1]: share of the question's content words the rationale uses
    derived: bool | None = None  # a numeric conclusion is worked out, not only asserted; None: not numeric


def detect_answer_type(question: str, answer: str) -> AnswerType:
    """The answer's type: an option of the question's list, then yes/no, then a number, else free text."""
    options = parse_options(question)
    if options and parse_choice(answer, options) is not None:
        return AnswerType.CHOICE
    if parse_yes_no(answer) is not None:
        return AnswerType.YES_NO
    if parse_number(answer) is not None:
        return AnswerType.NUMERIC
    return AnswerType.TEXT


def normalise_answer(question: str, answer: str, answer_type: AnswerType | None = None) -> str:
    """The answer in its type's canonical form (option letter, "yes"/"no", ``format_number``, normalised
    text); "" when it cannot be read as that type."""
    answer_type = answer_type or detect_answer_type(question, answer)
    if answer_type is AnswerType.CHOICE:
        return parse_choice(answer, parse_options(question)) or ""
    if answer_type is AnswerType.YES_NO:
        return parse_yes_no(answer) or ""
    if answer_type is AnswerType.NUMERIC:
        number = parse_number(answer)
        return format_number(number) if number is not None else ""
    return normalise_text(without_units(answer))  # "4\\pi \\text{ cm}^2" is the value 4pi


# A long run of white space reads as a short one. Patterns that allow spaces on both sides of an optional word try
# every way of splitting a run between them: a run of 50,000 spaces took minutes. A run with line breaks keeps up
# to two, so steps split as before.
_LONG_SPACE = re.compile(r"\s{33,}")


# Markdown escapes read as the characters they escape: "Choice\_A" is "Choice_A", "16\*sqrt(3)" is "16*sqrt(3)".
_MARKDOWN_ESCAPE = re.compile(r"\\([_*])")


def _squeeze(text: str) -> str:
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    return _LONG_SPACE.sub(lambda run: "\n" * min(2, run.group(0).count("\n")) or " ", text)


def analyse(question: str, rationale: str, answer: str) -> AnswerAnalysis:
    """What string analysis can establish about the triple (see :class:`AnswerAnalysis`)."""
    question, rationale, answer = _squeeze(question), _squeeze(rationale), _squeeze(answer)
    answer_type = detect_answer_type(question, answer)
    norm = normalise_answer(question, answer, answer_type)
    steps = [_STEP_NUMBER.sub("", s.text, count=1) for s in split_steps(rationale)]
    matcher = MATCHERS[answer_type]
    options = parse_options(question) if answer_type is AnswerType.CHOICE else {}
    read = without_remarks(steps)  # the conclusion is read without checks and asides ("Check: 144 / 12 = 12")
    step_index, conclusion = _conclusion_of(read, answer_type, options)
    hits = tuple(i for i, text in enumerate(steps) if norm and matcher(text, norm, options))
    listed = listed_values(answer) if answer_type is AnswerType.TEXT else None
    if listed is not None:
        norm = ",".join(listed)
        conclusion = _list_conclusion(conclusion, read[step_index] if step_index is not None else "")
    elif conclusion is None and answer_type is AnswerType.TEXT and step_index is not None and norm:
        if looks_math(norm):
            conclusion = math_conclusion(read[step_index])
        if conclusion is None:
            conclusion = label_conclusion(read[step_index], norm, question)
    if conclusion is None and answer_type in (AnswerType.CHOICE, AnswerType.YES_NO):
        verdict = statement_verdict(question, steps)
        conclusion = verdict_as_answer(verdict, answer_type, options) if verdict else None
    if conclusion is None and answer_type is AnswerType.YES_NO:  # answered first, explained after: "No. A cat ..."
        conclusion = opening_verdict(rationale)
    if conclusion is None and answer_type is AnswerType.CHOICE:  # options weighed one by one, none stated chosen
        conclusion = tallied_choice(question, read, options)
    agrees = None if conclusion is None or not norm else _same_value(conclusion, norm, answer_type)
    if agrees is False and answer_type is AnswerType.NUMERIC and step_index is not None:
        # with the step before: a sentence split can part a restatement ("1000 cents, i.e." | "$10.")
        step = " ".join(read[max(0, step_index - 1) : step_index + 1])
        agrees = _same_quantity(conclusion, norm, step, answer)  # type: ignore[arg-type]
    if agrees:
        position: Position = "conclusion"
    else:
        position = "elsewhere" if hits else "absent"
    in_question = bool(norm) and matcher(question_body(question, options), norm, options)
    return AnswerAnalysis(
        answer_type=answer_type,
        answer_norm=norm,
        conclusion=conclusion,
        agrees=agrees,
        answer_position=position,
        answer_in_question_only=in_question and position == "absent",
        conclusion_step=step_index,
        answer_steps=hits,
        n_steps=len(steps),
        topic_overlap=_topic(question, rationale, options or parse_options(question)),
        derived=_derived(steps, step_index, conclusion, answer_type, options),
    )


def _conclusion_of(
    read: list[str], answer_type: AnswerType, options: dict[str, str]
) -> tuple[int | None, str | None]:
    """:func:`find_conclusion` over the steps that remain once remarks are left out, indexed as ``read`` is."""
    remaining = [i for i, step in enumerate(read) if step.strip()]
    index, conclusion = find_conclusion([read[i] for i in remaining], answer_type, options)
    if index is None:
        return (len(read) - 1 if read else None), conclusion
    return remaining[index], conclusion


def _list_conclusion(explicit: str | None, step: str) -> str | None:
    """An answer listing values ("3, -2") is concluded by the list the step states ("x = 3 or x = -2"), in any order;
    an explicit answer of one value ("the answer is 3") is no such list. A step that ends on no list leaves it
    unplaced: the roots are often stated one per step, and the last one alone is not the conclusion."""
    if explicit is not None:
        stated = listed_values(explicit)
        return ",".join(stated) if stated is not None else explicit
    stated = concluded_values(step)
    return ",".join(stated) if stated is not None else None


def _topic(question: str, rationale: str, options: dict[str, str]) -> float | None:
    return topic_overlap(question_body(question, options), rationale, tuple(options.values()))


def _derived(
    steps: list[str], step_index: int | None, conclusion: str | None, answer_type: AnswerType, options: dict[str, str]
) -> bool | None:
    """:func:`derives_conclusion` for a numeric conclusion (an option's number for a choice); else None."""
    if conclusion is None or step_index is None:
        return None
    value = fraction(conclusion) if answer_type is AnswerType.NUMERIC else None
    if answer_type is AnswerType.CHOICE and conclusion in options:
        value = option_value(options[conclusion])
    if value is None:
        return None
    return derives_conclusion([number_strings_in(step) for step in steps], step_index, format_number(value))


def _same_quantity(conclusion: str, norm: str, step: str, answer: str) -> bool:
    """Whether one side is the other written with a scale ("1.5 million" concluded, 1500000 answered, or the other
    way round), restated in another unit ("2 hours, or 120 minutes": 2 and 120) or as a percentage."""
    pair = (conclusion, norm)
    if pair in scaled_values(step) or pair[::-1] in scaled_values(answer) or pair in restated_values(step):
        return True
    return _same_percent(conclusion, norm, step, answer)


_PERCENT = re.compile(r"(\d(?:[\d,]*\d)?(?:\.\d+)?)\s*(?:%|percent\b)", re.IGNORECASE)


def _same_percent(conclusion: str, norm: str, step: str, answer: str) -> bool:
    """A percentage and its fraction: "50%" answered where the chain concludes 1/2 (or "50" where the concluding
    step also writes "50%"), or 0.5 answered where the step writes its result as "50%" (read as the number 50)."""
    stated, given = fraction(conclusion), fraction(norm)
    if stated is None or given is None:
        return False
    written = {fraction(match.group(1)) for match in _PERCENT.finditer(step)}  # the step's percentages
    if stated == given / 100:  # "50%" or "50" (the step says "50%") answered, 1/2 concluded
        return bool(_PERCENT.search(answer)) or given in written
    return given == stated / 100 and stated in written


def _same_value(conclusion: str, norm: str, answer_type: AnswerType) -> bool | None:
    """Equal, or (numbers) the answer is the conclusion rounded to the answer's decimals: 1/6 -> 0.1667. Words
    that one side names in part ("Shakespeare" against "William Shakespeare"; "Johnson" may be either president)
    are undeterminable, not a mismatch."""
    if conclusion == norm:
        return True
    if answer_type is AnswerType.TEXT and not looks_math(norm) and not looks_math(conclusion):
        shorter, longer = sorted((conclusion, norm), key=len)
        return None if whole_word(shorter).search(longer) else False
    if answer_type is not AnswerType.NUMERIC or "." not in norm:
        return False
    stated, given = fraction(conclusion), fraction(norm)
    if stated is None or given is None or stated.denominator == 1:
        return False
    decimals = min(len(x.rsplit(".", 1)[1]) if "." in x else 99 for x in (conclusion, norm))
    return abs(stated - given) <= Fraction(1, 2 * 10**decimals)
