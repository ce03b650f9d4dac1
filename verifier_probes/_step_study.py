"""Probes 2 and 6: step corruption and step deletion, measured as a log-prob effect against a control edit.

For step i: drop = lp(answer | rationale) - lp(answer | rationale with step i edited), and the control
drop is the same with a meaning-preserving edit of step i. effect = drop - control_drop (nats); the step
is load-bearing when effect > threshold (default 1 nat). The control absorbs the part of the drop that
any edit of the text causes, so the effect is what the *content* of the step contributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ._edits import control_text, corrupt_text, replace_step, stable_seed
from ._stats import Interval, ThirdSummary, clustered_bootstrap_ci, group_by_cluster, position_third, thirds_breakdown
from ._types import ProbeContext, ProbeExample

Intervention = Literal["corrupt", "delete"]
_FROZEN = ConfigDict(frozen=True)


class StepEffect(BaseModel):
    model_config = _FROZEN
    id: str
    step_index: int
    n_steps: int
    third: str
    edited_step: str | None  # the corrupted step text; None for deletion
    drop: float  # nats lost by the original answer under the edit
    control_drop: float  # nats lost under the control edit
    effect: float  # drop - control_drop
    load_bearing: bool


class StepStudyResult(BaseModel):
    model_config = _FROZEN
    intervention: Intervention
    threshold: float
    n_problems: int
    n_steps: int
    n_steps_not_editable: int  # corruption found no number or claim to change
    control: str
    mean_effect: Interval
    mean_drop: Interval  # the edit alone
    mean_control_drop: Interval  # the control edit alone; large values mean the control is not harmless
    share_load_bearing: Interval
    by_third: Mapping[str, ThirdSummary]
    steps: tuple[StepEffect, ...]


def run_step_study(ctx: ProbeContext, examples: Sequence[ProbeExample], intervention: Intervention) -> StepStudyResult:
    effects: list[StepEffect] = []
    not_editable = 0
    for example in examples:
        rows, skipped = _study_example(ctx, example, intervention)
        effects.extend(rows)
        not_editable += skipped
    cfg = ctx.config
    return StepStudyResult(
        intervention=intervention,
        threshold=cfg.threshold,
        n_problems=len({e.id for e in effects}),
        n_steps=len(effects),
        n_steps_not_editable=not_editable,
        control=cfg.control,
        mean_effect=_interval(ctx, [(e.id, e.effect) for e in effects]),
        mean_drop=_interval(ctx, [(e.id, e.drop) for e in effects]),
        mean_control_drop=_interval(ctx, [(e.id, e.control_drop) for e in effects]),
        share_load_bearing=_interval(ctx, [(e.id, float(e.load_bearing)) for e in effects]),
        by_third=thirds_breakdown(
            [(e.id, e.step_index, e.n_steps, e.effect) for e in effects], threshold=cfg.threshold, n_boot=cfg.n_boot,
            seed=cfg.seed,
        ),
        steps=tuple(effects),
    )


def _interval(ctx: ProbeContext, values: list[tuple[str, float]]) -> Interval:
    cfg = ctx.config
    return clustered_bootstrap_ci(group_by_cluster(values), n_boot=cfg.n_boot, confidence=cfg.confidence, seed=cfg.seed)


def _study_example(
    ctx: ProbeContext, example: ProbeExample, intervention: Intervention
) -> tuple[list[StepEffect], int]:
    q, r, answer = example.question, example.rationale, example.logprob_target(ctx.config)
    base = ctx.logprob(q, r, answer)
    rows, not_editable = [], 0
    for step in example.steps:
        edited_step = corrupt_text(step.text, stable_seed(example.id, step.index)) if intervention == "corrupt" else None
        if intervention == "corrupt" and edited_step is None:
            not_editable += 1
            continue
        drop = base - ctx.logprob(q, replace_step(r, step, edited_step), answer)
        control_drop = 0.0
        if ctx.config.control == "synonym":
            control_drop = base - ctx.logprob(q, replace_step(r, step, control_text(step.text)), answer)
        effect = drop - control_drop
        rows.append(
            StepEffect(
                id=example.id, step_index=step.index, n_steps=len(example.steps),
                third=position_third(step.index, len(example.steps)), edited_step=edited_step, drop=drop,
                control_drop=control_drop, effect=effect, load_bearing=effect > ctx.config.threshold,
            )
        )
    return rows, not_editable
