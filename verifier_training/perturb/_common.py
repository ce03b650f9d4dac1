"""Shared pieces of the perturbation operators: the example view, answer rendering, style rendering.

An operator takes an :class:`Example` (a base row from ``verifier-train data``), a ``random.Random`` and
the pool of other examples, and returns a :class:`Variant` (steps, answer, question, label, kind) or None
when it does not apply. Operators never touch the rendering style; :func:`render` applies one afterwards
so that no style (numbering, paragraph, "Let's think step by step.") goes with one label.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from guardrail.reader import format_number, number_words, numbers_in, parse_number, parse_options

NUMBER_TOKEN = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d_]|\.\d)")


@dataclass(frozen=True)
class Example:
    row: dict

    @property
    def question(self) -> str:
        return self.row["question"]

    @property
    def steps(self) -> list[str]:
        return list(self.row["meta"]["steps"])

    @property
    def answer_type(self) -> str:
        return self.row["answer_type"]

    @property
    def final(self) -> str:
        """The normalised value the rationale concludes: number, option letter, yes/no, label, text."""
        return str(self.row["meta"].get("final") or self.row["answer"])

    @property
    def meta(self) -> dict:
        return self.row["meta"]


@dataclass(frozen=True)
class Variant:
    kind: str
    label: int
    steps: list[str]
    answer: str
    question: str
    keep_style: bool = False  # True: the steps are already rendered (e.g. truncated mid-sentence)
    notes: dict = field(default_factory=dict)


Operator = Callable[[Example, random.Random, Sequence[Example]], "Variant | None"]


# ------------------------------------------------------------------------------------------------ answers


def display_answer(example: Example, value: str, rng: random.Random, reformat: bool = False) -> str:
    """How an answer string states ``value`` (a normalised value of the example's type)."""
    kind = example.answer_type
    if kind == "numeric":
        return display_number(value, rng, example.question) if reformat else value
    if kind == "choice":
        forms = (
            ("{l}", "({l})", "{l})", "Option {l}", "The answer is {l}", "{l}. {t}") if reformat else ("{l}", "({l})")
        )
        return rng.choice(forms).format(l=value, t=example.meta["options"].get(value, ""))
    if kind == "yes_no":
        forms = ("Yes.", "yes", "YES", "True", "true") if value == "yes" else ("No.", "no", "NO", "False", "false")
        return rng.choice(forms) if reformat else value.capitalize()
    if reformat:
        return rng.choice((value.capitalize(), value.upper(), f"{value}.", f"The answer is {value}"))
    return value


_UNITS = re.compile(r"\b(dollars|minutes|hours|days|miles|pages|cookies|apples|people|students|feet|inches|pounds)\b")


def display_number(value: str, rng: random.Random, question: str = "") -> str:
    """A reformatted but equal number: $18, 18.00, 18 dollars, eighteen, 1,234."""
    number = parse_number(value)
    if number is None:
        return value
    forms = [f"{value}.00" if number.denominator == 1 else value, f"The answer is {value}"]
    if "$" in question or "dollar" in question.lower():
        forms += [f"${value}", f"${float(number):,.2f}", f"{value} dollars"]
    unit = _UNITS.search(question.lower())
    if unit:
        forms.append(f"{value} {unit.group(1)}")
    if number.denominator == 1 and abs(number) >= 1000:
        forms.append(f"{number.numerator:,}")
    if number.denominator == 1 and (words := number_words(number.numerator)):
        forms.append(words)
    forms.append(f"\\boxed{{{value}}}")
    return rng.choice(forms)


def conclusion_sentence(example: Example, value: str, rng: random.Random) -> str:
    """A final sentence stating ``value`` in the example's type."""
    kind = example.answer_type
    if kind == "yes_no":
        if rng.random() < 0.3 and example.question.rstrip().endswith("?"):
            return rng.choice(("So, {q} {a}.", 'The answer to "{q}" is {a}.', "{q} {a}, based on the above.")).format(
                q=example.question.strip(), a="Yes" if value == "yes" else "No"
            )
        return rng.choice(_YES_SENTENCES if value == "yes" else _NO_SENTENCES)
    if kind == "choice":
        text = example.meta["options"].get(value, "")
        return rng.choice(
            (
                f"So the answer is ({value}).",
                f"The correct option is {value}.",
                f"Therefore, the answer is {value}) {text}.",
                f"So the answer is {text}, which is option {value}.",
            )
        )
    if kind == "text" and example.meta.get("labels"):
        labels = example.meta["labels"]
        other = next((x for x in labels if x != value), value)
        forms = [f"So the answer is {value}.", f"Therefore, it is {value}.", f"Hence: {value}."]
        if len(labels) == 2:  # "not refuted" names the verdict only when there are two labels
            forms.append(f"So it is not {other}.")
        forms.append(f"The label is {value}, not {other}.")
        return rng.choice(forms)
    return rng.choice(
        (
            f"So the answer is {value}.",
            f"Therefore, the final answer is {value}.",
            f"The answer is $\\boxed{{{value}}}$.",
            f"Thus, the result is {value}.",
            f"**Final Answer:** {value}",
            f"Final answer: {value}",
        )
    )


_YES_SENTENCES = (
    "So the answer is yes.",
    "Therefore, yes.",
    "Thus, it is true.",
    "So it is possible.",
    "Hence the statement holds.",
    "So yes, that is the case.",
    "Therefore, the answer is true.",
)
_NO_SENTENCES = (
    "So the answer is no.",
    "Therefore, no.",
    "Thus, it is not true.",
    "So it is not possible.",
    "Hence the statement does not hold.",
    "So no, that is not the case.",
    "Therefore, the answer is false.",
    "So this could not happen.",
)


def wrong_value(example: Example, rng: random.Random, pool: Sequence[Example], how: str) -> str | None:
    """A plausible value of the example's type that differs from its conclusion."""
    kind, final = example.answer_type, example.final
    if kind == "yes_no":
        return "no" if final == "yes" else "yes"
    if kind == "choice":
        letters = [k for k in example.meta["options"] if k != final]
        if how == "intermediate":
            seen = {format_number(v) for step in example.steps[:-1] for v in numbers_in(step)}
            letters = [k for k in letters if example.meta["options"][k] in seen] or letters
        return rng.choice(letters)
    if kind == "text" and example.meta.get("labels"):
        return rng.choice([label for label in example.meta["labels"] if label != final])
    if kind == "numeric":
        return wrong_number(example, rng, pool, how)
    others = [o.final for o in pool if o.answer_type == "text" and o.final != final and not o.meta.get("labels")]
    return rng.choice(others) if others else None


def wrong_number(example: Example, rng: random.Random, pool: Sequence[Example], how: str) -> str | None:
    final = parse_number(example.final)
    if final is None:
        return None
    if how == "intermediate":
        values = {format_number(v) for step in example.steps[:-1] for v in numbers_in(step)}
        values.discard(example.final)
        return rng.choice(sorted(values)) if values else None
    if how == "other":
        others = [o.final for o in pool if o.answer_type == "numeric" and o.final != example.final]
        return rng.choice(others) if others else None
    delta = rng.choice((1, -1, 2, -2, 3, 10, -10)) if final.denominator == 1 else Fraction(rng.choice((1, -1)), 2)
    candidate = rng.choice((final + delta, final + delta, final * 10, final * 2)) if final else final + abs(delta)
    return format_number(candidate) if candidate != final else format_number(final + 1)


def replace_numbers(text: str, mapping: dict[str, str]) -> str:
    """Replace every number token whose canonical value is a key of ``mapping``."""

    def repl(match: re.Match[str]) -> str:
        value = parse_number(match.group(0))
        key = format_number(value) if value is not None else None
        return mapping.get(key, match.group(0)) if key is not None else match.group(0)

    return NUMBER_TOKEN.sub(repl, text)


# ------------------------------------------------------------------------------------------------ hints

HINTS = (
    "A professor thinks the answer is {x}.",
    "Hint: the answer is probably {x}.",
    "I think the answer is {x}, but I'm not sure.",
    "A Stanford expert says the answer is {x}.",
    "(My teacher said it's {x}.)",
)


def with_hint(question: str, hint_value: str, rng: random.Random) -> str:
    hint = rng.choice(HINTS).format(x=hint_value)
    if parse_options(question):  # inline options run to the end of the line: keep the hint off it
        return f"{question}\n{hint}" if rng.random() < 0.7 else f"{hint} {question}"
    return f"{question} {hint}" if rng.random() < 0.7 else f"{hint} {question}"


# ------------------------------------------------------------------------------------------------ styles

_STEP_PREFIX = re.compile(r"^\s*(?:\*\*step\s*\d+\s*[:.)]\*\*|step\s*\d+\s*[:.)]|\d{1,2}[.)]|[-*•])\s+", re.IGNORECASE)
PREFACES = (
    "Let's think step by step.",
    "Let me work through this.",
    "Okay, let's solve it.",
    "First, let's look at the facts.",
    "We need to figure this out carefully.",
)


def render(steps: list[str], rng: random.Random, style: str | None = None) -> str:
    steps = [_STEP_PREFIX.sub("", s).strip() for s in steps if s.strip()]
    if rng.random() < 0.2:
        steps = [rng.choice(PREFACES), *steps]
    style = (
        style
        or rng.choices(("lines", "paragraph", "numbered", "step", "bullets", "markdown"), weights=(4, 3, 2, 1, 1, 1))[0]
    )
    if style == "paragraph":
        return " ".join(_ensure_period(s) for s in steps)
    if style == "numbered":
        return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    if style == "step":
        return "\n".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1))
    if style == "markdown":
        return "\n\n".join(f"**Step {i}:** {s}" for i, s in enumerate(steps, 1))
    if style == "bullets":
        return "\n".join(f"- {s}" for s in steps)
    return "\n".join(steps)


def _ensure_period(step: str) -> str:
    return step if step[-1:] in ".!?:$)" else step + "."
