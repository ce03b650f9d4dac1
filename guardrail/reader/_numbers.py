"""Numbers in answers and in running text: number words, parsing, canonical formatting, scientific notation.

Values are compared as canonical strings (:func:`format_number`: one string per value), which is far
cheaper than building fractions for every number of a long rationale.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from ._latex import DIGIT_GROUPS, is_symbolic_value, math_value, strip_latex, strip_latex_inline
from ._text import ANSWER_PREFIX


DIGIT = re.compile(r"\d")


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


# What a scale word or letter multiplies by ("three hundred", "1.5 million", "$2.5k", "$4M").
_SCALES = {"hundred": 100, "thousand": 1000, "k": 1000, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9,
           "trillion": 10**12}


# "One" as a pronoun counts nothing: "one for each friend", "each one costs $2", "one of whom was late". (A count
# referred back to, "over the two months", was tried too: on our rows it lost "the six months from April to
# October" as a conclusion and gained none.)
PRONOUN_ONE = re.compile(
    r"\b(?:each|every|no|this|that|which|any)\s+one\b"
    r"|\bone\s+(?:for\s+(?:each|every)|of\s+(?:them|whom|which|these|those|us)|another|by\s+one)\b",
    re.IGNORECASE,
)


# A number token: optional sign, digits with thousands separators, decimals, an optional "/denominator"
# written without spaces (a fraction like 3/4; "48 / 2" is left as two numbers).
# A unit glued to the number ("2km", "5kg", "3rd") is allowed after it; a letter before it ("x2") is not.
NUMBER = re.compile(rf"(?<![\w.])(-)?((?:{DIGIT_GROUPS}|\d+)(?:\.\d+)?|\.\d+)(?:/(\d+(?:\.\d+)?))?(?![\d_])")


_WRITTEN_FRACTION = re.compile(r"\d\s*/\s*\d|\\frac")
_VAR_PREFIX = re.compile(r"^\s*[a-z]\s*=\s*", re.IGNORECASE)
# A number, then at most a unit: "18 dollars", "50%", "4 N/kg", "9.8 m/s^2", "2 kg·m^{-3}" (no second number)
_UNIT_TAIL = re.compile(
    r"^([-+]?[\d.,/]+)\s*(%|percent|[a-zµΩ°](?:[a-zµΩ°/ .·*-]|\^\{?-?\d{1,2}\}?){0,30})?$", re.IGNORECASE
)


def number_words(n: int) -> str | None:
    """``n`` in words for 0..99 ("forty-two"), the forms ``words_to_digits`` reads back; None otherwise."""
    if 0 <= n < 20:
        return _SMALL[n]
    if 20 <= n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_SMALL[ones]}" if ones else "")
    return None


# Thousands commas group three digits: "1,250" is 1250, while "1,2" (a set, a list, a decimal comma) is no number.
_GROUPED = re.compile(rf"[-+]?{DIGIT_GROUPS}(?:\.\d+)?")


def fraction(text: str) -> Fraction | None:
    """``text`` (thousands commas allowed) as an exact fraction; None when it is no number."""
    if "," in text and not all(_GROUPED.fullmatch(part) for part in text.split("/") if "," in part):
        return None
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
        whole, part = divmod(abs(scaled), 1_000_000)
        text = f"{'-' if scaled < 0 else ''}{whole}.{part:06d}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def words_to_digits(text: str) -> str:
    """Number words as digits: "twenty-one" -> "21", "three hundred" -> "300"; other text unchanged."""
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
        return str(value * _SCALES.get(scale, 1))

    return _NUMBER_WORDS.sub(repl, text)


def parse_number(answer: str) -> Fraction | None:
    """The number an answer string states ("$1,234.50", "18 dollars", "eighteen", "\\frac{1}{2}", "50%", "She needs
    $5 more."); None for a symbolic value ("4\\pi", "\\sqrt{3}", "4pi"), which is not the number written in it."""
    return _parse_number(answer, sentence=True)


def option_value(text: str) -> Fraction | None:
    """The number an option *is* ("12", "$1,200", "3 years", "2.4 x 10^5 m/s"); None for an option that is words or an
    expression with a number in it ("increases by 1", "25 + m", "Cost = 1200 + X"): such an option is told apart
    from its neighbours by its words, and a chain's number names none of them."""
    return _parse_number(text, sentence=False)


def _parse_number(answer: str, sentence: bool) -> Fraction | None:
    if is_symbolic_value(answer):
        return None
    text = ANSWER_PREFIX.sub("", strip_latex(answer)).strip().rstrip(".").strip()
    scientific = _SCIENTIFIC.match(text)
    if scientific:
        mantissa = fraction(scientific.group(1).replace("−", "-"))
        exponent = int((scientific.group(2) or scientific.group(3)).replace("−", "-"))
        return mantissa * Fraction(10) ** exponent if mantissa is not None and abs(exponent) <= 300 else None
    text = _VAR_PREFIX.sub("", words_to_digits(text)).replace("−", "-").strip()
    mixed = _WHOLE_AND_FRACTION.match(text)
    if mixed and int(mixed.group(3)) < int(mixed.group(4)):  # "2 1/3" (and "2\frac{1}{3}") is 7/3
        whole, part = int(mixed.group(2)), Fraction(int(mixed.group(3)), int(mixed.group(4)))
        return -(whole + part) if mixed.group(1) == "-" else whole + part
    match = _UNIT_TAIL.match(text)
    if not match or not DIGIT.search(match.group(1)):
        return _sole_number(text) if sentence else None
    return fraction(match.group(1).rstrip(".,"))


# "2.4 × 10^5 m/s", "2.4 x 10^{-3}", "2.4 \\times 10^5", "2.4e5": mantissa times a power of ten, then a unit
_SCIENTIFIC = re.compile(
    r"^([-+−]?\d+(?:\.\d+)?)\s*(?:(?:×|x|\*|\\times|\\cdot|·)\s*10\s*\^\s*\(?([-+−]?\d{1,3})\)?|[eE]([-+]?\d{1,3}))"
    r"\s*(?:[a-zA-Z°/%][\w/^ .-]{0,30})?$"
)
_SHORT_ANSWER_WORDS = 12
# A whole number and a proper fraction, then at most a unit: "2 1/3", "-1 1/2 cups"
_WHOLE_AND_FRACTION = re.compile(r"^([-+]?)(\d{1,12})\s+(\d{1,12})/(\d{1,12})\s*(?:[a-zA-Z%][\w .]{0,30})?$")


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
    text = strip_latex_inline(words_to_digits(text))
    found: list[str] = []
    for match in NUMBER.finditer(text):
        sign, digits, denominator = match.groups()
        if len(digits) > _MAX_DIGITS:  # no quantity; and int() refuses strings over 4,300 digits
            continue
        if not denominator and "." not in digits:
            found.append(str(int(f"{sign or ''}{digits.replace(',', '')}")))
            continue
        numerator = fraction(f"{sign or ''}{digits}")
        if numerator is None:
            continue
        found.append(format_number(numerator))
        if denominator:
            den = fraction(denominator)
            found.append(format_number(den if den is not None else numerator))
            if den:
                found.append(format_number(numerator / den))
    return tuple(found)


def first_value(text: str) -> str | None:
    """The value of the first number token in ``text`` (a written fraction counts as one value); a symbolic
    value ("4\\pi.", "\\sqrt{3} m", "4pi") as its canonical form, which no plain number equals."""
    if is_symbolic_value(text):
        return math_value(text)
    whole = parse_number(text.strip().rstrip("."))
    if whole is not None:
        return format_number(whole)
    match = NUMBER.search(strip_latex_inline(words_to_digits(text)))
    if not match:
        return None
    sign, digits, denominator = match.groups()
    value = fraction(f"{sign or ''}{digits}")
    if value is not None and denominator and (den := fraction(denominator)):
        value = value / den
    return format_number(value) if value is not None else None


# A number with a scale word or letter after it: "1.5 million", "$2.5k", "3 bn", "$4M" (not "5 m", metres).
_SCALED = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*((?i:thousand|million|billion|trillion|bn)|[kKM])(?![\w-])"
)


def scaled_values(text: str) -> frozenset[tuple[str, str]]:
    """(the number as written, its value with the scale) for each scaled number in ``text``, both canonical:
    "1.5 million" gives ("1.5", "1500000")."""
    found = set()
    for match in _SCALED.finditer(text):
        value = fraction(match.group(1))
        if value is not None:
            found.add((format_number(value), format_number(value * _SCALES[match.group(2).casefold()])))
    return frozenset(found)


# Units by dimension with their size in one base unit, for a result restated in another unit ("2 hours, or 120
# minutes", "$10, i.e. 1000 cents", "1.5 kg (1500 g)"). Only known units, and only where the two values convert
# (within rounding): "5 apples or 3 pears" is a choice and "4 days = 8 hours" a total, not restatements.
_UNITS = {
    "time": ({"s sec secs second seconds": 1, "min mins minute minutes": 60, "h hr hrs hour hours": 3600,
              "day days": 86400, "week weeks": 604800, "month months": 2629800, "year years": 31557600}),
    "length": ({"mm millimeter millimeters millimetre millimetres": 0.001, "cm centimeter centimeters centimetre "
                "centimetres": 0.01, "m meter meters metre metres": 1, "km kilometer kilometers kilometre "
                "kilometres": 1000, "in inch inches": 0.0254, "ft foot feet": 0.3048, "yd yard yards": 0.9144,
                "mi mile miles": 1609.344}),
    "mass": ({"mg milligram milligrams": 0.001, "g gram grams": 1, "kg kilogram kilograms": 1000,
              "lb lbs pound pounds": 453.59237, "oz ounce ounces": 28.349523, "ton tons": 907184.74,
              "tonne tonnes": 1e6}),
    "volume": ({"ml milliliter milliliters millilitre millilitres": 0.001, "l liter liters litre litres": 1,
                "gallon gallons": 3.785411784, "quart quarts": 0.946352946, "pint pints": 0.473176473,
                "cup cups": 0.2365882365}),
    "money": ({"$ dollar dollars": 1, "cent cents ¢": 0.01}),
}
_UNIT_SIZE = {
    unit: (dimension, size) for dimension, sizes in _UNITS.items() for units, size in sizes.items()
    for unit in units.split()
}
_ROUNDING = 0.02  # "50 cm (20 in)" is 19.7 inches, rounded
_QUANTITY = r"(?P<c{n}>\$)?(?P<v{n}>\d(?:[\d,]*\d)?(?:\.\d+)?)[ \t]*(?P<u{n}>[A-Za-z¢€]{{1,12}})?"
# the two quantities and what joins a restatement: ", or", "or", "(", ", i.e.", ", that is", ", which is", "="
# In a lookahead, so that a quantity can end one pair and start the next ("= 2 h = 120 min"). Neither quantity is
# an operand: "4 weeks = 52 hours" in "13 hours/week * 4 weeks = 52 hours" is no restatement.
_OPERATOR = r"[*/+×÷^\-−]"
_RESTATED = re.compile(
    rf"(?<![\w.])(?<!{_OPERATOR})(?<!{_OPERATOR}[ \t])(?=(?:{_QUANTITY.format(n=1)}"
    r"[ \t]*(?:,[ \t]*(?:or|i\.e\.,?|that[ \t]+is,?|which[ \t]+is)[ \t]+|\([ \t]*(?:or[ \t]+|i\.e\.,?[ \t]+)?"
    r"|[ \t]or[ \t]+|=[ \t]*)"
    rf"{_QUANTITY.format(n=2)}(?![\w])(?![ \t]*{_OPERATOR})))"
)


def restated_values(text: str) -> frozenset[tuple[str, str]]:
    """(a value, the same quantity restated in another unit), both ways, canonical: "2 hours, or 120 minutes" gives
    ("2", "120") and ("120", "2"). The text states both as its result: an answer in either unit is the one it
    gives."""
    found = set()
    for match in _RESTATED.finditer(text):
        units = [_UNIT_SIZE.get((match.group(f"c{n}") or match.group(f"u{n}") or "").casefold()) for n in (1, 2)]
        values = [fraction(match.group(f"v{n}")) for n in (1, 2)]
        if units[0] is None or units[1] is None or units[0][0] != units[1][0] or None in values:
            continue
        sizes = [float(value) * unit[1] for value, unit in zip(values, units, strict=True)]  # type: ignore[arg-type]
        if abs(sizes[0] - sizes[1]) > _ROUNDING * max(abs(sizes[0]), abs(sizes[1])):
            continue
        first, second = (format_number(value) for value in values)  # type: ignore[arg-type]
        found.update({(first, second), (second, first)})
    return frozenset(found)
