"""``verifier-train train --config configs/train_v2.json``: fine-tune the verifier (see :mod:`.loop`).

Registration is cheap (stdlib only); torch and transformers are imported when the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

from .config import TrainConfig


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` with a JSON value (``lr=3e-5``, ``base_model="tiny"``); bare words stay strings."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def load_config(path: Path, overrides: list[tuple[str, object]]) -> TrainConfig:
    config = TrainConfig.load(path)
    return replace(config, **dict(overrides)) if overrides else config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="fine-tune the MiniLM cross-encoder verifier")
    parser.add_argument("--config", type=Path, required=True, help="TrainConfig JSON (configs/train_v2.json)")
    parser.add_argument(
        "--set", dest="overrides", type=parse_override, action="append", default=[], metavar="KEY=VALUE",
        help="override one config field (repeatable), e.g. --set out_dir=runs/ckpt --set max_steps=50",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # On a shared CPU, OpenMP threads that spin while waiting burn the cycles the other thread needs
    # (measured: 8-15 s/step spinning vs 3-6 s/step passive under load). Must be set before torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from .loop import train

    out_dir = train(load_config(args.config, args.overrides))
    print(out_dir)
    return 0
