"""Layering and purity of consensus code (ARCHITECTURE.md §Layout, §Consensus-critical code).

An `ast` scan: the import rules between packages, and in runtime/ and pallets/ no I/O, clocks,
randomness, threads, environment, floats, true division, set displays or `hash()`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("runtime", "pallets", "p2p", "node", "taochain")

# ARCHITECTURE.md's import rules: layer -> the layers it may import. `pallets.<name>` stands for
# each pallet package on its own: it may import itself, never another pallet (those come through
# narrow interfaces that runtime/construct.py injects); runtime.construct alone composes pallets.
ALLOWED = {
    "runtime.support": {"runtime.support"},
    "runtime.yuma": {"runtime.yuma"},
    "pallets.<name>": {"runtime.support", "runtime.yuma", "<self>"},
    "runtime.construct": {"runtime", "pallets"},
    "runtime": {"runtime"},
    "p2p": {"runtime.support", "p2p"},
    "node": {"runtime", "p2p", "node"},
    # the user layer reaches the chain over JSON-RPC: runtime.support to build and sign extrinsics,
    # runtime.yuma for the offline `yuma replay`, node only to start one
    "taochain": {"runtime.support", "runtime.yuma", "node", "taochain"},
}
BANNED_MODULES = {
    "os", "sys", "time", "datetime", "random", "secrets", "socket", "threading", "asyncio",
    "subprocess", "multiprocessing", "pathlib", "io", "uuid", "tempfile", "shutil", "select",
    "signal", "urllib", "http", "requests", "aiohttp", "plyvel", "logging",
}
BANNED_CALLS = {"open", "hash", "input", "print", "float", "eval", "exec", "__import__", "id", "vars", "globals"}
MATERIALIZERS = {"list", "tuple", "enumerate", "zip", "iter", "next", "min", "max"}

# files allowed to touch the environment, with why
PURITY_EXEMPT = {
    "runtime/yuma/backend.py": "picks numpy or cupy at start-up (results are bit-identical)",
    "runtime/support/bls.py": "puts back the recursion limit that importing py-ecc raises",
}


def _files(pkg: str) -> list[Path]:
    return sorted((ROOT / pkg).rglob("*.py"))


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "pallets":
        return "pallets.<name>"
    for key in sorted(ALLOWED, key=len, reverse=True):
        if module == key or module.startswith(key + "."):
            return key
    raise AssertionError(module)


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def layering_violations(module: str, imports: list[str]) -> list[str]:
    """The imports of `module` (dotted) that ARCHITECTURE.md's rules forbid."""
    layer = _layer(module)
    allowed = ALLOWED[layer]
    own_pallet = ".".join(module.split(".")[:2]) if layer == "pallets.<name>" else None
    bad = []
    for imp in imports:
        if imp.split(".")[0] not in PACKAGES:
            continue
        ok = any(_within(imp, a) for a in allowed if a != "<self>") or (
            own_pallet is not None and _within(imp, own_pallet)
        )
        if not ok:
            bad.append(f"{module} imports {imp}")
    return bad


def _imports(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


@pytest.mark.parametrize("pkg", PACKAGES)
def test_import_layering(pkg: str) -> None:
    bad = []
    for f in _files(pkg):
        mod = ".".join(f.relative_to(ROOT).with_suffix("").parts)
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        bad += layering_violations(mod, _imports(ast.parse(f.read_text())))
    assert not bad, "layering violations:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("pallets.admin_utils", "pallets.subtensor.hyperparams", False),  # pallet -> another pallet
        ("pallets.subtensor.rpc_info", "pallets.subtensor.hyperparams", True),
        ("pallets.subtensor.weights", "runtime.yuma.batch", True),
        ("pallets.subtensor", "runtime.executive", False),
        ("runtime.construct", "pallets.drand", True),
        ("runtime.presets", "pallets.drand", False),  # only construct composes pallets
        ("runtime.executive", "runtime.support.tx", True),
        ("runtime.support.tx", "runtime.block", False),
        ("runtime.yuma.kernel", "runtime.support.codec", False),
        ("node.beacon", "pallets.drand", False),
        ("node.beacon", "runtime.construct", True),
        ("p2p.messages", "runtime.block", False),
        ("taochain.testnet", "runtime.presets", False),
        ("taochain.client", "runtime.support.tx", True),
        ("taochain.yuma_cli", "runtime.yuma.backend", True),
        ("taochain.testnet", "node.lifeline", True),
        ("taochain.client", "p2p.messages", False),
    ],
)
def test_layering_rules(module: str, imported: str, allowed: bool) -> None:
    assert (not layering_violations(module, [imported])) is allowed


def _is_set_expr(node: ast.AST) -> bool:
    """A set display, set comprehension, or set()/frozenset() call (membership tests are fine;
    iterating one is not)."""
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset")


def _purity_violations(path: Path, source: str) -> list[str]:
    bad = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for n in names:
                if n.split(".")[0] in BANNED_MODULES:
                    bad.append(f"{where} imports {n}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            bad.append(f"{where} float literal {node.value}")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Div):
            bad.append(f"{where} true division (use //)")
        elif isinstance(node, ast.For | ast.comprehension) and _is_set_expr(node.iter):
            bad.append(f"{where} iterates over a set (iteration order is not deterministic)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in MATERIALIZERS
            and any(_is_set_expr(a) for a in node.args)
        ):
            bad.append(f"{where} orders a set with {node.func.id}() (iteration order is not deterministic)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
            bad.append(f"{where} calls {node.func.id}()")
    return bad


def test_consensus_code_is_pure() -> None:
    bad = []
    for pkg in ("runtime", "pallets"):
        for f in _files(pkg):
            rel = str(f.relative_to(ROOT))
            if rel in PURITY_EXEMPT:
                continue
            bad += _purity_violations(f.relative_to(ROOT), f.read_text())
    assert not bad, "impure consensus code:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "snippet",
    [
        "import time",
        "x = 1.5",
        "y = a / b",
        "for k in {1, 2}: pass",
        "[k for k in set(a)]",
        "list(frozenset(a))",
        "open('f')",
        "h = hash(b'x')",
        "from os import path",
    ],
)
def test_purity_scan_catches(snippet: str) -> None:
    assert _purity_violations(Path("x.py"), snippet)


def test_purity_scan_allows_membership_sets() -> None:
    assert not _purity_violations(Path("x.py"), "ok = x in {1, 2}\nseen = set()\nseen.add(1)")
