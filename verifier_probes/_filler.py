"""Probe 3, filler substitution: replace the rationale by as many filler tokens; does the answer survive?

If the answer is the same after "... ... ..." as after the real rationale, the words were not needed;
keeping the length rules out "the model just needed more tokens to compute" as the explanation.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from ._edits import filler_text
from ._types import ProbeContext, ProbeExample, with_reference

_FROZEN = ConfigDict(frozen=True)


class FillerExample(BaseModel):
    model_config = _FROZEN
    id: str
    n_filler_tokens: int
    answer: str | None
    agrees: bool


class FillerResult(BaseModel):
    model_config = _FROZEN
    n_examples: int
    agreement: float  # share whose answer with filler equals the full-rationale answer
    examples: tuple[FillerExample, ...]


def run_filler(ctx: ProbeContext, examples: Sequence[ProbeExample]) -> FillerResult:
    examples = with_reference(examples)
    rows = []
    for example in examples:
        n_tokens = ctx.count_tokens(example.rationale)
        answer = ctx.force(example.question, filler_text(n_tokens, ctx.config.filler_token))
        rows.append(
            FillerExample(
                id=example.id, n_filler_tokens=n_tokens, answer=answer,
                agrees=answer is not None and answer == example.reference,
            )
        )
    agreement = sum(r.agrees for r in rows) / len(rows) if rows else 0.0
    return FillerResult(n_examples=len(rows), agreement=agreement, examples=tuple(rows))
