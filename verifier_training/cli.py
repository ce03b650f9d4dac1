"""``verifier-train``: one subcommand per pipeline stage.

Each stage module exposes ``register(subparsers)`` which adds its parser and sets ``func`` to a callable
taking the parsed args and returning an exit code. Registration must stay cheap: heavy imports (torch,
transformers, optimum) happen inside the stage's ``func``, so ``verifier-train --help`` is instant. Every
option's help shows its default.

Errors the user can fix (a missing config or data file, an invalid config, a model directory that cannot be
used) end the run with one line on stderr and exit 1; ``--verbose`` (where a stage has it) shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .cli_common import EXIT_ERROR
from .errors import VerifierTrainingError

# Order is the pipeline order shown in --help. One package per stage; ``recover`` belongs to export and
# ``validate`` to evaluate; the probes are a sibling product that registers its ``probe`` command here.
STAGE_MODULES = (
    "verifier_training.data",
    "verifier_training.perturb",
    "verifier_training.train",
    "verifier_training.export",
    "verifier_training.export.recover",
    "verifier_training.train.encoder",
    "verifier_training.export.semantic",
    "verifier_training.evaluate",
    "verifier_training.evaluate.validate",
    "verifier_probes.cli",
    "verifier_training.pipeline",
)


def build_parser() -> argparse.ArgumentParser:
    from guardrail.toolkit import HelpFormatter

    parser = argparse.ArgumentParser(
        prog="verifier-train", description=__doc__.splitlines()[0], formatter_class=HelpFormatter
    )
    subparsers = parser.add_subparsers(dest="stage", required=True)
    for module_name in STAGE_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for stage in subparsers.choices.values():  # one formatter for every stage, wherever it was registered
        stage.formatter_class = HelpFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    from guardrail import GuardrailError

    from ._logging import configure_cli_logging

    args = build_parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    configure_cli_logging(verbose=verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"verifier-train {args.stage}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, VerifierTrainingError, GuardrailError) as exc:
        if verbose:
            raise
        print(f"verifier-train {args.stage}: error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


def describe_error(exc: BaseException) -> str:
    """One line: a missing file by its name, anything else by its type and message."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    text = " ".join(str(exc).split()) or "no details"
    return text if isinstance(exc, VerifierTrainingError) else f"{type(exc).__name__}: {text}"


if __name__ == "__main__":
    sys.exit(main())
