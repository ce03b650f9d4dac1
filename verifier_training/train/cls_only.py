"""Rewrite of a BERT classifier's last layer to compute the [CLS] position only (export; optionally training).

The classifier reads nothing but the last layer's [CLS] vector (the pooler takes position 0), and in that
layer each position's output depends on its own query and residual plus the keys and values of all positions.
So the last layer only needs keys and values for every token; its query, attention scores, attention output,
feed-forward block and layer norms are needed for one token instead of all of them. At 256 tokens that is
about 40% of a 2-layer model's multiply-adds, and the 256 x 256 score matrices of that layer, removed with
the same weights and the same result (same function, float rounding aside).

The replacement keeps the original submodules under their original attribute paths, so the exported ONNX
nodes keep their names (``/bert/encoder/layer.1/attention/self/query/MatMul``): ``recover`` reads each weight
back by the name of the node that uses it. The parameters are the original ones, so training through the
rewrite updates the model and ``save_pretrained`` writes a plain BERT checkpoint.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn


class _ClsOnlySelfAttention(nn.Module):
    """Attention of the [CLS] query over every position's key and value: (batch, 1, heads * head size)."""

    def __init__(self, original: nn.Module) -> None:
        super().__init__()
        self.query, self.key, self.value = original.query, original.key, original.value
        self.dropout = original.dropout  # on the attention probabilities, as BERT does (a no-op in eval)
        self.heads, self.head_size = original.num_attention_heads, original.attention_head_size

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        def split_heads(x: torch.Tensor) -> torch.Tensor:
            return x.view(x.shape[0], -1, self.heads, self.head_size).transpose(1, 2)

        query = split_heads(self.query(hidden_states[:, :1]))
        key, value = split_heads(self.key(hidden_states)), split_heads(self.value(hidden_states))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_size)
        if attention_mask is not None:  # additive, (batch, 1, 1 or seq, seq): keep the [CLS] query's row
            scores = scores + attention_mask[:, :, :1, :]
        context = torch.matmul(self.dropout(scores.softmax(dim=-1)), value).transpose(1, 2)
        return context.reshape(context.shape[0], 1, self.heads * self.head_size)


class _ClsOnlyAttention(nn.Module):
    def __init__(self, original: nn.Module) -> None:
        super().__init__()
        self.self = _ClsOnlySelfAttention(original.self)  # BERT's attribute names, so node names match
        self.output = original.output

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden_states, attention_mask), hidden_states[:, :1])


class ClsOnlyLastLayer(nn.Module):
    """Drop-in for the last ``BertLayer`` of an encoder whose output is read at position 0 only; it returns
    hidden states of shape (batch, 1, hidden). Submodules nest as in ``BertLayer`` and are called through
    their parents, so the exporter names every node exactly as for the original layer."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.attention = _ClsOnlyAttention(layer.attention)
        self.intermediate = layer.intermediate
        self.output = layer.output

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None,
                *_: Any, **__: Any) -> tuple[torch.Tensor]:
        attention_output = self.attention(hidden_states, attention_mask)
        return (self.output(self.intermediate(attention_output), attention_output),)


def supports_cls_only(model: Any) -> bool:
    """Only a BERT classifier with absolute positions whose head reads the pooled [CLS] vector qualifies."""
    config = model.config
    bert = getattr(model, "bert", None)
    return (
        config.model_type == "bert"
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not config.is_decoder
        and bert is not None
        and getattr(bert, "pooler", None) is not None
    )


def rewrite_last_layer(model: Any) -> bool:
    """Replace ``model``'s last encoder layer in place when that is exact; returns whether it did. Training
    can use it too: the loss reads only the [CLS] logits, so gradients are those of the full layer."""
    if not supports_cls_only(model):
        return False
    layers = model.bert.encoder.layer
    layers[-1] = ClsOnlyLastLayer(layers[-1])
    return True


def load_for_export(checkpoint: Path) -> tuple[Any, bool]:
    """The checkpoint's classifier in eval mode, with its last layer rewritten when that is exact; returns
    (model, rewritten). Eager attention: the rewrite adds its own additive mask row to the scores."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint), attn_implementation="eager").eval()
    return model, rewrite_last_layer(model)
