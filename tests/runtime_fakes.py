"""Fake verifiers and example outputs shared by the runtime tests (import: ``from runtime_fakes import ...``).

- ``FixedVerifier(score)``: every input gets ``score``.
- ``MappedVerifier(fn)``: ``fn(CheckInput) -> float | None | Exception``; ``None`` -> per-item error opinion,
  an exception instance -> the whole batch raises it.
- ``FailingVerifier(exc)``: every call raises ``exc`` (default ``VerifierError``).
- ``AsyncFixedVerifier(score)``: like FixedVerifier, plus ``async acall`` (records ``acalls``).
All record the batches they were called with in ``.calls``.
- ``EXAMPLES``: (question, output, expected answer, expected extraction format), one per text shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from guardrail import CheckInput, Opinion, VerifierError

# --- fake verifiers -------------------------------------------------------------------------------------


class MappedVerifier:
    """A Verifier whose score per input comes from ``fn``; records every batch in ``calls``."""

    def __init__(self, fn: Callable[[CheckInput], float | None | Exception], name: str = "fake") -> None:
        self.fn = fn
        self.name = name
        self.calls: list[list[CheckInput]] = []

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        self.calls.append(list(items))
        opinions = []
        for item in items:
            score = self.fn(item)
            if isinstance(score, Exception):
                raise score
            if score is None:
                opinions.append(Opinion(verifier=self.name, consistency=None, error="fake per-item failure"))
            else:
                opinions.append(
                    Opinion(
                        verifier=self.name,
                        consistency=score,
                        model_id="fake-model",
                        model_version="0",
                        flagged_steps=(0,) if score < 0.5 else (),
                    )
                )
        return opinions


class FixedVerifier(MappedVerifier):
    def __init__(self, score: float, name: str = "fake") -> None:
        super().__init__(lambda _item: score, name)


class FailingVerifier(MappedVerifier):
    def __init__(self, exc: Exception | None = None, name: str = "fake") -> None:
        error = exc or VerifierError("fake verifier is down")
        super().__init__(lambda _item: error, name)


# --- example outputs, one per extraction shape ----------------------------------------------------------

GSM_Q = "Tom has 3 apples and buys 4 more. How many apples does he have?"
EXAMPLES = [
    (GSM_Q, "<think>3 + 4 = 7.\nHe has 7 apples.</think>\nThe answer is 7.", "7", "think_tags"),
    (GSM_Q, "He starts with 3.\n3 + 4 = 7.\n#### 7", "7", "hash_answer"),
    (GSM_Q, "3 + 4 = 7.\nSo the final answer is $\\boxed{7}$.", "7", "boxed"),
    ("Simplify.", "We divide.\nThe result is \\boxed{\\frac{1}{2}}", "\\frac{1}{2}", "boxed"),
    (GSM_Q, "3 + 4 = 7.\nFinal answer: 7", "7", "final_answer"),
    (GSM_Q, "3 + 4 = 7. Thus the answer is 7.", "7", "answer_is"),
    (GSM_Q, "3 + 4 = 7.\nAnswer: 7", "7", "answer_label"),
    ("Which is largest? (A) 2 (B) 9 (C) 5", "9 beats 2 and 5.\nThe best answer is: (B)", "B", "best_answer"),
    (GSM_Q, '{"reasoning": "3 + 4 = 7.", "answer": 7}', "7", "json"),
    (GSM_Q, 'Here you go:\n```json\n{"explanation": "3 + 4 = 7.", "final_answer": "7"}\n```', "7", "json_fence"),
]


class AsyncFixedVerifier(FixedVerifier):
    def __init__(self, score: float, name: str = "fake-async") -> None:
        super().__init__(score, name)
        self.acalls = 0

    async def acall(self, items: Sequence[CheckInput]) -> list[Opinion]:
        self.acalls += 1
        await asyncio.sleep(0)
        return self(items)
