"""subtensor's Rust epoch tests (vectors/yuma_rust_tests.json) on every CPU backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.yuma.backend import run_epochs
from runtime.yuma.types import EpochOutput
from taochain.yuma_cli import compute_epoch_input, compute_state

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "yuma_rust_tests.json"
SCENARIOS = json.loads(VECTORS.read_text())["scenarios"]


def _check(expect: dict, out: EpochOutput, where: str) -> None:
    if "bonds_u16_col" in expect:
        c = expect["bonds_u16_col"]
        got = [dict(out.bonds[r]).get(c["col"], 0) for r in c["rows"]]
        assert got == c["values"], f"{where}: bonds column {c['col']}"
    if "bonds_u16_dense" in expect:
        for r, values in expect["bonds_u16_dense"].items():
            row = dict(out.bonds[int(r)])
            assert [row.get(j, 0) for j in range(len(values))] == values, f"{where}: bonds row {r}"
    if "dividends_u16" in expect:
        got = {k: out.dividends[int(k)] for k in expect["dividends_u16"]}
        assert got == expect["dividends_u16"], f"{where}: dividends"
    if "emission" in expect:
        got = {k: out.emission[int(k)] for k in expect["emission"]}
        assert got == expect["emission"], f"{where}: emission"
    if "dividends_float_tol1e-3" in expect:
        want = expect["dividends_float_tol1e-3"]
        got = [d / 65535 for d in out.dividends]
        assert got == pytest.approx(want, abs=1e-3), f"{where}: dividends (1e-3)"


@pytest.mark.parametrize("backend", ["reference", "numpy"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_rust_scenario(scenario: dict, backend: str) -> None:
    inputs = [compute_epoch_input(compute_state(ep["input"])) for ep in scenario["epochs"]]
    outputs = run_epochs(inputs, backend=backend)
    for k, (ep, out) in enumerate(zip(scenario["epochs"], outputs, strict=True)):
        _check(ep["expect"], out, f"{scenario['name']} epoch {k}")


def test_vectors_have_expectations() -> None:
    assert len(SCENARIOS) == 9
    assert sum(1 for s in SCENARIOS for e in s["epochs"] if e["expect"]) >= 40
