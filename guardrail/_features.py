"""Answer normalisation and answer-match analysis, shared by the runtime verifier and training.

``analyse(question, rationale, answer)`` states, in explicit fields, what a regex can know about the
triple: the answer type, the normalised answer, the value / option / polarity the rationale's concluding
statement states, whether the two agree, and where else the answer occurs. The verifier gets these as
feature words next to the text (see ``_encoding``) so it does not have to rediscover "is the answer the
last number" from raw tokens, and can spend its capacity on the cases the regex gets wrong.

Everything here is stdlib + pydantic, precompiled regexes, linear in the input length.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ._latex import MATH_HINT, is_symbolic, math_canonical
from ._steps import split_steps
from ._support import content_keys, derives_conclusion, topic_overlap
from ._types import AnswerType

Position = Literal["conclusion", "elsewhere", "absent"]

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z]+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[)\]\"']?\s+")
_ANSWER_NUMBER = re.compile(r"answer\s*(?:is|:|=)[\s:*]*(.{1,40})", re.IGNORECASE)
_ANSWER_TEXT = re.compile(r"answer\s*(?:is|:)\s*(.+?)\s*\.?\s*$", re.IGNORECASE)


@lru_cache(maxsize=512)
def _whole_word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")


@lru_cache(maxsize=16)
def _letter_mention(letter: str) -> re.Pattern[str]:
    return re.compile(
        rf"\(({letter})\)|\b(?:option|choice|answer)[\s_]*(?:is\s*)?{letter}\b|\b{letter}\)", re.IGNORECASE
    )

# ---------------------------------------------------------------------------------------------- numbers

_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUES: dict[str, int] = {w: i for i, w in enumerate(_SMALL)}
_WORD_VALUES.update({w: 20 + 10 * i for i, w in enumerate(_TENS)})
_WORD_ALT = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))
_NUMBER_WORDS = re.compile(
    rf"\b(?P<tens>{'|'.join(_TENS)})[\s-](?P<unit>{'|'.join(_SMALL[1:10])})\b|\b(?P<word>{_WORD_ALT})\b"
    r"(?:\s+(?P<scale>hundred|thousand|million))?",
    re.IGNORECASE,
)
# A number token: optional sign, digits with thousands separators, decimals, an optional "/denominator"
# written without spaces (a fraction like 3/4; "48 / 2" is left as two numbers).
# A unit glued to the number ("2km", "5kg", "3rd") is allowed after it; a letter before it ("x2") is not.
_NUMBER = re.compile(r"(?<![\w.])(-)?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:/(\d+(?:\.\d+)?))?(?![\d_])")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*(-?[\d.,]+)\s*\}\s*\{\s*(-?[\d.,]+)\s*\}")
_LATEX_NOISE = re.compile(r"\\(?:left|right|!|,|;|quad|displaystyle|text|mathrm|textbf|mbox|\(|\)|\[|\])|\\\s")
_MIXED_NUMBER = re.compile(r"(\d)\s*(\\[dt]?frac)")  # 10\frac{1}{12} is 10 + 1/12, not 101/12
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_WRITTEN_FRACTION = re.compile(r"\d\s*/\s*\d|\\frac")
_VAR_PREFIX = re.compile(r"^\s*[a-z]\s*=\s*", re.IGNORECASE)
_UNIT_TAIL = re.compile(r"^([-+]?[\d.,/]+)\s*(%|percent|[a-z][a-z .]{0,30})?$", re.IGNORECASE)


def number_words(n: int) -> str | None:
    """``n`` in words for 0..99 ("forty-two"), the forms ``_words_to_digits`` reads back; None otherwise."""
    if 0 <= n < 20:
        return _SMALL[n]
    if 20 <= n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_SMALL[ones]}" if ones else "")
    return None


def _fraction(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


def format_number(value: Fraction) -> str:
    """Canonical string: integers without decimals, others rounded to 6 places, no trailing zeros."""
    if value.denominator == 1:
        return str(value.numerator)
    try:
        text = f"{float(value):.6f}"
    except OverflowError:  # beyond float range ("1/0.000...1"): round exactly instead
        scaled = round(value * 1_000_000)
        whole, fraction = divmod(abs(scaled), 1_000_000)
        text = f"{'-' if scaled < 0 else ''}{whole}.{fraction:06d}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _words_to_digits(text: str) -> str:
    # Why the pre-check: most steps name no number word and the regex sub costs ~6x a substring scan.
    # It is exact for ASCII text (non-ASCII case folding, e.g. the long s, is left to the regex).
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in _WORD_VALUES):
            return text

    def repl(match: re.Match[str]) -> str:
        # casefold, and .get: the regex ignores case the Unicode way, so "ſix" (long s) and "SİX" match too
        # and must neither raise nor be misread; a word with no plain spelling stays as written
        if match.group("tens"):
            tens, unit = (_WORD_VALUES.get(match.group(g).casefold()) for g in ("tens", "unit"))
            return match.group(0) if tens is None or unit is None else str(tens + unit)
        value = _WORD_VALUES.get(match.group("word").casefold())
        if value is None:
            return match.group(0)
        scale = (match.group("scale") or "").casefold()
        return str(value * {"hundred": 100, "thousand": 1000, "million": 1000000}.get(scale, 1))

    return _NUMBER_WORDS.sub(repl, text)


def _strip_latex(text: str) -> str:
    boxed = _BOXED.findall(text)
    if boxed:
        text = boxed[-1]
    text = _LATEX_FRAC.sub(lambda m: f"{m.group(1)}/{m.group(2)}", _MIXED_NUMBER.sub(r"\1 \2", text))
    text = _LATEX_NOISE.sub(" ", text)
    return text.replace("$", " ").replace("{", "").replace("}", "")


def parse_number(answer: str) -> Fraction | None:
    """The number an answer string states ("$1,234.50", "18 dollars", "eighteen", "\\frac{1}{2}", "50%");
    None for a symbolic value ("4\\pi", "\\sqrt{3}"), which is not the number written in it."""
    if is_symbolic(answer):
        return None
    text = _ANSWER_PREFIX.sub("", _strip_latex(answer)).strip().rstrip(".").strip()
    scientific = _SCIENTIFIC.match(text)
    if scientific:
        mantissa = _fraction(scientific.group(1).replace("−", "-"))
        exponent = int((scientific.group(2) or scientific.group(3)).replace("−", "-"))
        return mantissa * Fraction(10) ** exponent if mantissa is not None and abs(exponent) <= 300 else None
    text = _VAR_PREFIX.sub("", _words_to_digits(text)).replace("−", "-").strip()
    match = _UNIT_TAIL.match(text)
    if not match or not _DIGIT.search(match.group(1)):
        return _sole_number(text)
    return _fraction(match.group(1).rstrip(".,"))


# "2.4 × 10^5 m/s", "2.4 x 10^{-3}", "2.4 \\times 10^5", "2.4e5": mantissa times a power of ten, then a unit
_SCIENTIFIC = re.compile(
    r"^([-+−]?\d+(?:\.\d+)?)\s*(?:(?:×|x|\*|\\times|\\cdot|·)\s*10\s*\^\s*\(?([-+−]?\d{1,3})\)?|[eE]([-+]?\d{1,3}))"
    r"\s*(?:[a-zA-Z°/%][\w/^ .-]{0,30})?$"
)
_SHORT_ANSWER_WORDS = 12


def _sole_number(text: str) -> Fraction | None:
    """A short answer sentence that states exactly one number ("She needs $5 more.", "80 km/h") states that
    number; longer texts, or texts with several numbers ("40_9", "3 of 7"), stay free text."""
    if len(text.split()) > _SHORT_ANSWER_WORDS or _WRITTEN_FRACTION.search(text):
        return None
    found = number_strings_in(text)
    return Fraction(found[0]) if len(found) == 1 else None


def numbers_in(text: str) -> list[Fraction]:
    """Every number in running text, in order (a written fraction yields its parts and then its value)."""
    return [Fraction(value) for value in number_strings_in(text)]


_MAX_DIGITS = 300  # a longer digit run is read as no number (float range ends near 1e308)


@lru_cache(maxsize=2048)
def number_strings_in(text: str) -> tuple[str, ...]:
    """Every number in running text as a canonical string (``format_number``), in order; a written fraction
    ("3/4", "\\frac{3}{4}") yields its numerator, its denominator and then its value. Cached: the same steps
    are scanned for the conclusion and for answer mentions."""
    text = _strip_latex_inline(_words_to_digits(text))
    found: list[str] = []
    for match in _NUMBER.finditer(text):
        sign, digits, denominator = match.groups()
        if len(digits) > _MAX_DIGITS:  # no quantity; and int() refuses strings over 4,300 digits
            continue
        if not denominator and "." not in digits:
            found.append(str(int(f"{sign or ''}{digits.replace(',', '')}")))
            continue
        numerator = _fraction(f"{sign or ''}{digits}")
        if numerator is None:
            continue
        found.append(format_number(numerator))
        if denominator:
            den = _fraction(denominator)
            found.append(format_number(den if den is not None else numerator))
            if den:
                found.append(format_number(numerator / den))
    return tuple(found)


def _strip_latex_inline(text: str) -> str:
    if "\\" not in text:
        return text
    text = _LATEX_FRAC.sub(lambda m: f"{m.group(1)}/{m.group(2)}", _MIXED_NUMBER.sub(r"\1 \2", text))
    return _LATEX_NOISE.sub(" ", text)


# ---------------------------------------------------------------------------------------------- choices

# An option: "(A) x", "A) x", "A)x", "A. x", "A: x", "a) x"; one per line or several on one line (up to 16, A-P).
# The text runs to the next option marker, the end of the line, or the end of the text.
_MARKER = r"(?:\(([A-Pa-p])\)|([A-Pa-p])[).:])"
_OPTION = re.compile(
    rf"(?:^|(?<=\s)){_MARKER}[ \t]*(\S.*?)(?=[ \t]+(?:\([A-Pa-p]\)|[A-Pa-p][).:])|[ \t]*\r?\n|[ \t]*$)", re.MULTILINE
)
_LETTERS = "ABCDEFGHIJKLMNOP"
# "B", "(B)", "Option B", "Choice_B", "the answer is B", "B) 12", "B)12", "b."
_ANSWER_LETTER = re.compile(
    r"^\s*(?:the\s+)?(?:(?:correct\s+)?(?:answer|option|choice)[\s_]*)?(?:is|:)?\s*[(\[]?([A-Pa-p])"
    r"(?:[)\].:]\s*.*)?$",
    re.IGNORECASE,
)
_LETTER_IN_TEXT = re.compile(
    r"(?:answer|option|choice)[\s_*]*(?:is|would be|must be|=|:)?[\s*]*[(\[]?([A-P])\b[)\]]?|\(([A-P])\)|\b([A-P])\)",
    re.IGNORECASE,
)
_BARE_LETTER_END = re.compile(r"(?:^|\s)\**([A-P])\**\s*[.!]?\s*$")


def parse_options(question: str) -> dict[str, str]:
    """Options written in the question: "(A) 12 (B) 15 ..." or one "A) 12" / "A. 12" per line."""
    return dict(_option_run(question)[0])


@lru_cache(maxsize=256)  # one question is parsed several times per analysis; callers get copies
def _option_run(question: str) -> tuple[tuple[tuple[str, str], ...], tuple[int, int]]:
    """The longest run of options lettered A, B, C, ... in order (the last one on ties), and its span.

    Real option lists start at A and are consecutive; a stray "(B)" in a hint or "Mr. A." in prose is not
    part of a run, so it neither adds an option nor overwrites one.
    """
    best: tuple[tuple[tuple[str, str], ...], tuple[int, int]] = ((), (0, 0))
    run: dict[str, str] = {}
    start = end = 0
    lower = False  # a run is all upper case ("A) B) C)") or all lower case ("a) b) c)")
    for match in _OPTION.finditer(question):
        raw = match.group(1) or match.group(2)
        letter = raw.upper()
        if letter == _LETTERS[len(run) : len(run) + 1] and run and raw.islower() == lower:
            run[letter], end = match.group(3).strip(), match.end()
        elif letter == "A":
            run, start, end, lower = {"A": match.group(3).strip()}, match.start(), match.end(), raw.islower()
        else:
            continue
        if len(run) >= 2 and len(run) >= len(best[0]):
            best = (tuple(run.items()), (start, end))
    return best


def parse_choice(answer: str, options: dict[str, str]) -> str | None:
    """The option letter an answer names: "(B)", "B)", "option b", "the answer is B", or an option's text."""
    match = _ANSWER_LETTER.match(answer.strip().strip("*_ "))
    if match and match.group(1).upper() in options:
        return match.group(1).upper()
    norm = normalise_text(answer)
    number = parse_number(answer)
    for letter, text in options.items():
        if norm and norm == normalise_text(text):
            return letter
        if number is not None and parse_number(text) == number:
            return letter
    return None


# ---------------------------------------------------------------------------------------------- yes/no

_YES = {"yes", "true", "correct", "yep", "affirmative"}
_NO = {"no", "false", "incorrect", "nope"}  # not "negative": a sentiment label, not a verdict
_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|won't|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|couldn't|"
    r"wouldn't|shouldn't|hasn't|haven't|hadn't|impossible|unlikely|false|incorrect|neither|nor|none|"
    r"nobody|nothing|unable|lacks?|fails?)\b|n't\b",
    re.IGNORECASE,
)
_EXPLICIT_POLARITY = re.compile(
    r"(?:answer\s*(?:is|:)|^|[.:;!?]\s+|\bso,?\s+|therefore,?\s+|thus,?\s+)\**\s*(yes|no|true|false)\b",
    re.IGNORECASE,
)
_FINAL_POLARITY = re.compile(r"(?:\bis|\bwas|:)\s+\**\s*(yes|no|true|false)\b\**\s*[.!]?\s*$", re.IGNORECASE)
_CONCLUSION_CUE = re.compile(
    r"\b(?:so|therefore|thus|hence|consequently|answer|conclude|conclusion|overall|in total|altogether|"
    r"in summary|final|result|means|which means|that means)\b|\\boxed|=",
    re.IGNORECASE,
)


def parse_yes_no(answer: str) -> str | None:
    if "\\" in answer or _DIGIT.search(answer):  # LaTeX or numbers ("\\left(...\\right)") are no verdict
        return None
    words = _WORD.findall(answer.casefold())
    if 1 <= len(words) <= 3:
        if words[-1] in _YES or words[0] in _YES:
            return "yes"
        if words[-1] in _NO or words[0] in _NO:
            return "no"
    return None


def statement_polarity(sentence: str) -> str | None:
    """ "yes"/"no" that a concluding sentence asserts; None when it asserts nothing recognisable."""
    final = _FINAL_POLARITY.search(sentence)  # '... is No.' wins over words quoted before it
    if final:
        return "yes" if final.group(1).lower() in ("yes", "true") else "no"
    explicit = _EXPLICIT_POLARITY.findall(sentence)
    if explicit:
        return "yes" if explicit[-1].lower() in ("yes", "true") else "no"
    if not _CONCLUSION_CUE.search(sentence):
        return None
    negations = len(_NEGATION.findall(sentence))
    return "no" if negations % 2 else "yes"


# ---------------------------------------------------------------------------------------------- text

_ARTICLES = re.compile(r"\b(?:the|a|an)\b")
_PUNCT = re.compile(r"[^\w\s=+\-*/^().,<>]")
_SPACE_OPS = re.compile(r"\s*([=+\-*/^<>,])\s*")
_ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", re.IGNORECASE)


_MATH_ANSWER_CHARS = 60  # a math answer ("\\frac{\\sqrt{3}}{2}", "4\\pi") is short; longer text stays words


def normalise_text(text: str) -> str:
    if len(text) <= _MATH_ANSWER_CHARS and (MATH_HINT.search(text) or is_symbolic(text)):
        boxed = _BOXED.findall(text)
        return math_canonical(_ANSWER_PREFIX.sub("", boxed[-1] if boxed else text))
    text = _ANSWER_PREFIX.sub("", _strip_latex(text)).casefold()
    text = _ARTICLES.sub(" ", _PUNCT.sub(" ", text))
    text = _SPACE_OPS.sub(r"\1", " ".join(text.split()))
    return text.strip(" .,*")


# ---------------------------------------------------------------------------------------------- analysis


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
    options = parse_options(question)
    if options and parse_choice(answer, options) is not None:
        return AnswerType.CHOICE
    if parse_yes_no(answer) is not None:
        return AnswerType.YES_NO
    if parse_number(answer) is not None:
        return AnswerType.NUMERIC
    return AnswerType.TEXT


def normalise_answer(question: str, answer: str, answer_type: AnswerType | None = None) -> str:
    answer_type = answer_type or detect_answer_type(question, answer)
    if answer_type is AnswerType.CHOICE:
        return parse_choice(answer, parse_options(question)) or ""
    if answer_type is AnswerType.YES_NO:
        return parse_yes_no(answer) or ""
    if answer_type is AnswerType.NUMERIC:
        number = parse_number(answer)
        return format_number(number) if number is not None else ""
    return normalise_text(answer)


def analyse(question: str, rationale: str, answer: str) -> AnswerAnalysis:
    answer_type = detect_answer_type(question, answer)
    norm = normalise_answer(question, answer, answer_type)
    steps = [_STEP_NUMBER.sub("", s.text, count=1) for s in split_steps(rationale)]
    matcher = _MATCHERS[answer_type]
    options = parse_options(question) if answer_type is AnswerType.CHOICE else {}
    step_index, conclusion = _find_conclusion(steps, answer_type, options)
    hits = tuple(i for i, text in enumerate(steps) if norm and matcher(text, norm, options))
    if conclusion is None and answer_type is AnswerType.TEXT and step_index is not None and norm:
        if _looks_math(norm):
            conclusion = _math_conclusion(steps[step_index])
        if conclusion is None:
            conclusion = _label_conclusion(steps[step_index], norm, question)
    if conclusion is None and answer_type in (AnswerType.CHOICE, AnswerType.YES_NO):
        verdict = _statement_verdict(question, steps)
        conclusion = _verdict_as_answer(verdict, answer_type, options) if verdict else None
    agrees = None if conclusion is None or not norm else _same_value(conclusion, norm, answer_type)
    if agrees:
        position: Position = "conclusion"
    else:
        position = "elsewhere" if hits else "absent"
    in_question = bool(norm) and matcher(_question_body(question, options), norm, options)
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
        topic_overlap=topic_overlap(_question_body(question, options or parse_options(question)), rationale),
        derived=_derived(steps, step_index, conclusion, answer_type, options),
    )


# "Is the following statement true or false? Max is not sour." / "True or false: ..." / "..., or unknown? S"
_STATEMENT = re.compile(
    r"\b(?:true|correct)\s*(?:,\s*false\s*,?)?\s*or\s+(?:false|incorrect|not)(?:\s*,?\s*or\s+(?:unknown|uncertain))?"
    r"\s*[?:.]\s*(?P<statement>[^\n?]{3,300})",
    re.IGNORECASE,
)
_STATEMENT_SENTENCES = 4  # the verdict is read from the rationale's closing sentences only


def _statement_verdict(question: str, steps: list[str]) -> str | None:
    """For a question asking whether a statement is true: "true" when a closing sentence of the rationale
    states it, "false" when one states its negation (same content words, the other negation parity); None
    when no closing sentence restates it (the verdict is then not read, never guessed)."""
    found = _STATEMENT.search(question)
    if not found:
        return None
    statement = found.group("statement").strip()
    wanted = content_keys(_NEGATION.sub(" ", statement))
    if not wanted:
        return None
    polarity = len(_NEGATION.findall(statement)) % 2
    sentences = [x for step in steps[-_STATEMENT_SENTENCES:] for x in _SENTENCE_SPLIT.split(step) if x.strip()]
    for sentence in reversed(sentences[-_STATEMENT_SENTENCES:]):
        if content_keys(_NEGATION.sub(" ", sentence)) == wanted:
            return "true" if len(_NEGATION.findall(sentence)) % 2 == polarity else "false"
    return None


def _verdict_as_answer(verdict: str, answer_type: AnswerType, options: dict[str, str]) -> str | None:
    """A true/false verdict as the answer's kind of value: "yes"/"no", or the letter of the True/False option."""
    if answer_type is AnswerType.YES_NO:
        return "yes" if verdict == "true" else "no"
    wanted = {"true": ("true", "yes", "correct"), "false": ("false", "no", "incorrect")}[verdict]
    letters = [letter for letter, text in options.items() if normalise_text(text) in wanted]
    return letters[0] if len(letters) == 1 else None


def _derived(
    steps: list[str], step_index: int | None, conclusion: str | None, answer_type: AnswerType, options: dict[str, str]
) -> bool | None:
    """:func:`derives_conclusion` for a numeric conclusion (an option's number for a choice); else None."""
    if conclusion is None or step_index is None:
        return None
    value = _fraction(conclusion) if answer_type is AnswerType.NUMERIC else None
    if answer_type is AnswerType.CHOICE and conclusion in options:
        value = parse_number(options[conclusion])
    if value is None:
        return None
    return derives_conclusion([number_strings_in(step) for step in steps], step_index, format_number(value))


def _same_value(conclusion: str, norm: str, answer_type: AnswerType) -> bool:
    """Equal, or (numbers) the answer is the conclusion rounded to the answer's decimals: 1/6 -> 0.1667."""
    if conclusion == norm:
        return True
    if answer_type is not AnswerType.NUMERIC or "." not in norm:
        return False
    stated, given = _fraction(conclusion), _fraction(norm)
    if stated is None or given is None or stated.denominator == 1:
        return False
    decimals = min(len(x.rsplit(".", 1)[1]) if "." in x else 99 for x in (conclusion, norm))
    return abs(stated - given) <= Fraction(1, 2 * 10**decimals)


_ALTERNATIVES = re.compile(r"\b((?:[\w-]+,\s*)*[\w-]+),?\s+or\s+([\w-]+)\b")
_NEGATED_BEFORE = re.compile(r"\b(?:not|n't|never|no)\s+(?:\w+\s+){0,1}$")


def _label_conclusion(step: str, norm: str, question: str) -> str | None:
    """Free text: which label the last step states. With a label set in the question ("even or odd"), the
    last label named in the step wins ("not supported" counts as the other of two) when the step concludes
    (a cue, or the label as its predicate); without one, only
    whether the step names the answer other than to reject it ("it is Na, not S" does not conclude S; free
    text has no extractor beyond "answer is")."""
    labels = _label_set(question, norm)
    if not labels:
        if not _CONCLUSION_CUE.search(step):
            return None  # a free-text answer merely mentioned ("because the trophy is big") is not concluded
        return norm if _mentions_text(_without_rejections(step), norm, {}) else None
    text = normalise_text(step)
    best, best_at, predicate = None, -1, False
    for label in labels:
        for match in _whole_word(label).finditer(text):
            predicate = predicate or bool(_PREDICATE_BEFORE.search(text[: match.start()]))
            if len(labels) > 2 and _NEGATED_BEFORE.search(text[: match.start()]):
                continue  # of three labels, "not refuted" names none; of two, it names the other (below)
            if match.start() > best_at:
                best, best_at = label, match.start()
    if best is None or not (predicate or _CONCLUSION_CUE.search(step)):
        return None  # "because john was angry" names a label as the subject: a mention, not a verdict
    if len(labels) == 2 and _NEGATED_BEFORE.search(text[:best_at]):
        best = labels[1] if best == labels[0] else labels[0]
    return best


# A label stated as the predicate ("72 is even", "the claim is not supported", "it is refuted").
_PREDICATE_BEFORE = re.compile(r"\b(?:is|are|was|were|be|been|as)\s+(?:not\s+)?(?:\w+\s+){0,1}$")


def _label_set(question: str, norm: str) -> list[str]:
    """The label set a question offers that contains the answer ("even or odd", "a, b, or c"), else []."""
    for match in _ALTERNATIVES.finditer(question.casefold()):
        labels = [x.strip() for x in match.group(1).split(",") if x.strip()] + [match.group(2)]
        if norm in labels and not _FUNCTION_WORDS.intersection(labels):  # "trophy or the suitcase" is no set
            return labels
    return []


def _question_body(question: str, options: dict[str, str]) -> str:
    """The question without its option list (every option letter is "in" the question otherwise)."""
    if not options:
        return _ALTERNATIVES.sub(" ", question.casefold())  # a label set ("even or odd") is no hint
    start, end = _option_run(question)[1]
    return f"{question[:start]} {question[end:]}"


# A closing remark in parentheses is an aside, not the conclusion: "(2,500 would be millimetres, not cm.)"
# (A LaTeX "\\( x = 2 \\)" is math, not an aside: a backslash before the parenthesis rules it out.)
_ASIDE = re.compile(r"^\s*(?<!\\)\((?=(?:[^()]*\s){2})[^()]*(?:\([^()]*\)[^()]*)*(?<!\\)\)[.!]?\s*$")
_TRAILING_ASIDE = re.compile(r"\s*(?<!\\)\((?=(?:[^()]*\s){2})[^()]*(?<!\\)\)[.!]?\s*$")
# "X, not Y" / "so not (D)" / "which rules out A" / "rather than 12": the rejected value is no conclusion.
_REJECTION_CUE = (
    r"\b(?:not|isn't|rather\s+than|instead\s+of|rules?\s+out|ruling\s+out|eliminates?|excluding)\s+"
    r"(?:the\s+)?(?:option\s+|answer\s+|choice\s+)?"
)
_REJECTED = re.compile(
    _REJECTION_CUE + r"(?:\([A-Pa-p]\)|[A-P]\b\)?|\$?-?[\d.,/]*\d%?|'[^']{1,20}'|\w+)", re.IGNORECASE
)


def _without_rejections(step: str) -> str:
    return _REJECTED.sub(" ", _TRAILING_ASIDE.sub("", step) or step)


# Option letters a step rules out, before ("not (D)", "rules out A") or after the letter ("(A) is wrong",
# "B is not the answer", "(A) bank does not fit"). Letters are upper case only: "not a prime" rejects nothing.
_LETTER_REJECTED_BEFORE = re.compile(f"(?i:{_REJECTION_CUE})" + r"(?:\(([A-P])\)|\b([A-P])\b)")
_LETTER_REJECTED_AFTER = re.compile(
    r"(?:\(([A-P])\)(?:\s+[\w'-]+){0,3}?|\b([A-P])\b)\s+(?i:(?:(?:is|are|was|would\s+be|seems)\s+"
    r"(?:not\s+(?:right|correct|true|valid|it|the\s+(?:\w+\s+)?answer)|wrong|incorrect|invalid|false|ruled\s+out)"
    r"|(?:does\s+not|doesn't|cannot|can't)\s+(?:fit|work|be\s+(?:right|correct|true|it|the\s+answer)))\b)"
)


def rejected_letters(step: str) -> frozenset[str]:
    """The option letters ``step`` rules out (elimination sentences name them without choosing them)."""
    return frozenset(
        letter
        for pattern in (_LETTER_REJECTED_BEFORE, _LETTER_REJECTED_AFTER)
        for match in pattern.finditer(step)
        for letter in match.groups()
        if letter
    )


_STEP_NUMBER = re.compile(
    r"^\s*(?:[#*>-]+\s*)?(?:step\s*\d+\s*[:.)]|\(?\d{1,2}[.)](?!\d))\s*(?:\*\*)?\s*", re.IGNORECASE
)
_FILLER_STEP = re.compile(
    r"^\W*(?:that'?s|this is|hope|i hope|let me know|done|thus,? we are done|end)\b.{0,40}$|^\W*#*\s*answer\W*$",
    re.IGNORECASE,
)


def _find_conclusion(
    steps: list[str], answer_type: AnswerType, options: dict[str, str]
) -> tuple[int | None, str | None]:
    """Walk back from the last step to the last one that states a value of the answer's type."""
    extract = _EXTRACTORS[answer_type]
    rejected, closing = _closing_rejections(steps) if answer_type is AnswerType.CHOICE else ([], 0)
    # the conclusion is looked for in the last three steps only, not counting closing eliminations
    first = max(0, len(steps) - 3 - closing)
    if answer_type is not AnswerType.YES_NO:  # polarity reads its own negations
        steps = [*steps[:first], *(_without_rejections(step) for step in steps[first:])]
    window = [i for i in range(len(steps) - 1, first - 1, -1)
              if not (_FILLER_STEP.match(steps[i]) and not _DIGIT.search(steps[i])) and not _ASIDE.match(steps[i])]
    if answer_type is AnswerType.CHOICE and _text_options(options):
        return _conclude_text_option(steps, window, options, rejected)
    for index in window:
        value = extract(steps[index], _kept(options, rejected[index]) if rejected else options)
        if value is not None:
            return index, value
        if answer_type is AnswerType.YES_NO:
            return index, None  # a final non-concluding fact: polarity undeterminable, don't look further
    return (len(steps) - 1 if steps else None), None


def _conclude_number(step: str, options: dict[str, str]) -> str | None:
    with_numbers = [sentence for sentence in _SENTENCE_SPLIT.split(step) if _DIGIT.search(sentence)]
    step = with_numbers[-1] if with_numbers else step  # "... x = 2. The larger root is 3." ends on 3
    boxed = _BOXED.findall(step)
    if boxed:
        number = parse_number(boxed[-1])
        if number is not None:
            return format_number(number)
        if is_symbolic(boxed[-1]):  # "\\boxed{4\\pi}" concludes 4pi, not the 4 written in it
            return math_canonical(boxed[-1])
    explicit = _ANSWER_NUMBER.search(step)
    if explicit:
        value = _first_value(explicit.group(1).rsplit("=", 1)[-1])  # "answer is 10*6=60" -> 60
        if value is not None:
            return value
    clause = _END_CLAUSE.search(step)  # "..., the first term is $315$." / "= 72 clips altogether."
    if clause:
        value = _first_value(clause.group(1))
        if value is not None:
            return value
    # "... = 75 bees that return in the last 6 hours": the result after the last "=" beats the last number
    equals = max(step.rfind("="), step.rfind("≈"), step.rfind("\\approx"))
    if equals >= 0:
        value = _first_value(step[equals + 1 :].removeprefix("approx"))
        if value is not None:
            return value
    symbolic = _last_symbolic_value(step)
    if symbolic is not None:
        return symbolic
    values = number_strings_in(step)
    return values[-1] if values else None


_SYMBOLIC_TERM = re.compile(r"(?:-?\d[\d.,]*\s*(?:\\cdot|\\times|\*)?\s*)?(?:\\(?:pi|sqrt|infty)(?![a-z])|[π√∞])")
_PLAIN_NUMBER = re.compile(r"\d")


def _last_symbolic_value(step: str) -> str | None:
    """"... is $4\\pi$.": when a symbolic term comes after the step's last plain digit, the step ends on that
    term (canonical form), not on the number written in it."""
    terms = list(_SYMBOLIC_TERM.finditer(step))
    if not terms:
        return None
    last = terms[-1]
    tail = step[last.end() :]
    if _PLAIN_NUMBER.search(re.sub(r"\{[^{}]*\}", "", tail)):  # a plain number after it: not the end
        return None
    return _math_value(step[last.start() :])


_END_CLAUSE = re.compile(
    r"(?:\bis|\bare|\bequals|=|\bbe|\bget|\bgives)\s*\$?\s*(-?[\d.,/]*\d|\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\})"
    r"\s*\$?\s*%?\s*(?:[a-zA-Z]+\s*){0,3}[.!]?\s*$"
)


def _first_value(text: str) -> str | None:
    """The value of the first number token in ``text`` (a written fraction counts as one value); a symbolic
    value ("4\\pi.", "\\sqrt{3} m") as its canonical form, which no plain number equals."""
    if is_symbolic(text):
        return _math_value(text)
    whole = parse_number(text.strip().rstrip("."))
    if whole is not None:
        return format_number(whole)
    match = _NUMBER.search(_strip_latex_inline(_words_to_digits(text)))
    if not match:
        return None
    sign, digits, denominator = match.groups()
    value = _fraction(f"{sign or ''}{digits}")
    if value is not None and denominator and (den := _fraction(denominator)):
        value = value / den
    return format_number(value) if value is not None else None


_CLAUSE_END = re.compile(r"[.;,]\s|[.;,]?\s*\\?\)\s*[.;,]?\s*$|\s(?=[a-z]{3,}\b)|\s+so\b")


def _math_value(text: str) -> str | None:
    """The expression at the start of ``text`` (up to the clause's end) in :func:`math_canonical` form."""
    head = _CLAUSE_END.split(text.strip(), maxsplit=1)[0].strip()
    return math_canonical(head) or None


def _math_conclusion(step: str) -> str | None:
    """A math answer written as an expression: the right side of the last "=" of the step's last sentence
    with one ("... so \\( x = \\frac{5}{2} \\)." concludes 5/2)."""
    boxed = _BOXED.findall(step)
    if boxed:
        return math_canonical(boxed[-1])
    equals = max(step.rfind("="), step.rfind("\\approx"))
    if equals < 0:
        return _last_symbolic_value(step)
    return _math_value(step[equals + 1 :].removeprefix("approx"))


def _looks_math(norm: str) -> bool:
    return len(norm) <= 40 and bool(_DIGIT.search(norm) or "sqrt" in norm or "pi" in norm)


def _conclude_choice(step: str, options: dict[str, str]) -> str | None:
    return _explicit_choice(step, options) or _conclude_choice_letter(step, options) or _option_by_content(step, options)


# An explicit answer line anywhere in a step: "Answer: B", "**Answer:** 12", "Final answer: (B) 12", "\\boxed{12}",
# "#### 12", "the answer is 12 m/s". What follows the cue is read as a whole answer (letter, "B) text" or an
# option's text), so it settles the choice even when the option is written differently from the letter.
_EXPLICIT_ANSWER = re.compile(r"(?:\banswer\s*(?:is|:|=)|####|\\boxed\s*\{)[\s:*]*(.{1,80}?)[\s*}$.]*$", re.IGNORECASE)


def _explicit_choice(step: str, options: dict[str, str]) -> str | None:
    found = _EXPLICIT_ANSWER.search(step)
    if not found:
        return None
    return parse_choice(_strip_latex(found.group(1)).strip(" *"), options)


def _conclude_choice_letter(step: str, options: dict[str, str]) -> str | None:
    letters = [next(g for g in m.groups() if g).upper() for m in _LETTER_IN_TEXT.finditer(step)]
    letters = [x for x in letters if x in options]
    if not letters:
        bare = _BARE_LETTER_END.search(step)
        if bare and bare.group(1) in options:
            letters = [bare.group(1)]
    return letters[-1] if letters else None


def _text_options(options: dict[str, str]) -> bool:
    return bool(options) and all(parse_number(text) is None for text in options.values())


def _conclude_text_option(
    steps: list[str], window: list[int], options: dict[str, str], rejected: list[frozenset[str]]
) -> tuple[int | None, str | None]:
    """Options that are words: a letter named (and not ruled out) in the last steps wins; else the option the
    last steps (read together: the deciding sentence and the facts it rests on) settle on, if they settle on
    one."""
    for index in window:
        kept = _kept(options, rejected[index])
        letter = _explicit_choice(steps[index], kept) or _conclude_choice_letter(steps[index], kept)
        if letter is not None:
            return index, letter
    if not window:
        return (len(steps) - 1 if steps else None), None
    ruled_out = frozenset().union(*(rejected[index] for index in window))
    value = _option_by_text("\n".join(steps[window[-1] : window[0] + 1]), _kept(options, ruled_out))
    return window[0], (None if value == AMBIGUOUS else value)


def _kept(options: dict[str, str], ruled_out: frozenset[str]) -> dict[str, str]:
    return {letter: text for letter, text in options.items() if letter not in ruled_out} if ruled_out else options


def _closing_rejections(steps: list[str]) -> tuple[list[frozenset[str]], int]:
    """``rejected_letters`` of each step the conclusion can be read from, and how many steps at the end rule
    options out ("(A) is wrong because ...": eliminations after the choice). Walks back from the end: only the
    closing eliminations and the three steps before them are read (earlier steps get an empty set)."""
    rejected: list[frozenset[str]] = [frozenset()] * len(steps)
    index = len(steps) - 1
    while index >= 0 and (found := rejected_letters(steps[index])):
        rejected[index] = found
        index -= 1
    closing = len(steps) - 1 - index
    for earlier in range(max(0, index - 2), index):  # steps[index] itself rules nothing out
        rejected[earlier] = rejected_letters(steps[earlier])
    return rejected, closing


def _option_by_content(step: str, options: dict[str, str]) -> str | None:
    """Map the value / text the step ends on back to the option holding it."""
    by_number = {format_number(n): letter for letter, text in options.items() if (n := parse_number(text)) is not None}
    if by_number:
        concluded = by_number.get(_conclude_number(step, options) or "")
        if concluded:  # the step's numeric conclusion ("= 11050") names an option
            return concluded
        for value in reversed(number_strings_in(step)):
            letter = by_number.get(value)
            if letter:
                return letter
        return None
    return _option_by_text(step, options)


_CUE_BEFORE = re.compile(
    r"\b(?:so|therefore|thus|hence|answer\s*(?:is|:|=)|it\s+is|it s|must\s+be|choose|pick|go\s+with|"
    r"(?:correct|right|best)\s+(?:answer|option|choice)\s+is)\s*(?:option\s+)?$"
)
_CONCLUDING_OPENER = re.compile(r"(?:so|therefore|thus|hence|consequently|in conclusion|overall|in summary)\b")
_COPULA_END = re.compile(r"\b(?:is|are|was|were|be|must be|would be|will be)\s*$")
_CUE_AFTER = re.compile(
    r"^\s*(?:is|are|was)\s+(?:correct|right|best|answer|(?:\w+\s+){0,2}(?:correct|right|best)\s+(?:answer|option|choice))\b"
    r"|^\s*(?:\w+\s+){0,2}most\b|^\s*(?:\w+\s+){0,2}(?:least|fewest|\w{2,}est)\b"
)
_NEGATED = re.compile(r"\b(?:not|neither|nor|never|n t|rule out|rules out|eliminate)\b(?:\s+\w+){0,3}\s*(?:or|nor)?\s*$")


def _option_by_text(step: str, options: dict[str, str]) -> str | None:
    """The text option a step settles on. Rationales name the options they weigh and reject, often after
    the winner ("Priya read the most, ahead of Dev"), so the last-named option is no conclusion: an option
    marked by a cue ("so it is X", "X is correct", "X ... the most") wins; else the one option named and not
    negated; several unmarked ones are ambiguous (:data:`AMBIGUOUS`)."""
    cued: list[tuple[int, str]] = []
    named: set[str] = set()
    for sentence_at, sentence in enumerate(normalise_text(s) for s in _CLAUSE_SPLIT.split(step)):
        concluding = bool(_CONCLUDING_OPENER.match(sentence))
        for letter, text in options.items():
            for start, end in _option_spans(normalise_text(text), sentence):
                before, after = sentence[:start], sentence[end:]
                if (
                    _CUE_BEFORE.search(before)
                    or (not before.strip() and _CUE_AFTER.search(after))
                    or (concluding and _COPULA_END.search(before))  # "so the largest planet is jupiter"
                ):
                    cued.append(((sentence_at, start), letter))
                elif not _NEGATED.search(before):
                    named.add(letter)
    if cued:
        return max(cued)[1]
    if len(named) == 1:
        return named.pop()
    return AMBIGUOUS if named else None


_FUNCTION_WORDS = frozenset("it its is are was be they them he she a an the of to in on and or by for with".split())


def _option_spans(option: str, sentence: str) -> list[tuple[int, int]]:
    """Where a sentence names an option: the option's words verbatim, else (options of several words) all of
    its content words ("It doubles" in "the period doubles") at the first one's place."""
    if not option:
        return []
    spans = [match.span() for match in _whole_word(option).finditer(sentence)]
    content = [word for word in option.split() if word not in _FUNCTION_WORDS]
    if spans or len(option.split()) < 2 or not content:
        return spans
    found = [_whole_word(word).search(sentence) for word in content]
    if not all(found):
        return []
    first = min(found, key=lambda match: match.start())
    return [first.span()]


_CLAUSE_SPLIT = re.compile(r"(?<=[.!?])[)\]\"']?\s+|\s*[;\n]\s*")
AMBIGUOUS = "?"  # a step names several options without settling on one: stop looking further back


def _conclude_yes_no(step: str, options: dict[str, str]) -> str | None:
    sentences = _SENTENCE_SPLIT.split(step.strip())
    return statement_polarity(sentences[-1]) if sentences else None


def _conclude_text(step: str, options: dict[str, str]) -> str | None:
    boxed = _BOXED.findall(step)
    if boxed:
        return normalise_text(boxed[-1])
    explicit = _ANSWER_TEXT.search(step)
    if explicit:
        return normalise_text(explicit.group(1))
    return None


_EXTRACTORS = {
    AnswerType.NUMERIC: _conclude_number,
    AnswerType.CHOICE: _conclude_choice,
    AnswerType.YES_NO: _conclude_yes_no,
    AnswerType.TEXT: _conclude_text,
}


def _mentions_number(text: str, norm: str, options: dict[str, str]) -> bool:
    return norm in number_strings_in(text)


def _mentions_choice(text: str, norm: str, options: dict[str, str]) -> bool:
    if _letter_mention(norm).search(text):
        return True
    option_text = options.get(norm, "")
    number = parse_number(option_text)
    if number is not None:
        return _mentions_number(text, format_number(number), options)
    target = normalise_text(option_text)
    return bool(target) and f" {target} " in f" {normalise_text(text)} "


def _mentions_yes_no(text: str, norm: str, options: dict[str, str]) -> bool:
    return statement_polarity(text) == norm and bool(_EXPLICIT_POLARITY.search(text))


def _mentions_text(text: str, norm: str, options: dict[str, str]) -> bool:
    return f" {norm} " in f" {normalise_text(text)} "


_MATCHERS = {
    AnswerType.NUMERIC: _mentions_number,
    AnswerType.CHOICE: _mentions_choice,
    AnswerType.YES_NO: _mentions_yes_no,
    AnswerType.TEXT: _mentions_text,
}


# ---------------------------------------------------------------------------------------------- baseline

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
        found = letters[-1] if letters else _option_by_content(last, options)
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
