"""Build the judge's Messages API request from the versioned prompt spec (``prompts/audit_v1.md``).

The spec is read on first use, never at import. Untrusted text (question, rationale, answer) is
escaped and placed in tags whose names carry a fresh random nonce, so it cannot close its field or
open a new one; the trusted system prompt names the nonce and says the fields are data.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

from .._extract import replace_lone_surrogates
from .._types import CheckInput, Step
from ..reader import split_steps
from ._report import JudgeReport

PROMPT_VERSION = "audit_v1"
TOOL_NAME = "record_audit"
TOOL_DESCRIPTION = (
    "Record the audit of whether the rationale supports the final answer. Call exactly once."
)
_SECTION = re.compile(r"^<!-- section: (\w+) -->\n", re.MULTILINE)


@dataclass(frozen=True)
class PromptSpec:
    version: str
    system: Template
    user: Template


@functools.lru_cache(maxsize=4)
def load_spec(version: str = PROMPT_VERSION) -> PromptSpec:
    text = resources.files("guardrail._judge").joinpath("prompts", f"{version}.md").read_text("utf-8")
    sections = _split_sections(text)
    return PromptSpec(version=version, system=Template(sections["system"]), user=Template(sections["user"]))


def _split_sections(text: str) -> dict[str, str]:
    parts = _SECTION.split(text)  # [preamble, name1, body1, name2, body2, ...]
    sections = {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2])}
    missing = {"system", "user"} - sections.keys()
    if missing:
        raise ValueError(f"prompt spec lacks sections: {sorted(missing)}")
    return sections


@functools.lru_cache(maxsize=1)
def tool_schema() -> dict[str, Any]:
    """The tool definition; its input_schema is generated from :class:`JudgeReport`."""
    return {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": JudgeReport.model_json_schema()}


def escape(text: str) -> str:
    """Escape the characters that could form a tag, so field text can never close or open a field.
    Lone surrogates (undecodable bytes smuggled into a str) become U+FFFD so the request is valid JSON."""
    text = replace_lone_surrogates(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, *, keep_tail: bool) -> str:
    """Keep ``text`` within ``limit`` characters. Rationales keep their head and tail (the conclusion is
    at the end); other fields keep the head."""
    if len(text) <= limit:
        return text
    marker = f"\n[... {len(text) - limit} characters omitted ...]\n"
    if not keep_tail:
        return text[:limit] + marker
    head = limit // 3
    return text[:head] + marker + text[len(text) - (limit - head) :]


def steps_of(item: CheckInput) -> tuple[Step, ...]:
    return item.steps or split_steps(item.rationale)


def render_rationale(steps: tuple[Step, ...]) -> str:
    if not steps:
        return "(empty rationale)"
    return "\n".join(f"[#{step.index}] {step.text}" for step in steps)


@dataclass(frozen=True)
class JudgeRequest:
    """Everything sent for one item; ``nonce`` is kept so tests can check the structure."""

    nonce: str
    system: str
    user: str
    n_steps: int

    def create_kwargs(self, *, model: str, max_tokens: int, force_tool: bool) -> dict[str, Any]:
        choice = {"type": "tool", "name": TOOL_NAME} if force_tool else {"type": "auto"}
        return {
            "model": model,
            "max_tokens": max_tokens,
            "system": self.system,
            "messages": [{"role": "user", "content": self.user}],
            "tools": [tool_schema()],
            "tool_choice": choice,
        }


def build_request(item: CheckInput, *, max_field_chars: int, version: str = PROMPT_VERSION) -> JudgeRequest:
    spec = load_spec(version)
    nonce = secrets.token_hex(8)
    steps = steps_of(item)
    fields = {
        "question": escape(truncate(item.question, max_field_chars, keep_tail=False)),
        "rationale": escape(truncate(render_rationale(steps), max_field_chars, keep_tail=True)),
        "answer": escape(truncate(item.answer, max_field_chars, keep_tail=False)),
    }
    system = spec.system.substitute(nonce=nonce, tool_name=TOOL_NAME)
    user = spec.user.substitute(nonce=nonce, tool_name=TOOL_NAME, **fields)
    return JudgeRequest(nonce=nonce, system=system, user=user, n_steps=len(steps))
