"""``guardrail.audit`` and the CLI import without Ray: ray and pyarrow are imported when an audit runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_audit_module_and_cli_do_not_import_ray():
    code = (
        "import sys, guardrail.audit, guardrail._cli; guardrail._cli.build_parser(); "
        "bad = [m for m in ('ray', 'pyarrow', 'pandas', 'torch', 'onnxruntime') if m in sys.modules]; "
        "assert not bad, bad"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_audit_without_ray_says_how_to_install_it(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "question": "q", "rationale": "r", "answer": "a"}\n')
    code = (
        "import sys; sys.modules['ray'] = None; from guardrail._cli import main; "
        f"sys.exit(main(['audit', {str(source)!r}, '--output', {str(tmp_path / 'out')!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "pip install 'rationale-guard[ray]'" in done.stderr
