"""Chain operators on GSM8K's calculator annotations: corrupt a step and carry the change forward.

GSM8K writes every computation as ``48/2 = <<48/2=24>>24``; ``data`` keeps the (expression, result) pairs
per step. Changing one result and re-evaluating every later expression with the new value gives a chain
that is arithmetically coherent but reaches another result: with the old answer kept it is inconsistent
(label 0), with the answer updated it is wrong but self-consistent (label 1: consistency is not
correctness).
"""

from __future__ import annotations

import ast
import operator
import random
from collections.abc import Sequence
from fractions import Fraction

from guardrail.reader import analyse, format_number, parse_number

from ._common import (
    Example,
    Variant,
    display_answer,
    render,
    replace_numbers,
    wrong_number,
)

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(expression: str) -> Fraction | None:
    """Exact value of a calculator expression ("48/2", "(5+3)*2", "12*0.2"); None if it is not plain arithmetic."""
    text = expression.replace(",", "").replace("$", "").replace("x", "*").replace("%", "/100").strip()
    try:
        return _eval(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, TypeError, RecursionError):
        return None


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _eval(node.right)
        if exponent.denominator != 1 or abs(exponent) > 6:
            raise ValueError("exponent")
        return _eval(node.left) ** int(exponent)
    raise ValueError("not arithmetic")


def _rounded(value: Fraction) -> str:
    return format_number(Fraction(round(value * 100), 100)) if value.denominator != 1 else format_number(value)


def propagate(example: Example, rng: random.Random, last_only: bool = False) -> tuple[list[str], str] | None:
    """Corrupt one computed result and re-evaluate the chain; returns (steps, new final) or None."""
    annotations = example.meta.get("annotations") or []
    positions = [(i, j) for i, pairs in enumerate(annotations) for j in range(len(pairs))]
    if not positions or (not last_only and len(positions) < 2):
        return None
    start = positions[-1] if last_only else rng.choice(positions[:-1])
    old = parse_number(annotations[start[0]][start[1]][1])
    if old is None:
        return None
    new = _corrupted(old, rng)
    mapping = {format_number(old): _rounded(new)}
    steps = example.steps
    for i in range(start[0], len(steps)):
        for j, (expression, result) in enumerate(annotations[i]):
            if (i, j) <= start:
                continue
            value, old_result = evaluate(replace_numbers(expression, mapping)), parse_number(result)
            if value is None or old_result is None:
                return None
            if _rounded(value) != format_number(old_result):
                mapping[format_number(old_result)] = _rounded(value)
        steps[i] = replace_numbers(steps[i], mapping)
    new_final = mapping.get(example.final)
    if new_final is None or new_final == example.final:
        return None
    return steps, new_final


def _corrupted(value: Fraction, rng: random.Random) -> Fraction:
    delta = rng.choice((1, 2, 3, 4, 5, -1, -2))
    candidate = value + delta if value.denominator == 1 else value + Fraction(delta, 2)
    if candidate <= 0 or candidate == value:
        candidate = value + abs(delta) + 1
    return candidate


def propagated(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """Label 0: an early step corrupted and the chain follows it; the original answer is kept."""
    return _chain_variant(example, rng, keep_answer=True, last_only=False)


def last_step_changed(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """Label 0: the last computation's result changed; the original answer is kept."""
    if example.meta.get("annotations"):
        return _chain_variant(example, rng, keep_answer=True, last_only=True)
    steps = example.steps
    new = wrong_number(example, rng, pool, "small") if example.answer_type == "numeric" else None
    if new is None or not steps:
        return None
    steps[-1] = replace_numbers(steps[-1], {example.final: new})
    rationale = render(steps, rng)
    if analyse("", rationale, new).conclusion != new:
        return None
    answer = display_answer(example, example.final, rng, reformat=rng.random() < 0.25)
    return Variant("last_step_changed", 0, [rationale], answer, example.question, keep_style=True)


def self_consistent(example: Example, rng: random.Random, pool: Sequence[Example]) -> Variant | None:
    """Label 1: the corrupted chain with the answer updated to its new result (wrong but consistent)."""
    return _chain_variant(example, rng, keep_answer=False, last_only=rng.random() < 0.3)


def _chain_variant(example: Example, rng: random.Random, keep_answer: bool, last_only: bool) -> Variant | None:
    if example.answer_type not in ("numeric", "choice"):
        return None
    result = propagate(_numeric_view(example), rng, last_only=last_only)
    if result is None:
        return None
    steps, new_value = result
    rationale = render(steps, rng)
    if analyse("", rationale, new_value).conclusion != new_value:
        return None
    kind = ("last_step_changed" if last_only else "propagated") if keep_answer else "self_consistent"
    if example.answer_type == "numeric":
        value = example.final if keep_answer else new_value
        return _rewritten_chain(example, rng, kind, keep_answer, rationale, value, example.question)
    return _choice_chain(example, rng, rationale, new_value, keep_answer, kind)


def _choice_chain(
    example: Example, rng: random.Random, rationale: str, new_value: str, keep_answer: bool, kind: str
) -> Variant | None:
    """Multiple choice: the new result replaces a distractor so the wrong chain lands on an option."""
    options = dict(example.meta["options"])
    spare = [k for k in options if k != example.final]
    if not spare:
        return None
    holder = [k for k, text in options.items() if text == new_value]
    if holder:  # the new result already is an option (a near-miss distractor): no duplicate options
        answer_letter = example.final if keep_answer else holder[0]
        return _rewritten_chain(example, rng, kind, keep_answer, rationale, answer_letter, example.question)
    letter = rng.choice(spare)
    options[letter] = new_value
    question = example.question
    old_text = example.meta["options"][letter]
    for opener, closer in (("(", ") "), ("", ") "), ("", ". ")):
        pattern = f"{opener}{letter}{closer}{old_text}"
        if pattern in question:
            question = question.replace(pattern, f"{opener}{letter}{closer}{new_value}", 1)
            break
    else:
        return None
    answer_letter = example.final if keep_answer else letter
    return _rewritten_chain(example, rng, kind, keep_answer, rationale, answer_letter, question)


def _rewritten_chain(
    example: Example, rng: random.Random, kind: str, keep_answer: bool, rationale: str, answer: str, question: str
) -> Variant:
    """A rewritten chain: keeping the old answer makes it inconsistent (0), answering its new result consistent (1)."""
    return Variant(
        kind,
        0 if keep_answer else 1,
        [rationale],
        display_answer(example, answer, rng, rng.random() < 0.25),
        question,
        keep_style=True,
    )


def _numeric_view(example: Example) -> Example:
    """A choice example seen as its underlying numeric question (the final is the option's value)."""
    if example.answer_type == "numeric":
        return example
    row = dict(example.row, answer_type="numeric")
    row["meta"] = dict(example.meta, final=example.meta["value"])
    return Example(row)
