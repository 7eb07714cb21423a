"""Timelocked weight commits through the SDK and the CLI against a real dev node (one per module):
the commit side (the round the SDK picks, the event, the chain's list of pending commits), the
refusal on a hash-commit subnet, `weights commit|reveal` on a v4 subnet, `drand status` and the
metagraph's commit table. The decrypt side is in tests/test_cli_drand.py (offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from devnode import cli_runner, dev_node, wait_for

from runtime.support.keys import keypair_from_uri
from taochain.cli import app
from taochain.client import Client, netuid_of

ALICE = keypair_from_uri("//Alice")


run = cli_runner(app)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory):
    """(url, client, netuid of a v4 subnet owned by //Alice with hotkey //Alice//o)."""
    with dev_node(tmp_path_factory.mktemp("node")) as (url, _proc), Client(url) as c:
        r = c.register_network(ALICE, keypair_from_uri("//Alice//o").public)
        assert r.success, r
        yield url, c, netuid_of(r)


def test_sdk_commits_timelocked_weights(node) -> None:
    _url, c, netuid = node
    hot = keypair_from_uri("//Alice//o")
    assert c.hyperparameters(netuid)["commit_reveal_version"] == 4
    before = c.drand_status()
    r, rec = c.commit_timelocked_weights(hot, netuid, [0], [0.5], version_key=0)
    assert r.success, r
    ev = [e for e in r.events if e["name"] == "SubtensorModule.TimelockedWeightsCommitted"]
    assert ev and ev[0]["fields"]["reveal_round"] == rec["reveal_round"]
    assert ev[0]["fields"]["commit_hash"] == rec["hash"]
    assert rec["values"] == [65535] and rec["uids"] == [0] and rec["netuid"] == netuid
    assert rec["reveal_round"] >= before["lastStoredRound"]
    # read at the inclusion block: a running beacon may reveal it a few blocks later
    listed = c.timelocked_commits(netuid, at=r.block_hash)
    mine = [x for x in listed if x["hash"] == rec["hash"]]
    assert mine and mine[0]["reveal_round"] == rec["reveal_round"] and mine[0]["reveal_epoch"] == rec["reveal_epoch"]
    assert mine[0]["hotkey"] == hot.ss58 and mine[0]["size"] > 0
    # the round is the beacon's round at the reveal epoch's first block (estimated from the chain's clock)
    plan = c.reveal_plan(netuid)
    assert plan["block_time_ms"] == 250
    assert abs(plan["reveal_round"] - rec["reveal_round"]) <= (plan["reveal_epoch"] - rec["reveal_epoch"]) * 2 + 2
    # the dev node's own beacon (1 of 1, from the public dev seed) stores pulses: the chain reveals it
    wait_for(lambda: any(o["hotkey"] == hot.ss58 and o["revealed"] for o in c.timelock_outcomes(netuid, 40)),
             30, "the chain's reveal")
    assert c.neuron(netuid, 0)["weights"] == [[0, 65535]]


def test_sdk_refused_on_a_hash_commit_subnet(node) -> None:
    _url, c, _ = node
    r = c.register_network(ALICE, keypair_from_uri("//Alice//o2").public)
    netuid = netuid_of(r)
    assert c.set_hyperparameter(ALICE, netuid, "commit_reveal_version", 2, sudo=True).success
    r, _rec = c.commit_timelocked_weights(keypair_from_uri("//Alice//o2"), netuid, [0], [1.0])
    assert not r.success and r.error == "SubtensorModule.IncorrectCommitRevealVersion"
    assert "commit_weights" in r.hint and "--param commit_reveal_version" in r.hint
    assert "IncorrectCommitRevealVersion" in str(r)


def test_cli_weights_commit_goes_timelocked_on_v4(node, tmp_path: Path) -> None:
    url, c, netuid = node
    U = ("--url", url)
    cf = ("--commit-file", str(tmp_path / "commits.json"))
    r = run("weights", "commit", "--netuid", str(netuid), "--uids", "0", "--weights", "1", "--hotkey-uri",
            "//Alice//o", *cf, *U, "--json")
    assert r["success"] and r["mode"] == "timelock" and r["reveal_round"] > 0 and r["values"] == [65535]
    assert not (tmp_path / "commits.json").exists()  # the chain reveals it: nothing kept locally
    out = run("weights", "reveal", "--netuid", str(netuid), "--hotkey-uri", "//Alice//o", *cf, *U, code=1)
    assert "reveals them" in out and "itself" in out
    st = run("drand", "status", *U, "--json")
    assert st["publicKey"].startswith("0x") and "pendingCommits" in st
    assert "drand beacon" in run("drand", "status", *U)
    # verify and decrypt with what the node holds (its beacon's key, its pulses)
    st = wait_for(lambda: (s := run("drand", "status", *U, "--json"))["storedPulses"] and s, 15, "a stored pulse")
    p = c.pulse(st["lastStoredRound"])
    assert run("drand", "verify", str(p["round"]), p["signature"], *U, "--json")["valid"] is True
    assert run("drand", "verify", str(p["round"] + 1), p["signature"], *U, "--json", code=1)["valid"] is False
    from runtime.support import tlock

    ct = tlock.encrypt(bytes.fromhex(st["publicKey"][2:]), p["round"], b"dev beacon", bytes(76))
    assert run("drand", "decrypt", ct.hex(), "--round", str(p["round"]), *U, "--json")["text"] == "dev beacon"
    mg = run("metagraph", str(netuid), *U, "--json")
    assert "timelocked_commits" in mg and mg["neurons"][0]["uid"] == 0
    assert "Metagraph of subnet" in run("metagraph", str(netuid), *U)
