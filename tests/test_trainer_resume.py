"""A training run cut off mid-way goes on from its last evaluation and ends where an uncut run ends."""

from __future__ import annotations

import json

import pytest
import torch

from verifier_training.train import loop as trainer
from verifier_training.train.config import TrainConfig

pytestmark = pytest.mark.slow


def _rows(count: int) -> list[dict]:
    rows = []
    for index in range(count):
        value = 3 + index % 7
        label = index % 2
        rows.append({"id": str(index), "question": f"What is {value} + 1?",
                     "rationale": f"{value} + 1 = {value + 1}. So the answer is {value + 1}.",
                     "answer": str(value + 1 if label else value + 2), "label": label})
    return rows


def _config(tmp_path, name: str) -> TrainConfig:
    data = tmp_path / "data.jsonl"
    if not data.exists():
        data.write_text("".join(json.dumps(r) + "\n" for r in _rows(48)))
    return TrainConfig(base_model="tiny", num_layers=1, max_length=64, batch_size=8, max_steps=12, eval_every=4,
                       log_every=4, warmup_steps=2, patience=99, threads=1, train_path=str(data),
                       dev_path=str(data), dev_subsample=0, out_dir=str(tmp_path / name))


def _weights(out_dir) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(str(out_dir)).state_dict()


def test_cut_off_run_resumes_and_matches_an_uncut_run(tmp_path, monkeypatch):
    whole = trainer.train(_config(tmp_path, "whole"))
    assert trainer.is_done(whole) and not (whole / trainer.RESUME_NAME).exists()

    cut = _config(tmp_path, "cut")
    real_save = trainer.save_resume_state

    def save_then_die(out_dir, config, model, optimizers, step, *rest):
        real_save(out_dir, config, model, optimizers, step, *rest)
        if step == 8:
            raise KeyboardInterrupt("session ended")

    monkeypatch.setattr(trainer, "save_resume_state", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(cut)
    assert (tmp_path / "cut" / trainer.RESUME_NAME).exists() and not trainer.is_done(cut.out_dir)
    monkeypatch.setattr(trainer, "save_resume_state", real_save)

    resumed = trainer.train(cut)
    log = [json.loads(line) for line in (resumed / trainer.LOG_NAME).read_text().splitlines()]
    assert [r["step"] for r in log if "dev_auroc" in r] == [4, 8, 12]  # the cut run's log is kept, not redone
    assert trainer.is_done(resumed)
    expected, got = _weights(whole), _weights(resumed)
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], msg=f"{name} differs after resuming")


def test_a_changed_config_starts_over(tmp_path, monkeypatch):
    config = _config(tmp_path, "run")
    real_save = trainer.save_resume_state

    def save_then_die(out_dir, config, model, optimizers, step, *rest):
        real_save(out_dir, config, model, optimizers, step, *rest)
        raise KeyboardInterrupt("session ended")

    monkeypatch.setattr(trainer, "save_resume_state", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(config)
    monkeypatch.setattr(trainer, "save_resume_state", real_save)
    changed = TrainConfig.from_dict({**config.to_dict(), "lr": config.lr * 2})
    assert trainer.load_resume_state(tmp_path / "run", changed) is None
    assert trainer.load_resume_state(tmp_path / "run", config)["step"] == 4
