"""The evaluation report: an exported model scored through the runtime (``guardrail.OnnxVerifier``: same encoding,
same onnxruntime session, same temperature) next to the string-match baseline, overall, per kind and per answer
type, with latency and the targets it meets."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guardrail import CheckInput

from ..metrics import auroc, binary_report, recall_of_label
from ..rows import Row, read_rows

BASELINE_THRESHOLD = 0.5  # the baseline outputs 1 (match), 0.5 (nothing found) or 0 (mismatch)
SCORE_BATCH = 32
TARGETS = {"auroc": 0.99, "group_auroc": 0.97, "ece": 0.03, "latency_p50_ms": 15.0}
# Where the issue asks for a clear margin over the string-match baseline (the answer occurs in the rationale).
BASELINE_HARD_KINDS = ("swap_intermediate", "hint_follow", "truncated_mention")
BASELINE_HARD_TYPES = ("yes_no", "choice")


def semantic_info(manifest: Any, model_dir: Path) -> dict[str, Any] | None:
    """What the card says of the second local tier, if the model directory ships one."""
    if manifest.semantic is None:
        return None
    return {**manifest.semantic.model_dump(mode="json"),
            "onnx_bytes": (model_dir / manifest.semantic.onnx_file).stat().st_size}


def to_items(rows: Sequence[Row]) -> list[CheckInput]:
    return [row.check_input(i) for i, row in enumerate(rows)]


def answer_type_of(row: Row) -> str:
    if row.answer_type:
        return str(row.answer_type)
    from guardrail.reader import detect_answer_type

    return detect_answer_type(row.question, row.answer).value


def score_model(verifier: Any, items: Sequence[CheckInput]) -> tuple[np.ndarray, float]:
    """Calibrated probabilities for every item in batches, and the throughput (items per second)."""
    started = time.perf_counter()
    parts = [verifier.probabilities(items[i : i + SCORE_BATCH]) for i in range(0, len(items), SCORE_BATCH)]
    elapsed = time.perf_counter() - started
    return np.concatenate(parts) if parts else np.zeros(0), len(items) / max(elapsed, 1e-9)


def score_baseline(items: Sequence[CheckInput]) -> np.ndarray:
    from .baseline import string_match_baseline

    return np.array([string_match_baseline(i.question, i.rationale, i.answer) for i in items], dtype=np.float64)


def single_check_latency(verifier: Any, items: Sequence[CheckInput], n: int, seed: int = 0) -> dict[str, float]:
    """Per-check latency (batch of one, encoding included) on ``n`` items drawn at random, after warm-up."""
    rng = np.random.default_rng(seed)
    chosen = [items[i] for i in rng.choice(len(items), size=min(n, len(items)), replace=False)]
    for item in chosen[:5]:
        verifier.probabilities([item])
    times = []
    for item in chosen:
        started = time.perf_counter()
        verifier.probabilities([item])
        times.append((time.perf_counter() - started) * 1000.0)
    return {"n": len(times), "p50_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95))}


def group_metrics(labels: np.ndarray, probs: np.ndarray, base: np.ndarray, groups: Sequence[str],
                  threshold: float) -> dict[str, dict[str, Any]]:
    """Per group: size, label mix, recall (share classified as its own label) for model and baseline,
    AUROC within the group where both labels occur, and AUROC of the group against every item of the
    opposite label (how well this kind is separated from the other class; defined for one-label kinds)."""
    members: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    out = {}
    for group, index in sorted(members.items()):
        idx = np.array(index)
        y = labels[idx]
        entry: dict[str, Any] = {"n": len(idx), "positive_share": float(y.mean())}
        entry["recall"] = recall_of_label(y, probs[idx], threshold)
        entry["baseline_recall"] = recall_of_label(y, base[idx], BASELINE_THRESHOLD)
        entry["auroc"] = auroc(y, probs[idx])
        entry["baseline_auroc"] = auroc(y, base[idx])
        entry["auroc_vs_other_label"] = _auroc_vs_other(labels, probs, idx)
        entry["baseline_auroc_vs_other_label"] = _auroc_vs_other(labels, base, idx)
        out[group] = entry
    return out


def _auroc_vs_other(labels: np.ndarray, scores: np.ndarray, idx: np.ndarray) -> float | None:
    """Group members of each label against all items of the other label (outside the group)."""
    if labels[idx].min() != labels[idx].max():
        return None  # mixed groups use the within-group AUROC
    other = np.flatnonzero(labels != labels[idx][0])
    both = np.concatenate([idx, other])
    return auroc(labels[both], scores[both])


def evaluate(model_dir: Path, data: Path, *, threads: int = 2, limit: int = 0, latency_n: int = 200,
             predictions: Path | None = None, also: dict[str, Path] | None = None,
             data_name: str | None = None) -> dict[str, Any]:
    """The report on ``data`` (named ``data_name``, default: the file's stem); ``also`` names further labelled
    sets scored the same way (``report["also"]``)."""
    from guardrail import OnnxVerifier

    verifier = OnnxVerifier(model_dir, threads=threads, batch_size=SCORE_BATCH)
    manifest = verifier.manifest
    rows = read_rows(data, limit)
    items = to_items(rows)
    scored = score_rows(verifier, data, rows, items, predictions, name=data_name)
    throughput, baseline_ms = scored.pop("throughput"), scored.pop("baseline_ms")
    report = {
        "model": {"name": manifest.name, "version": manifest.version, "dir": str(model_dir),
                  "onnx_bytes": (model_dir / manifest.onnx_file).stat().st_size,
                  "temperature": manifest.temperature, "threshold": manifest.threshold,
                  "max_length": manifest.max_length, "num_layers": manifest.config.get("num_layers"),
                  "ffn_size": manifest.config.get("ffn_size") or 0,
                  "attention_heads": manifest.config.get("attention_heads") or 0,
                  "input_format": manifest.input_format,
                  "last_layer_cls_only": bool(manifest.metrics.get("last_layer_cls_only")),
                  "semantic": semantic_info(manifest, model_dir)},
        **scored,
        "latency": {"threads": threads, "single_check": single_check_latency(verifier, items, latency_n),
                    "batch_size": SCORE_BATCH, "throughput_items_per_s": throughput,
                    "baseline_ms_per_check": baseline_ms},
        "parity": manifest.metrics.get("parity"),
        "also": {},
    }
    for name, path in (also or {}).items():
        extra_rows = read_rows(path)
        extra = score_rows(verifier, path, extra_rows, to_items(extra_rows), name=name)
        report["also"][name] = {k: v for k, v in extra.items() if k not in ("throughput", "baseline_ms")}
    report["vs_baseline"] = baseline_comparison(report)
    report["targets"] = check_targets(report)
    return report


def score_rows(verifier: Any, path: Path, rows: Sequence[Row], items: Sequence[CheckInput],
               predictions: Path | None = None, *, name: str | None = None) -> dict[str, Any]:
    """Model and baseline scores of labelled rows: overall, per kind and per answer type."""
    threshold = verifier.manifest.threshold
    labels = np.array([int(r.label) for r in rows], dtype=np.int64)
    probs, throughput = score_model(verifier, items)
    started = time.perf_counter()
    base = score_baseline(items)
    baseline_ms = (time.perf_counter() - started) * 1000.0 / max(1, len(items))
    kinds = ["unknown" if r.kind is None else str(r.kind) for r in rows]
    types = [answer_type_of(r) for r in rows]
    if predictions:
        write_predictions(predictions, items, labels, probs, base, kinds, types)
    return {
        "data": {"name": name or Path(path).stem, "path": str(path), "n": len(rows),
                 "positive_share": float(labels.mean()) if len(rows) else None},
        "overall": binary_report(labels, probs, threshold),
        "baseline": binary_report(labels, base, BASELINE_THRESHOLD),
        "per_kind": group_metrics(labels, probs, base, kinds, threshold),
        "per_answer_type": group_metrics(labels, probs, base, types, threshold),
        "throughput": throughput,
        "baseline_ms": baseline_ms,
    }


def write_predictions(path: Path, items: Sequence[CheckInput], labels: np.ndarray, probs: np.ndarray,
                      base: np.ndarray, kinds: Sequence[str], types: Sequence[str]) -> None:
    """One JSON line per item (ids and scores only, no text) for slicing the results afterwards."""
    with open(path, "w", encoding="utf-8") as handle:
        for item, label, prob, b, kind, kind_type in zip(items, labels, probs, base, kinds, types):
            handle.write(json.dumps({"id": item.id, "label": int(label), "prob": float(prob), "baseline": float(b),
                                     "kind": kind, "answer_type": kind_type}) + "\n")


def group_auroc(group: dict[str, Any], prefix: str = "") -> float | None:
    """Within-group AUROC where the group has both labels, else the group against the other label."""
    value = group[f"{prefix}auroc"]
    return value if value is not None else group[f"{prefix}auroc_vs_other_label"]


def baseline_comparison(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = {}
    for section, names in (("per_kind", BASELINE_HARD_KINDS), ("per_answer_type", BASELINE_HARD_TYPES)):
        for name in names:
            group = report[section].get(name)
            if group:
                rows[name] = {"auroc": group_auroc(group), "baseline_auroc": group_auroc(group, "baseline_"),
                              "recall": group["recall"], "baseline_recall": group["baseline_recall"]}
    return rows


def check_targets(report: dict[str, Any]) -> dict[str, Any]:
    def group_floor(groups: dict[str, dict[str, Any]]) -> float | None:
        values = [v for v in (group_auroc(g) for g in groups.values()) if v is not None]
        return min(values) if values else None

    kind_floor = group_floor(report["per_kind"])
    type_floor = group_floor(report["per_answer_type"])
    overall = report["overall"]
    p50 = report["latency"]["single_check"]["p50_ms"]
    return {
        "auroc>=0.99": bool(overall["auroc"] is not None and overall["auroc"] >= TARGETS["auroc"]),
        "min_kind_auroc": kind_floor,
        "min_answer_type_auroc": type_floor,
        "every_kind_and_type_auroc>=0.97": bool(
            kind_floor is not None and type_floor is not None and min(kind_floor, type_floor) >= TARGETS["group_auroc"]
        ),
        "ece<=0.03": bool(overall["ece"] <= TARGETS["ece"]),
        "latency_p50<=15ms": bool(p50 <= TARGETS["latency_p50_ms"]),
    }

