"""The runtime never needs torch: a subprocess check, and a static scan of every module under guardrail/."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("torch", "transformers", "optimum", "verifier_training", "tqdm", "matplotlib")

CHECK_ONE = """
import sys
import guardrail
guard = guardrail.Guard()
verdict = guard.check("Tom has 3 apples and buys 4 more. How many?", "3 + 4 = 7.\\nHe has 7 apples.\\n#### 7")
assert verdict.consistency is not None and verdict.decided_by, verdict
for name in {forbidden!r}:
    assert name not in sys.modules, name + " was imported"
print(verdict.action.value, verdict.consistency)
"""


@pytest.mark.slow
def test_checking_an_example_never_imports_torch(tiny_model_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO), "GUARDRAIL_MODEL_DIR": str(tiny_model_dir)}
    done = subprocess.run(
        [sys.executable, "-c", CHECK_ONE.format(forbidden=FORBIDDEN)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split()[0] in ("pass", "label", "annotate", "block")


def test_import_has_no_heavy_or_optional_dependencies():
    code = "import sys, guardrail, guardrail.adapters; bad = [m for m in {!r} + ('anthropic', 'openai', 'onnxruntime') if m in sys.modules]; assert not bad, bad"
    done = subprocess.run(
        [sys.executable, "-c", code.format(FORBIDDEN)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(
                arg.value.split(".")[0]
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return names


def test_static_scan_guardrail_never_imports_training_stack():
    files = sorted((REPO / "guardrail").rglob("*.py"))
    assert len(files) > 10
    offenders = {str(p.relative_to(REPO)): sorted(_imported_modules(p) & set(FORBIDDEN)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_static_scan_detects_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    import torch.nn\n    from transformers import AutoModel\n    importlib.import_module('optimum')\n"
    )
    assert _imported_modules(sample) >= {"torch", "transformers", "optimum"}


def _reader_private_imports(path: Path) -> set[str]:
    """Modules under ``guardrail.reader._*`` that a file imports, plus the private names it takes from
    ``guardrail.reader`` itself (training uses only the reader's documented public API)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("guardrail.reader._"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("guardrail.reader._"):
                found.add(node.module)
            elif node.module == "guardrail.reader":
                found.update(f"guardrail.reader.{a.name}" for a in node.names if a.name.startswith("_"))
    return found


def test_training_uses_only_the_public_reader_api():
    files = sorted((REPO / "verifier_training").rglob("*.py"))
    assert len(files) > 10
    offenders = {str(p.relative_to(REPO)): sorted(_reader_private_imports(p)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_reader_scan_detects_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from guardrail.reader._numbers import fraction\nimport guardrail.reader._text\n"
        "from guardrail.reader import analyse, _private\n"
    )
    assert _reader_private_imports(sample) == {
        "guardrail.reader._numbers", "guardrail.reader._text", "guardrail.reader._private"
    }


def test_reader_api_is_what_it_documents():
    import guardrail.reader as reader

    assert all(not name.startswith("_") and hasattr(reader, name) for name in reader.__all__)
    for old in ("_features", "_latex", "_support", "_steps"):  # one home per rule: no shims left behind
        assert not (REPO / "guardrail" / f"{old}.py").exists(), old
