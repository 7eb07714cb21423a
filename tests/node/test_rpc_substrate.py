"""Substrate's RPC surface beyond taochain's first methods (#15 item 5): the aliases (chain_getHead,
state_getStorageAt...), state_getStorageHash / Size, state_getKeys, state_queryStorageAt, and the
all-heads, runtime-version and storage subscriptions, each answer compared with the existing method
that says the same thing, against one in-process dev node (250 ms blocks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from devnode import BackgroundNode, node_client

from node import rpc_api
from node.rpc_api import MAX_LIST_PARAM, header_from_json
from runtime.support.hashing import blake2_256
from runtime.support.keys import dev_keypair
from taochain.client import Client, RpcError

ALICE, BOB, CHARLIE, EVE = (dev_keypair(n) for n in ("Alice", "Bob", "Charlie", "Eve"))
UNKNOWN = "0x" + "ab" * 32
WAIT = 15.0


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[Client, BackgroundNode]]:
    with node_client() as (c, n):
        c.transfer(ALICE, BOB, 10**9)  # a block with a transaction, before any test
        yield c, n


def account_key(n: BackgroundNode, who: Any) -> str:
    return "0x" + n.rn.node.runtime.system.Account.key(who.public).hex()


def code_of(c: Client, method: str, *params: Any) -> int:
    with pytest.raises(RpcError) as exc:
        c.rpc(method, *params)
    return exc.value.code


class Ws:
    """One raw WebSocket: requests answered by id, notifications collected by subscription id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = 0
        self.notes: dict[str, list[Any]] = {}
        self.answers: dict[int, dict] = {}

    async def _pump(self) -> None:
        m = await asyncio.wait_for(self.ws.receive(), WAIT)
        assert m.type == aiohttp.WSMsgType.TEXT, m
        msg = json.loads(m.data)
        if "id" in msg:
            self.answers[msg["id"]] = msg
        else:
            p = msg["params"]
            self.notes.setdefault(p["subscription"], []).append((msg["method"], p["result"]))

    async def call(self, method: str, *params: Any) -> dict:
        self.ids += 1
        rid = self.ids
        await self.ws.send_json({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)})
        while rid not in self.answers:
            await self._pump()
        return self.answers.pop(rid)

    async def subscribe(self, method: str, *params: Any) -> str:
        answer = await self.call(method, *params)
        assert "result" in answer, answer
        return answer["result"]

    async def until(self, sub: str, count: int) -> list[Any]:
        """The first `count` notifications of `sub` (method, result)."""
        while len(self.notes.get(sub, [])) < count:
            await self._pump()
        return self.notes[sub][:count]


def with_ws(url: str, body: Any) -> Any:
    async def main() -> Any:
        async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
            return await body(Ws(ws))

    return asyncio.run(asyncio.wait_for(main(), 60))


# ------------------------------------------------------------------ plain methods


def test_aliases_answer_as_the_methods_they_alias(node) -> None:
    c, n = node
    best = c.rpc("chain_getBlockHash")
    head = c.rpc("chain_getHead")
    assert head == best or c.rpc("chain_getHeader", head)["number"] > c.rpc("chain_getHeader", best)["number"]
    assert c.rpc("chain_getHead", 0) == c.rpc("chain_getBlockHash", 0)
    assert c.rpc("chain_getHead", [0, 1]) == c.rpc("chain_getBlockHash", [0, 1])
    key = account_key(n, ALICE)
    genesis = c.rpc("chain_getBlockHash", 0)
    for at in (genesis, best):
        assert c.rpc("state_getStorageAt", key, at) == c.rpc("state_getStorage", key, at) is not None


def test_storage_hash_and_size_of_the_stored_bytes(node) -> None:
    c, n = node
    at = c.rpc("chain_getBlockHash")
    for key in (account_key(n, ALICE), account_key(n, BOB)):
        raw = bytes.fromhex(c.rpc("state_getStorage", key, at)[2:])
        for suffix in ("", "At"):
            assert c.rpc(f"state_getStorageHash{suffix}", key, at) == "0x" + blake2_256(raw).hex()
            assert c.rpc(f"state_getStorageSize{suffix}", key, at) == len(raw) > 0
    absent = "0x" + "77" * 40
    assert c.rpc("state_getStorage", absent) is None
    assert c.rpc("state_getStorageHash", absent) is None and c.rpc("state_getStorageSize", absent) is None


def test_get_keys_is_every_key_of_the_prefix(node) -> None:
    c, n = node
    prefix = "0x" + n.rn.node.runtime.system.Account.prefix.hex()
    at = c.rpc("chain_getBlockHash")
    keys = c.rpc("state_getKeys", prefix, at)
    assert keys == c.rpc("state_getKeysPaged", prefix, 1000, None, at) and account_key(n, ALICE) in keys
    assert c.rpc("state_getKeys", "0x" + "77" * 8) == []


def test_get_keys_refuses_more_than_its_bound(node, monkeypatch: pytest.MonkeyPatch) -> None:
    c, n = node
    prefix = "0x" + n.rn.node.runtime.system.Account.prefix.hex()
    count = len(c.rpc("state_getKeys", prefix))
    monkeypatch.setattr(rpc_api, "MAX_LIST_PARAM", count)
    assert len(c.rpc("state_getKeys", prefix)) == count  # exactly the bound: served
    monkeypatch.setattr(rpc_api, "MAX_LIST_PARAM", count - 1)
    with pytest.raises(RpcError) as exc:
        c.rpc("state_getKeys", prefix)
    assert (exc.value.code, exc.value.message) == (-32008, "Response is too big")
    assert "state_getKeysPaged" in str(exc.value.data)


def test_query_storage_at_is_state_get_storage_per_key(node) -> None:
    c, n = node
    genesis = c.rpc("chain_getBlockHash", 0)
    alice, bob, absent = account_key(n, ALICE), account_key(n, BOB), "0x" + "77" * 40
    for at in (genesis, c.rpc("chain_getBlockHash", 1)):
        answer = c.rpc("state_queryStorageAt", [alice, bob, absent, alice], at)
        expected = [[k, c.rpc("state_getStorage", k, at)] for k in (alice, bob, absent)]  # repeats dropped
        assert answer == [{"block": at, "changes": expected}] and expected[2][1] is None
    assert c.rpc("state_queryStorageAt", []) == []
    (latest,) = c.rpc("state_queryStorageAt", [alice])  # no `at`: the best block
    assert c.rpc("chain_getHeader", latest["block"]) is not None


def test_block_and_pending_extrinsics_are_hex(node) -> None:
    c, _n = node
    r = c.transfer(ALICE, BOB, 10**9)
    assert r.success, r
    xts = c.rpc("chain_getBlock", r.block_hash)["block"]["extrinsics"]
    assert all(isinstance(x, str) and x.startswith("0x") for x in xts)
    assert r.extrinsic_hash in ["0x" + blake2_256(bytes.fromhex(x[2:])).hex() for x in xts]
    call = c.compose_call("Balances", "transfer_allow_death", BOB.public, 1)
    nonce = c.next_nonce(EVE)
    future = c.sign(EVE, call, nonce=nonce + 5)  # waits in the pool's future queue
    c.submit(future)
    ready = c.sign(EVE, call, nonce=nonce)
    c.submit(ready)
    pending = c.rpc("author_pendingExtrinsics")  # Substrate's: the ready ones (if not in a block yet)
    assert "0x" + future.hex() not in pending
    assert "0x" + ready.hex() in pending or c.account(EVE)["nonce"] > nonce  # or in a block already


def test_bad_params_get_the_codes_of_the_existing_methods(node) -> None:
    c, n = node
    key = account_key(n, ALICE)
    for method in ("state_getStorageHash", "state_getStorageSize", "state_getStorageAt"):
        assert code_of(c, method, "0xzz") == -32602
        assert code_of(c, method, key, UNKNOWN) == 4003 == code_of(c, "state_getStorage", key, UNKNOWN)
    assert code_of(c, "state_getKeys", "0x1") == -32602
    assert code_of(c, "state_getKeys", "0x", UNKNOWN) == 4003
    assert code_of(c, "state_queryStorageAt", ["0xzz"]) == -32602
    assert code_of(c, "state_queryStorageAt", "0x00") == -32602
    assert code_of(c, "state_queryStorageAt", [key], UNKNOWN) == 4003
    assert code_of(c, "state_queryStorageAt", ["0x00"] * (MAX_LIST_PARAM + 1)) == -32602
    assert code_of(c, "chain_getHead", -1) == -32602


# ------------------------------------------------------------------ subscriptions


def test_all_heads_sees_each_new_header_then_unsubscribes(node) -> None:
    c, n = node

    async def body(ws: Ws) -> None:
        sub = await ws.subscribe("chain_subscribeAllHeads")
        heads = [r for m, r in await ws.until(sub, 4) if m == "chain_allHead"]
        assert len(heads) == 4
        numbers = [int(h["number"], 16) for h in heads]
        assert numbers == list(range(numbers[0], numbers[0] + 4))  # one chain, no gaps
        for h in heads:
            assert await asyncio.to_thread(c.rpc, "chain_getHeader", "0x" + header_from_json(h).hash().hex()) == h
        assert (await ws.call("chain_unsubscribeAllHeads", sub))["result"] is True
        seen = len(ws.notes[sub])
        clock = await ws.subscribe("chain_subscribeNewHeads")
        await ws.until(clock, 3)  # two blocks after the unsubscribe
        assert len(ws.notes[sub]) == seen
        assert (await ws.call("chain_unsubscribeAllHeads", sub))["result"] is False

    with_ws(n.url, body)


def test_runtime_version_subscription_sends_the_version_once(node) -> None:
    c, n = node

    async def body(ws: Ws) -> None:
        sub = await ws.subscribe("state_subscribeRuntimeVersion")
        ((method, version),) = await ws.until(sub, 1)
        assert method == "state_runtimeVersion"
        assert version == await asyncio.to_thread(c.rpc, "state_getRuntimeVersion")
        clock = await ws.subscribe("chain_subscribeNewHeads")
        await ws.until(clock, 3)
        assert len(ws.notes[sub]) == 1
        assert (await ws.call("state_unsubscribeRuntimeVersion", sub))["result"] is True

    with_ws(n.url, body)


def test_storage_subscription_sees_a_transfer_in_its_block(node) -> None:
    c, n = node
    alice, bob, charlie = account_key(n, ALICE), account_key(n, BOB), account_key(n, CHARLIE)

    async def body(ws: Ws) -> None:
        sub = await ws.subscribe("state_subscribeStorage", [alice, bob, charlie])
        ((method, first),) = await ws.until(sub, 1)
        assert method == "state_storage"
        assert [first] == await asyncio.to_thread(c.rpc, "state_queryStorageAt", [alice, bob, charlie], first["block"])
        r = await asyncio.to_thread(c.transfer, ALICE, BOB, 10**9)
        assert r.success, r
        while not any(res["block"] == r.block_hash for _, res in ws.notes[sub]):
            await ws._pump()
        changed = next(res for _, res in ws.notes[sub] if res["block"] == r.block_hash)
        values = dict(changed["changes"])
        assert alice in values and bob in values
        for k, v in values.items():
            assert v == await asyncio.to_thread(c.rpc, "state_getStorage", k, r.block_hash)
        for _, res in ws.notes[sub][1:]:  # Charlie's account changed in no block
            assert charlie not in dict(res["changes"]) and res["changes"]
        assert (await ws.call("state_unsubscribeStorage", sub))["result"] is True
        seen = len(ws.notes[sub])
        r = await asyncio.to_thread(c.transfer, ALICE, BOB, 10**9)
        clock = await ws.subscribe("chain_subscribeNewHeads")
        await ws.until(clock, 2)
        assert len(ws.notes[sub]) == seen

    with_ws(n.url, body)


def test_storage_subscription_bad_params(node) -> None:
    _c, n = node

    async def body(ws: Ws) -> None:
        for params in ([], [None], [["0xzz"]], ["0x00"], [["0x00"] * (MAX_LIST_PARAM + 1)]):
            answer = await ws.call("state_subscribeStorage", *params)
            assert answer["error"]["code"] == -32602, (params, answer)
        sub = await ws.subscribe("state_subscribeStorage", [])  # nothing to watch: never notified
        clock = await ws.subscribe("chain_subscribeNewHeads")
        await ws.until(clock, 2)
        assert sub not in ws.notes

    with_ws(n.url, body)


def test_all_heads_and_storage_across_a_fork_and_a_reorg() -> None:
    """Three authorities, no author here, blocks imported from two branches: all-heads sees every
    imported header, new-heads only the best ones; a transfer in a block that was not the best when
    imported reaches the storage subscription when the reorg onto its branch happens."""
    from node.local import LocalChain
    from node.run import RunConfig, RunningNode
    from node.service import NodeConfig
    from runtime.presets import local

    async def main() -> None:
        rn = RunningNode(RunConfig(node=NodeConfig(chain="local", key_uri=None, in_memory=True), rpc_port=0))
        await rn.start()
        node = rn.node
        dave = "0x" + node.runtime.system.Account.key(dev_keypair("Dave").public).hex()
        charlie = "0x" + node.runtime.system.Account.key(CHARLIE.public).hex()
        try:
            a, b = LocalChain(local()), LocalChain(local())
            for s in (1, 2):
                a.author(slot=s)
            b.author(slot=3)
            b.author([b.sign(BOB, b.call("Balances", "transfer_keep_alive", bytes.fromhex(dave[-64:]), 10**9))], slot=4)
            b.author(slot=5)
            async with aiohttp.ClientSession() as s, s.ws_connect(rn.rpc.url) as sock:
                ws = Ws(sock)
                every = await ws.subscribe("chain_subscribeAllHeads")
                best = await ws.subscribe("chain_subscribeNewHeads")
                storage = await ws.subscribe("state_subscribeStorage", [dave, charlie])
                await ws.until(storage, 1)
                order = [a.blocks[h] for h in a.by_number[1:]] + [b.blocks[h] for h in b.by_number[1:]]
                for blk in order:
                    await node.import_block(blk)
                assert node.best.hash() == b.head.hash()
                heads = [r for _, r in await ws.until(every, 6)]
                assert [header_from_json(h).hash() for h in heads[1:]] == [blk.header.hash() for blk in order]
                news = [r for _, r in await ws.until(best, 4)]
                assert [header_from_json(h).hash() for h in news[1:]] == [*a.by_number[1:], b.head.hash()]
                (_, initial), (_, moved) = await ws.until(storage, 2)
                assert moved["block"] == "0x" + b.head.hash().hex()
                assert [k for k, _ in moved["changes"]] == [dave] and moved["changes"][0][1] != dict(initial["changes"])[dave]
        finally:
            await rn.stop()

    asyncio.run(asyncio.wait_for(main(), 60))
