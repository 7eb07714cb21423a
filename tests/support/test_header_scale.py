"""Headers in Substrate's SCALE form (runtime/block.py `encode_scale`, `decode_scale`,
`hash`): an outside hash (Polkadot's genesis block), an outside decoder (py-scale-codec's
legacy Header type), round trips and strict decoding. The block hash is this form's (what a
Substrate client computes); MessagePack stays the header's form in p2p frames and database records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.block import Header
from runtime.support.codec import CodecError
from runtime.support.digest import (
    AURA_ENGINE,
    DIGEST_CONSENSUS,
    DIGEST_ITEM,
    DIGEST_OTHER,
    DIGEST_PRE_RUNTIME,
    DIGEST_RUNTIME_ENVIRONMENT_UPDATED,
    DIGEST_SEAL,
    DigestItem,
)
from runtime.support.hashing import blake2_256

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "substrate_headers.json").read_text())


def _b(h: str) -> bytes:
    return bytes.fromhex(h[2:])


def _sealed(number: int = 1234, slot: int = 77) -> Header:
    return Header(b"\x01" * 32, number, b"\x02" * 32, b"\x03" * 32,
                  (DigestItem(DIGEST_PRE_RUNTIME, AURA_ENGINE, slot.to_bytes(8, "little")),), b"\x09" * 64)


def test_polkadot_genesis_hash() -> None:
    v = VECTORS["polkadot_genesis"]
    h = Header(_b(v["parent_hash"]), v["number"], _b(v["state_root"]), _b(v["extrinsics_root"]), (), b"")
    assert h.hash() == _b(v["hash"])
    assert Header.decode_scale(h.encode_scale()) == h


def test_an_outside_decoder_reads_our_sealed_header() -> None:
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("legacy"))
    h = _sealed()
    got = rc.create_scale_object("Header", data=ScaleBytes(h.encode_scale())).decode()
    assert got["number"] == 1234 and got["parent_hash"] == "0x" + "01" * 32
    assert got["state_root"] == "0x" + "02" * 32 and got["extrinsics_root"] == "0x" + "03" * 32
    pre, seal = got["digest"]["logs"]
    assert pre == {"PreRuntime": {"engine": "aura", "data": {"slot_number": 77}}}
    assert seal == {"Seal": {"engine": "aura", "data": "0x" + "09" * 64}}


def test_seal_hash_and_pre_hash() -> None:
    h = _sealed()
    unsealed = Header(h.parent_hash, h.number, h.state_root, h.extrinsics_root, h.digest, b"")
    assert h.pre_hash() == unsealed.hash() == blake2_256(h.encode_scale(sealed=False))
    assert h.hash() != h.pre_hash()
    assert Header.decode_scale(h.encode_scale()) == h
    # the slot survives; a number over u32 (Substrate's BlockNumber) is refused
    assert Header.decode_scale(h.encode_scale()).slot() == 77
    with pytest.raises(CodecError):
        _sealed(number=1 << 32).encode_scale()


@pytest.mark.parametrize(
    "item",
    [
        DigestItem(DIGEST_OTHER, b"", b"hello"),
        DigestItem(DIGEST_CONSENSUS, b"FRNK", b"\x01\x02"),
        DigestItem(DIGEST_RUNTIME_ENVIRONMENT_UPDATED, b"", b""),
    ],
)
def test_digest_kinds_round_trip(item: DigestItem) -> None:
    assert DIGEST_ITEM.decode(DIGEST_ITEM.encode(item)) == item


@pytest.mark.parametrize(
    "bad",
    [
        DigestItem(DIGEST_PRE_RUNTIME, b"aur", b""),  # a 3-byte engine id
        DigestItem(DIGEST_OTHER, b"aura", b""),  # Other has no engine
        DigestItem(DIGEST_RUNTIME_ENVIRONMENT_UPDATED, b"", b"x"),
        DigestItem(3, b"aura", b""),  # a kind Substrate no longer has
    ],
)
def test_unencodable_digest_items_are_refused(bad: DigestItem) -> None:
    with pytest.raises(CodecError):
        DIGEST_ITEM.encode(bad)


def test_strict_decoding() -> None:
    raw = _sealed().encode_scale()
    for cut in (0, 1, 31, 33, len(raw) - 1):
        with pytest.raises(CodecError):
            Header.decode_scale(raw[:cut])
    with pytest.raises(CodecError):
        Header.decode_scale(raw + b"\x00")
    with pytest.raises(CodecError):
        DIGEST_ITEM.decode(b"\x07")  # unknown kind
    # an empty Seal(aura) log is not a seal: it stays a digest item, so the bytes re-encode the same
    h = _sealed()
    odd = Header(h.parent_hash, h.number, h.state_root, h.extrinsics_root,
                 (*h.digest, DigestItem(DIGEST_SEAL, AURA_ENGINE, b"")), b"")
    back = Header.decode_scale(odd.encode_scale())
    assert back == odd and back.seal == b"" and back.encode_scale() == odd.encode_scale()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_raise_only_codec_errors(data: bytes) -> None:
    try:
        h = Header.decode_scale(data)
    except CodecError:
        return
    assert h.encode_scale() == data  # whatever decodes is canonical


@settings(max_examples=100, deadline=None)
@given(st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 64) - 1), st.binary(min_size=64, max_size=64))
def test_round_trips(number: int, slot: int, seal: bytes) -> None:
    h = Header(b"\x05" * 32, number, b"\x06" * 32, b"\x07" * 32,
               (DigestItem(DIGEST_PRE_RUNTIME, AURA_ENGINE, slot.to_bytes(8, "little")),), seal)
    assert Header.decode_scale(h.encode_scale()) == h
