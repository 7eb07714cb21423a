"""Substrate v4 extrinsics over RPC (#15 items 2 and 5): author_submitExtrinsic answers the hash of
the bytes or exactly a Substrate node's error (1010 with the InvalidTransaction text, 1011, 1002,
1040 / 1001 for bytes that are not even an opaque extrinsic); submit-and-watch sends Substrate's
status values; payment_queryInfo and the TransactionPaymentApi / TaggedTransactionQueue runtime
calls; ed25519 and sr25519 signers alike. One in-process dev node (250 ms blocks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from devnode import BackgroundNode, node_client

from runtime.support import tx
from runtime.support.extrinsic_v4 import (
    AddressKind,
    MultiAddress,
    MultiSignature,
    default_explicit,
    encode_signed,
    signed_payload,
)
from runtime.support.hashing import blake2_256
from runtime.support.keys import dev_keypair, keypair_from_uri
from runtime.support.scale import U8S, U32S, U64S, compact
from taochain.client import Client, RpcError

ALICE, BOB, EVE = (dev_keypair(n) for n in ("Alice", "Bob", "Eve"))
SR_EVE = keypair_from_uri("//Eve", scheme="sr25519")
WAIT = 15.0


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[Client, BackgroundNode]]:
    with node_client() as (c, n):
        assert c.transfer(ALICE, SR_EVE.public, 100 * 10**9).success  # fund an sr25519 account
        yield c, n


def error_of(c: Client, method: str, *params: Any) -> dict:
    with pytest.raises(RpcError) as exc:
        c.rpc(method, *params)
    e = exc.value
    return {"code": e.code, "message": e.message, "data": e.data}


def signed(c: Client, key, call: bytes, nonce: int | None = None, **kw: Any) -> bytes:
    """A v4 extrinsic signed for the node's chain unless `kw` says otherwise."""
    v = c.rpc("state_getRuntimeVersion")
    args = {
        "nonce": c.next_nonce(key) if nonce is None else nonce,
        "genesis_hash": bytes.fromhex(c.rpc("chain_getBlockHash", 0)[2:]),
        "spec_version": v["specVersion"],
        "tx_version": v["transactionVersion"],
    }
    return tx.sign_extrinsic(key, call, **{**args, **kw})


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def invalid(text: str) -> dict:
    return {"code": 1010, "message": "Invalid Transaction", "data": text}


def test_submit_answers_the_blake2_of_the_bytes_for_both_schemes(node) -> None:
    c, _ = node
    for key in (BOB, SR_EVE):
        xt = c.sign(key, c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9))
        assert tx.decode_extrinsic(xt).signature.scheme == key.scheme
        assert c.rpc("author_submitExtrinsic", hx(xt)) == hx(blake2_256(xt))


def test_invalid_transactions_get_substrates_1010_texts(node) -> None:
    c, _ = node
    call = c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9)
    genesis = bytes.fromhex(c.rpc("chain_getBlockHash", 0)[2:])
    good = bytearray(signed(c, BOB, call))
    good[40] ^= 1  # inside the signature
    assert error_of(c, "author_submitExtrinsic", hx(bytes(good))) == invalid("Transaction has a bad signature")
    for kw in ({"genesis_hash": b"\x01" * 32}, {"spec_version": 999}, {"tx_version": 999}):
        assert error_of(c, "author_submitExtrinsic", hx(signed(c, BOB, call, **kw))) == invalid(
            "Transaction has a bad signature"
        )
    # an sr25519 signature sent as an ed25519 one
    u = tx.decode_extrinsic(signed(c, SR_EVE, call)).unchecked
    relabelled = encode_signed(u.address, MultiSignature("ed25519", u.signature.signature), dict(u.explicit), u.call)
    assert error_of(c, "author_submitExtrinsic", hx(relabelled)) == invalid("Transaction has a bad signature")
    # a birth block the chain does not have (in the future)
    number = int(c.rpc("chain_getHeader")["number"], 16)
    era = tx.Era(1024, (number + 500) % 1024)
    ancient = signed(c, BOB, call, era=era, birth_hash=b"\x07" * 32)
    assert error_of(c, "author_submitExtrinsic", hx(ancient)) == invalid("Transaction has an ancient birth block")
    # the nonce: used already
    c.transfer(BOB, ALICE, 10**9)
    other = c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 7)  # bytes never seen (not banned)
    assert error_of(c, "author_submitExtrinsic", hx(signed(c, BOB, other, nonce=0))) == invalid("Transaction is outdated")
    # an account that cannot pay
    poor = dev_keypair("NobodyAtAll")
    assert error_of(c, "author_submitExtrinsic", hx(signed(c, poor, call, nonce=0))) == invalid(
        "Inability to pay some fees (e.g. account balance too low)"
    )
    assert genesis  # the chain's own genesis signs the valid ones


def test_a_signer_that_is_not_an_account_id_is_unknown_validity(node) -> None:
    c, _ = node
    call = c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9)
    v = c.rpc("state_getRuntimeVersion")
    genesis = bytes.fromhex(c.rpc("chain_getBlockHash", 0)[2:])
    implicit = tx.implicit_values(genesis_hash=genesis, spec_version=v["specVersion"],
                                  tx_version=v["transactionVersion"], birth_hash=genesis)
    explicit = default_explicit(nonce=c.next_nonce(BOB))
    sig = MultiSignature(BOB.scheme, BOB.sign(signed_payload(call, explicit, implicit)))
    xt = encode_signed(MultiAddress(AddressKind.ADDRESS32, BOB.public), sig, explicit, call)
    assert error_of(c, "author_submitExtrinsic", hx(xt)) == {
        "code": 1011, "message": "Unknown Transaction Validity", "data": "CannotLookup"
    }


def test_bytes_that_are_no_extrinsic_get_substrates_codes(node) -> None:
    c, _ = node
    # not even a length-prefixed byte string: the node's own decoding fails
    e = error_of(c, "author_submitExtrinsic", "0x10")
    assert (e["code"], e["message"]) == (1040, "Client error: Not enough data to fill buffer")
    # a byte string, but not an extrinsic of this runtime: its validation cannot run
    e = error_of(c, "author_submitExtrinsic", "0x0c010203")
    assert e["code"] == 1002 and e["message"].startswith("Verification Error: Runtime error: Execution failed")
    assert e["data"].startswith("RuntimeApi(")
    # a call of no pallet, validly signed
    e = error_of(c, "author_submitExtrinsic", hx(signed(c, BOB, bytes([99, 0]))))
    assert e["code"] == 1002


async def _ask(ws: aiohttp.ClientWebSocketResponse, rid: int, method: str, *params: Any) -> dict:
    await ws.send_json({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)})
    while True:
        msg = await ws.receive_json(timeout=WAIT)
        if msg.get("id") == rid:
            return msg


def test_submit_and_watch_sends_substrates_statuses(node) -> None:
    c, n = node
    xt = c.sign(SR_EVE, c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9))

    async def main() -> None:
        async with aiohttp.ClientSession() as s, s.ws_connect(n.rn.rpc.ws_url) as ws:
            r = await _ask(ws, 1, "author_submitAndWatchExtrinsic", "0x10")
            assert r["error"]["code"] == 1001 and r["error"]["message"].startswith("Extrinsic has invalid format")
            r = await _ask(ws, 2, "author_submitAndWatchExtrinsic", hx(xt))
            sub = r["result"]
            seen: list[Any] = []
            while not (seen and isinstance(seen[-1], dict) and "finalized" in seen[-1]):
                msg = await ws.receive_json(timeout=WAIT)
                if msg.get("method") == "author_extrinsicUpdate" and msg["params"]["subscription"] == sub:
                    seen.append(msg["params"]["result"])
            assert seen[0] == "ready"
            in_block = next(e for e in seen if isinstance(e, dict) and "inBlock" in e)["inBlock"]
            assert seen[-1] == {"finalized": in_block}
            block = c.rpc("chain_getBlock", in_block)["block"]
            assert hx(xt) in block["extrinsics"]

    asyncio.run(main())


def test_payment_query_info_and_the_transaction_payment_api_agree(node) -> None:
    c, _ = node
    xt = c.sign(BOB, c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9))
    info = c.rpc("payment_queryInfo", hx(xt))
    assert set(info) == {"weight", "class", "partialFee"} and info["class"] == "normal"
    assert set(info["weight"]) == {"ref_time", "proof_size"} and isinstance(info["partialFee"], str)
    raw = bytes.fromhex(c.rpc("state_call", "TransactionPaymentApi_query_info", hx(xt + U32S.encode(len(xt))))[2:])
    (ref_time, pos) = compact(64).decode_from(raw, 0)
    (proof, pos) = compact(64).decode_from(raw, pos)
    (cls, pos) = U8S.decode_from(raw, pos)
    assert (ref_time, proof, cls) == (info["weight"]["ref_time"], 0, 0)
    assert U64S.decode(raw[pos:]) == int(info["partialFee"]) > 0
    details = bytes.fromhex(c.rpc("state_call", "TransactionPaymentApi_query_fee_details", hx(xt + U32S.encode(len(xt))))[2:])
    assert details[0] == 1 and sum(U64S.decode(details[1 + 8 * i : 9 + 8 * i]) for i in range(3)) == int(info["partialFee"])
    assert c.rpc("state_getRuntimeVersion")["transactionVersion"] >= 1


def test_tagged_transaction_queue_validates(node) -> None:
    c, _ = node
    best = c.rpc("chain_getHeader")
    best_hash = c.rpc("chain_getBlockHash", int(best["number"], 16))
    xt = c.sign(BOB, c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9))
    ok = bytes.fromhex(c.rpc("state_call", "TaggedTransactionQueue_validate_transaction",
                             "0x02" + xt.hex() + best_hash[2:], best_hash)[2:])
    assert ok[0] == 0  # Ok(ValidTransaction)
    bad = bytearray(xt)
    bad[40] ^= 1
    err = bytes.fromhex(c.rpc("state_call", "TaggedTransactionQueue_validate_transaction",
                              "0x02" + bytes(bad).hex() + best_hash[2:], best_hash)[2:])
    assert err == bytes([1, 0, 4])  # Err(Invalid(BadProof))


def test_account_next_index_counts_the_pool(node) -> None:
    c, _ = node
    nonce = c.next_nonce(EVE)
    call = c.compose_call("Balances", "transfer_keep_alive", ALICE.public, 10**9)
    c.submit(c.sign(EVE, call, nonce=nonce))
    assert c.rpc("system_accountNextIndex", EVE.ss58) == nonce + 1 or c.account(EVE)["nonce"] > nonce
