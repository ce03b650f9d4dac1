"""The option-list layouts the rule-made multiple-choice rows are written in (GSM8K, StrategyQA, comparisons)."""

from __future__ import annotations

from .formats import OptionFormat
from .formats import render_options as render_format


LAYOUTS = {  # the layouts the GSM8K / StrategyQA choice rows have always used, as formats.OptionFormat
    "inline": OptionFormat("paren", inline=True, header="Answer choices:"),
    "inline_bare": OptionFormat("paren", inline=True),
    "lines": OptionFormat("close"),
    "lines_paren": OptionFormat("paren"),
    "lines_dot": OptionFormat("dot", header="Options:"),
}


def render_options(options: dict[str, str], layout: str) -> str:
    """The option list as a question shows it, in one of several layouts (so no layout goes with a label).
    ``formats.py`` has the wider set the real-data rows draw from."""
    return render_format(options, LAYOUTS.get(layout, LAYOUTS["lines_dot"]))
