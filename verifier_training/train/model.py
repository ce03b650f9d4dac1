"""The student model and its optimisers: the first ``num_layers`` MiniLM layers (pruned as configured) under a
fresh classifier head, AdamW for the dense parameters and lazy Adam for a sparse word-embedding table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

from .cls_only import rewrite_last_layer
from .config import TrainConfig, default_base_model
from .prune import prune_attention_heads, prune_feed_forward

HEAD_PARAMETERS = ("classifier.", "bert.pooler.")  # freshly initialised (or unused by MiniLM): faster lr


def build_model(config: TrainConfig) -> BertForSequenceClassification:
    dropout = {"hidden_dropout_prob": config.dropout, "attention_probs_dropout_prob": config.dropout}
    if config.base_model == "tiny":  # random tiny BERT for tests: same vocabulary, no pretrained weights
        bert = BertConfig(hidden_size=32, num_hidden_layers=config.num_layers, num_attention_heads=2,
                          intermediate_size=64, num_labels=2, **dropout)
        return _prune_and_set_up(BertForSequenceClassification(bert), config)
    # num_hidden_layers=k keeps the first k pretrained layers (the rest of the checkpoint is ignored).
    model = AutoModelForSequenceClassification.from_pretrained(
        config.resolved_base_model(), num_labels=2, num_hidden_layers=config.num_layers, **dropout
    )
    return _prune_and_set_up(model, config)


def _prune_and_set_up(model: BertForSequenceClassification, config: TrainConfig) -> BertForSequenceClassification:
    """Pruned as configured, then the training-speed settings (neither changes a parameter's name)."""
    model = prune_attention_heads(prune_feed_forward(model, config.ffn_size), config.attention_heads)
    if config.cls_only_last_layer:
        rewrite_last_layer(model)  # parameters and their names unchanged: checkpoints load as plain BERT
    model.base_model.embeddings.word_embeddings.sparse = config.sparse_word_embeddings
    return model


def tokenizer_source(config: TrainConfig) -> str:
    return default_base_model() if config.base_model == "tiny" else config.resolved_base_model()


def build_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with three groups: head (higher lr), encoder weights (decayed), biases/LayerNorms (not decayed)."""
    head, decay, no_decay = [], [], []
    sparse_table = _sparse_table(model)
    for name, param in model.named_parameters():
        if param is sparse_table:
            continue  # lazy Adam's (see Optimizers)
        if name.startswith(HEAD_PARAMETERS):
            head.append(param)
        elif param.ndim < 2:
            no_decay.append(param)
        else:
            decay.append(param)
    return torch.optim.AdamW(
        [
            {"params": head, "lr": config.head_lr, "weight_decay": config.weight_decay},
            {"params": decay, "lr": config.lr, "weight_decay": config.weight_decay},
            {"params": no_decay, "lr": config.lr, "weight_decay": 0.0},
        ]
    )


def _sparse_table(model: torch.nn.Module) -> torch.nn.Parameter | None:
    embedding = model.base_model.embeddings.word_embeddings
    return embedding.weight if embedding.sparse else None


class Optimizers:
    """AdamW for the dense parameters, plus SparseAdam for a sparse word-embedding table: one schedule, one
    gradient clip over both, one step."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig) -> None:
        self.dense = build_optimizer(model, config)
        table = _sparse_table(model)
        self.sparse = torch.optim.SparseAdam([table], lr=config.lr) if table is not None else None
        self._all = [o for o in (self.dense, self.sparse) if o is not None]
        self._base_lrs = [[group["lr"] for group in o.param_groups] for o in self._all]
        self._parameters = [p for p in model.parameters() if p.requires_grad]

    def set_lr_factor(self, factor: float) -> None:
        for optimizer, base_lrs in zip(self._all, self._base_lrs):
            for group, base_lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base_lr * factor

    def state_dict(self) -> list[dict[str, Any]]:
        return [optimizer.state_dict() for optimizer in self._all]

    def load_state_dict(self, states: list[dict[str, Any]]) -> None:
        for optimizer, state in zip(self._all, states, strict=True):
            optimizer.load_state_dict(state)

    @property
    def encoder_lr(self) -> float:
        return self.dense.param_groups[1]["lr"]

    def step(self, max_grad_norm: float) -> None:
        clip_gradients(self._parameters, max_grad_norm)
        for optimizer in self._all:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)


def clip_gradients(parameters: Sequence[torch.nn.Parameter], max_norm: float) -> float:
    """``clip_grad_norm_`` that also takes sparse gradients (torch's raises on them); returns the norm."""
    grads = []
    for param in parameters:
        if param.grad is None:
            continue
        if param.grad.is_sparse:
            param.grad = param.grad.coalesce()  # a token twice in the batch: its rows summed, as dense would be
        grads.append(param.grad)
    if not grads:
        return 0.0
    squares = [(g.values() if g.is_sparse else g).pow(2).sum() for g in grads]
    total = float(torch.stack(squares).sum().sqrt())
    if total > max_norm:
        for grad in grads:
            grad.mul_(max_norm / (total + 1e-6))
    return total

