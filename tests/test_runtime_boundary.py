"""The runtime never needs torch: a subprocess check, and a static scan of every module under guardrail/."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _graphs import find_cycle

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
    return {name for name in _private_runtime_imports(path) if name.startswith("guardrail.reader.")}


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


# --- the reverse boundary: tools built on the runtime use only its public modules -------------------------

PUBLIC_MODULES = (
    "guardrail", "guardrail.toolkit", "guardrail.reader", "guardrail.adapters", "guardrail.audit", "guardrail.server",
)  # fmt: skip


def _private_runtime_imports(path: Path) -> set[str]:
    """What a file imports from the runtime that is not public: a module other than :data:`PUBLIC_MODULES`
    (``guardrail._onnx``, ``guardrail.adapters._common``...), or a ``_name`` taken from a public one."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(
                a.name for a in node.names if a.name.split(".")[0] == "guardrail" and a.name not in PUBLIC_MODULES
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "guardrail":
                continue
            if node.module not in PUBLIC_MODULES:
                found.add(node.module)
            else:
                names = (a.name for a in node.names)
                found.update(f"{node.module}.{name}" for name in names if name.startswith("_"))
    return found


def test_tools_use_only_the_public_runtime_api():
    folders = ("verifier_training", "benchmarks", "examples")
    files = [path for folder in folders for path in sorted((REPO / folder).rglob("*.py"))]
    assert len(files) > 20
    offenders = {str(p.relative_to(REPO)): sorted(_private_runtime_imports(p)) for p in files}
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


# --- the runtime's own modules import each other without a cycle ------------------------------------------


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(root: Path, base: Path = REPO) -> dict[str, set[str]]:
    """Module -> the package modules it imports, at any depth (a function-level import counts: it is the same
    dependency, only later), leaving out ``if TYPE_CHECKING:`` blocks (never run)."""
    paths = {_module_name(p, base): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                # ``from package import module`` depends on the module; ``from module import name`` on the module
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names)
        graph[module] = {t for t in targets if t in paths and t != module}
    return graph


def test_runtime_modules_import_without_cycles():
    graph = _import_graph(REPO / "guardrail")
    assert len(graph) > 30 and "guardrail.adapters._common" in graph["guardrail.adapters._streaming"]
    assert find_cycle(graph) == [], " -> ".join(find_cycle(graph))


def test_cycle_check_finds_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_a.py").write_text("from ._b import thing\n")
    (package / "_b.py").write_text("def f():\n    from . import _a\n")
    (package / "_c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._a import x\n")
    graph = _import_graph(package, base=tmp_path)
    assert graph["pkg._c"] == set()
    assert find_cycle(graph) in (["pkg._a", "pkg._b", "pkg._a"], ["pkg._b", "pkg._a", "pkg._b"])

