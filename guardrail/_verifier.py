"""Extension points: one-method protocols, like structlog processors; and the default scorer over one verifier.

``Verifier`` scores inputs; ``Scorer`` turns inputs into an :class:`Assessment` (it may ask one or several
verifiers: the default asks one, the judge cascade asks the ONNX verifier and escalates uncertain cases).

Contract for implementations:
- settings go in ``__init__``; work in ``__call__`` (sync). Implementations that can work without blocking
  an event loop also provide ``async def acall(items)`` with the same contract (``AsyncVerifier`` /
  ``AsyncScorer``); callers without ``acall`` support are run in a worker thread.
- one result per input, in input order;
- a failure that concerns one input is an ``Opinion`` with ``error`` set and ``consistency=None``;
- a failure of the whole batch raises :class:`~guardrail.VerifierError` (or a subclass), chained with ``from``;
- ``name`` identifies a verifier in verdicts ("onnx:<model>", "claude:<model>").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ._errors import VerifierError
from ._types import Assessment, CheckInput, Opinion


@runtime_checkable
class Verifier(Protocol):
    name: str

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]: ...


@runtime_checkable
class AsyncVerifier(Protocol):
    name: str

    async def acall(self, items: Sequence[CheckInput]) -> list[Opinion]: ...


@runtime_checkable
class Scorer(Protocol):
    def __call__(self, items: Sequence[CheckInput]) -> list[Assessment]: ...


@runtime_checkable
class AsyncScorer(Protocol):
    async def acall(self, items: Sequence[CheckInput]) -> list[Assessment]: ...


def sole_assessment(opinion: Opinion, failure_reasons: tuple[str, ...]) -> Assessment:
    """The assessment when one verifier's opinion decides alone: its score, steps and reasons, or, when it
    gave no score, no score with ``failure_reasons`` (the scorer says why no one could decide)."""
    if opinion.consistency is None:
        return Assessment(consistency=None, opinions=(opinion,), reasons=failure_reasons)
    return Assessment(
        consistency=opinion.consistency,
        opinions=(opinion,),
        decided_by=(opinion.verifier,),
        flagged_steps=opinion.flagged_steps,
        reasons=opinion.reasons,
    )


class VerifierScorer:
    """The default :class:`Scorer`: one verifier, its opinion is the assessment."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def __call__(self, items: Sequence[CheckInput]) -> list[Assessment]:
        return self._assess(items, self.verifier(items))

    async def acall(self, items: Sequence[CheckInput]) -> list[Assessment]:
        acall = getattr(self.verifier, "acall", None)
        opinions = await acall(items) if acall is not None else await asyncio.to_thread(self.verifier, items)
        return self._assess(items, opinions)

    def _assess(self, items: Sequence[CheckInput], opinions: Sequence[Opinion]) -> list[Assessment]:
        if len(opinions) != len(items):
            raise VerifierError(
                f"{getattr(self.verifier, 'name', 'verifier')} returned {len(opinions)} opinions "
                f"for {len(items)} inputs"
            )
        return [_assessment(opinion) for opinion in opinions]


def _assessment(opinion: Opinion) -> Assessment:
    reason = f"verifier_error: {opinion.verifier}: {opinion.error or 'no score'}"
    return sole_assessment(opinion, failure_reasons=(reason, *opinion.reasons))
