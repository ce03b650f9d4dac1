"""``verifier-train``: one subcommand per pipeline stage.

Each stage module exposes ``register(subparsers)`` which adds its parser and sets ``func`` to a callable
taking the parsed args and returning an exit code. Registration must stay cheap: heavy imports (torch,
transformers, optimum) happen inside the stage's ``func``, so ``verifier-train --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the pipeline order shown in --help.
STAGE_MODULES = (
    "verifier_training.data",
    "verifier_training.perturb",
    "verifier_training.train",
    "verifier_training.export",
    "verifier_training.recover",
    "verifier_training.evaluate",
    "verifier_training.probes.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifier-train", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="stage", required=True)
    for module_name in STAGE_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ._logging import configure_cli_logging

    args = build_parser().parse_args(argv)
    configure_cli_logging(verbose=getattr(args, "verbose", False))
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
