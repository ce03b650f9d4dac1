"""The second local tier: a sentence encoder's evidence for the items the first tier leaves in its band.

The first tier (the small verifier) reads strings: it matches the answer against what the rationale concludes.
Where the rationale never names its conclusion (a general explanation for a cause/effect choice, a reason for
a pronoun's referent), the reader cannot place the answer, the score stays near 0.5 and the item is escalated.
What still tells the options apart there is meaning: the rationale is about the option it supports. This tier
embeds the rationale and every candidate answer the question offers (:func:`guardrail.reader.answer_candidates`)
with a sentence encoder, takes ``m`` = similarity to the given answer minus the best other candidate's, and
combines it with the first tier's score by a logistic fit on the training dev split (the manifest's
``semantic.weights``, or the kind's own ``semantic.kind_weights``). Only scores inside ``semantic.band`` that have
candidates are touched, so the tier costs nothing on the confident majority; and ``m`` is clipped to the range
the fit saw for that kind of candidates (``semantic.margin_range``): a logistic fit says nothing about margins it
never saw, and on data unlike dev (reasons for a pronoun's referent) such margins took scores out of the band with
a third of them wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._manifest import SemanticSpec
from ._types import CheckInput
from .reader import AnswerAnalysis, answer_candidates

_EPS = 1e-6


class SemanticTier:
    """Adjusts in-band first-tier scores with the sentence encoder (built by :class:`~guardrail.OnnxVerifier`)."""

    def __init__(self, session: Any, tokenizer: Any, spec: SemanticSpec, batch_size: int = 32) -> None:
        self.spec = spec
        self._session = session
        self._tokenizer = tokenizer
        self._batch_size = batch_size
        self._input_names = tuple(node.name for node in session.get_inputs())

    def adjust(self, items: Sequence[CheckInput], probs: np.ndarray, analyses: Sequence[AnswerAnalysis]) -> np.ndarray:
        """``probs`` with every in-band item that has candidate answers rescored; the rest unchanged."""
        low, high = self.spec.band
        ranges = self.spec.margin_range
        chosen = [(i, c) for i, p in enumerate(probs) if low <= p <= high
                  for c in [answer_candidates(items[i].question, items[i].answer)]
                  if c is not None and (not ranges or c.kind in ranges)]
        if not chosen:
            return probs
        margins = self.margins([(items[i].rationale, c.texts, c.given) for i, c in chosen])
        out = probs.copy()
        for (i, candidates), margin in zip(chosen, margins, strict=True):
            w = self.spec.weights_for(candidates.kind)
            margin = clip_margin(margin, candidates.kind, ranges)
            unplaced = 1.0 if analyses[i].agrees is None else 0.0
            z = (w["bias"] + w["base"] * _logit(float(probs[i])) + w["margin"] * margin
                 + w["margin_unplaced"] * margin * unplaced + w["unplaced"] * unplaced)
            out[i] = 1.0 / (1.0 + np.exp(-z))
        return out

    def margins(self, triples: Sequence[tuple[str, Sequence[str], int]]) -> list[float]:
        """For each (rationale, candidate texts, given index): cos(rationale, given) - max cos(rationale, other)."""
        texts: list[str] = []
        for rationale, candidates, _ in triples:
            texts.append(rationale)
            texts.extend(candidates)
        vectors = self.embed(texts)
        margins, at = [], 0
        for _, candidates, given in triples:
            sims = vectors[at + 1 : at + 1 + len(candidates)] @ vectors[at]
            at += 1 + len(candidates)
            margins.append(float(sims[given] - np.delete(sims, given).max()))
        return margins

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence vectors (the encoder's own pooling), one row per text."""
        # Rationales run to the token budget while options are a few words: batched together, every option would
        # be padded to the rationale's length (measured: 5x the work for 4 options). So texts go through in
        # batches of similar length, shortest first.
        limit = self.spec.max_length
        ids = [e.ids[: limit - 1] + e.ids[-1:] if len(e.ids) > limit else e.ids for e in
               self._tokenizer.encode_batch([t.encode("utf-8", "replace").decode("utf-8") for t in texts])]
        batches: list[list[int]] = []
        for index in sorted(range(len(ids)), key=lambda i: len(ids[i])):
            batch = batches[-1] if batches else None
            if batch is None or len(batch) == self._batch_size or len(ids[index]) > 2 * len(ids[batch[0]]) + 8:
                batches.append([index])
            else:
                batch.append(index)
        pooled = [self._embed_batch([ids[i] for i in batch]) for batch in batches]
        vectors = np.zeros((len(ids), pooled[0].shape[1] if pooled else 0), dtype=np.float32)
        for batch, rows in zip(batches, pooled, strict=True):
            vectors[batch] = rows
        return vectors

    def _embed_batch(self, ids: Sequence[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        hidden = self._session.run(None, {name: feeds[name] for name in self._input_names})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def clip_margin(margin: float, kind: str, ranges: Mapping[str, tuple[float, float]]) -> float:
    """``margin`` clipped to the range the fit saw for ``kind`` of candidates (``SemanticSpec.margin_range``), so
    the tier never extrapolates past its evidence; unchanged where ``ranges`` is empty (older manifests). The fit
    clips with this too, so what it learns from is what the runtime computes."""
    if not ranges:
        return margin
    low, high = ranges[kind]
    return min(max(margin, low), high)


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return float(np.log(p) - np.log1p(-p))
