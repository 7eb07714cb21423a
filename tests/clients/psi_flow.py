"""py-substrate-interface 1.8.1 (in .venv-psi) against a node, as a Substrate developer uses it:
`python psi_flow.py ws://127.0.0.1:PORT` prints one JSON line per step (flow_steps.step); the test
side is test_substrate_interface.py. Steps: connect (+ metadata), runtime_version, account (the
first query: `coldStartMs` = connect + metadata + first query), constant, transfer, failed_call,
get_block, subscription. `--cold`: connect and account only (benchmarks/bench_client_cold_start.py)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

from flow_steps import ALICE, AMOUNT, BOB, TOO_MUCH, free_of, not_run, step
from substrateinterface import Keypair, SubstrateInterface

url = sys.argv[1]
COLD = "--cold" in sys.argv[2:]
ctx: dict[str, Any] = {}


def connect() -> dict[str, Any]:
    t0 = time.perf_counter()
    si = SubstrateInterface(url=url)
    si.init_runtime()  # reads the runtime version and the SCALE metadata
    ctx["si"], ctx["connect_s"] = si, time.perf_counter() - t0
    return {"chain": si.chain, "metadataVersion": si.metadata.value_object[1].index,
            "pallets": [p.name for p in si.metadata.pallets]}


def runtime_version() -> dict[str, Any]:
    si = ctx["si"]
    rv = si.get_block_runtime_version(si.get_chain_head())
    return {"specName": rv["specName"], "specVersion": rv["specVersion"],
            "transactionVersion": rv["transactionVersion"], "clientSpecVersion": si.runtime_version,
            "ss58Format": si.ss58_format, "tokenSymbol": si.token_symbol, "tokenDecimals": si.token_decimals}


def account() -> dict[str, Any]:
    t0 = time.perf_counter()
    v = ctx["si"].query("System", "Account", [ALICE]).value
    return {"value": v, "free": free_of(v), "coldStartMs": round((ctx["connect_s"] + time.perf_counter() - t0) * 1000, 1)}


def constant() -> dict[str, Any]:
    c = ctx["si"].get_constant("System", "SS58Prefix")
    assert c is not None, "get_constant('System', 'SS58Prefix') is None: the metadata declares no such constant"
    return {"value": c.value}


def balances(block_hash: str | None = None) -> tuple[int, int]:
    si = ctx["si"]
    return (free_of(si.query("System", "Account", [ALICE], block_hash=block_hash).value),
            free_of(si.query("System", "Account", [BOB], block_hash=block_hash).value))


def events_of(receipt: Any) -> list[dict[str, Any]]:
    return [{"module": e.value["module_id"], "event": e.value["event_id"], "attributes": e.value["attributes"]}
            for e in receipt.triggered_events]


def transfer() -> dict[str, Any]:
    si = ctx["si"]
    before = balances()
    call = si.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": AMOUNT})
    kp = Keypair.create_from_uri("//Alice")
    xt = si.create_signed_extrinsic(call=call, keypair=kp)
    r = si.submit_extrinsic(xt, wait_for_inclusion=True)
    out: dict[str, Any] = {"signer": kp.ss58_address, "blockHash": r.block_hash, "extrinsicHash": r.extrinsic_hash,
                           "isSuccess": r.is_success, "events": events_of(r), "errorMessage": r.error_message}
    ctx["transfer_block"] = r.block_hash
    try:
        out["fee"] = r.total_fee_amount
    except Exception as e:  # noqa: BLE001 - reported beside the rest
        out["feeError"] = f"{type(e).__name__}: {e}"
    after = balances(r.block_hash)
    out |= {"aliceBefore": before[0], "aliceAfter": after[0], "bobBefore": before[1], "bobAfter": after[1]}
    return out


def failed_call() -> dict[str, Any]:
    si = ctx["si"]
    call = si.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": TOO_MUCH})
    xt = si.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Alice"))
    r = si.submit_extrinsic(xt, wait_for_inclusion=True)
    return {"isSuccess": r.is_success, "errorMessage": r.error_message, "events": events_of(r)}


def get_block() -> dict[str, Any]:
    si = ctx["si"]
    b = si.get_block(block_hash=ctx.get("transfer_block") or si.get_chain_head())
    calls = []
    for xt in b["extrinsics"]:
        v = xt.value
        calls.append({"module": v["call"]["call_module"], "function": v["call"]["call_function"],
                      "signed": "address" in v, "address": v.get("address")})
    return {"number": b["header"]["number"], "hash": b["header"]["hash"], "extrinsics": calls}


def subscription() -> dict[str, Any]:
    """Subscribe to Bob's System.Account; when the first value arrives, a second connection sends
    Alice -> Bob; the handler stops at the first changed value."""
    seen: list[int] = []
    sent: list[str] = []

    def send() -> None:
        try:
            si2 = SubstrateInterface(url=url)
            call = si2.compose_call("Balances", "transfer_keep_alive", {"dest": BOB, "value": AMOUNT})
            si2.submit_extrinsic(si2.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Alice")))
            sent.append("ok")
        except Exception as e:  # noqa: BLE001 - no change will come: stop the waiting query
            sent.append(f"{type(e).__name__}: {e}")
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    def handler(obj: Any, update_nr: int, subscription_id: str) -> Any:
        seen.append(free_of(obj.value))
        if update_nr == 0:
            threading.Thread(target=send, daemon=True).start()
        elif seen[-1] != seen[0]:
            return seen
        return None

    def on_send_failed(*_: Any) -> None:
        raise RuntimeError(f"the transfer the subscription waits for failed: {sent[-1]}")

    signal.signal(signal.SIGUSR1, on_send_failed)
    ctx["si"].query("System", "Account", [BOB], subscription_handler=handler)
    return {"values": seen, "sender": sent}


connected = step("connect", connect)["ok"]
STEPS = [("runtime_version", runtime_version), ("account", account), ("constant", constant),
         ("transfer", transfer), ("failed_call", failed_call), ("get_block", get_block), ("subscription", subscription)]
for name, fn in [("account", account)] if COLD else STEPS:
    step(name, fn) if connected else not_run(name, "the connect step failed")
