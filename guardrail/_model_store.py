"""Where the default verifier model lives.

Resolution order (first hit wins):

1. ``GUARDRAIL_MODEL_DIR`` environment variable (a model directory holding ``manifest.json``);
2. the installed wheel: ``guardrail/_models/default/`` (the repo's top-level ``models/`` is force-included
   into the wheel, see ``pyproject.toml``);
3. a source checkout: ``<repo>/models/default/``.

Nothing is read at import time; resolution happens when a verifier is built.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import ModelNotFoundError
from ._manifest import MANIFEST_NAME

ENV_VAR = "GUARDRAIL_MODEL_DIR"
DEFAULT_NAME = "default"
_PACKAGE_DIR = Path(__file__).resolve().parent


def candidate_dirs(name: str = DEFAULT_NAME) -> list[Path]:
    """The directories searched for the default model, in order (the env var is handled separately)."""
    return [_PACKAGE_DIR / "_models" / name, _PACKAGE_DIR.parent / "models" / name]


def default_model_dir(name: str = DEFAULT_NAME) -> Path:
    """The directory of the shipped default verifier; raises :class:`ModelNotFoundError` if there is none."""
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override).expanduser()
        if not (path / MANIFEST_NAME).is_file():
            raise ModelNotFoundError(f"{ENV_VAR}={override!r} is not a model directory (no {MANIFEST_NAME} in it)")
        return path
    for path in candidate_dirs(name):
        if (path / MANIFEST_NAME).is_file():
            return path
    tried = ", ".join(str(p) for p in candidate_dirs(name))
    raise ModelNotFoundError(
        f"no default verifier model found (looked in {tried}); install the package with its model, "
        f"set {ENV_VAR}, or pass model_dir="
    )


def resolve_model_dir(model_dir: str | os.PathLike[str] | None) -> Path:
    """``model_dir`` if given (it must exist), else the default model directory."""
    if model_dir is None:
        return default_model_dir()
    path = Path(model_dir).expanduser()
    if not path.is_dir():
        raise ModelNotFoundError(f"model directory does not exist: {path}")
    return path
