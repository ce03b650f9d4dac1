"""Feed-forward pruning (verifier_training.prune): shapes, kept weights, and the trainer's ffn_size."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from verifier_training.prune import neuron_importance, prune_feed_forward  # noqa: E402


def _tiny(width: int = 16):
    config = transformers.BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
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
