"""``guardrail audit`` / ``guardrail.audit`` on a local Ray (num_cpus=2), with the tiny exported model.

Ray is started once for the module and shut down at the end. The records are compared with ``guardrail
score``'s on the same rows; an actor is killed mid-run (its verifier exits the process); a rerun resumes.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")

from guardrail._cli import main  # noqa: E402
from guardrail.audit import AuditError, AuditOptions, audit_dataset, audit_files  # noqa: E402

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does he have?"


@pytest.fixture(scope="module")
def cluster():
    # Objects defined in this module (the crashing verifier) travel to the workers by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # No judge key reaches the workers, whatever this machine's environment holds.
    blank = {name: "" for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": blank})
    yield
    ray.shutdown()
    # Ray Data's progress bars replace builtins.print for the whole driver process (ray.experimental.tqdm_ray);
    # put it back, or later tests' structlog output goes through it to a stream pytest has closed.
    import builtins

    from ray.experimental import tqdm_ray

    builtins.print = tqdm_ray._print


def _rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        if i % 3 == 0:
            output = f"3 + 4 = 7.\nHe has 7 apples.\n#### {7 + i % 2}"
            rows.append({"id": f"r{i}", "question": QUESTION, "output": output})
        elif i % 3 == 1:
            rows.append({"id": i, "question": QUESTION, "rationale": "He had 3. Then 3 + 4 = 7.", "answer": str(i % 9)})
        else:
            rows.append({"id": f"r{i}", "question": QUESTION, "rationale": "The answer is clearly 12.", "answer": "12"})
    return rows


GARBAGE = [
    b"not json at all",
    b"[1, 2, 3]",
    b'{"id": "no-question", "rationale": "r", "answer": "a"}',
    b'{"id": "nan", "question": "q", "rationale": "r", "answer": NaN}',
    b'{"id": "both", "question": "q", "output": "x #### 1", "rationale": "r", "answer": "1"}',
    b'{"id": "bad-bytes", "question": "q\xff", "rationale": "r", "answer": "1"}',
    b'{"question": "no id", "rationale": "r"}',
]


def _write_jsonl(path: Path, rows: list[dict], garbage: list[bytes] = ()) -> Path:
    lines = [json.dumps(row).encode() for row in rows]
    for index, bad in enumerate(garbage):
        lines.insert(1 + index * 5, bad)
    lines.insert(3, b"")  # blank lines are skipped, and still counted in line numbers
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _parts(folder: Path) -> list[dict]:
    records = []
    for part in sorted(folder.glob("part-*")):
        if part.suffix == ".parquet":
            records += pq.read_table(part).to_pylist()
        else:
            records += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines()]
    return records


def _score(tmp_path: Path, source: Path, model: Path, capsys) -> list[dict]:
    out = tmp_path / "score.jsonl"
    assert main(["score", str(source), "--output", str(out), "--model", str(model)]) == 0
    capsys.readouterr()
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _assert_same(audited: list[dict], scored: list[dict], *, id_as_text: bool = False) -> None:
    assert len(audited) == len(scored)
    for got, want in zip(audited, scored, strict=True):  # parts sorted by name are in input order
        assert list(got) == list(want)
        assert got["id"] == (str(want["id"]) if id_as_text else want["id"])
        for key in ("error", "action", "reasons", "flagged_steps", "decided_by", "answer_found", "model_id"):
            assert got[key] == want[key], (want["id"], key)
        if want["consistency"] is None:
            assert got["consistency"] is None
        else:
            assert math.isclose(got["consistency"], want["consistency"], abs_tol=1e-6)


def test_audit_cli_equals_score_and_garbage_gets_error_records(cluster, tiny_model_dir, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", _rows(60), GARBAGE)
    scored = _score(tmp_path, source, tiny_model_dir, capsys)
    out = tmp_path / "audit"
    argv = ["audit", str(source), "--output", str(out), "--model", str(tiny_model_dir), "--actors", "2",
            "--threads", "1", "--part-bytes", "1500"]  # fmt: skip
    assert main(argv) == 0
    assert "67 records" in capsys.readouterr().err
    audited = _parts(out)
    _assert_same(audited, scored)
    assert len(list(out.glob("part-*"))) > 3  # really cut into parts
    errors = {r["id"]: r["error"] for r in audited if r["error"]}
    assert len(errors) == len(GARBAGE)
    assert errors["nan"].startswith("input_error: non_finite_number")
    assert errors["both"].startswith("input_error: ambiguous_input")
    assert errors["bad-bytes"].startswith("input_error: not_utf8")
    assert all(r["action"] == "label" and r["consistency"] is None for r in audited if r["error"])
    summary = json.loads((out / "_summary.json").read_text())
    assert (out / "_SUCCESS").exists() and summary["records"] == 67 and summary["errors"] == len(GARBAGE)
    actions = ("pass", "label", "annotate", "block")
    assert summary["actions"] == {a: sum(r["action"] == a for r in scored) for a in actions}
    assert not list(out.glob(".*"))  # no temporary file left


def test_parquet_in_and_out_and_bad_rows(cluster, tiny_model_dir, tmp_path, capsys):
    import pyarrow as pa

    fields = ("question", "output", "rationale", "answer")
    rows = [{"id": r["id"] if isinstance(r["id"], str) else f"n{r['id']}", **{k: r.get(k) for k in fields}}
            for r in _rows(20)]  # fmt: skip
    rows[4]["question"] = None  # a missing field
    rows[7]["output"] = "x #### 1"  # output and rationale/answer: ambiguous
    rows[9]["id"] = None  # no id: row-N
    folder = tmp_path / "logs"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(rows), folder / "a.parquet", row_group_size=6)
    (folder / "_ignored.jsonl").write_text("garbage\n")
    jsonl = _write_jsonl(tmp_path / "in.jsonl", [{k: v for k, v in r.items() if v is not None} for r in rows])
    scored = _score(tmp_path, jsonl, tiny_model_dir, capsys)
    out = tmp_path / "audit"
    options = AuditOptions(model=str(tiny_model_dir))
    summary = audit_files([str(folder)], str(out), options, actors=2, output_format="parquet")
    assert summary.parts == 4 and summary.records == 20 and summary.errors == 2
    audited = _parts(out)
    for record in scored:  # score's fallback id is line-N, the Parquet one row-N
        if record["id"] == "line-11":
            record["id"] = "row-10"
    _assert_same(audited, scored, id_as_text=True)
    assert [r["id"] for r in audited if r["error"]] == ["n4", "n7"]
    assert audited[9]["id"] == "row-10" and audited[9]["consistency"] is not None


class CrashingVerifier:
    """A verifier factory whose verifier kills its own process (the actor) on its second call, once per test:
    the actor dies mid-run, after it has written a part and while it holds another."""

    def __init__(self, model_dir: str, marker: str) -> None:
        self.model_dir, self.marker = model_dir, marker

    def __call__(self):
        from guardrail import OnnxVerifier

        inner = OnnxVerifier(self.model_dir, threads=1, batch_size=8)
        marker, calls = self.marker, []

        class Verifier:
            name = inner.name

            def __call__(self, items):
                calls.append(1)
                if len(calls) == 2:
                    try:
                        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    except FileExistsError:
                        pass
                    else:
                        os._exit(1)
                return inner(items)

        return Verifier()


def test_killed_actor_loses_nothing_and_duplicates_nothing(cluster, tiny_model_dir, tmp_path, capsys):
    rows = _rows(80)
    source = _write_jsonl(tmp_path / "in.jsonl", rows)
    marker = tmp_path / "crashed"
    out = tmp_path / "audit"
    summary = audit_files(
        [str(source)], str(out), AuditOptions(model=str(tiny_model_dir)), actors=2, part_bytes=1200,
        verifier_factory=CrashingVerifier(str(tiny_model_dir), str(marker)),
    )  # fmt: skip
    assert marker.exists(), "no actor was killed"
    ids = [r["id"] for r in _parts(out)]
    assert sorted(map(str, ids)) == sorted(str(r["id"]) for r in rows)  # every id, each exactly once
    assert summary.records == len(rows) and summary.parts_resumed == 0
    assert not list(out.glob(".*"))
    _assert_same(_parts(out), _score(tmp_path, source, tiny_model_dir, capsys))


def test_resume_skips_finished_parts_and_refuses_another_audit(cluster, tiny_model_dir, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", _rows(50))
    out = tmp_path / "audit"
    argv = ["audit", str(source), "-o", str(out), "--model", str(tiny_model_dir), "--actors", "1", "--threads", "1",
            "--part-bytes", "1500"]  # fmt: skip
    assert main(argv) == 0
    first = _parts(out)
    parts = sorted(out.glob("part-*"))
    removed = parts[2]
    lost = len(removed.read_text().splitlines())
    removed.unlink()
    kept = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts if p != removed}
    capsys.readouterr()
    assert main(argv) == 0
    summary = json.loads((out / "_summary.json").read_text())
    assert summary["parts_resumed"] == len(parts) - 1 and summary["rows_checked"] == lost
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kept} == kept  # finished parts untouched
    assert [r["id"] for r in _parts(out)] == [r["id"] for r in first]
    assert f"({len(parts) - 1} resumed)" in capsys.readouterr().err
    # Other options into the same folder would mix two audits: refused.
    assert main([*argv, "--pass-above", "0.9"]) == 1
    assert "different audit" in capsys.readouterr().err


def test_a_part_already_written_is_not_checked_again(tiny_model_dir, tmp_path):
    """What makes a retried task write its part once: the worker skips a part whose file exists."""
    from guardrail.audit._files import OutputDir, expand_inputs, part_name, plan_jsonl
    from guardrail.audit._workers import PartWriter

    source = _write_jsonl(tmp_path / "in.jsonl", _rows(9), GARBAGE[:2])
    files = expand_inputs([str(source)])
    out = OutputDir.open(str(tmp_path / "out"))
    writer = PartWriter(AuditOptions(model=str(tiny_model_dir)), files, out, "jsonl", [None])
    (start, end, first), = plan_jsonl(files[0], 1 << 20)
    part = {"file": 0, "start": start, "end": end, "first": first, "name": part_name(files[0], start, 1 << 20, "jsonl")}
    done = writer.run_part(part)
    assert not done["resumed"] and done["rows"] == 11 and done["error"] == 2
    writer.guard = None  # a second run of the part must not check anything
    again = writer.run_part(part)
    assert again["resumed"] and {k: again[k] for k in ("rows", "error", "pass", "label")} == {
        k: done[k] for k in ("rows", "error", "pass", "label")
    }
    assert len(_parts(tmp_path / "out")) == 11


def test_plan_cuts_at_line_starts_with_line_numbers(tmp_path):
    from guardrail.audit._files import expand_inputs, plan_jsonl

    lines = [b"x" * (i * 7 % 23) for i in range(200)]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    source, = expand_inputs([str(path)])
    data = path.read_bytes()
    for size in (1, 10, 64, 333, len(data) - 1):
        parts = plan_jsonl(source, size)
        assert parts[0][0] == 0 and parts[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
        for start, _end, first in parts:
            assert start == 0 or data[start - 1 : start] == b"\n"
            assert first == data[:start].count(b"\n") + 1


def test_audit_dataset_equals_score(cluster, tiny_model_dir, tmp_path, capsys):
    rows = _rows(30)
    scored = _score(tmp_path, _write_jsonl(tmp_path / "in.jsonl", rows), tiny_model_dir, capsys)
    table_rows = [{"id": str(r["id"]), "question": r["question"], "output": r.get("output"),
                   "rationale": r.get("rationale"), "answer": r.get("answer")} for r in rows]  # fmt: skip
    ds = ray.data.from_items(table_rows)
    audited = audit_dataset(ds, AuditOptions(model=str(tiny_model_dir), threads=1), actors=1, rows_per_call=8)
    records = sorted(audited.take_all(), key=lambda r: [str(x["id"]) for x in scored].index(r["id"]))
    records = [{k: (list(v) if hasattr(v, "tolist") else v) for k, v in r.items()} for r in records]
    _assert_same(records, scored, id_as_text=True)


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "out")]) == 1
    assert "no such input" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "*.parquet"), "--output", str(tmp_path / "out")]) == 1
    assert "no input file matches" in capsys.readouterr().err
    with pytest.raises(AuditError):
        audit_files([str(tmp_path / "missing")], str(tmp_path / "out"))


def test_judge_budget_and_concurrency_hold_across_actors(cluster):
    from guardrail.audit._gate import ClusterBudget, ClusterLimit, create_gate

    name = "test-gate"
    gate = create_gate(name, budget=7, concurrency=2)

    @ray.remote(num_cpus=0)
    def spend_and_hold() -> int:
        import time

        handle = ray.get_actor(name)
        budget, limit = ClusterBudget(handle), ClusterLimit(handle, 2)
        spent = sum(budget.try_spend() for _ in range(6))
        for _ in range(3):
            with limit.sync:
                time.sleep(0.05)
        return spent

    spent = ray.get([spend_and_hold.remote() for _ in range(4)])
    stats = ray.get(gate.stats.remote())
    ray.kill(gate)
    assert sum(spent) == 7 and stats["used"] == 7
    assert stats["peak"] == 2 and stats["held"] == 0


def test_fallback_claude_without_key_says_so_once(cluster, tiny_model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    source = _write_jsonl(tmp_path / "in.jsonl", _rows(12))
    out = tmp_path / "audit"
    argv = ["audit", str(source), "-o", str(out), "--model", str(tiny_model_dir), "--actors", "2", "--threads", "1",
            "--fallback", "claude", "--band", "0", "1", "--judge-budget", "3", "--part-bytes", "600"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().err.count("claude judge off") == 1
    records = _parts(out)
    scored_ones = [r for r in records if r["consistency"] is not None]
    assert len(records) == 12 and scored_ones
    assert all(any("judge_unavailable" in reason for reason in r["reasons"]) for r in scored_ones)


def _set_env(values: dict[str, str]) -> None:
    os.environ.update(values)


def test_judge_budget_and_concurrency_bound_the_whole_audit(cluster, tiny_model_dir, tmp_path):
    """Two actors, every row escalated, a real HTTP fake of the Messages API: the budget (5) and the
    concurrency (2) hold for the audit, not per actor."""
    pytest.importorskip("anthropic")
    import functools
    import threading
    import time

    from judge_fakes import LocalMessagesServer, report, tool_message

    class CountingServer(LocalMessagesServer):
        def __init__(self) -> None:
            super().__init__("ok")
            self.lock, self.in_flight, self.peak = threading.Lock(), 0, 0

        def respond(self, handler) -> None:
            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            time.sleep(0.2)
            with self.lock:
                self.in_flight -= 1
            self._send(handler, 200, tool_message(report(0.95)))

    rows = [{"id": f"j{i}", "question": f"{QUESTION} (case {i})", "rationale": f"Step {i}: 3 + 4 = 7.", "answer": "7"}
            for i in range(24)]  # fmt: skip
    source = _write_jsonl(tmp_path / "in.jsonl", rows)
    options = AuditOptions(model=str(tiny_model_dir), fallback="claude", band=(0.0, 1.0), judge_budget=5,
                           judge_concurrency=2)  # fmt: skip
    with CountingServer() as server:
        env = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": server.base_url}
        summary = audit_files([str(source)], str(tmp_path / "audit"), options, actors=2, part_bytes=400,
                              actor_setup=functools.partial(_set_env, env))  # fmt: skip
    records = _parts(tmp_path / "audit")
    assert summary.parts >= 4 and len(records) == 24
    assert len(server.requests) == 5  # not 5 per actor
    assert 1 <= server.peak <= 2
    judged = [r for r in records if any(d.startswith("claude:") for d in r["decided_by"])]
    assert len(judged) == 5 and all(r["consistency"] == pytest.approx(0.95) for r in judged)
    assert sum("judge_unavailable: budget_spent" in r["reasons"] for r in records) == 19


def test_inputs_folders_globs_and_unique_fallback_ids(tmp_path):
    from guardrail.audit._files import expand_inputs
    from guardrail.audit._rows import parse_lines
    from guardrail.audit._run import _labels

    (tmp_path / "logs" / "day2").mkdir(parents=True)
    for name in ("logs/a.jsonl", "logs/day2/b.jsonl", "logs/.hidden.jsonl", "logs/notes.txt", "c.jsonl"):
        (tmp_path / name).write_text("garbage\n")
    found = expand_inputs([str(tmp_path / "logs"), str(tmp_path / "*.jsonl"), str(tmp_path / "logs" / "a.jsonl")])
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in found] == [
        "logs/a.jsonl", "logs/day2/b.jsonl", "c.jsonl"
    ]
    labels = _labels(found)
    assert labels == ["logs/a.jsonl", "logs/day2/b.jsonl", "c.jsonl"]
    ids = [parse_lines(b"garbage\n", 1, label)[0][0] for label in labels]
    assert ids == ["logs/a.jsonl:line-1", "logs/day2/b.jsonl:line-1", "c.jsonl:line-1"]
    assert _labels(found[:1]) == [None] and parse_lines(b"\n\ngarbage\n", 1, None)[0][0] == "line-3"
