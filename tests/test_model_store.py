"""Default model directory resolution: env var, installed wheel layout, source checkout."""

from __future__ import annotations

import pytest

from guardrail import ModelNotFoundError, _model_store, default_model_dir
from guardrail._manifest import MANIFEST_NAME


def _model(path):
    path.mkdir(parents=True)
    (path / MANIFEST_NAME).write_text("{}")
    return path


@pytest.fixture
def fake_layout(tmp_path, monkeypatch):
    """A fake install: <root>/guardrail (the package) next to <root>/models (a source checkout)."""
    package = tmp_path / "guardrail"
    package.mkdir()
    monkeypatch.setattr(_model_store, "_PACKAGE_DIR", package)
    monkeypatch.delenv("GUARDRAIL_MODEL_DIR", raising=False)
    return tmp_path


def test_env_var_wins(fake_layout, monkeypatch):
    chosen = _model(fake_layout / "elsewhere")
    _model(fake_layout / "guardrail" / "_models" / "default")
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(chosen))
    assert default_model_dir() == chosen


def test_env_var_without_manifest_is_an_error(fake_layout, monkeypatch):
    (fake_layout / "empty").mkdir()
    monkeypatch.setenv("GUARDRAIL_MODEL_DIR", str(fake_layout / "empty"))
    with pytest.raises(ModelNotFoundError, match="GUARDRAIL_MODEL_DIR"):
        default_model_dir()


def test_installed_wheel_layout_before_checkout(fake_layout):
    wheel = _model(fake_layout / "guardrail" / "_models" / "default")
    _model(fake_layout / "models" / "default")
    assert default_model_dir() == wheel


def test_source_checkout_layout(fake_layout):
    checkout = _model(fake_layout / "models" / "default")
    assert default_model_dir() == checkout


def test_nothing_found_lists_where_it_looked(fake_layout):
    with pytest.raises(ModelNotFoundError, match="_models"):
        default_model_dir()


def test_explicit_dir_must_exist(tmp_path):
    with pytest.raises(ModelNotFoundError):
        _model_store.resolve_model_dir(tmp_path / "nope")
    assert _model_store.resolve_model_dir(tmp_path) == tmp_path
