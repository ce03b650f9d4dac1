"""The whole training pipeline end to end on the smoke configs: data -> perturb -> train -> export ->
evaluate, then the exported model loads and scores in the runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail._manifest import load_verified_manifest
from verifier_training.cli import main

pytestmark = pytest.mark.slow

CONFIGS = Path(__file__).resolve().parent.parent / "verifier_training" / "configs"
CHALLENGE = CONFIGS.parent / "sources" / "challenge" / "challenge.jsonl"
# train_smoke.json's 120 steps at lr 5e-4 leave the loss at ln 2 (a random tiny BERT barely moves), so the
# run could not show that anything learns. With these settings the loss leaves ln 2 after 130-240 steps
# (measured on train seeds 0-3 at 240 steps: dev AUROC 0.90-0.96 at the end, 0.61-0.68 at step 80).
LEARNS = ["--set", "lr=1.5e-3", "--set", "head_lr=1.5e-3", "--set", "warmup_steps=30", "--set", "max_steps=300",
          "--set", "eval_every=100"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    base, perturbed, ckpt, model = root / "base", root / "perturbed", root / "ckpt", root / "model"
    report = root / "report.json"
    assert main(["data", "--config", str(CONFIGS / "data_smoke.json"), "--out", str(base)]) == 0
    assert main(["perturb", "--config", str(CONFIGS / "perturb_smoke.json"), "--in", str(base),
                 "--out", str(perturbed)]) == 0
    assert main(["train", "--config", str(CONFIGS / "train_smoke.json"), *LEARNS,
                 "--set", f"train_path={perturbed / 'train.jsonl'}", "--set", f"dev_path={perturbed / 'dev.jsonl'}",
                 "--set", f"out_dir={ckpt}"]) == 0
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(model), "--name", "smoke",
                 "--parity-data", str(perturbed / "dev.jsonl")]) == 0
    assert main(["evaluate", "--model", str(model), "--data", str(perturbed / "test.jsonl"),
                 "--report", str(report), "--latency-n", "20", "--also", f"challenge={CHALLENGE}",
                 "--write-card", str(model / "MODEL_CARD.md")]) == 0
    return {"ckpt": ckpt, "model": model, "report": json.loads(report.read_text()), "test": perturbed / "test.jsonl"}


def test_training_wrote_checkpoint_log_and_calibration(pipeline):
    ckpt = pipeline["ckpt"]
    for name in ("config.json", "model.safetensors", "tokenizer.json", "train_config.json", "train_log.jsonl"):
        assert (ckpt / name).is_file(), name
    log = [json.loads(line) for line in (ckpt / "train_log.jsonl").read_text().splitlines()]
    evals = [r for r in log if "dev_auroc" in r]
    assert evals and all(0.0 <= r["dev_auroc"] <= 1.0 for r in evals)
    assert log[-1]["temperature"] > 0
    assert json.loads((ckpt / "config.json").read_text())["rg_temperature"] == log[-1]["temperature"]


def test_the_smoke_run_learns(pipeline):
    """Not only "in range": the training loss falls well below chance and the dev AUROC clears a bar that an
    untrained or broken run (labels shuffled, features lost) cannot reach."""
    log = [json.loads(line) for line in (pipeline["ckpt"] / "train_log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r]
    evals = [r["dev_auroc"] for r in log if "dev_auroc" in r]
    assert losses[0] > 0.68  # starts at chance (ln 2 = 0.693)
    assert sum(losses[-3:]) / 3 < 0.55, losses  # measured 0.37-0.42 at the end on train seeds 0-2
    assert max(evals) >= 0.85, evals  # measured 0.90-0.96


def test_export_manifest_verifies(pipeline):
    manifest = load_verified_manifest(pipeline["model"])
    assert manifest.name == "smoke"
    assert manifest.config["base_model"] == "tiny"
    assert manifest.metrics["parity"]["n"] > 100  # the dev split, not the built-in items
    assert manifest.metrics["parity"]["max_abs_diff"] <= 1e-2
    assert (pipeline["model"] / "MODEL_CARD.md").is_file()


def test_report_has_metrics_in_range(pipeline):
    report = pipeline["report"]
    n = sum(1 for line in pipeline["test"].read_text().splitlines() if line.strip())
    assert report["data"]["n"] == n
    for block in (report["overall"], report["baseline"]):
        assert 0.0 <= block["auroc"] <= 1.0
        assert 0.0 <= block["accuracy"] <= 1.0 and 0.0 <= block["f1"] <= 1.0
        assert 0.0 <= block["ece"] <= 1.0
    assert {"numeric", "choice", "yes_no"} <= set(report["per_answer_type"])
    assert sum(g["n"] for g in report["per_kind"].values()) == n
    assert all(g["recall"] is None or 0.0 <= g["recall"] <= 1.0 for g in report["per_kind"].values())
    single = report["latency"]["single_check"]
    assert 0.0 < single["p50_ms"] <= single["p95_ms"]
    assert report["latency"]["throughput_items_per_s"] > 0


def test_also_scored_sets_are_reported_and_carded(pipeline):
    also = pipeline["report"]["also"]["challenge"]
    assert also["data"]["n"] == sum(1 for line in CHALLENGE.read_text().splitlines() if line.strip())
    assert set(also["per_answer_type"]) == {"numeric", "choice", "yes_no", "text"}
    assert 0.0 <= also["overall"]["auroc"] <= 1.0 and 0.0 <= also["baseline"]["auroc"] <= 1.0
    card = (pipeline["model"] / "MODEL_CARD.md").read_text()
    assert "## Also scored: challenge" in card and f"{also['overall']['auroc']:.4f}" in card


def test_evaluate_rejects_a_malformed_also_spec():
    with pytest.raises(SystemExit, match="NAME=PATH"):
        main(["evaluate", "--model", "m", "--data", "d", "--report", "r", "--also", "no-equals-sign"])


def test_model_card_quotes_the_report(pipeline):
    card = (pipeline["model"] / "MODEL_CARD.md").read_text()
    assert f"{pipeline['report']['overall']['auroc']:.4f}" in card
    assert f"{pipeline['report']['baseline']['auroc']:.4f}" in card
    assert "## Limits" in card and "## Intended use" in card
    assert pipeline["report"]["model"]["last_layer_cls_only"] is True
    assert "last layer for the [CLS] position only" in card


def test_exported_model_scores_in_the_runtime(pipeline):
    from guardrail import CheckInput
    from guardrail._onnx import OnnxVerifier

    verifier = OnnxVerifier(pipeline["model"], threads=1)
    items = [
        CheckInput(id="1", question="What is 2 + 3?", rationale="2 + 3 = 5.", answer="5"),
        CheckInput(id="2", question="What is 2 + 3?", rationale="2 + 3 = 5.", answer="9"),
    ]
    opinions = verifier(items)
    assert [o.verifier for o in opinions] == ["onnx:smoke", "onnx:smoke"]
    assert all(0.0 <= o.consistency <= 1.0 for o in opinions)


def test_exported_model_drives_a_guard(pipeline):
    from guardrail import Guard, OnnxVerifier

    guard = Guard(verifier=OnnxVerifier(pipeline["model"], threads=1))
    verdict = guard.check("What is 2 + 3?", rationale="2 + 3 = 5.", answer="5")
    assert verdict.model_id == "smoke"
    assert verdict.consistency is not None and 0.0 <= verdict.consistency <= 1.0
    assert verdict.decided_by == ("onnx:smoke",)
