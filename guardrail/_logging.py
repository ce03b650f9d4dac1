"""Logging setup for the ``guardrail`` CLI only. Library code never calls this: it just calls
``structlog.get_logger()`` and leaves configuration to the host application.

Events go to stderr (stdout carries the JSONL results). Default level is WARNING so a long ``score`` run
prints only problems; ``--verbose`` shows every ``guardrail.verdict`` event, ``--log-json`` renders JSON lines.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_cli_logging(verbose: bool = False, json_logs: bool = False) -> None:
    level = logging.INFO if verbose else logging.WARNING
    renderer = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso" if json_logs else "%H:%M:%S"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
