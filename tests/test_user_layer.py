"""The user layer's import order (issue #14, items 8 and 9): an `ast` scan, imports inside functions
included.

taochain.proc (processes, ports, RPC calls) <- taochain.testnet <- taochain.demo_subnet.run <-
taochain.testnet_cli <- taochain.cli: each imports none of those after it. And the launchers reach
the chain only through runtime.support, runtime.yuma and node (node.chainspec builds a testnet's
chain spec), never runtime's other modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("taochain.proc", "taochain.testnet", "taochain.demo_subnet.run", "taochain.testnet_cli", "taochain.cli")
LAUNCHERS = ("taochain/proc.py", "taochain/testnet.py", "taochain/testnet_cli.py", "taochain/demo.py",
             "taochain/demo_subnet/run.py", "taochain/demo_subnet/miner.py", "taochain/demo_subnet/validator.py",
             "taochain/demo_subnet/models.py")


def _imported(path: Path) -> set[str]:
    """Every module `path` imports (`from a.b import c` counts as a.b and a.b.c)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


def _path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


@pytest.mark.parametrize("module", ORDER)
def test_the_user_layer_imports_one_way(module: str) -> None:
    later = ORDER[ORDER.index(module) + 1:]
    bad = sorted(m for m in _imported(_path(module)) if m in later)
    assert not bad, f"{module} imports {bad}, which come after it"


def test_the_launchers_reach_the_chain_through_node_and_runtime_support_only() -> None:
    bad = []
    for rel in LAUNCHERS:
        for m in _imported(ROOT / rel):
            if (m == "runtime" or m.startswith("runtime.")) and not m.startswith(("runtime.support", "runtime.yuma")):
                bad.append(f"{rel} imports {m}")
    assert not bad, "\n".join(bad)
