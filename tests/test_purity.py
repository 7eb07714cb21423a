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

# package (or sub-package) -> project packages it may import
ALLOWED = {
    "runtime.support": {"runtime.support"},
    "runtime.yuma": {"runtime.yuma"},
    "pallets": {"runtime.support", "runtime.yuma", "pallets"},
    "runtime": {"runtime", "pallets"},
    "p2p": {"runtime.support", "p2p"},
    "node": {"runtime", "pallets", "p2p", "node"},
    "taochain": {"runtime.support", "runtime.yuma", "node", "taochain", "runtime", "p2p"},
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


def _layer(rel_module: str) -> str:
    for key in sorted(ALLOWED, key=len, reverse=True):
        if rel_module == key or rel_module.startswith(key + "."):
            return key
    raise AssertionError(rel_module)


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
        layer = _layer(mod)
        for imp in _imports(ast.parse(f.read_text())):
            top = imp.split(".")[0]
            if top not in PACKAGES:
                continue
            target = _layer(imp) if imp != "runtime" else "runtime"
            allowed = ALLOWED[layer]
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                bad.append(f"{f.relative_to(ROOT)} imports {imp}")
    assert not bad, "layering violations:\n" + "\n".join(bad)


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
