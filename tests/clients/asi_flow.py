"""async-substrate-interface 2.2.1 with cyscale 0.5.0 (in .venv-asi; the library under btcli and the
bittensor SDK, with bittensor-wallet's Keypair as they use it) against a node, the py-substrate-interface
flow through the async API: `python asi_flow.py ws://127.0.0.1:PORT` prints one JSON line per step
(flow_steps.astep); the test side is test_substrate_interface.py. `--cold`: connect and account only."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from async_substrate_interface import AsyncSubstrateInterface
from bittensor_wallet import Keypair
from flow_steps import ALICE, AMOUNT, BOB, TOO_MUCH, astep, free_of, not_run

url = sys.argv[1]
COLD = "--cold" in sys.argv[2:]
ctx: dict[str, Any] = {}


async def connect() -> dict[str, Any]:
    t0 = time.perf_counter()
    s = AsyncSubstrateInterface(url)
    try:
        await s.initialize()  # connects, reads the head, the runtime version and metadata V14 + V15
        rt = await s.init_runtime()
    except BaseException as e:
        task = getattr(s, "startup_runtime_task", None)  # the runtime load's own error, not its cancellation
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception() from e
        raise
    ctx["s"], ctx["rt"], ctx["connect_s"] = s, rt, time.perf_counter() - t0
    return {"chain": s.chain, "pallets": [p.name for p in rt.metadata.pallets],
            "metadataV15": rt.metadata_v15 is not None}


async def runtime_version() -> dict[str, Any]:
    s, rt = ctx["s"], ctx["rt"]
    info = rt.runtime_info
    return {"specName": info["specName"], "specVersion": info["specVersion"],
            "transactionVersion": info["transactionVersion"], "clientSpecVersion": rt.runtime_version,
            "ss58Format": s.ss58_format, "properties": await s.properties}


async def account() -> dict[str, Any]:
    t0 = time.perf_counter()
    v = (await ctx["s"].query("System", "Account", [ALICE])).value
    return {"value": v, "free": free_of(v), "coldStartMs": round((ctx["connect_s"] + time.perf_counter() - t0) * 1000, 1)}


async def constant() -> dict[str, Any]:
    c = await ctx["s"].get_constant("System", "SS58Prefix")
    assert c is not None, "get_constant('System', 'SS58Prefix') is None: the metadata declares no such constant"
    return {"value": c.value}


async def balances(block_hash: str | None = None) -> tuple[int, int]:
    s = ctx["s"]
    a = await s.query("System", "Account", [ALICE], block_hash=block_hash)
    b = await s.query("System", "Account", [BOB], block_hash=block_hash)
    return free_of(a.value), free_of(b.value)


async def events_of(receipt: Any) -> list[dict[str, Any]]:
    out = []
    for e in await receipt.triggered_events:
        v = e.value if hasattr(e, "value") else e
        v = v if "module_id" in v else v["event"]  # async-substrate-interface: {"event": {"module_id", ...}, ...}
        out.append({"module": v["module_id"], "event": v["event_id"], "attributes": v["attributes"]})
    return out


async def transfer() -> dict[str, Any]:
    s = ctx["s"]
    before = await balances()
    call = await s.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": AMOUNT})
    kp = Keypair.create_from_uri("//Alice")
    xt = await s.create_signed_extrinsic(call=call, keypair=kp)
    r = await s.submit_extrinsic(xt, wait_for_inclusion=True)
    out: dict[str, Any] = {"signer": kp.ss58_address, "blockHash": r.block_hash, "extrinsicHash": r.extrinsic_hash,
                           "isSuccess": await r.is_success, "events": await events_of(r),
                           "errorMessage": await r.error_message}
    ctx["transfer_block"] = r.block_hash
    try:
        out["fee"] = await r.total_fee_amount
    except Exception as e:  # noqa: BLE001 - reported beside the rest
        out["feeError"] = f"{type(e).__name__}: {e}"
    after = await balances(r.block_hash)
    out |= {"aliceBefore": before[0], "aliceAfter": after[0], "bobBefore": before[1], "bobAfter": after[1]}
    return out


async def failed_call() -> dict[str, Any]:
    s = ctx["s"]
    call = await s.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": TOO_MUCH})
    xt = await s.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Alice"))
    r = await s.submit_extrinsic(xt, wait_for_inclusion=True)
    return {"isSuccess": await r.is_success, "errorMessage": await r.error_message, "events": await events_of(r)}


async def get_block() -> dict[str, Any]:
    s = ctx["s"]
    b = await s.get_block(block_hash=ctx.get("transfer_block") or await s.get_chain_head())
    calls = []
    for xt in b["extrinsics"]:
        v = xt.value if hasattr(xt, "value") else xt
        calls.append({"module": v["call"]["call_module"], "function": v["call"]["call_function"],
                      "signed": "address" in v, "address": v.get("address")})
    return {"number": b["header"]["number"], "hash": b["header"]["hash"], "extrinsics": calls}


async def subscription() -> dict[str, Any]:
    """Subscribe to Bob's System.Account (state_subscribeStorage); at the first value, a second connection sends Alice -> Bob;
    the handler stops at the first changed value."""
    seen: list[int] = []
    sent: list[str] = []

    async def send() -> None:
        try:
            async with AsyncSubstrateInterface(url) as s2:
                call = await s2.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": AMOUNT})
                await s2.submit_extrinsic(
                    await s2.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Alice")))
            sent.append("ok")
        except Exception as e:  # noqa: BLE001
            sent.append(f"{type(e).__name__}: {e}")

    tasks: list[asyncio.Task] = []

    s = ctx["s"]
    key = await s.create_storage_key("System", "Account", [BOB])

    # async-substrate-interface 2.2.1's own subscribe_storage cannot end: its result handler returns
    # (found, value) where rpc_request expects (message, done), then tests `"error" in True`. So the
    # step drives state_subscribeStorage through the library's rpc_request with a handler of the
    # documented shape, decoding each change with the library's decode_scale.
    async def handler(message: Any, _subscription_id: str) -> tuple[Any, bool]:
        if "params" not in message:
            return message, False
        for changed, data in message["params"]["result"]["changes"]:
            if changed != key.to_hex() or data is None:
                continue
            obj = await s.decode_scale(key.value_scale_type, bytes.fromhex(data[2:]))
            seen.append(free_of(obj.value if hasattr(obj, "value") else obj))
            if len(seen) == 1:
                tasks.append(asyncio.create_task(send()))
            elif seen[-1] != seen[0]:
                return {"values": seen}, True
        return message, False

    query = asyncio.create_task(s.rpc_request("state_subscribeStorage", [[key.to_hex()]], result_handler=handler))
    while not query.done():
        await asyncio.wait([query], timeout=0.1)
        if sent and sent[-1] != "ok":  # no change will come
            query.cancel()
            raise RuntimeError(f"the transfer the subscription waits for failed: {sent[-1]}")
    await query
    for t in tasks:
        await t
    return {"values": seen, "sender": sent}


async def main() -> None:
    connected = (await astep("connect", connect))["ok"]
    steps = [("runtime_version", runtime_version), ("account", account), ("constant", constant),
             ("transfer", transfer), ("failed_call", failed_call), ("get_block", get_block),
             ("subscription", subscription)]
    for name, fn in [("account", account)] if COLD else steps:
        await astep(name, fn) if connected else not_run(name, "the connect step failed")
    if "s" in ctx:
        await ctx["s"].close()


asyncio.run(main())
