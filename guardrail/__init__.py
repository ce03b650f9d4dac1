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
from ._extract import Extractor, extract
from ._guard import CheckRequest, Guard, VerifierScorer, question_from_call
from ._model_store import default_model_dir
from ._onnx import OnnxVerifier
from ._policy import Policy
from ._steps import split_steps

# --- judge (issue 4) exports below ---
from ._cascade import Cascade, judge_decides, weighted
from ._judge import ClaudeJudge, JudgeReport
from ._resilience import CallBudget, CircuitBreaker, ContentCache, RetryPolicy

# --- adapters (issue 5) exports below ---
from .adapters import AsyncGuardedStream, GuardedStream, StreamEvent, guard_anthropic, guard_openai

__all__ = [name for name in dir() if not name.startswith("_")]
