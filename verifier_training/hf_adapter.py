"""Guard a local ``transformers`` model: a text-generation ``pipeline`` or a ``model.generate`` call.

For teams serving their own (distilled) student. It lives here, outside the runtime's import path, because
it touches transformers/torch; ``guardrail`` itself never imports them. The split and the decisions are the
runtime's: ``<think>...</think>`` (or a lone ``</think>``), JSON, "Final answer:", ``\\boxed{}``, ``####``...
via :mod:`guardrail.adapters`, then the :class:`~guardrail.Guard` and its policy.

    guarded_pipe = guard_pipeline(pipeline("text-generation", model=model, tokenizer=tokenizer), guard)
    result = guarded_pipe("Q: 6 * 7?", max_new_tokens=256)   # Guarded; result.output is the pipeline's shape

    generate = guard_generate(model, tokenizer, guard, max_new_tokens=256)
    result = generate("Q: 6 * 7?")                            # Guarded; result.output is the completion text
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrail import Guarded
from guardrail.adapters._common import Converted, Outcome, convert_parts, decide, rewrite_visible

FORMAT = "transformers"
Prompt = str | Sequence[Mapping[str, Any]]  # plain text, or chat messages


def prompt_question(prompt: Prompt) -> str:
    """Default question: the prompt itself, or the last user message of a chat prompt."""
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content") for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else ""


def guard_pipeline(
    pipe: Callable[..., Any], guard: Any, *, question: Callable[[Prompt], str] = prompt_question
) -> Callable[..., Guarded]:
    """Wrap a text-generation pipeline: ``wrapped(prompt, **generate_kwargs) -> Guarded``.

    ``Guarded.output`` keeps the pipeline's own shape (``[{"generated_text": ...}]``, with the chat history
    for chat prompts) with the completion rewritten on label / annotate / block; ``original`` is untouched.
    Only the first returned sequence is checked (``num_return_sequences > 1``: the others are left as is).
    """

    @functools.wraps(pipe)
    def wrapped(prompt: Prompt, **kwargs: Any) -> Guarded:
        result = pipe(prompt, **kwargs)
        completion = _completion(prompt, result)
        outcome = _decide(guard, question(prompt), completion, result)
        output = result if outcome.text is None else _rebuild(prompt, result, completion, outcome)
        return Guarded(output=output, original=result, verdict=outcome.verdict, display=outcome.display)

    return wrapped


def guard_generate(
    model: Any,
    tokenizer: Any,
    guard: Any,
    *,
    question: Callable[[Prompt], str] = prompt_question,
    **generate_kwargs: Any,
) -> Callable[..., Guarded]:
    """A ``model.generate``-based callable: ``generate(prompt, **overrides) -> Guarded`` whose ``output`` is
    the completion text (prompt tokens cut off, special tokens skipped), rewritten per the policy."""

    def generate(prompt: Prompt, **overrides: Any) -> Guarded:
        completion = generate_text(model, tokenizer, prompt, **{**generate_kwargs, **overrides})
        outcome = _decide(guard, question(prompt), completion, completion)
        output = completion
        if outcome.text is not None:
            output = rewrite_visible(completion, outcome.text, outcome.verdict.action)
        return Guarded(output=output, original=completion, verdict=outcome.verdict, display=outcome.display)

    return generate


def generate_text(model: Any, tokenizer: Any, prompt: Prompt, **generate_kwargs: Any) -> str:
    """Run ``model.generate`` on one prompt and decode only the new tokens."""
    if isinstance(prompt, str):
        inputs = tokenizer(prompt, return_tensors="pt")
    else:
        ids = tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, return_tensors="pt")
        inputs = {"input_ids": ids}
    inputs = {key: value.to(model.device) for key, value in inputs.items()}
    output = model.generate(**inputs, **generate_kwargs)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def _decide(guard: Any, question: str, completion: str, original: Any) -> Outcome:
    converted: Converted = convert_parts("", completion, format=FORMAT)
    return decide(guard, question, converted, original=original)


def _completion(prompt: Prompt, result: Any) -> str:
    """The generated text of the first sequence, without the echoed prompt."""
    first = result[0] if isinstance(result, list) and result else result
    generated = first.get("generated_text", "") if isinstance(first, Mapping) else ""
    if isinstance(generated, list):  # chat prompt: the history with the new assistant turn last
        last = generated[-1] if generated else {}
        return last.get("content", "") if isinstance(last, Mapping) else ""
    if isinstance(prompt, str) and generated.startswith(prompt):  # return_full_text=True (the default)
        return generated[len(prompt) :]
    return generated if isinstance(generated, str) else ""


def _rebuild(prompt: Prompt, result: Any, completion: str, outcome: Outcome) -> Any:
    new_completion = rewrite_visible(completion, outcome.text or "", outcome.verdict.action)
    first = dict(result[0])
    generated = first.get("generated_text")
    if isinstance(generated, list):
        first["generated_text"] = [*generated[:-1], {**generated[-1], "content": new_completion}]
    elif isinstance(prompt, str) and prompt and isinstance(generated, str) and generated == prompt + completion:
        first["generated_text"] = prompt + new_completion
    else:
        first["generated_text"] = new_completion
    return [first, *result[1:]]
