"""Two cheap signals of whether a rationale belongs to its question and works its way to its conclusion.

* :func:`topic_overlap`: the share of the question's content words (and numbers) that the rationale uses.
  A rationale written for another question shares almost none of them, even when it happens to conclude
  the very answer given (then answer matching alone says "agrees").
* :func:`derives_conclusion`: whether a numeric conclusion is worked out rather than only asserted: the
  concluded number appears with other numbers in one step ("8 x 9 = 72", "half of 144 is 72"), or in some
  step besides the concluding one. A chain cut short and followed by "So the answer is 72." fails this.

Both are stdlib-only, linear in the input length, and describe the text, not its correctness.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CONTENT_WORD = re.compile(r"[a-z][a-z'-]{2,}|\d+(?:\.\d+)?")
_KEY_CHARS = 6  # "gestation" and "gestational" share a key: a crude stem that needs no word list
_STOPWORDS = frozenset(
    """the and but if then so of to in on at by for with from as is are was were be been being it its this that
    these those there their they them he she his her him we our you your me my what which who whom whose when
    where why how many much does did not yes can could would should will shall may might must has have had
    than more most less each every per into out over under about after before also just only very same other
    some any all both one two answer question option options following true false""".split()
)


def content_keys(text: str) -> frozenset[str]:
    """The text's content words (stopwords dropped, cut to a short stem) and numbers, as a set."""
    return frozenset(content_key_sequence(text))


def content_key_sequence(text: str) -> tuple[str, ...]:
    """:func:`content_keys` in the order the text has them ("the bear eats the rabbit" is not "the rabbit eats
    the bear")."""
    return tuple(w[:_KEY_CHARS] for w in _CONTENT_WORD.findall(text.casefold()) if w not in _STOPWORDS)


def topic_overlap(question_body: str, rationale: str, options: Sequence[str] = ()) -> float | None:
    """Share in [0, 1] of the question's content keys the rationale also has; None if the question has none.

    ``question_body`` is the question without its option list. A rationale that weighs the options by their
    content ("Oxygen is 21%, so A is wrong. ... Nitrogen is 78%.") may use none of the question's own words: it
    is as much on topic as the share of ``options`` whose words (not numbers, not the question's) it uses, when
    it uses those of two options or more.
    """
    wanted = content_keys(question_body)
    if not wanted:
        return None
    said = content_keys(rationale)
    overlap = len(wanted & said) / len(wanted)
    own_words = [keys for text in options if (keys := _word_keys(text) - wanted)]
    named = sum(bool(keys & said) for keys in own_words)
    if named >= 2:  # one option's word is no topic: "Mercury is the closest planet to the sun."
        overlap = max(overlap, named / len(own_words))
    return overlap


def _word_keys(text: str) -> frozenset[str]:
    return frozenset(key for key in content_keys(text) if not key[0].isdigit())


def derives_conclusion(steps_numbers: Sequence[tuple[str, ...]], conclusion_step: int, value: str) -> bool:
    """Whether ``value`` (the number the rationale concludes) is worked out: it appears with another number
    in one step, or in a step other than the concluding one. ``steps_numbers`` holds each step's numbers and
    ``value`` is one too, all as canonical strings (``format_number``: one string per value, so comparing
    strings compares values, and a repeating decimal matches its rounded form), which is much cheaper than
    building fractions for every number of a long rationale."""
    for index, numbers in enumerate(steps_numbers):
        if value in numbers and (index != conclusion_step or len(set(numbers)) > 1):
            return True
    return False
