"""Guard an OpenAI-compatible reasoning model (OpenAI, vLLM, DeepSeek, llama.cpp server, ...).

    python examples/openai_compatible_guarded.py                     # offline: a local fake server
    OPENAI_BASE_URL=http://localhost:8000/v1 OPENAI_API_KEY=x OPENAI_MODEL=deepseek-r1 \
        python examples/openai_compatible_guarded.py                 # a real server

The rationale comes from ``message.reasoning_content`` / ``message.reasoning`` or ``<think>`` tags in content.
"""

from __future__ import annotations

import os
from contextlib import nullcontext

import openai
from _support import FakeLLMServer, make_guard, show

from guardrail import Policy
from guardrail.adapters import guard_openai

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs are in the box?"


def main() -> None:
    live = bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))
    with nullcontext(os.environ.get("OPENAI_BASE_URL")) if live else FakeLLMServer() as server:
        options = {"max_retries": 0} if live else {"base_url": f"{server}/v1", "api_key": "offline", "max_retries": 0}
        guard = make_guard(Policy(block_mode="fallback"))
        create = guard_openai(openai.OpenAI(**options), guard)
        models = [os.environ.get("OPENAI_MODEL", "gpt-5")] if live else ["fake-reasoner", "fake-think-tags"]
        for model in models:
            for question in (QUESTION, QUESTION + " (inconsistent)"):
                guarded = create(model=model, messages=[{"role": "user", "content": question}])
                show(model, guarded, guarded.output.choices[0].message.content)  # a ChatCompletion


if __name__ == "__main__":
    main()
