"""``verifier-train validate`` runs the validation suite's own scorer on a model and feeds the model card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from verifier_training.evaluate.validate import DEFAULT_SUITE, summary, validate

pytestmark = pytest.mark.slow


def _suite(tmp_path: Path) -> Path:
    scorer = DEFAULT_SUITE / "score.py"
    if not scorer.is_file():
        pytest.skip("the validation suite is not beside the repository")
    suite = tmp_path / "suite"
    (suite / "sets").mkdir(parents=True)
    shutil.copy(scorer, suite / "score.py")
    rows = []
    for index in range(6):
        label = index % 2
        rows.append({"id": f"tiny-{index}", "set": "tiny", "kind": f"k{label}", "label": label,
                     "question": f"What is {index} + 2?", "rationale": f"{index} + 2 = {index + 2}.",
                     "answer": str(index + 2 if label else index + 5)})
    (suite / "sets" / "tiny.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return suite


def test_validate_scores_every_row_and_the_card_shows_it(tiny_model_dir, tmp_path):
    from verifier_training.evaluate.model_card import _validation_section

    out = tmp_path / "validation.json"
    result = validate(tiny_model_dir, _suite(tmp_path), out)
    assert json.loads(out.read_text()) == result
    assert result["sets"]["tiny"]["n"] == 6 and result["sets"]["tiny"]["nulls"] == 0
    rows = summary(result)
    assert set(rows) == {"tiny", "macro"} and 0.0 <= rows["tiny"]["auroc"] <= 1.0
    card = "\n".join(_validation_section(rows))
    assert "| tiny |" in card and "| **macro** |" in card and "never trained on" in card


def test_missing_suite_is_a_clean_error(tmp_path, capsys):
    from verifier_training.cli import main

    code = main(["validate", "--model", str(tmp_path), "--suite", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "v.json")])
    assert code == 1 and "no validation suite" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data_version", "shown"),
    [("v8", "v8 (`configs/data_v8.json`)"), ("v9", "v9"), ("", "v5 (`configs/data_v5.json`)")],
)
def test_the_card_names_a_data_config_only_where_one_has_that_name(data_version, shown):
    # data v9 is data_v8.json's sources read by a later reader: no config is called data_v9.json
    from verifier_training.evaluate.model_card import _data_version

    assert _data_version({"data_version": data_version}) == shown


@pytest.mark.parametrize(("data_version", "described"), [("v11", True), ("v12", True), ("v10", False), ("", False)])
def test_the_card_describes_the_checks_only_for_data_that_has_them(data_version, described):
    from verifier_training.evaluate.model_card import _checked_lines

    assert any("perturb/checked.py" in line for line in _checked_lines({"data_version": data_version})) is described
