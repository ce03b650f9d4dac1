"""The training packages' structure, checked statically (ast, nothing imported): the import graph of
``verifier_training`` is acyclic, training and probes use only the runtime's public surface, and every
config in ``configs/history`` parses and is listed in that folder's README."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from _graphs import find_cycle

REPO = Path(__file__).resolve().parents[1]
TRAINING = REPO / "verifier_training"
PUBLIC_RUNTIME = {"guardrail", "guardrail.toolkit", "guardrail.reader"}

def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))
            if "sources" not in p.relative_to(root).parts}


def _imports(name: str, path: Path, modules: set[str] = frozenset()) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, relative imports resolved, and every name
    it imports from one (``from package import name`` as ``package.name``). ``from package import module`` of
    modules only (e.g. ``from . import formats``) does not count as importing the package itself: that names
    the package only to reach its submodules."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            named = {f"{base}.{alias.name}" for alias in node.names}
            found.update(named if named <= modules else {base, *named})
    return found


def _graph(root: Path) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: {m for m in _imports(name, path, set(modules)) if m in modules and m != name}
            for name, path in modules.items()}


def test_the_training_import_graph_is_acyclic():
    graph = _graph(TRAINING)
    assert {"verifier_training.data", "verifier_training.data.synthetic", "verifier_training.checkpoint"} <= set(graph)
    assert "verifier_training.data" not in graph["verifier_training.data.synthetic"]  # the old data <-> synthetic loop
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_training_and_probes_use_only_the_runtimes_public_surface():
    private = [
        (name, imported)
        for root in (TRAINING, REPO / "verifier_probes")
        for name, path in _modules(root).items()
        for imported in _imports(name, path)
        if imported.split(".")[0] == "guardrail" and not _is_public(imported)
    ]
    assert private == []


def _is_public(imported: str) -> bool:
    """``guardrail``, ``guardrail.toolkit``, ``guardrail.reader``, or a public name imported from one of them."""
    parent, _, last = imported.rpartition(".")
    return imported in PUBLIC_RUNTIME or (parent in PUBLIC_RUNTIME and not last.startswith("_"))


def test_the_probes_do_not_shadow_the_runtimes_answer_normaliser():
    names = {node.name for path in (REPO / "verifier_probes").rglob("*.py")
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.FunctionDef)}
    assert "normalise_answer" not in names


def test_every_history_config_parses_names_its_parent_and_is_in_the_table():
    from verifier_training.train.config import TrainConfig

    history = TRAINING / "configs" / "history"
    table = (history / "README.md").read_text(encoding="utf-8")
    configs = sorted(history.glob("*.json"))
    assert len(configs) >= 8
    for path in configs:
        config = TrainConfig.load(path)
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert "parent" in raw and "data_version" in raw, path.name
        assert config.parent == "" or (history / config.parent).is_file(), path.name
        assert f"`{path.name}`" in table, path.name
