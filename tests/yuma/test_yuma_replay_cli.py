"""`replay` (spec/yuma-io.md): output schema, scenarios carrying bonds, schema errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taochain.yuma_cli import app

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "yuma_rust_tests.json"
STATE = {
    "n": 3, "current_block": 100, "stake": [10, 20, 0], "weights": [[[2, 65535]], [[2, 100], [0, 0]], []],
    "last_update": [99, 99, 99], "block_at_registration": [1, 1, 1], "validator_permit": [True, True, False],
    "tempo": 10,
}
KEYS = {"active", "new_validator_permit", "stake_weight_u16", "consensus_u16", "incentive_u16", "dividends_u16",
        "validator_trust_u16", "server_emission", "validator_emission", "emission", "bonds_u16"}


def _run(tmp_path: Path, case: object, *args: str) -> tuple[int, str]:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = CliRunner().invoke(app, ["replay", str(path), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("backend", ["reference", "numpy", "auto"])
def test_replay_state(tmp_path: Path, backend: str) -> None:
    code, out = _run(tmp_path, {"state": STATE}, "--backend", backend)
    assert code == 0, out
    [epoch] = json.loads(out)
    assert set(epoch) == KEYS
    assert sum(epoch["emission"]) <= 1_000_000_000 and epoch["incentive_u16"][2] == 65535


def test_replay_scenario_carries_bonds(tmp_path: Path) -> None:
    case = {"input": {"scenario": {"base": STATE, "epochs": [{}, {"current_block": 111}, {"current_block": 122}]}}}
    code, out = _run(tmp_path, case, "--backend", "numpy")
    assert code == 0, out
    epochs = json.loads(out)
    assert len(epochs) == 3 and epochs[1]["bonds_u16"] != [[], [], []]
    code_ref, out_ref = _run(tmp_path, case, "--backend", "reference")
    assert json.loads(out_ref) == epochs


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({"state": {**STATE, "stake": "ten"}}, "state.stake"),
        ({"state": {**STATE, "kappa": 1.5}}, "state.kappa"),
        ({"state": {**STATE, "weights": [[[2]]]}}, "state.weights[0][0]"),
        ({"state": {k: v for k, v in STATE.items() if k != "n"}}, "state.n"),
        ({"state": {**STATE, "bogus": 1}}, "state.bogus"),
        ({"state": {**STATE, "stake": [1, 2]}}, "stake has 2 entries"),
        ({"state": {**STATE, "kappa": 70000}}, "kappa=70000"),
        ({"scenario": {"base": STATE, "epochs": [{"yuma3": "yes"}]}}, "scenario.epochs[0].yuma3"),
        ({"nothing": 1}, "'state' or a 'scenario'"),
        ([1, 2], "case"),
    ],
)
def test_bad_case_names_the_field(tmp_path: Path, case: object, field: str) -> None:
    code, out = _run(tmp_path, case)
    assert code == 2
    assert "bad case file" in out and field in out


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert CliRunner().invoke(app, ["replay", str(bad)]).exit_code == 2
    assert CliRunner().invoke(app, ["replay", str(tmp_path / "missing.json")]).exit_code == 2
    assert CliRunner().invoke(app, ["replay", str(bad), "--backend", "tpu"]).exit_code == 2


def test_cupy_forced_without_cupy_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed")
    except ImportError:
        pass
    code, out = _run(tmp_path, {"state": STATE}, "--backend", "cupy")
    assert code == 1 and "cupy" in out.lower()


def test_module_entry_point_on_a_vector(tmp_path: Path) -> None:
    scenario = json.loads(VECTORS.read_text())["scenarios"][1]
    epoch = scenario["epochs"][1]
    path = tmp_path / "vec.json"
    path.write_text(json.dumps({"input": {"state": epoch["input"]}}))
    out_file = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "taochain.yuma_cli", "replay", str(path), "--backend", "numpy", "--out", str(out_file)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    [result] = json.loads(out_file.read_text())
    assert {str(k): v for k, v in enumerate(result["emission"])} == epoch["expect"]["emission"]


def test_a_vector_epoch_entry_replays_as_is(tmp_path: Path) -> None:
    """An epoch entry of the vectors file ({"input": STATE, "expect": ...}) is accepted directly."""
    scenario = json.loads(VECTORS.read_text())["scenarios"][1]
    epoch = scenario["epochs"][1]
    code, out = _run(tmp_path, epoch, "--backend", "numpy")
    assert code == 0, out
    [result] = json.loads(out)
    assert {str(k): v for k, v in enumerate(result["emission"])} == epoch["expect"]["emission"]
