"""``verifier-train pipeline``: the shipped recipe's plan, optional stages, and resuming by stage (the stages
themselves are faked here; each stage's own command has its own tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier_training import cli
from verifier_training.errors import VerifierTrainingError
from verifier_training.pipeline import DEFAULT_RECIPE, STAGES, load_recipe, plan, run_pipeline

REPO = Path(__file__).resolve().parents[1]


def test_shipped_recipe_plans_every_stage_with_the_tier_fitted_on_dev():
    recipe = load_recipe(REPO / DEFAULT_RECIPE)
    stages = plan(recipe)
    assert [s.name for s in stages] == list(STAGES)
    semantic = next(s for s in stages if s.name == "semantic")
    assert semantic.argv[semantic.argv.index("--dev") + 1].endswith("dev.jsonl")  # never test or validation


@pytest.mark.parametrize("path", sorted((REPO / "verifier_training" / "configs").glob("recipe_*.json")), ids=lambda p: p.name)
def test_every_recipe_in_the_repository_plans(path: Path):
    """Each recipe kept in the repository still plans: its configs exist and train reads perturb's output."""
    stages = plan(load_recipe(path))
    assert [s.name for s in stages][:3] == ["data", "perturb", "train"]
    data_config = json.loads(Path(load_recipe(path)["data"]["config"]).read_text())
    assert data_config["gsm8k_files"] == ["train.jsonl"]  # train splits only
    assert all("test" not in name for name in data_config["prmbench_files"])


def _recipe(tmp_path: Path, semantic: bool = True, encoder: bool = False) -> dict:
    perturbed = tmp_path / "perturbed"
    train = tmp_path / "train.json"
    train.write_text(json.dumps({"train_path": str(perturbed / "train.jsonl"), "dev_path": str(perturbed / "dev.jsonl"),
                                 "out_dir": str(tmp_path / "ckpt")}))
    recipe = {"data": {"config": "d.json", "out": str(tmp_path / "base")},
              "perturb": {"config": "p.json", "out": str(perturbed)}, "train": {"config": str(train)},
              "export": {"out": str(tmp_path / "model")}, "evaluate": {"report": str(tmp_path / "report.json")}}
    if semantic:
        recipe["semantic"] = {}
    if encoder:
        tuning = tmp_path / "encoder.json"
        tuning.write_text(json.dumps({"train_path": str(perturbed / "train.jsonl"), "out_dir": str(tmp_path / "enc")}))
        recipe["encoder"] = {"config": str(tuning)}
    return recipe


WITHOUT_ENCODER = [stage for stage in STAGES if stage != "encoder"]


def _fake_stages(monkeypatch, tmp_path: Path) -> list[str]:
    ran: list[str] = []

    def fake_main(argv: list[str]) -> int:
        ran.append(argv[0])
        outputs = {"data": "base/data_config.json", "perturb": "perturbed/stats.json", "train": "ckpt/DONE.json",
                   "evaluate": "report.json"}
        if argv[0] in outputs:
            (tmp_path / outputs[argv[0]]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / outputs[argv[0]]).write_text("{}")
        elif argv[0] == "encoder":
            (tmp_path / "enc" / "encoder").mkdir(parents=True, exist_ok=True)
            (tmp_path / "enc" / "encoder" / "tokenizer.json").write_text("{}")
            (tmp_path / "enc" / "DONE.json").write_text("{}")
        elif argv[0] in ("export", "semantic"):
            model = tmp_path / "model"
            model.mkdir(exist_ok=True)
            (model / "model.onnx").write_bytes(b"x")
            (model / "tokenizer.json").write_text("{}")
            from guardrail.toolkit import SemanticSpec, write_manifest

            weights = {"bias": 0.0, "base": 1.0, "margin": 1.0, "margin_unplaced": 0.0, "unplaced": 0.0}
            tier = SemanticSpec(onnx_file="model.onnx", tokenizer_file="tokenizer.json", weights=weights)
            write_manifest(model, name="m", version="0", input_format="rg-v2", max_length=64,
                           semantic=tier if argv[0] == "semantic" else None)
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    return ran


def test_pipeline_resumes_by_stage_and_redoes_from_a_stage(tmp_path, monkeypatch):
    ran = _fake_stages(monkeypatch, tmp_path)
    recipe = _recipe(tmp_path)
    run_pipeline(recipe)
    assert ran == WITHOUT_ENCODER
    ran.clear()
    run_pipeline(recipe)
    assert ran == []  # everything complete: nothing reruns
    run_pipeline(recipe, redo_from="train")
    assert ran == ["train", "export", "semantic", "evaluate"]


def test_an_export_without_its_tier_runs_the_semantic_stage_and_what_follows_again(tmp_path, monkeypatch):
    ran = _fake_stages(monkeypatch, tmp_path)
    recipe = _recipe(tmp_path)
    run_pipeline(recipe)
    cli.main(["export"])  # a fresh export (no tier) after a cut-off session
    ran.clear()
    run_pipeline(recipe)
    assert ran == ["semantic", "evaluate"]  # the report was made from the model without its tier


def test_the_semantic_stage_is_optional_and_the_others_are_not(tmp_path, monkeypatch):
    ran = _fake_stages(monkeypatch, tmp_path)
    run_pipeline(_recipe(tmp_path, semantic=False))
    assert "semantic" not in ran and ran[-1] == "evaluate"
    path = tmp_path / "recipe.json"
    recipe = _recipe(tmp_path)
    del recipe["train"]
    path.write_text(json.dumps(recipe))
    with pytest.raises(VerifierTrainingError, match="lacks the stages"):
        load_recipe(path)


def test_the_encoder_stage_tunes_the_encoder_the_semantic_stage_reads(tmp_path, monkeypatch):
    ran = _fake_stages(monkeypatch, tmp_path)
    recipe = _recipe(tmp_path, encoder=True)
    semantic = next(s for s in plan(recipe) if s.name == "semantic")
    assert semantic.argv[semantic.argv.index("--base") + 1] == str(tmp_path / "enc" / "encoder")
    run_pipeline(recipe)
    assert ran == list(STAGES)  # after export: retuning the encoder never retrains the first tier
    ran.clear()
    run_pipeline(recipe, redo_from="encoder")
    assert ran == ["encoder", "semantic", "evaluate"]


def test_an_encoder_config_must_read_the_perturb_stages_output(tmp_path):
    recipe = _recipe(tmp_path, encoder=True)
    Path(recipe["encoder"]["config"]).write_text(json.dumps({"train_path": "elsewhere/train.jsonl"}))
    with pytest.raises(VerifierTrainingError, match="encoder config train_path"):
        plan(recipe)
