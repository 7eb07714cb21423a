"""The live demo subnet (`taochain testnet --demo`, taochain.demo_subnet): the miners' ladder and
the validators' scoring in process, a miner's HTTP axon, and whole runs through the CLI: a 1-node
chain with 3 miners and 1 validator in the default suite, the 3-node demo with 4 miners, 2
validators and the copycat as a slow test. Each run asserts that after two epochs of weights the
strongest classifier has the highest incentive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from taochain.demo_subnet.models import LADDER, miner_levels, score, weights_from_scores
from taochain.demo_subnet.run import DemoOptions, neuron_rows, plan_roles
from taochain.proc import port_is_free

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]


# --- in process --------------------------------------------------------------------------------------


def test_miner_levels_climb_to_the_strongest() -> None:
    for n in range(1, 17):
        levels = miner_levels(n)
        assert len(levels) == n
        assert levels == sorted(levels)
        assert levels[-1] == len(LADDER) - 1 and levels.count(len(LADDER) - 1) == 1
    assert miner_levels(4) == [0, 1, 3, 5]
    with pytest.raises(ValueError):
        miner_levels(0)


def test_weights_favour_the_best_score_and_skip_the_silent() -> None:
    w = weights_from_scores({1: 0.41, 2: 0.74, 3: 0.95, 4: 0.99, 5: 0.0})
    assert 5 not in w
    assert abs(sum(w.values()) - 1) < 1e-12
    assert w[4] > w[3] > w[2] > w[1]
    assert w[4] / w[3] == pytest.approx(2.2255, rel=1e-3)  # exp(0.04 / 0.05)
    assert weights_from_scores({}) == {} and weights_from_scores({1: 0.0}) == {}
    assert score(0.9, 0.1) == pytest.approx(0.895)
    assert score(0.9, 5.0) == 0.0


def test_roles_keys_and_ports() -> None:
    roles = plan_roles(DemoOptions(miners=3, validators=2, copycat=True, axon_port_base=9000))
    assert [r.name for r in roles] == ["owner", "miner0", "miner1", "miner2", "validator0", "validator1", "copycat"]
    assert [r.port for r in roles if r.kind == "miner"] == [9000, 9001, 9002]
    assert [r.level for r in roles if r.kind == "miner"] == [0, 3, 5]
    assert roles[0].coldkey_uri == "//Alice"
    assert roles[1].coldkey_uri == "//Demo//miner0" and roles[1].hotkey_uri == "//Demo//miner0//hot"
    assert all(r.stake_tao > 0 for r in roles if r.kind in ("validator", "copycat"))
    for bad in (DemoOptions(miners=0), DemoOptions(validators=9), DemoOptions(tempo=1), DemoOptions(epochs=0),
                DemoOptions(axon_port_base=65535)):
        with pytest.raises(ValueError):
            bad.check()


def test_neuron_rows_name_the_roles_and_average_honest_accuracy() -> None:
    roles = plan_roles(DemoOptions(miners=1, validators=1, copycat=True))
    uids = {"owner": 0, "miner0": 1, "validator0": 2, "copycat": 3}
    neuron = {"stake": 0, "validator_permit": False, "incentive": 0, "dividends": 0, "consensus": 0,
              "validator_trust": 0, "emission": 0, "axon": None}
    mg = {"block": 5, "neurons": [{**neuron, "uid": u, "hotkey": f"h{u}"} for u in range(4)]}
    mg["neurons"][1]["incentive"] = 0xFFFF
    statuses = {"validator0": {"scores": {"1": {"accuracy": 0.9, "error": None}}},
                "copycat": {"copycat": True, "scores": {"1": {"accuracy": 0.1, "error": None}}}}
    rows = neuron_rows(mg, roles, uids, statuses)
    assert [(r["name"], r["role"]) for r in rows] == [
        ("owner", "owner"), ("miner0", "miner"), ("validator0", "validator"), ("copycat", "copycat")]
    assert rows[1]["accuracy"] == 0.9 and rows[1]["incentive"] == 1.0 and rows[1]["model"] == "RBF SVC on 100%"


def test_a_miner_axon_answers_predictions() -> None:
    from taochain.demo_subnet.miner import Axon
    from taochain.demo_subnet.models import accuracy, load_split, train
    from taochain.demo_subnet.validator import query_axon

    model, n = train(LADDER[3])
    assert n == 252  # 20 % of the 1,257 training digits
    axon = Axon(("127.0.0.1", 0), model, {"level": 3})
    threading.Thread(target=axon.serve_forever, daemon=True).start()
    try:
        port = axon.server_address[1]
        _, _, x_test, y_test = load_split()
        labels, latency = query_axon("127.0.0.1", port, x_test[:200].tolist())
        assert len(labels) == 200 and latency < 5
        assert accuracy(labels, list(y_test[:200])) > 0.9
        with pytest.raises(OSError):
            query_axon("127.0.0.1", port, [[0.0] * 3])  # a bad image: HTTP 400
    finally:
        axon.shutdown()
        axon.server_close()


# --- through the CLI ---------------------------------------------------------------------------------


def free_bases(sizes: list[int]) -> list[int]:
    """One base per size, each with that many consecutive free ports, none overlapping."""
    import random

    rng = random.Random()
    bases: list[tuple[int, int]] = []
    while len(bases) < len(sizes):
        n = sizes[len(bases)]
        base = rng.randrange(20000, 60000 - n)
        if any(base < b + m and b < base + n for b, m in bases):
            continue
        if all(port_is_free(base + i) for i in range(n)):
            bases.append((base, n))
    return [b for b, _ in bases]


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" in status.read_text()


def run_demo_cli(tmp_path: Path, *args: str, nodes: int, miners: int, timeout: float) -> tuple[list[dict], float]:
    rpc, p2p, prom, axon = free_bases([nodes, nodes, nodes, miners])
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "taochain.cli", "testnet", "--demo", "--json", "--nodes", str(nodes),
         "--miners", str(miners), "--rpc-port-base", str(rpc), "--p2p-port-base", str(p2p),
         "--prometheus-port-base", str(prom), "--axon-port-base", str(axon), "--base-dir", str(tmp_path / "net"),
         *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    elapsed = time.monotonic() - t0
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-4000:]
    return events, elapsed


def check_run(events: list[dict], tmp_path: Path, miners: int) -> dict[str, Any]:
    """The common assertions; the final metagraph rows by name."""
    stopped = events[-1]
    assert stopped["event"] == "stopped" and stopped["failure"] is None and stopped["epochs_reached"], stopped
    assert set(stopped["returncodes"].values()) == {0}  # the nodes stopped by SIGINT, not killed
    assert set(stopped["processes"].values()) == {0}  # so did the miners and validators (SIGTERM)
    plan = next(e for e in events if e["event"] == "plan")
    pids = [n["pid"] for n in plan["nodes"]] + list(next(e for e in events if e["event"] == "processes")["pids"].values())
    assert all(_pid_gone(pid) for pid in pids)  # no orphans
    assert not (tmp_path / "net").exists()
    setup = next(e for e in events if e["event"] == "setup")
    assert setup["netuid"] == 1 and setup["commit_reveal"] and setup["commit_reveal_version"] == 4
    rows = {r["name"]: r for r in stopped["neurons"]}
    miner_rows = [rows[f"miner{i}"] for i in range(miners)]
    best = miner_rows[-1]  # the strongest classifier (RBF SVC on all the training digits)
    assert best["model"] == "RBF SVC on 100%"
    assert best["accuracy"] > 0.97
    assert best["incentive"] > 0.5
    assert all(best["incentive"] > r["incentive"] for r in rows.values() if r is not best), rows
    assert miner_rows[0]["incentive"] < 0.01  # the depth-4 tree on 5 % of the data earns ~nothing
    for name, r in rows.items():
        if r["role"] == "validator":
            assert r["validator_permit"] and r["dividends"] > 0, name
    return rows


@pytest.mark.integration
def test_demo_one_node_rewards_the_best_miner(tmp_path: Path) -> None:
    """The fast run: 1 node at 500 ms blocks, tempo 10 (5.5 s epochs), 3 miners, 1 validator
    that queries all 540 held-out digits; two epochs after its first commit."""
    events, elapsed = run_demo_cli(
        tmp_path, "--validators", "1", "--block-time-ms", "500", "--beacon-period", "1", "--tempo", "10",
        "--epochs", "2", "--samples", "0", "--duration", "150", nodes=1, miners=3, timeout=200,
    )
    rows = check_run(events, tmp_path, 3)
    assert rows["miner1"]["model"] == "logistic regression on 20%"
    epochs = [e for e in events if e["event"] == "epoch"]
    first = epochs[-1]["first_commit_epoch"]
    assert first is not None and epochs[-1]["epoch"] == first + 1
    assert elapsed < 150


@pytest.mark.slow
@pytest.mark.integration
def test_demo_three_nodes_with_a_copycat(tmp_path: Path) -> None:
    """What `make run --copycat` shows, at tempo 10: 3 authorities at 1 s blocks, 4 miners, 2
    validators and the copycat. Commit-reveal hides this epoch's weights, so the copycat has
    nothing to copy in its first epoch and earns its first dividends an epoch after the others."""
    events, _ = run_demo_cli(
        tmp_path, "--copycat", "--tempo", "10", "--epochs", "3", "--samples", "0", "--duration", "240",
        nodes=3, miners=4, timeout=300,
    )
    rows = check_run(events, tmp_path, 4)
    assert rows["miner2"]["incentive"] > rows["miner1"]["incentive"]
    epochs = [e for e in events if e["event"] == "epoch"]
    by_epoch = {e["epoch"]: {r["name"]: r for r in e["neurons"]} for e in epochs}
    summary = {v["name"]: v for v in epochs[-1]["validators"]}
    honest_first = min(summary[f"validator{j}"]["first_commit_epoch"] for j in range(2))
    copied_first = summary["copycat"]["first_commit_epoch"]
    # nothing to copy while the first commits are ciphertext: the copycat commits an epoch later
    assert copied_first is not None and copied_first > honest_first
    assert by_epoch[honest_first + 1]["validator0"]["dividends"] > 0
    assert by_epoch[copied_first]["copycat"]["dividends"] == 0  # its weights count from the next epoch
    assert by_epoch[copied_first + 1]["copycat"]["dividends"] > 0


@pytest.mark.slow
@pytest.mark.integration
def test_demo_without_commit_reveal_the_copycat_earns_at_once(tmp_path: Path) -> None:
    """What commit-reveal prevents: with plain set_weights the copycat copies this epoch's weights
    and earns dividends from the same epoch as the validators it copies."""
    events, _ = run_demo_cli(
        tmp_path, "--copycat", "--no-commit-reveal", "--validators", "1", "--block-time-ms", "500",
        "--beacon-period", "1", "--tempo", "10", "--epochs", "1", "--samples", "0", "--duration", "150",
        nodes=1, miners=3, timeout=200,
    )
    setup = next(e for e in events if e["event"] == "setup")
    assert not setup["commit_reveal"]
    epochs = [e for e in events if e["event"] == "epoch"]
    summary = {v["name"]: v for v in epochs[-1]["validators"]}
    assert summary["copycat"]["first_commit_epoch"] == summary["validator0"]["first_commit_epoch"]
    assert summary["copycat"]["last_commit"]["kind"] == "set_weights"
    rows = {r["name"]: r for r in events[-1]["neurons"]}
    assert rows["copycat"]["dividends"] > 0 and rows["validator0"]["dividends"] > 0
    assert rows["miner2"]["incentive"] == max(r["incentive"] for r in rows.values())
