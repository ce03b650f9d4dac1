"""Test helpers for the runtime's and training's structure tests: a package's import graph (``import_graph``)
and one import cycle in it (``find_cycle``). Both read source with ``ast``; nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, base: Path, exclude: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """Module -> the package modules it imports, at any depth (a function-level import counts: it is the same
    dependency, only later), leaving out ``if TYPE_CHECKING:`` blocks (never run) and files under a folder
    named in ``exclude``. ``from package import module`` depends on the module, not on the package."""
    paths = {module_name(p, base): p for p in sorted(root.rglob("*.py"))
             if not set(exclude) & set(p.relative_to(root).parts)}
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
                base_name = node.module or ""
                if node.level:
                    base_name = ".".join(package[: len(package) - node.level + 1] + ([base_name] if base_name else []))
                targets.update(f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in paths else base_name
                               for a in node.names)
        graph[module] = {t for t in targets if t in paths and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle as a path of module names (the first repeated at the end), or [] when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []
