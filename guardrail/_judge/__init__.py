"""The optional Claude audit judge (extra ``claude``). Importing this package does not import anthropic."""

from ._client import DEFAULT_MODEL, ClaudeJudge
from ._prompt import PROMPT_VERSION, TOOL_NAME
from ._report import JudgeReport

__all__ = ["DEFAULT_MODEL", "PROMPT_VERSION", "TOOL_NAME", "ClaudeJudge", "JudgeReport"]
