"""Test helper: one import cycle in a module graph, for the runtime's and training's acyclicity tests."""

from __future__ import annotations


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
