"""``ServerConfig``: every setting of ``guardrail serve``, frozen, from defaults, a JSON/TOML file and flags."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._errors import GuardrailError
from .._policy import Policy


class ServerConfig(BaseModel):
    """Settings of the HTTP service. Secrets are never stored here: API keys and upstream credentials are
    read from the environment variables these settings name (``api_keys_env``, ``*_key_env``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    model_dir: str | None = None  # None: the shipped model (or $GUARDRAIL_MODEL_DIR)
    threads: int = Field(default=2, ge=1, le=64)  # onnxruntime intra-op threads
    onnx_batch_size: int = Field(default=32, ge=1)  # inputs per onnxruntime run
    policy: Policy = Policy()  # its block_mode is set by block_response

    judge: Literal["none", "claude"] = "none"  # "claude": escalate uncertain scores to ClaudeJudge.from_env()
    judge_band: tuple[float, float] = (0.2, 0.8)  # scores escalated to the judge

    # micro-batching: concurrent checks are gathered into one verifier call
    batch_wait_ms: float = Field(default=2.0, ge=0.0, le=2.0)  # at most this long for more items to arrive
    max_batch: int = Field(default=64, ge=1)  # items per gathered verifier call
    workers: int = Field(default=1, ge=1, le=64)  # inference threads (each call uses `threads` cores)

    # limits
    max_body_bytes: int = Field(default=4 << 20, ge=1024)  # 413 above this
    max_batch_items: int = Field(default=256, ge=1)  # items in one POST /v1/check/batch
    queue_size: int = Field(default=1024, ge=1)  # items waiting or being checked; above it: 429 + Retry-After
    retry_after_s: int = Field(default=1, ge=1)
    request_timeout_s: float = Field(default=30.0, gt=0.0)  # whole request, upstream call included: 504
    upstream_timeout_s: float = Field(default=60.0, gt=0.0)  # connect / between bytes from the upstream
    drain_timeout_s: float = Field(default=20.0, ge=0.0)  # graceful shutdown: wait this long for in-flight work

    # proxies
    openai_upstream: str | None = None  # e.g. "http://127.0.0.1:8001/v1" (vLLM, Ollama, OpenAI-compatible)
    anthropic_upstream: str | None = None  # e.g. "https://api.anthropic.com" (the /v1/messages is added)
    openai_key_env: str | None = "GUARDRAIL_UPSTREAM_OPENAI_KEY"  # upstream credential, read from this variable
    anthropic_key_env: str | None = "GUARDRAIL_UPSTREAM_ANTHROPIC_KEY"
    pass_through_auth: bool = True  # no credential in the env: forward the caller's (only without service keys)
    block_response: Literal["fallback", "error"] = "fallback"  # proxied block: the fallback text, or an error
    pass_rationale: bool = True  # stream the rationale as it arrives (the answer is always held)

    # security
    api_keys_env: str | None = "GUARDRAIL_API_KEYS"  # comma-separated service keys; unset or empty: no auth
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are listed
    log_text: bool = False  # never log user text unless asked

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, defaults: dict[str, Any] | None = None, **overrides: Any
    ) -> ServerConfig:
        """Settings from a JSON or TOML file (by suffix): ``defaults`` under it, ``overrides`` (those not
        ``None``) over it."""
        path = Path(path)
        try:
            raw = path.read_bytes()
            if path.suffix.lower() == ".toml":
                try:
                    import tomllib
                except ImportError as exc:  # Python 3.10
                    raise ValueError("TOML configs need Python 3.11 or later; use JSON") from exc
                data = tomllib.loads(raw.decode("utf-8"))
            else:
                data = json.loads(raw)
        except (OSError, ValueError) as exc:
            raise GuardrailError(f"cannot read the server config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise GuardrailError(f"the server config {path} must hold an object")
        given = {key: value for key, value in overrides.items() if value is not None}
        return cls.model_validate({**(defaults or {}), **data, **given})

    def api_keys(self) -> tuple[bytes, ...]:
        """The service API keys from the environment (read when the app is built, never logged)."""
        raw = os.environ.get(self.api_keys_env or "", "") if self.api_keys_env else ""
        return tuple(key.strip().encode() for key in raw.split(",") if key.strip())

    def upstream_key(self, provider: Literal["openai", "anthropic"]) -> str | None:
        name = self.openai_key_env if provider == "openai" else self.anthropic_key_env
        value = os.environ.get(name) if name else None
        return value or None
