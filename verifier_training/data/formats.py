"""Surface formats real models and datasets use for option lists and answers.

One home for rendering a multiple-choice question and its answer in many ways, so that training rows, tests
and a format-invariance benchmark draw from the same set. A rendered question must parse back to the same
options with ``guardrail.reader.parse_options``, and a rendered answer to the same letter with
``parse_choice`` (tests/test_formats.py checks both).

API:
    OptionFormat(style, inline, header)        one way to write an option list
    OPTION_STYLES, ANSWER_STYLES, HEADERS      the choices
    lettered(texts) -> {"A": text, ...}
    render_options(options, fmt) -> str         the block to append to a question (starts with " " or "\\n")
    with_options(question, options, fmt)       question + block
    render_answer(letter, options, style, fmt)  "B", "(B)", "Option B", "B) text" or the text itself
    random_format(rng), random_answer_style(rng, options)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LETTERS = "ABCDEFGHIJKLMNOP"

# How one option is written; "{L}" is the letter (lower case for "lower").
OPTION_STYLES: dict[str, str] = {
    "paren": "({L}) {t}",  # (A) x
    "close": "{L}) {t}",  # A) x
    "tight": "{L}){t}",  # A)x -- no space, common in exam dumps
    "dot": "{L}. {t}",  # A. x
    "colon": "{L}: {t}",  # A: x
    "lower": "{L}) {t}",  # a) x
    "dash_paren": "- ({L}) {t}",  # - (A) x -- FLAN's CoT format
}
HEADERS = (None, "Options:", "Answer Choices:", "Answer choices:", "Choices:")
ANSWER_STYLES = ("letter", "paren", "option", "letter_text", "text")


@dataclass(frozen=True)
class OptionFormat:
    style: str = "paren"  # a key of OPTION_STYLES
    inline: bool = False  # all options on the question's last line, or one per line
    header: str | None = None  # e.g. "Options:" before the list

    def __post_init__(self) -> None:
        if self.style not in OPTION_STYLES:
            raise ValueError(f"unknown option style {self.style!r}; known: {sorted(OPTION_STYLES)}")
        if self.inline and self.style == "dash_paren":  # "- (A) x - (B) y" reads as dashes inside the texts
            raise ValueError("dash_paren options are one per line")

    @property
    def lower(self) -> bool:
        return self.style == "lower"

    def letter(self, letter: str) -> str:
        return letter.lower() if self.lower else letter.upper()


def lettered(texts: Sequence[str]) -> dict[str, str]:
    """Option texts keyed by upper-case letters in order."""
    if len(texts) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} options, got {len(texts)}")
    return dict(zip(LETTERS, texts))


def render_options(options: Mapping[str, str], fmt: OptionFormat) -> str:
    """The option list as a question shows it; starts with its separator from the question text."""
    template = OPTION_STYLES[fmt.style]
    items = [template.format(L=fmt.letter(k), t=v) for k, v in options.items()]
    if fmt.inline:
        return " " + (f"{fmt.header} " if fmt.header else "") + " ".join(items)
    return "\n" + (f"{fmt.header}\n" if fmt.header else "") + "\n".join(items)


def with_options(question: str, options: Mapping[str, str], fmt: OptionFormat) -> str:
    return question.rstrip() + render_options(options, fmt)


def render_answer(letter: str, options: Mapping[str, str], style: str, fmt: OptionFormat | None = None) -> str:
    """The answer naming option ``letter`` (an upper-case key of ``options``) in ``style``."""
    shown = fmt.letter(letter) if fmt else letter
    if style == "letter":
        return shown
    if style == "paren":
        return f"({shown})"
    if style == "option":
        return f"Option {shown}"
    if style == "letter_text":
        return f"{shown}) {options[letter]}"
    if style == "text":
        return options[letter]
    raise ValueError(f"unknown answer style {style!r}")


def random_format(rng: random.Random, inline_share: float = 0.35) -> OptionFormat:
    style = rng.choice(sorted(OPTION_STYLES))
    inline = style != "dash_paren" and rng.random() < inline_share
    return OptionFormat(style=style, inline=inline, header=rng.choice(HEADERS))


def random_answer_style(rng: random.Random, options: Mapping[str, str]) -> str:
    """An answer style; the option's text only when no two options share it (else the text is ambiguous)."""
    texts = [v.strip().lower() for v in options.values()]
    styles = ANSWER_STYLES if len(set(texts)) == len(texts) else ANSWER_STYLES[:-1]
    return rng.choice(styles)
