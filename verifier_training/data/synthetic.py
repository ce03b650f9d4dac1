"""Synthetic multiple choice with text options: "who is the oldest?" over people defined relative to each other.

The public sources have no multiple choice whose options are words (GSM8K's options are numbers, StrategyQA's
are Yes / No), yet real checks often are ("(A) Venus (B) Mercury"). There the verifier has to map the answer's
letter to its option's text and see which option the rationale settles on, while the rationale also names
the options it compares and rejects, often after the winner ("Cleo is older than Ben"). These questions are
made from templates with a seeded generator: every rationale computes each person's value, compares them in
a random order and phrasing, and settles on the one right option, so the label rules of ``perturb`` apply.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from .options import render_options
from .records import base_row

NAMES = (
    "Ana", "Ben", "Cleo", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kemal", "Lena", "Mateo",
    "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
)


@dataclass(frozen=True)
class Attribute:
    phrase: str  # "{n} is {v} years old"
    noun: str  # "Ben's age is 3 more than Ana's"
    most: str  # the question's superlative when the largest wins
    least: str
    more: str  # comparative: "{a} is older than {b}"
    less: str
    low: int
    high: int


ATTRIBUTES = (
    Attribute("{n} is {v} years old", "age", "Who is the oldest?", "Who is the youngest?", "is older",
              "is younger", 8, 40),
    Attribute("{n} is {v} cm tall", "height in cm", "Who is the tallest?", "Who is the shortest?", "is taller",
              "is shorter", 90, 150),
    Attribute("{n} has saved ${v}", "savings", "Who has saved the most money?", "Who has saved the least money?",
              "has saved more", "has saved less", 20, 300),
    Attribute("{n} ran {v} km this month", "distance", "Who ran the farthest this month?",
              "Who ran the shortest distance this month?", "ran farther", "ran a shorter distance", 10, 90),
    Attribute("{n} read {v} books this year", "book count", "Who read the most books this year?",
              "Who read the fewest books this year?", "read more books", "read fewer books", 4, 30),
)


def _relation(rng: random.Random, base: int) -> tuple[str, str, int]:
    """(how the question states it, how the rationale computes it, value) relative to the base person."""
    k = rng.randint(2, 9)
    forms = [
        (f"{k} more than", f"{base} + {k} = {base + k}", base + k),
        (f"{k} less than", f"{base} - {k} = {base - k}", base - k),
        ("twice as much as", f"2 x {base} = {2 * base}", 2 * base),
    ]
    if base % 2 == 0:
        forms.append(("half as much as", f"{base} / 2 = {base // 2}", base // 2))
    return rng.choice(forms)


def compare_question(rng: random.Random, number: int) -> dict | None:
    attribute = rng.choice(ATTRIBUTES)
    people = rng.sample(NAMES, rng.randint(3, 4))
    base = rng.randint(attribute.low, attribute.high)
    values = {people[0]: base}
    facts = [attribute.phrase.format(n=people[0], v=base) + "."]
    steps = [f"{people[0]}: {base}."]
    for person in people[1:]:
        stated, computed, value = _relation(rng, base)
        values[person] = value
        facts.append(f"{person}'s {attribute.noun} is {stated} {people[0]}'s.")
        steps.append(f"{person}: {computed}.")
    if len(set(values.values())) < len(values):
        return None  # a tie has no single right option
    want_most = rng.random() < 0.5
    ranked = sorted(values, key=values.get, reverse=want_most)
    winner = ranked[0]
    options = _options(people, rng)
    letter = next(k for k, v in options.items() if v == winner)
    layout = rng.choice(("inline_bare", "lines_paren", "lines_dot"))
    asked = attribute.most if want_most else attribute.least
    question = " ".join(facts) + " " + asked + render_options(options, layout)
    steps += _comparison(ranked, values, attribute, want_most, rng)
    return {
        "qid": f"compare-{number}",
        "question": question,
        "steps": steps,
        "answer": letter,
        "options": options,
    }


def _options(people: list[str], rng: random.Random) -> dict[str, str]:
    texts = list(people)
    if rng.random() < 0.3:
        texts.append(rng.choice(("They are tied", "Cannot be determined")))
    rng.shuffle(texts)
    return dict(zip("ABCDE", texts))


def _comparison(
    ranked: list[str], values: dict[str, int], attribute: Attribute, want_most: bool, rng: random.Random
) -> list[str]:
    """Compare the winner with the others, naming the losers after it as often as before it."""
    winner, rest = ranked[0], ranked[1:]
    word = attribute.more if want_most else attribute.less
    steps = []
    if rng.random() < 0.5:
        steps.append(f"{winner} ({values[winner]}) {word} than {rest[0]} ({values[rest[0]]}).")
    else:
        steps.append("Comparing: " + ", ".join(f"{p} {values[p]}" for p in rng.sample(ranked, len(ranked))) + ".")
    superlative = (attribute.most if want_most else attribute.least).rstrip("?").split(" ", 1)[1]
    steps.append(
        rng.choice(
            (
                f"So {winner} {superlative}.",
                f"{winner} {superlative}, ahead of {rest[0]}.",
                f"Neither {' nor '.join(rest)} beats {winner}, so it is {winner}.",
                f"It is not {rest[-1]} or {rest[0]}; {winner} {superlative}.",
            )
        )
    )
    return steps


def compare_examples(count: int, seed: int) -> Iterator[dict]:
    """``count`` comparison questions as base rows (source ``compare_mc``)."""
    for parts in read_compare(count, seed):
        yield base_row(parts["qid"], "compare_mc", parts["question"], parts["steps"], parts["answer"], "choice",
                       final=parts["answer"], options=parts["options"], value=None)


def read_compare(count: int, seed: int) -> Iterator[dict]:
    """``count`` questions; the seed makes them identical across runs."""
    rng = random.Random(f"compare:{seed}")
    made = attempt = 0
    while made < count:
        attempt += 1
        parts = compare_question(rng, attempt)
        if parts is not None:
            made += 1
            yield parts
