"""The btcli-shaped commands (subnet, stake, weights, metagraph) against a real dev node process,
through the CLI entry point with --json, and their refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devnode import cli_runner, dev_node

from runtime.support.keys import keypair_from_uri
from taochain.cli import app

TAO = 10**9


run = cli_runner(app)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory):
    with dev_node(tmp_path_factory.mktemp("node")) as (u, _proc):
        yield u


def test_subnet_life_through_the_cli(url: str, tmp_path: Path) -> None:
    U = ("--url", url)
    listed = run("subnet", "list", *U, "--json")
    assert listed["subnets"] == [] and listed["lock_cost"] == 100 * TAO
    r = run("subnet", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//o", "--no-prompt", *U, "--json")
    assert r["success"] and r["netuid"] == 1 and r["lock"] == 100 * TAO
    assert run("subnet", "start", "1", "--uri", "//Alice", *U, "--json")["success"]
    val = keypair_from_uri("//Bob//v")
    r = run("subnet", "register", "1", "--uri", "//Bob", "--hotkey-uri", "//Bob//v", "--no-prompt", *U, "--json")
    assert r["success"] and r["uid"] == 1
    r = run("subnet", "pow-register", "1", "--uri", "//Charlie", "--hotkey-uri", "//Charlie//m", *U, "--json")
    assert r["success"] and r["uid"] == 2
    # the same hotkey again: refused with the cause and the fix
    r = run("subnet", "register", "1", "--uri", "//Bob", "--hotkey-uri", "//Bob//v", "--no-prompt", *U, "--json", code=1)
    assert r["message"].endswith("HotKeyAlreadyRegisteredInSubNet") and "metagraph" in r["hint"]

    assert run("stake", "add", "--amount", "50", "--uri", "//Bob", "--hotkey", "//Bob//v", "--no-prompt", *U, "--json")[
        "success"
    ]
    assert run("stake", "remove", "--amount", "10", "--uri", "//Bob", "--hotkey", "//Bob//v", *U, "--json")["success"]
    stakes = run("stake", "list", "--uri", "//Bob", *U, "--json")
    assert [s["hotkey"] for s in stakes] == [val.ss58]
    assert 40 * TAO <= stakes[0]["stake"] < 60 * TAO  # 50 - 10, plus any dividends an epoch paid meanwhile
    r = run("stake", "remove", "--amount", "100", "--uri", "//Bob", "--hotkey", "//Bob//v", *U, "--json", code=1)
    assert r["message"].endswith("NotEnoughStakeToWithdraw") and r["hint"]

    hp = run("subnet", "hyperparameters", "1", *U, "--json")
    assert hp["tempo"] == 10 and hp["commit_reveal_weights_enabled"] is True
    out = run("subnet", "set", "1", "--param", "tempo", "--value", "12", "--uri", "//Alice", *U, code=2)
    assert "root-only" in out
    assert run("subnet", "set", "1", "--param", "tempo", "--value", "12", "--uri", "//Alice", "--sudo", *U, "--json")[
        "success"
    ]
    r = run("subnet", "set", "1", "--param", "kappa", "--value", "7", "--uri", "//Bob", "--sudo", *U, "--json", code=1)
    assert r["message"].endswith("RequireSudo")
    assert run("subnet", "set", "1", "--param", "immunity_period", "--value", "50", "--uri", "//Alice", *U, "--json")[
        "success"
    ]
    hp = run("subnet", "hyperparameters", "1", *U, "--json")
    assert hp["tempo"] == 12 and hp["immunity_period"] == 50

    # commit-reveal is on: set is refused with the way out; commit keeps salt and values locally
    r = run("weights", "set", "--netuid", "1", "--uids", "2", "--weights", "1", "--hotkey-uri", "//Bob//v", *U,
            "--json", code=1)
    assert r["message"].endswith("CommitRevealEnabled") and "commit_weights" in r["hint"]
    # hash commits (v2) on this subnet; timelocked ones are tested in tests/test_e2e_timelock.py
    assert run("subnet", "set", "1", "--param", "commit_reveal_version", "--value", "2", "--uri", "//Alice", "--sudo",
               *U, "--json")["success"]
    cf = ("--commit-file", str(tmp_path / "commits.json"))
    r = run("weights", "commit", "--netuid", "1", "--uids", "0,2", "--weights", "0.25,0.75", "--hotkey-uri",
            "//Bob//v", *cf, *U, "--json")
    assert r["success"]
    stored = json.loads((tmp_path / "commits.json").read_text())
    assert stored[0]["hash"] == r["hash"] and stored[0]["values"] == [21845, 65535]
    r = run("weights", "reveal", "--netuid", "1", "--hotkey-uri", "//Bob//v", *cf, *U, "--json")  # waits its epoch
    assert r["success"], r
    assert json.loads((tmp_path / "commits.json").read_text()) == []

    mg = run("metagraph", "1", *U, "--json")
    assert [n["uid"] for n in mg["neurons"]] == [0, 1, 2] and mg["neurons"][1]["hotkey"] == val.ss58
    assert "Metagraph of subnet 1" in run("metagraph", "1", *U)
    assert run("subnet", "show", "1", *U, "--json")["n"] == 3


def test_cli_refuses_bad_input(url: str) -> None:
    U = ("--url", url)
    assert "there is no subnet 99" in run("subnet", "show", "99", *U, code=1)
    assert "not a number of TAO" in run("stake", "add", "--amount", "abc", "--hotkey", "//X", *U, code=2)
    out = run("weights", "set", "--netuid", "1", "--uids", "1,2", "--weights", "0.5", "--hotkey-uri", "//X", *U, code=2)
    assert "--uids has 2 entries but --weights has 1" in out
    assert "bad --hotkey-uri" in run("subnet", "register", "1", "--hotkey-uri", "//Alice/soft", *U, code=2)
    assert "unknown parameter" in run("subnet", "set", "1", "--param", "bogus", "--value", "1", *U, code=2)
    assert "start one with `taochain node --dev`" in run("subnet", "list", "--url", "ws://127.0.0.1:9", code=1)
