"""Guard a local ``transformers`` model: a text-generation ``pipeline`` or a ``model.generate`` call.

For teams serving their own (distilled) student. Neither torch nor transformers is imported here: the wrappers
only call the pipeline, model and tokenizer they are given (``guardrail`` itself never imports them). The split
and the decisions are the runtime's: ``<think>...</think>`` (or a lone ``</think>``), JSON, "Final answer:",
``\\boxed{}``, ``####``... as for every adapter, then the :class:`~guardrail.Guard` and its policy. The question
is found by the one rule of :func:`~guardrail.question_from_call`: the prompt itself, or the last user message
of a chat prompt.

    guarded_pipe = guard_pipeline(pipeline("text-generation", model=model, tokenizer=tokenizer), guard)
    result = guarded_pipe("Q: 6 * 7?", max_new_tokens=256)   # Guarded; result.output is the pipeline's shape

    generate = guard_generate(model, tokenizer, guard, max_new_tokens=256)
    result = generate("Q: 6 * 7?")                            # Guarded; result.output is the completion text
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._extract import truncation_reasons
from .._question import ask, question_from_call
from .._types import Guarded
from ._common import Converted, Outcome, convert_parts, decide, guarded_candidates, rewrite_visible

if TYPE_CHECKING:
    from .._guard import Guard

FORMAT = "transformers"
Prompt = str | Sequence[Mapping[str, Any]]  # plain text, or chat messages


def guard_pipeline(
    pipe: Callable[..., Any], guard: Guard, *, question: Callable[[Prompt], str] = question_from_call
) -> Callable[..., Guarded]:
    """Wrap a text-generation pipeline: ``wrapped(prompt, **generate_kwargs) -> Guarded``.

    ``Guarded.output`` keeps the pipeline's own shape (``[{"generated_text": ...}]``, with the chat history
    for chat prompts) with the completion rewritten on label / annotate / block; ``original`` is untouched.
    Every returned sequence is checked (``num_return_sequences > 1``): each is rewritten for its own verdict,
    ``Guarded.verdicts`` holds one per sequence and ``verdict`` is the strictest; a block of any sequence
    raises :class:`~guardrail.OutputBlocked` unless the policy has a fallback.
    """

    @functools.wraps(pipe)
    def wrapped(prompt: Prompt, **kwargs: Any) -> Guarded:
        result = pipe(prompt, **kwargs)
        sequences = result if isinstance(result, list) and result else [result]
        asked = ask(question, prompt)
        outcomes = [_decide(guard, asked, _completion(prompt, seq), result) for seq in sequences]
        output = result
        if any(outcome.text is not None for outcome in outcomes):
            rebuilt = [_rebuild(prompt, seq, o) if o.text is not None else seq for seq, o in zip(sequences, outcomes)]
            output = rebuilt if sequences is result else rebuilt[0]
        return guarded_candidates(output, result, outcomes)

    return wrapped


def guard_generate(
    model: Any,
    tokenizer: Any,
    guard: Guard,
    *,
    question: Callable[[Prompt], str] = question_from_call,
    **generate_kwargs: Any,
) -> Callable[..., Guarded]:
    """A ``model.generate``-based callable: ``generate(prompt, **overrides) -> Guarded`` whose ``output`` is
    the completion text (prompt tokens cut off, special tokens skipped), rewritten per the policy. A generation
    that stopped at its token limit without an end-of-sequence token is incomplete: the verdict carries
    ``output_truncated`` and it never passes (:meth:`~guardrail.Policy.incomplete_action`)."""

    def generate(prompt: Prompt, **overrides: Any) -> Guarded:
        completion, finish_reason = generate_completion(model, tokenizer, prompt, **{**generate_kwargs, **overrides})
        reasons = truncation_reasons({"finish_reason": finish_reason})
        outcome = _decide(guard, ask(question, prompt), completion, completion, reasons)
        output = completion
        if outcome.text is not None:
            output = rewrite_visible(completion, outcome.text, outcome.verdict.action)
        return Guarded(output=output, original=completion, verdict=outcome.verdict, display=outcome.display)

    return generate


def generate_text(model: Any, tokenizer: Any, prompt: Prompt, **generate_kwargs: Any) -> str:
    """Run ``model.generate`` on one prompt and decode only the new tokens."""
    return generate_completion(model, tokenizer, prompt, **generate_kwargs)[0]


def generate_completion(model: Any, tokenizer: Any, prompt: Prompt, **generate_kwargs: Any) -> tuple[str, str]:
    """``(text, finish_reason)`` of ``model.generate`` on one prompt: the new tokens decoded, and ``"length"``
    when generation stopped at its token limit without an end-of-sequence token (the text may be cut off),
    else ``"stop"`` (OpenAI's names, which every adapter reads as ``output_truncated``)."""
    if isinstance(prompt, str):
        inputs = tokenizer(prompt, return_tensors="pt")
    else:
        ids = tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, return_tensors="pt")
        inputs = {"input_ids": ids}
    inputs = {key: value.to(model.device) for key, value in inputs.items()}
    prompt_length = inputs["input_ids"].shape[1]
    new_tokens = model.generate(**inputs, **generate_kwargs)[0, prompt_length:].tolist()
    text = tokenizer.decode(new_tokens, skip_special_tokens=True)
    return text, _finish_reason(model, tokenizer, new_tokens, prompt_length, generate_kwargs)


def _finish_reason(
    model: Any, tokenizer: Any, new_tokens: list[int], prompt_length: int, generate_kwargs: Mapping[str, Any]
) -> str:
    """``"length"`` when ``new_tokens`` fill the call's token limit (``max_new_tokens``, else ``max_length``,
    as ``generate`` resolves them from its config and kwargs) and do not end on an end-of-sequence token."""
    config = generate_kwargs.get("generation_config") or model.generation_config

    def setting(name: str) -> Any:  # a kwarg overrides the generation config, as in generate
        return generate_kwargs.get(name, getattr(config, name, None))

    max_new_tokens = setting("max_new_tokens")
    limit = max_new_tokens if max_new_tokens is not None else setting("max_length") - prompt_length
    eos = setting("eos_token_id")
    eos = eos if eos is not None else tokenizer.eos_token_id
    eos_ids = set(eos) if isinstance(eos, (list, tuple)) else {eos}
    ended = bool(new_tokens) and new_tokens[-1] in eos_ids
    return "length" if len(new_tokens) >= limit and not ended else "stop"


def _decide(guard: Guard, question: str, completion: str, original: Any, reasons: Sequence[str] = ()) -> Outcome:
    converted: Converted = convert_parts("", completion, format=FORMAT, reasons=reasons)
    return decide(guard, question, converted, original=original)


def _completion(prompt: Prompt, sequence: Any) -> str:
    """The generated text of one returned sequence, without the echoed prompt."""
    generated = sequence.get("generated_text", "") if isinstance(sequence, Mapping) else ""
    if isinstance(generated, list):  # chat prompt: the history with the new assistant turn last
        last = generated[-1] if generated else {}
        return last.get("content", "") if isinstance(last, Mapping) else ""
    if isinstance(prompt, str) and generated.startswith(prompt):  # return_full_text=True (the default)
        return generated[len(prompt) :]
    return generated if isinstance(generated, str) else ""


def _rebuild(prompt: Prompt, sequence: Any, outcome: Outcome) -> Any:
    """One returned sequence (``{"generated_text": ...}``) with its completion rewritten for ``outcome``."""
    completion = _completion(prompt, sequence)
    new_completion = rewrite_visible(completion, outcome.text or "", outcome.verdict.action)
    rebuilt = dict(sequence)
    generated = rebuilt.get("generated_text")
    if isinstance(generated, list):
        rebuilt["generated_text"] = [*generated[:-1], {**generated[-1], "content": new_completion}]
    elif isinstance(prompt, str) and prompt and isinstance(generated, str) and generated == prompt + completion:
        rebuilt["generated_text"] = prompt + new_completion
    else:
        rebuilt["generated_text"] = new_completion
    return rebuilt
