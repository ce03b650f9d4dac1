"""Turn (question, rationale, answer) triples into verifier inputs; shared by runtime and training.

Layout (``INPUT_FORMAT``), built from token ids so truncation is identical everywhere::

    [CLS] <feature words> | <question head> [SEP] <rationale head> ... <rationale tail> | answer : <answer> [SEP]
    token_type 0 ...................................... token_type 1 ....................................

* The feature words come from :func:`guardrail.reader.analyse`, e.g. (format "rg-v2")
  ``number | topic high | derived yes | ends 72 | gives 72 | match yes | seen conclusion | hint no``:
  explicit answer-match signals (the regex baseline's knowledge) so the model learns when to trust or
  overrule them. Format "rg-v1" (models up to 0.3.0) lacks the ``topic`` and ``derived`` words; a model's
  manifest names its format and both are encoded, so older and custom models keep working.
* Budget: feature words and the answer are always kept (each capped), the question keeps its head, the
  rationale keeps a short head and a long tail (the conclusion is at the end) and loses its middle.
* Features are computed on what the model can see: a rationale longer than ``max_length * 8`` characters
  is analysed as its head and a longer tail, which bounds the cost of huge inputs.
* The tokenizer's own truncation / padding settings are ignored (a clean copy is used) so the saved
  ``tokenizer.json`` cannot change the ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from ._extract import replace_lone_surrogates
from ._types import AnswerType, CheckInput
from .reader import AnswerAnalysis, analyse

INPUT_FORMAT = "rg-v2"  # what new models are trained on
INPUT_FORMATS = ("rg-v1", "rg-v2")  # what this version can encode

_FEATURE_CAP = 48  # tokens of feature words
_ANSWER_CAP = 32  # tokens of "| answer : <answer>"
_QUESTION_SHARE = 4  # the question gets at least 1/4 of the free budget when the rationale is long
_RATIONALE_HEAD_SHARE = 5  # 1/5 of the rationale budget keeps its opening, the rest its end
_VALUE_CHARS = 24  # cap on a value shown in the feature words
_CHARS_PER_TOKEN = 8  # pre-cut of huge strings before tokenising (a WordPiece token covers >= 1 char)

_TYPE_WORDS = {
    AnswerType.NUMERIC: "number",
    AnswerType.CHOICE: "choice",
    AnswerType.YES_NO: "yes or no",
    AnswerType.TEXT: "text",
}


def feature_text(analysis: AnswerAnalysis, input_format: str = INPUT_FORMAT) -> str:
    """The feature words for one analysed triple (plain words the MiniLM vocabulary already has)."""
    match = {True: "yes", False: "no", None: "unclear"}[analysis.agrees]
    support: tuple[str, ...] = ()
    if input_format != "rg-v1":
        support = (f"topic {_overlap_word(analysis.topic_overlap)}",)
        if analysis.derived is not None:
            support += (f"derived {'yes' if analysis.derived else 'no'}",)
    return " | ".join(
        (
            _TYPE_WORDS[analysis.answer_type],
            *support,
            f"ends {_short(analysis.conclusion)}",
            f"gives {_short(analysis.answer_norm)}",
            f"match {match}",
            f"seen {analysis.answer_position}",
            f"hint {'yes' if analysis.answer_in_question_only else 'no'}",
        )
    )


def _overlap_word(overlap: float | None) -> str:
    """Coarse buckets: a rationale for another question shares under ~15% of the question's content words,
    nine in ten rationales for the question itself share over ~25% (measured on the dev split)."""
    if overlap is None:
        return "unclear"
    return "high" if overlap >= 0.4 else "some" if overlap >= 0.2 else "low" if overlap > 0 else "none"


def _short(value: str | None) -> str:
    if not value:
        return "none"
    return value if len(value) <= _VALUE_CHARS else value[:_VALUE_CHARS]


def build_segments(item: CheckInput, input_format: str = INPUT_FORMAT) -> tuple[str, str]:
    """Human-readable, untruncated (text_a, text_b) of the layout above (for inspection and debugging)."""
    features = feature_text(analyse(item.question, item.rationale, item.answer), input_format)
    return f"{features} | {item.question}", f"{item.rationale} | answer : {item.answer}"


def encode_batch(
    tokenizer: Tokenizer, items: Sequence[CheckInput], max_length: int, input_format: str = INPUT_FORMAT
) -> dict[str, np.ndarray]:
    """int64 ``input_ids``, ``attention_mask``, ``token_type_ids`` of shape (n, longest <= max_length)."""
    return encode_batch_analysed(tokenizer, items, max_length, input_format)[0]


def encode_batch_analysed(
    tokenizer: Tokenizer, items: Sequence[CheckInput], max_length: int, input_format: str = INPUT_FORMAT
) -> tuple[dict[str, np.ndarray], list[AnswerAnalysis]]:
    """:func:`encode_batch` plus the analyses behind the feature words (so callers need not analyse twice)."""
    if max_length < 16:
        raise ValueError(f"max_length must be at least 16, got {max_length}")
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {input_format!r}; this version encodes {INPUT_FORMATS}")
    plain = _plain_tokenizer(tokenizer)
    texts: list[str] = []
    analyses = [_analyse_window(item, max_length) for item in items]
    # the tokenizer refuses lone surrogates, and a CheckInput built directly is not validated like guard input
    rationales = [replace_lone_surrogates(_precut_middle(item.rationale, max_length)) for item in items]
    for item, analysis, rationale in zip(items, analyses, rationales):
        texts.extend(
            (
                feature_text(analysis, input_format),
                replace_lone_surrogates(_precut_head(item.question, max_length)),
                *_rationale_pieces(rationale, max_length),
                f"| answer : {replace_lone_surrogates(_precut_head(item.answer, max_length))}",
            )
        )
    encoded = [e.ids for e in _encode_many(plain, texts)] if texts else []
    specials = _special_ids(plain)
    rows = []
    for index, rationale in enumerate(rationales):
        features, question, head, tail, answer = encoded[5 * index : 5 * index + 5]
        whole = _join_pieces(plain, head, tail, rationale, max_length) if texts[5 * index + 3] else head
        rows.append(_assemble([features, question, whole, answer], max_length, specials))
    return _pad(rows, specials["pad"]), analyses


def _encode_many(tokenizer: Tokenizer, texts: list[str]) -> list[Any]:
    """``encode_batch`` without character offsets where the installed tokenizers has it (0.21+): only the
    ids are used, and skipping the offsets saves about a fifth of the tokenising time."""
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
    return encode(texts, add_special_tokens=False)


def _analyse_window(item: CheckInput, max_length: int) -> AnswerAnalysis:
    """Analyse about what the model can see: a long rationale is cut to its head and a longer tail first,
    so the cost stays bounded (the features describe the conclusion, which is at the end)."""
    limit = max_length * _CHARS_PER_TOKEN
    rationale = item.rationale
    if len(rationale) > limit:
        rationale = f"{rationale[: limit // 4]}\n{rationale[len(rationale) - limit + limit // 4 :]}"
    return analyse(item.question[:limit], rationale, item.answer[:limit])


def _assemble(parts: list[list[int]], max_length: int, specials: dict[str, object]) -> tuple[list[int], int]:
    """Apply the budget to one item's (features, question, rationale, answer) ids; returns (ids, len of A)."""
    features, question, rationale, answer = parts
    features = features[: min(_FEATURE_CAP, max_length // 4)]
    answer = answer[: min(_ANSWER_CAP, max_length // 4)]
    bar = specials["bar"]
    free = max(0, max_length - 3 - len(features) - len(bar) - len(answer))
    question_take = min(len(question), max(free // _QUESTION_SHARE, free - len(rationale)))
    rationale = _cut_middle(rationale, free - question_take, specials["ellipsis"])
    segment_a = [specials["cls"], *features, *bar, *question[:question_take], specials["sep"]]
    segment_b = [*rationale, *answer, specials["sep"]]
    return segment_a + segment_b, len(segment_a)


def _cut_middle(ids: list[int], budget: int, ellipsis: list[int]) -> list[int]:
    if len(ids) <= budget:
        return ids
    if budget <= len(ellipsis) + 2:
        return ids[len(ids) - budget :] if budget > 0 else []
    head = (budget - len(ellipsis)) // _RATIONALE_HEAD_SHARE
    tail = budget - len(ellipsis) - head
    return [*ids[:head], *ellipsis, *ids[len(ids) - tail :]]


def _pad(rows: list[tuple[list[int], int]], pad_id: int) -> dict[str, np.ndarray]:
    width = max((len(ids) for ids, _ in rows), default=0)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(rows), width), dtype=np.int64)
    token_types = np.zeros((len(rows), width), dtype=np.int64)
    for row, (ids, len_a) in enumerate(rows):
        input_ids[row, : len(ids)] = ids
        attention[row, : len(ids)] = 1
        token_types[row, len_a : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": token_types}


def _precut_head(text: str, max_length: int) -> str:
    return text[: max_length * _CHARS_PER_TOKEN]


def _precut_middle(text: str, max_length: int) -> str:
    """Drop the middle of huge rationales before tokenising (speed); the token budget then applies."""
    limit = max_length * _CHARS_PER_TOKEN
    if len(text) <= 2 * limit:
        return text
    return f"{text[:limit]} ... {text[len(text) - limit :]}"


def _rationale_pieces(text: str, max_length: int) -> tuple[str, str]:
    """A long rationale as (first words, last words), cut at ASCII spaces, or (text, "") when it is short.

    Why: tokenising a rationale costs time in proportion to its length, but the budget keeps at most a
    fifth of ``max_length`` tokens of its head and ``max_length`` of its tail. BERT never puts a space
    inside a token, so the pieces' ids are exactly a prefix and a suffix of the whole text's ids; a word
    gives at least one token, which :func:`_join_pieces` checks (falling back to the whole text)."""
    head_words, tail_words = _head_tokens(max_length), max_length
    if text.count(" ") < head_words + tail_words:
        return text, ""
    words = [word for word in text.split(" ") if word]
    if len(words) <= head_words + tail_words:
        return text, ""
    return " ".join(words[:head_words]), " ".join(words[-tail_words:])


def _join_pieces(tokenizer: Tokenizer, head: list[int], tail: list[int], text: str, max_length: int) -> list[int]:
    """Ids standing in for the whole rationale ``text``: ``head + tail`` when each piece has at least as many
    tokens as the budget can take from its side (then the cut, and the question's share, are what the whole
    text gives); otherwise (words that vanish, e.g. control characters) the whole text, tokenised."""
    if len(head) >= _head_tokens(max_length) and len(tail) >= max_length:
        return head + tail
    return tokenizer.encode(text, add_special_tokens=False).ids


def _head_tokens(max_length: int) -> int:
    """More rationale-head tokens than :func:`_assemble` ever keeps (its head is a fifth of < max_length)."""
    return max_length // _RATIONALE_HEAD_SHARE + 1


# A tokenizer whose tokenizer.json carries truncation/padding would cut or pad segments on its own; a
# clean copy is cached per tokenizer object (kept alive in the entry so its id cannot be reused).
_CLEAN: dict[int, tuple[Tokenizer, Tokenizer]] = {}


def _plain_tokenizer(tokenizer: Tokenizer) -> Tokenizer:
    if tokenizer.truncation is None and tokenizer.padding is None:
        return tokenizer
    entry = _CLEAN.get(id(tokenizer))
    if entry is None or entry[0] is not tokenizer:
        copy = Tokenizer.from_str(tokenizer.to_str())
        copy.no_truncation()
        copy.no_padding()
        if len(_CLEAN) >= 8:
            _CLEAN.clear()
        entry = _CLEAN[id(tokenizer)] = (tokenizer, copy)
    return entry[1]


def _special_ids(tokenizer: Tokenizer) -> dict[str, object]:
    def token_id(token: str, default: int) -> int:
        found = tokenizer.token_to_id(token)
        return default if found is None else found

    return {
        "cls": token_id("[CLS]", 101),
        "sep": token_id("[SEP]", 102),
        "pad": token_id("[PAD]", 0),
        "bar": tokenizer.encode("|", add_special_tokens=False).ids,
        "ellipsis": tokenizer.encode("...", add_special_tokens=False).ids,
    }
