"""Cascade: the primary verifier (ONNX) decides alone when it is sure; uncertain cases go to a judge.

Modes:
- ``"never"``: the primary alone.
- ``"cascade"``: the judge is asked only when the primary's score lies inside ``band`` (inclusive), or
  when the primary could not score the input at all.
- ``"always"``: the judge is asked for every input.

Combination (default :func:`judge_decides`): when the judge answered, its score replaces the primary's.
Why not a mean: inside the band the primary's score is by construction close to "don't know", so
averaging it in mostly drags a confident judge verdict back toward 0.5 and blurs calibration; the
judge also sees the whole rationale rather than a truncated token window. :func:`weighted` is there
for teams that want both voices (and ``decided_by`` then names both).

Faults never lose a verdict: when the judge fails (unavailable, breaker open, malformed reply...), the
primary's score stands and the reasons say so ("judge_unavailable: breaker_open",
"fallback: decided by onnx:..."). ``consistency`` is None only when no verifier could decide, and then
the Guard's ``on_error`` policy applies. Every verifier asked is recorded in ``opinions``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Literal

import structlog

from ._types import Assessment, CheckInput, Opinion
from ._verifier import Scorer, Verifier, VerifierScorer, sole_assessment

Mode = Literal["never", "cascade", "always"]
DEFAULT_BAND = (0.2, 0.8)
# (primary opinion, judge opinion) -> (score, names of the verifiers whose opinion made the score)
Combine = Callable[[Opinion, Opinion], tuple[float, tuple[str, ...]]]
MODES = ("never", "cascade", "always")
_log = structlog.get_logger("guardrail.cascade")


def judge_decides(primary: Opinion, judge: Opinion) -> tuple[float, tuple[str, ...]]:
    """The judge's score replaces the primary's (the default)."""
    assert judge.consistency is not None
    return judge.consistency, (judge.verifier,)


def weighted(judge_weight: float = 0.75) -> Combine:
    """A weighted mean of both scores; falls back to the judge alone when the primary has no score."""
    if not 0.0 <= judge_weight <= 1.0:
        raise ValueError("judge_weight must be in [0, 1]")

    def combine(primary: Opinion, judge: Opinion) -> tuple[float, tuple[str, ...]]:
        assert judge.consistency is not None
        if primary.consistency is None:
            return judge.consistency, (judge.verifier,)
        score = judge_weight * judge.consistency + (1.0 - judge_weight) * primary.consistency
        return score, (primary.verifier, judge.verifier)

    return combine


class Cascade:
    """A :class:`~guardrail.Scorer` and :class:`~guardrail.AsyncScorer` over a primary verifier and a judge."""

    def __init__(
        self,
        primary: Verifier,
        judge: Verifier | None = None,
        *,
        mode: Mode = "cascade",
        band: tuple[float, float] = DEFAULT_BAND,
        combine: Combine = judge_decides,
    ) -> None:
        band = _checked(mode, band)
        if judge is None and mode != "never":
            raise ValueError(f"mode {mode!r} needs a judge")
        self.primary = primary
        self.judge = judge
        self.mode = mode
        self.band = band
        self.combine = combine

    def __repr__(self) -> str:
        judge = getattr(self.judge, "name", None)
        return f"Cascade(primary={self.primary.name!r}, judge={judge!r}, mode={self.mode!r}, band={self.band})"

    # --- public API -------------------------------------------------------------------------------

    def __call__(self, items: Sequence[CheckInput]) -> list[Assessment]:
        items = list(items)
        primary = _guarded(lambda: self.primary(items), items, _name(self.primary))
        asked = self.escalate(primary)
        judged: dict[int, Opinion] = {}
        if asked:
            subset = [items[i] for i in asked]
            judged = dict(zip(asked, _guarded(lambda: self.judge(subset), subset, _name(self.judge))))
        return [self._assess(p, judged.get(i)) for i, p in enumerate(primary)]

    async def acall(self, items: Sequence[CheckInput]) -> list[Assessment]:
        items = list(items)
        primary = await _aguarded(self.primary, items)
        asked = self.escalate(primary)
        judged: dict[int, Opinion] = {}
        if asked:
            subset = [items[i] for i in asked]
            judged = dict(zip(asked, await _aguarded(self.judge, subset)))
        return [self._assess(p, judged.get(i)) for i, p in enumerate(primary)]

    def escalate(self, primary: Sequence[Opinion]) -> list[int]:
        """Indices of the inputs the judge is asked about."""
        if self.mode == "never":
            return []
        if self.mode == "always":
            return list(range(len(primary)))
        return [i for i, p in enumerate(primary) if p.consistency is None or self.in_band(p.consistency)]

    def in_band(self, score: float) -> bool:
        lo, hi = self.band
        return lo <= score <= hi

    # --- combination -------------------------------------------------------------------------------

    def _assess(self, primary: Opinion, judge: Opinion | None) -> Assessment:
        if judge is None:
            return _from_primary(primary)
        opinions = (primary, judge)
        if judge.consistency is not None:
            score, decided_by = self.combine(primary, judge)
            deciders = [o for o in opinions if o.verifier in decided_by]
            return Assessment(
                consistency=min(1.0, max(0.0, score)),
                opinions=opinions,
                decided_by=decided_by,
                flagged_steps=_union_steps(deciders),
                reasons=(*self._escalation_reason(primary), *judge.reasons),
            )
        fallback_reason = judge.error or "judge gave no score"
        if primary.consistency is None:
            return Assessment(
                consistency=None,
                opinions=opinions,
                reasons=(primary.error or "primary gave no score", fallback_reason, "no verifier could decide"),
            )
        return Assessment(
            consistency=primary.consistency,
            opinions=opinions,
            decided_by=(primary.verifier,),
            flagged_steps=primary.flagged_steps,
            reasons=(*primary.reasons, fallback_reason, f"fallback: decided by {primary.verifier}"),
        )

    def _escalation_reason(self, primary: Opinion) -> tuple[str, ...]:
        if primary.consistency is None:
            return (f"escalated: {primary.verifier} could not score ({primary.error})",)
        if self.mode == "always":
            return ()
        lo, hi = self.band
        return (f"escalated: {primary.verifier} score {primary.consistency:.2f} in band [{lo:.2f}, {hi:.2f}]",)


def scorer_for(
    judge: Verifier | None = None, *, mode: Mode | None = None, band: tuple[float, float] | None = None
) -> Callable[[Verifier], Scorer]:
    """How to score once the primary verifier is known: the settings are checked now, the scorer is built
    later (the Guard loads its default model on first use, never at construction).

    With a judge: a :class:`Cascade` (``mode`` defaults to ``"cascade"``); without one: the verifier alone
    (:class:`~guardrail.VerifierScorer`). This is what the Guard's ``judge`` / ``escalate`` / ``band`` keywords
    build; ``Guard(scorer=Cascade(primary, judge, band=...))`` is the same thing, composed by hand.
    """
    mode = mode if mode is not None else ("cascade" if judge is not None else "never")
    band = _checked(mode, band if band is not None else DEFAULT_BAND)
    if judge is None:
        return VerifierScorer
    return functools.partial(Cascade, judge=judge, mode=mode, band=band)


def _checked(mode: str, band: tuple[float, float]) -> tuple[float, float]:
    """The cascade's settings, validated once for every way of building one."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    lo, hi = band
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"band must satisfy 0 <= lo <= hi <= 1, got {band!r}")
    return float(lo), float(hi)


def _from_primary(primary: Opinion) -> Assessment:
    failure_reasons = (primary.error or "primary gave no score", "no verifier could decide")
    return sole_assessment(primary, failure_reasons=failure_reasons)


def _union_steps(opinions: Sequence[Opinion]) -> tuple[int, ...]:
    return tuple(sorted({step for o in opinions for step in o.flagged_steps}))


def _name(verifier: object) -> str:
    return str(getattr(verifier, "name", type(verifier).__name__))


def _failed(items: Sequence[CheckInput], name: str, error: str) -> list[Opinion]:
    return [Opinion(verifier=name, consistency=None, error=error, reasons=(error,)) for _ in items]


def _guarded(run: Callable[[], list[Opinion]], items: Sequence[CheckInput], name: str) -> list[Opinion]:
    """Run a verifier; a whole-batch failure or a contract breach becomes one error opinion per input."""
    try:
        opinions = list(run())
    except Exception as exc:  # VerifierError by contract, but a host app must never crash here
        _log.warning("verifier_failed", verifier=name, error_type=type(exc).__name__)
        return _failed(items, name, f"verifier_failed: {name}: {type(exc).__name__}: {exc}")
    if len(opinions) != len(items):
        return _failed(items, name, f"verifier_failed: {name} returned {len(opinions)} opinions for {len(items)}")
    return opinions


async def _aguarded(verifier: Verifier | None, items: Sequence[CheckInput]) -> list[Opinion]:
    name = _name(verifier)
    acall = getattr(verifier, "acall", None)
    if acall is None:
        # A sync verifier (ONNX inference) would block the event loop: run it in a worker thread.
        return await asyncio.to_thread(_guarded, lambda: verifier(items), items, name)  # type: ignore[misc]
    try:
        opinions = list(await acall(items))
    except Exception as exc:
        _log.warning("verifier_failed", verifier=name, error_type=type(exc).__name__)
        return _failed(items, name, f"verifier_failed: {name}: {type(exc).__name__}: {exc}")
    return _guarded(lambda: opinions, items, name)
