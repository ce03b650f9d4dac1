"""``guardrail score`` / ``check`` under hostile or careless use (issue 15): output over input, lone surrogates
in ids, a BOM, NaN answers, ambiguous inputs, bad flags, a full disk, per-item latency, batches bounded by bytes,
the judge without a key, --version and exit codes. The verifier is the tiny exported model (conftest) or a fake."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest

from guardrail._cli import BOM, EXIT_BLOCKED, MAX_THREADS, RECORD_KEYS, _chunks, build_parser, main, parse_line

pytestmark = pytest.mark.slow  # uses the exported tiny model

Q = "Tom has 3 apples and buys 4 more. How many?"
GOOD = {"question": Q, "rationale": "3 + 4 = 7.", "answer": "7"}


@pytest.fixture(autouse=True)
def _restore_structlog():
    yield
    import structlog

    structlog.reset_defaults()


def _line(**fields) -> str:
    return json.dumps(fields)


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def _score(model: Path, *args: str) -> int:
    return main(["score", *args, "--model", str(model)])


# --- item 1: output over input ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same", "hardlink", "symlink", "stdin"])
def test_output_over_the_input_is_refused_and_the_input_kept(tiny_model_dir, tmp_path, capsys, monkeypatch, how):
    source = tmp_path / "s.jsonl"
    content = "\n".join(_line(id=i, **GOOD) for i in range(3)) + "\n"
    source.write_text(content)
    output = tmp_path / "out.jsonl"
    if how == "same":
        output = source
    elif how == "hardlink":
        os.link(source, output)
    elif how == "symlink":
        output.symlink_to(source)
    args = [str(source), "-o", str(output)]
    if how == "stdin":
        handle = open(source, "rb")  # noqa: SIM115
        monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": handle})())
        args = ["-", "-o", str(source)]
    try:
        assert _score(tiny_model_dir, *args) == 2
    finally:
        if how == "stdin":
            handle.close()
    assert source.read_text() == content
    assert "is the input file" in capsys.readouterr().err


def test_stdout_appending_to_the_input_is_refused(tiny_model_dir, tmp_path):
    import subprocess
    import sys

    source = tmp_path / "s.jsonl"
    content = _line(id=1, **GOOD) + "\n"
    source.write_text(content)
    code = "import sys; from guardrail._cli import main; sys.exit(main(sys.argv[1:]))"
    with open(source, "ab") as append:  # guardrail score s.jsonl >> s.jsonl: would read its own output forever
        done = subprocess.run([sys.executable, "-c", code, "score", str(source), "--model", str(tiny_model_dir)],
                              stdout=append, stderr=subprocess.PIPE, timeout=120, check=False,
                              cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 2 and b"is the input file" in done.stderr
    assert source.read_text() == content


def test_output_is_written_to_a_temporary_file_and_renamed(tiny_model_dir, tmp_path, monkeypatch, capsys):
    from guardrail import Guard

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(_line(id=f"r{i}", **GOOD) for i in range(4)) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    calls = []
    real = Guard.check_many

    def check_many(self, items):
        calls.append(len(items))
        assert out.read_text() == "previous run\n"  # the destination is untouched while the run goes on
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, items)

    monkeypatch.setattr(Guard, "check_many", check_many)
    assert _score(tiny_model_dir, str(source), "-o", str(out), "--batch-bytes", "1") == 130
    # Stopped early: the records written so far are kept at the destination, and the message says so.
    assert [r["id"] for r in _records(out.read_text())] == ["r0", "r1"]
    assert "the 2 records written are in" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]  # no temporary file left


def test_output_file_gets_the_usual_permissions(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(_line(id=1, **GOOD) + "\n")
    out = tmp_path / "out.jsonl"
    assert _score(tiny_model_dir, str(source), "-o", str(out)) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [r["id"] for r in _records(out.read_text())] == [1]
    out.chmod(0o600)  # an existing output keeps its permissions
    assert _score(tiny_model_dir, str(source), "-o", str(out)) == 0
    assert out.stat().st_mode & 0o777 == 0o600


def test_an_output_symlink_writes_the_file_it_names(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(_line(id=1, **GOOD) + "\n")
    real = tmp_path / "results" / "real.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert _score(tiny_model_dir, str(source), "-o", str(link)) == 0
    assert link.is_symlink() and [r["id"] for r in _records(real.read_text())] == [1]


# --- item 2: lone surrogates in ids --------------------------------------------------------------------


def test_lone_surrogate_ids_never_cost_another_line_its_record(tiny_model_dir, tmp_path, capsys):
    lines = [
        _line(id="before", **GOOD).encode(),
        b'{"id": "\\ud800", "question": "q", "rationale": "3 + 4 = 7.", "answer": "7"}',
        b'{"id": "x\\udfffy", "question": "q", "output": "3 + 4 = 7.\\n#### 7"}',
        b'{"id": "\\ud800", "question": "\\ud800", "rationale": "r", "answer": "7"}',
        b'{"id": "\\ud83d\\ude00", "question": "q", "rationale": "3 + 4 = 7.", "answer": "7"}',  # a valid pair
        b'{"id": "bad\\ud800", "question": "\xff", "output": "x"}',  # bad bytes too: the id is recovered
        _line(id="after", **GOOD).encode(),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    assert _score(tiny_model_dir, str(source), "-o", str(out)) == 0
    records = _records(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ["before", "\ufffd", "x\ufffdy", "\ufffd", "\U0001f600", "bad\ufffd", "after"]
    assert records[0]["consistency"] is not None and records[-1]["consistency"] is not None
    assert records[1]["consistency"] is not None  # a bad id is no reason not to score the line
    assert "not_utf8" in records[3]["error"] and "not_utf8" in records[5]["error"]


def test_lone_surrogate_ids_on_stdout(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "\\udc80", "question": "q", "output": "#### 7"}\n' + _line(id="ok", **GOOD) + "\n")
    assert _score(tiny_model_dir, str(source)) == 0
    assert [r["id"] for r in _records(capsys.readouterr().out)] == ["\ufffd", "ok"]


# --- item 11: ambiguous inputs --------------------------------------------------------------------------


def test_a_line_with_output_and_rationale_or_answer_is_an_input_error(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                _line(id="both", question=Q, output="3 + 4 = 7.\n#### 7", rationale="3 + 4 = 8.", answer="8"),
                _line(id="answer-too", question=Q, output="3 + 4 = 7.\n#### 7", answer="8"),
                _line(id="null-fields", question=Q, output="3 + 4 = 7.\n#### 7", rationale=None, answer=None),
            ]
        )
        + "\n"
    )
    assert _score(tiny_model_dir, str(source)) == 0
    both, answer_too, null_fields = _records(capsys.readouterr().out)
    for record in (both, answer_too):
        assert record["error"].startswith("input_error: ambiguous_input")
        assert record["consistency"] is None and record["action"] == "label"
    assert [both["id"], answer_too["id"]] == ["both", "answer-too"]
    assert null_fields["error"] is None and null_fields["consistency"] is not None  # null: not given


@pytest.mark.parametrize(
    "flags",
    [
        ["--output", "3 + 4 = 7.\n#### 7", "--rationale", "3 + 4 = 7."],
        ["--output", "3 + 4 = 7.\n#### 7", "--answer", "7"],
        ["--rationale", "3 + 4 = 7."],
        ["--answer", "7"],
    ],
)
def test_check_flags_that_do_not_go_together_are_a_usage_error(tmp_path, flags, capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "-q", Q, *flags, "--model", str(tmp_path / "no-model")])  # refused before any loading
    assert info.value.code == 2
    assert "check:" in capsys.readouterr().err


def test_check_stdin_with_output_and_answer_is_an_input_error(tiny_model_dir, monkeypatch, capsys):
    data = json.dumps({"question": Q, "output": "3 + 4 = 7.\n#### 7", "answer": "8"}).encode()
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BytesIO(data)})())
    assert main(["check", "--model", str(tiny_model_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["error"].startswith("input_error: ambiguous_input") and record["consistency"] is None


# --- item 12: BOM, NaN and infinities --------------------------------------------------------------------


def test_a_bom_does_not_cost_line_one_its_id(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_bytes(BOM + _line(id="first", **GOOD).encode() + b"\n" + _line(id="second", **GOOD).encode() + b"\n")
    assert _score(tiny_model_dir, str(source)) == 0
    records = _records(capsys.readouterr().out)
    assert [r["id"] for r in records] == ["first", "second"]
    assert all(r["error"] is None for r in records)


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "n", "question": "q", "rationale": "r", "answer": NaN}',
        '{"id": "n", "question": "q", "rationale": "r", "answer": Infinity}',
        '{"id": "n", "question": "q", "rationale": "r", "answer": -Infinity}',
        '{"id": "n", "question": "q", "rationale": "r", "answer": 1e999}',
        '{"id": "n", "question": "q", "output": {"reasoning": "r", "answer": NaN}}',
    ],
)
def test_non_finite_answers_are_input_errors(line):
    echo_id, item, error = parse_line(line.encode(), 3)
    assert echo_id == "n" and item is None
    assert error.startswith("input_error: non_finite_number: line 3: ")


def test_non_finite_answer_in_a_run(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "nan", "question": "q", "rationale": "3 + 4 = 7.", "answer": NaN}\n'
                      + _line(id="ok", **GOOD) + "\n")
    assert _score(tiny_model_dir, str(source)) == 0
    nan, ok = _records(capsys.readouterr().out)
    assert nan["error"].startswith("input_error: non_finite_number") and nan["consistency"] is None
    assert ok["error"] is None and ok["consistency"] is not None


def test_check_stdin_with_a_nan_answer_is_refused(tiny_model_dir, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BytesIO(b'{"rationale": "r", "answer": NaN}')})())
    assert main(["check", "--model", str(tiny_model_dir)]) == 2
    assert "non_finite_number" in capsys.readouterr().err


# --- items 14, 15: arguments checked by the parser; clean I/O errors ---------------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        ["--band", "0.9", "0.1"],
        ["--band", "nan", "nan"],
        ["--band", "-0.1", "0.5"],
        ["--band", "0.2", "1.5"],
        ["--pass-above", "nan"],
        ["--threads", "0"],
        ["--threads", str(MAX_THREADS + 1)],
        ["--threads", "2000"],
        ["--batch-bytes", "0"],
    ],
)
def test_bad_values_are_refused_by_the_parser(tmp_path, flags, capsys):
    with pytest.raises(SystemExit) as info:  # exit 2 before any model is loaded (this one does not exist)
        main(["score", str(tmp_path / "in.jsonl"), *flags, "--model", str(tmp_path / "no-model")])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_threads_bound_is_documented_and_inclusive():
    assert build_parser().parse_args(["score", "x", "--threads", str(MAX_THREADS)]).threads == MAX_THREADS
    help_text = build_parser()._subparsers._group_actions[0].choices["score"].format_help()
    assert f"1 to {MAX_THREADS}" in " ".join(help_text.split())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_clean_error(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(_line(id=1, **GOOD) + "\n")
    assert _score(tiny_model_dir, str(source), "-o", "/dev/full") == 1
    err = capsys.readouterr().err
    assert "cannot write the output: /dev/full" in err and "Traceback" not in err


def test_an_unwritable_output_directory_is_a_clean_error(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(_line(id=1, **GOOD) + "\n")
    assert _score(tiny_model_dir, str(source), "-o", str(tmp_path / "no-such-dir" / "out.jsonl")) == 1
    assert "cannot write the output" in capsys.readouterr().err


# --- item 18: latency per item ------------------------------------------------------------------------------


def test_latency_is_per_item_not_per_batch(tmp_path, monkeypatch, capsys):
    from runtime_fakes import FixedVerifier

    from guardrail import _cli

    class SlowVerifier(FixedVerifier):
        def __call__(self, items):
            time.sleep(0.3)
            return super().__call__(items)

    monkeypatch.setattr(_cli, "_load_verifier", lambda args: SlowVerifier(0.9))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(_line(id=i, **GOOD) for i in range(6)) + "\n")
    assert main(["score", str(source)]) == 0
    latencies = [r["latency_ms"] for r in _records(capsys.readouterr().out)]
    assert len(set(latencies)) == 1  # one batch, its time shared evenly
    assert sum(latencies) >= 300.0  # together they account for the batch's sleep ...
    assert latencies[0] < 300.0  # ... which no single item took


# --- item 22: batches bounded by bytes ----------------------------------------------------------------------


def test_batches_are_bounded_by_bytes_as_well_as_lines():
    line = (_line(id="x", question=Q, rationale="r" * 1000, answer="7") + "\n").encode()
    chunks = list(_chunks(io.BytesIO(line * 10), max_lines=256, max_bytes=3 * len(line)))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert [len(c) for c in _chunks(io.BytesIO(line * 10), max_lines=4, max_bytes=1 << 30)] == [4, 4, 2]


def test_batch_bytes_flag_in_a_run(tmp_path, monkeypatch, capsys):
    from runtime_fakes import FixedVerifier

    from guardrail import _cli

    verifier = FixedVerifier(0.9)
    monkeypatch.setattr(_cli, "_load_verifier", lambda args: verifier)
    line = _line(id="x", question=Q, rationale="3 + 4 = 7. " * 100, answer="7")
    source = tmp_path / "in.jsonl"
    source.write_text((line + "\n") * 7)
    assert main(["score", str(source), "--batch-bytes", str(2 * len(line))]) == 0
    assert len(_records(capsys.readouterr().out)) == 7
    assert [len(call) for call in verifier.calls] == [2, 2, 2, 1]


# --- item 19: the judge without a key -----------------------------------------------------------------------


def test_judge_without_a_key_is_named_in_the_records(tiny_model_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("anthropic")
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(_line(id=i, **GOOD) for i in range(3)) + "\n")
    assert _score(tiny_model_dir, str(source), "--fallback", "claude", "--band", "0", "1") == 0
    captured = capsys.readouterr()
    assert captured.err.count("claude judge off") == 1
    for record in _records(captured.out):
        assert record["consistency"] is not None and record["decided_by"] == ["onnx:tiny-test"]
        assert any(reason.startswith("judge_unavailable: no API key") for reason in record["reasons"])


# --- item 20: version, help defaults, exit code on block, record shape -----------------------------------------


def test_version_flag_and_attribute(capsys):
    from importlib.metadata import version

    import guardrail

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"guardrail {version('rationale-guard')}" == f"guardrail {guardrail.__version__}"


def test_version_falls_back_when_the_package_is_not_installed(monkeypatch):
    import importlib.metadata

    from guardrail import _version

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    _version.package_version.cache_clear()
    try:
        assert _version.package_version() == _version.UNKNOWN
    finally:
        _version.package_version.cache_clear()


def test_package_is_marked_typed():
    import guardrail

    assert (Path(guardrail.__file__).parent / "py.typed").is_file()


def test_help_shows_defaults():
    sub = build_parser()._subparsers._group_actions[0].choices
    score = " ".join(sub["score"].format_help().split())
    for expected in ("(default: 0.8)", "(default: 16)", "(default: fail_open)", "(default: (0.2, 0.8))"):
        assert expected in score, expected
    assert f"{EXIT_BLOCKED} the policy blocked" in " ".join(sub["check"].format_help().split())


def test_check_exits_3_on_block(tiny_model_dir, capsys):
    always_block = ["--pass-above", "1", "--label-above", "1", "--annotate-above", "1"]
    code = main(["check", "--model", str(tiny_model_dir), "-q", Q, "--rationale", "3 + 4 = 7.", "--answer", "7",
                 "--json", *always_block])
    assert code == EXIT_BLOCKED == 3
    record = json.loads(capsys.readouterr().out)
    assert record["action"] == "block" and tuple(record)[: len(RECORD_KEYS)] == RECORD_KEYS
    assert main(["check", "--model", str(tiny_model_dir), "-q", Q, "--rationale", "3 + 4 = 7.", "--answer", "7"]) == 0
