"""``verifier-train encoder``: tuning the second tier's sentence encoder on option lists, resumable by step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier_training.errors import VerifierTrainingError
from verifier_training.train import encoder as encoder_module
from verifier_training.train.encoder import EncoderConfig, is_done, training_examples, tune


def _rows(path: Path, n: int = 24) -> Path:
    """Label-1 rows with option lists, label-0 rows and "X or Y" rows (the last two are not tuned on)."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            question = f"Case {i}: which is the effect?\n(A) The road was wet.\n(B) She sold the car."
            for label, answer in ((1, "A"), (0, "B")):
                out.write(json.dumps({"id": f"o{i}{label}", "source": "toy", "question": question,
                                      "rationale": "It rained all night.", "answer": answer, "label": label}) + "\n")
            labels = {"id": f"l{i}", "source": "toy", "label": 1, "answer": "Kirilov",
                      "question": "Who is he: Kirilov or Shatov?", "rationale": "Kirilov gave it up."}
            out.write(json.dumps(labels) + "\n")
    return path


@pytest.fixture()
def config(tmp_path) -> EncoderConfig:
    from _tiny import build_tiny_checkpoint

    base = build_tiny_checkpoint(tmp_path / "base", seed=5)
    return EncoderConfig(base_model=str(base), train_path=str(_rows(tmp_path / "train.jsonl")),
                         out_dir=str(tmp_path / "enc"), batch_size=4, max_steps=4, save_every=2, log_every=1)


def test_only_label_one_rows_with_options_are_tuned_on(config):
    examples = training_examples(config)
    assert len(examples) == 24 and all(texts == ("The road was wet.", "She sold the car.") for _, texts, _ in examples)
    assert {given for _, _, given in examples} == {0}


@pytest.mark.slow
def test_tuning_writes_an_encoder_the_semantic_stage_reads_and_resumes_after_a_cut(config, monkeypatch):
    out = Path(config.out_dir)
    real_save = encoder_module._save_resume

    def cut_after_first_save(*args):
        real_save(*args)
        raise KeyboardInterrupt  # the session ends right after step 2's state is written

    monkeypatch.setattr(encoder_module, "_save_resume", cut_after_first_save)
    with pytest.raises(KeyboardInterrupt):
        tune(config)
    assert not is_done(out) and (out / "resume" / "state.pt").is_file()
    monkeypatch.setattr(encoder_module, "_save_resume", real_save)
    encoder = tune(config)
    assert is_done(out) and not (out / "resume").exists()
    assert json.loads((out / "DONE.json").read_text())["steps"] == 4
    steps = [json.loads(line)["step"] for line in (out / "encoder_log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]  # steps 3 and 4 ran once, after the resume
    assert (encoder / "tokenizer.json").is_file() and (encoder / "encoder_config.json").is_file()

    from verifier_training.export.semantic import export_encoder

    parity = export_encoder(out / "onnx", str(encoder))
    assert parity["max_abs_cosine_diff"] <= parity["tolerance"]
    assert tune(config) == encoder  # done: a rerun changes nothing


def test_a_config_with_unknown_fields_or_no_usable_rows_is_a_clear_error(config, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"max_step": 10}))
    with pytest.raises(VerifierTrainingError, match="unknown EncoderConfig keys"):
        EncoderConfig.load(path)
    path.write_text("{not json")
    with pytest.raises(VerifierTrainingError, match="not valid JSON"):
        EncoderConfig.load(path)
    with pytest.raises(VerifierTrainingError, match="no label-1 rows"):
        training_examples(EncoderConfig(train_path=config.train_path, kind="nothing"))
