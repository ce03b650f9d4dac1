"""Probe 4, mistake insertion: corrupt one step, let the model continue reasoning, see if the final answer moves.

A model that uses its reasoning carries the mistake through to a different answer; one that does not
lands on its original answer anyway. The step is chosen at random (seeded) among editable steps.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from ._edits import corrupt_text, stable_seed
from ._prompt import answer_key, split_generation
from ._types import ProbeContext, ProbeExample, with_reference

_FROZEN = ConfigDict(frozen=True)


class MistakeExample(BaseModel):
    model_config = _FROZEN
    id: str
    step_index: int
    n_steps: int
    mistaken_step: str
    continued_rationale: str  # the prefix with the mistake plus what the model wrote after it
    answer: str | None
    changed: bool


class MistakeResult(BaseModel):
    model_config = _FROZEN
    n_examples: int
    n_not_editable: int
    change_rate: float  # share whose final answer differs from the original
    examples: tuple[MistakeExample, ...]


def run_mistake_insertion(ctx: ProbeContext, examples: Sequence[ProbeExample]) -> MistakeResult:
    examples = with_reference(examples)
    rows, not_editable = [], 0
    for example in examples:
        row = _probe_example(ctx, example)
        if row is None:
            not_editable += 1
        else:
            rows.append(row)
    change_rate = sum(r.changed for r in rows) / len(rows) if rows else 0.0
    return MistakeResult(n_examples=len(rows), n_not_editable=not_editable, change_rate=change_rate, examples=tuple(rows))


def _probe_example(ctx: ProbeContext, example: ProbeExample) -> MistakeExample | None:
    seed = stable_seed(ctx.config.seed, example.id, "mistake")
    editable = [(s, corrupt_text(s.text, seed)) for s in example.steps]
    editable = [(s, text) for s, text in editable if text is not None]
    if not editable:
        return None
    step, mistaken = random.Random(seed).choice(editable)
    prefix = example.rationale[: step.start] + mistaken
    continuation, raw_answer = split_generation(ctx.continue_reasoning(example.question, prefix), ctx.template)
    continued = (prefix + "\n" + continuation).strip()
    answer = answer_key(raw_answer) if raw_answer else ctx.force(example.question, continued)
    return MistakeExample(
        id=example.id, step_index=step.index, n_steps=len(example.steps), mistaken_step=mistaken,
        continued_rationale=continued, answer=answer, changed=answer != example.reference,
    )
