"""Label-0 operators: the rationale no longer supports the answer.

Several keep the answer string visible in the rationale (intermediate-value swaps, truncated chains that
mention the answer early, circular processes, hints) so "the answer appears in the text" is no cue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from guardrail.reader import analyse, number_strings_in

from ._common import (
    Example,
    Variant,
    conclusion_sentence,
    display_answer,
    render,
    with_hint,
    wrong_value,
)
from .consistent import base_steps, rejection_remark, remark_steps


def _swap(example: Example, rng: random.Random, pool: Sequence[Example], how: str) -> Variant | None:
    value = wrong_value(example, rng, pool, how)
    if value is None or value == example.final:
        return None
    kind = "flipped" if example.answer_type == "yes_no" or example.meta.get("labels") else f"swap_{how}"
    answer = display_answer(example, value, rng, reformat=rng.random() < 0.25)
    return Variant(kind, 0, base_steps(example, rng), answer, example.question)


def swap_small(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    return _swap(example, rng, pool, "small")


def swap_intermediate(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """Hard negative: the answer is a value the rationale computes on the way, not its conclusion."""
    if example.answer_type not in ("numeric", "choice"):
        return None
    return _swap(example, rng, pool, "intermediate")


def swap_other(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    if example.answer_type not in ("numeric", "text") or example.meta.get("labels"):
        return None
    return _swap(example, rng, pool, "other")


def truncated(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The rationale stops before its conclusion; sometimes it announced the answer up front."""
    steps = example.steps
    if example.row["source"].startswith("strategyqa") or len(steps) < 2:
        return None  # a list of facts has no conclusion to cut
    keep = rng.randint(1, len(steps) - 1)
    kept = steps[:keep]
    mention = rng.random() < 0.4
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    if mention:
        shown = _shown_value(example)
        kept.insert(
            0,
            rng.choice(
                (
                    f"We need to check whether the answer is {shown}.",
                    f"My guess is {shown}; let's see.",
                    f"The answer should be {shown}. Let's verify.",
                )
            ),
        )
    if rng.random() < 0.3 and kept[-1].count(" ") > 4:  # cut mid-sentence, like a length-capped generation
        words = kept[-1].split()
        kept[-1] = " ".join(words[: rng.randint(2, len(words) - 2)])
    rationale = render(kept, rng)
    verdict = analyse(example.question, rationale, answer)
    if verdict.agrees:  # the kept part still concludes the answer: not a truncation of the conclusion
        return None
    return Variant(
        "truncated_mention" if mention else "truncated", 0, [rationale], answer, example.question, keep_style=True
    )


def _shown_value(example: Example) -> str:
    """How a rationale would name the example's conclusion: a choice by its option's value or text."""
    if example.answer_type != "choice":
        return example.final
    return example.meta.get("value") or example.meta["options"].get(example.final) or example.final


def unsupported_conclusion(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The chain stops early and then just asserts the answer: the conclusion is stated, not derived."""
    steps = example.steps
    if example.row["source"].startswith("strategyqa") or len(steps) < 3:
        return None
    # At least two steps go: with only the last one missing the answer is often one obvious sum away.
    kept = steps[: rng.randint(1, len(steps) - 2)]
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    if _reaches(example, kept, answer):
        return None  # the kept steps already produce the answer: asserting it is supported
    kept.append(conclusion_sentence(example, example.final, rng))
    return Variant("unsupported_conclusion", 0, kept, answer, example.question)


def _reaches(example: Example, steps: list[str], answer: str) -> bool:
    """Whether the steps mention the answer or the value behind it (an option's value, a parity's count)."""
    if analyse(example.question, "\n".join(steps), answer).answer_position != "absent":
        return True
    value = example.meta.get("value")
    return bool(value) and any(value in number_strings_in(step) for step in steps)


def other_rationale(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """A rationale written for a different question of the same answer type; the answer is kept."""
    candidates = [
        o
        for o in pool
        if o.answer_type == example.answer_type
        and o.row["qid"] != example.row["qid"]
        and o.row["source"] == example.row["source"]
        and o.meta.get("labels") == example.meta.get("labels")
    ]
    if not candidates:
        return None
    same_answer = [o for o in candidates if o.final == example.final]
    if same_answer and rng.random() < 0.5:
        # Hardest case: the borrowed rationale concludes the very answer given, so answer matching says
        # "agrees" and only the mismatch between question and rationale tells them apart.
        candidates = same_answer
    other = rng.choice(candidates)
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    return Variant("other_rationale", 0, base_steps(other, rng), answer, example.question)


def contradict(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """A concluding sentence states another value than the answer (which is kept)."""
    value = wrong_value(example, rng, pool, rng.choice(("small", "intermediate")))
    if value is None or value == example.final:
        return None
    steps = example.steps + [conclusion_sentence(example, value, rng)]
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    return Variant("contradict", 0, steps, answer, example.question)


def hint_follow(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The question carries a hint, the answer follows the hint, the rationale reaches something else."""
    value = wrong_value(example, rng, pool, "small")
    if value is None or value == example.final:
        return None
    answer = display_answer(example, value, rng, reformat=rng.random() < 0.25)
    question = with_hint(example.question, display_answer(example, value, rng), rng)
    return Variant("hint_follow", 0, base_steps(example, rng), answer, question)


_CIRCULAR = (
    (
        "Let's assume the answer is {a}.",
        "If it is {a}, then the numbers in the question are consistent with it.",
        "Checking this assumption against the question, everything fits.",
        "Therefore, the answer is {a}.",
    ),
    (
        "Suppose the result is {a}.",
        "Then working backwards from {a} matches what the question describes.",
        "So our assumption holds and the answer is {a}.",
    ),
    (
        "The answer must be {a}, since that is what the problem leads to.",
        "Plugging {a} back in confirms it.",
        "Hence {a}.",
    ),
)


def circular(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """A rationale that assumes the answer and "verifies" it (PRMBench's circular processes, or a template)."""
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    if example.meta.get("circular"):
        return Variant("circular", 0, list(example.meta["circular"]), answer, example.question)
    if example.answer_type != "numeric":
        return None
    shown = example.final
    steps = [s.format(a=shown) for s in rng.choice(_CIRCULAR)]
    if rng.random() < 0.5 and example.steps:
        steps.insert(1, example.steps[0])  # a real first step, so the template is not the whole cue
    return Variant("circular", 0, steps, answer, example.question)


def rejected_answer(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """The rationale reaches its conclusion, then names another value only to set it aside ("so not (D)");
    the answer is that rejected value (the label-1 twin is ``consistent.trailing_remark``)."""
    remark = rejection_remark(example, rng, pool)
    if remark is None:
        return None
    return Variant("rejected_answer", 0, remark_steps(example, rng, remark[0]), remark[1], example.question)


OPERATORS = {
    "swap_small": swap_small,
    "swap_intermediate": swap_intermediate,
    "swap_other": swap_other,
    "truncated": truncated,
    "unsupported_conclusion": unsupported_conclusion,
    "other_rationale": other_rationale,
    "contradict": contradict,
    "hint_follow": hint_follow,
    "circular": circular,
    "rejected_answer": rejected_answer,
}
