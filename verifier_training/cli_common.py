"""What every ``verifier-train`` stage shares: the ``--verbose`` help text and reading its ``--config`` file.

Kept apart from :mod:`verifier_training.cli` (which imports every stage) so a stage never imports the CLI that
registers it.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

EXIT_ERROR = 1
# What ``--verbose`` does in every stage that has it (see cli.main).
VERBOSE_HELP = "debug logging; an error shows its full traceback instead of one line"


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
