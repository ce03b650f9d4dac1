"""Yes/no: the verdict an answer gives, the polarity a concluding sentence asserts, and whether a rationale
states or denies the statement a true-or-false question asks about.
"""

from __future__ import annotations

import re

from .._types import AnswerType
from ._numbers import DIGIT
from ._support import content_key_sequence
from ._text import ARROW, CLOSE_QUOTE, OPEN_QUOTE, SENTENCE_SPLIT, normalise_text


_WORD = re.compile(r"[a-z]+")


_YES = {"yes", "true", "correct", "yep", "affirmative"}
_NO = {"no", "false", "incorrect", "nope"}  # not "negative": a sentiment label, not a verdict
NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|won't|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|couldn't|"
    r"wouldn't|shouldn't|hasn't|haven't|hadn't|impossible|unlikely|false|incorrect|neither|nor|none|"
    r"nobody|nothing|unable|lacks?|fails?)\b|n't\b",
    re.IGNORECASE,
)
# A verdict word standing alone ("Yes, ...", "So, no.", "The answer is: True"); "No significant change was
# seen" and "True to form" open with a determiner or an idiom, not a verdict.
# An answer label may close on a dash or an arrow ("Answer \u2014 no", "=> No"), and the verdict may be quoted
# ('the answer is "No".').
_MARK = "(?:[\u2705\u274c\u2714\u2716\u2717\u2718\u2611]\ufe0f?\\s*)?"  # a check mark before it: "Verdict: \u274c No"
EXPLICIT_POLARITY = re.compile(
    r"(?:answer\s*(?:is|:|[\u2014\u2013]|\s-\s)|^|[.:;!?]\s+|\bso,?\s+|(?:therefore|thus|hence|consequently),?\s+|"
    + ARROW + r"\s*)" + _MARK + OPEN_QUOTE + r"?\**\s*(yes|no|true|false)\b" + CLOSE_QUOTE + "?"
    r"(?=\**\s*(?:[,.;:!)\u2014\u2013]|\s-\s|$))",
    re.IGNORECASE,
)
_FINAL_POLARITY = re.compile(
    r"(?:\bis|\bwas|:)\s+" + OPEN_QUOTE + r"?\**\s*(yes|no|true|false)\b" + CLOSE_QUOTE + r"?\**\s*[.!]?\s*$",
    re.IGNORECASE,
)


def _set_off(words: str) -> re.Pattern[str]:
    """One of ``words`` opening a text, set off from the rest: "Yes, whales breathe air.", "No - it is composite.",
    "No. A cat ..." (not "No. 5")."""
    return re.compile(rf"^\W*({words})\b\**\s*(?:[,;:!\u2014\u2013]|\.(?:\s|$)(?!\s*\d)|\s-\s)", re.IGNORECASE)


# A verdict that opens a longer answer and is set off from it.
_OPENING_VERDICT = _set_off("yes|no|true|false")


def parse_yes_no(answer: str) -> str | None:
    """ "yes"/"no" for a verdict of one to three words ("Yes", "true", "Yes, it is", "No.") or one that opens a
    longer answer, set off by punctuation ("Yes, whales breathe air."); None otherwise."""
    opening = _OPENING_VERDICT.match(answer)
    if opening:  # "Yes, whales breathe air.", "No, 91 = 7 x 13."
        return "yes" if opening.group(1).casefold() in _YES else "no"
    if "\\" in answer or DIGIT.search(answer):  # LaTeX or numbers ("\\left(...\\right)") are no verdict
        return None
    words = _WORD.findall(answer.casefold())
    if 1 <= len(words) <= 3:
        if words[-1] in _YES or words[0] in _YES:
            return "yes"
        if words[-1] in _NO or words[0] in _NO:
            return "no"
    return None


# A verdict that opens a rationale, set off from what follows: "No. A house cat is 46 cm long ...", "Yes, because
# ...". Not "True, ..." or "False, ...": a rationale opening on "True," concedes a point ("True, cats are
# flexible, but ...").
_OPENING_YES_NO = _set_off("yes|no")


def opening_verdict(rationale: str) -> str | None:
    """ "yes"/"no" when the rationale opens on a verdict set off from the rest ("No. A cat is 46 cm long ..."),
    as answers written first and explained after do; None otherwise."""
    opening = _OPENING_YES_NO.match(rationale)
    return opening.group(1).casefold() if opening else None


def statement_polarity(sentence: str) -> str | None:
    """ "yes"/"no" that a concluding sentence states in so many words ("So the answer is no.", "Yes, it is.");
    None otherwise. A conclusion's negations are no verdict: on the yes/no rows of the training sources
    (CREAK, StrategyQA, CLadder; dev and test splits), "therefore" plus the parity of "not"s agreed with the
    label 31 times in 56, so such a sentence leaves the answer unplaced (scored in the band) instead."""
    final = _FINAL_POLARITY.search(sentence)  # '... is No.' wins over words quoted before it
    if final:
        return "yes" if final.group(1).lower() in ("yes", "true") else "no"
    explicit = [m.group(1) for m in EXPLICIT_POLARITY.finditer(sentence) if not _CONCESSION.match(sentence, m.start())]
    if explicit:
        return "yes" if explicit[-1].lower() in ("yes", "true") else "no"
    return None


# "True, cats are flexible, but ...": a "true" that opens a sentence going on with "but" concedes a point
_CONCESSION = re.compile(r"\W*true\b[^.!?]*\b(?:but|however|yet|although|though)\b", re.IGNORECASE)


# "Is the following statement true or false? Max is not sour." / "True or false: ..." / "true, false, or unknown? S"
_STATEMENT = re.compile(
    r"\b(?:true|correct)\s*(?:,\s*false\s*,?)?\s*or\s+(?:false|incorrect|not|unknown|uncertain)"
    r"(?:\s*,?\s*or\s+(?:unknown|uncertain))?"
    r"\s*[?:.]\s*(?P<statement>[^\n?]{3,300})",
    re.IGNORECASE,
)
_STATEMENT_SENTENCES = 4  # the verdict is read from the rationale's closing sentences only


def statement_verdict(question: str, steps: list[str]) -> str | None:
    """For a question asking whether a statement is true: "true" when a closing sentence of the rationale
    states it, "false" when one states its negation (the same content words in the same order, the other
    negation parity); a closing rule applied to an entity counts as a sentence (:func:`one_step_deduction`).
    None when no closing sentence restates it (the verdict is then not read, never guessed)."""
    found = _STATEMENT.search(question)
    if not found:
        return None
    statement = found.group("statement").strip()
    wanted = content_key_sequence(NEGATION.sub(" ", statement))
    if not wanted:
        return None
    polarity = len(NEGATION.findall(statement)) % 2
    sentences = [x for step in steps[-_STATEMENT_SENTENCES:] for x in SENTENCE_SPLIT.split(step) if x.strip()]
    closing = sentences[-_STATEMENT_SENTENCES:]
    derived = one_step_deduction(closing)
    for sentence in reversed([*closing, *([derived] if derived else [])]):
        if content_key_sequence(NEGATION.sub(" ", sentence)) == wanted:
            return "true" if len(NEGATION.findall(sentence)) % 2 == polarity else "false"
    return None


# Rules, with the class or property they apply to and what they say of its members:
# "Every tumpus is dull." / "Each impus is not sour." / "Wumpuses are red." / "All cold things are nice." /
# "If something is cold then it eats the bald eagle." (``kind`` is the class or property, ``says`` the predicate)
_RULES = (
    re.compile(r"^\s*(?:(?P<quantifier>every|each|all|any)\s+)?(?P<kind>[a-z]+)(?P<adjective>\s+(?:things|people))?"
               r"\s+(?P<verb>is|are)\s+(?P<says>[^.;:!?]+?)\s*[.!]?\s*$", re.IGNORECASE),
    re.compile(r"^\s*if\s+(?:something|someone)\s+is\s+(?P<negated>not\s+)?(?P<kind>[a-z]+)\s*,?\s+then\s+"
               r"(?:it|they)\s+(?P<says>[^.;:!?]+?)\s*[.!]?\s*$", re.IGNORECASE),
)
# Members: "Polly is a tumpus." (a class) / "The cow is cold." / "Bob is not big." (a property)
_MEMBER = re.compile(
    r"^\s*(?P<entity>[^.;:!?]+?)\s+is\s+(?:(?P<article>an?)\s+|(?P<negated>not)\s+)?(?P<kind>[a-z]+)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def _same_kind(first: str, second: str) -> bool:
    """One class named in the singular or plural ("impus" / "impuses", "cat" / "cats")."""
    first, second = first.casefold(), second.casefold()
    return first == second or any(longer == shorter + end for longer, shorter in ((first, second), (second, first))
                                  for end in ("s", "es"))


def _rule(sentence: str) -> tuple[str, bool, bool, str] | None:
    """(kind, whether the kind is a property, whether the rule is about its non-members, what it says of them)."""
    quantified, conditional = (pattern.match(sentence) for pattern in _RULES)
    if conditional:  # "If something is cold then it is big": a property ("they are red" says "is red")
        says = re.sub(r"^are\b", "is", conditional["says"])
        return conditional["kind"], True, bool(conditional["negated"]), says
    if quantified and (quantified["quantifier"] or quantified["verb"].lower() == "are"):  # universal, not one fact
        return quantified["kind"], bool(quantified["adjective"]), False, f"is {quantified['says']}"
    return None


def one_step_deduction(sentences: list[str]) -> str | None:
    """What the closing rule says of the entity an earlier closing sentence puts in its class or gives its
    property: "Polly is a tumpus." + "Every tumpus is dull." gives "Polly is dull."; "The cow is cold." + "If
    something is cold then it eats the bald eagle." gives "The cow eats the bald eagle." (a chain cut before its
    last step still states its conclusion through these two). The rule is the last sentence and universal (a
    quantifier, a plural subject or "if something"). None when the closing sentences are not of this form."""
    rule = _rule(sentences[-1]) if len(sentences) >= 2 else None
    if rule is None:
        return None
    kind, is_property, about_non_members, says = rule
    for sentence in reversed(sentences[:-1]):
        member = _MEMBER.match(sentence)
        if (
            member
            and _same_kind(member["kind"], kind)
            and bool(member["article"]) != is_property  # "is a tumpus" for classes, "is cold" for properties
            and bool(member["negated"]) == about_non_members
        ):
            return f"{member['entity']} {says}."
    return None


def verdict_as_answer(verdict: str, answer_type: AnswerType, options: dict[str, str]) -> str | None:
    """A true/false verdict as the answer's kind of value: "yes"/"no", or the letter of the True/False option."""
    if answer_type is AnswerType.YES_NO:
        return "yes" if verdict == "true" else "no"
    wanted = {"true": ("true", "yes", "correct"), "false": ("false", "no", "incorrect")}[verdict]
    letters = [letter for letter, text in options.items() if normalise_text(text) in wanted]
    return letters[0] if len(letters) == 1 else None
