"""The server's exceptions. All derive from :class:`ServerError`, itself a :class:`~guardrail.GuardrailError`;
each maps to one HTTP status (``status``) and a machine-readable ``code``."""

from __future__ import annotations

from typing import Any

from .._errors import GuardrailError


class ServerError(GuardrailError):
    """Root of the errors ``guardrail serve`` answers with; ``status`` is the HTTP status it answers with."""

    status = 500
    code = "server_error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class BadRequest(ServerError):
    """The request body is unusable: not UTF-8, not JSON, not the expected shape."""

    status = 400
    code = "invalid_request"


class InvalidShape(BadRequest):
    """JSON, but fields missing or of the wrong type."""

    status = 422
    code = "invalid_shape"


class Unauthorized(ServerError):
    status = 401
    code = "unauthorized"


class BodyTooLarge(ServerError):
    status = 413
    code = "body_too_large"


class Overloaded(ServerError):
    """The bounded queue is full: answer 429 with Retry-After, never wait."""

    status = 429
    code = "overloaded"


class NotReady(ServerError):
    """The model is still loading (or failed to load), or the server is draining: 503 with Retry-After."""

    status = 503
    code = "not_ready"


class RequestTimeout(ServerError):
    status = 504
    code = "timeout"


class Blocked(ServerError):
    """The policy blocked a proxied output and the server is configured to answer with an error."""

    status = 422
    code = "output_blocked"

    def __init__(self, message: str, *, verdict: Any = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class UpstreamError(ServerError):
    """The upstream model server could not be reached, timed out or answered with an error status."""

    status = 502
    code = "upstream_error"

    def __init__(
        self, message: str, *, status: int = 502, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body  # an upstream error answer, relayed as it came
        self.headers = headers or {}
