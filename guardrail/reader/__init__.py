"""The answer reader: what string analysis can establish about a (question, rationale, answer) triple.

The runtime encodes its result as feature words next to the text (``guardrail._encoding``), and training
uses the same functions to build and check its data, so both read answers by one set of rules. This
module is the reader's public API; the private modules hold one job each:

==================  =====================================================================================
``_analysis``       :class:`AnswerAnalysis` and :func:`analyse`; answer type and normal form
``_candidates``     the answers a question offers (options, "X or Y" labels) and which one was given
``_conclusion``     the concluding step and the value it states
``_remarks``        checks of a result and asides ("Check: 144 / 12 = 12", "Note: ..."), left out of it
``_tally``          the option a chain settles on by weighing the options one by one, when no step states a choice
``_mentions``       whether a text mentions the answer, per answer type
``_options``        option lists, the letter an answer or step names, eliminations, word options
``_polarity``       yes/no answers, the polarity a sentence asserts, true-or-false statement verdicts (restated
                    or deduced in one step), a verdict a rationale opens on
``_numbers``        number words, parsing, canonical formatting, scientific notation, scales ("1.5 million"),
                    a result restated in another unit ("2 hours, or 120 minutes")
``_latex``          LaTeX as plain math (``math_canonical``) and LaTeX removed to read numbers
``_lists``          answers that list several values ("3, -2", "x = 3 or x = -2"), compared as sets
``_text``           text normalisation, sentence splits, conclusion cues, label sets ("even or odd")
``_steps``          a rationale split into steps (lines, numbered items, sentences)
``_support``        topic overlap and whether a numeric conclusion is derived
==================  =====================================================================================

Everything is stdlib + pydantic, precompiled regexes, linear in the input length. Values are compared as
canonical strings: numbers in :func:`format_number` form, option letters upper case, polarities "yes"/"no",
text in :func:`normalise_text` form.

Example::

    >>> from guardrail.reader import analyse
    >>> a = analyse("How many clips?", "48/2 = 24 in May.\\n48 + 24 = 72 in all.", "72")
    >>> a.answer_type.value, a.conclusion, a.agrees
    ('numeric', '72', True)
"""

from __future__ import annotations

from ._analysis import AnswerAnalysis, Position, analyse, detect_answer_type, normalise_answer
from ._candidates import Candidates, answer_candidates
from ._conclusion import option_by_content
from ._latex import is_symbolic, latex_to_plain, math_canonical
from ._numbers import (
    format_number,
    number_strings_in,
    number_words,
    numbers_in,
    option_value,
    parse_number,
    words_to_digits,
)
from ._options import AMBIGUOUS, parse_choice, parse_options, rejected_letters
from ._polarity import parse_yes_no, statement_polarity
from ._steps import split_steps
from ._support import content_keys, derives_conclusion, topic_overlap
from ._text import normalise_text

__all__ = [
    # the analysis
    "AnswerAnalysis",
    "Position",
    "analyse",
    "detect_answer_type",
    "normalise_answer",
    # numbers
    "format_number",
    "number_strings_in",
    "number_words",
    "numbers_in",
    "option_value",
    "parse_number",
    "words_to_digits",
    # options
    "AMBIGUOUS",
    "Candidates",
    "answer_candidates",
    "option_by_content",
    "parse_choice",
    "parse_options",
    "rejected_letters",
    # yes/no
    "parse_yes_no",
    "statement_polarity",
    # text and math
    "is_symbolic",
    "latex_to_plain",
    "math_canonical",
    "normalise_text",
    # steps and support signals
    "content_keys",
    "derives_conclusion",
    "split_steps",
    "topic_overlap",
]
