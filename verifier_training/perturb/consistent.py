"""Label-1 operators: changes that keep the rationale supporting the answer.

Each one leaves the reasoning's conclusion equal to the answer while changing something a shallow model
might key on: inserted filler and asides (length, extra numbers), reformatted answers, paraphrase, a
trailing remark that ends the text on another number, a hint in the question that the answer ignores, and a
rationale condensed to the steps that reach the answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from guardrail.reader import analyse, format_number, numbers_in

from ._common import (
    Example,
    Variant,
    conclusion_sentence,
    display_answer,
    with_hint,
    wrong_value,
)

FILLERS = (
    "Let me double-check this.",
    "I should be careful here.",
    "This step is straightforward.",
    "Okay, that makes sense.",
    "Let's keep going.",
    "Hmm, let me think about this a bit more.",
    "That seems right.",
    "Good, moving on.",
    "I want to make sure I read the question correctly.",
    "Let me organise the information.",
)
ASIDES = (
    "As an aside, the Eiffel Tower is about 330 meters tall.",
    "Fun fact: a week has 7 days.",
    "(Interestingly, honey never spoils.)",
    "By the way, there are 24 hours in a day.",
    "Side note: the Pacific is the largest ocean.",
    "Incidentally, a dozen is 12.",
    "Unrelated, but octopuses have 3 hearts.",
    "Note: this kind of problem appears often in textbooks.",
)
_PARAPHRASES = (
    (r"\bSo\b", "Thus"),
    (r"\bTherefore\b", "So"),
    (r"\baltogether\b", "in total"),
    (r"\bmultiply\b", "times"),
    (r"\bwhich means\b", "so"),
    (r"\bhas\b", "owns"),
    (r"\bbuys\b", "purchases"),
    (r"\bearns\b", "makes"),
    (r"\bThen\b", "Next"),
    (r"\bNow\b", "Next"),
)


def base_steps(example: Example, rng: random.Random, p_conclusion: float | None = None) -> list[str]:
    """The example's steps, sometimes with a concluding sentence stating its own final value."""
    steps = example.steps
    if p_conclusion is None:
        # A list of facts with no verdict asks for world knowledge the verifier does not have; real models
        # mostly end yes/no and label answers with a verdict, so most variants get one.
        p_conclusion = 0.7 if example.answer_type in ("yes_no", "text") else 0.3
    if rng.random() < p_conclusion:
        steps.append(conclusion_sentence(example, example.final, rng))
    return steps


def _answer(example: Example, rng: random.Random, reformat_p: float = 0.25) -> str:
    return display_answer(example, example.final, rng, reformat=rng.random() < reformat_p)


def original(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant:
    return Variant("original", 1, base_steps(example, rng), _answer(example, rng), example.question)


def filler(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant:
    steps = base_steps(example, rng)
    for _ in range(rng.randint(1, 3)):
        steps.insert(rng.randint(0, len(steps) - 1), rng.choice(FILLERS))
    if rng.random() < 0.2:
        steps.append(rng.choice(("I hope this helps.", "Let me know if you have questions.")))
    return Variant("filler", 1, steps, _answer(example, rng), example.question)


def aside(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant:
    steps = base_steps(example, rng)
    steps.insert(rng.randint(0, max(0, len(steps) - 1)), rng.choice(ASIDES))
    return Variant("aside", 1, steps, _answer(example, rng), example.question)


def reformat(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant:
    return Variant("reformat", 1, base_steps(example, rng), _answer(example, rng, reformat_p=1.0), example.question)


def paraphrase(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    steps = base_steps(example, rng)
    chosen = rng.sample(_PARAPHRASES, 4)
    changed = [s for s in steps]
    for pattern, replacement in chosen:
        changed = [re.sub(pattern, replacement, s, count=1) for s in changed]
    if changed == steps:
        return None
    return Variant("paraphrase", 1, changed, _answer(example, rng), example.question)


def trailing_remark(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The conclusion is followed by a remark that names another value or option, often to reject it (the
    regex baseline's blind spot; ``inconsistent.rejected_answer`` gives that value as the answer)."""
    remark = rejection_remark(example, rng, pool)
    if remark is None:
        return None
    return Variant("trailing_remark", 1, remark_steps(example, rng, remark[0]), _answer(example, rng), example.question)


def remark_steps(example: Example, rng: random.Random, remark: str) -> list[str]:
    """The steps, then the remark; a list of facts always gets its verdict first, or "not (C)" would be it."""
    facts_only = example.row["source"].startswith("strategyqa")
    return [*base_steps(example, rng, p_conclusion=1.0 if facts_only else 0.5), remark]


_REMARKS = (
    "Note that this is different from the {x} we found earlier.",
    "(Compare with {x} above.)",
    "This makes sense since it is not {x}.",
    "That is the total, not just the {x}.",
    "So it is not {x}.",
    "({x} would be wrong here.)",
    "This rules out {x}.",
    "It cannot be {x}.",
)


def rejection_remark(example: Example, rng: random.Random, pool: Sequence[Example]) -> tuple[str, str] | None:
    """(a closing remark naming another value or option than the conclusion, that value as an answer)."""
    if example.answer_type == "numeric":
        others = sorted({format_number(v) for s in example.steps[:-1] for v in numbers_in(s)} - {example.final})
        other = rng.choice(others) if others and rng.random() < 0.7 else wrong_value(example, rng, pool, "small")
        if other is None or other == example.final:
            return None
        return rng.choice(_REMARKS).format(x=other), display_answer(example, other, rng)
    if example.answer_type == "choice":
        letter = wrong_value(example, rng, pool, "intermediate")
        text = example.meta["options"].get(letter or "", "")
        if not letter or not text:
            return None
        named = rng.choice((text, f"({letter})", f"option {letter}", f"{letter}) {text}"))
        return rng.choice(_REMARKS[4:]).format(x=named), display_answer(example, letter, rng)
    return None


def condensed(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """A short rationale: only the last step or two, which still derive the answer (terse is not unfaithful).
    A list of facts keeps its last fact and gets its verdict."""
    steps = example.steps
    if example.row["source"].startswith("strategyqa"):
        kept = [*steps[-1:], conclusion_sentence(example, example.final, rng)]
        return Variant("condensed", 1, kept, _answer(example, rng), example.question)
    if len(steps) < 3:
        return None
    kept = steps[-rng.randint(1, 2) :]
    answer = _answer(example, rng)
    if not analyse(example.question, "\n".join(kept), answer).agrees:
        return None  # the kept tail does not state the conclusion on its own
    return Variant("condensed", 1, kept, answer, example.question)


def hint_ignored(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The question carries a hint; the answer follows the rationale, not the hint."""
    hinted = wrong_value(example, rng, pool, "small") if rng.random() < 0.7 else example.final
    if hinted is None:
        return None
    shown = display_answer(example, hinted, rng)
    return Variant(
        "hint_ignored", 1, base_steps(example, rng), _answer(example, rng), with_hint(example.question, shown, rng)
    )


OPERATORS = {
    "original": original,
    "filler": filler,
    "aside": aside,
    "reformat": reformat,
    "paraphrase": paraphrase,
    "trailing_remark": trailing_remark,
    "hint_ignored": hint_ignored,
    "condensed": condensed,
}
