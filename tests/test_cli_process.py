"""The `taochain` command as a user runs it: separate processes (`python -m taochain.cli`) against a
dev node, read through their `--json` output, with a wallet on disk (encrypted coldkey, password
from the environment): create a wallet, fund it, register its hotkey, stake, read the metagraph
and the wallet overview, and a refusal that exits 1 without sending anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from devnode import dev_node

ROOT = Path(__file__).resolve().parents[1]
TAO = 10**9


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("cliproc")
    with dev_node(tmp) as (url, _proc):
        yield {**os.environ, "TAOCHAIN_NETWORK": url, "TAOCHAIN_WALLET_PATH": str(tmp / "wallets"),
               "TAOCHAIN_WALLET_PASSWORD": "correct horse", "PYTHONUNBUFFERED": "1"}


def tc(env: dict, *args: str, code: int = 0) -> dict:
    p = subprocess.run([sys.executable, "-m", "taochain.cli", *args, "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == code, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_a_wallet_through_the_command_line(env: dict) -> None:
    w = tc(env, "wallet", "create", "-w", "carol", "-H", "miner", "--no-prompt")
    cold = w["coldkey"]["ss58"]
    assert w["coldkey"]["mnemonic"] and w["hotkey"]["ss58"] != cold
    coldkey_file = Path(env["TAOCHAIN_WALLET_PATH"]) / "carol" / "coldkey"
    assert coldkey_file.stat().st_mode & 0o777 == 0o600 and b"correct horse" not in coldkey_file.read_bytes()
    assert tc(env, "balance", cold)["free"] == 0
    r = tc(env, "transfer", "--uri", "//Alice", "--dest", cold, "--amount", "50", "--no-prompt")
    assert r["success"] and r["balance_after"] < r["balance_before"]
    assert tc(env, "balance", cold)["free"] == 50 * TAO

    net = tc(env, "subnets", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//owner", "--no-prompt")
    assert net["success"]
    netuid = net["netuid"]
    r = tc(env, "subnets", "register", "--netuid", str(netuid), "-w", "carol", "-H", "miner", "--no-prompt")
    assert r["success"] and r["uid"] == 1
    assert tc(env, "stake", "add", "--amount", "10", "-w", "carol", "-H", "miner", "--no-prompt")["success"]
    mg = tc(env, "subnets", "show", "--netuid", str(netuid))
    (me,) = [n for n in mg["neurons"] if n["uid"] == 1]
    assert me["hotkey"] == w["hotkey"]["ss58"] and me["coldkey"] == cold and me["stake"] == 10 * TAO
    over = tc(env, "wallet", "overview", "-w", "carol")
    assert any(x["netuid"] == netuid and x["uid"] == 1 for x in over["neurons"])

    # refused before sending: more stake than the balance (nothing spent, the nonce unchanged)
    before = tc(env, "balance", cold)
    r = tc(env, "stake", "add", "--amount", "1000", "-w", "carol", "-H", "miner", "--no-prompt", code=1)
    assert r["sent"] is False and "hint" in r
    assert tc(env, "balance", cold) == before
    # a wrong password is refused with exit 1 and no traceback
    bad = {**env, "TAOCHAIN_WALLET_PASSWORD": "wrong"}
    p = subprocess.run([sys.executable, "-m", "taochain.cli", "stake", "add", "--amount", "1", "-w", "carol",
                        "-H", "miner", "--no-prompt"], cwd=ROOT, env=bad, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "wrong password" in p.stdout + p.stderr and "Traceback" not in p.stderr
