"""Hostile model directories: manifest paths that escape the directory, files swapped after the hash check,
and a manifest that does not fit its graph (issue 15, items 6-8). The model is the tiny exported one."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from guardrail import CheckInput, ModelIntegrityError, OnnxVerifier
from guardrail._cli import main
from guardrail._manifest import MANIFEST_NAME, load_verified_manifest

pytestmark = pytest.mark.slow  # the session fixture exports a model (a few seconds)

ITEMS = [
    CheckInput(id="a", question="What is 3 + 4?", rationale="3 + 4 = 7.", answer="7"),
    CheckInput(id="b", question="Is the sun a star?", rationale="The sun is a star.", answer="no"),
]


@pytest.fixture(autouse=True)
def _restore_structlog():
    yield
    import structlog

    structlog.reset_defaults()


def _manifest(model_dir: Path) -> dict:
    return json.loads((model_dir / MANIFEST_NAME).read_text())


def _save(model_dir: Path, manifest: dict) -> None:
    (model_dir / MANIFEST_NAME).write_text(json.dumps(manifest))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the model directory (its hash must never be read into any message)."""
    path = tmp_path / "secret.txt"
    path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    return path


def _refused(model_dir: Path, *, secret: Path | None = None) -> str:
    with pytest.raises(ModelIntegrityError) as info:
        OnnxVerifier(model_dir)
    message = str(info.value)
    if secret is not None:
        assert _sha(secret)[:12] not in message
    return message


def test_files_entry_with_dotdot_is_refused(tiny_model_copy, outside):
    manifest = _manifest(tiny_model_copy)
    relative = "../" * 10 + str(outside).lstrip("/")  # resolves to the outside file, hash matches
    manifest["files"][relative] = _sha(outside)
    _save(tiny_model_copy, manifest)
    assert "must not contain '..'" in _refused(tiny_model_copy, secret=outside)


def test_files_entry_with_absolute_path_is_refused(tiny_model_copy, outside):
    manifest = _manifest(tiny_model_copy)
    manifest["files"][str(outside)] = _sha(outside)
    _save(tiny_model_copy, manifest)
    assert "must be relative" in _refused(tiny_model_copy, secret=outside)


def test_onnx_file_outside_the_directory_is_refused(tiny_model_copy, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(tiny_model_copy / "model.onnx", elsewhere / "other.onnx")
    manifest = _manifest(tiny_model_copy)
    relative = "../elsewhere/other.onnx"
    assert (tiny_model_copy / relative).resolve() == (elsewhere / "other.onnx").resolve()
    manifest["onnx_file"] = relative
    manifest["files"][relative] = _sha(elsewhere / "other.onnx")
    _save(tiny_model_copy, manifest)
    _refused(tiny_model_copy)


def test_symlink_to_a_file_outside_is_refused(tiny_model_copy, tmp_path):
    # Same bytes, so the hash matches: only the location gives it away.
    outside_copy = tmp_path / "outside.onnx"
    shutil.move(tiny_model_copy / "model.onnx", outside_copy)
    (tiny_model_copy / "model.onnx").symlink_to(outside_copy)
    assert "resolves outside the model directory" in _refused(tiny_model_copy)


def test_symlinked_manifest_outside_is_refused(tiny_model_copy, tmp_path):
    outside_manifest = tmp_path / "manifest.json"
    shutil.move(tiny_model_copy / MANIFEST_NAME, outside_manifest)
    (tiny_model_copy / MANIFEST_NAME).symlink_to(outside_manifest)
    with pytest.raises(ModelIntegrityError, match="outside the model directory"):
        load_verified_manifest(tiny_model_copy)


def test_symlink_inside_the_directory_still_loads(tiny_model_copy, tiny_verifier):
    (tiny_model_copy / "weights").mkdir()
    shutil.move(tiny_model_copy / "model.onnx", tiny_model_copy / "weights" / "model.onnx")
    (tiny_model_copy / "model.onnx").symlink_to(Path("weights") / "model.onnx")
    verifier = OnnxVerifier(tiny_model_copy)
    assert np.allclose(verifier.probabilities(ITEMS), tiny_verifier.probabilities(ITEMS), atol=1e-6)


def test_cli_refuses_an_escaping_manifest_with_exit_1(tiny_model_copy, outside, tmp_path, capsys):
    manifest = _manifest(tiny_model_copy)
    manifest["files"]["../../" + outside.name] = _sha(outside)
    _save(tiny_model_copy, manifest)
    (tmp_path / "in.jsonl").write_text('{"id": 1, "question": "q", "output": "#### 7"}\n')
    assert main(["score", str(tmp_path / "in.jsonl"), "--model", str(tiny_model_copy)]) == 1
    err = capsys.readouterr().err
    assert "cannot load the verifier model" in err and _sha(outside)[:12] not in err


def test_files_swapped_after_the_check_are_not_loaded(tiny_model_copy, tiny_verifier, monkeypatch):
    """Time of check / time of use: whatever is on disk after the hashes were checked is never read."""
    original = OnnxVerifier._check_format  # runs after the manifest check, before the model is loaded

    def swap_then_check(self):
        (tiny_model_copy / "model.onnx").write_bytes(b"swapped after the check: not an onnx graph")
        (tiny_model_copy / "tokenizer.json").write_text("{not a tokenizer")
        original(self)

    monkeypatch.setattr(OnnxVerifier, "_check_format", swap_then_check)
    verifier = OnnxVerifier(tiny_model_copy)
    assert np.allclose(verifier.probabilities(ITEMS), tiny_verifier.probabilities(ITEMS), atol=1e-6)


def test_session_and_tokenizer_are_built_from_the_verified_bytes(tiny_model_copy, monkeypatch):
    import onnxruntime as ort
    import tokenizers

    seen: dict[str, object] = {}
    real_session, real_from_str = ort.InferenceSession, tokenizers.Tokenizer.from_str

    def session(model, *args, **kwargs):
        seen["onnx"] = model
        return real_session(model, *args, **kwargs)

    def from_str(text):
        seen["tokenizer"] = text
        return real_from_str(text)

    monkeypatch.setattr(ort, "InferenceSession", session)
    monkeypatch.setattr(tokenizers.Tokenizer, "from_str", staticmethod(from_str))
    OnnxVerifier(tiny_model_copy)
    assert seen["onnx"] == (tiny_model_copy / "model.onnx").read_bytes()
    assert seen["tokenizer"] == (tiny_model_copy / "tokenizer.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("index", [2, 7])
def test_positive_index_beyond_the_outputs_is_refused_at_load(tiny_model_copy, index):
    manifest = _manifest(tiny_model_copy)
    manifest["positive_index"] = index
    _save(tiny_model_copy, manifest)
    with pytest.raises(ModelIntegrityError, match=f"positive_index {index}.*2 label"):
        OnnxVerifier(tiny_model_copy)


def test_negative_positive_index_is_an_invalid_manifest(tiny_model_copy):
    manifest = _manifest(tiny_model_copy)
    manifest["positive_index"] = -1
    _save(tiny_model_copy, manifest)
    with pytest.raises(ModelIntegrityError, match="invalid manifest"):
        OnnxVerifier(tiny_model_copy)


def test_positive_index_zero_is_accepted_and_used(tiny_model_copy, tiny_verifier):
    manifest = _manifest(tiny_model_copy)
    manifest["positive_index"] = 0
    _save(tiny_model_copy, manifest)
    flipped = OnnxVerifier(tiny_model_copy).probabilities(ITEMS)
    assert np.allclose(flipped, 1.0 - tiny_verifier.probabilities(ITEMS), atol=1e-6)


def test_cli_refuses_a_bad_positive_index_with_exit_1(tiny_model_copy, tmp_path, capsys):
    manifest = _manifest(tiny_model_copy)
    manifest["positive_index"] = 7
    _save(tiny_model_copy, manifest)
    (tmp_path / "in.jsonl").write_text('{"id": 1, "question": "q", "output": "3 + 4 = 7.\\n#### 7"}\n')
    assert main(["score", str(tmp_path / "in.jsonl"), "--model", str(tiny_model_copy)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "positive_index 7" in captured.err


def test_symbolic_label_axis_is_probed(tiny_model_dir):
    from guardrail._manifest import read_manifest
    from guardrail._onnx import _check_outputs

    class Output:
        shape = ["batch", "labels"]

    class Session:
        def get_outputs(self):
            return [Output()]

        def run(self, names, feed):
            assert set(feed) == {"input_ids", "attention_mask"}
            return [np.zeros((1, 3))]

    manifest = read_manifest(tiny_model_dir)
    _check_outputs(Session(), manifest.model_copy(update={"positive_index": 2}), tiny_model_dir,
                   ("input_ids", "attention_mask"))
    with pytest.raises(ModelIntegrityError, match="3 label"):
        _check_outputs(Session(), manifest.model_copy(update={"positive_index": 3}), tiny_model_dir,
                       ("input_ids", "attention_mask"))
