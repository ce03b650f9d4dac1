"""The surface the runtime shares with tools built on it: training, export, benchmarks and examples.

``guardrail`` (the package root) is the API for guarding generations. This module is the second, narrower
contract, for code that *makes* or *inspects* verifier models and wants to stay byte-compatible with the
runtime: how a (question, rationale, answer) triple becomes model input, what a model directory's manifest
holds and how it is verified, and the command-line conventions the project's CLIs share. The answer reader
has its own public package, :mod:`guardrail.reader`.

Everything here is stable within a minor version. Nothing below ``guardrail._*`` is: import from here, from
``guardrail``, ``guardrail.reader`` or the public packages ``guardrail.adapters`` / ``.audit`` / ``.server``
(``tests/test_runtime_boundary.py`` checks that ``verifier_training``, ``benchmarks`` and ``examples`` do).

==========================  ===============================================================================
``INPUT_FORMAT``            the input format new models are trained on (``"rg-v2"``)
``INPUT_FORMATS``           every format this version can encode
``encode_batch``            int64 ``input_ids`` / ``attention_mask`` / ``token_type_ids`` for a batch
``encode_batch_analysed``   the same, plus the reader's analyses behind the feature words
``build_segments``          the two text segments of one item, untruncated (for inspection)
``ModelManifest``           a model directory's ``manifest.json``
``MANIFEST_NAME``           its file name
``write_manifest``          write it (hashing the files it names)
``read_manifest``           read it without checking hashes
``load_verified_manifest``  read it and check every file's hash
``shrink_unplaced``         the runtime's pull toward 0.5 when the reader cannot place the answer
``SemanticSpec``            the manifest's section for the second local tier (sentence encoder + weights)
``semantic_tier_for``       that tier's embedding path from an encoder's two files (to build and fit one)
``clip_margin``             that tier's clipping of its evidence to the range its fit saw
``configure_cli_logging``   the CLIs' structlog setup (console or JSON on stderr)
``HelpFormatter``           the CLIs' argparse help style (defaults shown where there is one)
==========================  ===============================================================================
"""

from __future__ import annotations

from ._arguments import HelpFormatter
from ._encoding import INPUT_FORMAT, INPUT_FORMATS, build_segments, encode_batch, encode_batch_analysed
from ._logging import configure_cli_logging
from ._manifest import (
    MANIFEST_NAME,
    ModelManifest,
    SemanticSpec,
    load_verified_manifest,
    read_manifest,
    write_manifest,
)
from ._onnx import semantic_tier_for, shrink_unplaced
from ._semantic import clip_margin

__all__ = [
    "HelpFormatter",
    "INPUT_FORMAT",
    "INPUT_FORMATS",
    "MANIFEST_NAME",
    "ModelManifest",
    "SemanticSpec",
    "build_segments",
    "clip_margin",
    "configure_cli_logging",
    "encode_batch",
    "encode_batch_analysed",
    "load_verified_manifest",
    "read_manifest",
    "semantic_tier_for",
    "shrink_unplaced",
    "write_manifest",
]
