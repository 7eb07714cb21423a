"""Substrate's v4 extrinsic format (runtime/support/extrinsic_v4.py): Era, MultiAddress and
MultiSignature bytes and a whole signed extrinsic and its signed payload compared with py-scale-codec
(`scalecodec`), signing and verification with sr25519 and ed25519, strict decoding, round trips, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.support import extrinsic_v4 as xv4
from runtime.support.codec import CodecError
from runtime.support.extrinsic_v4 import (
    DEFAULT_EXTENSIONS,
    ERA,
    IMMORTAL,
    MULTI_ADDRESS,
    MULTI_SIGNATURE,
    U64_MAX,
    AddressKind,
    Era,
    Extension,
    ExtrinsicRefused,
    MetadataHashMode,
    MultiAddress,
    MultiSignature,
    UncheckedExtrinsic,
    check_signature,
    decode_extrinsic,
    default_explicit,
    default_implicit,
    encode_extrinsic,
    encode_signed,
    encode_unsigned,
    sign_extrinsic,
    signed_payload,
)
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, SR25519, dev_keypair
from runtime.support.scale import U32S, compact, compact_decode, compact_encode

scalecodec_base = pytest.importorskip("scalecodec.base")
from scalecodec.type_registry import load_type_registry_preset  # noqa: E402

ALICE_SR = dev_keypair("Alice", SR25519)
BOB_ED = dev_keypair("Bob", ED25519)
GENESIS = bytes(range(32))
BIRTH = bytes(range(100, 132))
SPEC, TXV = 7, 2
# Balances.transfer_keep_alive(dest = Id(Bob), value = 10^12 rao) as [pallet, call, args...]
BOB_ID = bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48")
TRANSFER = bytes((5, 3)) + b"\x00" + BOB_ID + compact_encode(10**12)
AUTH = {"genesis_hash": GENESIS, "spec_version": SPEC, "tx_version": TXV}


_RC = None


def rc():
    """scalecodec without metadata: the call and the extrinsic's extension fields declared here."""
    global _RC
    if _RC is None:
        cfg = scalecodec_base.RuntimeConfiguration()
        cfg.update_type_registry(load_type_registry_preset("legacy"))
        fields = [["era", "Era"], ["nonce", "Compact<Index>"], ["tip", "Compact<Balance>"], ["mode", "u8"]]
        cfg.update_type_registry(
            {
                "types": {
                    "Call": {
                        "type": "struct",
                        "type_mapping": [
                            ["pallet_index", "u8"],
                            ["call_index", "u8"],
                            ["dest", "MultiAddress"],
                            ["value", "Compact<Balance>"],
                        ],
                    },
                    "ExtrinsicV4": {
                        "type": "struct",
                        "type_mapping": [["address", "Address"], ["signature", "ExtrinsicSignature"]]
                        + fields
                        + [["call", "Call"]],
                    },
                    "Inherent": {"type": "struct", "type_mapping": [["call", "Call"]]},
                    "ExtrinsicPayloadValue": {
                        "type": "struct",
                        "type_mapping": [["call", "CallBytes"]]
                        + fields
                        + [
                            ["spec_version", "u32"],
                            ["transaction_version", "u32"],
                            ["genesis_hash", "Hash"],
                            ["block_hash", "Hash"],
                            ["metadata_hash", "Option<Hash>"],
                        ],
                    },
                }
            }
        )
        _RC = cfg
    return _RC


def sc_encode(type_string: str, value) -> bytes:
    return bytes(rc().create_scale_object(type_string).encode(value).data)


def sc_era(era: Era):
    return "00" if era.is_immortal else (era.period, era.phase)


def _signed(keypair=ALICE_SR, call=TRANSFER, **kw) -> bytes:
    args = {"nonce": 3, "tip": 0, **AUTH, **kw}
    return sign_extrinsic(keypair, call, **args)


# --------------------------------------------------------------------------- Era

ERA_CASES = [
    (4, 0),
    (4, 3),
    (64, 42),
    (64, 1000),
    (1000, 7),
    (4096, 5000),
    (8192, 12345),
    (65536, 1000000),
    (0, 5),
    (1, 9),
    (100000, 3),
    (32768, 2**40 + 77),
]


@pytest.mark.parametrize("period,current", ERA_CASES)
def test_era_matches_scalecodec(period, current):
    era = Era.mortal(period, current)
    sc = rc().create_scale_object("Era")
    want = bytes(sc.encode({"period": period, "current": current}).data)
    assert ERA.encode(era) == want
    assert (sc.period, sc.phase) == (era.period, era.phase)
    assert ERA.decode(want) == era
    back = rc().create_scale_object("Era", scalecodec_base.ScaleBytes(want))
    assert back.decode() == (era.period, era.phase)
    for now in (0, current, current + era.period - 1, current + 5 * era.period):
        assert era.birth(now) == sc.birth(now)
        assert era.death(now) == sc.death(now)


def test_immortal_era():
    assert ERA.encode(IMMORTAL) == sc_encode("Era", "00") == b"\x00"
    assert ERA.decode(b"\x00") == IMMORTAL and IMMORTAL.is_immortal
    assert (IMMORTAL.birth(123), IMMORTAL.death(123)) == (0, U64_MAX)


def test_era_known_bytes():
    """The layout spelled out: low nibble log2(period) - 1, then phase / quantize factor."""
    assert ERA.encode(Era.mortal(64, 42)) == bytes((5 + 42 % 16 * 16, 42 // 16))
    # period 32768: nibble 14, quantize factor 8, so the phase 20000 travels as 2500
    assert ERA.encode(Era.mortal(32768, 20000)) == bytes((14 + 2500 % 16 * 16, 2500 // 16))
    # eras of real transactions, as other wallets encode them
    assert ERA.encode(Era.mortal(8, 429119)) == b"\x72\x00"
    assert ERA.encode(Era.mortal(4, 428861)) == b"\x11\x00"
    assert ERA.encode(Era.mortal(64, 4246319)) == b"\xf5\x02"
    assert Era.mortal(200, 513) == Era(256, 1)
    assert Era.mortal(2, 1) == Era(4, 1) and Era.mortal(4, 5) == Era(4, 1)
    assert Era.mortal(1000000, 1000001) == Era(65536, 1000001 % 65536 // 16 * 16)


def test_era_mortal_quantizes_and_clamps():
    assert Era.mortal(64, 1000) == Era(64, 40)
    assert Era.mortal(8192, 12345) == Era(8192, 12345 % 8192 // 2 * 2)
    assert Era.mortal(65536, 1000001).phase % 16 == 0
    assert Era.mortal(3, 10).period == 4 and Era.mortal(10**9, 0).period == 65536
    e = Era(64, 40)
    assert (e.birth(1000), e.death(1000)) == (1000, 1064)
    assert (e.birth(1063), e.birth(1064)) == (1000, 1064)
    assert e.birth(10) == 40  # a block before the phase: the first birth


@pytest.mark.parametrize(
    "period,phase", [(2, 0), (3, 0), (6, 1), (131072, 0), (64, 64), (8192, 3), (0, 1), (4, -1)]
)
def test_era_constructor_refuses(period, phase):
    with pytest.raises(ValueError, match="era"):
        Era(period, phase)


def test_era_decoding_is_strict_and_agrees_with_scalecodec():
    """Every two-byte mortal form: refused, or decoded to an era that encodes back to it."""
    for encoded in range(1, 1 << 16):
        raw = encoded.to_bytes(2, "little")
        if raw[0] == 0:
            with pytest.raises(CodecError):
                ERA.decode(raw)  # 0x00 is Immortal, one byte: the second is trailing
            continue
        try:
            era = ERA.decode(raw)
        except CodecError as exc:
            assert "invalid" in str(exc)
            ok = False
        else:
            assert ERA.encode(era) == raw
            ok = True
        if encoded % 97 == 0:
            sc = rc().create_scale_object("Era", scalecodec_base.ScaleBytes(raw))
            if ok:
                assert sc.decode() == (era.period, era.phase)
            else:
                with pytest.raises(ValueError):
                    sc.decode()
    with pytest.raises(CodecError, match="two bytes"):
        ERA.decode(b"\x15")


# --------------------------------------------------------------------------- MultiAddress, MultiSignature


@pytest.mark.parametrize(
    "address,sc_value",
    [
        (MultiAddress.id(BOB_ID), {"Id": "0x" + BOB_ID.hex()}),
        (MultiAddress(AddressKind.RAW, b"\x01\x02\x03"), {"Raw": "0x010203"}),
        (MultiAddress(AddressKind.ADDRESS32, bytes(range(32))), {"Address32": "0x" + bytes(range(32)).hex()}),
        (MultiAddress(AddressKind.ADDRESS20, bytes(range(20))), {"Address20": "0x" + bytes(range(20)).hex()}),
    ],
)
def test_multi_address_matches_scalecodec(address, sc_value):
    raw = MULTI_ADDRESS.encode(address)
    assert raw == sc_encode("MultiAddress", sc_value)
    assert MULTI_ADDRESS.decode(raw) == address


def test_multi_address_index_is_compact_unit():
    """subtensor's `MultiAddress<AccountId32, ()>`: Index carries Compact<()>, which is no bytes."""
    index = MultiAddress(AddressKind.INDEX)
    assert MULTI_ADDRESS.encode(index) == b"\x01"
    assert MULTI_ADDRESS.decode(b"\x01") == index


def test_signer_account_accepts_only_id():
    assert MultiAddress.id(BOB_ID).signer_account() == BOB_ID
    for kind, data in (
        (AddressKind.INDEX, b""),
        (AddressKind.RAW, b"x"),
        (AddressKind.ADDRESS32, BOB_ID),
        (AddressKind.ADDRESS20, bytes(20)),
    ):
        with pytest.raises(ExtrinsicRefused, match="CannotLookup: .*MultiAddress::Id") as info:
            MultiAddress(kind, data).signer_account()
        assert info.value.reason == "CannotLookup"


@pytest.mark.parametrize(
    "bad", [b"", b"\x05" + bytes(32), b"\x00" + bytes(31), b"\x02\x08\x01", b"\x04" + bytes(19)]
)
def test_multi_address_decoding_refuses(bad):
    with pytest.raises(CodecError):
        MULTI_ADDRESS.decode(bad)


def test_multi_address_constructor_refuses():
    with pytest.raises(ValueError, match="32 bytes"):
        MultiAddress.id(b"short")
    with pytest.raises(ValueError, match="20 bytes"):
        MultiAddress(AddressKind.ADDRESS20, bytes(32))


@pytest.mark.parametrize(
    "scheme,variant,size", [(ED25519, "Ed25519", 64), (SR25519, "Sr25519", 64), ("ecdsa", "Ecdsa", 65)]
)
def test_multi_signature_matches_scalecodec(scheme, variant, size):
    sig = MultiSignature(scheme, bytes(range(size)))
    raw = MULTI_SIGNATURE.encode(sig)
    assert raw == sc_encode("MultiSignature", {variant: "0x" + bytes(range(size)).hex()})
    assert MULTI_SIGNATURE.decode(raw) == sig


def test_multi_signature_refusals():
    with pytest.raises(ValueError, match="64 bytes"):
        MultiSignature(SR25519, bytes(65))
    with pytest.raises(ValueError, match="unknown MultiSignature scheme"):
        MultiSignature("bls", bytes(64))
    with pytest.raises(CodecError, match="unknown variant index 3"):
        MULTI_SIGNATURE.decode(b"\x03" + bytes(64))
    with pytest.raises(CodecError, match="Ecdsa: needs 65 bytes"):
        MULTI_SIGNATURE.decode(b"\x02" + bytes(64))


# --------------------------------------------------------------------------- the extrinsic vs scalecodec


@pytest.mark.parametrize("keypair", [ALICE_SR, BOB_ED], ids=["sr25519", "ed25519"])
@pytest.mark.parametrize(
    "era,nonce,tip", [(IMMORTAL, 0, 0), (Era.mortal(64, 1000), 7, 5), (Era(65536, 4096), 2**20, 10**15)]
)
def test_signed_extrinsic_matches_scalecodec(keypair, era, nonce, tip):
    birth = GENESIS if era.is_immortal else BIRTH
    raw = _signed(keypair, era=era, nonce=nonce, tip=tip, birth_hash=birth)
    xt = decode_extrinsic(raw)
    variant = "Sr25519" if keypair.scheme == SR25519 else "Ed25519"
    value = {
        "address": "0x" + keypair.public.hex(),
        "signature": {variant: "0x" + xt.signature.signature.hex()},
        "era": sc_era(era),
        "nonce": nonce,
        "tip": tip,
        "mode": 0,
        "call": {"pallet_index": 5, "call_index": 3, "dest": {"Id": "0x" + BOB_ID.hex()}, "value": 10**12},
    }
    assert raw == sc_encode("Extrinsic", value)
    # and the signed payload is what scalecodec's payload type makes of the same fields
    payload = sc_encode(
        "ExtrinsicPayloadValue",
        {
            "call": "0x" + TRANSFER.hex(),
            "era": sc_era(era),
            "nonce": nonce,
            "tip": tip,
            "mode": 0,
            "spec_version": SPEC,
            "transaction_version": TXV,
            "genesis_hash": "0x" + GENESIS.hex(),
            "block_hash": "0x" + birth.hex(),
            "metadata_hash": None,
        },
    )
    implicit = default_implicit(spec_version=SPEC, tx_version=TXV, genesis_hash=GENESIS, birth_hash=birth)
    assert signed_payload(TRANSFER, default_explicit(era, nonce, tip), implicit) == payload
    check_signature(xt, birth_hash=birth, **AUTH)


def test_decoded_record():
    era = Era.mortal(64, 1000)
    raw = _signed(BOB_ED, era=era, nonce=9, tip=11, birth_hash=BIRTH)
    xt = decode_extrinsic(raw)
    assert (xt.version, xt.signed, xt.length, xt.call) == (4, True, len(raw), TRANSFER)
    assert xt.address == MultiAddress.id(BOB_ED.public) and xt.signer_account() == BOB_ED.public
    assert xt.signature.scheme == ED25519 and len(xt.signature.signature) == 64
    assert (xt.era, xt.nonce, xt.tip, xt.mode) == (era, 9, 11, MetadataHashMode.DISABLED)
    assert [name for name, _ in xt.explicit] == [e.identifier for e in DEFAULT_EXTENSIONS]
    assert _body(raw)[0] == 0x84
    assert encode_extrinsic(xt) == raw
    with pytest.raises(KeyError, match="CheckFoo"):
        xt.explicit_value("CheckFoo")


def test_unsigned_extrinsic():
    raw = encode_unsigned(TRANSFER)
    assert raw == compact_encode(1 + len(TRANSFER)) + b"\x04" + TRANSFER
    assert raw == sc_encode(
        "Extrinsic",
        {"call": {"pallet_index": 5, "call_index": 3, "dest": {"Id": "0x" + BOB_ID.hex()}, "value": 10**12}},
    )
    xt = decode_extrinsic(raw)
    assert (xt.signed, xt.address, xt.signature, xt.explicit, xt.call) == (False, None, None, (), TRANSFER)
    assert encode_extrinsic(xt) == raw
    with pytest.raises(ExtrinsicRefused, match="BadSigner: the extrinsic is unsigned"):
        check_signature(xt, birth_hash=GENESIS, **AUTH)
    with pytest.raises(ExtrinsicRefused, match="no signer"):
        xt.signer_account()


# --------------------------------------------------------------------------- signing and verification


@pytest.mark.parametrize("keypair", [ALICE_SR, BOB_ED], ids=["sr25519", "ed25519"])
def test_sign_and_verify(keypair):
    xt = decode_extrinsic(_signed(keypair))
    assert xt.signature.scheme == keypair.scheme
    check_signature(xt, birth_hash=GENESIS, **AUTH)


@pytest.mark.parametrize(
    "wrong",
    [
        {"genesis_hash": bytes(32)},
        {"spec_version": SPEC + 1},
        {"tx_version": TXV + 1},
        {"birth_hash": bytes(32)},
        {"metadata_hash": bytes(32)},
    ],
    ids=["genesis", "spec_version", "tx_version", "birth_hash", "metadata_hash"],
)
@pytest.mark.parametrize("keypair", [ALICE_SR, BOB_ED], ids=["sr25519", "ed25519"])
def test_wrong_implicit_value_fails_verification(keypair, wrong):
    era = Era.mortal(128, 555)
    xt = decode_extrinsic(_signed(keypair, era=era, birth_hash=BIRTH))
    check_signature(xt, birth_hash=BIRTH, **AUTH)
    args = {**AUTH, "birth_hash": BIRTH, **wrong}
    with pytest.raises(ExtrinsicRefused, match="BadProof: the .* signature does not verify") as info:
        check_signature(xt, **args)
    assert info.value.reason == "BadProof"


def test_metadata_hash_mode_enabled():
    mh = bytes(range(7, 39))
    xt = decode_extrinsic(_signed(metadata_hash=mh))
    assert xt.mode == MetadataHashMode.ENABLED
    check_signature(xt, birth_hash=GENESIS, metadata_hash=mh, **AUTH)
    with pytest.raises(ExtrinsicRefused, match="BadProof"):
        check_signature(xt, birth_hash=GENESIS, **AUTH)


def test_tampered_fields_fail_verification():
    raw = _signed(BOB_ED, nonce=3, tip=0)
    xt = decode_extrinsic(raw)
    for changed in ({"CheckNonce": 4}, {"ChargeTransactionPayment": 1}, {"CheckMortality": Era(4, 0)}):
        forged = encode_signed(xt.address, xt.signature, {**dict(xt.explicit), **changed}, xt.call)
        with pytest.raises(ExtrinsicRefused, match="BadProof"):
            check_signature(decode_extrinsic(forged), birth_hash=GENESIS, **AUTH)
    forged = encode_signed(xt.address, xt.signature, dict(xt.explicit), TRANSFER[:-1] + b"\x00")
    with pytest.raises(ExtrinsicRefused, match="BadProof"):
        check_signature(decode_extrinsic(forged), birth_hash=GENESIS, **AUTH)
    other = encode_signed(MultiAddress.id(ALICE_SR.public), xt.signature, dict(xt.explicit), xt.call)
    with pytest.raises(ExtrinsicRefused, match="BadProof"):
        check_signature(decode_extrinsic(other), birth_hash=GENESIS, **AUTH)


def test_long_payload_is_hashed():
    call = bytes((7, 1)) + compact_encode(300) + bytes(range(256)) + bytes(44)
    explicit = default_explicit(IMMORTAL, 1, 0)
    implicit = default_implicit(spec_version=SPEC, tx_version=TXV, genesis_hash=GENESIS, birth_hash=GENESIS)
    full = call + b"\x00\x04\x00\x00" + U32S.encode(SPEC) + U32S.encode(TXV) + GENESIS + GENESIS + b"\x00"
    assert len(full) > 256
    assert signed_payload(call, explicit, implicit) == blake2_256(full)
    short = bytes((7, 1))
    assert len(signed_payload(short, explicit, implicit)) == 2 + 4 + 8 + 64 + 1  # not hashed
    for keypair in (ALICE_SR, BOB_ED):
        good = decode_extrinsic(_signed(keypair, call=call, nonce=1))
        check_signature(good, birth_hash=GENESIS, **AUTH)
        # a signature over the unhashed payload is refused
        sig = MultiSignature(keypair.scheme, keypair.sign(full))
        bad = encode_signed(MultiAddress.id(keypair.public), sig, explicit, call)
        with pytest.raises(ExtrinsicRefused, match="BadProof"):
            check_signature(decode_extrinsic(bad), birth_hash=GENESIS, **AUTH)


def test_payload_at_exactly_256_bytes_is_not_hashed():
    explicit = default_explicit(IMMORTAL, 1, 0)
    implicit = default_implicit(spec_version=SPEC, tx_version=TXV, genesis_hash=GENESIS, birth_hash=GENESIS)
    call = bytes((7, 1)) + bytes(256 - 2 - 4 - 8 - 64 - 1)
    assert len(signed_payload(call, explicit, implicit)) == 256
    assert len(signed_payload(call + b"\x00", explicit, implicit)) == 32


def test_wrong_scheme_signature_refused():
    xt = decode_extrinsic(_signed(ALICE_SR))
    relabelled = MultiSignature(ED25519, xt.signature.signature)
    forged = encode_signed(xt.address, relabelled, dict(xt.explicit), xt.call)
    with pytest.raises(ExtrinsicRefused, match="BadProof: the ed25519 signature does not verify"):
        check_signature(decode_extrinsic(forged), birth_hash=GENESIS, **AUTH)
    xt = decode_extrinsic(_signed(BOB_ED))
    forged = encode_signed(
        xt.address, MultiSignature(SR25519, xt.signature.signature), dict(xt.explicit), xt.call
    )
    with pytest.raises(ExtrinsicRefused, match="BadProof: the sr25519 signature does not verify"):
        check_signature(decode_extrinsic(forged), birth_hash=GENESIS, **AUTH)


def test_ecdsa_and_non_id_signers_refused():
    xt = decode_extrinsic(_signed(ALICE_SR))
    ecdsa = encode_signed(xt.address, MultiSignature("ecdsa", bytes(65)), dict(xt.explicit), xt.call)
    decoded = decode_extrinsic(ecdsa)  # the format allows it ...
    assert decoded.signature.scheme == "ecdsa"
    with pytest.raises(ExtrinsicRefused, match="ecdsa signatures are not supported"):
        check_signature(decoded, birth_hash=GENESIS, **AUTH)  # ... this chain does not
    raw32 = encode_signed(
        MultiAddress(AddressKind.ADDRESS32, ALICE_SR.public), xt.signature, dict(xt.explicit), xt.call
    )
    with pytest.raises(ExtrinsicRefused, match="CannotLookup: the signer is a MultiAddress::Address32"):
        check_signature(decode_extrinsic(raw32), birth_hash=GENESIS, **AUTH)


def test_mortal_era_needs_birth_hash():
    with pytest.raises(ValueError, match="birth_hash"):
        _signed(era=Era.mortal(64, 1000))


def test_custom_extension_list():
    """The list is data: another declaration changes the bytes and the payload accordingly."""
    exts = (
        Extension("CheckNonce", explicit=compact(32)),
        Extension("CheckGenesis", implicit=xv4.H256),
        Extension("CheckWeight"),
    )
    raw = xv4.sign_extrinsic_with(BOB_ED, TRANSFER, {"CheckNonce": 5}, {"CheckGenesis": GENESIS}, exts)
    xt = decode_extrinsic(raw, exts)
    assert xt.explicit == (("CheckNonce", 5), ("CheckGenesis", ()), ("CheckWeight", ()))
    xv4.check_signature_with(xt, {"CheckGenesis": GENESIS}, exts)
    with pytest.raises(ExtrinsicRefused, match="BadProof"):
        xv4.check_signature_with(xt, {"CheckGenesis": bytes(32)}, exts)
    with pytest.raises(CodecError, match="CheckGenesis: its implicit value is missing"):
        signed_payload(TRANSFER, {"CheckNonce": 5}, {}, exts)
    with pytest.raises(CodecError, match="undeclared extensions: CheckTypo"):
        signed_payload(TRANSFER, {"CheckNonce": 5, "CheckTypo": 1}, {"CheckGenesis": GENESIS}, exts)


# --------------------------------------------------------------------------- strict decoding


def _reprefix(body: bytes) -> bytes:
    return compact_encode(len(body)) + body


def _body(raw: bytes) -> bytes:
    _, pos = compact_decode(raw, 0, 32)
    return raw[pos:]


def test_bad_version_byte_refused():
    body = _body(_signed())
    for version in (0x00, 0x03, 0x05, 0x44, 0x45, 0x83, 0x85, 0xFF):
        with pytest.raises(CodecError, match=f"version byte 0x{version:02x} is not v4"):
            decode_extrinsic(_reprefix(bytes((version,)) + body[1:]))


def test_wrong_length_prefix_refused():
    body = _body(_signed())
    for n in (len(body) - 1, len(body) + 1, 0, len(body) * 2):
        with pytest.raises(CodecError, match="length prefix says"):
            decode_extrinsic(compact_encode(n) + body)
    with pytest.raises(CodecError, match="shortest mode"):
        decode_extrinsic((len(body) << 2 | 2).to_bytes(4, "little") + body)  # a non-canonical prefix


def test_trailing_bytes_refused():
    raw = _signed()
    with pytest.raises(CodecError, match="length prefix says"):
        decode_extrinsic(raw + b"\x00")


def test_truncated_extension_refused():
    """A body that ends inside the extension tuple (the prefix kept consistent) names the extension."""
    xt = decode_extrinsic(_signed(nonce=2**20, era=Era.mortal(64, 1), birth_hash=BIRTH))
    head = b"\x84" + MULTI_ADDRESS.encode(xt.address) + MULTI_SIGNATURE.encode(xt.signature)
    with pytest.raises(CodecError, match="extension CheckMortality: Era: input ends inside"):
        decode_extrinsic(_reprefix(head + ERA.encode(xt.era)[:1]))
    with pytest.raises(CodecError, match="extension CheckNonce: compact: input ends"):
        decode_extrinsic(_reprefix(head + ERA.encode(xt.era) + compact_encode(2**20)[:2]))
    with pytest.raises(
        CodecError, match="extension CheckMetadataHash: MetadataHashMode: unknown variant index 2"
    ):
        decode_extrinsic(_reprefix(head + ERA.encode(xt.era) + b"\x00\x00\x02" + TRANSFER))
    with pytest.raises(
        CodecError, match="extension ChargeTransactionPayment: compact: .* does not fit in u64"
    ):
        decode_extrinsic(
            _reprefix(head + ERA.encode(xt.era) + b"\x00" + compact_encode(2**64) + b"\x00" + TRANSFER)
        )
    with pytest.raises(CodecError, match="the call has 1 bytes"):
        decode_extrinsic(_reprefix(head + ERA.encode(xt.era) + b"\x00\x00\x00\x05"))


def test_other_refusals():
    with pytest.raises(CodecError, match="input must be bytes"):
        decode_extrinsic("0x00")  # type: ignore[arg-type]
    with pytest.raises(CodecError):
        decode_extrinsic(b"")
    with pytest.raises(CodecError, match="no version byte"):
        decode_extrinsic(b"\x00")
    with pytest.raises(CodecError, match="over the 100-byte limit"):
        decode_extrinsic(_signed(), max_size=100)
    with pytest.raises(CodecError, match="call"):
        encode_unsigned(b"\x05")
    with pytest.raises(CodecError, match="Era: expected an Era"):
        ERA.encode((64, 0))


def test_type_defs_describe_the_variants():
    era = ERA.type_def()
    assert era.kind == "variant" and len(era.variants) == 256 and era.variants[64].name == "Mortal64"
    addr = MULTI_ADDRESS.type_def()
    assert [v.name for v in addr.variants] == ["Id", "Index", "Raw", "Address32", "Address20"]
    sig = MULTI_SIGNATURE.type_def()
    assert [(v.name, v.index, v.fields[0].type.size) for v in sig.variants] == [
        ("Ed25519", 0, 64),
        ("Sr25519", 1, 64),
        ("Ecdsa", 2, 65),
    ]


# --------------------------------------------------------------------------- properties

eras = st.one_of(
    st.just(IMMORTAL),
    st.builds(Era.mortal, st.integers(0, 1 << 17), st.integers(0, (1 << 64) - 1)),
)
addresses = st.one_of(
    st.builds(MultiAddress.id, st.binary(min_size=32, max_size=32)),
    st.just(MultiAddress(AddressKind.INDEX)),
    st.builds(lambda b: MultiAddress(AddressKind.RAW, b), st.binary(max_size=80)),
    st.builds(lambda b: MultiAddress(AddressKind.ADDRESS32, b), st.binary(min_size=32, max_size=32)),
    st.builds(lambda b: MultiAddress(AddressKind.ADDRESS20, b), st.binary(min_size=20, max_size=20)),
)
signatures = st.one_of(
    st.builds(MultiSignature, st.sampled_from([ED25519, SR25519]), st.binary(min_size=64, max_size=64)),
    st.builds(lambda b: MultiSignature("ecdsa", b), st.binary(min_size=65, max_size=65)),
)
calls = st.binary(min_size=2, max_size=400)


@given(eras)
def test_era_round_trip(era):
    assert ERA.decode(ERA.encode(era)) == era
    assert era.birth(10**6) <= 10**6 < era.death(10**6) or era.is_immortal or 10**6 < era.phase


@given(
    addresses,
    signatures,
    eras,
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**64 - 1),
    st.sampled_from(list(MetadataHashMode)),
    calls,
)
def test_extrinsic_round_trip(address, signature, era, nonce, tip, mode, call):
    raw = encode_signed(address, signature, default_explicit(era, nonce, tip, mode), call)
    xt = decode_extrinsic(raw)
    assert (xt.address, xt.signature, xt.era, xt.nonce, xt.tip, xt.mode, xt.call, xt.length) == (
        address,
        signature,
        era,
        nonce,
        tip,
        mode,
        call,
        len(raw),
    )
    assert encode_extrinsic(xt) == raw
    unsigned = encode_unsigned(call)
    assert decode_extrinsic(unsigned) == UncheckedExtrinsic(4, False, None, None, (), call, len(unsigned))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_raise_only_codec_error(junk):
    for data in (junk, _reprefix(junk), _reprefix(b"\x84" + junk), _reprefix(b"\x04" + junk)):
        try:
            xt = decode_extrinsic(data)
        except CodecError:
            continue
        assert encode_extrinsic(xt) == data  # what decodes is canonical


_VALID = _signed(BOB_ED, era=Era.mortal(64, 1000), nonce=70000, tip=10**10, birth_hash=BIRTH)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_VALID) - 1), st.integers(0, 255), st.integers(0, len(_VALID)))
def test_mutated_extrinsic_raises_only_codec_error(index, byte, cut):
    mutated = _VALID[:index] + bytes((byte,)) + _VALID[index + 1 :]
    body = _body(_VALID)
    # the mutation alone, a cut, and both again behind a length prefix that matches
    mutated_body = body[:index] + bytes((byte,)) + body[index + 1 :]
    for data in (mutated, _VALID[:cut], _reprefix(mutated_body), _reprefix(body[:cut])):
        try:
            xt = decode_extrinsic(data)
        except CodecError:
            continue
        assert encode_extrinsic(xt) == data
