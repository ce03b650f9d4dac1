"""Classification metrics in numpy (no sklearn): AUROC, ECE, accuracy/F1, NLL, temperature fitting."""

from __future__ import annotations

from typing import Any

import numpy as np


def auroc(labels: Any, scores: Any) -> float | None:
    """Area under the ROC curve via the rank-sum statistic (ties get average ranks); None if one class."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # Average ranks over runs of equal scores.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(s)]))
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def expected_calibration_error(labels: Any, probs: Any, bins: int = 15) -> float:
    """ECE with equal-width bins over [0, 1] on P(label=1)."""
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if len(y) == 0:
        return 0.0
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return float(total / len(y))


def binary_report(labels: Any, probs: Any, threshold: float) -> dict[str, float | None]:
    y = np.asarray(labels, dtype=np.int64)
    pred = (np.asarray(probs, dtype=np.float64) >= threshold).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "n": int(len(y)),
        "auroc": auroc(y, probs),
        "accuracy": float((pred == y).mean()) if len(y) else None,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "ece": expected_calibration_error(y, probs),
    }


def recall_of_label(labels: Any, probs: Any, threshold: float) -> float | None:
    """Fraction of items classified as their own label (per-kind 'recall': a kind has one label)."""
    y = np.asarray(labels, dtype=np.int64)
    if len(y) == 0:
        return None
    pred = (np.asarray(probs, dtype=np.float64) >= threshold).astype(np.int64)
    return float((pred == y).mean())


def nll(labels: Any, logits: Any, temperature: float) -> float:
    """Mean negative log-likelihood of two-class logits scaled by 1/temperature."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    y = np.asarray(labels, dtype=np.int64)
    return float(-log_probs[np.arange(len(y)), y].mean())


def fit_temperature(labels: Any, logits: Any) -> float:
    """The temperature minimising dev NLL: a coarse log grid, then a golden-section refinement."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 60))
    best = grid[int(np.argmin([nll(labels, logits, t) for t in grid]))]
    lo, hi = np.log(best) - 0.15, np.log(best) + 0.15
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(labels, logits, np.exp(a)) < nll(labels, logits, np.exp(b)):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def softmax_positive(logits: Any, temperature: float = 1.0, positive_index: int = 1) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp[:, positive_index] / exp.sum(axis=1)
