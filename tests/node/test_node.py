"""The node end to end: in-process (memory KV) over real RPC sockets, and as a subprocess on LevelDB
(restart persistence and kill -9 at random moments). Tests wait on conditions, never on sleeps."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from devnode import with_node

from node.rpc_api import header_from_json
from runtime.support import tx
from runtime.support.keys import dev_keypair
from runtime.support.trie import verify_proof
from taochain.client import RpcError
from taochain.proc import free_port, rpc_call, start_node, wait_rpc, wait_until, wait_until_async

ROOT = Path(__file__).resolve().parents[2]
TAO = 10**9
ALICE, BOB, CHARLIE, DAVE = (dev_keypair(n) for n in ("Alice", "Bob", "Charlie", "Dave"))


async def raw(url: str, body: bytes | str) -> dict:
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
        return json.loads(await r.text())


def test_blocks_advance_and_are_final_at_once() -> None:
    async def t(rn, c):
        await wait_until_async(lambda: rn.node.best.number >= 3, 15, "3 blocks")
        head = await c.header()
        assert int(head["number"], 16) >= 3
        fin = await c.finalized_head()
        assert int((await c.header(fin))["number"], 16) >= int(head["number"], 16)  # single authority: final at once
        assert await c.rpc("system_health") == {"peers": 0, "isSyncing": False, "shouldHavePeers": False}
        assert (await c.rpc("system_properties"))["tokenSymbol"] == "TAO"
        # the header JSON rebuilds to the same hash
        h = await c.block_hash(2)
        assert "0x" + header_from_json(await c.header(h)).hash().hex() == h

    with_node(t)


def test_transfer_over_rpc_lands_with_watch_statuses_in_order() -> None:
    async def t(rn, c):
        bob0 = (await c.account(BOB.ss58))["free"]
        call = await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, 3 * TAO)
        xt = await c.sign(ALICE, call)
        statuses = []
        async for st in c.submit_and_watch(xt):
            statuses.append(st)
            if isinstance(st, dict) and "finalized" in st:
                break
        assert statuses[0] == "ready"
        assert list(statuses[1]) == ["inBlock"] and list(statuses[2]) == ["finalized"]
        assert statuses[1]["inBlock"] == statuses[2]["finalized"]
        assert (await c.account(BOB.ss58))["free"] == bob0 + 3 * TAO
        r = await c.extrinsic_outcome("0x" + __import__("hashlib").blake2b(xt, digest_size=32).hexdigest(), statuses[1]["inBlock"])
        assert r.success and r.fee and r.fee > 0
        # a failing call is included, reported as failed with its error
        r = await c.transfer(CHARLIE, BOB.ss58, 10**18)
        assert not r.success and r.message.endswith("InsufficientBalance")

    with_node(t)


def test_new_heads_subscription_delivers_every_head() -> None:
    async def t(rn, c):
        seen = []
        async for h in c.new_heads():
            seen.append(int(h["number"], 16))
            if len(seen) == 5:
                break
        assert seen == list(range(seen[0], seen[0] + 5))

    with_node(t)


def test_rpc_bad_inputs_and_invalid_transactions() -> None:
    async def t(rn, c):
        url = rn.rpc.url
        assert (await raw(url, "{not json"))["error"]["code"] == -32700
        assert (await raw(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "nope"})))["error"]["code"] == -32601
        bad_params = {"jsonrpc": "2.0", "id": 1, "method": "system_account", "params": [5]}
        assert (await raw(url, json.dumps(bad_params)))["error"]["code"] == -32602
        for bad_acct in ("5Bad", "0x1234"):
            with pytest.raises(RpcError) as e:
                await c.rpc("system_account", bad_acct)
            assert e.value.code == -32602
        with pytest.raises(RpcError) as e:
            await c.rpc("chain_getBlockHash", -1)
        assert e.value.code == -32602
        # invalid transactions: 1010 with the reason
        call = await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, TAO)
        xt = bytearray(await c.sign(ALICE, call))
        xt[40] ^= 1
        with pytest.raises(RpcError) as e:
            await c.submit(bytes(xt))
        assert e.value.code == 1010 and "bad signature" in str(e.value.data)
        with pytest.raises(RpcError) as e:  # a byte string, but no extrinsic: Substrate's verification error
            await c.submit(b"\x20\x00garbage")
        assert e.value.code == 1002 and "could not decode" in str(e.value.message)
        stale = await c.sign(ALICE, call, nonce=0)
        await c.submit(stale)
        with pytest.raises(RpcError) as e:
            await c.submit(stale)
        assert e.value.code in (1012, 1013)
        await wait_until_async(lambda: rn.node.pool.status()["ready"] == 0, 15, "inclusion")
        with pytest.raises(RpcError) as e:
            await c.submit(await c.sign(ALICE, call, nonce=0, tip=1))
        assert e.value.code == 1010 and "outdated" in str(e.value.data)
        # still serving
        assert await c.rpc("system_name") == "taochain"

    with_node(t)


def test_state_queries_proofs_metadata_and_metrics() -> None:
    async def t(rn, c):
        await wait_until_async(lambda: rn.node.best.number >= 1, 15, "block #1")
        md = await c.metadata()
        assert [p["name"] for p in md["pallets"]][:2] == ["System", "Timestamp"]
        acct_key = rn.node.runtime.system.Account.key(ALICE.public)
        head = await c.header()
        at = await c.block_hash(int(head["number"], 16))
        value = await c.rpc("state_getStorage", "0x" + acct_key.hex(), at)
        proof = await c.rpc("state_getReadProof", ["0x" + acct_key.hex()], at)
        root = header_from_json(await c.header(at)).state_root
        assert verify_proof(root, acct_key, [bytes.fromhex(p[2:]) for p in proof["proof"]]) == bytes.fromhex(value[2:])
        prefix = rn.node.runtime.system.Account.prefix
        keys = await c.rpc("state_getKeysPaged", "0x" + prefix.hex(), 3, None, at)
        assert len(keys) == 3 and keys == sorted(keys)
        more = await c.rpc("state_getKeysPaged", "0x" + prefix.hex(), 10, keys[-1], at)
        assert more and more[0] > keys[-1]
        info = await c.rpc("payment_queryInfo", "0x" + (await c.sign(ALICE, await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, 1))).hex())
        assert int(info["partialFee"]) > 0
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{rn.metrics.port}/metrics") as r:
            text = await r.text()
        assert re.search(r'substrate_block_height\{status="best"\} [1-9]', text)
        assert "substrate_ready_transactions_number" in text and "taochain_block_import_seconds_count" in text

    with_node(t)


def test_pool_future_nonce_waits_then_lands() -> None:
    async def t(rn, c):
        call = await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, TAO)
        n = await c.next_nonce(CHARLIE)
        later = await c.sign(CHARLIE, call, nonce=n + 1)
        await c.submit(later)
        assert (await c.rpc("author_pendingExtrinsics")) == []  # Substrate's: the ready ones only
        assert rn.node.pool.status() == {"ready": 0, "future": 1}
        await c.submit(await c.sign(CHARLIE, call, nonce=n))
        await wait_until_async(lambda: rn.node.pool.status() == {"ready": 0, "future": 0}, 15, "both included")
        await wait_until_async(lambda: c.account(CHARLIE.ss58), 15, "account")
        assert (await c.account(CHARLIE.ss58))["nonce"] == n + 2

    with_node(t)


# --------------------------------------------------------------------------- subprocess, LevelDB


def leveldb_dev_node(base: Path, port: int, log_path: Path) -> subprocess.Popen:
    """`taochain node --dev` on LevelDB at `base` (250 ms blocks, 16 states kept), RPC on `port`."""
    return start_node(["--dev", "--base-path", str(base), "--no-prometheus", "--block-time-ms", "250",
                       "--state-pruning", "16"], log_path, rpc_port=port, cwd=ROOT)


def imported(log_path: Path) -> dict[int, str]:
    """Block number -> short hash ("0xabcd…1234") of every 'Imported' log line."""
    out = {}
    for m in re.finditer(r"Imported #(\d+) \((0x[0-9a-f]{4})…([0-9a-f]{4})\)", log_path.read_text(errors="replace")):
        out[int(m.group(1))] = (m.group(2), m.group(3))
    return out


@pytest.mark.integration
def test_restart_keeps_the_chain_and_clean_shutdown(tmp_path: Path) -> None:
    port, log_path = free_port(), tmp_path / "node.log"
    p = leveldb_dev_node(tmp_path / "db", port, log_path)
    try:
        wait_until(lambda: int(rpc_call(port, "chain_getHeader")["number"], 16) >= 3, 30, "block #3", (OSError,))
        version = rpc_call(port, "state_getRuntimeVersion")
        genesis = bytes.fromhex(rpc_call(port, "chain_getBlockHash", [0])[2:])
        call = bytes([5, 3]) + BOB.public + (7 * TAO).to_bytes(8, "little")  # Balances.transfer_keep_alive
        xt = tx.sign_extrinsic(ALICE, call, nonce=0, genesis_hash=genesis, spec_version=version["specVersion"],
                               tx_version=version["transactionVersion"])
        rpc_call(port, "author_submitExtrinsic", ["0x" + xt.hex()])
        wait_until(lambda: rpc_call(port, "system_account", [BOB.ss58])["free"] == 1_000_007 * TAO, 30, "the transfer",
                   (OSError,))
        best = int(rpc_call(port, "chain_getHeader")["number"], 16)
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=20) == 0
    assert "Goodbye" in log_path.read_text()
    p = leveldb_dev_node(tmp_path / "db", port, log_path)
    try:
        wait_until(lambda: int(rpc_call(port, "chain_getHeader")["number"], 16) >= best, 30, f"block #{best}", (OSError,))
        assert rpc_call(port, "system_account", [BOB.ss58])["free"] == 1_000_007 * TAO
        wait_until(lambda: int(rpc_call(port, "chain_getHeader")["number"], 16) > best + 1, 30, "new blocks",  # and it goes on
                   (OSError,))
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)


@pytest.mark.integration
def test_kill_9_at_random_moments_loses_no_reported_block(tmp_path: Path) -> None:
    rng = random.Random(7)
    port, log_path = free_port(), tmp_path / "node.log"
    for round_ in range(4):
        p = leveldb_dev_node(tmp_path / "db", port, log_path)
        try:
            wait_rpc(port, 30, method="chain_getHeader")
            time.sleep(rng.uniform(0.3, 1.5))  # let it import a few blocks, then kill mid-flight
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        reported = imported(log_path)
        assert reported, "the node imported nothing"
        p = leveldb_dev_node(tmp_path / "db", port, log_path)
        try:
            wait_rpc(port, 30, method="chain_getHeader")
            for n, (head, tail) in reported.items():
                h = rpc_call(port, "chain_getBlockHash", [n])
                assert h is not None and h.startswith(head) and h.endswith(tail), f"round {round_}: block #{n} lost"
            top = max(reported)
            wait_until(lambda top=top: int(rpc_call(port, "chain_getHeader")["number"], 16) > top, 30, "new blocks",
                       (OSError,))
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


# --------------------------------------------------------------------------- import and fork choice


def test_import_verifies_seal_author_parent_and_picks_the_longest_chain() -> None:
    """A node without a key imports blocks authored elsewhere (LocalChain, same dev genesis)."""
    from node.local import LocalChain
    from runtime.block import Block
    from runtime.executive import BlockError

    async def t(rn, c):
        node = rn.node
        a = LocalChain()
        a.author([a.sign(BOB, a.call("Balances", "transfer_keep_alive", CHARLIE.public, TAO))])
        good = a.blocks[a.head.hash()]
        # tampered seal, sealed by another key, unknown parent, state root mismatch
        for bad, msg in [
            (Block(good.header.with_seal(b"\x01" * 64), good.extrinsics), "bad seal"),
            (Block(good.header.with_seal(BOB.sign(good.header.pre_hash())), good.extrinsics), "bad seal"),
        ]:
            with pytest.raises(BlockError, match=msg):
                await node.import_block(bad)
        orphan = __import__("dataclasses").replace(good.header, parent_hash=b"\x05" * 32)
        with pytest.raises(BlockError, match="unknown parent"):
            await node.import_block(Block(orphan, good.extrinsics))
        assert node.best.number == 0
        assert await node.import_block(good)
        assert node.best.hash() == good.hash() and node.finalized.hash() == good.hash()
        assert (await c.account(CHARLIE.ss58))["free"] == 1_000_001 * TAO
        # a competing branch from genesis: refused, genesis is no longer the finalized block
        b = LocalChain()
        b.author(slot=5)
        with pytest.raises(BlockError, match="does not descend from the finalized"):
            await node.import_block(b.blocks[b.head.hash()])
        assert node.best.hash() == good.hash()

    with_node(t, author=False)


def test_fork_choice_longest_chain_without_finality() -> None:
    """Three authorities, no finality gadget yet: the longest chain wins, with a reorg."""
    from node.local import LocalChain
    from runtime.presets import local

    async def t(rn, c):
        node = rn.node
        a, b = LocalChain(local()), LocalChain(local())
        for s in (1, 2):
            a.author(slot=s)
        for s in (3, 4, 5):
            b.author([b.sign(BOB, b.call("Balances", "transfer_keep_alive", DAVE.public, TAO))] if s == 5 else [], slot=s)
        for h in a.by_number[1:]:
            await node.import_block(a.blocks[h])
        assert node.best.hash() == a.head.hash()
        assert not await node.import_block(b.blocks[b.by_number[1]])  # shorter: kept aside
        assert not await node.import_block(b.blocks[b.by_number[2]])  # as long: no switch
        assert node.best.hash() == a.head.hash()
        assert await node.import_block(b.blocks[b.by_number[3]])  # longer: reorg
        assert node.best.hash() == b.head.hash() and node.finalized.number == 0
        assert (await c.account(DAVE.ss58))["free"] == 1_000_001 * TAO
        assert await c.block_hash(2) == "0x" + b.by_number[2].hex()

    with_node(t, chain="local", key_uri=None)


def test_a_failing_block_build_does_not_stall_the_chain(monkeypatch) -> None:
    import node.service as service

    real = service.build_block

    def flaky(runtime, state, trie, parent_hash, number, digest, inherents, candidates, *rest):
        if candidates:
            raise RuntimeError("a runtime bug hit by some transaction")
        return real(runtime, state, trie, parent_hash, number, digest, inherents, candidates, *rest)

    monkeypatch.setattr(service, "build_block", flaky)

    async def t(rn, c):
        await c.submit(await c.sign(ALICE, await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, TAO)))
        n0 = rn.node.best.number
        await wait_until_async(lambda: rn.node.best.number >= n0 + 2, 15, "blocks despite the failing build")

    with_node(t)


@pytest.mark.integration
def test_cli_commands_against_a_dev_node(tmp_path: Path) -> None:
    port, log_path = free_port(), tmp_path / "node.log"
    p = leveldb_dev_node(tmp_path / "db", port, log_path)
    url = f"ws://127.0.0.1:{port}"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "taochain.cli", *args, "--url", url], cwd=ROOT, capture_output=True, text=True, timeout=60
        )

    try:
        wait_rpc(port, 30, method="chain_getHeader")
        before = json.loads(cli("balance", "//Bob", "--json").stdout)
        r = cli("transfer", "--uri", "//Alice", "--dest", BOB.ss58, "--amount", "2.5", "--json")
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["success"] and out["block_number"] >= 1 and out["fee"] > 0
        after = json.loads(cli("balance", "//Bob", "--json").stdout)
        assert after["free"] == before["free"] + 2_500_000_000
        blk = json.loads(cli("block", str(out["block_number"]), "--json").stdout)
        assert blk["hash"] == out["block_hash"]
        assert any(e["name"] == "Balances.Transfer" for e in blk["events"])
        r = cli("transfer", "--uri", "//Ferdie", "--dest", "//Bob", "--amount", "5000000", "--json")
        assert r.returncode == 1 and json.loads(r.stdout)["message"].endswith("InsufficientBalance")
        r = cli("balance", "not-an-address")
        assert r.returncode == 2 and "is not an account" in r.stdout
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)
