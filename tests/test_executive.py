"""The executive: validity checks in Substrate's order with Substrate's reasons, bad input, import."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder, block_key

from node.local import LocalChain
from runtime.block import Block, Header, aura_digest
from runtime.executive import BlockError, InvalidReason, InvalidTransaction
from runtime.support import tx
from runtime.support.codec import CodecError, encode
from runtime.support.keys import dev_keypair

POOR = dev_keypair("Poor")


def reject_reason(chain: ChainBuilder, xt: bytes) -> InvalidTransaction:
    """Author a block with `xt`; it must be left out, and the state must not change beyond the
    per-block keys."""
    before = dict(chain.backend.items)
    result, rejected = chain.author([xt])
    assert len(rejected) == 1 and len(result.extrinsics) == 1  # only the timestamp inherent
    for k, v in result.changes.items():
        assert block_key(chain, k) or before.get(k) == v
    with pytest.raises(InvalidTransaction) as info:
        chain.validate(xt)
    assert info.value.reason == rejected[0][1].reason
    return rejected[0][1]


def transfer(chain: ChainBuilder, value: int = TAO):
    return chain.call("Balances", "transfer_keep_alive", CHARLIE.public, value)


def test_bad_signature(chain: ChainBuilder) -> None:
    xt = bytearray(chain.sign(BOB, transfer(chain)))
    xt[40] ^= 1  # inside the signature
    assert reject_reason(chain, bytes(xt)).reason == InvalidReason.BadProof


def test_wrong_genesis_and_spec(chain: ChainBuilder) -> None:
    call = transfer(chain).to_wire()
    other = tx.sign_extrinsic(BOB, call, 0, b"\x01" * 32, chain.runtime.VERSION.spec_version)
    err = reject_reason(chain, other)
    assert err.reason == InvalidReason.BadProof and "another chain" in err.message
    spec = tx.sign_extrinsic(BOB, call, 0, chain.genesis_hash, 99)
    err = reject_reason(chain, spec)
    assert err.reason == InvalidReason.BadProof and "spec version 99" in err.message


def test_mortal_era_valid_then_ancient(chain: ChainBuilder) -> None:
    chain.run_to_block(3)
    era = tx.Era.mortal(4, chain.number)
    xt = chain.sign(BOB, transfer(chain), era=era)
    assert chain.validate(xt).longevity <= 4
    stale_copy = chain.sign(BOB, transfer(chain), nonce=1, era=era)
    r, rejected = chain.author([xt])
    assert not rejected
    chain.run_to_block(chain.number + 5)
    assert reject_reason(chain, stale_copy).reason == InvalidReason.AncientBirthBlock
    wrong_birth = chain.sign(BOB, transfer(chain), era=tx.Era.mortal(64, chain.number), birth_hash=b"\x07" * 32)
    assert reject_reason(chain, wrong_birth).reason == InvalidReason.AncientBirthBlock


def test_stale_and_future_nonce(chain: ChainBuilder) -> None:
    chain.submit(BOB, "Balances", "transfer_keep_alive", CHARLIE.public, TAO)
    assert reject_reason(chain, chain.sign(BOB, transfer(chain), nonce=0)).reason == InvalidReason.Stale
    future = chain.sign(BOB, transfer(chain), nonce=5)
    _, rejected = chain.author([future])
    assert rejected[0][1].reason == InvalidReason.Future
    valid = chain.validate(future)  # the pool keeps it, waiting for nonce 4
    assert valid.requires == (BOB.public + (4).to_bytes(4, "big"),)


def test_cannot_pay_fees(chain: ChainBuilder) -> None:
    assert reject_reason(chain, chain.sign(POOR, transfer(chain, 1))).reason == InvalidReason.Payment


def test_checks_come_in_order(chain: ChainBuilder) -> None:
    # a poor account with a stale nonce and a bad genesis: the genesis (after signature) wins
    xt = tx.sign_extrinsic(POOR, transfer(chain).to_wire(), 3, b"\x02" * 32, 1)
    assert reject_reason(chain, xt).reason == InvalidReason.BadProof
    xt = tx.sign_extrinsic(POOR, transfer(chain).to_wire(), 3, chain.genesis_hash, chain.runtime.VERSION.spec_version)
    _, rejected = chain.author([xt])
    assert rejected[0][1].reason == InvalidReason.Future  # nonce is checked before payment


@pytest.mark.parametrize(
    "call_wire, why",
    [
        ([99, 0, []], "unknown pallet index 99"),
        ([5, 77, []], "no call with index 77"),
        ([5, 3, [b"\x01" * 32, (2**64).to_bytes(16, "big")]], "u64: expected an integer"),
        ([5, 3, [b"\x01" * 31, 5]], "bytes32"),
        ([5, 3, [b"\x01" * 32, "5"]], "u64"),
        ([5, 3, [b"\x01" * 32]], "expected 2 arguments"),
        ([5, 3], "expected [pallet_index"),
    ],
)
def test_undecodable_calls(chain: ChainBuilder, call_wire, why: str) -> None:
    # the signature is valid: only the call is bad
    xt = tx.sign_extrinsic(BOB, call_wire, 0, chain.genesis_hash, chain.runtime.VERSION.spec_version)
    err = reject_reason(chain, xt)
    assert err.reason == InvalidReason.Call and why in err.message


def test_amount_past_u64_cannot_be_encoded() -> None:
    """msgpack integers stop at u64: a larger amount cannot even be put on the wire."""
    with pytest.raises(CodecError):
        encode([5, 3, [b"\x01" * 32, 2**64]])
    with pytest.raises(CodecError):
        ChainBuilder().call("Balances", "transfer_keep_alive", CHARLIE.public, 2**64).to_wire()


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\xc1", b"\x92\x01\x02", encode([1, b"x", b"y", [], []]), b"\x95" + b"\x00" * 10])
def test_garbage_extrinsics(chain: ChainBuilder, garbage: bytes) -> None:
    assert reject_reason(chain, garbage).reason == InvalidReason.Call


def test_unsigned_non_inherent_and_signed_inherent_are_refused(chain: ChainBuilder) -> None:
    unsigned = tx.encode_unsigned(transfer(chain).to_wire())
    assert reject_reason(chain, unsigned).reason == InvalidReason.Call
    signed_ts = chain.sign(BOB, chain.call("Timestamp", "set", 10**13))
    assert reject_reason(chain, signed_ts).reason == InvalidReason.Call


def test_import_reproduces_the_authored_block() -> None:
    a, b = LocalChain(), LocalChain()
    assert a.genesis_hash == b.genesis_hash
    for i in range(3):
        xts = [a.sign(BOB, a.call("Balances", "transfer_keep_alive", CHARLIE.public, (i + 1) * TAO))]
        a.author(xts)
        b.import_block(a.blocks[a.head.hash()])
        assert b.head.hash() == a.head.hash() and b.head.state_root == a.head.state_root


def _tampered(chain: LocalChain, **changes) -> Block:
    blk = chain.blocks[chain.head.hash()]
    return Block(dataclasses.replace(blk.header, **changes), blk.extrinsics)


def test_import_rejects_bad_blocks() -> None:
    a, b = LocalChain(), LocalChain()
    a.author([a.sign(BOB, a.call("Balances", "transfer_keep_alive", CHARLIE.public, TAO))])
    good = a.blocks[a.head.hash()]
    for bad, msg in [
        (_tampered(a, state_root=b"\x01" * 32), "state root mismatch"),
        (_tampered(a, extrinsics_root=b"\x01" * 32), "extrinsics root"),
        (Block(good.header, good.extrinsics[1:]), "Timestamp.NotSet"),
        (Block(good.header, good.extrinsics + (b"\x00",)), "invalid"),
        (Block(good.header, (good.extrinsics[1], good.extrinsics[0])), "inherents must come before"),
        (_tampered(a, digest=()), "no Aura slot"),
    ]:
        root_before = b.head.state_root
        with pytest.raises(BlockError, match=msg):
            b.import_block(bad)
        assert b.head.state_root == root_before and b.head.number == 0
    b.import_block(good)
    assert b.head.hash() == a.head.hash()


def test_slot_must_increase_and_timestamp_must_advance() -> None:
    a = LocalChain()
    a.author(slot=10)
    with pytest.raises(BlockError, match="SlotNotIncreasing"):
        a.author(slot=10)
    b = LocalChain()
    b.author(slot=10)
    call = b.runtime.call("Timestamp", "set", 10 * 1000)  # the same time again, in a later slot
    from runtime.executive import build_block
    from runtime.support.trie import Trie

    with pytest.raises(BlockError, match="TooEarly"):
        build_block(b.runtime, b.backend, Trie(b.nodes, b.head.state_root), b.head.hash(), 2, aura_digest(11),
                    [tx.encode_unsigned(call.to_wire())], [])


def test_header_hash_covers_the_seal_and_the_pre_hash_does_not() -> None:
    h = Header(b"\x01" * 32, 5, b"\x02" * 32, b"\x03" * 32, aura_digest(7), b"")
    assert h.with_seal(b"\x09" * 64).hash() != h.hash()
    assert h.with_seal(b"\x09" * 64).pre_hash() == h.pre_hash() == h.hash()  # unsealed: the same
    assert Header.decode(h.with_seal(b"\x09" * 64).encode()).seal == b"\x09" * 64
    assert h.slot() == 7


def test_author_seal_verifies(chain: ChainBuilder) -> None:
    from runtime.support.keys import ED25519, dev_keypair, verify

    chain.author()
    assert verify(dev_keypair("Alice", ED25519).public, chain.head.pre_hash(), chain.head.seal)


def test_metadata_lists_pallets_calls_events_errors(chain: ChainBuilder) -> None:
    md = chain.runtime.metadata()
    balances = next(p for p in md["pallets"] if p["name"] == "Balances")
    assert balances["index"] == 5
    assert {c["name"]: c["index"] for c in balances["calls"]}["transfer_keep_alive"] == 3
    assert {e["name"] for e in balances["errors"]} >= {"InsufficientBalance", "ExistentialDeposit", "Expendability"}
    assert [e["name"] for e in balances["events"]][:3] == ["Endowed", "DustLost", "Transfer"]


def test_deeply_nested_sudo_is_refused(chain: ChainBuilder) -> None:
    call = [5, 3, [CHARLIE.public, 1]]
    for _ in range(20):
        call = [12, 0, [call]]
    xt = tx.sign_extrinsic(ALICE, call, 0, chain.genesis_hash, chain.runtime.VERSION.spec_version)
    err = reject_reason(chain, xt)
    assert err.reason == InvalidReason.Call and "nested" in err.message


def test_parallel_precheck_gives_the_same_block_and_catches_bad_signatures() -> None:
    a, b = LocalChain(), LocalChain()
    keys = [dev_keypair(n) for n in ("Bob", "Charlie", "Dave", "Eve")]
    xts = [a.sign(k, a.call("Balances", "transfer_keep_alive", ALICE.public, (i + 1) * TAO)) for i, k in enumerate(keys)]
    bad = bytearray(xts[1])
    bad[40] ^= 1
    res_a, rej_a = a.author([xts[0], bytes(bad), xts[2], b"\x01garbage", xts[3]], parallel=True)
    res_b, rej_b = b.author([xts[0], bytes(bad), xts[2], b"\x01garbage", xts[3]])
    assert res_a.header == res_b.header
    assert [r.reason for _, r in rej_a] == [r.reason for _, r in rej_b] == [InvalidReason.BadProof, InvalidReason.Call]
    c = LocalChain()
    c.import_block(a.blocks[a.head.hash()], parallel=True)
    assert c.head.hash() == a.head.hash()
