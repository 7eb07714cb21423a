"""The typed extrinsic record (runtime.support.tx.Extrinsic) and the node's one intake (node/intake.py):
decoding gives every field or a CodecError; RPC submit, submit-and-watch and gossip all have their
signatures checked off the event loop, batched, and get the pool's typed outcome."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from types import SimpleNamespace

import aiohttp
import pytest
from conftest import ALICE, BOB, TAO
from devnode import with_node
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.intake import PARALLEL_MIN, Intake
from node.local import LocalChain
from node.network import INVALID_TX, MAX_TX_PENALTY, OUTDATED_TX, NetworkService, _tx_penalty
from node.precheck import SignatureCache
from node.service import Node, NodeConfig
from node.txpool import POOL_ALREADY_IMPORTED, POOL_INVALID_TX, POOL_TEMPORARILY_BANNED, PoolError, TxPool
from p2p.messages import Transactions
from p2p.peers import PeerConfig
from runtime import scale_types
from runtime.executive import BlockExecution, InvalidReason, validate_transaction
from runtime.support import tx
from runtime.support.codec import CodecError
from runtime.support.extrinsic_v4 import encode_extrinsic, encode_signed
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, dev_keypair, keypair_from_uri, verify, verify_multi
from runtime.support.scale import compact_encode

CHAIN = LocalChain()
RT = CHAIN.runtime


def transfer_call(amount: int = TAO) -> bytes:
    return scale_types.encode_call(RT, RT.call("Balances", "transfer_keep_alive", BOB.public, amount))


def signed(key=ALICE, nonce: int = 0, tip: int = 0, amount: int = TAO, era: tx.Era = tx.IMMORTAL,
           birth: bytes | None = None, genesis: bytes | None = None, spec: int | None = None) -> bytes:
    return tx.sign_extrinsic(
        key, transfer_call(amount), nonce=nonce, genesis_hash=genesis or RT.genesis_hash,
        spec_version=RT.VERSION.spec_version if spec is None else spec, tx_version=RT.VERSION.transaction_version,
        tip=tip, era=era, birth_hash=birth,
    )


def forged(data: bytes) -> bytes:
    u = tx.decode_extrinsic(data).unchecked
    sig = u.signature
    bad = tx.MultiSignature(sig.scheme, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    return encode_signed(u.address, bad, dict(u.explicit), u.call)


def implicit(birth: bytes | None = None) -> dict:
    return tx.implicit_values(genesis_hash=RT.genesis_hash, spec_version=RT.VERSION.spec_version,
                              tx_version=RT.VERSION.transaction_version, birth_hash=birth or RT.genesis_hash)


# --------------------------------------------------------------------------- the record


def test_a_signed_transfer_decodes_to_its_fields() -> None:
    era = tx.Era.mortal(64, 1000)
    birth = b"\x07" * 32
    data = signed(nonce=5, tip=3, amount=2 * TAO, era=era, birth=birth)
    xt = tx.decode_extrinsic(data)
    assert xt.signed and data[2] == 0x84  # after a two-byte length prefix
    assert xt.signer == ALICE.public and xt.signature.scheme == ALICE.scheme and len(xt.signature.signature) == 64
    assert (xt.nonce, xt.tip, xt.era, xt.mode) == (5, 3, era, tx.MetadataHashMode.DISABLED)
    assert xt.era == tx.Era(64, 1000 % 64)
    assert RT.by_index[xt.pallet_index].NAME == "Balances"
    assert RT.call_def(xt.pallet_index, xt.call_index).name == "transfer_keep_alive"
    assert xt.call_bytes == transfer_call(2 * TAO)
    assert xt.length == len(data)
    payload = xt.payload(implicit(birth))
    assert xt.signature.scheme == "sr25519"  # dev accounts are sr25519
    assert xt.verify(payload) and verify_multi("sr25519", ALICE.public, payload, xt.signature.signature)
    assert not verify(ALICE.public, payload, xt.signature.signature)  # not an ed25519 signature
    assert not xt.verify(xt.payload(implicit()))  # signed over another birth block
    assert xt.call is None  # the arguments are typed by a runtime
    typed = xt.with_call(scale_types.decode_call(RT, xt.call_bytes))
    assert typed.call.args == (BOB.public, 2 * TAO) and typed.call.cdef.name == "transfer_keep_alive"
    assert typed == xt  # the call is derived: it takes no part in equality
    # the record re-encodes to the very bytes
    assert encode_extrinsic(xt.unchecked) == data


def test_an_inherent_decodes_unsigned() -> None:
    call = scale_types.encode_call(RT, RT.call("Timestamp", "set", 12_000))
    data = tx.encode_unsigned(call)
    xt = tx.decode_extrinsic(data)
    assert not xt.signed and data[1] == 0x04
    assert (xt.signer, xt.signature, xt.nonce, xt.tip, xt.era) == (None, None, None, 0, None)
    assert xt.payload(implicit()) == b"" and not xt.verify(b"")
    assert RT.call_def(xt.pallet_index, xt.call_index).name == "set" and xt.call_bytes == call


def test_the_record_is_frozen_and_slotted() -> None:
    xt = tx.decode_extrinsic(signed())
    with pytest.raises(dataclasses.FrozenInstanceError):
        xt.call = None  # type: ignore[misc]
    assert not hasattr(xt, "__dict__")
    with pytest.raises(ValueError):  # another call than its own
        xt.with_call(RT.call("Timestamp", "set", 1))


_GOOD = signed()
_MALFORMED = [
    b"", b"\x00", b"\x04", b"\x08\x04\x05", b"\x08\x05\x05\x03", b"\x08\x84\x00",
    _GOOD[:-1], _GOOD + b"\x00", _GOOD[:3] + b"\x05" + _GOOD[4:],  # MultiAddress variant 5
    _GOOD[:36] + b"\x03" + _GOOD[37:],  # MultiSignature variant 3
    b"\x03" + _GOOD[1:],  # a non-canonical or wrong length prefix
]


@pytest.mark.parametrize("data", _MALFORMED)
def test_a_malformed_extrinsic_is_a_codec_error(data: bytes) -> None:
    with pytest.raises(CodecError):
        tx.decode_extrinsic(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.builds(lambda i, b: _GOOD[:i] + bytes([b]) + _GOOD[i + 1:], st.integers(0, len(_GOOD) - 1), st.integers(0, 255)),
    st.builds(lambda i: _GOOD[:i], st.integers(0, len(_GOOD))),
    st.builds(lambda body: compact_encode(len(body)) + body, st.binary(max_size=200).map(lambda b: b"\x84" + b)),
))
def test_decoding_anything_gives_a_record_or_a_codec_error(data: bytes) -> None:
    try:
        xt = tx.decode_extrinsic(data)
    except CodecError:
        return
    assert isinstance(xt, tx.Extrinsic) and xt.length == len(data)
    assert type(xt.pallet_index) is int and type(xt.call_index) is int and type(xt.call_bytes) is bytes


def test_the_executive_uses_a_carried_call_only_when_it_is_this_runtimes() -> None:
    xt = tx.decode_extrinsic(signed())
    ex = BlockExecution(RT, CHAIN.backend, CHAIN.head.hash(), CHAIN.number + 1, (), hooks=False)
    call = scale_types.decode_call(RT, xt.call_bytes)
    assert ex.decode_call(xt.with_call(call)) is call
    foreign = dataclasses.replace(call, cdef=None)  # not decoded by this runtime
    got = ex.decode_call(xt.with_call(foreign))
    assert got is not foreign and got == call and got.cdef is call.cdef


# --------------------------------------------------------------------------- the intake, in process


class _Threads:
    """Records the thread of every signature check (tx.Extrinsic.verify)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        orig = tx.Extrinsic.verify

        def spy(xt: tx.Extrinsic, payload: bytes) -> bool:
            self.names.append(threading.current_thread().name)
            return orig(xt, payload)

        monkeypatch.setattr(tx.Extrinsic, "verify", spy)


def _intake(chain: LocalChain) -> tuple[Intake, TxPool, SignatureCache]:
    sigs = SignatureCache(runtime=chain.runtime, payload_for=lambda xt: chain.payloads().payload(xt, chain.number + 1))

    def validate(data: bytes):
        sigs.add(data)
        return validate_transaction(chain.runtime, chain.backend, chain.head, data, sigs)

    pool = TxPool(validate)
    return Intake(pool, sigs, chain.runtime, chain.payloads(), lambda: chain.number + 1), pool, sigs


def test_a_bad_signature_is_refused_by_its_typed_reason_checked_off_the_loop(monkeypatch) -> None:
    threads = _Threads(monkeypatch)
    chain = LocalChain()
    intake, pool, sigs = _intake(chain)
    bad = forged(chain.sign(ALICE, chain.call("Balances", "transfer_keep_alive", BOB.public, TAO)))

    async def main() -> None:
        with pytest.raises(PoolError) as e:
            await intake.submit(bad)
        assert (e.value.code, e.value.reason) == (POOL_INVALID_TX, InvalidReason.BadProof)

    asyncio.run(main())
    assert threads.names and all(n.startswith("tx-verify") for n in threads.names), threads.names
    assert (intake.jobs, intake.checked) == (1, 1) and len(pool) == 0
    xt = sigs.get(bad)
    assert xt == tx.decode_extrinsic(bad)
    assert sigs.verdict(bad, xt.payload(implicit())) is False


def test_submissions_arriving_together_are_checked_in_one_job(monkeypatch) -> None:
    threads = _Threads(monkeypatch)
    chain = LocalChain()
    intake, pool, sigs = _intake(chain)
    few = [chain.sign(ALICE, chain.call("Balances", "transfer_keep_alive", BOB.public, TAO), nonce=n) for n in range(3)]
    many = [chain.sign(BOB, chain.call("Balances", "transfer_keep_alive", ALICE.public, TAO), nonce=n)
            for n in range(PARALLEL_MIN + 2)]

    async def main() -> None:
        hashes = await asyncio.gather(*(intake.submit(d) for d in few))
        assert list(hashes) == [blake2_256(d) for d in few]
        assert (intake.jobs, intake.checked) == (1, 3)
        # a batch this big: the signatures go to the worker process, in one job all the same
        hashes = await asyncio.gather(*(intake.submit(d) for d in many))
        assert len(set(hashes)) == len(many)
        assert (intake.jobs, intake.checked) == (2, 3 + len(many))
        # known ones are not checked again
        with pytest.raises(PoolError) as e:
            await intake.submit(few[0])
        assert e.value.code == POOL_ALREADY_IMPORTED
        assert intake.jobs == 2

    asyncio.run(main())
    assert len(pool) == len(few) + len(many) and pool.status()["ready"] == len(few) + len(many)
    # only the small batch was verified in this process, on the intake's thread, never on the loop
    assert len(threads.names) == 3 and all(n.startswith("tx-verify") for n in threads.names), threads.names
    for d in few + many:  # the cache holds each record with its call decoded (the executive uses it)
        xt = sigs.get(d)
        assert sigs.verdict(d, xt.payload(implicit())) is True
        assert xt.call is not None and xt.call.cdef.name == "transfer_keep_alive"


def test_submit_batch_gives_one_typed_outcome_per_transaction() -> None:
    chain = LocalChain()
    intake, pool, _ = _intake(chain)
    good = chain.sign(ALICE, chain.call("Balances", "transfer_keep_alive", BOB.public, TAO))
    bad = forged(chain.sign(BOB, chain.call("Balances", "transfer_keep_alive", ALICE.public, TAO)))

    async def main() -> list:
        return await intake.submit_batch([good, bad, good])

    out = asyncio.run(main())
    assert out[0] == blake2_256(good)
    assert isinstance(out[1], PoolError) and out[1].reason == InvalidReason.BadProof
    assert isinstance(out[2], PoolError) and out[2].code == POOL_ALREADY_IMPORTED
    assert intake.jobs == 1 and intake.checked == 2  # the duplicate is checked once


# --------------------------------------------------------------------------- penalties by type


@pytest.mark.parametrize(
    "err, penalty",
    [
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "bad signature", InvalidReason.BadProof), INVALID_TX),
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "x", InvalidReason.Call), INVALID_TX),
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "x", None), INVALID_TX),
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "x", InvalidReason.Stale), OUTDATED_TX),
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "x", InvalidReason.Payment), OUTDATED_TX),
        (PoolError(POOL_INVALID_TX, "Invalid Transaction", "x", InvalidReason.AncientBirthBlock), OUTDATED_TX),
        # the text decides nothing: an outdated-sounding message with a BadProof reason is invalid
        (PoolError(POOL_INVALID_TX, "Transaction is outdated", "Transaction is outdated", InvalidReason.BadProof),
         INVALID_TX),
        (PoolError(POOL_ALREADY_IMPORTED, "Invalid Transaction", "bad signature", InvalidReason.BadProof), 0),
        (PoolError(POOL_TEMPORARILY_BANNED, "Transaction is temporarily banned"), 0),
    ],
)
def test_the_penalty_follows_the_code_and_reason(err: PoolError, penalty: int) -> None:
    assert _tx_penalty(err) == penalty


# --------------------------------------------------------------------------- gossip


def test_gossip_goes_through_the_intake_and_costs_a_bad_signature(monkeypatch) -> None:
    threads = _Threads(monkeypatch)

    async def main() -> None:
        node = Node(NodeConfig(chain="dev", in_memory=True, key_uri=None))
        net = NetworkService(node, dev_keypair("Bob", ED25519), PeerConfig("127.0.0.1", 0))
        rt = node.runtime

        def xfer(key, nonce: int) -> bytes:
            call = scale_types.encode_call(rt, rt.call("Balances", "transfer_keep_alive", BOB.public, TAO))
            return tx.sign_extrinsic(key, call, nonce=nonce, genesis_hash=node.genesis.hash,
                                     spec_version=rt.VERSION.spec_version, tx_version=rt.VERSION.transaction_version)

        peer = SimpleNamespace(peer_id="12D3KooWpeer")
        good, bad = xfer(ALICE, 0), forged(xfer(BOB, 0))
        assert await net._on_transactions(peer, Transactions((good, bad))) == INVALID_TX
        assert node.intake.jobs == 1 and node.intake.checked == 2
        # only the accepted one is relayed (to the others: its origin is remembered)
        assert net._tx_queue == [(blake2_256(good), good)] and net._tx_origin[blake2_256(good)] == peer.peer_id
        assert blake2_256(good) in node.pool and blake2_256(bad) not in node.pool
        # seen ones cost nothing and are not checked again
        assert await net._on_transactions(peer, Transactions((good, bad))) == 0
        assert node.intake.jobs == 1
        # a message of many forged ones: one job (the worker process), the penalty capped
        many = tuple(forged(xfer(ALICE, n)) for n in range(1, PARALLEL_MIN + 4))
        assert await net._on_transactions(peer, Transactions(many)) == MAX_TX_PENALTY
        assert node.intake.jobs == 2 and len(net._tx_queue) == 1
        # one an honest node may have taken a moment ago (here: a sender who cannot pay) costs little
        assert await net._on_transactions(peer, Transactions((xfer(keypair_from_uri("//Nobody"), 0),))) == OUTDATED_TX
        assert len(net._tx_queue) == 1
        await node.stop()

    asyncio.run(main())
    assert all(n.startswith("tx-verify") for n in threads.names), threads.names


# --------------------------------------------------------------------------- over RPC


def test_rpc_submissions_are_checked_off_the_loop_and_a_refused_watch_has_no_subscription(monkeypatch) -> None:
    threads = _Threads(monkeypatch)

    async def t(rn, c):
        node = rn.node
        call = await c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, TAO)
        bad = forged(await c.sign(ALICE, call))
        good = await c.sign(ALICE, call)
        jobs = node.intake.jobs
        async with aiohttp.ClientSession() as s, s.ws_connect(rn.rpc.ws_url) as ws:
            async def ask(rid: int, method: str, *params) -> dict:
                await ws.send_json({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)})
                while True:
                    msg = await ws.receive_json(timeout=20)
                    if msg.get("id") == rid:
                        return msg

            r = await ask(1, "author_submitAndWatchExtrinsic", "0x" + bad.hex())
            assert r["error"]["code"] == POOL_INVALID_TX and r["error"]["message"] == "Invalid Transaction"
            assert r["error"]["data"] == "Transaction has a bad signature"  # exactly Substrate's
            assert rn.rpc.subscription_count() == 0  # refused before any subscription
            assert node.intake.jobs == jobs + 1  # through the intake's batch
            # plain submit: the same way in
            r = await ask(2, "author_submitExtrinsic", "0x" + forged(await c.sign(ALICE, call, tip=1)).hex())
            assert r["error"]["code"] == POOL_INVALID_TX and node.intake.jobs == jobs + 2
            # a good one: subscribed, watched from "ready" on
            r = await ask(3, "author_submitAndWatchExtrinsic", "0x" + good.hex())
            sub = r["result"]
            assert rn.rpc.subscription_count() == 1 and node.intake.jobs == jobs + 3
            first = await ws.receive_json(timeout=20)
            assert first["params"] == {"subscription": sub, "result": "ready"}

    with_node(t)
    assert threads.names and all(n.startswith("tx-verify") for n in threads.names), threads.names
