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
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict

from ._cascade import Mode, scorer_for
from ._errors import GuardrailError, InputError, VerifierError
from ._extract import MAX_INPUT_CHARS, as_text, choices_of, extract, from_fields
from ._policy import Policy, build_verdict, deliver, needs_score, output_text, strictest, with_output_reasons
from ._question import QuestionFrom, ask, question_from_call
from ._types import Assessment, CheckInput, Extraction, Guarded, Verdict, given_id
from ._verifier import Scorer, Verifier
from .adapters._events import guard_returned_stream, is_stream, is_stream_manager

_log = structlog.get_logger("guardrail")


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


class Guard:
    """Checks that a model's stated reasoning supports its answer, and applies a :class:`Policy`.

    What scores is composed, not configured: ``Guard(verifier)`` asks one verifier;
    ``Guard(scorer=Cascade(primary, judge, band=(0.2, 0.8)))`` asks a judge (e.g. :class:`~guardrail.ClaudeJudge`)
    about the uncertain cases; any :class:`~guardrail.Scorer` goes in ``scorer=``. ``verifier=None`` (and no
    scorer) loads the shipped :class:`~guardrail.OnnxVerifier` on first use (never at construction); every such
    Guard on the same model directory shares one loaded verifier (``_onnx.shared_verifier``), but keep one
    long-lived Guard all the same.

    ``judge`` / ``escalate`` / ``band`` are a shorthand kept for existing code: they build that same
    :class:`~guardrail.Cascade` around ``verifier`` (or the shipped model, once loaded), checked now by the
    cascade's own rules (``escalate`` is its ``mode``; without a judge, the verifier alone scores). ``scorer=``
    takes precedence over them. A model that fails to load is remembered: every later check gets the
    same ``verifier_error`` verdict (``warmup()`` raises it instead). ``Verdict.latency_ms`` is the wall time of
    the call that produced it (for ``check_many``: of the whole batch).
    """

    def __init__(
        self,
        verifier: Verifier | None = None,
        *,
        scorer: Scorer | None = None,
        policy: Policy | None = None,
        extractor: Callable[[Any], Extraction] | None = None,
        question_from: QuestionFrom | None = None,
        log_text: bool = False,
        max_input_chars: int = MAX_INPUT_CHARS,
        judge: Verifier | None = None,
        escalate: Mode | None = None,
        band: tuple[float, float] | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.extractor = extractor
        self.question_from = question_from
        self.log_text = log_text
        self.max_input_chars = max_input_chars
        self._verifier = verifier
        self._scorer = scorer
        self._scorer_over = scorer_for(judge, mode=escalate, band=band)  # validated now, built on first use
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
                    self._scorer = self._scorer_over(self._primary())
                except GuardrailError as exc:
                    self._load_error = exc
                    raise
        return self._scorer

    def _primary(self) -> Verifier:
        if self._verifier is None:
            from ._onnx import shared_verifier

            self._verifier = shared_verifier()  # one loaded model per directory, shared by every Guard
        return self._verifier

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

    def deliver(
        self,
        verdict: Verdict,
        output: Any,
        *,
        text: str | None = None,
        extraction: Extraction | None = None,
        reasons: Sequence[str] = (),
    ) -> Guarded:
        """What to deliver for ``output`` given its ``verdict``, by this Guard's policy: ``apply`` is ``check`` then
        this; adapters that split and rebuild provider objects themselves call it directly.

        ``text`` is the output's visible text (default: the output itself when it is text): label and annotate
        render it, keeping the model's wording, else render ``extraction`` (``Guarded.display``) and deliver the
        original object. Block raises :class:`OutputBlocked` (the original kept on it) unless the policy has a
        fallback. ``reasons`` are what the caller found about the output that the verdict does not carry yet
        (``output_truncated``, ``stream_interrupted``): they are added, and an incomplete output never passes.
        """
        if reasons:
            verdict = with_output_reasons(self.policy, verdict, reasons)
        return deliver(self.policy, verdict, extraction, output, text if text is not None else output_text(output))

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
                question = ask(get_question, *args, **kwargs)
                stream = _guarded_stream(self, question, output)
                return stream if stream is not None else await self.aapply(question, output)

            return async_guarded

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            output = fn(*args, **kwargs)
            question = ask(get_question, *args, **kwargs)
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
            given = given_id(item.get("id"))
            item_id = str(given) if given is not None else str(index)
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
        batch = _Batch(prepared)
        if batch.inputs:
            try:
                batch.scored(self._get_scorer()(batch.inputs))
            except Exception as exc:  # fail open/closed per policy, never into the host app
                batch.failed(exc)
        return self._verdicts(batch)

    async def _run_async(self, prepared: list[_Prepared]) -> list[Verdict]:
        batch = _Batch(prepared)
        if batch.inputs:
            try:
                scorer = self._scorer or await asyncio.to_thread(self._get_scorer)  # loading may take a second
                acall = getattr(scorer, "acall", None)
                run = acall(batch.inputs) if acall is not None else asyncio.to_thread(scorer, batch.inputs)
                batch.scored(await run)
            except Exception as exc:
                batch.failed(exc)
        return self._verdicts(batch)

    def _verdicts(self, batch: _Batch) -> list[Verdict]:
        """One verdict per prepared item, built by the policy; only the items that needed a score used one."""
        latency_ms = (time.perf_counter() - batch.started) * 1000.0
        pending = iter(batch.assessments or ())
        verdicts = []
        for item in batch.prepared:
            scored = needs_score(item.extraction) and batch.assessments is not None
            assessment = next(pending) if scored else None
            error = item.error or batch.error  # why it could not be checked, or why it was not scored
            verdict = build_verdict(
                self.policy, item.id, item.extraction, assessment, error=error, latency_ms=latency_ms
            )
            self._log_verdict(verdict, item)
            verdicts.append(verdict)
        return verdicts

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
            return self.deliver(verdicts[0], original, extraction=items[0].extraction)
        worst = strictest(verdicts)
        guarded = self.deliver(worst, original, extraction=items[verdicts.index(worst)].extraction)
        return guarded.model_copy(update={"verdicts": tuple(verdicts)})


class _Batch:
    """One scoring call, shared by the sync and async paths: the items that need a score, and the assessments
    that came back or why none did."""

    def __init__(self, prepared: list[_Prepared]) -> None:
        self.started = time.perf_counter()
        self.prepared = prepared
        self.inputs = [_input(p) for p in prepared if needs_score(p.extraction)]
        self.assessments: list[Assessment] | None = None
        self.error: str | None = None

    def scored(self, assessments: Sequence[Assessment]) -> None:
        """The scorer contract: one assessment per input. Anything else fails the batch (per policy)."""
        result = list(assessments)
        if len(result) != len(self.inputs):
            raise VerifierError(f"scorer returned {len(result)} assessments for {len(self.inputs)} inputs")
        self.assessments = result

    def failed(self, exc: BaseException) -> None:
        self.error = _verifier_error(exc, len(self.inputs))


def _input(p: _Prepared) -> CheckInput:
    assert p.extraction is not None and p.extraction.answer is not None  # needs_score
    extraction = p.extraction
    return CheckInput(
        id=p.id, question=p.question, rationale=extraction.rationale, answer=extraction.answer, steps=extraction.steps
    )


def _verifier_error(exc: BaseException, n: int) -> str:
    _log.warning("guardrail.verifier_error", error_type=type(exc).__name__, error=str(exc), n=n)
    return f"verifier_error: {type(exc).__name__}: {exc}"


def _guarded_stream(guard: Guard, question: str, output: Any) -> Any:
    """A guarded stream when a wrapped call returned a stream, else ``None`` (check it as an output)."""
    return guard_returned_stream(output, guard, question) if is_stream(output) else None


def _refuse_stream(output: Any) -> None:
    """A stream, or a manager that opens one, cannot be checked as a finished output: refuse it (typed), never
    deliver it unread."""
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
