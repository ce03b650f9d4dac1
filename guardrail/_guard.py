"""The Guard: extract -> score -> decide, for one output, a batch, a wrapped call, sync or async.

``check*`` never raise for bad input or a failing verifier: every item gets a :class:`Verdict` whose
``reasons`` say why (the policy decides the action). ``apply*`` and wrapped functions return a
:class:`Guarded`; a block raises :class:`OutputBlocked` (original kept on it) unless the policy has a fallback.
A wrapped function that returns a stream gets a guarded stream back (see :meth:`Guard.wrap`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict

from ._errors import GuardrailError, InputError, VerifierError
from ._extract import MAX_INPUT_CHARS, as_text, choices_of, extract, field_of, from_fields
from ._policy import Policy, deliver, output_text, strictest, with_output_reasons
from ._types import Action, Assessment, CheckInput, Extraction, Guarded, Opinion, Verdict
from ._verifier import Scorer, Verifier, sole_assessment

_log = structlog.get_logger("guardrail")

Escalate = Literal["never", "cascade", "always"]
QuestionFrom = Callable[..., str]


class CheckRequest(BaseModel):
    """One item for :meth:`Guard.check_many`: ``output`` (extracted), or ``rationale`` + ``answer``.

    Fields are validated when checked, not here, so a malformed item becomes a verdict, not an exception:
    both an ``output`` and a ``rationale``/``answer`` (ambiguous: which one is checked?), or a ``rationale``
    without an ``answer`` (or the reverse), give an ``input_error`` verdict saying so.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    id: str | None = None
    question: Any = None
    output: Any = None
    rationale: Any = None
    answer: Any = None


@dataclass(slots=True)
class _Prepared:
    id: str
    question: str = ""
    extraction: Extraction | None = None
    error: str | None = None  # "input_error: ..." when the item cannot be checked


class VerifierScorer:
    """The default :class:`Scorer`: one verifier, its opinion is the assessment."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def __call__(self, items: Sequence[CheckInput]) -> list[Assessment]:
        return self._assess(items, self.verifier(items))

    async def acall(self, items: Sequence[CheckInput]) -> list[Assessment]:
        acall = getattr(self.verifier, "acall", None)
        opinions = await acall(items) if acall is not None else await asyncio.to_thread(self.verifier, items)
        return self._assess(items, opinions)

    def _assess(self, items: Sequence[CheckInput], opinions: Sequence[Opinion]) -> list[Assessment]:
        if len(opinions) != len(items):
            raise VerifierError(
                f"{getattr(self.verifier, 'name', 'verifier')} returned {len(opinions)} opinions "
                f"for {len(items)} inputs"
            )
        return [_assessment(opinion) for opinion in opinions]


def _assessment(opinion: Opinion) -> Assessment:
    reason = f"verifier_error: {opinion.verifier}: {opinion.error or 'no score'}"
    return sole_assessment(opinion, failure_reasons=(reason, *opinion.reasons))


class Guard:
    """Checks that a model's stated reasoning supports its answer, and applies a :class:`Policy`.

    ``verifier=None`` loads the shipped :class:`~guardrail.OnnxVerifier` on first use (never at construction);
    every such Guard on the same model directory shares one loaded verifier (``_onnx.shared_verifier``), but
    keep one long-lived Guard all the same.
    With a ``judge`` (e.g. :class:`~guardrail.ClaudeJudge`), scoring goes through the judge cascade:
    ``escalate="cascade"`` (the default when a judge is given) asks the judge when the verifier's score falls
    inside ``band``, ``"always"`` always, ``"never"`` never. ``scorer=`` replaces all of that. A model that
    fails to load is remembered: every later check gets the same ``verifier_error`` verdict (``warmup()``
    raises it instead). ``Verdict.latency_ms`` is the wall time of the call that produced it (for
    ``check_many``: of the whole batch).
    """

    def __init__(
        self,
        verifier: Verifier | None = None,
        *,
        policy: Policy | None = None,
        extractor: Callable[[Any], Extraction] | None = None,
        question_from: QuestionFrom | None = None,
        judge: Any = None,
        escalate: Escalate | None = None,
        band: tuple[float, float] = (0.2, 0.8),
        scorer: Scorer | None = None,
        log_text: bool = False,
        max_input_chars: int = MAX_INPUT_CHARS,
    ) -> None:
        if escalate is None:
            escalate = "cascade" if judge is not None else "never"
        if escalate not in ("never", "cascade", "always"):
            raise ValueError(f"escalate must be 'never', 'cascade' or 'always', got {escalate!r}")
        if not 0.0 <= band[0] <= band[1] <= 1.0:
            raise ValueError(f"band must be (lo, hi) with 0 <= lo <= hi <= 1, got {band!r}")
        self.policy = policy or Policy()
        self.extractor = extractor
        self.question_from = question_from
        self.judge = judge
        self.escalate = escalate
        self.band = (float(band[0]), float(band[1]))
        self.log_text = log_text
        self.max_input_chars = max_input_chars
        self._verifier = verifier
        self._scorer = scorer
        self._load_error: GuardrailError | None = None
        self._lock = threading.Lock()

    # --- scorer ----------------------------------------------------------------------------------------

    @property
    def verifier(self) -> Verifier | None:
        """The primary verifier, loading the default model if needed (``None`` when built with ``scorer=``)."""
        self._get_scorer()
        return self._verifier

    def warmup(self) -> Guard:
        """Load the model now; raises :class:`~guardrail.ModelError` if it cannot be loaded."""
        self._get_scorer()
        return self

    def _get_scorer(self) -> Scorer:
        if self._scorer is not None:
            return self._scorer
        with self._lock:
            if self._scorer is None:
                if self._load_error is not None:
                    raise self._load_error
                try:
                    self._scorer = self._build_scorer()
                except GuardrailError as exc:
                    self._load_error = exc
                    raise
        return self._scorer

    def _build_scorer(self) -> Scorer:
        if self._verifier is None:
            from ._onnx import shared_verifier

            self._verifier = shared_verifier()  # one loaded model per directory, shared by every Guard
        if self.judge is None:
            return VerifierScorer(self._verifier)
        from ._cascade import Cascade

        return Cascade(primary=self._verifier, judge=self.judge, mode=self.escalate, band=self.band)

    # --- checks ----------------------------------------------------------------------------------------

    def check(
        self, question: Any, output: Any = None, *, rationale: Any = None, answer: Any = None, id: str | None = None
    ) -> Verdict:
        """Verdict for one output (or an already split ``rationale`` + ``answer``)."""
        return self._run_sync([self._prepare_one(question, output, rationale, answer, id)])[0]

    def check_many(self, items: Iterable[Any]) -> list[Verdict]:
        """Verdicts for many items, in order, one per item, scored in one verifier call.

        Items: dicts ``{id?, question, output}`` or ``{id?, question, rationale, answer}``, :class:`CheckRequest`
        or :class:`CheckInput`. A missing id becomes the item's index. Anything malformed gets its own verdict.
        """
        return self._run_sync([self._prepare_item(item, i) for i, item in enumerate(items)])

    async def acheck(
        self, question: Any, output: Any = None, *, rationale: Any = None, answer: Any = None, id: str | None = None
    ) -> Verdict:
        return (await self._run_async([self._prepare_one(question, output, rationale, answer, id)]))[0]

    async def acheck_many(self, items: Iterable[Any]) -> list[Verdict]:
        return await self._run_async([self._prepare_item(item, i) for i, item in enumerate(items)])

    def apply(self, question: Any, output: Any, *, id: str | None = None) -> Guarded:
        """Check ``output`` and return what to deliver; raises :class:`OutputBlocked` on a block without fallback.

        An OpenAI-style completion with several choices (``n>1``) has every choice checked: ``verdicts`` holds
        one verdict per choice, ``verdict`` the strictest, and the action is that verdict's. A stream cannot be
        checked here (it has not been read yet): :class:`~guardrail.InputError`; wrap the call instead.
        """
        prepared = self._prepare_output(question, output, id)
        return self._guarded(self._run_sync(prepared), prepared, output)

    async def aapply(self, question: Any, output: Any, *, id: str | None = None) -> Guarded:
        prepared = self._prepare_output(question, output, id)
        return self._guarded(await self._run_async(prepared), prepared, output)

    # --- wrapping --------------------------------------------------------------------------------------

    def wrap(self, fn: Callable[..., Any] | None = None, *, question_from: QuestionFrom | None = None) -> Any:
        """Decorator: the wrapped function returns a :class:`Guarded` instead of the raw output.

        The question comes from ``question_from(*args, **kwargs)`` (default: a ``question``/``prompt`` keyword,
        the last user message of ``messages``, else the first positional string). Sync or async is decided
        here, once. The wrapped function's client objects are never touched.

        A call that returns a stream (``stream=True``: the SDK's ``Stream`` / ``AsyncStream``, or any iterator
        of Anthropic events or OpenAI chunks) returns a :class:`~guardrail.GuardedStream` /
        :class:`~guardrail.AsyncGuardedStream` instead, exactly as ``guard_anthropic`` / ``guard_openai`` do
        for ``stream=True``: the answer is held until the stream ends and is checked, then released, labelled,
        annotated or replaced; the raw stream never reaches the caller. A stream *manager* (the Anthropic
        ``client.messages.stream(...)`` helper, opened by ``with``) is refused with
        :class:`~guardrail.InputError`: open it yourself and guard it with ``guard_stream``.
        """
        if fn is None:
            return functools.partial(self.wrap, question_from=question_from)
        get_question = question_from or self.question_from or question_from_call
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            inspect.unwrap(fn)
        ):  # SDKs hide async behind wraps

            @functools.wraps(fn)
            async def async_guarded(*args: Any, **kwargs: Any) -> Any:
                output = await fn(*args, **kwargs)
                question = _question(get_question, args, kwargs)
                stream = _guarded_stream(self, question, output)
                return stream if stream is not None else await self.aapply(question, output)

            return async_guarded

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            output = fn(*args, **kwargs)
            question = _question(get_question, args, kwargs)
            stream = _guarded_stream(self, question, output)
            return stream if stream is not None else self.apply(question, output)

        return guarded

    # --- internals -------------------------------------------------------------------------------------

    def _prepare_one(self, question: Any, output: Any, rationale: Any, answer: Any, id: str | None) -> _Prepared:
        item_id = str(id) if id is not None else uuid.uuid4().hex[:16]
        request = CheckRequest(id=item_id, question=question, output=output, rationale=rationale, answer=answer)
        return self._prepare(request, item_id)

    def _prepare_output(self, question: Any, output: Any, id: str | None) -> list[_Prepared]:
        """The items ``apply`` checks: the output, or each of its choices (``n>1``: ids ``<id>-<index>``)."""
        _refuse_stream(output)
        choices = choices_of(output)
        if len(choices) < 2:
            return [self._prepare_one(question, output, None, None, id)]
        base = str(id) if id is not None else uuid.uuid4().hex[:16]
        return [self._prepare_one(question, choice, None, None, f"{base}-{i}") for i, choice in enumerate(choices)]

    def _prepare_item(self, item: Any, index: int) -> _Prepared:
        if isinstance(item, CheckRequest):
            return self._prepare(item, item.id if item.id is not None else str(index))
        if isinstance(item, CheckInput):
            request = CheckRequest(id=item.id, question=item.question, rationale=item.rationale, answer=item.answer)
            return self._prepare(request, item.id)
        if isinstance(item, Mapping):
            raw_id = item.get("id")
            item_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else str(index)
            fields = {k: item.get(k) for k in ("question", "output", "rationale", "answer")}
            return self._prepare(CheckRequest(id=item_id, **fields), item_id)
        return _Prepared(
            id=str(index),
            error=f"input_error: not_a_request: item {index} is a {type(item).__name__}, not a dict or CheckRequest",
        )

    def _prepare(self, request: CheckRequest, item_id: str) -> _Prepared:
        try:
            if request.question is None:
                raise InputError("missing_field: question")
            question = as_text(request.question, "question", max_chars=self.max_input_chars)
            return _Prepared(id=item_id, question=question, extraction=self._extraction(request))
        except InputError as exc:
            return _Prepared(id=item_id, error=f"input_error: {exc}")
        except Exception as exc:  # a user-supplied extractor failed; the host app must not crash
            return _Prepared(id=item_id, error=f"input_error: extractor_failed: {type(exc).__name__}: {exc}")

    def _extraction(self, request: CheckRequest) -> Extraction:
        if request.output is not None and (request.rationale is not None or request.answer is not None):
            raise InputError(
                "ambiguous_input: both an output and a rationale/answer were given; give the output (it is "
                "split into rationale and answer), or the rationale and the answer, not both"
            )
        if request.output is None:
            if request.rationale is None and request.answer is None:
                raise InputError("missing_field: need output, or rationale and answer")
            if request.rationale is None:
                raise InputError("missing_field: rationale (an answer was given without it)")
            if request.answer is None:
                raise InputError("missing_field: answer (a rationale was given without it)")
            return from_fields(request.rationale, request.answer, max_chars=self.max_input_chars)
        if self.extractor is not None and not isinstance(request.output, Extraction):
            found = self.extractor(request.output)
            if not isinstance(found, Extraction):
                raise InputError(
                    f"extractor_failed: the extractor returned a {type(found).__name__}, not an Extraction"
                )
            return found
        return extract(request.output, max_chars=self.max_input_chars)

    def _run_sync(self, prepared: list[_Prepared]) -> list[Verdict]:
        started = time.perf_counter()
        inputs = _inputs(prepared)
        assessments: list[Assessment] | None = None
        error = None
        if inputs:
            try:
                assessments = _counted(self._get_scorer()(inputs), len(inputs))
            except Exception as exc:  # fail open/closed per policy, never into the host app
                error = _verifier_error(exc, len(inputs))
        return self._verdicts(prepared, assessments, error, started)

    async def _run_async(self, prepared: list[_Prepared]) -> list[Verdict]:
        started = time.perf_counter()
        inputs = _inputs(prepared)
        assessments: list[Assessment] | None = None
        error = None
        if inputs:
            try:
                scorer = self._scorer or await asyncio.to_thread(self._get_scorer)  # loading may take a second
                acall = getattr(scorer, "acall", None)
                result = await acall(inputs) if acall is not None else await asyncio.to_thread(scorer, inputs)
                assessments = _counted(result, len(inputs))
            except Exception as exc:
                error = _verifier_error(exc, len(inputs))
        return self._verdicts(prepared, assessments, error, started)

    def _verdicts(
        self, prepared: list[_Prepared], assessments: list[Assessment] | None, error: str | None, started: float
    ) -> list[Verdict]:
        latency_ms = (time.perf_counter() - started) * 1000.0
        pending = iter(assessments or ())
        verdicts = []
        for item in prepared:
            scored = _scorable(item)
            assessment = next(pending) if scored and assessments is not None else None
            verdict = self._verdict(item, assessment, error if scored else None, latency_ms)
            self._log_verdict(verdict, item)
            verdicts.append(verdict)
        return verdicts

    def _verdict(self, item: _Prepared, assessment: Assessment | None, error: str | None, latency_ms: float) -> Verdict:
        """The policy's verdict, carrying what the extraction found about the output itself (``partly_redacted``,
        ``output_truncated``, ``stream_interrupted``: an incomplete output is never passed)."""
        verdict = self._decide(item, assessment, error, latency_ms)
        if item.error is None and item.extraction is not None and item.extraction.reasons:
            return with_output_reasons(self.policy, verdict, item.extraction.reasons)
        return verdict

    def _decide(self, item: _Prepared, assessment: Assessment | None, error: str | None, latency_ms: float) -> Verdict:
        policy = self.policy
        if item.error is not None:
            return _unscored(item, policy.error_action(), (item.error,), latency_ms)
        if not _has_answer(item):
            return _unscored(
                item, policy.no_answer, ("no_answer_found: no recognisable answer in the output",), latency_ms
            )
        if not _has_rationale(item):
            return _unscored(item, policy.no_rationale_action(), (_no_rationale_reason(item.extraction),), latency_ms)
        if assessment is None:
            return _unscored(item, policy.error_action(), (error or "verifier_error: not scored",), latency_ms)
        if assessment.consistency is None:
            reasons = assessment.reasons or ("verifier_error: no verifier could score this input",)
            return _unscored(item, policy.error_action(), reasons, latency_ms, assessment.opinions)
        action, reason = policy.action_for(assessment.consistency)
        deciding = next((o for o in assessment.opinions if o.verifier in assessment.decided_by), None)
        return Verdict(
            id=item.id,
            consistency=assessment.consistency,
            action=action,
            reasons=(reason, *assessment.reasons),
            flagged_steps=assessment.flagged_steps,
            opinions=assessment.opinions,
            decided_by=assessment.decided_by,
            model_id=deciding.model_id if deciding else None,
            model_version=deciding.model_version if deciding else None,
            latency_ms=latency_ms,
        )

    def _log_verdict(self, verdict: Verdict, item: _Prepared) -> None:
        fields: dict[str, Any] = {
            "id": verdict.id,
            "consistency": verdict.consistency,
            "action": verdict.action.value,
            "latency_ms": round(verdict.latency_ms, 3),
            "decided_by": list(verdict.decided_by),
            "answer_found": verdict.answer_found,
            "reasons": [reason.split(":", 1)[0] for reason in verdict.reasons],  # codes only: no user text
        }
        if self.log_text and item.extraction is not None:
            fields.update(question=item.question, rationale=item.extraction.rationale, answer=item.extraction.answer)
        _log.info("guardrail.verdict", **fields)

    def _guarded(self, verdicts: list[Verdict], items: list[_Prepared], original: Any) -> Guarded:
        """What to deliver for one output, or for an output with several choices (each checked): the strictest
        verdict decides, ``verdicts`` keeps them all."""
        if len(verdicts) == 1:
            return deliver(self.policy, verdicts[0], items[0].extraction, original, output_text(original))
        worst = strictest(verdicts)
        guarded = deliver(self.policy, worst, items[verdicts.index(worst)].extraction, original, None)
        return guarded.model_copy(update={"verdicts": tuple(verdicts)})


def _unscored(
    item: _Prepared, action: Action, reasons: tuple[str, ...], latency_ms: float, opinions: tuple[Opinion, ...] = ()
) -> Verdict:
    """A verdict without a score: bad input, no answer, or no verifier could decide."""
    answer_found = item.error is None and _has_answer(item)
    return Verdict(
        id=item.id,
        consistency=None,
        action=action,
        reasons=reasons,
        opinions=opinions,
        answer_found=answer_found,
        latency_ms=latency_ms,
    )


def _counted(assessments: Sequence[Assessment], expected: int) -> list[Assessment]:
    """The scorer contract: one assessment per input. Anything else fails the batch (per policy)."""
    result = list(assessments)
    if len(result) != expected:
        raise VerifierError(f"scorer returned {len(result)} assessments for {expected} inputs")
    return result


def _has_answer(item: _Prepared) -> bool:
    return item.extraction is not None and item.extraction.answer is not None


def _has_rationale(item: _Prepared) -> bool:
    return item.extraction is not None and bool(item.extraction.rationale.strip())


def _scorable(item: _Prepared) -> bool:
    """Only outputs with an answer and some stated reasoning are sent to the verifiers: an empty rationale
    would only give the verifier noise, and the policy has its own action for it (``no_rationale``)."""
    return item.error is None and _has_answer(item) and _has_rationale(item)


def _no_rationale_reason(extraction: Extraction) -> str:
    if extraction.format.endswith("_redacted"):
        return "rationale_redacted: the model's reasoning was redacted by the provider; nothing to verify"
    return "no_rationale: the output states an answer without reasoning to verify"


def _inputs(prepared: list[_Prepared]) -> list[CheckInput]:
    return [
        CheckInput(
            id=p.id,
            question=p.question,
            rationale=p.extraction.rationale,
            answer=p.extraction.answer,
            steps=p.extraction.steps,
        )
        for p in prepared
        if _scorable(p)
    ]


def _verifier_error(exc: BaseException, n: int) -> str:
    _log.warning("guardrail.verifier_error", error_type=type(exc).__name__, error=str(exc), n=n)
    return f"verifier_error: {type(exc).__name__}: {exc}"


def _guarded_stream(guard: Guard, question: str, output: Any) -> Any:
    """A guarded stream when a wrapped call returned a stream, else ``None`` (check it as an output)."""
    from .adapters._events import guard_returned_stream, is_stream  # the adapters import this module

    return guard_returned_stream(output, guard, question) if is_stream(output) else None


def _refuse_stream(output: Any) -> None:
    """A stream, or a manager that opens one, cannot be checked as a finished output: refuse it (typed), never
    deliver it unread."""
    from .adapters._events import is_stream, is_stream_manager

    if is_stream(output):
        raise InputError(
            f"stream_output: a {type(output).__name__} is a stream; apply() checks finished outputs. Wrap the "
            "call with @guard.wrap (it returns a guarded stream) or use guardrail.adapters.guard_stream"
        )
    if is_stream_manager(output):
        raise InputError(
            f"stream_output: a {type(output).__name__} opens a stream when entered; open it "
            "(`with ... as stream:`) and guard the stream with guardrail.adapters.guard_stream"
        )


def _question(get_question: QuestionFrom, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        question = get_question(*args, **kwargs)
    except Exception as exc:  # a failing question_from must not lose the output
        _log.warning("guardrail.question_error", error_type=type(exc).__name__, error=str(exc))
        return ""
    return question if isinstance(question, str) else ""


def question_from_call(*args: Any, **kwargs: Any) -> str:
    """Default question finder: ``question``/``prompt``/``query``/``input`` keyword, the last user message of
    ``messages`` (keyword or first positional list), else the first positional string; ``""`` if none."""
    for key in ("question", "prompt", "query", "input"):
        if isinstance(kwargs.get(key), str):
            return kwargs[key]
    messages = kwargs.get("messages")
    if messages is None:
        messages = next((a for a in args if isinstance(a, (list, tuple))), None)
    if isinstance(messages, (list, tuple)):
        for message in reversed(messages):
            if field_of(message, "role") == "user":
                return _content_text(field_of(message, "content"))
    return next((a for a in args if isinstance(a, str)), "")


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "\n".join(
            t
            for t in (field_of(b, "text") for b in content if field_of(b, "type") in ("text", "input_text"))
            if isinstance(t, str)
        )
    return ""
