"""Probe errors, under the project's one root :class:`guardrail.GuardrailError` (as the training errors are)."""

from __future__ import annotations

from guardrail import GuardrailError, InputError


class ProbeError(GuardrailError):
    """Root of the errors raised by the faithfulness probes."""


class BackendError(ProbeError):
    """A probe backend could not be built or failed to answer."""


class ProbeDataError(ProbeError, InputError):
    """The probe data file is missing or malformed."""
