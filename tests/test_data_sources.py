"""`verifier-train data --sources DIR`: runs from anywhere (an installed wheel has no sources folder) and
says in one line when the folder is missing (issue 15 item 16)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from verifier_training import data

GSM8K = {"question": "Tom has 2 apples and buys 3. How many now?", "answer": "2 + 3 = <<2+3=5>>5 apples.\n#### 5"}


def tiny_sources(root: Path) -> Path:
    (root / "gsm8k").mkdir(parents=True)
    (root / "gsm8k" / "train.jsonl").write_text(json.dumps(GSM8K) + "\n")
    (root / "strategyqa").mkdir()
    (root / "strategyqa" / "train.json").write_text(
        json.dumps([{"qid": "q1", "question": "Is ice cold?", "answer": True, "facts": ["Ice is frozen water."]}])
    )
    (root / "prmbench").mkdir()
    (root / "prmbench" / "prm800k_train_p1_first400_4o_circular.jsonl").write_text("")
    return root


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier_training.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_data_runs_from_outside_the_clone_with_sources(tmp_path):
    sources = tiny_sources(tmp_path / "my_sources")
    (tmp_path / "data.json").write_text(json.dumps({"seed": 0, "choice_fraction": 0, "parity_fraction": 0,
                                                    "claim_fraction": 0, "strategyqa_choice_fraction": 0}))
    done = run_cli(["data", "--config", "data.json", "--out", "base", "--sources", str(sources)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for split in ("train", "dev", "test")
            for line in (tmp_path / "base" / f"{split}.jsonl").read_text().splitlines()]
    assert {row["source"] for row in rows} == {"gsm8k", "strategyqa"}
    assert json.loads((tmp_path / "base" / "data_config.json").read_text())["sources_dir"] == str(sources)


def test_missing_sources_folder_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "data.json").write_text("{}")
    done = run_cli(["data", "--config", "data.json", "--out", "base", "--sources", "nowhere"], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "sources folder not found: nowhere" in done.stderr
    assert "--sources" in done.stderr and "Traceback" not in done.stderr


def test_default_is_the_clones_folder_and_a_wheel_without_it_fails_cleanly(tmp_path, monkeypatch, capsys):
    assert data.sources_root(data.DataConfig()) == data.SOURCES  # in a clone
    monkeypatch.setattr(data, "SOURCES", tmp_path / "site-packages" / "verifier_training" / "sources")
    (tmp_path / "data.json").write_text("{}")
    # data.run, not cli.main: main points the log at the captured stderr, which later tests would write to
    args = argparse.Namespace(config=str(tmp_path / "data.json"), out=str(tmp_path / "out"), extra=[], sources="")
    assert data.run(args) == 1
    assert "sources folder not found" in capsys.readouterr().err
    with pytest.raises(data.SourcesMissing):
        data.build(data.DataConfig())


def test_the_v5_smoke_config_builds_every_real_source_from_the_shipped_sources(tmp_path):
    from verifier_training.data.real import READERS

    config = data.DataConfig.load(Path(data.__file__).parent.parent / "configs" / "data_v5_smoke.json")
    assert set(config.real) == set(READERS)
    rows = data.build(config)
    fixed = [row for row in rows if row["meta"].get("fixed")]
    assert {row["source"] for row in fixed} == set(READERS)
    assert sum(row["label"] for row in fixed) * 2 == len(fixed)  # balanced
    assert {row["split"] for row in fixed} == {"train", "dev", "test"}
    assert not any(row["qid"].startswith("gsm8k-test") for row in rows)
