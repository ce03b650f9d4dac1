"""Structured pruning (verifier_training.train.prune): feed-forward neurons and attention heads; shapes, kept weights,
save/reload, and the trainer's ffn_size and attention_heads."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from verifier_training.train.prune import (  # noqa: E402
    head_importance,
    neuron_importance,
    prune_attention_heads,
    prune_feed_forward,
)


def _tiny(width: int = 16, heads: int = 2):
    config = transformers.BertConfig(vocab_size=50, hidden_size=8 * heads // 2, num_hidden_layers=2,
                                     num_attention_heads=heads,
                                     intermediate_size=width, num_labels=2)
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config).eval()


def _logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits


def test_pruning_keeps_the_most_important_neurons_with_their_weights() -> None:
    model = _tiny()
    layer = model.bert.encoder.layer[0]
    expected = neuron_importance(layer).argsort(descending=True)[:6].sort().values
    w_in = layer.intermediate.dense.weight[expected].clone()
    w_out = layer.output.dense.weight[:, expected].clone()
    prune_feed_forward(model, 6)
    assert model.config.intermediate_size == 6
    for block in model.bert.encoder.layer:
        assert block.intermediate.dense.weight.shape == (6, 8) and block.output.dense.weight.shape == (8, 6)
    assert torch.equal(layer.intermediate.dense.weight, w_in) and torch.equal(layer.output.dense.weight, w_out)


def test_pruning_dead_neurons_changes_nothing() -> None:
    """Neurons whose output weights are zero contribute nothing: dropping exactly those keeps the function."""
    model = _tiny()
    for layer in model.bert.encoder.layer:
        layer.output.dense.weight.data[:, 10:] = 0.0
    ids = torch.randint(0, 50, (3, 7))
    before = _logits(model, ids)
    prune_feed_forward(model, 10)
    assert torch.allclose(_logits(model, ids), before, atol=1e-6)


@pytest.mark.parametrize("width", [0, 16, 32])
def test_no_op_when_not_narrower(width: int) -> None:
    model = _tiny()
    prune_feed_forward(model, width)
    assert model.config.intermediate_size == 16


def test_pruned_model_saves_and_reloads(tmp_path) -> None:
    model = prune_feed_forward(_tiny(), 4)
    model.save_pretrained(tmp_path)
    again = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert again.config.intermediate_size == 4
    ids = torch.randint(0, 50, (2, 5))
    assert torch.allclose(_logits(again.eval(), ids), _logits(model, ids))


def test_head_pruning_keeps_the_most_important_heads_with_their_weights() -> None:
    model = _tiny(heads=4)  # hidden 16: four heads of 4
    layer = model.bert.encoder.layer[0]
    keep = head_importance(layer).argsort(descending=True)[:2].sort().values.tolist()
    columns = [c for h in keep for c in range(4 * h, 4 * h + 4)]
    value_rows = layer.attention.self.value.weight[columns].clone()
    out_columns = layer.attention.output.dense.weight[:, columns].clone()
    prune_attention_heads(model, 2)
    assert sorted(model.config.pruned_heads[0]) == sorted({0, 1, 2, 3} - set(keep))
    for block in model.bert.encoder.layer:
        assert block.attention.self.num_attention_heads == 2
        assert block.attention.self.query.weight.shape == (8, 16)
        assert block.attention.output.dense.weight.shape == (16, 8)
    assert torch.equal(layer.attention.self.value.weight, value_rows)
    assert torch.equal(layer.attention.output.dense.weight, out_columns)


def test_pruning_silent_heads_changes_nothing() -> None:
    """A head whose output-projection columns are zero adds nothing: dropping exactly those keeps the function."""
    model = _tiny(heads=4)
    for layer in model.bert.encoder.layer:
        layer.attention.output.dense.weight.data[:, 8:] = 0.0  # heads 2 and 3 are silent
    ids = torch.randint(0, 50, (3, 7))
    before = _logits(model, ids)
    prune_attention_heads(model, 2)
    assert {k: sorted(v) for k, v in model.config.pruned_heads.items()} == {0: [2, 3], 1: [2, 3]}
    assert torch.allclose(_logits(model, ids), before, atol=1e-6)


def test_head_pruning_counts_heads_already_pruned() -> None:
    """Pruning again (a later training stage from a pruned checkpoint) removes only what is over the target."""
    model = prune_attention_heads(_tiny(heads=4), 3)
    assert all(len(heads) == 1 for heads in model.config.pruned_heads.values())
    prune_attention_heads(model, 3)
    assert all(len(heads) == 1 for heads in model.config.pruned_heads.values())
    prune_attention_heads(model, 2)
    assert all(len(heads) == 2 for heads in model.config.pruned_heads.values())
    assert all(block.attention.self.num_attention_heads == 2 for block in model.bert.encoder.layer)


@pytest.mark.parametrize("heads", [0, 4, 6])
def test_head_pruning_is_a_no_op_when_not_fewer(heads: int) -> None:
    model = prune_attention_heads(_tiny(heads=4), heads)
    assert model.config.pruned_heads == {}
    assert model.bert.encoder.layer[0].attention.self.num_attention_heads == 4


def test_head_and_neuron_pruned_model_saves_and_reloads(tmp_path) -> None:
    model = prune_attention_heads(prune_feed_forward(_tiny(heads=4), 6), 2)
    model.save_pretrained(tmp_path)
    again = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert again.bert.encoder.layer[1].attention.self.num_attention_heads == 2
    ids = torch.randint(0, 50, (2, 5))
    assert torch.allclose(_logits(again.eval(), ids), _logits(model, ids), atol=1e-6)


def test_model_card_states_the_pruning() -> None:
    from verifier_training.evaluate.model_card import _pruning

    assert _pruning({"attention_heads": 8, "ffn_size": 512}) == (
        "; 8 of 12 attention heads kept per layer, feed-forward blocks pruned to 512 neurons"
    )
    assert _pruning({"ffn_size": 768, "attention_heads": 0}) == "; feed-forward blocks pruned to 768 neurons"
    assert _pruning({}) == ""
