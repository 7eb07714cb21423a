"""The `taochain` command: key inspect (golden vector) and the STF demo, through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from runtime.support.keys import keypair_from_uri
from taochain.cli import app
from taochain.cli_common import dry_run
from taochain.client import DryRunResult

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_key_inspect_alice_json() -> None:
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--json"])  # sr25519, as subkey
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {
        "uri": "//Alice",
        "public_key": "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
        "ss58": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
    }
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--scheme", "ed25519", "--json"])
    assert json.loads(r.output) == {
        "uri": "//Alice",
        "public_key": "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee",
        "ss58": "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
    }


def test_key_inspect_text_and_bad_uri() -> None:
    r = runner.invoke(app, ["key", "inspect", "//Bob"])
    assert r.exit_code == 0 and "SS58" in r.output
    r = runner.invoke(app, ["key", "inspect", "//Alice/soft", "--scheme", "ed25519"])  # no soft ed25519
    assert r.exit_code == 2 and "error" in r.output


def test_console_script_runs_the_demo() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "taochain.cli", "demo", "--blocks", "2"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "#2" in out.stdout and "total issuance" in out.stdout


def _commands(group, path=()):
    """(path, click command) of every visible command under a click group."""
    for name, cmd in group.commands.items():
        if getattr(cmd, "hidden", False):
            continue
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_groups_and_btcli_aliases() -> None:
    import typer

    root = typer.main.get_command(app)
    for name in ("subnets", "subnet", "stake", "weights", "wt", "sudo", "wallet", "transfer", "balance", "block",
                 "metagraph", "node", "testnet", "key", "drand", "yuma", "demo"):
        assert name in root.commands, name
    assert root.commands["subnet"].commands.keys() == root.commands["subnets"].commands.keys()
    assert {"create", "start", "list", "show", "hyperparameters", "register", "pow-register",
            "burn-cost"} <= set(root.commands["subnets"].commands)
    assert {"get", "set"} <= set(root.commands["sudo"].commands)
    assert {"set", "commit", "reveal"} <= set(root.commands["wt"].commands)


def test_every_client_command_takes_network_json_and_keys() -> None:
    import typer

    root = typer.main.get_command(app)
    offline = {("node",), ("testnet",), ("demo",), ("key", "inspect"), ("yuma", "replay")}
    mine = ("subnets", "stake", "weights", "sudo", "transfer", "balance", "block", "metagraph")
    for path, cmd in _commands(root):
        if path in offline or path[0] not in mine:
            continue
        opts = {o for p in cmd.params for o in p.opts}
        assert {"--network", "--url", "--json"} <= opts, path
        if "--uri" in opts or "--hotkey-uri" in opts:
            assert {"--wallet-name", "-w", "--wallet-path"} <= opts, path
        assert (cmd.help or "").strip(), path  # a one-line summary


def test_help_reads_well() -> None:
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "--network" in r.output and "Examples" in r.output
    for args in (["subnets", "--help"], ["subnets", "register", "--help"], ["sudo", "set", "--help"],
                 ["wt", "commit", "--help"], ["transfer", "--help"], ["stake", "add", "--help"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0 and "Usage" in r.output, args
    assert "Examples" in runner.invoke(app, ["sudo", "set", "--help"]).output


def test_network_names() -> None:
    from taochain.cli_common import network_url

    assert network_url("local") == "ws://127.0.0.1:9944"
    assert network_url("ws://10.0.0.2:9944") == "ws://10.0.0.2:9944"
    assert network_url("127.0.0.1:9945") == "ws://127.0.0.1:9945"
    r = runner.invoke(app, ["subnets", "list", "--network", "finney"])
    assert r.exit_code == 2 and "--network 'finney'" in r.output


class _FakeClient:
    """sign / dry_run / account, as the CLI's dry-run helper uses them: the first extrinsic's nonce
    is ahead of the chain's (earlier transactions wait in the pool), `verdict` judges the copy
    signed with the account's nonce."""

    def __init__(self, verdict):
        self.nonces: list[int | None] = []
        self.verdict = verdict

    def sign(self, key, call, nonce=None):
        self.nonces.append(nonce)
        return b"xt%d" % len(self.nonces)

    def account(self, who):
        return {"nonce": 3}

    def dry_run(self, xt):
        return DryRunResult(False, False, "InvalidTransaction.Future", "later") if xt == b"xt1" else self.verdict


def test_the_dry_run_judges_the_call_when_earlier_transactions_wait_in_the_pool(capsys) -> None:
    """A Future nonce (the sender's earlier transactions are still pending) is no refusal: the call
    is judged with the account's nonce, and the extrinsic kept for sending is the first one."""
    alice = keypair_from_uri("//Alice")
    c = _FakeClient(DryRunResult(True, True, fee=5))
    xt, d = dry_run(c, alice, [5, 3, []], True)
    assert xt == b"xt1" and d.success and d.fee == 5 and c.nonces == [None, 3]
    c = _FakeClient(DryRunResult(False, True, "Balances.InsufficientBalance", "too poor", "fund it", "1 < 2"))
    with pytest.raises(typer.Exit):
        dry_run(c, alice, [5, 3, []], True)
    out = json.loads(capsys.readouterr().out)
    assert out["sent"] is False and out["message"] == "Balances.InsufficientBalance"
    assert out["hint"] == "too poor (1 < 2); fund it"
