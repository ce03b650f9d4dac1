"""``guardrail serve`` as a guarding proxy, end to end and offline: the local fake LLM server plays the
upstream (vLLM / Ollama / any OpenAI-compatible server, and the Anthropic Messages API), the service runs in
a background thread, and unchanged SDK clients only get a new ``base_url``.

    pip install ".[server,openai,claude]"
    python examples/proxy_guarded.py

The same as a standalone service:

    guardrail serve --port 8080 --upstream-openai http://127.0.0.1:8000/v1
    curl -s localhost:8080/v1/check -d '{"question": "6*7?", "rationale": "6*7 = 42", "answer": "42"}'
"""

from __future__ import annotations

import anthropic
import httpx
import openai
from _support import REASONING, FakeLLMServer

from guardrail.toolkit import configure_cli_logging
from guardrail.server import ServerConfig, create_app, serve_in_thread

QUESTION = "A box holds 6 rows of 7 eggs. How many eggs are in the box?"


def main() -> None:
    configure_cli_logging()  # scripts configure logging; the library never does
    with FakeLLMServer() as upstream:
        config = ServerConfig(openai_upstream=f"{upstream}/v1", anthropic_upstream=upstream)
        with serve_in_thread(create_app(config)) as service:
            print(f"upstream {upstream}, guarding service {service}\n")

            # 1. the check API: the record of `guardrail score`
            record = httpx.post(f"{service}/v1/check", json={
                "id": "q1", "question": QUESTION, "rationale": "".join(REASONING), "answer": "42"}).json()
            print("POST /v1/check ->", {k: record[k] for k in ("id", "action", "consistency", "reasons")})

            # 2. the OpenAI SDK, pointed at the service
            client = openai.OpenAI(base_url=f"{service}/v1", api_key="unused-offline", max_retries=0)
            for question in (QUESTION, QUESTION + " (inconsistent)"):
                raw = client.chat.completions.with_raw_response.create(
                    model="fake-reasoner", messages=[{"role": "user", "content": question}])
                reply = raw.parse()
                print(f"\nOpenAI: x-guardrail-action={raw.headers['x-guardrail-action']} "
                      f"consistency={raw.headers['x-guardrail-consistency']}")
                print("  content:", reply.choices[0].message.content.replace("\n", " | "))

            # 3. streaming: the reasoning flows, the answer arrives only after the verdict
            print("\nOpenAI stream:")
            stream = client.chat.completions.create(
                model="fake-reasoner", messages=[{"role": "user", "content": QUESTION}], stream=True)
            for chunk in stream:
                verdict = (chunk.model_extra or {}).get("guardrail")
                for choice in chunk.choices:
                    reasoning = (choice.delta.model_extra or {}).get("reasoning_content")
                    if reasoning:
                        print("  rationale:", reasoning.strip())
                    if choice.delta.content:
                        print("  answer:   ", choice.delta.content.replace("\n", " | "))
                if verdict:
                    print("  verdict:  ", verdict["action"], round(verdict["consistency"], 3))

            # 4. the Anthropic SDK (thinking blocks), same rules
            claude = anthropic.Anthropic(base_url=service, api_key="unused-offline", max_retries=0)
            message = claude.messages.create(model="fake-claude", max_tokens=512,
                                             messages=[{"role": "user", "content": QUESTION + " (inconsistent)"}])
            print("\nAnthropic:", message.model_extra["guardrail"]["action"], "->", message.content[-1].text)


if __name__ == "__main__":
    main()
