"""The command line shared by the benchmarks that score test-split items of the training sources."""

from __future__ import annotations

import argparse

from guardrail import OnnxVerifier
from verifier_training.data import SOURCES


def parser(description: str | None, items_help: str) -> argparse.ArgumentParser:
    """``--model``, ``--items``, ``--sources``, ``--threads``; a benchmark adds its own options."""
    found = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--model", default=None, help="model directory (default: the shipped verifier)")
    found.add_argument("--items", type=int, default=300, help=items_help)
    found.add_argument("--sources", default=str(SOURCES), help="verifier_training sources folder")
    found.add_argument("--threads", type=int, default=2)
    return found


def verifier(model: str | None, threads: int) -> OnnxVerifier:
    """The verifier in ``model`` (None: the shipped one)."""
    return OnnxVerifier(model, threads=threads)
