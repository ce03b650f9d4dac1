"""Plain-text forms and the shared word patterns: answers and steps normalised for comparison, sentence
splits, concluding cues, and label sets offered by a question ("even or odd").

Every other reader module compares text through :func:`normalise_text`, so one answer written two ways
("The answer is Paris." / "paris") compares equal everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._latex import MATH_HINT, is_bracketed, is_symbolic, last_boxed, math_canonical, strip_latex


_ARTICLES = re.compile(r"\b(?:the|a|an)\b")
_PUNCT = re.compile(r"[^\w\s=+\-*/^().,<>]")
_SPACE_OPS = re.compile(r"\s*([=+\-*/^<>,])\s*")
ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", re.IGNORECASE)
# Pattern fragments the cue patterns share: an arrow that leads to a conclusion ("=> No", "Correct option \u2192 B")
# and the quotes a value may stand in ('the answer is "No"').
ARROW = r"(?:=>|->|\u2192|\u21d2)"
OPEN_QUOTE = "[\"'\u201c\u2018]"
CLOSE_QUOTE = "[\"'\u201d\u2019]"


_MATH_ANSWER_CHARS = 60  # a math answer ("\\frac{\\sqrt{3}}{2}", "4\\pi") is short; longer text stays words


# A word of prose (three letters or more, not a LaTeX command nor a function name): "We have $25 + m$." is a
# sentence, and in math form its words would run together ("wehave25+m") so no option text is found in it.
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])(?!(?:sqrt|inf|sin|cos|tan|log|exp|mod|max|min)(?![A-Za-z]))[A-Za-z]{3,}")


def normalise_text(text: str) -> str:
    """Text in one comparable form: a short math answer in :func:`math_canonical` form; other text case-folded,
    without an "answer is" prefix, punctuation or articles, and with spaces around operators dropped."""
    if len(text) <= _MATH_ANSWER_CHARS:
        value = ANSWER_PREFIX.sub("", text)
        if (MATH_HINT.search(text) or is_symbolic(text) or is_bracketed(value)) and not _PROSE_WORD.search(value):
            boxed = last_boxed(text)
            return math_canonical(ANSWER_PREFIX.sub("", boxed) if boxed is not None else value)
    text = ANSWER_PREFIX.sub("", strip_latex(text)).casefold()
    text = _ARTICLES.sub(" ", _PUNCT.sub(" ", text))
    text = _SPACE_OPS.sub(r"\1", " ".join(text.split()))
    return text.strip(" .,*")


SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[)\]\"']?\s+")


# Words that say a sentence concludes. ``CONCLUSION_CUE`` adds looser ones and "=" (for reading a label or free-text
# answer); ``CONCLUDING_WORDS`` leaves out "=", which working has too (for telling a remark or an explanation's step
# that concludes from one that does not).
_CONCLUDING = r"so|therefore|thus|hence|answer|altogether|final|result"
CONCLUSION_CUE = re.compile(
    rf"\b(?:{_CONCLUDING}|consequently|conclude|conclusion|overall|in total|in summary|means|which means|"
    r"that means)\b|\\boxed|=",
    re.IGNORECASE,
)
CONCLUDING_WORDS = re.compile(rf"\b(?:{_CONCLUDING}|in\s+total)\b|\\boxed", re.IGNORECASE)


@lru_cache(maxsize=512)
def whole_word(text: str) -> re.Pattern[str]:
    """A pattern for ``text`` not inside a longer word (cached: the same options are searched per step)."""
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")


FUNCTION_WORDS = frozenset("it its is are was be they them he she a an the of to in on and or by for with".split())


ALTERNATIVES = re.compile(r"\b((?:[\w-]+,\s*)*[\w-]+),?\s+or\s+([\w-]+)\b")


def label_set(question: str, norm: str) -> list[str]:
    """The label set a question offers that contains the answer ("even or odd", "a, b, or c"), else []."""
    for match in ALTERNATIVES.finditer(question.casefold()):
        labels = [x.strip() for x in match.group(1).split(",") if x.strip()] + [match.group(2)]
        if norm in labels and not FUNCTION_WORDS.intersection(labels):  # "trophy or the suitcase" is no set
            return labels
    return []
