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
from ._verifier import AsyncScorer, AsyncVerifier, Scorer, Verifier, VerifierScorer

# runtime
from ._extract import Extractor, extract
from ._guard import CheckRequest, Guard
from ._question import question_from_call
from ._model_store import default_model_dir
from ._onnx import OnnxVerifier
from ._policy import Policy
from .reader import split_steps

# optional Claude audit judge (anthropic is imported lazily, on first use)
from ._cascade import Cascade, judge_decides, weighted
from ._judge import ClaudeJudge, JudgeReport
from ._resilience import CallBudget, CircuitBreaker, ContentCache, RetryPolicy

# provider adapters and streaming (SDKs are imported lazily)
from .adapters import AsyncGuardedStream, GuardedStream, StreamEvent, guard_anthropic, guard_openai

__all__ = [
    "Action",
    "AnswerType",
    "Assessment",
    "AsyncGuardedStream",
    "AsyncScorer",
    "AsyncVerifier",
    "CallBudget",
    "Cascade",
    "CheckInput",
    "CheckRequest",
    "CircuitBreaker",
    "ClaudeJudge",
    "ContentCache",
    "Extraction",
    "ExtractionError",
    "Extractor",
    "Guard",
    "Guarded",
    "GuardedStream",
    "GuardrailError",
    "InputError",
    "JudgeError",
    "JudgeReport",
    "JudgeResponseError",
    "JudgeUnavailableError",
    "ModelError",
    "ModelIntegrityError",
    "ModelLoadError",
    "ModelManifest",
    "ModelNotFoundError",
    "OnnxVerifier",
    "Opinion",
    "OutputBlocked",
    "Policy",
    "RetryPolicy",
    "Scorer",
    "Step",
    "StreamEvent",
    "Verdict",
    "Verifier",
    "VerifierError",
    "VerifierScorer",
    "default_model_dir",
    "extract",
    "guard_anthropic",
    "guard_openai",
    "judge_decides",
    "question_from_call",
    "split_steps",
    "weighted",
]


def __getattr__(name: str) -> str:
    """``guardrail.__version__``: the installed distribution's version, read on first access (no I/O at import)."""
    if name == "__version__":
        from ._version import package_version

        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
