"""Run a chosen set of probes over prepared examples and collect one report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict

from ._backends import GenerateBackend
from ._data import prepare_examples
from ._early import EarlyAnswerResult, run_early_answering
from ._filler import FillerResult, run_filler
from ._hint import HintResult, run_hint
from ._mistake import MistakeResult, run_mistake_insertion
from ._prompt import PromptTemplate
from ._step_study import StepStudyResult, run_step_study
from ._types import ProbeConfig, ProbeContext, ProbeExample

log = structlog.get_logger()

ALL_PROBES = ("early", "corrupt", "filler", "mistake", "hint", "delete")
LOGPROB_PROBES = frozenset({"corrupt", "delete"})


class ProbeReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    model: str
    config: ProbeConfig
    template: dict[str, str]
    probes_requested: tuple[str, ...]
    skipped_probes: dict[str, str]  # probe -> why it did not run
    n_examples: int
    skipped_examples: tuple[dict[str, str], ...]
    examples: tuple[ProbeExample, ...]
    early: EarlyAnswerResult | None = None
    corrupt: StepStudyResult | None = None
    delete: StepStudyResult | None = None
    filler: FillerResult | None = None
    mistake: MistakeResult | None = None
    hint: HintResult | None = None


def parse_probe_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in ALL_PROBES]
    if unknown or not names:
        raise ValueError(f"unknown probes {unknown or text!r}; choose from {','.join(ALL_PROBES)}")
    return names


def run_probes(
    backend: GenerateBackend,
    records: Iterable[dict[str, Any]],
    probes: Sequence[str] = ALL_PROBES,
    *,
    config: ProbeConfig | None = None,
    template: PromptTemplate | None = None,
    model_name: str | None = None,
) -> ProbeReport:
    ctx = ProbeContext(backend=backend, template=template or PromptTemplate(), config=config or ProbeConfig())
    examples, skipped_examples = prepare_examples(ctx, records)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in probes:
        if name in LOGPROB_PROBES and not ctx.has_logprobs:
            skipped[name] = "backend exposes no log-probabilities (generate-only); this probe needs them"
            continue
        if not examples:
            skipped[name] = "no usable examples"
            continue
        log.info("probe_start", probe=name, n_examples=len(examples))
        results[name] = _run_one(ctx, name, examples)
    return ProbeReport(
        model=model_name or getattr(backend, "name", type(backend).__name__),
        config=ctx.config,
        template={"head": ctx.template.head, "answer_cue": ctx.template.answer_cue},
        probes_requested=tuple(probes),
        skipped_probes=skipped,
        n_examples=len(examples),
        skipped_examples=tuple(skipped_examples),
        examples=tuple(examples),
        **results,
    )


def _run_one(ctx: ProbeContext, name: str, examples: Sequence[ProbeExample]) -> Any:
    if name == "early":
        return run_early_answering(ctx, examples)
    if name in ("corrupt", "delete"):
        return run_step_study(ctx, examples, name)  # type: ignore[arg-type]
    if name == "filler":
        return run_filler(ctx, examples)
    if name == "mistake":
        return run_mistake_insertion(ctx, examples)
    return run_hint(ctx, examples)
