"""The executive: validity checks in Substrate's order with Substrate's reasons, bad input, import."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder, block_key
from hypothesis import given, settings
from hypothesis import strategies as st

from node.local import LocalChain
from runtime.block import Block, Header, aura_digest
from runtime.executive import (
    BlockError,
    BlockExecution,
    InvalidReason,
    InvalidTransaction,
    UndecodableExtrinsic,
    UnknownReason,
    UnknownTransaction,
)
from runtime.support import tx
from runtime.support.codec import CodecError
from runtime.support.extrinsic_v4 import (
    AddressKind,
    MetadataHashMode,
    MultiAddress,
    MultiSignature,
    default_explicit,
    encode_signed,
    signed_payload,
)
from runtime.support.keys import dev_keypair, keypair_from_uri
from runtime.support.scale import compact_encode

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


def signed(chain: ChainBuilder, key, call: bytes, nonce: int = 0, **kw) -> bytes:
    """A v4 extrinsic of the SCALE `call`, signed for `chain` unless `kw` says otherwise."""
    v = chain.runtime.VERSION
    args = {"genesis_hash": chain.genesis_hash, "spec_version": v.spec_version, "tx_version": v.transaction_version}
    return tx.sign_extrinsic(key, call, nonce=nonce, **{**args, **kw})


def test_signed_for_another_genesis_spec_or_tx_version_is_bad_proof(chain: ChainBuilder) -> None:
    """The genesis hash and versions are only signed (implicit), never sent: a payload signed for
    other values does not verify, as on Substrate."""
    call = chain.encode_call(transfer(chain))
    for kw in ({"genesis_hash": b"\x01" * 32}, {"spec_version": 99}, {"tx_version": 7}):
        assert reject_reason(chain, signed(chain, BOB, call, **kw)).reason == InvalidReason.BadProof


def test_ed25519_and_sr25519_signers_are_accepted_and_a_wrong_scheme_is_bad_proof(chain: ChainBuilder) -> None:
    sr_bob = keypair_from_uri("//Bob", scheme="sr25519")
    chain.submit(BOB, "Balances", "transfer_keep_alive", sr_bob.public, 10 * TAO)
    chain.submit(sr_bob, "Balances", "transfer_keep_alive", CHARLIE.public, TAO)  # sr25519 signer
    xt = tx.decode_extrinsic(chain.sign(sr_bob, transfer(chain)))
    assert xt.signature.scheme == "sr25519"
    # the same signature bytes, labelled ed25519 (MultiSignature variant 0)
    u = xt.unchecked
    relabelled = encode_signed(u.address, MultiSignature("ed25519", u.signature.signature), dict(u.explicit), u.call)
    assert reject_reason(chain, relabelled).reason == InvalidReason.BadProof


def test_mortal_era_valid_then_ancient(chain: ChainBuilder) -> None:
    chain.run_to_block(3)
    era = tx.Era.mortal(4, chain.number)
    xt = chain.sign(BOB, transfer(chain), era=era)
    assert chain.validate(xt).longevity <= 4
    stale_copy = chain.sign(BOB, transfer(chain), nonce=1, era=era)
    r, rejected = chain.author([xt])
    assert not rejected
    # expired: seen from a later block the era's birth is another block, whose hash was not
    # signed (BadProof, as on Substrate), or the current block itself, not in BlockHash yet
    while (chain.number + 1) % 4 != era.phase:
        chain.author()
    with pytest.raises(InvalidTransaction) as info:
        chain.validate(stale_copy)
    assert info.value.reason == InvalidReason.AncientBirthBlock
    chain.author()
    assert pytest.raises(InvalidTransaction, chain.validate, stale_copy).value.reason == InvalidReason.BadProof
    # signed over another birth hash: the payload the chain builds differs
    wrong_birth = chain.sign(BOB, transfer(chain), era=tx.Era.mortal(64, chain.number), birth_hash=b"\x07" * 32)
    assert reject_reason(chain, wrong_birth).reason == InvalidReason.BadProof
    # a birth block in the future is not in System.BlockHash
    future_birth = chain.sign(BOB, transfer(chain), era=tx.Era(64, (chain.number + 10) % 64), birth_hash=b"\x07" * 32)
    assert reject_reason(chain, future_birth).reason == InvalidReason.AncientBirthBlock


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
    # a poor account with a future nonce and a bad genesis: the signature (over the genesis) wins
    call = chain.encode_call(transfer(chain))
    assert reject_reason(chain, signed(chain, POOR, call, 3, genesis_hash=b"\x02" * 32)).reason == InvalidReason.BadProof
    _, rejected = chain.author([signed(chain, POOR, call, 3)])
    assert rejected[0][1].reason == InvalidReason.Future  # nonce is checked before payment


def _resigned(chain: ChainBuilder, key, call: bytes, explicit: dict, address=None) -> bytes:
    """An extrinsic with these explicit values (and address), validly signed over them."""
    implicit = tx.implicit_values(
        genesis_hash=chain.genesis_hash, spec_version=chain.runtime.VERSION.spec_version,
        tx_version=chain.runtime.VERSION.transaction_version, birth_hash=chain.genesis_hash,
    )
    sig = key.sign(signed_payload(call, explicit, implicit))
    return encode_signed(address or MultiAddress.id(key.public), MultiSignature(key.scheme, sig), explicit, call)


def test_a_signer_that_is_not_an_account_id_cannot_be_looked_up(chain: ChainBuilder) -> None:
    call = chain.encode_call(transfer(chain))
    xt = _resigned(chain, BOB, call, default_explicit(), MultiAddress(AddressKind.ADDRESS32, BOB.public))
    with pytest.raises(UnknownTransaction) as info:
        chain.validate(xt)
    assert info.value.unknown == UnknownReason.CannotLookup
    _, rejected = chain.author([xt])
    assert isinstance(rejected[0][1], UnknownTransaction)


def test_metadata_hash_mode_enabled_cannot_be_looked_up(chain: ChainBuilder) -> None:
    xt = _resigned(chain, BOB, chain.encode_call(transfer(chain)), default_explicit(mode=MetadataHashMode.ENABLED))
    with pytest.raises(UnknownTransaction):
        chain.validate(xt)


class _AllGood:
    """A pre-check that says every signature is good (as a verifier accepting small-order keys would)."""

    def get(self, data):
        return None

    def verdict(self, data, payload):
        return True


def test_the_zero_account_is_a_bad_signer(chain: ChainBuilder) -> None:
    """CheckNonZeroSender runs after the signature check: the all-zero key has no valid ed25519
    signature in libsodium, so the pre-check is told to accept it."""
    call = chain.encode_call(transfer(chain))
    xt = encode_signed(MultiAddress.id(bytes(32)), MultiSignature("ed25519", bytes(64)), default_explicit(), call)
    ex = BlockExecution(chain.runtime, chain.backend, chain.head.hash(), chain.number + 1, (), hooks=False)
    assert pytest.raises(InvalidTransaction, ex.validate, xt).value.reason == InvalidReason.BadProof
    ex = BlockExecution(chain.runtime, chain.backend, chain.head.hash(), chain.number + 1, (), hooks=False,
                        prechecked=_AllGood())
    assert pytest.raises(InvalidTransaction, ex.validate, xt).value.reason == InvalidReason.BadSigner


def test_truncated_extension_does_not_decode(chain: ChainBuilder) -> None:
    xt = chain.sign(BOB, transfer(chain), nonce=300)  # the nonce is a two-byte compact
    u = tx.decode_extrinsic(xt).unchecked
    body = bytes([0x84]) + bytes([0]) + BOB.public + bytes([0]) + u.signature.signature + b"\x00" + b"\xb1"
    err = reject_reason(chain, compact_encode(len(body)) + body)
    assert isinstance(err, UndecodableExtrinsic) and "CheckNonce" in err.message


@pytest.mark.parametrize(
    "call, why",
    [
        (bytes([99, 0]), "99"),
        (bytes([5, 77]), "77"),
        (bytes([5, 3]) + b"\x01" * 31, "needs 32 bytes"),
        (bytes([5, 3]) + b"\x01" * 32 + b"\x05" * 9, "trailing"),
        (bytes([5, 3]), "needs 32 bytes"),
    ],
)
def test_undecodable_calls(chain: ChainBuilder, call: bytes, why: str) -> None:
    # the signature is valid: only the call is bad
    err = reject_reason(chain, signed(chain, BOB, call))
    assert isinstance(err, UndecodableExtrinsic) and err.reason == InvalidReason.Call
    assert why in err.message.lower()


def test_amount_past_u64_cannot_be_encoded(chain: ChainBuilder) -> None:
    with pytest.raises((CodecError, ValueError)):
        chain.encode_call(chain.call("Balances", "transfer_keep_alive", CHARLIE.public, 2**64))


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\xc1", b"\x08\x04\x05", b"\x08\x84\x00", b"\x28" + b"\x00" * 10])
def test_garbage_extrinsics(chain: ChainBuilder, garbage: bytes) -> None:
    assert reject_reason(chain, garbage).reason == InvalidReason.Call


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_give_one_codec_error(data: bytes) -> None:
    try:
        xt = tx.decode_extrinsic(data)
    except CodecError:
        return
    assert xt.length == len(data)


def test_unsigned_non_inherent_and_signed_inherent_are_refused(chain: ChainBuilder) -> None:
    unsigned = tx.encode_unsigned(chain.encode_call(transfer(chain)))
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
                    [tx.encode_unsigned(b.encode_call(call))], [])


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
    call = chain.encode_call(transfer(chain, 1))
    for _ in range(20):
        call = bytes([12, 0]) + call  # Sudo.sudo(call)
    err = reject_reason(chain, signed(chain, ALICE, call))
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
