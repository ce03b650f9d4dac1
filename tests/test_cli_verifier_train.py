"""``verifier-train`` as a user meets it (issue 15): clean one-line errors for missing or invalid files, help
for every option of the stages this file covers with defaults shown, and ``evaluate`` writing only where told
(never over the model directory's card) and naming each scored set by its name."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from verifier_training.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
CHALLENGE = REPO / "verifier_training" / "sources" / "challenge" / "challenge.jsonl"


@pytest.fixture(autouse=True)
def _restore_structlog():
    yield
    import structlog

    structlog.reset_defaults()


def _stages() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--config", "{tmp}/nope.json"],
        ["data", "--config", "{tmp}/nope.json", "--out", "{tmp}/out"],
        ["perturb", "--config", "{tmp}/nope.json", "--in", "{tmp}/in", "--out", "{tmp}/out"],
        ["evaluate", "--model", "{repo}/models/default", "--data", "{tmp}/nope.jsonl", "--report", "{tmp}/r.json"],
        ["export", "--checkpoint", "{tmp}/nope", "--out", "{tmp}/out"],
        ["recover", "--model", "{tmp}/nope", "--out", "{tmp}/out"],
    ],
)
def test_missing_files_are_one_clean_line_and_exit_1(tmp_path, capsys, args):
    assert main([arg.format(tmp=tmp_path, repo=REPO) for arg in args]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"verifier-train {args[0]}: error: ")
    assert "nope" in err


def test_invalid_config_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["train", "--config", str(tmp_path / "bad.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("verifier-train train: error: JSONDecodeError") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("stage", "config_class", "extra_args"),
    [("data", "DataConfig", ["--out", "{tmp}/out"]),
     ("perturb", "PerturbConfig", ["--in", "{tmp}/in", "--out", "{tmp}/out"])],
)
def test_an_unknown_config_key_is_one_line_naming_the_file_and_the_key(tmp_path, capsys, stage, config_class,
                                                                         extra_args):
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"seed": 1, "sede": 2, "limit_per_splt": 3}))
    args = [stage, "--config", str(config), *(arg.format(tmp=tmp_path) for arg in extra_args)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "TypeError" not in err
    assert err.startswith(f"verifier-train {stage}: error: {config}: unknown {config_class} keys ")
    assert "['limit_per_splt', 'sede']" in err
    assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.parametrize("text", ["[1, 2]", "{not json"])
def test_a_config_that_is_no_json_object_is_a_config_error_naming_the_file(tmp_path, text):
    from verifier_training.errors import ConfigError, DataError
    from verifier_training.data import DataConfig
    from verifier_training.perturb import PerturbConfig

    config = tmp_path / "cfg.json"
    config.write_text(text)
    for config_class in (DataConfig, PerturbConfig):
        with pytest.raises(ConfigError, match=str(config)) as info:
            config_class.load(config)
        assert isinstance(info.value, DataError)
    assert DataConfig.load(_write(tmp_path / "ok.json", {"seed": 3, "extra": ["x.jsonl"]})).extra == ("x.jsonl",)


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_a_bug_keeps_its_traceback(monkeypatch):
    from verifier_training import evaluate

    def broken(args):
        raise KeyError("a bug, not a user error")

    monkeypatch.setattr(evaluate, "_run", broken)
    with pytest.raises(KeyError):
        main(["evaluate", "--model", "m", "--data", "d", "--report", "r"])


def _shown_default(action: argparse.Action) -> bool:
    """Whether an option has a default worth showing (not None, an off flag, an empty list or help's own)."""
    nothing = action.default is None or action.default is False or action.default in ([], argparse.SUPPRESS)
    return not nothing


def test_every_option_of_every_stage_has_help_and_shows_its_default():
    stages = _stages()
    assert set(stages) >= {"data", "perturb", "train", "export", "recover", "evaluate", "probe", "pipeline"}
    missing, no_default = [], []
    for name, stage in stages.items():
        formatter = stage._get_formatter()
        for action in stage._actions:
            if not isinstance(action.help, str) or not action.help.strip() or action.help == argparse.SUPPRESS:
                missing.append((name, action.option_strings or action.dest))
            elif _shown_default(action) and "default" not in formatter._get_help_string(action):
                no_default.append((name, action.option_strings))
    assert missing == [] and no_default == []
    assert all(stage.formatter_class.__name__ == "HelpFormatter" for stage in stages.values())


def test_every_evaluate_option_has_help_and_defaults_are_shown():
    stages = _stages()
    evaluate = stages["evaluate"]
    text = " ".join(evaluate.format_help().split())
    assert "onnxruntime intra-op threads (default: 2)" in text
    assert "(default: 200)" in text  # --latency-n
    assert all(stage.formatter_class.__name__ == "HelpFormatter" for stage in stages.values())


@pytest.mark.slow
def test_evaluate_writes_only_where_told_and_names_each_set(tiny_model_copy, tmp_path, capsys):
    card = tiny_model_copy / "MODEL_CARD.md"
    card.write_text("the shipped card\n")
    before = {p.name: p.read_bytes() for p in tiny_model_copy.iterdir()}
    report_path = tmp_path / "report.json"
    common = ["evaluate", "--model", str(tiny_model_copy), "--data", str(CHALLENGE), "--limit", "12",
              "--latency-n", "2", "--report", str(report_path), "--also", f"mine={CHALLENGE}"]
    assert main(common) == 0
    assert {p.name: p.read_bytes() for p in tiny_model_copy.iterdir()} == before  # the model dir is untouched
    report = json.loads(report_path.read_text())
    assert report["data"]["name"] == "challenge" and report["also"]["mine"]["data"]["name"] == "mine"

    written = tmp_path / "cards" / "CARD.md"
    assert main([*common, "--write-card", str(written), "--data-name", "hand-written challenge set"]) == 0
    assert card.read_text() == "the shipped card\n"
    text = written.read_text()
    assert "## Results on hand-written challenge set (12 items" in text
    assert "## Also scored: mine (120 items" in text
    assert "held-out test split" not in text


def test_an_old_report_without_names_is_labelled_by_its_file():
    from verifier_training.evaluate.model_card import _set_name

    assert _set_name({"path": "runs/perturbed4/test.jsonl"}) == "test"
    assert _set_name({"path": "x/challenge.jsonl"}, "challenge v2") == "challenge v2"
    assert _set_name({"path": "x/y.jsonl", "name": "named"}, "other") == "named"


def test_invalid_data_names_the_file_and_line(tmp_path, capsys):
    from verifier_training.errors import DataError
    from verifier_training.rows import read_rows

    data = tmp_path / "d.jsonl"
    data.write_text('{"a": 1}\n\n{broken\n')
    with pytest.raises(DataError, match=r"d.jsonl line 3 is not JSON"):
        read_rows(data)
