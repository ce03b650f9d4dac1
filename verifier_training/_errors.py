"""Errors raised by the training pipeline (not part of the runtime's GuardrailError tree)."""

from __future__ import annotations


class VerifierTrainingError(Exception):
    """Root of the errors raised by ``verifier_training``."""


class ExportError(VerifierTrainingError):
    """The ONNX export could not be produced."""


class ParityError(ExportError):
    """The exported ONNX model disagrees with the torch checkpoint beyond the tolerance."""
