"""Structured pruning of a BERT encoder's feed-forward blocks: keep the ``width`` most important neurons.

Why: at 256 tokens the two feed-forward matrices are ~60% of a MiniLM layer's multiply-adds, and the
fine-tuned verifier barely uses most of their 1,536 neurons. Measured on 1,500 dev items of the 0.3.0
checkpoint before any retraining: AUROC 0.9635 at 1,536, 0.9663 at 1,024, 0.9640 at 768, 0.9572 at 512.
Training then continues on the pruned model (``TrainConfig.ffn_size``), so it can recover what it lost.

A neuron's importance is ``|w_in| * |w_out|``: the norm of its input row times the norm of its output column
(a neuron with a small weight on either side contributes little to the block's output).
"""

from __future__ import annotations

import torch
from torch import nn


def neuron_importance(layer: nn.Module) -> torch.Tensor:
    """One score per feed-forward neuron of a ``BertLayer``."""
    w_in = layer.intermediate.dense.weight  # (width, hidden)
    w_out = layer.output.dense.weight  # (hidden, width)
    return w_in.norm(dim=1) * w_out.norm(dim=0)


@torch.no_grad()
def prune_feed_forward(model: nn.Module, width: int) -> nn.Module:
    """Shrink every encoder layer's feed-forward block to ``width`` neurons in place; returns ``model``.

    No-op when the blocks are already at most ``width`` wide. The kept neurons stay in their original
    order and keep their weights and biases exactly, so a layer whose dropped neurons were all zero
    computes the same function as before.
    """
    config = model.config
    if width <= 0 or width >= config.intermediate_size:
        return model
    for layer in model.base_model.encoder.layer:
        keep = neuron_importance(layer).argsort(descending=True)[:width].sort().values
        layer.intermediate.dense = _rows(layer.intermediate.dense, keep)
        layer.output.dense = _columns(layer.output.dense, keep)
    config.intermediate_size = width
    return model


def _rows(linear: nn.Linear, keep: torch.Tensor) -> nn.Linear:
    pruned = nn.Linear(linear.in_features, len(keep), bias=linear.bias is not None)
    pruned.weight.copy_(linear.weight[keep])
    if linear.bias is not None:
        pruned.bias.copy_(linear.bias[keep])
    return pruned


def _columns(linear: nn.Linear, keep: torch.Tensor) -> nn.Linear:
    pruned = nn.Linear(len(keep), linear.out_features, bias=linear.bias is not None)
    pruned.weight.copy_(linear.weight[:, keep])
    if linear.bias is not None:
        pruned.bias.copy_(linear.bias)
    return pruned
