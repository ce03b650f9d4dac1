"""The layout of a training checkpoint directory, owned in one place.

``verifier-train train`` writes it, ``export`` and ``recover`` read it, ``pipeline`` checks it for completion:

========================  =====================================================================================
``config.json``           the Hugging Face model config, plus the dev-fitted calibration under
                          :data:`TEMPERATURE_KEY` / :data:`THRESHOLD_KEY`
``model.safetensors``     the weights (``save_pretrained``)
tokenizer files           :data:`TOKENIZER_FILES` copied from the base model (the export ships tokenizer.json)
``train_config.json``     the :class:`~verifier_training.train.config.TrainConfig` it was trained with (nanoGPT
                          style: the config *is* the record of how a model was made; the export carries it on)
``train_log.jsonl``       training-loss points, evaluations and the calibration record
``resume_state.pt``       the last evaluation's full state while a run is unfinished
``DONE.json``             written once a run is trained and calibrated
========================  =====================================================================================

Stdlib only, so the CLI and the pipeline can read a checkpoint without importing torch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .errors import ExportError

TRAIN_CONFIG_NAME = "train_config.json"
LOG_NAME = "train_log.jsonl"
RESUME_NAME = "resume_state.pt"  # the last evaluation's full state, while a run is unfinished
DONE_NAME = "DONE.json"  # written once a run is trained and calibrated
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
# Keys under which training stores its calibration in the checkpoint's config.json.
TEMPERATURE_KEY = "rg_temperature"
THRESHOLD_KEY = "rg_threshold"
LEGACY_INPUT_FORMAT = "rg-v1"  # what checkpoints whose saved config has no input_format were trained on


def write_train_config(directory: str | Path, config: dict[str, Any]) -> Path:
    path = Path(directory) / TRAIN_CONFIG_NAME
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_train_config(checkpoint_dir: Path) -> dict[str, Any]:
    path = checkpoint_dir / TRAIN_CONFIG_NAME
    if not path.is_file():
        raise ExportError(f"checkpoint {checkpoint_dir} has no {TRAIN_CONFIG_NAME}")
    return json.loads(path.read_text(encoding="utf-8"))


def input_format_of(model_dir: Path) -> str:
    """The encoding a checkpoint (or an export, which carries its train config) was trained on."""
    return read_train_config(model_dir).get("input_format", LEGACY_INPUT_FORMAT)


def copy_tokenizer_files(source_dir: str | Path, out_dir: str | Path) -> None:
    for name in TOKENIZER_FILES:
        source = Path(source_dir) / name
        if source.is_file():
            shutil.copyfile(source, Path(out_dir) / name)


def save_checkpoint(model: Any, config: Any, out_dir: Path, tokenizer_dir: str | Path) -> None:
    """Weights, tokenizer files and the train config: what export needs (calibration is added later)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    copy_tokenizer_files(tokenizer_dir, out_dir)
    config.save(out_dir)


def read_checkpoint_calibration(checkpoint_dir: Path) -> tuple[float, float]:
    """Temperature and threshold that training wrote into the checkpoint's config.json (defaults 1.0, 0.5)."""
    config = json.loads((checkpoint_dir / "config.json").read_text(encoding="utf-8"))
    return float(config.get(TEMPERATURE_KEY, 1.0)), float(config.get(THRESHOLD_KEY, 0.5))


def write_calibration(out_dir: Path, temperature: float, threshold: float) -> None:
    path = out_dir / "config.json"
    model_config = json.loads(path.read_text(encoding="utf-8"))
    model_config[TEMPERATURE_KEY] = temperature
    model_config[THRESHOLD_KEY] = threshold
    path.write_text(json.dumps(model_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def is_done(out_dir: str | Path) -> bool:
    """Whether a training run in ``out_dir`` finished (trained and calibrated); pipelines skip it then."""
    return (Path(out_dir) / DONE_NAME).exists()
