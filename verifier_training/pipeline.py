"""``verifier-train pipeline``: rebuild a verifier from the repo in one command (``--recipe``, default
``verifier_training/configs/recipe_v11.json``: the shipped model's).

A recipe names the stages' configs and output folders; the pipeline runs ``data``, ``perturb``, ``train``,
``export``, ``encoder`` (optional: the second tier's sentence encoder tuned on option lists), ``semantic``
(optional: the second local tier, fitted on the dev split) and ``evaluate`` through
their own command lines, in order. It is resumable by stage: a stage whose output is complete is skipped (data
and perturb: their config record; train and encoder: ``DONE.json``; export: the manifest; semantic: its section in the
manifest; evaluate: the report); once a stage runs, every later one runs too (its output was made from older
inputs). An unfinished training run goes on from its last evaluation (see :mod:`.train.loop`). So after a cut-off session, the same command picks up where it stopped. ``--from STAGE``
redoes that stage and every later one.

Recipe (JSON)::

    {"data": {"config": "...data_v8.json", "out": "runs/base9"},
     "perturb": {"config": "...perturb.json", "out": "runs/perturbed9"},
     "train": {"config": "...train_v7.json"},
     "export": {"out": "runs/export_v7", "name": "rg-minilm-l2", "version": "0.13.0"},
     "encoder": {"config": "...encoder_v1.json"},
     "semantic": {},
     "evaluate": {"report": "runs/export_v7_report.json", "also": {"challenge": "...challenge.jsonl"}}}

The train config's ``train_path`` / ``dev_path`` and the encoder config's ``train_path`` must point into the
perturb stage's ``out`` (checked).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import VerifierTrainingError

STAGES = ("data", "perturb", "train", "export", "encoder", "semantic", "evaluate")
# Without "semantic" a recipe builds a first-tier-only model; without "encoder" the second tier uses the sentence
# encoder as published. The encoder stage runs after export so that retuning it never retrains the first tier.
OPTIONAL_STAGES = ("encoder", "semantic")
# The shipped model's recipe: what `verifier-train pipeline` runs when no --recipe is given. Its paths are relative
# to the clone's root, so run it from there.
DEFAULT_RECIPE = Path("verifier_training") / "configs" / "recipe_v11.json"


@dataclass(frozen=True)
class Stage:
    name: str
    argv: list[str]  # the stage's own command line (without the program name)
    done: Callable[[], bool]  # whether its output is complete


def load_recipe(path: Path) -> dict[str, Any]:
    try:
        recipe = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VerifierTrainingError(f"recipe {path} is not valid JSON: {exc}") from exc
    missing = [stage for stage in STAGES if stage not in recipe and stage not in OPTIONAL_STAGES]
    if missing:
        raise VerifierTrainingError(f"recipe {path} lacks the stages {missing}")
    return recipe


def plan(recipe: dict[str, Any]) -> list[Stage]:
    """The stages of a recipe as command lines, with their completion checks."""
    from .checkpoint import is_done
    from .train.config import TrainConfig

    data, perturb, export, evaluate = (recipe[k] for k in ("data", "perturb", "export", "evaluate"))
    train = TrainConfig.load(recipe["train"]["config"])
    perturbed = Path(perturb["out"])
    for field in ("train_path", "dev_path"):
        if Path(getattr(train, field)).parent != perturbed:
            raise VerifierTrainingError(
                f"train config {field}={getattr(train, field)!r} does not read the perturb stage's output {perturbed}"
            )
    checkpoint, model = Path(train.out_dir), Path(export["out"])
    report = Path(evaluate["report"])
    export_argv = ["export", "--checkpoint", str(checkpoint), "--out", str(model), "--overwrite",
                   "--parity-data", train.dev_path, "--name", export.get("name", "rg-minilm-l2"),
                   "--version", export.get("version", "0.0.0")]
    evaluate_argv = ["evaluate", "--model", str(model), "--data", str(perturbed / "test.jsonl"),
                     "--report", str(report)]
    for name, path in evaluate.get("also", {}).items():
        evaluate_argv += ["--also", f"{name}={path}"]
    encoder: list[Stage] = []
    base_args: list[str] = []
    if "encoder" in recipe:
        from .train.encoder import ENCODER_DIR, EncoderConfig, is_done as encoder_done

        tuning = EncoderConfig.load(recipe["encoder"]["config"])
        if Path(tuning.train_path).parent != perturbed:
            raise VerifierTrainingError(
                f"encoder config train_path={tuning.train_path!r} does not read the perturb stage's output {perturbed}"
            )
        encoder = [Stage("encoder", ["encoder", "--config", recipe["encoder"]["config"]],
                         lambda: encoder_done(Path(tuning.out_dir)))]
        base_args = ["--base", str(Path(tuning.out_dir) / ENCODER_DIR)]
    semantic = [] if "semantic" not in recipe else [Stage(
        "semantic", ["semantic", "--model", str(model), "--dev", train.dev_path, *base_args,
                     *recipe["semantic"].get("args", [])],
        lambda: _has_semantic_tier(model))]
    return [
        Stage("data", ["data", "--config", data["config"], "--out", data["out"], *data.get("args", [])],
              lambda: (Path(data["out"]) / "data_config.json").exists()),
        Stage("perturb", ["perturb", "--config", perturb["config"], "--in", data["out"], "--out", perturb["out"]],
              lambda: (perturbed / "stats.json").exists()),
        Stage("train", ["train", "--config", recipe["train"]["config"]], lambda: is_done(checkpoint)),
        Stage("export", export_argv, lambda: (model / "manifest.json").exists()),
        *encoder,
        *semantic,
        Stage("evaluate", evaluate_argv, lambda: report.exists()),
    ]


def _has_semantic_tier(model: Path) -> bool:
    from guardrail.toolkit import read_manifest

    return (model / "manifest.json").exists() and read_manifest(model).semantic is not None


def run_pipeline(recipe: dict[str, Any], redo_from: str | None = None, dry_run: bool = False) -> int:
    import structlog

    from .cli import main as stage_main

    log = structlog.get_logger("verifier_training")
    redo = STAGES.index(redo_from) if redo_from else len(STAGES)
    stale = False  # once a stage runs, every later stage's output was made from older inputs
    for stage in plan(recipe):
        if not stale and STAGES.index(stage.name) < redo and stage.done():
            log.info("stage_skipped", stage=stage.name, reason="output complete")
            continue
        stale = True
        log.info("stage_started", stage=stage.name, argv=" ".join(stage.argv))
        if dry_run:
            continue
        code = stage_main(stage.argv)
        if code:
            raise VerifierTrainingError(f"stage {stage.name} failed (exit {code}); rerun to resume from it")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pipeline",
        help="data -> perturb -> train -> export -> encoder -> semantic -> evaluate from one recipe, resumable by stage"
    )
    parser.add_argument("--recipe", type=Path, default=DEFAULT_RECIPE,
                        help="recipe JSON (the shipped model's, run from the clone's root)")
    parser.add_argument("--from", dest="redo_from", choices=STAGES,
                        help="redo this stage and every later one, even where their output is complete")
    parser.add_argument("--dry-run", action="store_true", help="print what would run, run nothing")
    parser.set_defaults(func=lambda args: run_pipeline(load_recipe(args.recipe), args.redo_from, args.dry_run))
