"""Errors raised by the training pipeline, under the project's one root :class:`guardrail.GuardrailError`.

``verifier-train`` turns these, missing or unreadable files (``OSError``) and invalid configs or data
(``ValueError``, which :class:`DataError` also is) into one ``verifier-train STAGE: error: ...`` line and exit 1;
anything else is a bug and keeps its traceback (as does any error under ``--verbose``). The faithfulness probes
(``verifier_probes``) follow the same rule with their own :class:`verifier_probes.ProbeError`.

GuardrailError
└── VerifierTrainingError
    ├── ExportError
    │   └── ParityError
    └── DataError (also a ValueError)
        └── ConfigError
"""

from __future__ import annotations

from guardrail import GuardrailError


class VerifierTrainingError(GuardrailError):
    """Root of the errors raised by ``verifier_training``."""


class ExportError(VerifierTrainingError):
    """The ONNX export could not be produced."""


class ParityError(ExportError):
    """The exported ONNX model disagrees with the torch checkpoint beyond the tolerance."""


class DataError(VerifierTrainingError, ValueError):
    """A config or data file the stage was given is not what it should be (invalid JSON, wrong fields)."""


class ConfigError(DataError):
    """A stage's config file is not a JSON object of that stage's config fields (e.g. a misspelt key)."""
