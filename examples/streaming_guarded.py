"""Guarded streaming: the rationale streams through as it arrives, the answer is held, checked, then
released, labelled, annotated or replaced by the fallback. A verdict always comes last.

    python examples/streaming_guarded.py              # offline: a local fake server
    ANTHROPIC_API_KEY=... python examples/streaming_guarded.py
"""

from __future__ import annotations

import asyncio
import os
from contextlib import nullcontext

import anthropic
import openai
from _support import FakeLLMServer, make_guard

from guardrail import Policy
from guardrail.adapters import guard_anthropic, guard_openai

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs are in the box?"


def consume(events) -> None:
    for event in events:
        if event.type == "rationale":
            print(event.text, end="", flush=True)
        elif event.type == "answer":
            print(f"\n[answer]\n{event.text}")
        else:
            print(f"[verdict] {event.verdict.action.value}: {list(event.verdict.reasons)}")


async def aconsume(stream) -> None:
    consume([event async for event in stream])


def main() -> None:
    live = bool(os.environ.get("ANTHROPIC_API_KEY"))
    guard = make_guard(Policy(block_mode="fallback"))
    with nullcontext(None) if live else FakeLLMServer() as url:
        options = {"max_retries": 0} if live else {"base_url": url, "api_key": "offline", "max_retries": 0}
        create = guard_anthropic(anthropic.Anthropic(**options), guard)
        for question in (QUESTION, QUESTION + " (inconsistent)"):
            print(f"=== anthropic: {question}")
            consume(
                create(
                    model=os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-6"),
                    max_tokens=2048,
                    thinking={"type": "enabled", "budget_tokens": 1024},
                    messages=[{"role": "user", "content": question}],
                    stream=True,
                )
            )
        if not live:  # the OpenAI-compatible streams, async: reasoning_content deltas and <think> tags
            acreate = guard_openai(openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="offline", max_retries=0), guard)

            async def run() -> None:
                for model in ("fake-reasoner", "fake-think-tags"):
                    print(f"=== openai-compatible {model}")
                    await aconsume(
                        await acreate(model=model, messages=[{"role": "user", "content": QUESTION}], stream=True)
                    )

            asyncio.run(run())


if __name__ == "__main__":
    main()
