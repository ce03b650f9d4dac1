"""Option and answer formats (verifier_training/data/formats.py) render what the reader parses back."""

from __future__ import annotations

import itertools
import random

import pytest

from guardrail.reader import parse_choice, parse_options
from verifier_training.data import formats
from verifier_training.data.options import render_options

OPTIONS = formats.lettered(["12 apples", "the red house", "3/4", "none of these"])
FORMATS = [
    formats.OptionFormat(style, inline, header)
    for style, inline, header in itertools.product(formats.OPTION_STYLES, (False, True), formats.HEADERS)
    if not (inline and style == "dash_paren")
]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f"{f.style}-{'inline' if f.inline else 'lines'}-{f.header}")
def test_rendered_options_parse_back(fmt):
    question = formats.with_options("Which one is it?", OPTIONS, fmt)
    assert parse_options(question) == OPTIONS
    for style in formats.ANSWER_STYLES:
        answer = formats.render_answer("C", OPTIONS, style, fmt)
        assert parse_choice(answer, OPTIONS) == "C", (style, answer)


def test_renderings_look_as_named():
    lines = formats.OptionFormat("tight", header="Options:")
    assert formats.render_options({"A": "x", "B": "y"}, lines) == "\nOptions:\nA)x\nB)y"
    inline = formats.OptionFormat("lower", inline=True, header="Answer Choices:")
    assert formats.render_options({"A": "x", "B": "y"}, inline) == " Answer Choices: a) x b) y"
    assert formats.render_answer("B", {"A": "x", "B": "y"}, "option", inline) == "Option b"
    assert formats.render_answer("B", {"A": "x", "B": "y"}, "letter_text") == "B) y"


def test_old_layouts_render_as_before():
    options = {"A": "1", "B": "2"}
    assert render_options(options, "inline") == " Answer choices: (A) 1 (B) 2"
    assert render_options(options, "inline_bare") == " (A) 1 (B) 2"
    assert render_options(options, "lines") == "\nA) 1\nB) 2"
    assert render_options(options, "lines_paren") == "\n(A) 1\n(B) 2"
    assert render_options(options, "lines_dot") == "\nOptions:\nA. 1\nB. 2"


def test_text_answers_are_not_drawn_when_two_options_share_a_text():
    rng = random.Random(0)
    styles = {formats.random_answer_style(rng, {"A": "same", "B": "Same", "C": "other"}) for _ in range(200)}
    assert "text" not in styles and styles == set(formats.ANSWER_STYLES) - {"text"}


def test_random_formats_cover_every_style_and_layout():
    rng = random.Random(0)
    drawn = [formats.random_format(rng) for _ in range(500)]
    assert {f.style for f in drawn} == set(formats.OPTION_STYLES)
    assert {f.inline for f in drawn} == {True, False}
    assert {f.header for f in drawn} == set(formats.HEADERS)


def test_bad_formats_are_refused():
    with pytest.raises(ValueError):
        formats.OptionFormat("dash_paren", inline=True)
    with pytest.raises(ValueError):
        formats.OptionFormat("roman")
    with pytest.raises(ValueError):
        formats.lettered([str(i) for i in range(17)])


@pytest.mark.parametrize("inline", (False, True))
def test_sixteen_options_parse_back(inline):
    options = formats.lettered([f"choice number {i}" for i in range(16)])
    question = formats.with_options("Pick one.", options, formats.OptionFormat("close", inline=inline))
    assert parse_options(question) == options
    assert parse_choice("(P)", options) == "P"
