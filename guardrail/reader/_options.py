"""Multiple choice: option lists in the question, the letter an answer or a step names, the letters a step
rules out (eliminations), and which word option a step settles on.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._latex import strip_latex
from ._numbers import option_value, parse_number
from ._text import ALTERNATIVES, ARROW, CLOSE_QUOTE, FUNCTION_WORDS, OPEN_QUOTE, normalise_text, whole_word

# ------------------------------------------------------------------------------------- option lists

# An option: "(A) x", "A) x", "A)x", "A. x", "A: x", "a) x", in bold or not ("**A.** x"); one per line or several
# on one line (up to 16, A-P). At a line's start "[A] x" is one too, and so is a letter before a dash or a tab
# ("A - x", "A\tx") unless the line is an equation ("A - B = 5" subtracts). Its text runs to the next option of its
# list or the end of the line: a marker that does not continue the list is part of the text ("(C) Lyndon B.
# Johnson", "(C) neither (a) nor (b)").
_MARKER = r"(?:\(([A-Pa-p])\)|([A-Pa-p])[).:])"
_OPTION_MARKER = re.compile(
    rf"(?:^|(?<=\s))\**{_MARKER}\**[ \t]*(?=\S)"
    r"|^[ \t]*(?:[-*][ \t]+)?\**\[([A-Pa-p])\]\**[ \t]*(?=\S)"  # "[A] x" one per line: "[A]" inline is a concentration
    r"|^[ \t]*([A-Pa-p])(?:[ \t]+[-\u2013\u2014][ \t]+|\t+)(?=[^\n=]+$)",
    re.MULTILINE,
)
# What closes an option written inline: the separator before the next one ("A) 12, B) 15", "A) 12 | B) 15").
_OPTION_TAIL = " \t,;|"
_LETTERS = "ABCDEFGHIJKLMNOP"
AMBIGUOUS = "?"  # a step names several options without settling on one: stop looking further back
# "B", "(B)", "Option B", "Choice_B", "the answer is B", "B) 12", "B)12", "b."
_ANSWER_LETTER = re.compile(
    r"^\s*(?:the\s+)?(?:(?:correct\s+)?(?:answer|option|choice)[\s_]*)?(?:is|:)?\s*[(\[]?([A-Pa-p])"
    r"(?:[)\].:]\s*.*)?$",
    re.IGNORECASE,
)
# A letter chosen: after a cue ("answer is B", "Solution: Choice_B", "the correct option is (c)", "so option B",
# "choose D") or before a verdict for it ("(B) is correct", "C fits best"); a lower-case one only where it cannot
# be the article ("the answer is a function of ..."). "Option B" alone names an option (chains discuss them one
# by one).
_CHOSEN_LETTER = r"[(\[]?(?:([A-P])\b|([a-p])(?=[)\].:]|\s*$))[)\]]?"
# "the answer is actually (C)", "the correct option is therefore B": an adverb between the cue and the letter
_STANCE_ADVERB = (
    r"(?:\s*,?\s*(?:actually|indeed|therefore|thus|hence|clearly|probably|likely|most\s+likely|definitely|"
    r"certainly|then|now|still|instead)\b,?)?"
)
_LETTER_AFTER_CUE = re.compile(
    r"(?i:\b(?:answer|solution)\s*(?:is|would\s+be|must\s+be|should\s+be|=|:|" + ARROW + ")?" + _STANCE_ADVERB +
    r"|\b(?:correct|right|best)\s+(?:option|choice|one)\s*(?:is|would\s+be|must\s+be|=|:|" + ARROW + ")?"
    + _STANCE_ADVERB +
    r"|\b(?:choose|select|pick|go\s+with)|\b(?:so|therefore|thus|hence)\b,?(?=\s*(?:option|choice)))"
    r"[\s*:]*(?i:(?:option|choice)[\s_*]*)?" + _CHOSEN_LETTER
)
_LETTER_BEFORE_VERDICT = re.compile(
    r"(?:\(([A-P])\)|\b(?i:option|choice)[\s_]*\(?([A-P])\b\)?|\b([A-P])\b\)?)[\s*:]*"
    r"(?i:(?:is|seems|would\s+be|must\s+be|fits|matches)\s+(?:also\s+)?(?:the\s+)?(?:(?!not\b)\w+\s+)?"
    r"(?:correct|right|best|true|valid|answer)\b|fits\s+best)"
    # a verdict under a condition is none: "B would be correct only if we wanted the second largest"
    r"(?!,?\s+(?i:(?:only\s+)?(?:if|unless|when)|had|were)\b)"
)
# Without a cue, only upper-case "(B)", "B)" and "option B" name a letter: "(a)", "b)" and "(i)" label a question's
# parts, and "P(A)" applies a function.
_LETTER_WITHOUT_CUE = re.compile(r"(?<![\w^_])\(([A-P])\)|(?<![\w(])([A-P])\)|\b(?i:option|choice)[\s_]*\(?([A-P])\b")
# A bare letter ends the step only after a cue or as the whole step: "So, B." / "**B**"; "0.4 H." is a unit,
# "Franklin D." an initial and "the equation for H." a variable.
_BARE_LETTER_END = re.compile(
    r"(?:^|(?i:\b(?:so|therefore|thus|hence|answer|option|choice|is|be))[\s,:*]*)[\s*]*\(?([A-P])\)?\**\s*[.!]?\s*$"
)


def parse_options(question: str) -> dict[str, str]:
    """Options written in the question: "(A) 12 (B) 15 ..." or one "A) 12" / "A. 12" per line."""
    return dict(option_run(question)[0])


def _style(marker: re.Match[str]) -> int:
    """Which kind of marker: "(A)" and "A)" (one kind, as lists have long mixed them), "[A]", or a line's "A - ".
    A run keeps one kind: "[A]" and "[B]" in "rate = k [A] [B]^2" are concentrations, not the list's next
    option."""
    return 0 if marker.group(3) is None and marker.group(4) is None else 1 if marker.group(3) else 2


@lru_cache(maxsize=256)  # one question is parsed several times per analysis; callers get copies
def option_run(question: str) -> tuple[tuple[tuple[str, str], ...], tuple[int, int]]:
    """The longest run of options lettered A, B, C, ... in order (the last one on ties), and its span.

    Real option lists start at A and go on letter by letter in one case ("A) B) C)" or "a) b) c)"); a marker
    that does not continue a list ("(B)" in a hint, "Mr. A." in prose, the initial in "Lyndon B. Johnson")
    neither adds an option nor overwrites one nor ends one.
    """
    runs: list[list[tuple[re.Match[str], str]]] = []
    for match in _OPTION_MARKER.finditer(question):
        raw = next(letter for letter in match.groups() if letter)
        for run in runs:
            if (raw.upper() == _LETTERS[len(run) : len(run) + 1] and raw.islower() == run[0][1].islower()
                    and _style(match) == _style(run[0][0])):
                run.append((match, raw))
        if raw in "Aa":
            runs.append([(match, raw)])
    best = max(runs, key=lambda run: (len(run), run[0][0].start()), default=[])  # the last on ties
    if len(best) < 2:
        return (), (0, 0)
    options = []
    for at, (match, raw) in enumerate(best):
        stop = best[at + 1][0].start() if at + 1 < len(best) else len(question)
        line_end = question.find("\n", match.end())
        text = question[match.end() : min(stop, line_end if line_end >= 0 else stop)]
        options.append((raw.upper(), text.strip().rstrip(_OPTION_TAIL)))
    return tuple(options), (best[0][0].start(), best[-1][0].end() + len(options[-1][1]))


# An option's words with its letter after them: "Nitrogen (B)".
_WORDS_THEN_LETTER = re.compile(r"^(.+?)\s*\(([A-Pa-p])\)$")


def parse_choice(answer: str, options: dict[str, str]) -> str | None:
    """The option letter an answer names: "(B)", "B)", "option b", "the answer is B", "\\boxed{B}", "Nitrogen (B)",
    or an option's text."""
    bare = answer.strip().strip("*_ ")
    plain = strip_latex(answer).strip().strip("*_ ") if "\\" in answer else bare  # LaTeX only around a letter
    match = _ANSWER_LETTER.match(plain)
    if match and match.group(1).upper() in options:
        return match.group(1).upper()
    both = _WORDS_THEN_LETTER.match(bare)
    if both and normalise_text(options.get(both.group(2).upper(), "")) == normalise_text(both.group(1)):
        return both.group(2).upper()
    norm = normalise_text(answer)
    number = parse_number(answer)
    for letter, text in options.items():
        if norm and norm == normalise_text(text):
            return letter
        if number is not None and option_value(text) == number:
            return letter
    return None


def question_body(question: str, options: dict[str, str]) -> str:
    """The question without its option list (every option letter is "in" the question otherwise)."""
    if not options:
        return ALTERNATIVES.sub(" ", question.casefold())  # a label set ("even or odd") is no hint
    start, end = option_run(question)[1]
    return f"{question[:start]} {question[end:]}"


# ------------------------------------------------------------------------------ letters a step names


@lru_cache(maxsize=16)
def letter_mention(letter: str) -> re.Pattern[str]:
    """Any mention of option ``letter``: "(B)", "option B", "answer is B", "B)"."""
    return re.compile(
        rf"\(({letter})\)|\b(?:option|choice|answer)[\s_]*(?:is\s*)?{letter}\b|\b{letter}\)", re.IGNORECASE
    )


def named_letters(step: str, options: dict[str, str]) -> frozenset[str]:
    """The option letters ``step`` names, chosen or not: "(B)", "B)", "option B", "Choice_B" (not the "P)" that
    closes "P(W | P)")."""
    return frozenset(x for m in _LETTER_WITHOUT_CUE.finditer(step)
                     if (x := next(g for g in m.groups() if g)) in options
                     and (not m.group(2) or not _inside_parentheses(step, m.start())))


# A letter a step sets out to weigh ("Analyzing Choice D (4x - 9y)", "Step 5: Examine option B") or measures
# against ("more relevant than choice A") is named, not chosen. On the suite's Mr-Ben chains without their closing
# (counted in aggregate), reading such letters or their options' words as the choice was right 9 times in 14; no
# read of our own rows changes.
_WEIGHED_LETTER = re.compile(
    r"\b(?i:than|analy[sz](?:e|es|ing)|examin(?:e|es|ing)|evaluat(?:e|es|ing)|consider(?:s|ing)?|"
    r"look(?:s|ing)?\s+at|check(?:s|ing)?|assess(?:es|ing)?|review(?:s|ing)?)\s+(?i:the\s+)?"
    r"(?:(?i:option|choice)[\s_]*)?\(?([A-P])\b"
)


def weighed_letters(step: str) -> frozenset[str]:
    """The option letters ``step`` sets out to weigh or measures against (``_WEIGHED_LETTER``)."""
    return frozenset(m.group(1) for m in _WEIGHED_LETTER.finditer(step))


def settled_letter(step: str, options: dict[str, str]) -> str | None:
    """The option letter a step settles on: the last one chosen (``_LETTER_AFTER_CUE``,
    ``_LETTER_BEFORE_VERDICT``), or a bare letter that ends the step after a cue or is the whole step ("So, B.",
    "**B**"). A letter only named ("(B)", "B)", "option B") without being chosen is no conclusion: chains that
    discuss the options name them one by one. Read as the choice, such letters were right 126 times in 170 on
    chains whose closing sentence was removed (the validation suite's Mr-Ben chains, counted in aggregate):
    too weak for a confident verdict. Our own rows rarely have them: the reads of 86 of 89k choice rows
    change. A step that names several letters without choosing one settles on none of them: :data:`AMBIGUOUS`
    (stop looking further back); one named letter leaves the step to its other readings (its result, the
    option's words), which stand only if they name that letter (``_agreeing`` in ``_conclusion``)."""
    cued = cued_letter(step, options)
    if cued:
        return cued
    named = named_letters(step, options)
    if len(named) > 1:
        return AMBIGUOUS
    bare = _BARE_LETTER_END.search(step)
    return bare.group(1) if bare and bare.group(1) in options and bare.group(1) not in weighed_letters(step) else None


# What a sentence goes on to say of the letter a cue introduced: "Therefore, choice D is incorrect", "So option B
# cannot be true", "Thus, choice C does not satisfy the equation", "Thus, choice C can be eliminated". The cue then
# opens a verdict against the option, not a choice of it (on the suite's Mr-Ben chains without their closing, such
# reads were the chain's own option 4 times in 17, counted in aggregate).
_PREDICATE_AGAINST = re.compile(
    r"[\s*)\],]*(?:and\s+(?:option|choice)[\s_]*\(?[A-P]\)?\s+)?(?:also\s+)?"
    r"(?:(?:cannot|can't|won't|isn't|aren't|doesn't|don't)\b"
    r"|(?:is|are|was|were|does|do|did|can|could|would|will|should|seems?|must)\b"
    r"(?:(?!\b(?:that|which|who|because|since)\b)[^.;:!?,\n]){0,60}?"
    r"\b(?:not|never|incorrect|wrong|false|invalid|impossible|unlikely"
    r"|eliminated|ruled\s+out|excluded|discarded)\b)",
    re.IGNORECASE,
)


@lru_cache(maxsize=512)
def _letter_and_words(letter: str, text: str) -> re.Pattern[str]:
    return re.compile(
        rf"(\({letter}\)|\b{letter}\b[).:]?)[\s,]*(?:{OPEN_QUOTE}|\()?(?i:{re.escape(text)})(?:{CLOSE_QUOTE}|\))?,?"
    )


def _without_option_words(step: str, options: dict[str, str]) -> str:
    """``step`` with an option's words dropped after its letter: "B) Nitrogen is the correct answer", "Option B
    (Nitrogen) is correct" and "option C, 'Argon', is not possible" say of the letter what follows the words."""
    folded = step.casefold()
    for letter, text in options.items():
        if len(text) >= 2 and text.casefold() in folded:
            step = _letter_and_words(letter, text).sub(r"\1", step)
    return step


def cued_letter(step: str, options: dict[str, str]) -> str | None:
    """The last option letter a step chooses: "answer is (B)", "so option C", "(D) is correct", "B) Nitrogen is
    correct"; not one the sentence goes on to reject ("so option C is not possible")."""
    step = _without_option_words(step, options)
    found = [(m.start(), next(g for g in m.groups() if g).upper())
             for pattern in (_LETTER_AFTER_CUE, _LETTER_BEFORE_VERDICT) for m in pattern.finditer(step)
             if pattern is _LETTER_BEFORE_VERDICT or not _PREDICATE_AGAINST.match(step, m.end())]
    found = [(at, x) for at, x in found if x in options]
    return max(found)[1] if found else None


def _inside_parentheses(text: str, at: int) -> bool:
    """Whether ``at`` lies inside an open parenthesis: the "P)" of "P(W | P)" closes it, it names no option."""
    return text.count("(", 0, at) > text.count(")", 0, at)


# An explicit answer line anywhere in a step: "Answer: B", "**Answer:** 12", "Final answer: (B) 12", "\\boxed{12}",
# "#### 12", "the answer is 12 m/s", "Answer - B", "Ans: B", "<answer>B</answer>". What follows the cue is read as a
# whole answer (letter, "B) text" or an option's text), so it settles the choice even when the option is written
# differently from the letter.
_EXPLICIT_ANSWER = re.compile(
    r"(?:\banswer\s*(?:is|:|=|[-–—](?=\s))" + _STANCE_ADVERB
    + r"|\bans\s*:|####|\\boxed\s*\{|<answer>)[\s:*]*(.{1,80}?)(?:\s*</answer>)?[\s*}$.]*$",
    re.IGNORECASE,
)


def explicit_choice(step: str, options: dict[str, str]) -> str | None:
    """The option an explicit answer cue in ``step`` names (see ``_EXPLICIT_ANSWER``), else None."""
    found = _EXPLICIT_ANSWER.search(step)
    if not found:
        return None
    return parse_choice(strip_latex(found.group(1)).strip(" *"), options)


# ------------------------------------------------------------------------------------- eliminations

# "X, not Y" / "so not (D)" / "which rules out A" / "rather than 12" / "it cannot be (B)": the rejected value is no
# conclusion.
REJECTION_CUE = (
    r"\b(?:(?:not|cannot|can't|couldn't)(?:\s+be)?|isn't|rather\s+than|instead\s+of|rules?\s+out|ruling\s+out|"
    r"eliminates?|excluding)\s+"
    r"(?:the\s+)?(?:option\s+|answer\s+|choice\s+)?"
)


# Option letters a step rules out, before ("not (D)", "rules out A") or after the letter ("(A) is wrong",
# "B is not the answer", "(A) bank does not fit"). Letters are upper case only: "not a prime" rejects nothing.
_LETTER_REJECTED_BEFORE = re.compile(f"(?i:{REJECTION_CUE})" + r"(?:\(([A-P])\)|\b([A-P])\b)")
_LETTER_REJECTED_AFTER = re.compile(
    r"(?:\(([A-P])\)(?:\s+[\w'-]+){0,3}?|\b([A-P])\b)\s+(?i:(?:(?:is|are|was|would\s+be|seems)\s+"
    r"(?:not\s+(?:right|correct|true|valid|it|the\s+(?:\w+\s+)?(?:answer|explanation|statement))"
    r"|wrong|incorrect|invalid|false|ruled\s+out)"
    r"|(?:does\s+not|doesn't|cannot|can't)\s+(?:fit|work|be\s+(?:right|correct|true|it|the\s+answer)))\b)"
)


# A step that discusses one option and gives a verdict on it: "Choice_D: Lysosomes digest material. Incorrect."
# / "(C) The Golgi ... This is incorrect." / "J. $0.55: This is not the correct answer because ...". Chains that
# go through the options one by one name each, so the last one named is no conclusion.
_OPTION_STEP = re.compile(
    r"^\W*(?:(?i:step)\s*\d+\s*[:.)]\s*)?(?:(?i:option|choice)[\s_]*\(?([A-P])\)?|\(([A-P])\)|([A-P])[).:])"
)
_SUBJECT = r"(?:(?:this|it|that|the\s+statement|this\s+(?:option|choice|statement|answer))\s+)?"
_VERDICT = (
    r"(?:^|[.;:!?]\s+|,\s*|\n)(?:so,?\s+|thus,?\s+|therefore,?\s+|hence,?\s+)?" + _SUBJECT
    + r"(?:(?:is|seems|would\s+be)\s+(?:also\s+)?)?{verdict}(?=\s*(?:$|[.;,!]|\s(?:because|since|as|for)\b))"
)
_VERDICT_AGAINST = re.compile(
    _VERDICT.format(verdict=r"(?:incorrect|wrong|false|invalid|not\s+(?:correct|true|valid|right|"
                    r"the\s+(?:correct\s+|right\s+|best\s+)?(?:answer|option|choice|explanation|statement))|"
                    r"(?:can\s+be\s+)?(?:eliminated|ruled\s+out))"),
    re.IGNORECASE,
)


def _option_step_rejected(step: str) -> str | None:
    """The letter of an option step that ends with a verdict against it (``_OPTION_STEP``), else None."""
    head = _OPTION_STEP.match(step)
    if head is None or not _VERDICT_AGAINST.search(step[head.end() :].strip()):
        return None
    return next(g for g in head.groups() if g)


def rejected_letters(step: str) -> frozenset[str]:
    """The option letters ``step`` rules out (elimination sentences name them without choosing them)."""
    found = {
        letter
        for pattern in (_LETTER_REJECTED_BEFORE, _LETTER_REJECTED_AFTER)
        for match in pattern.finditer(step)
        for letter in match.groups()
        if letter
    }
    by_verdict = _option_step_rejected(step)
    if by_verdict:
        found.add(by_verdict)
    return frozenset(found)


def kept(options: dict[str, str], ruled_out: frozenset[str]) -> dict[str, str]:
    """The options not ruled out (the same dict when nothing is)."""
    return {letter: text for letter, text in options.items() if letter not in ruled_out} if ruled_out else options


def closing_rejections(steps: list[str]) -> tuple[list[frozenset[str]], int]:
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


# ------------------------------------------------------------------------------------- word options


def text_options(options: dict[str, str]) -> bool:
    """Whether every option is words, not a number (then the option is read from its text)."""
    return bool(options) and all(option_value(text) is None for text in options.values())


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


_CLAUSE_SPLIT = re.compile(r"(?<=[.!?])[)\]\"']?\s+|\s*[;\n]\s*")


def option_by_text(step: str, options: dict[str, str]) -> str | None:
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


_EQUALS = re.compile(r"(?<![<>!=])=(?!=)")
_MAX_SIDE = 300


def equated_option(step: str, options: dict[str, str]) -> str | None:
    """The option a step's last line gives as a result: "= 8.9 m/s^2." or "= y = 2x + 1." whose right side is
    one option's text (compared in :func:`normalise_text` form); None otherwise. A worked line that ends on an
    option verbatim states it, whatever numbers the line holds besides ("3.691 x 10^-34" is no "10")."""
    line = step.strip().rsplit("\n", 1)[-1]
    # only right sides short enough to be an option's text: normalising the rest of a long line after every "="
    # would take time quadratic in its length
    sides = {normalise_text(line[m.end() :].strip().rstrip(".").strip("$ "))
             for m in _EQUALS.finditer(line) if len(line) - m.end() <= _MAX_SIDE} - {""}
    if not sides:  # most steps state no "= ...": skip normalising every option
        return None
    found = {letter for letter, text in options.items() if normalise_text(text) in sides}
    return found.pop() if len(found) == 1 else None


def _option_spans(option: str, sentence: str) -> list[tuple[int, int]]:
    """Where a sentence names an option: the option's words verbatim, else (options of several words) all of
    its content words ("It doubles" in "the period doubles") at the first one's place."""
    if not option:
        return []
    spans = [match.span() for match in whole_word(option).finditer(sentence)]
    content = [word for word in option.split() if word not in FUNCTION_WORDS]
    if spans or len(option.split()) < 2 or not content:
        return spans
    found = [whole_word(word).search(sentence) for word in content]
    if not all(found):
        return []
    first = min(found, key=lambda match: match.start())
    return [first.span()]
