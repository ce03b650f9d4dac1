"""The runtime never needs torch: a subprocess check, and a static scan of every module under guardrail/."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _graphs import find_cycle, import_graph

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


def test_reader_api_is_what_it_documents():
    import guardrail.reader as reader

    assert all(not name.startswith("_") and hasattr(reader, name) for name in reader.__all__)
    for old in ("_features", "_latex", "_support", "_steps"):  # one home per rule: no shims left behind
        assert not (REPO / "guardrail" / f"{old}.py").exists(), old


# --- the reverse boundary: tools built on the runtime use only its public modules -------------------------

PUBLIC_MODULES = (
    "guardrail", "guardrail.toolkit", "guardrail.reader", "guardrail.adapters", "guardrail.audit", "guardrail.server",
)  # fmt: skip


# training and the probes build on the narrowest surface: the guard, the reader and the toolkit
TRAINING_SURFACE = ("guardrail", "guardrail.toolkit", "guardrail.reader")


def _private_runtime_imports(path: Path, public: tuple[str, ...] = PUBLIC_MODULES) -> set[str]:
    """What a file imports from the runtime outside ``public``: another module (``guardrail._onnx``,
    ``guardrail.adapters._common``...), or a ``_name`` taken from a public one. Imports anywhere in the file
    count (a function-level import is the same dependency, only later)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(
                a.name for a in node.names if a.name.split(".")[0] == "guardrail" and a.name not in public
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "guardrail":
                continue
            if node.module not in public:
                found.add(node.module)
            else:
                names = (a.name for a in node.names)
                found.update(f"{node.module}.{name}" for name in names if name.startswith("_"))
    return found


@pytest.mark.parametrize(
    ("folder", "public"),
    [("verifier_training", TRAINING_SURFACE), ("verifier_probes", TRAINING_SURFACE),
     ("benchmarks", PUBLIC_MODULES), ("examples", PUBLIC_MODULES)],
)
def test_tools_use_only_the_public_runtime_api(folder: str, public: tuple[str, ...]):
    files = sorted((REPO / folder).rglob("*.py"))
    assert files
    offenders = {str(p.relative_to(REPO)): sorted(_private_runtime_imports(p, public)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_public_api_scan_detects_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import guardrail._onnx\nfrom guardrail._extract import extract\n"
        "from guardrail.adapters._common import decide\n"
        "from guardrail import Guard, _version\nfrom guardrail.toolkit import encode_batch\nimport guardrail.reader\n"
    )
    assert _private_runtime_imports(sample) == {
        "guardrail._onnx", "guardrail._extract", "guardrail.adapters._common", "guardrail._version"
    }
    narrow = _private_runtime_imports(sample, TRAINING_SURFACE)
    assert narrow == _private_runtime_imports(sample) | {"guardrail.adapters._common"}
    sample.write_text("from guardrail.reader._numbers import fraction\nfrom guardrail.adapters import guard_openai\n")
    assert _private_runtime_imports(sample, TRAINING_SURFACE) == {"guardrail.reader._numbers", "guardrail.adapters"}


# --- the runtime's own modules import each other without a cycle ------------------------------------------


def test_runtime_modules_import_without_cycles():
    graph = import_graph(REPO / "guardrail", REPO)
    assert len(graph) > 30 and "guardrail.adapters._common" in graph["guardrail.adapters._streaming"]
    assert find_cycle(graph) == [], " -> ".join(find_cycle(graph))


def test_cycle_check_finds_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_a.py").write_text("from ._b import thing\n")
    (package / "_b.py").write_text("def f():\n    from . import _a\n")
    (package / "_c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._a import x\n")
    graph = import_graph(package, tmp_path)
    assert graph["pkg._c"] == set()
    assert find_cycle(graph) in (["pkg._a", "pkg._b", "pkg._a"], ["pkg._b", "pkg._a", "pkg._b"])

