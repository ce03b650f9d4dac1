"""Statistics for step-level effects: a bootstrap clustered by problem and the chain-position thirds.

Steps of one problem share the model's state on that problem, so they are not independent draws; the
bootstrap resamples whole problems (clusters) and pools their steps, which widens the interval when
effects are correlated within problems instead of pretending every step is a fresh observation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

THIRDS = ("first", "middle", "last")


class Interval(BaseModel):
    model_config = ConfigDict(frozen=True)
    estimate: float | None
    low: float | None
    high: float | None
    n_clusters: int
    n_items: int
    confidence: float


def clustered_bootstrap_ci(
    clusters: Sequence[Sequence[float]],
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile interval for the pooled mean of all items, resampling clusters with replacement."""
    clusters = [list(c) for c in clusters if len(c) > 0]
    n_items = sum(len(c) for c in clusters)
    if not clusters:
        return Interval(estimate=None, low=None, high=None, n_clusters=0, n_items=0, confidence=confidence)
    sums = np.array([sum(c) for c in clusters], dtype=float)
    counts = np.array([len(c) for c in clusters], dtype=float)
    estimate = float(sums.sum() / counts.sum())
    if len(clusters) == 1:  # one problem: no between-problem variation to resample
        return Interval(estimate=estimate, low=None, high=None, n_clusters=1, n_items=n_items, confidence=confidence)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(clusters), size=(n_boot, len(clusters)))
    boots = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(boots, [tail, 1.0 - tail])
    return Interval(
        estimate=estimate, low=float(low), high=float(high), n_clusters=len(clusters), n_items=n_items,
        confidence=confidence,
    )


def position_third(index: int, n_steps: int) -> str:
    """Which third of the chain a step's centre falls in (a 2-step chain is first + last; 1 step is middle)."""
    if n_steps <= 0 or not 0 <= index < n_steps:
        raise ValueError(f"step {index} outside a chain of {n_steps}")
    return THIRDS[min(2, int(3 * (index + 0.5) / n_steps))]


def group_by_cluster(items: Sequence[tuple[str, float]]) -> list[list[float]]:
    """[(cluster id, value)] -> values grouped per cluster, in first-seen order."""
    grouped: dict[str, list[float]] = {}
    for cluster, value in items:
        grouped.setdefault(cluster, []).append(value)
    return list(grouped.values())


class ThirdSummary(BaseModel):
    model_config = ConfigDict(frozen=True)
    third: str
    n_steps: int
    mean_effect: Interval
    share_load_bearing: Interval


def thirds_breakdown(
    effects: Sequence[tuple[str, int, int, float]],
    *,
    threshold: float,
    n_boot: int = 2000,
    seed: int = 0,
) -> Mapping[str, ThirdSummary]:
    """effects = [(problem id, step index, chain length, effect in nats)] -> summary per third."""
    out: dict[str, ThirdSummary] = {}
    for third in THIRDS:
        rows = [(pid, eff) for pid, idx, n, eff in effects if position_third(idx, n) == third]
        out[third] = ThirdSummary(
            third=third,
            n_steps=len(rows),
            mean_effect=clustered_bootstrap_ci(group_by_cluster(rows), n_boot=n_boot, seed=seed),
            share_load_bearing=clustered_bootstrap_ci(
                group_by_cluster([(pid, float(eff > threshold)) for pid, eff in rows]), n_boot=n_boot, seed=seed
            ),
        )
    return out
