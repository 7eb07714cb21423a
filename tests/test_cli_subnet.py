"""The btcli-shaped commands (subnets, stake, weights, sudo, metagraph, transfer, balance, block)
against a real dev node process, through the CLI entry point with --json: aliases (subnet, wt),
--network/--url/$TAOCHAIN_NETWORK, --netuid or a positional NETUID, dry runs that refuse before
sending (with the pallet's error name and doc), and refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devnode import cli_runner, dev_node
from typer.testing import CliRunner

from runtime.support.keys import keypair_from_uri
from taochain.cli import app
from taochain.client import Client

TAO = 10**9


run = cli_runner(app)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory):
    with dev_node(tmp_path_factory.mktemp("node")) as (u, _proc):
        yield u


def test_subnet_life_through_the_cli(url: str, tmp_path: Path) -> None:
    U = ("--network", url)
    listed = run("subnets", "list", *U, "--json")
    assert listed["subnets"] == [] and listed["lock_cost"] == 100 * TAO
    assert run("subnets", "burn-cost", *U, "--json") == {"lock_cost": 100 * TAO}
    r = run("subnets", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//o", "--no-prompt", *U, "--json")
    assert r["success"] and r["netuid"] == 1 and r["lock"] == 100 * TAO
    assert r["balance_before"] - r["balance_after"] >= 100 * TAO - 10**6  # the lock (the author gets fees back)
    assert run("subnet", "start", "1", "--uri", "//Alice", "--url", url, "--json")["success"]  # old spelling
    r = run("subnets", "start", "--netuid", "1", "--uri", "//Alice", *U, "--json", code=1)  # dry run
    assert r["sent"] is False and r["message"] == "SubtensorModule.FirstEmissionBlockNumberAlreadySet"
    assert "nothing to do" in r["hint"]
    r = run("subnets", "start", "--netuid", "1", "--uri", "//Bob", *U, "--json", code=1)
    assert r["message"] == "SubtensorModule.NotSubnetOwner" and "owner's coldkey" in r["hint"]
    val = keypair_from_uri("//Bob//v")
    r = run("subnets", "register", "--netuid", "1", "--uri", "//Bob", "--hotkey-uri", "//Bob//v", "--no-prompt", *U,
            "--json")
    assert r["success"] and r["uid"] == 1 and r["balance_before"] - r["balance_after"] >= r["burn"]
    r = run("subnet", "pow-register", "1", "--uri", "//Charlie", "--hotkey-uri", "//Charlie//m", *U, "--json")
    assert r["success"] and r["uid"] == 2
    # the same hotkey again: refused before sending, with the cause and the fix
    r = run("subnets", "register", "--netuid", "1", "--uri", "//Bob", "--hotkey-uri", "//Bob//v", "--no-prompt", *U,
            "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("HotKeyAlreadyRegisteredInSubNet") and "metagraph" in r["hint"]

    r = run("stake", "add", "--amount", "50", "--uri", "//Bob", "--hotkey", "//Bob//v", "--no-prompt", *U, "--json")
    assert r["success"] and r["amount"] == 50 * TAO and r["balance_before"] - r["balance_after"] >= 50 * TAO
    assert run("st", "remove", "--amount", "10", "--uri", "//Bob", "--hotkey", "//Bob//v", *U, "--json")["success"]
    stakes = run("stake", "list", "--uri", "//Bob", *U, "--json")
    assert [s["hotkey"] for s in stakes["stakes"]] == [val.ss58] and stakes["total"] == stakes["stakes"][0]["stake"]
    assert 40 * TAO <= stakes["total"] < 60 * TAO  # 50 - 10, plus any dividends an epoch paid meanwhile
    r = run("stake", "remove", "--amount", "100", "--uri", "//Bob", "--hotkey", "//Bob//v", *U, "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("NotEnoughStakeToWithdraw") and "at most" in r["hint"]

    hp = run("subnets", "hyperparameters", "1", *U, "--json")
    assert hp["tempo"] == 10 and hp["commit_reveal_weights_enabled"] is True
    assert run("sudo", "get", "--netuid", "1", *U, "--json") == hp
    table = run("sudo", "get", "--netuid", "1", *U)
    assert "OWNER SETTABLE" in table and "DESCRIPTION" in table and "steepness" in table
    # root-only: a key that is not the sudo key is refused before sending; the sudo key goes through Sudo
    r = run("sudo", "set", "--netuid", "1", "--param", "tempo", "--value", "12", "--uri", "//Bob", *U, "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("RequireSudo") and "root-only" in r["hint"]
    r = run("sudo", "set", "--netuid", "1", "--param", "tempo", "--value", "12", "--uri", "//Alice", *U, "--json")
    assert r["success"] and r["sudo"] is True
    assert "root-only" in run("sudo", "set", "1", "--param", "tempo", "--value", "12", "--no-sudo", *U, code=2)
    r = run("subnet", "set", "1", "--param", "kappa", "--value", "7", "--uri", "//Bob", "--sudo", *U, "--json", code=1)
    assert r["message"].endswith("RequireSudo")
    r = run("subnets", "set", "1", "--param", "immunity_period", "--value", "50", "--uri", "//Alice", *U, "--json")
    assert r["success"] and r["sudo"] is False  # owner-settable, signed by the owner
    hp = run("sudo", "get", "1", *U, "--json")
    assert hp["tempo"] == 12 and hp["immunity_period"] == 50

    # commit-reveal is on: set is refused before sending, with the way out
    r = run("weights", "set", "--netuid", "1", "--uids", "2", "--weights", "1", "--hotkey-uri", "//Bob//v", *U,
            "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("CommitRevealEnabled") and "weights commit" in r["hint"]
    r = run("wt", "commit", "--netuid", "1", "--uids", "2", "--weights", "1", "--hotkey-uri", "//Nobody//h", *U,
            "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("HotKeyNotRegisteredInSubNet")
    # hash commits (v2) on this subnet; timelocked ones are tested in tests/test_e2e_timelock.py
    assert run("sudo", "set", "--netuid", "1", "--param", "commit_reveal_version", "--value", "2", "--uri", "//Alice",
               *U, "--json")["success"]
    cf = ("--commit-file", str(tmp_path / "commits.json"))
    r = run("wt", "commit", "--netuid", "1", "--uids", "0,2", "--weights", "0.25,0.75", "--hotkey-uri",
            "//Bob//v", *cf, *U, "--json")
    assert r["success"] and r["mode"] == "hash"
    stored = json.loads((tmp_path / "commits.json").read_text())
    assert stored[0]["hash"] == r["hash"] and stored[0]["values"] == [21845, 65535]
    r = run("weights", "reveal", "--netuid", "1", "--hotkey-uri", "//Bob//v", *cf, *U, "--json")  # waits its epoch
    assert r["success"], r
    assert json.loads((tmp_path / "commits.json").read_text()) == []

    mg = run("metagraph", "1", *U, "--json")
    assert [n["uid"] for n in mg["neurons"]] == [0, 1, 2] and mg["neurons"][1]["hotkey"] == val.ss58
    assert "Metagraph of subnet 1" in run("metagraph", "--netuid", "1", *U)
    shown = run("subnets", "show", "--netuid", "1", *U, "--json")
    assert shown["subnet"]["n"] == 3 and [n["uid"] for n in shown["neurons"]] == [0, 1, 2]
    assert "Metagraph of subnet 1" in run("subnet", "show", "1", *U)


def test_register_refused_when_the_coldkey_cannot_pay_the_burn(url: str) -> None:
    """A refusal by the dry run sends nothing: the poor coldkey's balance and nonce stay as they
    were. It names the pallet's error; the hint is the pallet's doc (cause; fix) with what the
    runtime said about the case."""
    U = ("--network", url)
    if not run("subnets", "list", *U, "--json")["subnets"]:
        run("subnets", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//o", "--no-prompt", *U, "--json")
    poor = keypair_from_uri("//Poor")
    # enough for fees, not for the burn, the lock or a 1 TAO transfer
    assert run("transfer", "--uri", "//Alice", "--dest", "//Poor", "--amount", "0.01", "--no-prompt", *U,
               "--json")["success"]
    with Client(url) as c:
        before = c.account(poor.public)
        burn = c.subnet(1)["burn"]
    r = run("subnets", "register", "--netuid", "1", "--uri", "//Poor", "--hotkey-uri", "//Poor//h", "--no-prompt", *U,
            "--json", code=1)
    assert r["sent"] is False and r["message"] == "SubtensorModule.NotEnoughBalanceToStake"
    assert f"the burn is {burn} rao" in r["hint"] and "fund" in r["hint"]
    with Client(url) as c:  # the hint is the pallet's doc, with what the runtime said about the case
        cause, fix = c.error_doc("SubtensorModule.NotEnoughBalanceToStake").split("\n")
    assert r["hint"] == f"{cause} (the burn is {burn} rao); {fix}"
    out = run("subnets", "register", "--netuid", "1", "--uri", "//Poor", "--hotkey-uri", "//Poor//h", *U, code=1)
    assert "not sent" in out and "NotEnoughBalanceToStake" in out and "fund" in out
    r = run("stake", "add", "--amount", "0.005", "--uri", "//Poor", "--hotkey", "//Alice//o", *U, "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("HotKeyNotDelegateAndSignerNotOwnHotKey")
    assert "delegate" in r["hint"]
    r = run("subnets", "create", "--uri", "//Poor", "--hotkey-uri", "//Poor//o", *U, "--json", code=1)
    assert r["sent"] is False and r["message"].endswith("CannotAffordLockCost") and "lock cost is" in r["hint"]
    r = run("transfer", "--uri", "//Poor", "--dest", "//Bob", "--amount", "1", *U, "--json", code=1)
    assert r["sent"] is False and r["message"] == "Balances.InsufficientBalance" and "send less" in r["hint"]
    with Client(url) as c:
        assert c.account(poor.public) == before and c.next_nonce(poor.public) == before["nonce"]
    # an account with nothing cannot even pay the fee: the transaction would be invalid
    r = run("subnets", "register", "--netuid", "1", "--uri", "//Poorer", "--hotkey-uri", "//Poorer//h", *U,
            "--json", code=1)
    assert r["sent"] is False and r["message"] == "InvalidTransaction.Payment" and "fund" in r["hint"]


def test_transfer_balance_block_and_the_network_env(url: str) -> None:
    r = run("transfer", "--uri", "//Alice", "--dest", "//Dave", "--amount", "2.5", "--no-prompt", "--network", url,
            "--json")
    assert r["success"] and r["fee"] > 0 and r["balance_before"] > r["balance_after"]
    bal = run("balance", "//Dave", "--url", url, "--json")
    assert bal["free"] >= 2_500_000_000 and bal["ss58"] == keypair_from_uri("//Dave").ss58
    blk = run("block", str(r["block_number"]), "--network", url, "--json")
    assert blk["hash"] == r["block_hash"] and any(e["name"] == "Balances.Transfer" for e in blk["events"])
    # $TAOCHAIN_NETWORK is the default of --network (also HOST:PORT)
    res = CliRunner().invoke(app, ["subnets", "burn-cost", "--json"], env={"TAOCHAIN_NETWORK": url})
    assert res.exit_code == 0 and json.loads(res.output)["lock_cost"] > 0, res.output
    res = CliRunner().invoke(app, ["balance", "//Dave", "--json", "--network", url.removeprefix("ws://")])
    assert res.exit_code == 0, res.output
    out = run("transfer", "--uri", "//Alice", "--dest", "//Dave", "--amount", "1", "--no-prompt", "--network", url)
    assert "✅" in out and "Balance: τ" in out and "➡" in out


def test_cli_refuses_bad_input(url: str) -> None:
    U = ("--url", url)
    assert "there is no subnet 99" in run("subnets", "show", "--netuid", "99", *U, code=1)
    assert "not a number of TAO" in run("stake", "add", "--amount", "abc", "--hotkey", "//X", *U, code=2)
    out = run("weights", "set", "--netuid", "1", "--uids", "1,2", "--weights", "0.5", "--hotkey-uri", "//X", *U, code=2)
    assert "--uids has 2 entries but --weights has 1" in out
    assert "bad --hotkey-uri" in run("subnet", "register", "1", "--hotkey-uri", "//Alice//", *U, code=2)
    assert "unknown parameter" in run("sudo", "set", "1", "--param", "bogus", "--value", "1", *U, code=2)
    assert "differ" in run("subnets", "show", "1", "--netuid", "2", *U, code=2)
    assert "--netuid" in run("subnets", "show", *U, code=2)
    assert "--network 'mainnet'" in run("subnets", "list", "--network", "mainnet", code=2)
    assert "give the hotkey" in run("weights", "set", "--netuid", "1", "--uids", "1", "--weights", "1", *U, code=2)
    assert "start one with `taochain node --dev`" in run("subnets", "list", "--network", "ws://127.0.0.1:9", code=1)


def test_wallet_keys_work_like_uris(url: str, tmp_path: Path) -> None:
    """-w/-H/--wallet-path sign as --uri does: a wallet made from //Dave's dev key pays and registers."""
    U = ("--network", url)
    wp = ("--wallet-path", str(tmp_path / "wallets"))
    res = CliRunner().invoke(app, ["wallet", "create", "-w", "dave", "-H", "miner", "--uri", "dave",
                                   "--no-use-password", "--no-prompt", *wp])
    assert res.exit_code == 0, res.output
    if not run("subnets", "list", *U, "--json")["subnets"]:
        run("subnets", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//o", "--no-prompt", *U, "--json")
    r = run("subnets", "register", "--netuid", "1", "-w", "dave", "-H", "miner", *wp, "--no-prompt", *U, "--json")
    assert r["success"], r
    dave = keypair_from_uri("//Dave")
    assert r["balance_before"] > r["balance_after"]
    assert run("balance", "-w", "dave", *wp, *U, "--json")["ss58"] == dave.ss58
    r = run("stake", "add", "--amount", "5", "-w", "dave", "-H", "miner", *wp, "--no-prompt", *U, "--json")
    assert r["success"], r
    assert run("stake", "list", "-w", "dave", *wp, *U, "--json")["total"] >= 5 * TAO
