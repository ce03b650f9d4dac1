"""Guard a locally served transformers model (e.g. your distilled student): pipeline or model.generate.

    python examples/local_transformers_guarded.py                      # offline stub: a tiny random GPT-2
    python examples/local_transformers_guarded.py --model ./my-student   # a local model directory (no hub)

The stub is a randomly initialised 1-layer GPT-2 with a word-level tokenizer built here; its output is
forced token by token (it knows nothing), so the example shows the plumbing, not a model's quality.
Needs the ``train`` extra (torch, transformers); the runtime itself never imports them.
"""

from __future__ import annotations

import argparse

from _support import make_guard, show

from guardrail import OutputBlocked, Policy
from verifier_training.hf_adapter import guard_generate, guard_pipeline

PROMPT = "Q: what is 6 * 7 ?"
WORDS = [
    "[UNK]",
    "[PAD]",
    "[EOS]",
    "<think>",
    "</think>",
    "Q:",
    "what",
    "is",
    "6",
    "*",
    "7",
    "?",
    "=",
    "42",
    "41",
    "Final",
    "answer:",
]


def tiny_stub():
    """(model, tokenizer, generate kwargs per target text) for the offline stub."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(WORDS), n_positions=64, n_embd=32, n_layer=1, n_head=2, eos_token_id=2, pad_token_id=1
    )
    model = transformers.GPT2LMHeadModel(config).eval()

    def forced(text: str) -> dict:
        prompt_len = len(tokenizer(PROMPT)["input_ids"])
        target = tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]
        allowed = lambda batch_id, ids: [target[min(ids.shape[-1] - prompt_len, len(target) - 1)]]  # noqa: E731
        return {
            "prefix_allowed_tokens_fn": allowed,
            "do_sample": False,
            "max_new_tokens": len(target),
            "pad_token_id": tokenizer.pad_token_id,
        }

    return model, tokenizer, forced


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
