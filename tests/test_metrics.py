"""The numpy metrics used by training and evaluation, checked against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from verifier_training.metrics import (
    auroc,
    binary_report,
    expected_calibration_error,
    fit_temperature,
    nll,
    recall_of_label,
    softmax_positive,
)


def brute_auroc(labels, scores):
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_auroc_matches_pairwise_count_with_ties():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.random(200) + 0.3 * labels, 1)  # rounding makes many ties
    assert auroc(labels, scores) == pytest.approx(brute_auroc(labels, scores))


def test_auroc_edge_cases():
    assert auroc([0, 1], [0.2, 0.9]) == 1.0
    assert auroc([0, 1], [0.9, 0.2]) == 0.0
    assert auroc([1, 1, 1], [0.1, 0.2, 0.3]) is None


def test_ece_is_zero_when_calibrated_and_large_when_not():
    labels = np.array([0, 1] * 50)
    assert expected_calibration_error(labels, np.full(100, 0.5)) == pytest.approx(0.0)
    assert expected_calibration_error(labels, np.full(100, 0.95)) == pytest.approx(0.45)


def test_binary_report_counts():
    report = binary_report([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], threshold=0.5)
    assert report["accuracy"] == 0.5
    assert report["f1"] == pytest.approx(0.5)
    assert recall_of_label([0, 0, 0], [0.1, 0.7, 0.2], 0.5) == pytest.approx(2 / 3)


def test_fit_temperature_recovers_overconfidence():
    rng = np.random.default_rng(1)
    margin = rng.normal(0, 2, 20000)
    labels = (rng.random(20000) < 1 / (1 + np.exp(-margin))).astype(int)  # calibrated at T=1
    logits = np.stack([np.zeros_like(margin), margin * 3.0], axis=1)  # 3x overconfident
    temperature = fit_temperature(labels, logits)
    assert temperature == pytest.approx(3.0, rel=0.08)
    assert nll(labels, logits, temperature) < nll(labels, logits, 1.0)
    assert softmax_positive(np.array([[0.0, 0.0]]))[0] == pytest.approx(0.5)
