"""Model backends the probes talk to.

``GenerateBackend`` is all an API model offers (text in, text out); ``LogProbBackend`` adds the sum
log-probability of an answer continuation, which the step-level probes (corruption, deletion) need.
``TransformersBackend`` wraps a local causal LM; torch/transformers are imported only when it is built.
"""

from __future__ import annotations

import importlib
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._errors import BackendError


@runtime_checkable
class GenerateBackend(Protocol):
    def generate(self, prompt: str, max_new_tokens: int) -> str: ...


@runtime_checkable
class LogProbBackend(GenerateBackend, Protocol):
    def answer_logprob(self, prompt: str, answer: str) -> float:
        """Sum of log-probabilities (nats) of ``" " + answer`` as the continuation of ``prompt``."""
        ...


def has_logprobs(backend: object) -> bool:
    return callable(getattr(backend, "answer_logprob", None))


class GenerateOnlyBackend:
    """Any ``generate(prompt) -> text`` callable (an API model). Log-prob probes are skipped for it."""

    def __init__(self, generate: Callable[[str], str], name: str = "callable") -> None:
        self._generate = generate
        self.name = name

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        try:
            text = self._generate(prompt)
        except Exception as exc:
            raise BackendError(f"generate callable {self.name!r} failed: {type(exc).__name__}") from exc
        if not isinstance(text, str):
            raise BackendError(f"generate callable {self.name!r} returned {type(text).__name__}, not str")
        return text


def import_callable(spec: str) -> Callable[[str], str]:
    """Resolve ``"package.module:function"``."""
    module_name, _, attr = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"cannot import generate function {spec!r}") from exc
    if not callable(target):
        raise BackendError(f"{spec!r} is not callable")
    return target


def command_generate(command: str, timeout_s: float = 120.0) -> Callable[[str], str]:
    """A generate function that pipes the prompt to a shell command's stdin and reads its stdout."""
    argv = shlex.split(command)
    if not argv:
        raise BackendError("empty --generate-cmd")

    def generate(prompt: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - the user's own command, by design
                argv, input=prompt, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendError(f"generate command failed to run: {type(exc).__name__}") from exc
        if done.returncode != 0:
            raise BackendError(f"generate command exited with status {done.returncode}")
        return done.stdout

    return generate


class TransformersBackend:
    """A local causal LM: greedy generation and exact answer log-probs. CPU is fine for small models."""

    def __init__(self, model: Any, tokenizer: Any, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.name = getattr(model.config, "_name_or_path", "") or type(model).__name__
        config = model.config
        self.max_positions = getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", 1024)

    @classmethod
    def from_path(cls, path: str | Path, device: str = "cpu") -> TransformersBackend:
        """Load from a local directory only; hub ids are refused so nothing is downloaded."""
        path = Path(path)
        if not path.is_dir():
            raise BackendError(f"model path {str(path)!r} is not a local directory")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load a causal LM from {str(path)!r}") from exc
        return cls(model, tokenizer, device=device)

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        import torch

        ids = self._encode(prompt)[-max(1, self.max_positions - max_new_tokens) :]
        pad_id = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else 0
        with torch.no_grad():
            output = self.model.generate(
                torch.tensor([ids], device=self.device),
                attention_mask=torch.ones(1, len(ids), dtype=torch.long, device=self.device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=pad_id,
            )
        return self.tokenizer.decode(output[0, len(ids) :].tolist(), skip_special_tokens=True)

    def answer_logprob(self, prompt: str, answer: str) -> float:
        import torch

        answer_ids = self._encode(" " + answer.strip())
        if not answer_ids:
            raise BackendError("answer encodes to zero tokens")
        # Keep the end of the prompt (where the rationale meets the answer) when it is too long.
        prompt_ids = self._encode(prompt)[-max(1, self.max_positions - len(answer_ids)) :]
        ids = torch.tensor([prompt_ids + answer_ids], device=self.device)
        with torch.no_grad():
            logits = self.model(ids).logits[0, :-1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        targets = ids[0, len(prompt_ids) :]
        positions = torch.arange(len(prompt_ids) - 1, ids.shape[1] - 1, device=self.device)
        return float(logprobs[positions, targets].sum())
