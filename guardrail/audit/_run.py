"""``audit_dataset`` (rows of a Ray Dataset to records) and ``audit_files`` (files to a folder of parts)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog

from .._types import Action
from ._files import (
    PLAN_NAME,
    SUCCESS_NAME,
    SUMMARY_NAME,
    OutputDir,
    expand_inputs,
    part_name,
    plan_jsonl,
    plan_parquet,
)
from ._options import PART_BYTES, ROWS_PER_CALL, AuditError, AuditOptions, AuditSummary
from ._workers import PartWriter, RowScorer, VerifierFactory

_log = structlog.get_logger("guardrail.audit")
_gates: dict[str, Any] = {}  # gate actors of lazy datasets, kept alive by this process
OUTPUT_FORMATS = ("jsonl", "parquet")


def _ray() -> Any:
    try:
        import pyarrow  # noqa: F401  (inputs and parts are read and written with pyarrow)
        import ray
    except ImportError as exc:
        raise AuditError(f"guardrail audit needs the ray extra ({exc}): pip install 'rationale-guard[ray]'") from exc
    return ray


def _actor_args(options: AuditOptions, actors: int | None) -> dict[str, Any]:
    """map_batches arguments for a fixed pool of actors, each reserving its threads' CPUs. An actor that dies
    is restarted and its call retried (Ray Data's default for actor pools: max_restarts and max_task_retries
    -1); the part it held is then written once (see ``_files``)."""
    ray = _ray()
    if actors is None:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        actors = max(1, cpus // options.threads)
    return {
        "compute": ray.data.ActorPoolStrategy(size=actors),
        "num_cpus": options.threads,
    }


def _absolute_model(options: AuditOptions) -> AuditOptions:
    """A relative local model directory made absolute: actors may run in another working directory."""
    model = options.model
    if model is None or "://" in model or os.path.isabs(model) or not os.path.exists(model):
        return options
    return options.model_copy(update={"model": os.path.abspath(model)})


def _start_gate(options: AuditOptions) -> str | None:
    if options.fallback != "claude":
        return None
    from ._gate import create_gate

    name = f"guardrail-judge-gate-{uuid.uuid4().hex[:12]}"
    _gates[name] = create_gate(name, options.judge_budget, options.judge_concurrency)
    return name


def audit_dataset(
    ds: Any,
    options: AuditOptions | None = None,
    *,
    actors: int | None = None,
    rows_per_call: int = ROWS_PER_CALL,
    verifier_factory: VerifierFactory | None = None,
    actor_setup: Callable[[], Any] | None = None,
) -> Any:
    """Check every row of ``ds`` (a ``ray.data.Dataset`` with ``id``, ``question`` and ``output`` or
    ``rationale`` + ``answer``) and return a Dataset of records, one per row, with the keys and meaning of
    ``guardrail score``'s records. Lazy, as Ray Datasets are: nothing runs until it is consumed or written.

    ``actors`` (default: the cluster's CPUs divided by ``options.threads``) actors each hold one verified
    ONNX verifier with ``options.threads`` threads. A bad row becomes an error record (a row without an id gets
    ``id`` null). ``verifier_factory`` (a picklable zero-argument callable) replaces the ONNX verifier;
    ``actor_setup`` (picklable, no arguments) runs once in each actor first, e.g. to configure logging.
    With ``options.fallback == "claude"`` the judge's budget and concurrency are shared by every actor.
    Writing the result is Ray's (``write_parquet`` etc.); for output files written exactly once per row and
    resumable, use :func:`audit_files`.
    """
    options = _absolute_model(options or AuditOptions())
    return ds.map_batches(
        RowScorer,
        fn_constructor_kwargs={
            "options": options, "verifier_factory": verifier_factory, "gate_name": _start_gate(options),
            "setup": actor_setup,
        },  # fmt: skip
        batch_size=rows_per_call,
        batch_format="pyarrow",
        **_actor_args(options, actors),
    )


def _plan(files: list[Any], part_bytes: int, output_format: str) -> list[dict[str, Any]]:
    """Every part of every input (JSONL files over ``part_bytes`` are scanned in parallel Ray tasks)."""
    ray = _ray()
    scan = ray.remote(num_cpus=0.5)(plan_jsonl)
    big = [i for i, f in enumerate(files) if f.format == "jsonl" and f.size > part_bytes]
    pending = {i: scan.remote(files[i], part_bytes) for i in big}
    parts = []
    for index, source in enumerate(files):
        try:
            if source.format == "parquet":
                ranges = [(group, group, first) for group, _rows, first in plan_parquet(source)]
            elif index in pending:
                ranges = ray.get(pending[index])
            else:
                ranges = plan_jsonl(source, part_bytes)
        except OSError as exc:
            raise AuditError(f"cannot read {source.path}: {exc}") from exc
        except Exception as exc:  # pyarrow: not a Parquet file; a Ray task's error wraps the OSError
            raise AuditError(f"cannot read {source.path}: {type(exc).__name__}: {exc}") from exc
        for start, end, first in ranges:
            name = part_name(source, start, part_bytes, output_format)
            parts.append({"file": index, "start": start, "end": end, "first": first, "name": name})
    return parts


def _check_plan(output: OutputDir, plan: dict[str, Any]) -> None:
    """A folder written by another audit (other inputs, options or part size) is refused, never mixed."""
    previous = output.read_text(PLAN_NAME)
    if previous is None:
        if output.part_names():
            raise AuditError(f"the output folder {output.path} holds parts of an unknown audit; use another folder")
        output.write_atomic(PLAN_NAME, json.dumps(plan, indent=1).encode("utf-8"))
        return
    if json.loads(previous) != plan:
        raise AuditError(
            f"the output folder {output.path} holds the output of a different audit (inputs, their sizes, the "
            f"options or --part-bytes differ); use another folder, or remove it to start over"
        )


def audit_files(
    inputs: list[str],
    output: str,
    options: AuditOptions | None = None,
    *,
    address: str | None = None,
    actors: int | None = None,
    output_format: str = "jsonl",
    part_bytes: int = PART_BYTES,
    verifier_factory: VerifierFactory | None = None,
    actor_setup: Callable[[], Any] | None = None,
) -> AuditSummary:
    """Audit JSONL / Parquet files (paths, folders, globs, any pyarrow filesystem) into the folder ``output``:
    one record per input row in ``part-*`` files, then ``_summary.json`` and ``_SUCCESS``. Parts already in
    ``output`` are skipped (resume). Joins the Ray cluster at ``address``, or the one this process is connected
    to, or starts a local one (shut down at the end). Raises :class:`AuditError` for missing inputs or an
    unusable output folder. ``verifier_factory`` and ``actor_setup``: as for :func:`audit_dataset`."""
    options = _absolute_model(options or AuditOptions())
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}, got {output_format!r}")
    if part_bytes < 1:
        raise ValueError("part_bytes must be at least 1")
    started = time.perf_counter()
    ray = _ray()
    files = expand_inputs(inputs)
    out = OutputDir.open(output)
    plan = {
        "version": 1, "format": output_format, "part_bytes": part_bytes, "options": options.fingerprint(),
        "inputs": [[f.filesystem.type_name, f.path, f.size] for f in files],
    }  # fmt: skip
    _check_plan(out, plan)
    started_ray = not ray.is_initialized()
    if started_ray:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=True)
        except Exception as exc:  # no cluster at that address, or Ray could not start
            where = f" at {address}" if address else ""
            raise AuditError(f"cannot start or join a Ray cluster{where}: {type(exc).__name__}: {exc}") from exc
    try:
        return _run(files, out, options, plan, started, actors, verifier_factory, actor_setup)
    finally:
        if started_ray:
            ray.shutdown()


def _labels(files: list[Any]) -> list[str | None]:
    """Fallback ids stay unique across files: ``line-N`` with one input file, ``NAME:line-N`` with several
    (NAME: the file's path, shortened to what tells the files apart)."""
    if len(files) < 2:
        return [None] * len(files)
    common = os.path.commonpath([f.path for f in files]) if all(f.path.startswith("/") for f in files) else ""
    return [f.path[len(common) :].lstrip("/") if common else f.path for f in files]


def _run(
    files: list[Any], out: OutputDir, options: AuditOptions, plan: dict[str, Any], started: float,
    actors: int | None, verifier_factory: VerifierFactory | None, actor_setup: Callable[[], Any] | None,
) -> AuditSummary:  # fmt: skip
    ray = _ray()
    parts = _plan(files, plan["part_bytes"], plan["format"])
    results: list[dict[str, Any]] = []
    if parts:
        gate = _start_gate(options)
        ds = ray.data.from_items(parts, override_num_blocks=len(parts))
        done = ds.map_batches(
            PartWriter,
            fn_constructor_kwargs={
                "options": options, "files": files, "output": out, "output_format": plan["format"],
                "labels": _labels(files), "verifier_factory": verifier_factory, "gate_name": gate,
                "setup": actor_setup,
            },  # fmt: skip
            batch_size=1,
            batch_format="pyarrow",
            **_actor_args(options, actors),
        )
        try:
            results = done.take_all()
        except Exception as exc:  # a part that keeps failing (an input gone, the output unwritable, a node lost)
            first_line = str(exc).splitlines()[0][:300] if str(exc) else ""
            raise AuditError(
                f"the audit stopped ({type(exc).__name__}: {first_line}); the parts written are kept: rerun the "
                f"same command to resume"
            ) from exc
        finally:
            if gate is not None:
                ray.kill(_gates.pop(gate))
    out.remove_temporaries()
    expected = {part["name"] for part in parts}
    missing = expected - {r["name"] for r in results}
    if missing or len(results) != len(parts):
        raise AuditError(f"{len(missing)} part(s) were not written: {sorted(missing)[:3]}")
    actions = {action.value: sum(int(r[action.value]) for r in results) for action in Action}
    checked = sum(int(r["rows"]) for r in results if not r["resumed"])
    seconds = time.perf_counter() - started
    summary = AuditSummary(
        output=out.path,
        records=sum(actions.values()),
        actions=actions,
        errors=sum(int(r["error"]) for r in results),
        parts=len(parts),
        parts_resumed=sum(bool(r["resumed"]) for r in results),
        rows_checked=checked,
        seconds=round(seconds, 3),
        rows_per_second=round(checked / max(seconds, 1e-9), 1),
    )
    out.write_atomic(SUMMARY_NAME, summary.model_dump_json(indent=1).encode("utf-8"))
    out.write_atomic(SUCCESS_NAME, b"")
    return summary
