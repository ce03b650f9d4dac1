"""The model manifest: what a verifier directory contains, and the sha256 of every file in it.

A model directory holds ``manifest.json`` plus the files it lists (``model.onnx``, ``tokenizer.json``,
``config.json``, ...). The runtime refuses to load a directory whose files are missing or whose hashes
do not match: a tampered or truncated model must fail loudly, never score silently.

Every path in the manifest is relative to the model directory and must stay inside it: absolute paths, ``..``
and files (or symlinks) that resolve outside the directory are refused before anything is read, so a manifest
can never make the runtime read, hash or report on a file elsewhere. :func:`load_verified_model` reads each
file once, hashes those bytes and hands the same bytes back, so what is loaded is exactly what was checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from collections.abc import Iterable
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._errors import ModelIntegrityError, ModelNotFoundError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


class SemanticSpec(BaseModel):
    """The optional second local tier (see :mod:`guardrail._semantic`): a sentence encoder in the model directory
    and the logistic combination, fitted on dev, of the first tier's score with the encoder's evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    onnx_file: str = "semantic/model.onnx"  # outputs last_hidden_state; mean-pooled and normalised here
    tokenizer_file: str = "semantic/tokenizer.json"
    max_length: int = Field(default=256, gt=8)
    band: tuple[float, float] = (0.2, 0.8)  # first-tier scores in this range (inclusive) get the second look
    # P = sigmoid(bias + base * logit(p) + margin * m + margin_unplaced * m * u + unplaced * u), m: the cosine
    # similarity of rationale and given answer minus the best other candidate's, u: 1 when the reader could not
    # place the answer
    weights: dict[str, float]
    # per candidate kind ("options", "labels"), the margins the fit saw (1st to 99th percentile on dev): a margin
    # outside is clipped to it, so the tier never extrapolates past its evidence; a kind with no range here gets
    # no second look. Empty: no clipping (manifests written before the field).
    margin_range: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # per candidate kind, weights fitted on that kind's dev rows alone; a kind without its own uses ``weights`` (the
    # fit over every kind; manifests written before the field have only it). Pooled, the option lists (four dev rows
    # in five) set the weight "X or Y" labels get, though a label's margin tells the answers apart less well.
    kind_weights: dict[str, dict[str, float]] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    @field_validator("onnx_file", "tokenizer_file")
    @classmethod
    def _relative_file_name(cls, name: str) -> str:
        return check_relative_path(name)

    @field_validator("weights")
    @classmethod
    def _all_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        if set(weights) != set(SEMANTIC_WEIGHTS):
            raise ValueError(f"semantic weights must be exactly {SEMANTIC_WEIGHTS}, got {sorted(weights)}")
        return weights

    @field_validator("kind_weights")
    @classmethod
    def _all_kind_weights(cls, kind_weights: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for weights in kind_weights.values():
            cls._all_weights(weights)
        return kind_weights

    def weights_for(self, kind: str) -> dict[str, float]:
        """The combination's weights for candidates of ``kind`` (its own fit where it has one)."""
        return self.kind_weights.get(kind, self.weights)


SEMANTIC_WEIGHTS = ("bias", "base", "margin", "margin_unplaced", "unplaced")


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
    positive_index: int = Field(default=1, ge=0)  # logit index of "rationale supports the answer"
    temperature: float = Field(default=1.0, gt=0.0)  # temperature scaling fitted on dev
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)  # recommended decision threshold
    # Items whose answer the reader cannot place (no concluding value, option or verdict found) are scored
    # 0.5 + unplaced_scale * (p - 0.5): with 0.58 every such score lies in [0.21, 0.79], inside the default
    # judge band, so a verdict the model cannot ground in the text is escalated or labelled, never confident.
    unplaced_scale: float = Field(default=0.58, gt=0.0, le=1.0)
    config: dict[str, Any] = Field(default_factory=dict)  # the training config, saved with the export
    metrics: dict[str, Any] = Field(default_factory=dict)
    semantic: SemanticSpec | None = None  # the second local tier, when the directory ships one

    @field_validator("files")
    @classmethod
    def _relative_file_names(cls, files: dict[str, str]) -> dict[str, str]:
        for name in files:
            check_relative_path(name)
        return files

    @field_validator("onnx_file", "tokenizer_file")
    @classmethod
    def _relative_file_name(cls, name: str) -> str:
        return check_relative_path(name)


def check_relative_path(name: str) -> str:
    """``name`` if it is a plain relative path inside the model directory (no absolute path, drive, ``..``,
    backslash or empty part); raises ``ValueError`` otherwise (pydantic reports it as an invalid manifest)."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if not name or "\\" in name or "\x00" in name or posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise ValueError(f"model file path {name!r} must be relative to the model directory")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"model file path {name!r} must not contain '..', '.' or empty parts")
    return name


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return _sha256_handle(handle)


def write_manifest(model_dir: Path, only: Iterable[str] | None = None, **fields: Any) -> ModelManifest:
    """Hash the model's files and write ``manifest.json``: every file under ``model_dir`` (except the manifest
    and ``.md`` files), or only the relative paths in ``only`` (to re-sign a model without also signing reports
    written into its directory since, e.g. ``eval_report.json``, which evaluation rewrites later)."""
    model_dir = Path(model_dir)
    if only is not None:
        paths = [model_dir / check_relative_path(name) for name in sorted(set(only))]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ModelIntegrityError(f"cannot sign files that do not exist: {missing}")
    else:
        paths = [p for p in sorted(model_dir.rglob("*")) if p.name != MANIFEST_NAME and not p.name.endswith(".md")]
    files = {path.relative_to(model_dir).as_posix(): sha256_file(path) for path in paths if path.is_file()}
    manifest = ModelManifest(files=files, **fields)
    (model_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(model_dir: Path) -> ModelManifest:
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"no {MANIFEST_NAME} in model directory {model_dir}")
    try:
        with _open_inside(Path(model_dir), MANIFEST_NAME) as handle:
            data = handle.read()
        return ModelManifest.model_validate(json.loads(data.decode("utf-8")))
    except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: JSON nested past the parser
        raise ModelIntegrityError(f"invalid manifest {path}: {type(exc).__name__}: {exc}") from exc


def load_verified_manifest(model_dir: Path) -> ModelManifest:
    """Read the manifest and check every listed file exists, lies inside ``model_dir`` and matches its sha256."""
    return load_verified_model(model_dir)[0]


def load_verified_model(model_dir: Path, keep: tuple[str, ...] | None = None) -> tuple[ModelManifest, dict[str, bytes]]:
    """The manifest and the verified bytes of the files named in ``keep`` (default: :func:`model_files`). Every listed file is read once and its hash checked on the bytes read; the bytes kept are the
    ones that were hashed, so nothing is reopened by path after the check (no time-of-check/time-of-use gap)."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    required = model_files(manifest)
    for name in required:
        if name not in manifest.files:
            raise ModelIntegrityError(f"manifest does not list required file {name!r}")
    wanted = set(required if keep is None else keep)
    kept: dict[str, bytes] = {}
    for relative, expected in manifest.files.items():
        with _open_inside(model_dir, relative) as handle:
            data = handle.read() if relative in wanted else None
            actual = hashlib.sha256(data).hexdigest() if data is not None else _sha256_handle(handle)
        if actual != expected:
            raise ModelIntegrityError(
                f"sha256 mismatch for {model_dir / relative}: manifest says {expected[:12]}..., file is "
                f"{actual[:12]}... (the model file was modified or corrupted; refusing to load it)"
            )
        if data is not None:
            kept[relative] = data
    return manifest, kept


def model_files(manifest: ModelManifest) -> tuple[str, ...]:
    """The files a verifier loads: the ONNX graph and tokenizer, and those of the semantic tier if there is one."""
    tier = (manifest.semantic.onnx_file, manifest.semantic.tokenizer_file) if manifest.semantic else ()
    return (manifest.onnx_file, manifest.tokenizer_file, *tier)


def _sha256_handle(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _open_inside(model_dir: Path, relative: str) -> IO[bytes]:
    """``model_dir/relative`` opened for reading, refused unless it is a regular file inside ``model_dir`` once
    every symlink is resolved. Checked before the file is opened: nothing outside the directory is ever read."""
    check_relative_path(relative)
    root = model_dir.resolve()
    path = model_dir / relative
    target = path.resolve()
    if target != root and root not in target.parents:
        raise ModelIntegrityError(
            f"model file {relative!r} resolves outside the model directory {model_dir} (a symlink?); refusing it"
        )
    try:
        # O_NOFOLLOW: the resolved path has no symlink left, so one appearing there now is refused, not followed.
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError as exc:
        raise ModelNotFoundError(f"model file listed in manifest is missing: {path}") from exc
    except OSError as exc:
        raise ModelIntegrityError(f"cannot read model file {path}: {exc.strerror or exc}") from exc
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise ModelIntegrityError(f"model file {path} is not a regular file")
    return handle
