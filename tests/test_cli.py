"""``guardrail score`` / ``guardrail check`` on the tiny exported model, garbage inputs included."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from guardrail._cli import RECORD_KEYS, Progress, main, parse_line

pytestmark = pytest.mark.slow  # uses the exported tiny model

REPO = Path(__file__).resolve().parents[1]
Q = "Tom has 3 apples and buys 4 more. How many?"
CODES = {"pass": "consistent", "label": "unverified", "annotate": "low_consistency", "block": "inconsistent"}


@pytest.fixture(autouse=True)
def _restore_structlog():
    """main() configures structlog for the CLI process; undo it so other tests see the defaults."""
    yield
    import structlog

    structlog.reset_defaults()


def _garbage_file(path: Path) -> tuple[Path, list]:
    """Good and bad lines; returns the path and the ids expected in the output, in order."""
    big = "word " * 210_000  # > 1 MB rationale
    lines: list[bytes] = [
        json.dumps({"id": "good", "question": Q, "rationale": "3 + 4 = 7.", "answer": "7"}).encode(),
        json.dumps({"id": 42, "question": Q, "output": "3 + 4 = 7.\n#### 7"}).encode(),
        json.dumps({"id": "empty", "question": "", "rationale": "", "answer": ""}).encode(),
        json.dumps({"id": "huge", "question": Q, "rationale": big, "answer": "7"}).encode(),
        b'{"id": "bad-utf8", "question": "\xff\xfe", "output": "x"}',
        b"this is not json",
        json.dumps({"id": "missing"}).encode(),
        json.dumps({"id": "types", "question": Q, "rationale": ["list"], "answer": 7}).encode(),
        json.dumps([1, 2, 3]).encode(),
        b"",  # blank line: skipped
        json.dumps({"question": Q, "output": "no answer in here"}).encode(),
        json.dumps({"id": "nul", "question": Q, "output": "a\u0000b\n#### 7"}).encode(),
        b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,  # deeper than the stdlib parser's recursion limit
        json.dumps({"id": "last", "question": Q, "rationale": "3 + 4 = 7.", "answer": "8"}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    ids = [
        "good", 42, "empty", "huge", "bad-utf8", "line-6", "missing", "types", "line-9", "line-11", "nul", "line-13",
        "last",
    ]
    return path, ids


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_score_garbage_file_in_process(tiny_model_dir, tmp_path, capsys):
    path, ids = _garbage_file(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    assert main(["score", str(path), "--output", str(out), "--model", str(tiny_model_dir), "--batch-size", "3"]) == 0
    records = _records(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ids
    by_id = {r["id"]: r for r in records}
    assert all(tuple(r) == RECORD_KEYS for r in records)  # one record shape, errors included
    for good in ("good", 42, "last"):
        score = by_id[good]["consistency"]
        assert 0.0 <= score <= 1.0 and by_id[good]["error"] is None
        assert by_id[good]["decided_by"] == ["onnx:tiny-test"] and by_id[good]["answer_found"]
        # The README's table for the default policy, restated here so the test can catch a wrong mapping.
        expected = "pass" if score >= 0.8 else "label" if score >= 0.5 else "annotate" if score >= 0.2 else "block"
        assert by_id[good]["action"] == expected, (good, score)
        assert by_id[good]["reasons"][0].split(":")[0] == CODES[expected]
    for bad, code in [
        ("bad-utf8", "not_utf8"),
        ("line-6", "invalid_json"),
        ("line-9", "not_an_object"),
        ("missing", "missing_field"),
        ("types", "not_text"),
        ("huge", "input_too_large"),
        ("nul", "nul_byte"),
        ("line-13", "nested too deeply"),
    ]:
        assert by_id[bad]["consistency"] is None and code in by_id[bad]["error"], bad
        assert by_id[bad]["action"] == "label" and by_id[bad]["reasons"]
    assert by_id["empty"]["reasons"][0].startswith("no_answer_found")
    assert by_id["line-11"]["reasons"][0].startswith("no_answer_found")
    actions = Counter(r["action"] for r in records)
    errors = sum(r["error"] is not None for r in records)
    # Not a terminal: no progress bar, no noise; one closing summary line.
    assert capsys.readouterr().err == (
        f"guardrail: {len(ids)} records: pass {actions['pass']}, label {actions['label']}, "
        f"annotate {actions['annotate']}, block {actions['block']}; {errors} with errors\n"
    )


def test_score_fail_closed_blocks_bad_lines(tiny_model_dir, tmp_path, capsys):
    path, _ = _garbage_file(tmp_path / "in.jsonl")
    assert main(["score", str(path), "--model", str(tiny_model_dir), "--on-error", "fail_closed"]) == 0
    records = _records(capsys.readouterr().out)
    assert {r["action"] for r in records if r.get("error")} == {"block"}


def test_score_subprocess_stdout_and_exit_code(tiny_model_dir, tmp_path):
    path, ids = _garbage_file(tmp_path / "in.jsonl")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "guardrail._cli", "score", str(path), "--model", str(tiny_model_dir)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in _records(done.stdout.decode("utf-8"))] == ids


def test_score_claude_fallback_without_key_says_so_once(tiny_model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    path, ids = _garbage_file(tmp_path / "in.jsonl")
    assert main(["score", str(path), "--model", str(tiny_model_dir), "--fallback", "claude"]) == 0
    captured = capsys.readouterr()
    assert [r["id"] for r in _records(captured.out)] == ids
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("claude judge off: ") and "ONNX verifier only" in lines[0]
    assert lines[1].startswith(f"guardrail: {len(ids)} records: ")


def test_score_stdin(tiny_model_dir, capsys, monkeypatch):
    data = json.dumps({"id": "s", "question": Q, "output": "#### 7"}).encode() + b"\n"
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    assert main(["score", "-", "--model", str(tiny_model_dir)]) == 0
    assert [r["id"] for r in _records(capsys.readouterr().out)] == ["s"]


def test_score_missing_model_exits_1(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text("{}\n")
    assert main(["score", str(tmp_path / "in.jsonl"), "--model", str(tmp_path / "nope")]) == 1
    assert "cannot load the verifier model" in capsys.readouterr().err


def test_score_missing_input_exits_1(tiny_model_dir, tmp_path, capsys):
    assert main(["score", str(tmp_path / "nope.jsonl"), "--model", str(tiny_model_dir)]) == 1
    assert "nope.jsonl" in capsys.readouterr().err


def test_bad_arguments_exit_2(tiny_model_dir, capsys):
    assert main(["score", "x", "--model", str(tiny_model_dir), "--pass-above", "0.1"]) == 2
    assert "invalid policy" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["score", "x", "--batch-size", "0"])
    assert info.value.code == 2


def test_check_flags_readable(tiny_model_dir, capsys):
    assert (
        main(
            ["check", "--model", str(tiny_model_dir), "-q", Q, "--rationale", "3 + 4 = 7.\nHe has 7.", "--answer", "9"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        out.startswith("action: ")
        and "consistency:" in out
        and "answer:       '9'" in out
        and "decided by:   onnx:tiny-test" in out
    )


def test_check_output_json(tiny_model_dir, capsys):
    assert main(["check", "--model", str(tiny_model_dir), "-q", Q, "--output", "3 + 4 = 7.\n#### 7", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["answer"] == "7" and record["format"] == "hash_answer" and 0 <= record["consistency"] <= 1


@pytest.mark.parametrize(
    ("stdin", "expect"),
    [
        (json.dumps({"question": Q, "rationale": "3 + 4 = 7.", "answer": "7"}).encode(), "'7'"),
        (json.dumps({"question": Q, "output": "<think>3+4=7</think>7"}).encode(), "think_tags"),
        (b"3 + 4 = 7.\nFinal answer: 7", "final_answer"),
        (b"\xff\xfe garbage", "not_utf8"),
        (b"", "empty"),
    ],
)
def test_check_stdin(tiny_model_dir, capsys, monkeypatch, stdin, expect):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(stdin)))
    assert main(["check", "--model", str(tiny_model_dir)]) == 0
    assert expect in capsys.readouterr().out


def test_parse_line_ids():
    assert parse_line(b'{"id": 3, "question": "q"}', 1)[0] == 3
    assert parse_line(b'{"id": true}', 2)[0] == "line-2"
    assert parse_line(b'{"id": null}', 4)[:2] == ("line-4", {"id": "line-4"})


def test_progress_bar_renders_to_a_terminal_only():
    stream = io.StringIO()
    bar = Progress(1000, enabled=True, stream=stream)
    bar.update(500, 10)
    bar.close()
    assert "50.0%" in stream.getvalue() and "100.0%" in stream.getvalue() and stream.getvalue().endswith("\n")
    silent = io.StringIO()
    quiet = Progress(1000, enabled=False, stream=silent)
    quiet.update(500, 10)
    quiet.close()
    assert silent.getvalue() == ""
