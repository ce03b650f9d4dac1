"""The second local tier: candidate answers, the encoder's export and parity, the fit on dev, loading and
verifying it with the model, and what it may and may not change (tiny random encoder; real code paths)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from guardrail import CheckInput, ModelIntegrityError, OnnxVerifier
from guardrail.reader import answer_candidates
from guardrail.toolkit import SemanticSpec, read_manifest, write_manifest

pytest.importorskip("torch")
pytest.importorskip("optimum")
pytest.importorskip("sklearn")

MC = "Tom's heart beats abnormally. What is the more plausible effect?\n(A) He ate an apple.\n(B) The doctor measured his heart."


def test_candidates_from_options_labels_and_none():
    found = answer_candidates(MC, "B")
    assert found is not None and found.texts == ("He ate an apple.", "The doctor measured his heart.") and found.given == 1
    assert found.kind == "options"
    assert answer_candidates(MC, "The doctor measured his heart.").given == 1
    names = answer_candidates('Kirilov ceded it to Shatov because he was less popular. Who is "he": Kirilov or Shatov?', "shatov")
    assert names is not None and names.texts == ("Kirilov", "Shatov") and names.given == 1 and names.kind == "labels"
    assert answer_candidates("How many apples?", "7") is None
    assert answer_candidates(MC, "C") is None  # not an option: nothing to compare


def _dev_rows(path: Path, n: int = 160) -> Path:
    rng = random.Random(0)
    effects = ["The doctor measured his heart.", "He ate an apple.", "The road was wet.", "She sold the car."]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            a, b = rng.sample(effects, 2)
            question = f"Case {i}: what is the more plausible effect?\n(A) {a}\n(B) {b}"
            label = i % 2
            answer = "A" if label else "B"
            out.write(json.dumps({"id": f"d{i}", "source": "toy", "question": question,
                                  "rationale": f"{a} follows from it.", "answer": answer, "label": label}) + "\n")
    return path


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory) -> Path:
    from _tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-encoder") / "checkpoint", seed=3)


@pytest.fixture(scope="module")
def tiered_model(tiny_model_dir, tiny_encoder, tmp_path_factory) -> Path:
    from verifier_training.export.semantic import add_semantic_tier

    model = tmp_path_factory.mktemp("tiered") / "model"
    shutil.copytree(tiny_model_dir, model)
    (model / "eval_report.json").write_text("{}")  # a report evaluation wrote into the directory earlier
    dev = _dev_rows(model.parent / "dev.jsonl")
    add_semantic_tier(model, dev, base=str(tiny_encoder), band=(0.0, 1.0))
    return model


@pytest.mark.slow
def test_tier_is_exported_fitted_and_listed_in_the_manifest(tiered_model):
    manifest = read_manifest(tiered_model)
    spec = manifest.semantic
    assert spec is not None and spec.onnx_file == "semantic/model.onnx" and spec.band == (0.0, 1.0)
    assert {"semantic/model.onnx", "semantic/tokenizer.json"} <= set(manifest.files)
    assert spec.metrics["parity"]["max_abs_cosine_diff"] <= spec.metrics["parity"]["tolerance"]
    assert spec.metrics["fit"]["fit_rows"] == 160 and all(np.isfinite(list(spec.weights.values())))
    low, high = spec.margin_range["options"]  # the toy dev set has options only
    assert set(spec.margin_range) == {"options"} and -1.0 <= low <= high <= 1.0
    assert set(spec.kind_weights) == {"options"} and spec.metrics["fit"]["by_kind"]["options"]["rows"] == 160


def _with_margin_range(model: Path, margin_range: dict) -> Path:
    manifest = read_manifest(model)
    spec = manifest.semantic.model_copy(update={"margin_range": margin_range})
    write_manifest(model, **manifest.model_dump(exclude={"files", "semantic"}), semantic=spec)
    return model


@pytest.mark.slow
def test_margins_are_clipped_to_the_range_the_fit_saw(tiered_model, tmp_path):
    # a margin of 0 (the range pinned there) leaves only the first tier's logit: the tier adds no evidence
    model = shutil.copytree(tiered_model, tmp_path / "model")
    item = [CheckInput(id="mc", question=MC, rationale="Doctors measure hearts that beat abnormally.", answer="B")]
    plain = OnnxVerifier(model, threads=1, semantic=False).probabilities(item)[0]
    pinned = OnnxVerifier(_with_margin_range(model, {"options": (0.0, 0.0)}), threads=1).probabilities(item)[0]
    w = read_manifest(model).semantic.weights_for("options")
    z = np.log(plain / (1 - plain))
    assert pinned == pytest.approx(1 / (1 + np.exp(-(w["bias"] + w["base"] * z + w["unplaced"]))), abs=1e-6)


@pytest.mark.slow
def test_a_kind_with_weights_of_its_own_is_scored_with_them(tiered_model, tmp_path):
    model = shutil.copytree(tiered_model, tmp_path / "model")
    manifest = read_manifest(model)
    zero = {"bias": 0.0, "base": 1.0, "margin": 0.0, "margin_unplaced": 0.0, "unplaced": 0.0}
    pooled = {**zero, "margin": 5.0, "margin_unplaced": 5.0}
    spec = manifest.semantic.model_copy(update={"weights": pooled, "kind_weights": {"options": zero}})
    write_manifest(model, **manifest.model_dump(exclude={"files", "semantic"}), semantic=spec)
    item = [CheckInput(id="mc", question=MC, rationale="Doctors measure hearts that beat abnormally.", answer="B")]
    plain = OnnxVerifier(model, threads=1, semantic=False).probabilities(item)[0]
    # the options' own weights add nothing to the first tier's logit; the pooled ones (5.0) move it
    assert OnnxVerifier(model, threads=1).probabilities(item)[0] == pytest.approx(plain, abs=1e-6)
    write_manifest(model, **manifest.model_dump(exclude={"files", "semantic"}),
                   semantic=spec.model_copy(update={"kind_weights": {}}))
    assert abs(OnnxVerifier(model, threads=1).probabilities(item)[0] - plain) > 1e-3


def test_clip_margin_bounds_by_kind_and_leaves_old_manifests_alone():
    from guardrail.toolkit import clip_margin

    ranges = {"options": (-0.5, 0.5), "labels": (-0.2, 0.2)}
    assert clip_margin(0.9, "options", ranges) == 0.5
    assert clip_margin(-0.9, "labels", ranges) == -0.2
    assert clip_margin(0.1, "labels", ranges) == 0.1
    assert clip_margin(0.9, "labels", {}) == 0.9  # a manifest written before margin_range: no clipping


@pytest.mark.slow
def test_candidates_of_a_kind_the_fit_never_saw_are_not_rescored(tiered_model, tmp_path):
    model = _with_margin_range(shutil.copytree(tiered_model, tmp_path / "model"), {"labels": (-0.2, 0.2)})
    item = [CheckInput(id="mc", question=MC, rationale="Doctors measure hearts that beat abnormally.", answer="B")]
    assert OnnxVerifier(model, threads=1).probabilities(item)[0] == (
        OnnxVerifier(model, threads=1, semantic=False).probabilities(item)[0])


@pytest.mark.slow
def test_adding_the_tier_signs_the_model_not_reports_beside_it(tiered_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiered_model, model)
    assert "eval_report.json" not in read_manifest(model).files
    (model / "eval_report.json").write_text('{"rewritten": true}')  # evaluate rewrites its report later
    OnnxVerifier(model, threads=1)  # still loads: the manifest never signed it


@pytest.mark.slow
def test_refitting_keeps_the_signed_set(tiered_model, tmp_path):
    from verifier_training.export.semantic import add_semantic_tier

    model = tmp_path / "model"
    shutil.copytree(tiered_model, model)
    before = set(read_manifest(model).files)
    add_semantic_tier(model, _dev_rows(tmp_path / "dev.jsonl"), band=(0.0, 1.0), keep_encoder=True)
    assert set(read_manifest(model).files) == before


@pytest.mark.slow
def test_tier_rescores_only_items_with_candidates(tiered_model):
    with_tier, first_only = OnnxVerifier(tiered_model, threads=1), OnnxVerifier(tiered_model, threads=1, semantic=False)
    items = [
        CheckInput(id="mc", question=MC, rationale="Doctors measure hearts that beat abnormally.", answer="B"),
        CheckInput(id="num", question="Tom has 3 apples and buys 4. How many?", rationale="3 + 4 = 7.", answer="7"),
    ]
    tiered, plain = with_tier.probabilities(items), first_only.probabilities(items)
    assert tiered[1] == pytest.approx(plain[1], abs=0)  # no candidates: untouched
    spec = with_tier.manifest.semantic
    margin = with_tier._semantic.margins([(items[0].rationale, answer_candidates(MC, "B").texts, 1)])[0]
    z = np.log(plain[0] / (1 - plain[0]))
    w = spec.kind_weights["options"]  # the toy dev set's 160 option rows got a fit of their own
    unplaced = 1.0  # the rationale names no option: the reader cannot place the answer
    expected = 1 / (1 + np.exp(-(w["bias"] + w["base"] * z + (w["margin"] + w["margin_unplaced"]) * margin + w["unplaced"] * unplaced)))
    assert tiered[0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.slow
def test_scores_outside_the_band_are_never_touched(tiered_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiered_model, model)
    manifest = read_manifest(model)
    narrow = manifest.semantic.model_copy(update={"band": (0.0, 0.0)})
    write_manifest(model, **manifest.model_dump(exclude={"files", "semantic"}), semantic=narrow)
    item = [CheckInput(id="mc", question=MC, rationale="Doctors measure hearts.", answer="B")]
    assert OnnxVerifier(model, threads=1).probabilities(item)[0] == OnnxVerifier(model, threads=1, semantic=False).probabilities(item)[0]


@pytest.mark.slow
def test_a_modified_or_missing_tier_file_is_refused(tiered_model, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(tiered_model, tampered)
    with (tampered / "semantic" / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        OnnxVerifier(tampered)
    missing = tmp_path / "missing"
    shutil.copytree(tiered_model, missing)
    manifest = json.loads((missing / "manifest.json").read_text())
    del manifest["files"]["semantic/tokenizer.json"]
    (missing / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="semantic/tokenizer.json"):
        OnnxVerifier(missing)


def test_spec_needs_every_weight_and_relative_paths():
    weights = {"bias": 0.0, "base": 1.0, "margin": 0.0, "margin_unplaced": 0.0, "unplaced": 0.0}
    SemanticSpec(weights=weights)
    with pytest.raises(ValueError, match="weights"):
        SemanticSpec(weights={"bias": 0.0})
    with pytest.raises(ValueError, match="weights"):
        SemanticSpec(weights=weights, kind_weights={"labels": {"margin": 1.0}})
    labels = {**weights, "margin": 3.0}
    spec = SemanticSpec(weights=weights, kind_weights={"labels": labels})
    assert spec.weights_for("labels") == labels and spec.weights_for("options") == weights  # no fit of its own
    with pytest.raises(ValueError, match="relative"):
        SemanticSpec(weights=weights, onnx_file="/etc/passwd")


@pytest.mark.slow
def test_too_few_dev_rows_to_fit_is_a_clear_error(tiny_model_dir, tiny_encoder, tmp_path):
    from verifier_training.errors import ExportError
    from verifier_training.export.semantic import add_semantic_tier

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    with pytest.raises(ExportError, match="too few"):
        add_semantic_tier(model, _dev_rows(tmp_path / "dev.jsonl", n=10), base=str(tiny_encoder), band=(0.0, 1.0))


@pytest.mark.slow
def test_report_and_card_describe_the_tier(tiered_model, tmp_path):
    from verifier_training.evaluate.model_card import render_model_card
    from verifier_training.evaluate.report import evaluate

    rows = tmp_path / "test.jsonl"
    lines = [json.loads(line) for line in _dev_rows(tmp_path / "dev.jsonl", n=40).read_text().splitlines()]
    rows.write_text("".join(json.dumps({**r, "kind": "toy", "answer_type": "choice"}) + "\n" for r in lines))
    report = evaluate(tiered_model, rows, threads=1, latency_n=5)
    tier = report["model"]["semantic"]
    assert tier["band"] == [0.0, 1.0] and tier["onnx_bytes"] > 0
    card = render_model_card(report, read_manifest(tiered_model).config)
    assert "## Second local tier (sentence encoder)" in card and "Fitted on the dev split only: 160 of 160" in card
    assert "options: a = " in card and "options (160 rows)" in card  # the kind's own weights and figures
