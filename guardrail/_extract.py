"""Split a model output into rationale and answer.

``extract(output)`` accepts what generation calls return: a ``str`` (or UTF-8 ``bytes``); a provider shape,
as the SDK's object or as the plain ``dict`` of its JSON (one rule: a dict and an object of the same shape go
through the same code, :func:`_from_provider_shape`):

- an Anthropic message, ``{"content": [...blocks]}`` with ``thinking`` / ``redacted_thinking`` / ``text``
  blocks (or a bare list of such blocks);
- an OpenAI chat completion, ``{"choices": [{"message": {...}}]}`` (exactly one choice: with ``n>1`` check
  each choice, as ``guard_openai`` does), one choice ``{"message": {...}}``, or a bare assistant message
  ``{"role": "assistant", "content": ..., "reasoning_content" | "reasoning": ...}``;

a ``dict`` with reasoning/answer fields; or an :class:`Extraction` (returned as is). ``Extraction.reasons``
says what the verdict must carry about the output itself: ``partly_redacted`` (readable thinking mixed with
redacted blocks), ``output_truncated`` (``stop_reason`` ``max_tokens``, ``finish_reason`` ``length``) and
``continuation_dropped`` (see below).

Text is tried in this order; the first shape that matches wins:

1. ``<think>...</think>`` (also ``<thinking>``, ``<reasoning>``; a lone ``</think>`` as R1-style templates emit)
2. a JSON object with reasoning/rationale/explanation and answer/final_answer fields (bare, or in a ```json fence)
3. answer markers, strongest first: ``<answer>...</answer>``, ``\\boxed{...}`` (nested braces), ``#### N``,
   "Final answer:", "the best answer is: (X)" (or "the correct choice / option is"), a line starting "Answer:"
   (or "Ans:", "Answer - "), "The answer is". The last occurrence of the strongest marker is the answer; the text
   before it is the rationale (the lead-in "so the answer is" is dropped, so the rationale never ends by restating
   the answer it is checked against).

Before any of these, an output that goes on past a stated answer with a new prompt turn ("\\n\\nQuestion: ...", as
base models write the next few-shot example) is cut there (:func:`drop_continuation`; also a rationale given as a
field), with the reason ``continuation_dropped``.

No recognisable answer gives ``Extraction(answer=None, format="none")``; it is not an error. Unusable input
(not text, not UTF-8, NUL bytes, empty, over ``max_chars``, a NaN or infinite number as the answer) raises
:class:`InputError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from ._errors import InputError
from ._types import CONTINUATION_DROPPED, OUTPUT_TRUNCATED, PARTLY_REDACTED, Extraction
from .reader import split_steps

MAX_INPUT_CHARS = 1_000_000  # per text field; larger inputs get an InputError ("input_too_large")
# InputError code for NaN or an infinity given as a number (an answer, a JSONL field): no answer, never the
# text "nan" / "inf" to score.
NON_FINITE_NUMBER = "non_finite_number"

RATIONALE_KEYS = ("reasoning", "rationale", "explanation", "thinking", "reasoning_content", "chain_of_thought", "cot")
ANSWER_KEYS = ("answer", "final_answer", "final", "result", "prediction")
REASONING_FIELDS = ("reasoning_content", "reasoning")  # an OpenAI-compatible message's reasoning channel
THINKING_JOIN = "\n\n"  # between an Anthropic message's thinking blocks (streamed or not)
# Provider stop reasons meaning the output was cut before the model finished it (Anthropic, OpenAI).
TRUNCATED_STOPS = {"stop_reason": ("max_tokens", "model_context_window_exceeded"), "finish_reason": ("length",)}


@runtime_checkable
class Extractor(Protocol):
    """Turns a model output into an :class:`Extraction`. A plain function with this signature also works."""

    def __call__(self, output: Any) -> Extraction: ...


def extract(output: Any, *, max_chars: int = MAX_INPUT_CHARS) -> Extraction:
    """Split ``output`` into rationale, answer and steps. See the module docstring for the shapes."""
    if isinstance(output, Extraction):
        return output
    if isinstance(output, (str, bytes, bytearray)):
        return extract_text(as_text(output, "output", max_chars=max_chars, allow_empty=False), max_chars=max_chars)
    if isinstance(output, (list, tuple)) and output and all(field_of(b, "type") for b in output):
        return _from_blocks(output, max_chars)  # a bare list of content blocks
    found = _from_provider_shape(output, max_chars)
    if found is not None:
        return found
    if isinstance(output, Mapping):
        return _from_mapping(output, max_chars)
    raise InputError(f"cannot extract an answer from a {type(output).__name__}; expected text, a dict or a message")


def from_fields(rationale: Any, answer: Any, *, max_chars: int = MAX_INPUT_CHARS) -> Extraction:
    """An :class:`Extraction` from an already separated rationale and answer (validated like any input)."""
    if rationale is None:
        raise InputError("missing_field: rationale")
    text, dropped = drop_continuation(as_text(rationale, "rationale", max_chars=max_chars, allow_empty=True))
    value = _answer_value(answer, max_chars)
    return noted(_make(text, value, "fields"), dropped)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def as_text(value: Any, field: str, *, max_chars: int = MAX_INPUT_CHARS, allow_empty: bool = True) -> str:
    """Validate one text input: ``str`` or UTF-8 ``bytes``, no NUL, at most ``max_chars`` characters."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) > 4 * max_chars:  # cheap early refusal before decoding a huge blob
            raise InputError(f"input_too_large: {field} is {len(value)} bytes (limit {max_chars} characters)")
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not_utf8: {field} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not isinstance(value, str):
        raise InputError(f"not_text: {field} must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise InputError(f"input_too_large: {field} has {len(value)} characters (limit {max_chars})")
    if "\x00" in value:
        raise InputError(f"nul_byte: {field} contains NUL characters (binary data?)")
    surrogate = None if value.isascii() else _LONE_SURROGATE.search(value)
    if surrogate:  # bytes decoded with errors="surrogateescape": not valid UTF-8
        raise InputError(
            f"not_utf8: {field} contains a lone surrogate at character {surrogate.start()} (undecodable bytes?)"
        )
    if not allow_empty and not value.strip():
        raise InputError(f"empty: {field} is empty")
    return value


def replace_lone_surrogates(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes kept by ``errors="surrogateescape"``) as U+FFFD, for
    text that must go on as valid UTF-8 (a tokenizer, a JSON request) where :func:`as_text` did not refuse it."""
    return text if text.isascii() else _LONE_SURROGATE.sub("\ufffd", text)


def extract_text(text: str, *, max_chars: int = MAX_INPUT_CHARS) -> Extraction:
    """Extract from validated text (see the module docstring for the order)."""
    text, dropped = drop_continuation(text)
    found = _from_think_tags(text) or _from_json_text(text, max_chars) or _from_markers(text)
    return noted(found or _make(text.strip(), None, "none"), dropped)


# A line opening a new prompt turn, as base models write when they go on past their answer into an invented
# next few-shot example ("\n\nQuestion: ...", "Q: ...", "### Problem:", "Human:"). Unnumbered only: "Problem 2:"
# is as often the second part of the asked question as a new one.
_NEW_TURN = re.compile(
    r"\n[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*)?(?:Question|QUESTION|Q|Problem|PROBLEM|Exercise|Human|User)(?:\*\*)?[ \t]*[:：]"
)


def drop_continuation(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` up to a new prompt turn that follows a stated answer, and the ``continuation_dropped`` reason
    when one was cut off (else ``text`` and no reason).

    What follows is another question with its own answer: read as part of the chain, its last answer would be
    checked instead of the one the chain gave (``benchmarks/bench_runaway.py``: 0.17.0 scored 23% of the models'
    own answers below 0.2 on the whole text, 5% with the cut). A turn line before any stated answer is part of
    the chain ("Question: what is asked?") and stays.
    """
    stated = _first_answer_end(text)
    turn = _NEW_TURN.search(text, stated) if stated is not None else None
    if turn is None:
        return text, ()
    dropped = len(text) - turn.start()
    return text[: turn.start()].rstrip(), (
        f"{CONTINUATION_DROPPED}: the output goes on past its answer with a new question ({dropped} characters); "
        "only the part up to the answer was checked",
    )


def _first_answer_end(text: str) -> int | None:
    """Where the line of the first stated answer (any answer marker, or a box) ends; None without one."""
    starts = [match.start() for _, pattern in _MARKERS if (match := pattern.search(text))]
    box = _BOX_OPEN.search(text)
    if box:
        starts.append(box.start())
    if not starts:
        return None
    end = text.find("\n", min(starts))
    return len(text) if end < 0 else end


# --- structured outputs -------------------------------------------------------------------------------------


def _from_provider_shape(output: Any, max_chars: int) -> Extraction | None:
    """An Anthropic message, an OpenAI completion, choice or message: the SDK object or its dict, alike."""
    content = field_of(output, "content")
    if isinstance(content, (list, tuple)):  # Anthropic message
        return _from_blocks(content, max_chars, truncation_reasons(output))
    choices = choices_of(output)
    if choices:
        if len(choices) > 1:
            raise InputError(
                f"multiple_choices: the completion has {len(choices)} choices; check each choice "
                "(Guard.apply and guard_openai check them all)"
            )
        return _from_openai_choice(choices[0], max_chars)
    if is_message(field_of(output, "message")):  # one choice
        return _from_openai_choice(output, max_chars)
    if is_message(output):  # a bare assistant message
        return _from_openai_message(output, max_chars)
    return None


def choices_of(output: Any) -> list[Any]:
    """The ``choices`` of an OpenAI-style completion (object or dict); ``[]`` for anything else."""
    if isinstance(output, (str, bytes, bytearray)):
        return []
    choices = field_of(output, "choices")
    return list(choices) if isinstance(choices, (list, tuple)) else []


def is_message(obj: Any) -> bool:
    """An OpenAI-style assistant message (object or dict): a ``role``, or text ``content`` beside a reasoning
    field; a dict that names an answer field is a plain reasoning/answer record instead."""
    if obj is None or isinstance(obj, (str, bytes, bytearray, list, tuple)):
        return False
    if isinstance(obj, Mapping) and any(str(key).lower() in ANSWER_KEYS for key in obj):
        return False
    content = field_of(obj, "content")
    if content is not None and not isinstance(content, str):
        return False
    if isinstance(field_of(obj, "role"), str):
        return True
    return isinstance(content, str) and any(isinstance(field_of(obj, name), str) for name in REASONING_FIELDS)


def truncation_reasons(obj: Any) -> tuple[str, ...]:
    """``("output_truncated: ...",)`` when a provider message, choice or stream delta (object or dict) says the
    output was cut at a length limit (``stop_reason`` ``max_tokens``, ``finish_reason`` ``length``), else ().
    Local generation says so the OpenAI way (``{"finish_reason": "length"}``, see ``guard_generate``)."""
    if obj is None or isinstance(obj, (str, bytes, bytearray)):
        return ()
    for field, values in TRUNCATED_STOPS.items():
        value = field_of(obj, field)
        if isinstance(value, str) and value in values:
            return (
                f"{OUTPUT_TRUNCATED}: the output was stopped at its length limit ({field}={value}); "
                "the answer may be incomplete",
            )
    return ()


def redaction_reasons(reasoning: str, redacted: bool) -> tuple[str, ...]:
    """``("partly_redacted: ...",)`` when readable reasoning came with redacted blocks, else ()."""
    if redacted and reasoning.strip():
        return (
            f"{PARTLY_REDACTED}: part of the model's reasoning was redacted by the provider; only the readable "
            "part was checked",
        )
    return ()


def _from_mapping(data: Mapping[str, Any], max_chars: int) -> Extraction:
    lowered = {str(key).lower(): value for key, value in data.items()}
    rationale = next((lowered[k] for k in RATIONALE_KEYS if lowered.get(k) is not None), "")
    answer = next((lowered[k] for k in ANSWER_KEYS if lowered.get(k) is not None), None)
    text = as_text(rationale, "rationale", max_chars=max_chars)
    return _make(text.strip(), _answer_value(answer, max_chars), "json")


def _from_blocks(blocks: Any, max_chars: int, reasons: tuple[str, ...] = ()) -> Extraction:
    for block in blocks:  # what a dict may hold and an SDK object never does: a block that is not text
        kind = field_of(block, "type")
        if kind in ("thinking", "text"):
            as_text(field_of(block, kind) or "", f"{kind} block", max_chars=max_chars)
    reasoning, text, redacted = message_parts(blocks)
    if not reasoning.strip() and not redacted and not text.strip():
        if reasons:  # cut before any text: nothing to check, and the verdict says why
            return noted(_make("", None, "none"), reasons)
        raise InputError("empty: message has no text or thinking content")
    return noted(from_channel(reasoning, text, "anthropic_thinking", redacted=redacted, max_chars=max_chars), reasons)


def message_parts(blocks: Any) -> tuple[str, str, bool]:
    """``(reasoning, visible text, redacted)`` of Anthropic content blocks (SDK objects or dicts): the
    ``thinking`` blocks are the reasoning channel, the ``text`` blocks the visible text (fragments of one text,
    e.g. split around citations), ``redacted_thinking`` (encrypted) cannot be read. The one reading of a
    ``Message``, for ``extract`` and ``guard_anthropic`` alike (a stream joins its thinking blocks the same way)."""
    thinking, texts, redacted = [], [], False
    for block in blocks:
        kind = field_of(block, "type")
        value = field_of(block, kind) if kind in ("thinking", "text") else None
        if kind == "thinking":
            thinking.append(value if isinstance(value, str) else "")
        elif kind == "text":
            texts.append(value if isinstance(value, str) else "")
        elif kind == "redacted_thinking":
            redacted = True
    return THINKING_JOIN.join(thinking), "".join(texts), redacted


def reasoning_of(obj: Any) -> str:
    """The reasoning channel of an OpenAI-compatible message or stream delta (``reasoning_content`` /
    ``reasoning``, object or dict); ``""`` when there is none."""
    for name in REASONING_FIELDS:
        value = field_of(obj, name)
        if isinstance(value, str) and value:
            return value
    return ""


def _from_openai_choice(choice: Any, max_chars: int) -> Extraction:
    return _from_openai_message(field_of(choice, "message"), max_chars, truncation_reasons(choice))


def _from_openai_message(message: Any, max_chars: int, reasons: tuple[str, ...] = ()) -> Extraction:
    content = as_text(field_of(message, "content") or "", "message content", max_chars=max_chars)
    reasoning = as_text(reasoning_of(message), "reasoning", max_chars=max_chars)
    if not reasoning.strip() and not content.strip():
        if reasons:  # cut before any content: nothing to check, and the verdict says why
            return noted(_make("", None, "none"), reasons)
        raise InputError("empty: message has no content")
    return noted(from_channel(reasoning, content, "openai_reasoning", max_chars=max_chars), reasons)


def from_channel(
    reasoning: str, text: str, fmt: str, *, redacted: bool = False, max_chars: int = MAX_INPUT_CHARS
) -> Extraction:
    """An output that comes as a reasoning channel and a visible text: the one rule for Anthropic thinking
    blocks, an OpenAI-compatible reasoning field and what a guarded stream collected, whether it reaches the
    Guard through ``extract`` (``Guard.apply``) or through an adapter.

    Readable reasoning: :func:`with_reasoning` (``partly_redacted`` when redacted blocks came with it). Only
    redacted reasoning: no rationale (format ``<fmt>_redacted``, which the policy reports as
    ``rationale_redacted``) and the visible text's answer. No reasoning at all: the visible text is read like
    any text (``<think>`` tags in it are the channel, see :func:`split_think`); an empty one has no answer.
    """
    reasoning, text = reasoning.strip(), text.strip()
    if reasoning:
        return noted(with_reasoning(reasoning, text, fmt), redaction_reasons(reasoning, redacted))
    if redacted:
        return _make("", visible_answer(text), f"{fmt}_redacted")
    return extract_text(text, max_chars=max_chars) if text else _make("", None, "none")


def visible_answer(text: str) -> str | None:
    """The answer in a visible text: its marked answer ("Final answer: 42", a boxed value, a JSON answer field),
    else the whole text (cleaned); None when empty."""
    if not text.strip():
        return None
    marked = extract_text(text).answer
    return marked if marked else (_clean_answer(text) or None)


def noted(extraction: Extraction, reasons: Sequence[str]) -> Extraction:
    """``extraction`` with ``reasons`` about the output added to its own (see :attr:`Extraction.reasons`)."""
    return extraction.model_copy(update={"reasons": (*extraction.reasons, *reasons)}) if reasons else extraction


def with_reasoning(reasoning: str, final_text: str, fmt: str) -> Extraction:
    """A separate reasoning channel (thinking blocks, ``reasoning_content``, ``<think>``) plus a final text.

    The rationale is the reasoning channel only; the answer is the final text's marked answer ("Final answer:
    42", a boxed value, ...), else the whole final text. The final text's own lead-in ("The box holds 41
    eggs.") is deliberately not added to the rationale: it restates the answer, and a rationale that ends on
    the answer looks consistent whatever the reasoning concluded.
    """
    if final_text.strip():
        return _make(reasoning, visible_answer(final_text), fmt)
    inner = _from_markers(reasoning)  # the answer only appears inside the reasoning
    return _make(inner.rationale, inner.answer, fmt) if inner else _make(reasoning, None, fmt)


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` for an object: one rule for both shapes."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _answer_value(answer: Any, max_chars: int) -> str | None:
    if answer is None or isinstance(answer, bool):
        return None if answer is None else ("yes" if answer else "no")
    if isinstance(answer, (int, float)):
        if is_non_finite(answer):
            raise InputError(f"{NON_FINITE_NUMBER}: answer is NaN or infinite ({answer!r})")
        return str(answer)
    text = as_text(answer, "answer", max_chars=max_chars)
    return _clean_answer(text) or None


def is_non_finite(value: Any) -> bool:
    """Whether ``value`` is a float NaN or infinity (``float("nan")``, JSON ``NaN`` / ``Infinity`` / ``1e999``)."""
    return isinstance(value, float) and not math.isfinite(value)


# --- text shapes --------------------------------------------------------------------------------------------

THINK_TAGS = ("think", "thinking", "reasoning")  # <think>...</think> and its spellings, in any case
_THINK = re.compile(rf"<({'|'.join(THINK_TAGS)})>(.*?)(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_LONE_CLOSE = re.compile(rf"</(?:{'|'.join(THINK_TAGS)})>", re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(\{.*?\})\s*```", re.DOTALL)


class ThinkSplit(BaseModel):
    """A text split where its reasoning ends: ``head`` (everything up to the end of the closing tag, kept
    verbatim when the answer is rewritten), the ``rationale`` inside the tags, and the ``answer_text`` after."""

    model_config = ConfigDict(frozen=True)
    head: str
    rationale: str
    answer_text: str


def split_think(text: str) -> ThinkSplit | None:
    """The one think-tag rule: ``<think>...</think>answer`` (also ``<thinking>``, ``<reasoning>``, any case), or a
    lone ``</think>`` (R1-style templates put the opening tag in the prompt). An unterminated opening tag is
    all reasoning, no answer text. ``None``: no think tags."""
    match = _THINK.search(text)
    if match is not None:
        end = match.end()
        return ThinkSplit(head=text[:end], rationale=match.group(2).strip(), answer_text=text[end:])
    close = _LONE_CLOSE.search(text)
    if close is not None:
        end = close.end()
        return ThinkSplit(head=text[:end], rationale=text[: close.start()].strip(), answer_text=text[end:])
    return None


def _from_think_tags(text: str) -> Extraction | None:
    split = split_think(text)
    return None if split is None else with_reasoning(split.rationale, split.answer_text.strip(), "think_tags")


def _from_json_text(text: str, max_chars: int) -> Extraction | None:
    stripped = text.strip()
    candidates = []
    if stripped.startswith("{") and stripped.endswith("}"):
        candidates.append((stripped, "", "json"))
    for fence in _FENCE.finditer(text):
        outside = (text[: fence.start()] + text[fence.end() :]).strip()
        candidates.append((fence.group(1), outside, "json_fence"))
    for candidate, outside, fmt in candidates:
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth: other formats next
            continue
        if not isinstance(data, dict) or not ({k.lower() for k in data} & set(ANSWER_KEYS + RATIONALE_KEYS)):
            continue
        found = _from_mapping(data, max_chars)
        return _make(found.rationale or outside, found.answer, fmt)
    return None


_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BRACE = re.compile(r"[{}]")


def _last_boxed(text: str) -> tuple[int, int, str] | None:
    """(start, end, content) of the last ``\\boxed{...}`` / ``\\fbox{...}`` whose braces close, honouring
    nested braces. Linear in the text: braces are matched in one pass (scanning forward from every box
    took over 30 s on 400,000 characters of nested boxes)."""
    opens = list(_BOX_OPEN.finditer(text))
    if not opens:
        return None
    closing = _matching_braces(text)
    for match in reversed(opens):
        close = closing.get(match.end() - 1)
        if close is not None:
            return match.start(), close + 1, text[match.end() : close]
    return None


def _matching_braces(text: str) -> dict[int, int]:
    """Offset of every ``{`` that closes -> offset of its ``}``."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for brace in _BRACE.finditer(text):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            pairs[stack.pop()] = brace.start()
    return pairs


# (format, pattern); group "ans" is the answer. Strongest first: the first format that matches wins.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hash_answer", re.compile(r"^[ \t]*####[ \t]*(?P<ans>[^\n]+)", re.MULTILINE)),
    ("final_answer", re.compile(r"\bfinal\s+answer\**\s*(?:is)?\s*[:：]?\**[ \t]*(?P<ans>[^\n]+)", re.IGNORECASE)),
    (
        "best_answer",  # also "The correct choice is **B. Jupiter**.", "the right option is (C)"
        re.compile(r"\bthe\s+(?:best|correct|right)\s+(?:answer|choice|option)\s+is\s*[:：]?[ \t]*(?P<ans>[^\n]+)",
                   re.IGNORECASE),
    ),
    (
        "answer_label",
        re.compile(r"^[ \t*#>-]*(?:answer|ans)\**[ \t]*(?:[:：]|[-–—](?=[ \t]))\**[ \t]*(?P<ans>[^\n]+)",
                   re.IGNORECASE | re.MULTILINE),
    ),
    ("answer_is", re.compile(r"\bthe\s+answer\s+is\s*[:：]?[ \t]*(?P<ans>[^\n]+)", re.IGNORECASE)),
)
# Lead-ins left at the end of the rationale once the answer is cut away ("So the final answer is $").
_LEAD_IN = re.compile(
    r"(?:[\s,;:$*(]|\b(?:so|thus|therefore|hence|then|and)\b|\bthe\s+(?:final\s+|best\s+|correct\s+)?answer\s+is\b)*\Z",
    re.IGNORECASE,
)


# "<answer>C</answer>", as templates of reasoning-tuned open models ask for (after "</think>" or on its own); an
# unclosed tag runs to the end of the text.
_ANSWER_TAG = re.compile(r"<answer>(?P<ans>.*?)(?:</answer>|\Z)", re.DOTALL | re.IGNORECASE)


def _from_markers(text: str) -> Extraction | None:
    tagged = None
    for tagged in _ANSWER_TAG.finditer(text):  # noqa: B007 - keeps the last match
        pass
    if tagged is not None:
        content = tagged.group("ans")
        inner = _from_markers(content) if "<answer>" not in content.lower() else None  # "<answer>\boxed{5}</answer>"
        answer = inner.answer if inner and inner.answer else _clean_answer(content)
        if answer:
            return _split_at(text, tagged.start(), tagged.end(), answer, "answer_tag")
    boxed = _last_boxed(text)
    if boxed:
        start, end, content = boxed
        return _split_at(text, start, end, content, "boxed")
    for fmt, pattern in _MARKERS:
        last = None
        for last in pattern.finditer(text):  # noqa: B007 - keeps the last match
            pass
        if last is not None:
            answer = _answer_from_marker(last.group("ans"), fmt)
            if answer:
                return _split_at(text, last.start(), last.end(), answer, fmt)
    return None


def _answer_from_marker(raw: str, fmt: str) -> str:
    boxed = _last_boxed(raw)
    if boxed:
        return _clean_answer(boxed[2])
    if fmt == "answer_is":  # "The answer is 42 because ..." -> "42": stop at the end of the sentence
        raw = re.split(r"(?<=[^\d\s])\.(?:\s|$)|\.\s|\s(?:because|since|as)\s", raw, maxsplit=1)[0]
    return _clean_answer(raw)


def _split_at(text: str, start: int, end: int, answer: str, fmt: str) -> Extraction:
    head, tail = text[: max(0, start - 200)], text[max(0, start - 200) : start]
    before = (head + _LEAD_IN.sub("", tail)).strip()  # only the tail: keeps the regex linear on huge inputs
    if not before:  # "Answer: B\nExplanation: ..." -- the answer comes first, the reasoning after it
        before = text[end:].strip()
    return _make(before, _clean_answer(answer) or None, fmt)


def _clean_answer(answer: str) -> str:
    answer = answer.strip().strip("*").strip()
    answer = re.sub(r"^\$+|\$+$", "", answer).strip()
    answer = re.sub(r"^\\\(|\\\)$", "", answer).strip()
    answer = re.sub(r"\\text\{([^{}]*)\}", r"\1", answer)
    answer = answer.rstrip(".").strip()
    return re.sub(r"^\(([A-Za-z])\)$", r"\1", answer)  # a bare option "(B)" -> "B"


def _make(rationale: str, answer: str | None, fmt: str) -> Extraction:
    return Extraction(rationale=rationale, answer=answer, steps=split_steps(rationale), format=fmt)


ExtractorFn = Callable[[Any], Extraction]
