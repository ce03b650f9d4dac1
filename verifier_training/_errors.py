"""Errors raised by the training pipeline (not part of the runtime's GuardrailError tree).

``verifier-train`` turns these, missing or unreadable files (``OSError``) and invalid configs or data
(``ValueError``, which :class:`DataError` also is) into one ``verifier-train STAGE: error: ...`` line and exit 1;
anything else is a bug and keeps its traceback (as does any error under ``--verbose``). :func:`read_config` reads
a stage's config file (data, perturb) and refuses unknown keys with :class:`ConfigError`.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any


class VerifierTrainingError(Exception):
    """Root of the errors raised by ``verifier_training``."""


class ExportError(VerifierTrainingError):
    """The ONNX export could not be produced."""


class ParityError(ExportError):
    """The exported ONNX model disagrees with the torch checkpoint beyond the tolerance."""


class DataError(VerifierTrainingError, ValueError):
    """A config or data file the stage was given is not what it should be (invalid JSON, wrong fields)."""


class ConfigError(DataError):
    """A stage's config file is not a JSON object of that stage's config fields (e.g. a misspelt key)."""


def read_config(path: str | Path, config_class: type) -> dict[str, Any]:
    """The fields of the JSON config file ``path`` for the dataclass ``config_class``.

    A file that is not JSON, not a JSON object, or has keys that are not fields of ``config_class`` raises
    :class:`ConfigError` naming the file (and the unknown keys), so the stage ends with one line, not a
    ``TypeError`` from the dataclass. A missing file raises ``OSError`` as it is.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    name = config_class.__name__
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a {name} must be a JSON object, not a JSON {type(raw).__name__}")
    known = [f.name for f in fields(config_class)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown {name} keys {unknown} (known keys: {', '.join(known)})")
    return raw
