"""One loaded verifier per model directory (issue 15, item 21): a new ``Guard()`` per call reuses it instead
of re-hashing and reloading the model; a changed directory is verified and loaded again; the cache is
bounded and thread-safe. Uses the tiny exported model (needs torch)."""

from __future__ import annotations

import json
import threading

import pytest

import guardrail._onnx as onnx
from guardrail import Guard, ModelIntegrityError, OnnxVerifier

Q = "Tom has 3 apples and buys 4 more. How many?"
OUT = "3 + 4 = 7.\nHe has 7 apples.\n#### 7"


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    monkeypatch.setattr(onnx, "_shared", type(onnx._shared)())
    loads = []

    class Counting(OnnxVerifier):
        def __init__(self, *args, **kwargs):
            loads.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(onnx, "OnnxVerifier", Counting)
    return loads


def test_a_guard_per_call_loads_the_model_once(tiny_model_dir, monkeypatch, empty_cache):
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(tiny_model_dir))
    verdicts = [Guard().check(Q, OUT) for _ in range(5)]
    assert len(empty_cache) == 1
    assert len({v.consistency for v in verdicts}) == 1 and verdicts[0].consistency is not None
    assert Guard().verifier is Guard().verifier
    assert onnx.shared_verifier(tiny_model_dir, threads=1) is not Guard().verifier  # other options, own entry


def test_a_changed_directory_is_verified_and_loaded_again(tiny_model_copy, empty_cache):
    first = onnx.shared_verifier(tiny_model_copy)
    manifest_path = tiny_model_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = "0.0.2"  # a new manifest (new hashes or metadata) is a new model
    manifest_path.write_text(json.dumps(manifest))
    second = onnx.shared_verifier(tiny_model_copy)
    assert second is not first and second.model_version == "0.0.2" and len(empty_cache) == 2

    listed = next(name for name in manifest["files"] if name != manifest["onnx_file"])
    with open(tiny_model_copy / listed, "ab") as handle:  # tampered after it was loaded and cached
        handle.write(b" ")
    with pytest.raises(ModelIntegrityError):
        onnx.shared_verifier(tiny_model_copy)  # not served from the cache: checked again, and refused


def test_the_cache_is_bounded(tiny_model_dir, tiny_model_copy, monkeypatch, empty_cache):
    monkeypatch.setattr(onnx, "_SHARED_MAX", 1)
    first = onnx.shared_verifier(tiny_model_dir)
    onnx.shared_verifier(tiny_model_copy)
    assert len(onnx._shared) == 1
    assert onnx.shared_verifier(tiny_model_dir) is not first and len(empty_cache) == 3


def test_concurrent_guards_share_one_load(tiny_model_dir, monkeypatch, empty_cache):
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(tiny_model_dir))
    barrier, seen = threading.Barrier(8), []

    def worker():
        barrier.wait()
        seen.append(Guard().warmup().verifier)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len({id(v) for v in seen}) == 1 and len(empty_cache) == 1
