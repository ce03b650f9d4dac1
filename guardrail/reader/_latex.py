"""LaTeX math as plain text, so answers written by math models compare by value of their written form.

``math_canonical`` turns ``\\( x = \\frac{5}{2} \\)``'s right side, ``\\dfrac{5}{2}``, ``5/2`` and ``$5/2$`` into the
same string, and keeps what makes ``4\\pi`` or ``\\sqrt{3}`` different from ``4`` or ``3``. It is a normaliser,
not a computer algebra system: ``1/2`` and ``0.5`` stay different here (numbers are compared as numbers by the
reader before it falls back to this form).

The second half reads LaTeX for numbers: ``strip_latex`` drops the markup so ``\\frac{1}{2}`` reads as
``1/2`` and ``\\boxed{72}`` as ``72``; ``math_value`` and ``last_symbolic_value`` read the expression a
sentence ends on.

Everything is stdlib, linear in the input (brace groups are matched in one pass per construct).
"""

from __future__ import annotations

import re

# A symbol that makes a value more than a plain number: "4\pi" is not 4, "\sqrt{3}" is not 3.
SYMBOLIC = re.compile(r"\\(?:pi|sqrt|infty|log|ln|sin|cos|tan|theta|alpha|beta|gamma|omega|mu|sigma)(?![a-z])|[π√∞]")
# The same written in plain text ("4pi", "pi/2", "sqrt(3)"): tested in values only (an answer, what follows
# "answer is"), since in running text "sqrt(L)" is no value.
_PLAIN_SYMBOLIC = re.compile(r"(?<![A-Za-z\\])(?:pi|inf(?:inity)?|sqrt(?=\s*[({\d]))(?![A-Za-z])")
MATH_HINT = re.compile(r"\\[a-zA-Z]|[π√∞$]")

_DELIMITERS = re.compile(r"\\\$|\\[()\[\]]|\$+|\\left|\\right|\\displaystyle|\\[!,;:]|\\quad|\\qquad|~")
_WRAPPERS = ("\\text", "\\mathrm", "\\mathbf", "\\textbf", "\\operatorname", "\\mbox", "\\boxed")
_FRAC = re.compile(r"\\[dt]?frac(?![a-z])")
_SQRT = re.compile(r"\\sqrt(?![a-z])")
_SYMBOLS = (
    ("\\pi", "pi"), ("π", "pi"), ("\\infty", "inf"), ("∞", "inf"), ("\\cdot", "*"), ("\\times", "*"),
    ("×", "*"), ("·", "*"), ("\\%", "%"), ("^\\circ", ""), ("^{\\circ}", ""), ("°", ""), ("√", "sqrt"),
    ("\\le", "<="), ("\\ge", ">="), ("\\neq", "!="), ("\\{", "{"), ("\\}", "}"),
)
# Digits in groups of three parted by commas ("1,250,000"): the one rule for thousands separators.
DIGIT_GROUPS = r"\d{1,3}(?:,\d{3})+"
_GROUPED_NUMBER = re.compile(rf"(?<![\d.,]){DIGIT_GROUPS}(?![\d,])")
_REDUNDANT_PARENS = re.compile(r"\(([\w.]+)\)")
_IMPLICIT_TIMES = re.compile(r"(?<=[\d)])\*(?=[a-z(])")
_MAX_CHARS = 400  # an answer-sized expression; longer text is not a value


# A brace group is read up to this length: a value's group is short, and unclosed ones ("\\frac{" repeated in a
# text given to latex_to_plain) are not each scanned to the end of the text.
_MAX_GROUP = 2000


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The brace group ``{...}`` opening at ``start`` (after spaces) and the index after it, or a single
    character argument (``\\frac12``, ``\\sqrt3``); None when nothing follows."""
    while start < len(text) and text[start] == " ":
        start += 1
    if start >= len(text):
        return None
    if text[start] != "{":
        return text[start], start + 1
    depth, end = 0, min(len(text), start + _MAX_GROUP)
    for index in range(start, end):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return text[start + 1 : end], end


def _replace_command(text: str, pattern: re.Pattern[str], arity: int, render) -> str:
    """Replace each ``\\command{a}{b}`` (``arity`` brace groups), innermost arguments first."""
    out: list[str] = []
    position = 0
    for _ in range(len(text)):  # bounded: each pass consumes at least one match
        match = pattern.search(text, position)
        if not match:
            break
        args, end = [], match.end()
        if pattern is _SQRT and end < len(text) and text[end] == "[":  # \sqrt[3]{x}: the index is dropped
            close = text.find("]", end)
            end = close + 1 if close >= 0 else end
        for _ in range(arity):
            found = _group(text, end)
            if found is None:
                break
            args.append(_replace_all(found[0]))
            end = found[1]
        if len(args) < arity:
            out.append(text[position : match.end()])
            position = match.end()
            continue
        out.append(text[position : match.start()] + render(*args))
        position = end
    out.append(text[position:])
    return "".join(out)


def _replace_all(text: str) -> str:
    text = _replace_command(text, _FRAC, 2, lambda a, b: f"({a})/({b})")
    return _replace_command(text, _SQRT, 1, lambda a: f"sqrt({a})")


def latex_to_plain(text: str) -> str:
    """LaTeX constructs as plain math text: ``\\frac{a}{b}`` -> ``(a)/(b)``, ``\\sqrt{x}`` -> ``sqrt(x)``,
    ``\\pi`` -> ``pi``; delimiters (``\\( \\)``, ``$``, ``\\left``) and wrappers (``\\text{}``) dropped."""
    if "\\" not in text and not MATH_HINT.search(text):
        return text
    for wrapper in _WRAPPERS:
        text = text.replace(wrapper, "")
    text = _DELIMITERS.sub(" ", text)
    for symbol, plain in _SYMBOLS:
        text = text.replace(symbol, plain)
    return _replace_all(text)


# A unit written after a value (a digit, a closing bracket, \\pi): "4\\pi \\text{ cm}^2", "9.8\\,\\mathrm{m/s^2}" (a
# word of two letters or more, or one set off by a space); not a connective ("2 \\text{ or } 3") nor a word answer
# ("is \\text{Sunday}").
_UNIT_GROUP = re.compile(
    r"(?:(?<=[\d})%])|(?<=\\pi))(?:\s|\\[,;!]|~)*\\(?:text|mathrm|mbox)\s*\{"
    r"(?!\s*(?:or|and|to|if|for|when|where|with|else|otherwise)\b)"
    r"(?:[\s~]+[A-Za-zµΩ°]|[A-Za-zµΩ°]{2}|[A-Za-zµΩ°]\s*[/·*])[^{}]{0,20}\}(?:\s*\^\s*(?:\{\s*-?\d\s*\}|-?\d))?"
)


def without_units(text: str) -> str:
    """``text`` without the LaTeX units written after its values (``_UNIT_GROUP``): "4\\pi \\text{ cm}^2" -> "4\\pi".
    For a free-text math answer and the step it is read from, on both sides alike (option texts keep theirs:
    options and steps write units in too many ways for one side's markup to decide)."""
    return _UNIT_GROUP.sub("", text) if "\\" in text else text


def math_canonical(text: str) -> str:
    """One string per written value: LaTeX made plain, spaces and redundant parentheses dropped, lower case.
    ``\\frac{5}{2}``, ``5/2`` and ``\\( \\dfrac{5}{2} \\)`` all give ``5/2``; ``4\\pi`` and ``4 \\cdot \\pi`` give
    ``4pi``; ``\\sqrt{3}`` gives ``sqrt3``."""
    text = latex_to_plain(text[:_MAX_CHARS]).replace("{", "(").replace("}", ")")
    if not is_bracketed(text):  # "1,000\\pi" is 1000pi; in "(1,000)" the comma may part two values
        text = _GROUPED_NUMBER.sub(lambda number: number.group(0).replace(",", ""), text)
    text = "".join(text.split()).casefold().rstrip(".")
    for _ in range(4):  # "((5))/((2))" needs more than one pass
        simpler = _REDUNDANT_PARENS.sub(r"\1", text)
        if simpler == text:
            break
        text = simpler
    return _IMPLICIT_TIMES.sub("", _unwrap(text))


def _unwrap(text: str) -> str:
    """``(sqrt3/2)`` -> ``sqrt3/2``: parentheses around the whole expression (a brace group, a boxed value)."""
    while len(text) > 2 and text[0] == "(" and text[-1] == ")":
        depth = 0
        for index, char in enumerate(text):
            depth += char == "("
            depth -= char == ")"
            if depth == 0 and index < len(text) - 1:
                return text  # "(a)/(b)": the first group closes early
        text = text[1:-1]
    return text


def is_symbolic(text: str) -> bool:
    """Whether ``text`` names a value beyond a plain number (pi, a root, infinity, a function)."""
    return bool(SYMBOLIC.search(text))


def is_symbolic_value(value: str) -> bool:
    """:func:`is_symbolic` for a value, where plain-text symbols count too ("4pi" is no plain number 4)."""
    return is_symbolic(value) or bool(_PLAIN_SYMBOLIC.search(value))


# ---------------------------------------------------------------------------------- LaTeX read for numbers
# Why a second, lighter pass: numbers in running text only need the markup around them gone; turning the
# whole step into canonical math (``math_canonical``) would merge the numbers the reader has to tell apart.

# \frac{1}{2}, and the brace-less \frac12 (one digit per argument, as TeX reads it)
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*(?:\{\s*(-?[\d.,]+)\s*\}|(\d))\s*(?:\{\s*(-?[\d.,]+)\s*\}|(\d))")
_LATEX_NOISE = re.compile(r"\\(?:\$|left|right|!|,|;|quad|displaystyle|text|mathrm|textbf|mbox|\(|\)|\[|\])|\\\s")
# A thin space (or "{,}") between digit groups is a thousands separator: "1\\,000" is 1,000, not 1 and 000. So is
# a no-break or thin space in Unicode ("1\u202f200", as typeset numbers are copied); a plain space is not: "1 200"
# may as well be two numbers (``SPACE_GROUPED`` finds them, for the reader to leave undecided).
_THIN_SPACE = r"[\u00a0\u2009\u202f]"
_GROUP_SPACE = re.compile(rf"(?<=\d)(?:\\[,;: ]|~|\{{,\}}|{_THIN_SPACE})(?=\d{{3}}(?!\d))")
_UNICODE_GROUP_SPACE = re.compile(rf"\d{_THIN_SPACE}\d")
SPACE_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d.,/-])")  # "1 200", not "12 200-kilobyte"
_MIXED_NUMBER = re.compile(r"(\d)\s*(\\[dt]?frac)")  # 10\frac{1}{12} is 10 + 1/12, not 101/12
_BOXED = re.compile(r"\\boxed\s*(?=\{)")
# An integer power written out: 2^{10}, 3^2. Not 10^5 after a multiplication sign (scientific notation is read
# as such elsewhere), and only while the value fits the digits the number reader takes.
_POWER = re.compile(r"(?<![\d.])(\d{1,6})\s*\^\s*(?:\{\s*(\d{1,2})\s*\}|(\d{1,2})(?![\d.]))")
_TIMES_BEFORE = re.compile(r"(?:\\times|\\cdot|[×*x·])\s*$")
_MAX_POWER = 10**300  # number_strings_in reads at most 300 digits


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` opened in ``text``, nested braces included
    (``\\boxed{\\frac{\\sqrt{3}}{2}}``; in ``\\boxed{\\boxed{7}}`` the inner one, 7); None without one. Only the
    last opening is read: a text of many unclosed ones is scanned once, not once per opening."""
    last = None
    for last in _BOXED.finditer(text):
        pass
    if last is None:
        return None
    found = _group(text, last.end())
    return found[0] if found is not None else None


def _fraction(match: re.Match[str]) -> str:
    return f"{match.group(1) or match.group(2)}/{match.group(3) or match.group(4)}"


def _fractions_as_division(text: str) -> str:
    """``\\frac{3}{4}`` as ``3/4``, a mixed number's whole part set apart (``10\\frac{1}{12}`` -> ``10 1/12``)."""
    return _LATEX_FRAC.sub(_fraction, _MIXED_NUMBER.sub(r"\1 \2", text))


def _power(match: re.Match[str]) -> str:
    base, exponent = int(match.group(1)), int(match.group(2) or match.group(3))
    if base == 10 and _TIMES_BEFORE.search(match.string[: match.start()]):
        return match.group(0)
    value = base**exponent if exponent * len(match.group(1)) <= 300 else _MAX_POWER
    return str(value) if value < _MAX_POWER else match.group(0)


def evaluate_powers(text: str) -> str:
    """Integer powers as their value: ``2^{10}`` -> ``1024`` (what a rationale concludes is the number)."""
    return _POWER.sub(_power, text) if "^" in text else text


def strip_latex(text: str) -> str:
    """A short answer without its LaTeX: the last ``\\boxed{}``'s content, fractions as ``a/b``, markup dropped."""
    boxed = last_boxed(text)
    if boxed is not None:
        text = boxed
    text = _fractions_as_division(evaluate_powers(_GROUP_SPACE.sub(",", text)))
    text = _LATEX_NOISE.sub(" ", text)
    return text.replace("$", " ").replace("{", "").replace("}", "")


def strip_latex_inline(text: str) -> str:
    """Running text with fractions as ``a/b`` and spacing markup dropped; braces and ``$`` are kept."""
    text = evaluate_powers(text)
    if "\\" not in text and "{,}" not in text and (text.isascii() or not _UNICODE_GROUP_SPACE.search(text)):
        return text
    text = _fractions_as_division(_GROUP_SPACE.sub(",", text))
    return _LATEX_NOISE.sub(" ", text)


# A symbolic term and the number it multiplies ("4\pi", "2 \sqrt{3}"); "3, \infty" lists two values, it is no term.
# The number starts a digit run and is at most 40 characters long: a long run of digits is read once, not once
# from every digit (which took minutes on 50,000 digits). The spaces around a product sign are read by one pattern
# each side: two that could share a run of spaces would try every way of splitting it.
# A root written without LaTeX holds its radicand: "16√3" and "16*sqrt(3)" are 16sqrt3, not a term followed by a 3.
_SYMBOLIC_TERM = re.compile(
    r"(?:(?<![\d.])-?\d(?:[\d.]|,(?=\d)){0,40}\s*(?:(?:\\cdot|\\times|\*)\s*)?)?"
    r"(?:\\(?:pi|sqrt|infty)(?![a-z])|[π∞]|√\s*(?:\d{1,40}|\([^()]{0,40}\)|\{[^{}]{0,40}\})?"
    r"|(?<![A-Za-z\\])sqrt\s*(?:\([^()]{0,40}\)|\{[^{}]{0,40}\}))"
)
_PLAIN_NUMBER = re.compile(r"\d")


# An interval or a tuple: "[3, \\infty)", "(1, -2)", "\\left(0, \\frac{1}{2}\\right]"; not a remark in
# parentheses ("(see steps 1, 2)"): a word of three letters is no math.
_BRACKETED = re.compile(r"(?:\\left)?[(\[](?![^()\[\]]*(?<![\\a-zA-Z])(?!inf)[a-zA-Z]{3})[^()\[\]]{0,40}?,"
                        r"[^()\[\]]{1,40}?(?:\\right)?[)\]]")


def is_bracketed(text: str) -> bool:
    """Whether ``text`` is one interval or tuple ("(1, -2)", "[3, \\infty)")."""
    return bool(_BRACKETED.fullmatch(text.strip().rstrip(".").rstrip()))


def last_symbolic_value(step: str) -> str | None:
    """"... is $4\\pi$.": when a symbolic term comes after the step's last plain digit, the step ends on that
    term (canonical form), not on the number written in it."""
    return _last_value(step, list(_SYMBOLIC_TERM.finditer(step)))


def last_math_value(step: str) -> str | None:
    """:func:`last_symbolic_value`, where an interval or a tuple ("... is $[3, \\infty)$.") counts as one value
    too: for answers that are math expressions (a number's step keeps reading its numbers)."""
    return _last_value(step, [*_SYMBOLIC_TERM.finditer(step), *_BRACKETED.finditer(step)])


def _last_value(step: str, terms: list[re.Match[str]]) -> str | None:
    if not terms:
        return None
    last = max(terms, key=lambda term: (term.end(), -term.start()))  # an interval holds its symbols
    tail = step[last.end() :]
    if _PLAIN_NUMBER.search(re.sub(r"\{[^{}]*\}", "", tail)):  # a plain number after it: not the end
        return None
    return math_value(step[last.start() :])


_CLAUSE_END = re.compile(r"[.;,]\s|[.;,]?\s*\\\)\s*[.;,]?\s*$|\s(?=[a-z]{3,}\b)|\s+so\b")


def math_value(text: str) -> str | None:
    """The expression at the start of ``text`` (up to the clause's end) in :func:`math_canonical` form."""
    text = text.strip()
    bracketed = _BRACKETED.match(text)  # "[3, \\infty)" is one value: no clause ends at its comma
    if bracketed:
        return math_canonical(bracketed.group(0)) or None
    head = _CLAUSE_END.split(text, maxsplit=1)[0].strip()
    # a ")" that closes what the value did not open ends the clause ("(area 4\pi)."); "16*sqrt(3)" keeps its own
    stripped = head.rstrip(") .;,")
    unopened = max(0, head.count(")") - head.count("("))
    head = stripped + ")" * max(0, head.count(")", len(stripped)) - unopened)
    return math_canonical(head) or None
