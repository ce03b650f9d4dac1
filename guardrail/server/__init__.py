"""``guardrail serve``: the guard over HTTP, for callers that are not Python (the ``server`` extra).

- ``POST /v1/check`` / ``/v1/check/batch``: the record of ``guardrail score`` for one item / many;
- ``POST /v1/chat/completions`` (OpenAI-compatible) and ``POST /v1/messages`` (Anthropic): guarding proxies
  in front of a configured upstream; point an unchanged SDK's ``base_url`` at the service;
- ``GET /healthz``, ``/readyz``, ``/metrics`` (Prometheus); OpenAPI docs at ``/docs``.

Importing this module imports FastAPI (nothing is loaded or started): ``create_app(ServerConfig(...))`` gives
the ASGI app, :func:`serve` runs it with uvicorn (graceful drain on SIGTERM / Ctrl-C), :func:`serve_in_thread`
runs it in a background thread (examples, tests).
"""

from ._app import create_app
from ._config import ServerConfig
from ._errors import (
    BadRequest,
    Blocked,
    BodyTooLarge,
    InvalidShape,
    NotReady,
    Overloaded,
    RequestTimeout,
    ServerError,
    Unauthorized,
    UpstreamError,
)
from ._serve import serve, serve_in_thread

__all__ = [
    "BadRequest",
    "Blocked",
    "BodyTooLarge",
    "InvalidShape",
    "NotReady",
    "Overloaded",
    "RequestTimeout",
    "ServerConfig",
    "ServerError",
    "Unauthorized",
    "UpstreamError",
    "create_app",
    "serve",
    "serve_in_thread",
]
