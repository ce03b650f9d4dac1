"""Guard a locally served transformers model (e.g. your distilled student): pipeline or model.generate.

    python examples/local_transformers_guarded.py                      # offline stub: a tiny random GPT-2
    python examples/local_transformers_guarded.py --model ./my-student   # a local model directory (no hub)

The stub is a randomly initialised 1-layer GPT-2 with a word-level tokenizer built locally
(``examples/_tiny_gpt2.py``); its output is forced token by token (it knows nothing), so
the example shows the plumbing, not a model's quality.
Needs the ``train`` extra (torch, transformers); the runtime itself never imports them.
"""

from __future__ import annotations

import argparse

from _support import make_guard, show
from _tiny_gpt2 import build_tiny_gpt2, forced_generation

from guardrail import OutputBlocked, Policy
from guardrail.adapters import guard_generate, guard_pipeline

PROMPT = "Q: what is 6 * 7 ?"


def tiny_stub():
    """(model, tokenizer, generate kwargs per target text) for the offline stub."""
    model, tokenizer = build_tiny_gpt2(seed=0)
    return model, tokenizer, lambda text: forced_generation(tokenizer, PROMPT, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a local causal-LM directory (loaded with local_files_only=True)")
    parser.add_argument("--prompt", default=PROMPT)
    args = parser.parse_args()
    guard = make_guard(Policy(block_mode="raise"))

    if args.model:
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model, local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(args.model, local_files_only=True)
        generate = guard_generate(model, tokenizer, guard, max_new_tokens=512, do_sample=False)
        guarded = generate(args.prompt)
        show("generate", guarded, guarded.output)
        return

    model, tokenizer, forced = tiny_stub()
    import transformers

    pipe = guard_pipeline(transformers.pipeline("text-generation", model=model, tokenizer=tokenizer), guard)
    guarded = pipe(PROMPT, **forced("<think> 6 * 7 = 42 </think> Final answer: 42"))
    show("pipeline", guarded, guarded.output[0]["generated_text"])

    generate = guard_generate(model, tokenizer, guard)
    try:
        guarded = generate(PROMPT, **forced("<think> 6 * 7 = 42 </think> Final answer: 41"))
        show("generate", guarded, guarded.output)
    except OutputBlocked as blocked:
        print(f"--- blocked: {list(blocked.verdict.reasons)}; the model said: {blocked.original!r}")


if __name__ == "__main__":
    main()
