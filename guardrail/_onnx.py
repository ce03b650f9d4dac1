"""The default verifier: a small cross-encoder run with onnxruntime, tokenised with ``tokenizers``.

Loading checks every file's sha256 against the manifest *before* onnxruntime sees the model, so a
tampered or truncated model is refused (:class:`ModelIntegrityError`), never scored with. Each file is read
once: the bytes that were hashed are the bytes handed to onnxruntime and tokenizers (nothing is reopened by
path after the check). The manifest's ``positive_index`` is checked against the graph's output at load time.

Thread safety: one instance may be shared by any number of threads. ``InferenceSession.run`` is safe to
call concurrently; encoding reads the tokenizer without mutating it (``_encoding`` keeps its own clean copy).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import structlog

from . import _encoding
from ._cascade import DEFAULT_BAND  # the judge band a held score lands inside
from ._errors import ModelIntegrityError, ModelLoadError, VerifierError
from ._familiar import UNFAMILIAR_REASON, is_unfamiliar
from ._manifest import SEMANTIC_WEIGHTS, ModelManifest, SemanticSpec, load_verified_model
from ._model_store import resolve_model_dir
from ._semantic import SemanticTier
from ._types import CheckInput, Opinion
from .reader import AnswerAnalysis, analyse, split_steps

_log = structlog.get_logger("guardrail")
_MAX_FLAGGED = 3
_ANALYSED_CHARS = 8_000  # ~ the tail a 256-token budget can see, with margin


class OnnxVerifier:
    """Scores (question, rationale, answer) triples with the ONNX verifier in ``model_dir``.

    ``model_dir=None`` uses the shipped default model (see :mod:`guardrail._model_store`). ``threads`` is
    onnxruntime's intra-op thread count; ``batch_size`` caps how many inputs go through one ``run``;
    ``max_length`` may shorten (never lengthen) the manifest's sequence budget, trading accuracy for speed.
    Scores below ``flag_below`` (default: the manifest's threshold, at least 0.5, so every annotate/block under
    the default policy) get the steps at the decision point flagged. A model directory whose manifest declares
    a semantic tier (:mod:`guardrail._semantic`) loads it too; ``semantic=False`` scores with the first tier only.
    ``reader_gate`` (default on) holds in the judge band a score that contradicts the reader's own finding (below
    0.2 where the rationale concludes the given answer, above 0.8 where it concludes another): see
    :func:`contradicts_reader`.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        threads: int = 2,
        batch_size: int = 16,
        max_length: int | None = None,
        flag_below: float | None = None,
        semantic: bool = True,
        reader_gate: bool = True,
    ) -> None:
        if threads < 1 or batch_size < 1:
            raise ValueError("threads and batch_size must be at least 1")
        self.model_dir: Path = resolve_model_dir(model_dir)
        self.manifest: ModelManifest
        self.manifest, verified = load_verified_model(self.model_dir)
        self.batch_size = batch_size
        self.reader_gate = reader_gate
        self.flag_below = max(self.manifest.threshold, 0.5) if flag_below is None else flag_below
        self.max_length = min(max_length or self.manifest.max_length, self.manifest.max_length)
        self.name = f"onnx:{self.manifest.name}"
        self.model_id = self.manifest.name
        self.model_version = self.manifest.version
        self._check_format()
        self._tokenizer = _load_tokenizer(
            verified.pop(self.manifest.tokenizer_file), self.model_dir / self.manifest.tokenizer_file
        )
        self._session = _load_session(verified.pop(self.manifest.onnx_file), self.model_dir / self.manifest.onnx_file,
                                      threads)
        self._input_names = _check_inputs(self._session, self.model_dir)
        _check_outputs(self._session, self.manifest, self.model_dir, self._input_names)
        self._semantic = _load_semantic(self.manifest, self.model_dir, verified, threads) if semantic else None

    def _check_format(self) -> None:
        if self.manifest.input_format not in _encoding.INPUT_FORMATS:
            raise ModelLoadError(
                f"model in {self.model_dir} expects input format {self.manifest.input_format!r}, this "
                f"guardrail version encodes {_encoding.INPUT_FORMATS}; use a matching model or package version"
            )

    def __repr__(self) -> str:
        return f"OnnxVerifier({self.name} {self.model_version}, dir={str(self.model_dir)!r})"

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        opinions: list[Opinion] = []
        for start in range(0, len(items), self.batch_size):
            opinions.extend(self._score_batch(items[start : start + self.batch_size]))
        return opinions

    def probabilities(self, items: Sequence[CheckInput]) -> np.ndarray:
        """Calibrated P(rationale supports answer) per item, as an array (no Opinion objects), in batches of
        ``batch_size``: one batch of every item needs memory quadratic in the length times their number (15,000
        checks asked onnxruntime for 32 GB)."""
        size = self.batch_size
        chunks = [self._scores(items[start : start + size]).probs for start in range(0, len(items), size)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float64)

    def _scores(self, items: Sequence[CheckInput]) -> _Scores:
        """The probabilities, which items are unlike the training data (``_familiar``) and which scores went
        against the reader."""
        if not items:
            return _Scores(np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
        try:
            batch, analyses = _encoding.encode_batch_analysed(
                self._tokenizer, items, self.max_length, self.manifest.input_format
            )
            logits = self._session.run(None, {name: batch[name] for name in self._input_names})[0]
        except Exception as exc:  # onnxruntime raises its own exception types; callers get one typed error
            raise VerifierError(f"{self.name} failed on a batch of {len(items)}: {exc}") from exc
        probs = _softmax_positive(logits, self.manifest.temperature, self.manifest.positive_index)
        probs = shrink_unplaced(probs, analyses, self.manifest.unplaced_scale)
        if self._semantic is not None:
            try:
                probs = self._semantic.adjust(items, probs, analyses)
            except Exception as exc:  # as above: one typed error, whatever onnxruntime or the tokenizer raised
                raise VerifierError(f"{self.name} semantic tier failed on a batch of {len(items)}: {exc}") from exc
        # last, so that no tier moves an input unlike the training data, or a score against the reader, back out
        # of the band
        unfamiliar = np.fromiter((is_unfamiliar(item.rationale) for item in items), dtype=bool, count=len(items))
        against = contradicts_reader(probs, analyses) if self.reader_gate else np.zeros(len(items), dtype=bool)
        against &= ~unfamiliar  # an unfamiliar input is pulled into the band already, for that reason
        probs = _toward_half(probs, unfamiliar, self.manifest.unplaced_scale)
        return _Scores(_inside_band(probs, against), unfamiliar, against)

    def _score_batch(self, items: Sequence[CheckInput]) -> list[Opinion]:
        started = time.perf_counter()
        scores = self._scores(items)
        latency_ms = (time.perf_counter() - started) * 1000.0 / max(1, len(items))
        return [self._opinion(item, float(p), latency_ms, bool(u), bool(a))
                for item, p, u, a in zip(items, scores.probs, scores.unfamiliar, scores.against, strict=True)]

    def _opinion(
        self, item: CheckInput, consistency: float, latency_ms: float, unfamiliar: bool, against: bool
    ) -> Opinion:
        flagged: tuple[int, ...] = ()
        reasons: tuple[str, ...] = ()
        if consistency < self.flag_below:  # only low scores pay for the step analysis
            flagged, reasons = flag_steps(item)
        if against:
            reasons = (READER_CONFLICT_REASON, *reasons)
        if unfamiliar:
            reasons = (UNFAMILIAR_REASON, *reasons)
        return Opinion(
            verifier=self.name,
            consistency=min(1.0, max(0.0, consistency)),
            flagged_steps=flagged,
            reasons=reasons,
            model_id=self.model_id,
            model_version=self.model_version,
            latency_ms=latency_ms,
        )


_OFF_TOPIC_BELOW = 0.2  # under this share of the question's words a rationale reads as another question's


def flag_steps(item: CheckInput) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The steps at the decision point (the concluding step, then the nearest steps naming the answer) and why.

    Only the rationale's last ``_ANALYSED_CHARS`` characters are analysed (the conclusion is at the end, and
    the answer analysis is linear but not cheap: whole-megabyte rationales took seconds); indices are
    mapped back to the steps of the full rationale.
    """
    offset = max(0, len(item.rationale) - _ANALYSED_CHARS)
    tail = item.rationale[offset:]
    analysis = analyse(item.question, tail, item.answer)
    picked = [analysis.conclusion_step] if analysis.conclusion_step is not None else []
    picked += [i for i in reversed(analysis.answer_steps) if i not in picked]
    flagged = _map_steps(picked[:_MAX_FLAGGED], tail, offset, item)
    reasons = []
    if analysis.agrees is False:
        reasons.append(
            f"conclusion_mismatch: the rationale concludes {analysis.conclusion!r}, "
            f"the answer is {analysis.answer_norm!r}"
        )
    if analysis.answer_position == "absent":
        reasons.append("answer_not_in_rationale: no step states the answer")
    if analysis.derived is False:
        reasons.append("conclusion_not_derived: the concluded number is stated, not worked out in any step")
    if analysis.topic_overlap is not None and analysis.topic_overlap < _OFF_TOPIC_BELOW:
        reasons.append(
            f"off_topic: the rationale uses {analysis.topic_overlap:.0%} of the question's content words"
        )
    return flagged, tuple(reasons)


def _map_steps(indices: list[int], tail: str, offset: int, item: CheckInput) -> tuple[int, ...]:
    if offset == 0:
        return tuple(sorted(indices))
    tail_steps = split_steps(tail)
    full_steps = item.steps or split_steps(item.rationale)
    starts = [step.start for step in full_steps]
    mapped = {max(0, bisect_right(starts, tail_steps[i].start + offset) - 1) for i in indices if i < len(tail_steps)}
    return tuple(sorted(mapped))


class _Scores(NamedTuple):
    probs: np.ndarray
    unfamiliar: np.ndarray  # unlike the training data (``_familiar``)
    against: np.ndarray  # the model's score went against the reader (:func:`contradicts_reader`)


READER_CONFLICT_REASON = (
    "reader_conflict: the model's score went against what the reader found (the rationale concludes the answer, "
    "or another one), so it is held in the judge band"
)


def contradicts_reader(probs: np.ndarray, analyses: Sequence[AnswerAnalysis]) -> np.ndarray:
    """Which scores are confident against the reader: below 0.2 where the rationale concludes the given answer,
    above 0.8 where it concludes another. The two read different evidence (the model the whole text, the reader
    the stated conclusion), and where they disagree neither is sure: such a verdict is escalated or labelled,
    never a confident block of an answer the chain states, nor a confident pass of one it contradicts. On the
    validation suite (real outputs) every such conflict was a confident error of the model (12 items: theoremqa's
    confident error 0.6% -> 0, mrben's 0.7% -> 0.5%, escalating 0.6 and 0.2 points more); on our own test splits,
    made by our perturbation rules, the model was right in most of them (test v4: confident error 1.30% -> 0.92%,
    escalated 11.7% -> 18.6%; test v11: 1.49% -> 1.32%, 27.6% -> 30.4%)."""
    agrees = np.fromiter((a.agrees is True for a in analyses), dtype=bool, count=len(analyses))
    differs = np.fromiter((a.agrees is False for a in analyses), dtype=bool, count=len(analyses))
    return (agrees & (probs < DEFAULT_BAND[0])) | (differs & (probs > DEFAULT_BAND[1]))


_INSIDE = 0.01  # how far inside the band a held score lands at least
_DEPTH = 0.04  # and how far it spreads, in the model's order


def _inside_band(probs: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``probs`` with the ``where`` entries (scores outside the band) moved just inside it, in the model's order:
    below 0.2 to [0.21, 0.25), above 0.8 to (0.75, 0.79]. Not toward 0.5: on our test splits the model was right
    in most such conflicts (its low scores where the reader matched were label 1 only 6% of the time), so the
    score stays near the side it was on, and calibrated."""
    low = DEFAULT_BAND[0] + _INSIDE + _DEPTH * probs / DEFAULT_BAND[0]
    high = DEFAULT_BAND[1] - _INSIDE - _DEPTH * (1.0 - probs) / (1.0 - DEFAULT_BAND[1])
    return np.where(where & (probs < DEFAULT_BAND[0]), low, np.where(where & (probs > DEFAULT_BAND[1]), high, probs))


def shrink_unplaced(probs: np.ndarray, analyses: Sequence[AnswerAnalysis], scale: float) -> np.ndarray:
    """Pull the scores of items whose answer the reader could not place toward 0.5 (see the manifest's
    ``unplaced_scale``): the model has no grounded match signal there, so its score must not be confident."""
    unplaced = np.fromiter((a.agrees is None for a in analyses), dtype=bool, count=len(analyses))
    return _toward_half(probs, unplaced, scale)


def _toward_half(probs: np.ndarray, where: np.ndarray, scale: float) -> np.ndarray:
    """``probs`` with the ``where`` entries pulled toward 0.5 by ``scale`` (0.58: into [0.21, 0.79])."""
    return np.where(where, 0.5 + scale * (probs - 0.5), probs)


def _softmax_positive(logits: Any, temperature: float, positive_index: int) -> np.ndarray:
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp[:, positive_index] / exp.sum(axis=1)


def _load_semantic(manifest: ModelManifest, model_dir: Path, verified: dict[str, bytes], threads: int) -> SemanticTier | None:
    """The second local tier the manifest declares (its files verified with the rest), or None."""
    spec = manifest.semantic
    if spec is None:
        return None
    return _semantic_tier(verified.pop(spec.onnx_file), model_dir / spec.onnx_file,
                          verified.pop(spec.tokenizer_file), model_dir / spec.tokenizer_file, spec, threads)


def semantic_tier_for(onnx_path: str | os.PathLike[str], tokenizer_path: str | os.PathLike[str],
                      max_length: int = 256, threads: int = 2) -> SemanticTier:
    """A sentence-encoder tier from two files, outside any model directory (for the tools that build one: its
    ``embed``/``margins`` are the runtime's own; its weights leave first-tier scores unchanged)."""
    onnx_path, tokenizer_path = Path(onnx_path), Path(tokenizer_path)
    identity = {**dict.fromkeys(SEMANTIC_WEIGHTS, 0.0), "base": 1.0}
    spec = SemanticSpec(onnx_file=onnx_path.name, tokenizer_file=tokenizer_path.name, max_length=max_length,
                        weights=identity)
    return _semantic_tier(onnx_path.read_bytes(), onnx_path, tokenizer_path.read_bytes(), tokenizer_path, spec, threads)


def _semantic_tier(onnx: bytes, onnx_path: Path, tokenizer: bytes, tokenizer_path: Path, spec: SemanticSpec,
                   threads: int) -> SemanticTier:
    plain = _load_tokenizer(tokenizer, tokenizer_path)
    plain.no_truncation()  # the tier truncates itself, keeping the closing [SEP]
    plain.no_padding()
    session = _load_session(onnx, onnx_path, threads, spinning=False)
    if session.get_outputs()[0].name != "last_hidden_state" or not {"input_ids", "attention_mask"} <= {
        node.name for node in session.get_inputs()
    }:
        raise ModelLoadError(f"semantic tier {onnx_path} is not a sentence encoder "
                             "(inputs input_ids/attention_mask, first output last_hidden_state)")
    return SemanticTier(session, plain, spec)


def _load_tokenizer(data: bytes, path: Path) -> Any:
    """The tokenizer from the verified bytes of ``path`` (named in errors only; never reopened)."""
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # tokenizers raises a bare Exception on malformed JSON
        raise ModelLoadError(f"could not load tokenizer {path}: {exc}") from exc


def _load_session(data: bytes, path: Path, threads: int, spinning: bool = True) -> Any:
    """An onnxruntime session on the verified bytes of ``path`` (named in errors only; never reopened)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # onnxruntime warnings would go straight to the host's stderr
    if not spinning:  # the semantic tier runs right after the first tier: its threads must not spin against it
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelLoadError(f"onnxruntime could not load {path}: {exc}") from exc


def _check_inputs(session: Any, model_dir: Path) -> tuple[str, ...]:
    """The graph's declared inputs; each must be one the encoder produces."""
    names = tuple(node.name for node in session.get_inputs())
    unknown = [n for n in names if n not in ("input_ids", "attention_mask", "token_type_ids")]
    if unknown or "input_ids" not in names:
        raise ModelLoadError(f"model in {model_dir} declares unsupported inputs {names}")
    return names


def _check_outputs(session: Any, manifest: ModelManifest, model_dir: Path, input_names: tuple[str, ...]) -> None:
    """The first output must be (batch, labels) logits with at least two labels, and the manifest's
    ``positive_index`` one of them: a manifest that does not fit its graph is refused now, not on every check."""
    outputs = session.get_outputs()
    shape = list(outputs[0].shape) if outputs else []
    if len(shape) != 2:
        raise ModelIntegrityError(f"model in {model_dir} must output (batch, labels) logits, declares shape {shape}")
    labels = shape[1]
    if not isinstance(labels, int) or labels < 1:  # a symbolic label axis: ask the graph once
        probe = {name: np.zeros((1, 2), dtype=np.int64) for name in input_names}
        probe["input_ids"][0, 0] = 1
        if "attention_mask" in probe:
            probe["attention_mask"][:] = 1
        try:
            labels = int(np.asarray(session.run(None, probe)[0]).shape[-1])
        except Exception as exc:
            raise ModelLoadError(f"model in {model_dir} failed on a probe input: {exc}") from exc
    if labels < 2 or manifest.positive_index >= labels:
        raise ModelIntegrityError(
            f"manifest in {model_dir} names positive_index {manifest.positive_index}, but the model outputs "
            f"{labels} label(s); positive_index must be in 0..{labels - 1} with at least 2 labels"
        )


# --- one loaded verifier per model directory ---------------------------------------------------------------

_SHARED_MAX = 4  # model directories (x options) kept loaded; the least recently used is dropped beyond that
_shared: OrderedDict[tuple[Any, ...], tuple[OnnxVerifier, tuple[Any, ...]]] = OrderedDict()
_shared_lock = threading.Lock()


def shared_verifier(model_dir: str | os.PathLike[str] | None = None, **options: Any) -> OnnxVerifier:
    """The :class:`OnnxVerifier` for ``model_dir`` (default: the shipped model) and ``options``, loaded once
    and shared by every caller: what ``Guard()`` uses, so a Guard per call does not re-hash and reload the model.

    The cache is keyed by the resolved directory, the sha256 of its manifest (which holds every file's hash)
    and the options; an entry is reused only while every file in the directory keeps the size, mtime and inode
    it had when it was loaded, so a changed directory is verified and loaded again. At most ``_SHARED_MAX``
    entries (least recently used dropped); thread-safe (a model is loaded once even when many threads ask).
    """
    root = resolve_model_dir(model_dir).resolve()
    digest = _manifest_digest(root)
    if digest is None:  # no readable manifest: the verifier says what is wrong (nothing to cache)
        return OnnxVerifier(root, **options)
    key = (str(root), digest, tuple(sorted(options.items())))
    with _shared_lock:
        entry = _shared.get(key)
        stats = _dir_stats(root)
        if entry is not None and entry[1] == stats:
            _shared.move_to_end(key)
            return entry[0]
        verifier = OnnxVerifier(root, **options)  # raises like a direct load; failures are not cached
        _shared[key] = (verifier, stats)  # stats from before the load: a file changed during it reloads next time
        _shared.move_to_end(key)
        while len(_shared) > _SHARED_MAX:
            _shared.popitem(last=False)
        return verifier


def _manifest_digest(root: Path) -> str | None:
    from ._manifest import MANIFEST_NAME

    try:  # never follow a symlinked manifest here: loading decides about it
        fd = os.open(root / MANIFEST_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _dir_stats(root: Path) -> tuple[Any, ...]:
    """(path, size, mtime, inode) of every file under ``root`` (symlinks followed to their target)."""
    stats = []
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:
                stats.append((path, None))
                continue
            stats.append((path, info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(sorted(stats, key=lambda entry: entry[0]))

