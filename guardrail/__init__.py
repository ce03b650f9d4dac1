"""rationale-guard: check that an LLM's stated reasoning supports the answer it gives.

Public API is re-exported here from private modules; import from ``guardrail`` only.
"""

from ._errors import (
    ExtractionError,
    GuardrailError,
    InputError,
    JudgeError,
    JudgeResponseError,
    JudgeUnavailableError,
    ModelError,
    ModelIntegrityError,
    ModelLoadError,
    ModelNotFoundError,
    OutputBlocked,
    VerifierError,
)
from ._manifest import ModelManifest
from ._types import Action, AnswerType, Assessment, CheckInput, Extraction, Guarded, Opinion, Step, Verdict
from ._verifier import AsyncScorer, AsyncVerifier, Scorer, Verifier

# --- runtime (issue 2) exports below ---

# --- judge (issue 4) exports below ---

# --- adapters (issue 5) exports below ---

__all__ = [name for name in dir() if not name.startswith("_")]
