"""The model manifest: what a verifier directory contains, and the sha256 of every file in it.

A model directory holds ``manifest.json`` plus the files it lists (``model.onnx``, ``tokenizer.json``,
``config.json``, ...). The runtime refuses to load a directory whose files are missing or whose hashes
do not match: a tampered or truncated model must fail loudly, never score silently.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import ModelIntegrityError, ModelNotFoundError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


class ModelManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    format_version: int = 1
    files: dict[str, str]  # path relative to the model directory -> sha256 hex digest
    onnx_file: str = "model.onnx"
    tokenizer_file: str = "tokenizer.json"
    input_format: str  # the guardrail._encoding format the model was trained with
    max_length: int = Field(gt=8)
    positive_index: int = 1  # logit index of "rationale supports the answer"
    temperature: float = Field(default=1.0, gt=0.0)  # temperature scaling fitted on dev
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)  # recommended decision threshold
    config: dict[str, Any] = Field(default_factory=dict)  # the training config, saved with the export
    metrics: dict[str, Any] = Field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(model_dir: Path, **fields: Any) -> ModelManifest:
    """Hash every file under ``model_dir`` (except the manifest itself) and write ``manifest.json``."""
    model_dir = Path(model_dir)
    files = {
        path.relative_to(model_dir).as_posix(): sha256_file(path)
        for path in sorted(model_dir.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME and not path.name.endswith(".md")
    }
    manifest = ModelManifest(files=files, **fields)
    (model_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(model_dir: Path) -> ModelManifest:
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"no {MANIFEST_NAME} in model directory {model_dir}")
    try:
        return ModelManifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: JSON nested past the parser
        raise ModelIntegrityError(f"invalid manifest {path}: {type(exc).__name__}: {exc}") from exc


def load_verified_manifest(model_dir: Path) -> ModelManifest:
    """Read the manifest and check every listed file exists and matches its sha256."""
    manifest = read_manifest(model_dir)
    for relative, expected in manifest.files.items():
        path = Path(model_dir) / relative
        if not path.is_file():
            raise ModelNotFoundError(f"model file listed in manifest is missing: {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelIntegrityError(
                f"sha256 mismatch for {path}: manifest says {expected[:12]}..., file is {actual[:12]}... "
                "(the model file was modified or corrupted; refusing to load it)"
            )
    for required in (manifest.onnx_file, manifest.tokenizer_file):
        if required not in manifest.files:
            raise ModelIntegrityError(f"manifest does not list required file {required!r}")
    return manifest
