"""Which rationales count as unlike the training data (``guardrail._familiar``): letters, not symbols, decide."""

from __future__ import annotations

import pytest

from guardrail._familiar import is_unfamiliar


@pytest.mark.parametrize(
    ("rationale", "unfamiliar"),
    [
        ("小明原来有3个苹果，又买了4个，所以一共有3加4等于7个苹果。答案是7。", True),
        ("Сначала у Маши было 3 яблока. Потом она купила ещё 4. Значит, всего 7 яблок.", True),
        ("الجواب هو سبعة لأن ثلاثة زائد أربعة يساوي سبعة في المجموع", True),
        ("3 + 4 = 7. He has 7 apples.", False),
        ("Since sin θ = 1/2 and θ is acute, θ = 30°, so α = 2θ = 60 degrees.", False),  # Greek in formulas
        ("Der Bär läuft über die Straße, also ist die Antwort fünf.", False),  # Latin script with accents
        ("\\( x = \\frac{5}{2} \\) so \\boxed{\\tfrac52}", False),  # LaTeX commands are Latin letters
        ("答案是7", False),  # too few letters to judge
        ("Step 1: 12 × 3 = 36. Step 2: 36 − 4 = 32. 然后得到32。", False),  # a closing phrase in another script
    ],
)
def test_is_unfamiliar(rationale: str, unfamiliar: bool) -> None:
    assert is_unfamiliar(rationale) is unfamiliar


def test_only_the_head_and_tail_are_read():
    chinese = "小明原来有3个苹果，又买了4个，所以一共有3加4等于7个苹果。" * 200
    assert is_unfamiliar(chinese + " filler text" * 10 + chinese)
    assert not is_unfamiliar("English head of a long rationale. " * 100 + chinese * 5 + "So the answer is 7. " * 100)
