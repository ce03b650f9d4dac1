"""The exception tree. Every error the library raises derives from :class:`GuardrailError`.

GuardrailError
├── InputError             bad input to a check (not text, not UTF-8, over the size limit)
├── ExtractionError        no rationale/answer could be extracted (only raised on request; checks return a verdict)
├── ModelError
│   ├── ModelNotFoundError     model directory, file or manifest missing
│   ├── ModelIntegrityError    sha256 mismatch or invalid manifest (tampered or corrupted model)
│   └── ModelLoadError         onnxruntime / tokenizer refused the files
├── VerifierError          a verifier failed while scoring
├── JudgeError             the optional Claude judge failed
│   ├── JudgeUnavailableError  no API key, breaker open, budget spent, deadline passed
│   └── JudgeResponseError     the reply was malformed (no tool call, invalid fields)
└── OutputBlocked          the policy blocked an output (carries the verdict and the original output)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import Verdict


class GuardrailError(Exception):
    """Root of every exception raised by rationale-guard."""


class InputError(GuardrailError, ValueError):
    """The input to a check was not usable text."""


class ExtractionError(GuardrailError):
    """No rationale or answer could be found in a model output."""


class ModelError(GuardrailError):
    """A verifier model could not be used."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """The model directory, a model file or its manifest is missing."""


class ModelIntegrityError(ModelError):
    """A model file does not match the sha256 in its manifest, or the manifest is invalid."""


class ModelLoadError(ModelError):
    """The runtime refused to load the model or tokenizer files."""


class VerifierError(GuardrailError):
    """A verifier failed while scoring a batch."""


class JudgeError(VerifierError):
    """The Claude audit judge failed."""


class JudgeUnavailableError(JudgeError):
    """The judge cannot be asked: no API key, circuit open, budget spent or deadline passed."""


class JudgeResponseError(JudgeError):
    """The judge replied, but not with a valid structured verdict."""


class OutputBlocked(GuardrailError):
    """The policy blocked an output. The original output is kept on the exception, never lost."""

    def __init__(self, verdict: Verdict, original: Any) -> None:
        self.verdict = verdict
        self.original = original
        super().__init__(f"output blocked: {', '.join(verdict.reasons) or verdict.action.value}")
