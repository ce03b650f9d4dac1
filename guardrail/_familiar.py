"""Whether an input looks like what the verifier was trained on.

Both tiers learnt from English rationales (with LaTeX and math symbols). A rationale written mostly in another
script (Chinese, Cyrillic, Arabic, ...) gives the models tokens they never learnt to read, so a confident score
there would be a guess: the verifier pulls such scores into the judge band (as it does when the reader cannot
place the answer) and says why. Only letters count, so numbers, LaTeX and math symbols never make an input
unfamiliar; a few Greek letters in a formula do not either.
"""

from __future__ import annotations

import unicodedata

# at least this many letters before judging (a short answer-only rationale says too little), and this share of
# them outside the Latin script
_MIN_LETTERS = 20
_FOREIGN_SHARE = 0.5
# the models read a rationale's head and tail (the token budget), so that is what is looked at: a
# megabyte rationale costs what a short one does
_LOOKED_AT = 2000

UNFAMILIAR_REASON = "unfamiliar_input: most of the rationale is in a script the verifier was not trained on"


def is_unfamiliar(rationale: str) -> bool:
    """Whether most of the rationale's letters (at least ``_MIN_LETTERS`` of them) are not Latin script."""
    if len(rationale) > 2 * _LOOKED_AT:
        rationale = rationale[:_LOOKED_AT] + rationale[-_LOOKED_AT:]
    letters = foreign = 0
    for char in rationale:
        if char.isalpha():
            letters += 1
            if not (char.isascii() or unicodedata.name(char, "").startswith("LATIN")):
                foreign += 1
    return letters >= _MIN_LETTERS and foreign > _FOREIGN_SHARE * letters
