"""Guard Claude's extended thinking: the thinking is the rationale, the text blocks the answer.

    python examples/anthropic_guarded.py            # offline: a local fake server on 127.0.0.1
    ANTHROPIC_API_KEY=... python examples/anthropic_guarded.py   # the real API (model: $ANTHROPIC_MODEL)

The one-line change: ``create = guard_anthropic(client, guard)`` instead of ``client.messages.create``.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import nullcontext

import anthropic
from _support import FakeLLMServer, make_guard, show

from guardrail import OutputBlocked, Policy
from guardrail.adapters import guard_anthropic

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs are in the box?"


def request(question: str) -> dict:
    return {
        "model": os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-6"),
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": question}],
    }


def main() -> None:
    live = bool(os.environ.get("ANTHROPIC_API_KEY"))
    with nullcontext(None) if live else FakeLLMServer() as base_url:
        options = {"max_retries": 0} if live else {"base_url": base_url, "api_key": "offline", "max_retries": 0}
        guard = make_guard(Policy(block_mode="raise"))

        create = guard_anthropic(anthropic.Anthropic(**options), guard)
        guarded = create(**request(QUESTION))
        show("sync", guarded, guarded.output.content[-1].text)  # output is an anthropic.types.Message

        try:
            guarded = create(**request(QUESTION + " (inconsistent)"))
            show("inconsistent", guarded, guarded.output.content[-1].text)
        except OutputBlocked as blocked:  # the Message that was withheld is on blocked.original
            print(f"--- blocked: {list(blocked.verdict.reasons)}")

        async def run_async() -> None:
            acreate = guard_anthropic(anthropic.AsyncAnthropic(**options), guard)
            guarded = await acreate(**request(QUESTION))
            show("async", guarded, guarded.output.content[-1].text)

        asyncio.run(run_async())


if __name__ == "__main__":
    main()
