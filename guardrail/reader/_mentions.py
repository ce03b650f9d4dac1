"""Whether a piece of text mentions a normalised answer, one matcher per answer type.

The analysis uses these to find every step that mentions the answer, and whether the question itself
already states it (a hint the rationale may copy without deriving).
"""

from __future__ import annotations

from .._types import AnswerType
from ._numbers import format_number, number_strings_in, option_value
from ._options import letter_mention
from ._polarity import EXPLICIT_POLARITY, statement_polarity
from ._text import normalise_text, whole_word


def _mentions_number(text: str, norm: str, options: dict[str, str]) -> bool:
    return norm in number_strings_in(text)


def _mentions_choice(text: str, norm: str, options: dict[str, str]) -> bool:
    if letter_mention(norm).search(text):
        return True
    option_text = options.get(norm, "")
    number = option_value(option_text)
    if number is not None:
        return _mentions_number(text, format_number(number), options)
    target = normalise_text(option_text)
    return bool(target) and mentions_text(text, target, options)


def _mentions_yes_no(text: str, norm: str, options: dict[str, str]) -> bool:
    return statement_polarity(text) == norm and bool(EXPLICIT_POLARITY.search(text))


def mentions_text(text: str, norm: str, options: dict[str, str]) -> bool:
    """Whether ``text`` names the normalised free-text answer as whole words ("Canberra, not Sydney" and
    "is **Canberra**" name Canberra: normalised text keeps commas and asterisks, so spaces mark no word ends)."""
    return whole_word(norm).search(normalise_text(text)) is not None


MATCHERS = {
    AnswerType.NUMERIC: _mentions_number,
    AnswerType.CHOICE: _mentions_choice,
    AnswerType.YES_NO: _mentions_yes_no,
    AnswerType.TEXT: mentions_text,
}
