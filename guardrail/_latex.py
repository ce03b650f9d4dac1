"""LaTeX math as plain text, so answers written by math models compare by value of their written form.

``math_canonical`` turns ``\\( x = \\frac{5}{2} \\)``'s right side, ``\\dfrac{5}{2}``, ``5/2`` and ``$5/2$`` into the
same string, and keeps what makes ``4\\pi`` or ``\\sqrt{3}`` different from ``4`` or ``3``. It is a normaliser,
not a computer algebra system: ``1/2`` and ``0.5`` stay different here (numbers are compared as numbers by the
reader before it falls back to this form).

Everything is stdlib, linear in the input (brace groups are matched in one pass per construct).
"""

from __future__ import annotations

import re

# A symbol that makes a value more than a plain number: "4\pi" is not 4, "\sqrt{3}" is not 3.
SYMBOLIC = re.compile(r"\\(?:pi|sqrt|infty|log|ln|sin|cos|tan|theta|alpha|beta|gamma|omega|mu|sigma)(?![a-z])|[π√∞]")
MATH_HINT = re.compile(r"\\[a-zA-Z]|[π√∞$]")

_DELIMITERS = re.compile(r"\\[()\[\]]|\$+|\\left|\\right|\\displaystyle|\\[!,;:]|\\quad|\\qquad|~")
_WRAPPERS = ("\\text", "\\mathrm", "\\mathbf", "\\textbf", "\\operatorname", "\\mbox", "\\boxed")
_FRAC = re.compile(r"\\[dt]?frac(?![a-z])")
_SQRT = re.compile(r"\\sqrt(?![a-z])")
_SYMBOLS = (
    ("\\pi", "pi"), ("π", "pi"), ("\\infty", "inf"), ("∞", "inf"), ("\\cdot", "*"), ("\\times", "*"),
    ("×", "*"), ("·", "*"), ("\\%", "%"), ("^\\circ", ""), ("^{\\circ}", ""), ("°", ""), ("√", "sqrt"),
    ("\\le", "<="), ("\\ge", ">="), ("\\neq", "!="),
)
_REDUNDANT_PARENS = re.compile(r"\(([\w.]+)\)")
_IMPLICIT_TIMES = re.compile(r"(?<=[\d)])\*(?=[a-z(])")
_MAX_CHARS = 400  # an answer-sized expression; longer text is not a value


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The brace group ``{...}`` opening at ``start`` (after spaces) and the index after it, or a single
    character argument (``\\frac12``, ``\\sqrt3``); None when nothing follows."""
    while start < len(text) and text[start] == " ":
        start += 1
    if start >= len(text):
        return None
    if text[start] != "{":
        return text[start], start + 1
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return text[start + 1 :], len(text)


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


def math_canonical(text: str) -> str:
    """One string per written value: LaTeX made plain, spaces and redundant parentheses dropped, lower case.
    ``\\frac{5}{2}``, ``5/2`` and ``\\( \\dfrac{5}{2} \\)`` all give ``5/2``; ``4\\pi`` and ``4 \\cdot \\pi`` give
    ``4pi``; ``\\sqrt{3}`` gives ``sqrt3``."""
    text = latex_to_plain(text[:_MAX_CHARS]).replace("{", "(").replace("}", ")")
    text = "".join(text.split()).casefold().rstrip(".")
    for _ in range(4):  # "((5))/((2))" needs more than one pass
        simpler = _REDUNDANT_PARENS.sub(r"\1", text)
        if simpler == text:
            break
        text = simpler
    return _IMPLICIT_TIMES.sub("", text)


def is_symbolic(text: str) -> bool:
    """Whether ``text`` names a value beyond a plain number (pi, a root, infinity, a function)."""
    return bool(SYMBOLIC.search(text))
