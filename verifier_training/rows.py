"""The rows that cross stage boundaries, as frozen typed records, and the one way they are read and written.

``data`` writes :class:`BaseRow` (one consistent triple plus the ``meta`` perturb needs); ``perturb`` reads those
and writes :class:`Row` (a labelled triple); ``train``, ``evaluate`` and the export's parity check read rows.
Fields are declared in the order the JSONL files have always had, so writing a record gives the same bytes as
writing the dict did (``ensure_ascii=False``, no sorting). Readers keep only the fields they know: hand-made sets
(the challenge set's ``domain`` and ``note``) stay readable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from guardrail import CheckInput

from .errors import DataError

R = TypeVar("R", "Row", "BaseRow")


@dataclass(frozen=True, kw_only=True)
class Row:
    """A (question, rationale, answer) triple with its label (1 consistent, 0 not) and where it came from.
    Only the triple is required: parity items and hand-made sets may leave the rest out."""

    id: str | None = None
    qid: str | None = None
    source: str | None = None  # the family: gsm8k, strategyqa_claim, compare_mc, a real-data source, ...
    split: str | None = None
    question: str
    rationale: str
    answer: str
    label: int | None = None
    kind: str | None = None  # how the row was made: original, swap_small, filler, ...
    answer_type: str | None = None  # numeric, choice, yes_no, text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Row:
        known = {name: data[name] for name in _names(cls) if name in data}
        if known.get("label") is not None:
            known["label"] = int(known["label"])
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check_input(self, index: int) -> CheckInput:
        """The triple as the runtime checks it; a row without an id is named by its position in its file."""
        return CheckInput(id=str(index if self.id is None else self.id), question=self.question,
                          rationale=self.rationale, answer=self.answer)


@dataclass(frozen=True, kw_only=True)
class BaseRow:
    """What the data stage writes: a consistent triple (``label`` 1, ``kind`` original, unless an extra or real
    row brought its own label: then ``meta["fixed"]``) with the steps, options and values perturb works from."""

    qid: str
    source: str
    question: str
    rationale: str
    answer: str
    label: int
    kind: str
    answer_type: str
    meta: dict[str, Any] = field(default_factory=dict)
    split: str
    id: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaseRow:
        return cls(**{name: data[name] for name in _names(cls) if name in data})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # not asdict: meta is not copied deeply


def _names(record: type) -> list[str]:
    return [f.name for f in fields(record)]


def read_rows(path: str | Path, limit: int = 0, record: type[R] = Row) -> list[R]:  # type: ignore[assignment]
    """The records of a JSONL file (blank lines skipped), the first ``limit`` only if ``limit`` > 0. A line that
    is not JSON raises :class:`DataError` naming the file and the line."""
    raw = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw.append(json.loads(line))
            except ValueError as exc:
                raise DataError(f"{path} line {number} is not JSON: {exc}") from exc
    raw = raw[:limit] if limit else raw
    return [record.from_dict(data) for data in raw]


def write_rows(path: Path, rows: Iterable[Row | BaseRow]) -> int:
    """Write ``rows`` as JSONL, whole or not at all (a ``.partial`` file renamed at the end, so a reader never
    sees half a file); returns how many were written."""
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with open(partial, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    partial.replace(path)
    return count
