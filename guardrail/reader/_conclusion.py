"""The concluding step: walk back from the rationale's end to the last step that states a value of the
answer's type, and read that value (a number, an option letter, a polarity, a label or a math expression).

Only the closing steps are read: asides in parentheses, filler ("Hope this helps") and values the step
rejects ("12, not 15") are skipped, so the value found is the one the rationale settles on.
"""

from __future__ import annotations

import re

from .._types import AnswerType
from ._latex import (
    SPACE_GROUPED,
    is_symbolic,
    is_symbolic_value,
    last_boxed,
    last_math_value,
    last_symbolic_value,
    math_canonical,
    math_value,
    strip_latex,
    without_units,
)
from ._lists import listed_values
from ._mentions import mentions_text
from ._numbers import (
    DIGIT,
    PRONOUN_ONE,
    first_value,
    format_number,
    fraction,
    number_strings_in,
    option_value,
    parse_number,
)
from ._options import (
    AMBIGUOUS,
    REJECTION_CUE,
    closing_rejections,
    cued_letter,
    equated_option,
    explicit_choice,
    kept,
    named_letters,
    option_by_text,
    settled_letter,
    text_options,
    weighed_letters,
)
from ._polarity import parse_yes_no, statement_polarity
from ._text import CONCLUDING_WORDS, CONCLUSION_CUE, SENTENCE_SPLIT, label_set, normalise_text, whole_word


# A closing remark in parentheses is an aside, not the conclusion: "(2,500 would be millimetres, not cm.)"
# (A LaTeX "\\( x = 2 \\)" is math, not an aside: a backslash before the parenthesis rules it out.)
_ASIDE = re.compile(r"^\s*(?<!\\)\((?=(?:[^()]*\s){2})[^()]*(?:\([^()]*\)[^()]*)*(?<!\\)\)[.!]?\s*$")
# (It starts where a run of spaces starts: tried from every space of a long run, it took time quadratic in the run.)
_TRAILING_ASIDE = re.compile(r"(?<!\s)\s*(?<!\\)\((?=(?:[^()]*\s){2})[^()]*(?<!\\)\)[.!]?\s*$")


# A rejected value: a letter, number or quote after any rejection cue; a word only where it is set against another
# value ("Na, not S", "but not oxygen", "rather than iron"). After a verb, "not" negates a predicate, and dropping
# the word would turn "choice D is not correct" into "choice D is correct". A bare letter is upper case: "not a
# valid choice" rejects no option "a" (dropping it turned "So, choice D is not a valid choice" into a choice of D).
_REJECTED = re.compile(
    REJECTION_CUE + r"(?:\([A-Pa-p]\)|(?-i:[A-P])\b\)?|\$?-?[\d.,/]*\d%?|'[^']{1,20}')"
    r"|(?:,\s*|\b(?:but|and)\s+)not\s+\w+|\b(?:rather\s+than|instead\s+of)\s+(?:the\s+)?\w+",
    re.IGNORECASE,
)


def without_rejections(step: str) -> str:
    """``step`` without a closing aside and without the values it rejects ("12, not 15" keeps 12; "D is not
    correct" keeps its "not")."""
    return _REJECTED.sub(" ", _TRAILING_ASIDE.sub("", step) or step)


_FILLER_STEP = re.compile(
    r"^\W*(?:that'?s|this is|hope|i hope|let me know|done|thus,? we are done|end)\b.{0,40}$|^\W*#*\s*answer\W*$",
    re.IGNORECASE,
)


def find_conclusion(
    steps: list[str], answer_type: AnswerType, options: dict[str, str]
) -> tuple[int | None, str | None]:
    """Walk back from the last step to the last one that states a value of the answer's type."""
    extract = _EXTRACTORS[answer_type]
    rejected, closing = closing_rejections(steps) if answer_type is AnswerType.CHOICE else ([], 0)
    # the conclusion is looked for in the last three steps only, not counting closing eliminations
    first = max(0, len(steps) - 3 - closing)
    if answer_type is not AnswerType.YES_NO:  # polarity reads its own negations
        steps = [*steps[:first], *(without_rejections(step) for step in steps[first:])]
    window = [i for i in range(len(steps) - 1, first - 1, -1)
              if not (_FILLER_STEP.match(steps[i]) and not DIGIT.search(steps[i])) and not _ASIDE.match(steps[i])]
    if answer_type is AnswerType.CHOICE and text_options(options):
        return _conclude_text_option(steps, window, options, rejected)
    # the step a choice is read from in full: the last one before the closing eliminations
    primary = next((i for i in window if i < len(steps) - closing), None)
    explained = _explanation_start(steps) if answer_type is AnswerType.NUMERIC else len(steps)
    for index in window:
        # a choice is read in full only from the primary step; the others need a cue (see _conclude_choice_cued)
        read = _conclude_choice_cued if answer_type is AnswerType.CHOICE and index != primary else extract
        value = read(steps[index], kept(options, rejected[index]) if rejected else options)
        if value is not None:
            if index >= explained and not CONCLUDING_WORDS.search(steps[index]):
                return index, None
            return index, (None if value == AMBIGUOUS else value)
        if answer_type is AnswerType.YES_NO:
            return index, None  # a final non-concluding fact: polarity undeterminable, don't look further
    return (len(steps) - 1 if steps else None), None


# An explanation given after its answer ("**Answer:** 55" then "**Explanation:** the pens bring 3 x 5 = 15 and the
# books 2 x 20 = 40"; the extractor takes the answer line out) sets out how the answer comes about, and its last
# number need not be the result: a number is read from it only where a step concludes ("so the total is 55"). (On
# our rows and the suite's items no rationale has such a label: the rule is for outputs written answer first.)
_EXPLANATION = re.compile(r"^[\W_]*(?:explanation|reasoning|rationale|justification)\s*(?:\**\s*)[:\-]", re.IGNORECASE)


def _explanation_start(steps: list[str]) -> int:
    """The index of the step that opens an explanation (``_EXPLANATION``); ``len(steps)`` when none does."""
    return next((i for i, step in enumerate(steps) if _EXPLANATION.match(step)), len(steps))


_ANSWER_NUMBER = re.compile(r"answer\s*(?:is|:|=)[\s:*]*(.{1,40})", re.IGNORECASE)


_END_CLAUSE = re.compile(
    r"(?:\bis|\bare|\bequals|=|\bbe|\bget|\bgives)\s*\$?\s*(-?[\d.,/]*\d|\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\})"
    r"\s*\$?\s*%?\s*(?:[a-zA-Z]+(?:\^\{?-?\d\}?)?\s*(?:[/·*]\s*)?){0,3}[.!]?\s*$"  # units: "m/s^2", "kg·m^{-3}"
)


def conclude_number(step: str, options: dict[str, str]) -> str | None:
    """The number a step ends on (canonical form): boxed, then after "answer is", then a closing clause ("is 72."),
    then after the last "=", then a trailing symbolic value, then the last number. A boxed or stated list of values
    is that list ("2,5"), which no one number equals."""
    with_numbers = [sentence for sentence in SENTENCE_SPLIT.split(step) if DIGIT.search(sentence)]
    sentence = with_numbers[-1] if with_numbers else step  # "... x = 2. The larger root is 3." ends on 3
    value = _number_ending(sentence)
    return AMBIGUOUS if value is not None and _one_of_spaced_groups(value, sentence) else value


def _one_of_spaced_groups(value: str, sentence: str) -> bool:
    """Whether ``value`` is a group of digits parted from another by a plain space ("200" in "1 200"): one number in
    many locales, two in a list ("pages 1 100"). Which the step means is not read, so such a conclusion is left
    unplaced, not guessed ("$110 000 - $11 000 = $99,000" still ends on 99000)."""
    for grouped in SPACE_GROUPED.finditer(sentence):
        if value in {str(int(group)) for group in grouped.group(0).split()}:
            return True
    return False


def _number_ending(step: str) -> str | None:
    boxed = last_boxed(step)
    if boxed is not None:
        if (listed := listed_values(boxed)) is not None:  # "\\boxed{2, 5}" concludes both roots, not the 2
            return ",".join(listed)
        number = parse_number(boxed)
        if number is not None:
            return format_number(number)
        if is_symbolic(boxed):  # "\\boxed{4\\pi}" concludes 4pi, not the 4 written in it
            return math_canonical(boxed)
    explicit = _ANSWER_NUMBER.search(step)
    if explicit:
        if (listed := listed_values(explicit.group(1))) is not None:  # "the answer is 2 and 5."
            return ",".join(listed)
        value = first_value(explicit.group(1).rsplit("=", 1)[-1])  # "answer is 10*6=60" -> 60
        if value is not None:
            return value
    clause = _END_CLAUSE.search(step)  # "..., the first term is $315$." / "= 72 clips altogether."
    if clause:
        value = first_value(clause.group(1))
        if value is not None:
            return value
    # "... = 75 bees that return in the last 6 hours": the result after the last "=" beats the last number
    equals = max(step.rfind("="), step.rfind("≈"), step.rfind("\\approx"))
    if equals >= 0:
        value = first_value(step[equals + 1 :].removeprefix("approx"))
        if value is not None:
            return value
    symbolic = last_symbolic_value(step)
    if symbolic is not None:
        return symbolic
    values = number_strings_in(step)
    if len(values) >= 3 and _OPENS_ON_TOTAL.match(step) and _adds_up(values):
        return values[0]
    if len(values) >= 2 and (result := _RESULT_THEN_CIRCUMSTANCES.match(step)):
        return first_value(result.group(1))
    # parts ("24 of them") and the pronoun "one" are no result
    without_parts = PRONOUN_ONE.sub(" ", _PART_OF.sub(" ", step))
    wholes = number_strings_in(without_parts) if without_parts != step else values
    return wholes[-1] if wholes else (values[-1] if values else None)


# A closing sentence that opens on its result: "So she sold 72 clips, 48 in April and 24 in May.", "In total, 72
# clips: ...", "72 clips in total: 48 in April plus 24 in May." (one that opens otherwise, "He had 10 apples, gave
# away 4, so 6 remain.", ends on its result).
_OPENS_ON_TOTAL = re.compile(
    r"^\W*(?:(?:so|therefore|thus|hence|in\s+total|altogether|overall)\b[^\d]{0,60})?\$?\d", re.IGNORECASE
)


# A closing sentence that states its result and then how it came about: "So Janet makes $18 every day at the market
# from selling 9 eggs.", "The shop earns $55 by selling 3 pens and 2 books." (a subject and verb, the result, a few
# words of unit or time, then one circumstance with the numbers it was made from, to the sentence's end). Read as
# the last number, 9 and 2 were taken for the result. A sentence that opens on a condition ("If he leaves $500 for
# five years, he will have $925"), computes ("400 J divided by 1.5 C"), goes on after a comma ("20 miles per hour
# for 6 hours, so it travels 120 miles") or to a value reached ("from 5 to -3", "= 12") ends on its result as before.
_RESULT_THEN_CIRCUMSTANCES = re.compile(
    r"^(?!.*(?:\b(?:to|reach(?:es|ed|ing)?|becomes?|became)\s+(?:minus\s+|negative\s+)?[$\u2212-]?\d|=))"
    r"\W*(?:(?:so|therefore|thus|hence|in\s+total|altogether|overall|in\s+all)\b,?\s+)?"
    r"(?!(?:if|when|whenever|since|because|after|before|once|while|although|though|as|for|with|at|on|in|by|from|"
    r"per|each)\b)"
    r"(?:[A-Za-z'\u2019-]+\s+){1,8}(?:a\s+total\s+of\s+|only\s+|exactly\s+|about\s+)?\**"
    r"(\$?\d[\d,]*(?:\.\d+)?)(?!\d|[.,]\d)\**\s*%?\s*"
    r"(?:(?!(?:divided|multiplied|times|plus|minus)\b)[A-Za-z'\u2019]+\s+){0,3}?(?:[A-Za-z]+,\s+)?"
    r"(?:from|by|for|after|on|at|selling|when|while|over|across|out\s+of)\s+[^,;]*\d[^,;]*$",
    re.IGNORECASE,
)


# A number given as a part of what the sentence counted: "She sold 72 clips altogether, 24 of them in May."
_PART_OF = re.compile(r"(?<![\w.])\d[\d,.]*\s+of\s+(?:them|which|these|those)\b", re.IGNORECASE)


def _adds_up(values: tuple[str, ...]) -> bool:
    """Whether the first number is the sum of the others, each a positive part ("0.75c minus 0.75c, or 0" is no
    total followed by its parts)."""
    numbers = [fraction(value) for value in values]
    parts = numbers[1:]
    return all(part is not None and part > 0 for part in parts) and numbers[0] == sum(parts)  # type: ignore[arg-type]


def _conclude_choice(step: str, options: dict[str, str]) -> str | None:
    return (explicit_choice(step, options) or settled_letter(step, options) or equated_option(step, options)
            or _agreeing(option_by_content(step, options), [step], options))


def _agreeing(value: str | None, steps: list[str], options: dict[str, str]) -> str | None:
    """``value`` read from an option's words or number, unless the steps it was read from name another option's
    letter ("Choice (B) is 48, which is too large; 6 x 7 gives 42"): chains that weigh the options one by one
    restate what they discuss, and a letter named against the words read leaves no conclusion (:data:`AMBIGUOUS`:
    nor is an earlier step's). On the suite's Mr-Ben chains without their closing (counted in aggregate), such
    reads were wrong 19 times in 38; on our own rows, 6 reads of 187,774 change. (Sparing a letter named as
    a comparison, "15 N, larger than in (B)", changed no own read and turned 2 of these back into wrong reads.)"""
    if value in (None, AMBIGUOUS):  # most steps read nothing: their letters are not looked for
        return value
    named = frozenset().union(*(named_letters(step, options) for step in steps))
    if not named:
        return value
    weighed = frozenset().union(*(weighed_letters(step) for step in steps))
    return value if {value} == named and value not in weighed else AMBIGUOUS


def _conclude_choice_cued(step: str, options: dict[str, str]) -> str | None:
    """A step before the last one concludes a choice only by a cue ("the answer is (B)", "so option B"): a number or
    a bare letter in the working ("I = 300 lumens", "(b) 4 x 10^-8") is a step on the way, not the choice
    (on MMLU-Pro chains without their closing sentence, such reads named the chain's own option in 29 of 94)."""
    return explicit_choice(step, options) or cued_letter(step, options)


def _conclude_text_option(
    steps: list[str], window: list[int], options: dict[str, str], rejected: list[frozenset[str]]
) -> tuple[int | None, str | None]:
    """Options that are words: a letter chosen (and not ruled out) in the last steps wins; else the option the
    last steps (read together: the deciding sentence and the facts it rests on) settle on, if they settle on
    one."""
    for index in window:
        remaining = kept(options, rejected[index])
        letter = explicit_choice(steps[index], remaining) or settled_letter(steps[index], remaining)
        if letter is not None:
            return index, (None if letter == AMBIGUOUS else letter)
    if not window:
        return (len(steps) - 1 if steps else None), None
    remaining = kept(options, frozenset().union(*(rejected[index] for index in window)))
    equated = equated_option(steps[window[0]], remaining)
    if equated is not None:
        return window[0], equated
    value = option_by_text("\n".join(steps[window[-1] : window[0] + 1]), remaining)
    value = _agreeing(value, [steps[index] for index in window], remaining)
    return window[0], (None if value == AMBIGUOUS else value)


def option_by_content(step: str, options: dict[str, str]) -> str | None:
    """Map the value / text the step ends on back to the option holding it."""
    by_value: dict[str, str] = {}
    numeric = False
    for letter, text in options.items():
        if (number := option_value(text)) is not None:
            value, numeric = format_number(number), True
        elif is_symbolic_value(text):  # beside numbers, "16*sqrt(3)" is matched by its canonical form
            value = math_canonical(text)
        else:
            continue
        by_value[value] = AMBIGUOUS if value in by_value else letter  # "1 m" and "1 km" both hold 1
    if numeric:
        # only the step's numeric conclusion ("= 11050") names an option; reading any other number of the step
        # that matches one named the chain's own option in 63 of 150 MMLU-Pro chains without their closing
        return by_value.get(conclude_number(step, options) or "")
    return option_by_text(step, options)


_ANSWER_TEXT = re.compile(r"answer\s*(?:is|:)\s*(.+?)\s*\.?\s*$", re.IGNORECASE)


def _conclude_yes_no(step: str, options: dict[str, str]) -> str | None:
    boxed = last_boxed(step)  # "\\boxed{\\text{No}}"
    if boxed is not None and (verdict := parse_yes_no(strip_latex(boxed))):
        return verdict
    sentences = SENTENCE_SPLIT.split(step.strip())
    return statement_polarity(sentences[-1]) if sentences else None


def _conclude_text(step: str, options: dict[str, str]) -> str | None:
    step = without_units(step)  # as the answer is read (normalise_answer)
    boxed = last_boxed(step)
    if boxed is not None:
        return normalise_text(boxed) or None
    explicit = _ANSWER_TEXT.search(step)
    if explicit:
        return normalise_text(explicit.group(1)) or None
    return None


_EXTRACTORS = {
    AnswerType.NUMERIC: conclude_number,
    AnswerType.CHOICE: _conclude_choice,
    AnswerType.YES_NO: _conclude_yes_no,
    AnswerType.TEXT: _conclude_text,
}


def math_conclusion(step: str) -> str | None:
    """A math answer written as an expression: the right side of the last "=" of the step's last sentence
    with one ("... so \\( x = \\frac{5}{2} \\)." concludes 5/2)."""
    step = without_units(step)
    boxed = last_boxed(step)
    if boxed is not None:
        return math_canonical(boxed)
    equals = max(step.rfind("="), step.rfind("\\approx"))
    if equals < 0:
        return last_math_value(step)
    return math_value(step[equals + 1 :].removeprefix("approx"))


def looks_math(norm: str) -> bool:
    """Whether a free-text answer looks like a math value (short, with a digit, a root or pi)."""
    return len(norm) <= 40 and bool(DIGIT.search(norm) or "sqrt" in norm or "pi" in norm)


_NEGATED_BEFORE = re.compile(r"\b(?:not|n't|never|no)\s+(?:\w+\s+){0,1}$")


# A label stated as the predicate ("72 is even", "the claim is not supported", "it is refuted").
_PREDICATE_BEFORE = re.compile(r"\b(?:is|are|was|were|be|been|as)\s+(?:not\s+)?(?:\w+\s+){0,1}$")


# The two alternatives a question closes on, each of up to four words: "... refer to: The fish or The worm?"
_CLOSING_ALTERNATIVES = re.compile(r"((?:[\w'-]+ ){0,3}[\w'-]+) or ((?:[\w'-]+ ){0,3}[\w'-]+)\W*$")


def _other_alternative(question: str, norm: str) -> str | None:
    """The alternative of the question's closing "X or Y" that ``norm`` is not, when it is one of them."""
    found = _CLOSING_ALTERNATIVES.search(question.strip()[-200:])
    if found is None:
        return None
    first, second = normalise_text(found.group(1)), normalise_text(found.group(2))
    if norm == first:
        return second or None
    return first or None if norm == second else None


def label_conclusion(step: str, norm: str, question: str) -> str | None:
    """Free text: which label the last step states. With a label set in the question ("even or odd"), the
    one label the step states ("not supported" counts as the other of two) when a mention is a verdict (the
    label as its sentence's predicate, or what a cue closes on: "Hence: even."); without one, only
    whether the step names the answer other than to reject it ("it is Na, not S" does not conclude S; free
    text has no extractor beyond "answer is")."""
    labels = label_set(question, norm)
    if not labels:
        if not CONCLUSION_CUE.search(step):
            return None  # a free-text answer merely mentioned ("because the trophy is big") is not concluded
        kept_text = without_rejections(step)
        if not mentions_text(kept_text, norm, {}):
            return None
        # the other of the question's two alternatives named too ("the fish was hungry so it ate the worm", asked
        # "The fish or The worm?"): the step names both, and which one it concludes is not read from word order
        other = _other_alternative(question, norm)
        return None if other and mentions_text(kept_text, other, {}) else norm
    stated, verdict = set(), False
    for sentence in SENTENCE_SPLIT.split(step):
        text, cued = normalise_text(sentence), bool(CONCLUSION_CUE.search(sentence))
        for label in labels:
            for match in whole_word(label).finditer(text):
                # a verdict: the label as the predicate, or as what a cue closes on ("Hence: even.")
                verdict = verdict or bool(_PREDICATE_BEFORE.search(text[: match.start()])) or (
                    cued and not text[match.end() :].strip())
                if not _NEGATED_BEFORE.search(text[: match.start()]):
                    stated.add(label)
                elif len(labels) == 2:  # of two labels, "not supported" states the other; of three, none
                    stated.add(labels[1] if label == labels[0] else labels[0])
    if not verdict:
        # "because john was angry" and "so john gave up" name a label as a subject: a mention, not a verdict
        return None
    # A step that states two labels ("the trophy is too big for the suitcase") settles on neither: which one it
    # means is not a matter of which comes last.
    return stated.pop() if len(stated) == 1 else None
