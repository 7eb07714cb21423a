"""Canonical codec: round trips, golden bytes, strict decoding (fuzzed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.support import codec
from runtime.support.codec import CodecError, decode, decode_obj, encode, encode_obj, wire

plain = st.recursive(
    st.none() | st.booleans() | st.integers(0, 2**64 - 1) | st.binary(max_size=64) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=20,
)


@given(plain)
def test_plain_round_trip(v) -> None:
    assert decode(encode(v)) == v


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_decoder_raises_only_codec_error(data: bytes) -> None:
    try:
        decode(data)
    except CodecError:
        pass


@pytest.mark.parametrize(
    "data, why",
    [
        (b"", "empty"),
        (b"\x01\x02", "trailing"),
        (b"\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", "float"),
        (b"\x81\x01\x02", "map"),
        (b"\xff", "negative"),
        (b"\xcc\x05", "non-canonical int"),
        (b"\xd4\x01\x00", "ext"),
        (b"\xc4\x05ab", "truncated bin"),
        (b"\x91" * 1100 + b"\x00", "too deep"),
    ],
)
def test_decoder_rejects(data: bytes, why: str) -> None:
    with pytest.raises(CodecError):
        decode(data)


def test_size_limit() -> None:
    with pytest.raises(CodecError, match="limit"):
        decode(encode(b"x" * 100), max_size=50)


def test_golden_bytes() -> None:
    assert encode([1, b"\x00\x01", "a", None, True, 2**64 - 1]).hex() == "96" "01" "c4020001" "a161" "c0" "c3" "cfffffffffffffffff"


@wire
class Sample:
    a: codec.U8
    b: codec.U64
    c: codec.U128
    d: codec.Bytes32
    e: tuple[codec.U16, ...]
    f: codec.Bytes32 | None


@given(
    st.integers(0, 255),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**128 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(st.integers(0, 65535), max_size=10),
    st.none() | st.binary(min_size=32, max_size=32),
)
def test_typed_round_trip(a, b, c, d, e, f) -> None:
    obj = Sample(a, b, c, d, tuple(e), f)
    assert decode_obj(Sample, encode_obj(obj)) == obj


def test_typed_golden_u128_is_16_bytes_big_endian() -> None:
    raw = encode_obj(Sample(1, 2, 3, b"\x00" * 32, (), None))
    assert raw.hex() == "96" "01" "02" "c410" + "00" * 15 + "03" + "c420" + "00" * 32 + "90" "c0"


@pytest.mark.parametrize(
    "wire_value, msg",
    [
        ([256, 0, b"\0" * 16, b"\0" * 32, [], None], "u8"),
        ([0, 0, b"\0" * 15, b"\0" * 32, [], None], "u128"),
        ([0, 0, b"\0" * 16, b"\0" * 31, [], None], "bytes32"),
        ([0, 0, b"\0" * 16, b"\0" * 32, [70000], None], "u16"),
        ([0, "x", b"\0" * 16, b"\0" * 32, [], None], "u64"),
        ([0, 0, b"\0" * 16, b"\0" * 32, []], "6 fields"),
    ],
)
def test_typed_rejects(wire_value, msg) -> None:
    with pytest.raises(CodecError, match=msg):
        decode_obj(Sample, encode(wire_value))


def test_encode_refuses_out_of_range() -> None:
    with pytest.raises(CodecError):
        encode_obj(Sample(1, 2**64, 0, b"\0" * 32, (), None))
    with pytest.raises(CodecError):
        encode(-1 - 2**64)
