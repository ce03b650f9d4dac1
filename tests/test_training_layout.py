"""The training packages' structure, checked statically (ast, nothing imported): the import graph of
``verifier_training`` is acyclic, the probes keep the runtime's answer normaliser, and every config in
``configs/history`` parses and is listed in that folder's README. (That training and the probes use only the
runtime's public surface is checked with the other boundaries in ``test_runtime_boundary.py``.)"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from _graphs import find_cycle, import_graph

REPO = Path(__file__).resolve().parents[1]
TRAINING = REPO / "verifier_training"

def test_the_training_import_graph_is_acyclic():
    graph = import_graph(TRAINING, REPO, exclude=("sources",))
    assert {"verifier_training.data", "verifier_training.data.synthetic", "verifier_training.checkpoint"} <= set(graph)
    assert "verifier_training.data" not in graph["verifier_training.data.synthetic"]  # the old data <-> synthetic loop
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


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
