"""Shared fixtures for the whole test suite.

Model fixtures
- ``tiny_model_dir`` (session): a tiny random BERT classifier exported to ONNX through the real export path
  (``tests/_tiny.py`` + ``verifier_training.export``, fp32, real MiniLM tokenizer). Needs torch:
  tests using it are skipped where torch is not installed. Read-only: copy it (``tiny_model_copy``) to modify.
- ``tiny_model_copy``: a fresh writable copy of ``tiny_model_dir`` (for tampering tests).
- ``tiny_verifier`` (session): an :class:`~guardrail.OnnxVerifier` on ``tiny_model_dir``.

Fake verifiers with set scores (for policy / guard logic) and example outputs per extraction shape live in
``tests/runtime_fakes.py`` (``from runtime_fakes import FixedVerifier, EXAMPLES``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# --- tiny exported model ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("optimum")
    from verifier_training.export.onnx import export_onnx
    from _tiny import build_tiny_checkpoint

    root = tmp_path_factory.mktemp("tiny-model")
    checkpoint = build_tiny_checkpoint(root / "checkpoint")
    export_onnx(checkpoint, root / "onnx", quantize=False, name="tiny-test", version="0.0.1")
    return root / "onnx"


@pytest.fixture
def tiny_model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    return copy


@pytest.fixture(scope="session")
def tiny_verifier(tiny_model_dir: Path):
    from guardrail import OnnxVerifier

    return OnnxVerifier(tiny_model_dir, threads=1, batch_size=8)


@pytest.fixture(autouse=True)
def _structlog_defaults_after_each_test():
    """CLI tests run ``main()`` in-process, which configures structlog for a command line (a logger bound to
    that test's captured stream); put the library default back so a later test never logs to a closed file."""
    import structlog

    yield
    structlog.reset_defaults()
