"""The shape of runtime/yuma (#14, item 7): the scalars declared once, modules in a one-way order,
one `run_epochs_arrays`."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

from runtime.yuma.batch import EpochArrays
from runtime.yuma.types import PARAM_NAMES, EpochInput, EpochParams

YUMA = Path(__file__).resolve().parents[2] / "runtime" / "yuma"


def _trees() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text()) for p in sorted(YUMA.glob("*.py"))}


def test_both_input_forms_carry_the_one_declaration_of_the_scalars() -> None:
    for cls in (EpochInput, EpochArrays):
        assert issubclass(cls, EpochParams)
        own = [f.name for f in fields(cls) if f.name not in PARAM_NAMES]
        assert [f.name for f in fields(cls)][: len(PARAM_NAMES)] == list(PARAM_NAMES)
        assert set(own).isdisjoint(PARAM_NAMES)
        assert not set(cls.__slots__) & set(PARAM_NAMES)  # declared in EpochParams only


def test_yuma_modules_import_each_other_one_way() -> None:
    graph: dict[str, set[str]] = {}
    for name, tree in _trees().items():
        deps = set()
        for node in ast.walk(tree):  # function-level imports count too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("runtime.yuma."):
                deps.add(node.module.removeprefix("runtime.yuma."))
        graph[name] = deps
    assert "kernel" not in graph["batch"]
    done: set[str] = set()

    def visit(mod: str, path: tuple[str, ...]) -> None:
        assert mod not in path, f"import circle: {' -> '.join((*path, mod))}"
        if mod in done:
            return
        for dep in sorted(graph.get(mod, ())):
            visit(dep, (*path, mod))
        done.add(mod)

    for mod in sorted(graph):
        visit(mod, ())


def test_one_run_epochs_arrays() -> None:
    homes = [
        name
        for name, tree in _trees().items()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "run_epochs_arrays"
    ]
    assert homes == ["backend"]
