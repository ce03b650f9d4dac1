"""Rows -> records, with the record builder of ``guardrail score`` (:mod:`guardrail._records`: one contract,
one builder)."""

from __future__ import annotations

import time
from typing import Any

from .. import _records
from .._policy import Policy
from .._records import BOM, Parsed
from .._types import Action
from ._options import ROWS_PER_CALL



def record_keys() -> tuple[str, ...]:
    return _records.RECORD_KEYS


def parse_lines(data: bytes, first_line: int, label: str | None) -> list[Parsed]:
    """The lines of one JSONL part, parsed as ``guardrail score`` parses them (``first_line`` is the number of
    the part's first line in its file). Blank lines are skipped, a BOM on line 1 is accepted. With ``label``
    (several input files), the fallback id ``line-N`` becomes ``LABEL:line-N`` so it stays unique."""
    parse_line = _records.parse_line
    parsed: list[Parsed] = []
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    for offset, raw in enumerate(pieces):
        number = first_line + offset
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if not raw.strip():
            continue
        echo, item, error = parse_line(raw + b"\n", number)
        if label and echo == f"line-{number}":
            echo = f"{label}:line-{number}"
        parsed.append((echo, item, error))
    return parsed


def parse_row(row: Any, number: int | None, label: str | None) -> Parsed:
    """One row of a table (Parquet, a Ray Dataset) as ``guardrail score`` takes one parsed JSON line: a NaN or
    infinite number is an error, the id is echoed as given (else ``row-N``, or null where rows have no
    number). Null fields count as absent."""
    fallback = None if number is None else (f"{label}:row-{number}" if label else f"row-{number}")
    if not isinstance(row, dict):
        return fallback, None, f"input_error: not_an_object: row {number} is a {type(row).__name__}"
    data = {key: value for key, value in row.items() if value is not None}
    echo = _records.echo_id(data, fallback)
    field = _records.non_finite_field(data)
    if field is not None:
        return echo, None, f"input_error: non_finite_number: row {number}: {field} is NaN or infinite"
    return echo, {**data, "id": str(echo)}, None


def check_rows(guard: Any, parsed: list[Parsed], policy: Policy) -> list[dict[str, Any]]:
    """One record per parsed row, in order, scored ``ROWS_PER_CALL`` at a time as ``guardrail score`` does;
    ``latency_ms`` is the time of the call a row was scored in, divided by the rows in it."""
    records: list[dict[str, Any]] = []
    for start in range(0, len(parsed), ROWS_PER_CALL):
        chunk = parsed[start : start + ROWS_PER_CALL]
        started = time.perf_counter()
        verdicts = guard.check_many([item for _, item, _ in chunk if item is not None])
        latency_ms = (time.perf_counter() - started) * 1000.0 / max(1, len(verdicts))
        pending = iter(verdicts)
        for echo, item, error in chunk:
            if item is None:
                record = _records.error_record(echo, error, policy)
            else:
                record = _records.verdict_record(echo, next(pending), latency_ms=latency_ms)
            records.append(_records.encodable(record))
    return records


def count(records: list[dict[str, Any]]) -> dict[str, int]:
    """Records per action, and how many carry an error."""
    counts = {action.value: 0 for action in Action}
    counts["error"] = 0
    for record in records:
        counts[record["action"]] = counts.get(record["action"], 0) + 1
        counts["error"] += record.get("error") is not None
    return counts


def records_table(records: list[dict[str, Any]], *, id_as_text: bool = False) -> Any:
    """The records as a pyarrow Table with fixed column types (``id`` as given when every id has one type, else
    as text; always text with ``id_as_text``, so that Parquet parts of one audit share one schema)."""
    import pyarrow as pa

    ids = [record["id"] for record in records]
    if id_as_text:
        id_column = pa.array([None if i is None else str(i) for i in ids], pa.string())
    else:
        try:
            id_column = pa.array(ids)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            id_column = pa.array([None if i is None else str(i) for i in ids], pa.string())
    types = {
        "error": pa.string(), "consistency": pa.float64(), "action": pa.string(), "reasons": pa.list_(pa.string()),
        "flagged_steps": pa.list_(pa.int64()), "decided_by": pa.list_(pa.string()), "answer_found": pa.bool_(),
        "model_id": pa.string(), "model_version": pa.string(), "latency_ms": pa.float64(),
    }  # fmt: skip
    columns = {"id": id_column}
    for key in record_keys()[1:]:
        columns[key] = pa.array([record[key] for record in records], types.get(key))
    return pa.table(columns)
