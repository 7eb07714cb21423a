"""Substrate's `UncheckedExtrinsic` v4 byte format, independent of any runtime.

The layout (sp-runtime `generic::UncheckedExtrinsic`, format version 4):

    Compact<u32>(length of the rest) ++ version ++ [address ++ signature ++ explicit] ++ call

- version: 0x84 for a signed extrinsic, 0x04 for an unsigned one (an inherent); the low seven bits
  are the format version (4), the top bit says "signed". Nothing else is accepted.
- address: `MultiAddress` (Id [u8; 32] = 0, Index Compact<()> = 1, Raw Vec<u8> = 2,
  Address32 [u8; 32] = 3, Address20 [u8; 20] = 4); only Id names a signer here.
- signature: `MultiSignature` (Ed25519 [u8; 64] = 0, Sr25519 [u8; 64] = 1, Ecdsa [u8; 65] = 2);
  Ed25519 and Sr25519 verify, Ecdsa decodes but is refused as unsupported.
- explicit: each declared extension's explicit value, in the declared order, nothing between.
- call: opaque here, the SCALE bytes `[pallet_index, call_index, args...]` (at least two bytes).

The extensions are data (`Extension`: identifier, explicit type, implicit type), declared once as an
ordered tuple; `DEFAULT_EXTENSIONS` models subtensor's (spec/substrate-wire.md). An extension's
explicit part travels in the extrinsic; its implicit ("additional signed") part is only signed.
The signed payload is `call ++ SCALE(explicit...) ++ SCALE(implicit...)`, and what is signed is its
blake2-256 when it is longer than 256 bytes (sp-runtime's `SignedPayload`).

`Era` is Substrate's mortality: Immortal is the byte 0x00; Mortal(period, phase) is two bytes,
`min(15, max(1, log2(period) - 1)) | (phase / q) << 4` little endian with the quantize factor
`q = max(1, period >> 12)`, so a phase is always a multiple of q.

Decoding untrusted bytes (`decode_extrinsic`) is strict and raises only `CodecError`: the length
prefix must equal the bytes that follow it, every tag must be known, no trailing bytes. A decoded
but unacceptable extrinsic (a signer that is not an Id, an Ecdsa signature, a signature that does
not verify) is `ExtrinsicRefused`, with Substrate's reason and a message saying what to fix.

Pure and deterministic: no I/O, no clock, no floats (sr25519 signing mixes in randomness inside
schnorrkel, see keys.py; verification is deterministic).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from .codec import CodecError
from .hashing import blake2_256
from .keys import ED25519, SR25519, Keypair, verify_multi
from .scale import (
    U8S,
    U32S,
    ByteArrayS,
    BytesS,
    Field,
    OptionS,
    ScaleType,
    TupleS,
    TypeDef,
    VariantDef,
    compact,
    compact_decode,
    compact_encode,
    scale_type_of,
)

EXTRINSIC_FORMAT_VERSION = 4
SIGNED_FLAG = 0b1000_0000
SIGNED_V4 = SIGNED_FLAG | EXTRINSIC_FORMAT_VERSION  # 0x84
UNSIGNED_V4 = EXTRINSIC_FORMAT_VERSION  # 0x04
MAX_UNHASHED_PAYLOAD = 256  # a longer signed payload is signed as its blake2-256
MIN_CALL_LEN = 2  # pallet index and call index
MAX_RAW_ADDRESS = 1024  # MultiAddress::Raw bytes accepted when decoding
U64_MAX = (1 << 64) - 1
ECDSA = "ecdsa"
HASH_LEN = 32
UNIT = TupleS(())  # `()`: no bytes
MAX_EXTRINSIC_SIZE = 4 * 1024 * 1024  # bytes, the length prefix included


class ExtrinsicRefused(ValueError):
    """A well-formed extrinsic that cannot be accepted; `reason` is Substrate's name for it
    (`BadProof`, `CannotLookup`, `BadSigner`), the message says what was wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


# --------------------------------------------------------------------------- Era


@dataclasses.dataclass(frozen=True, slots=True)
class Era:
    """Substrate's `Era`: period 0 is Immortal; otherwise Mortal(period, phase) with period a power
    of two in 4..65536 and phase < period, a multiple of the quantize factor max(1, period >> 12)."""

    period: int = 0
    phase: int = 0

    def __post_init__(self) -> None:
        p, ph = self.period, self.phase
        if type(p) is not int or type(ph) is not int:
            raise ValueError("era period and phase are integers")
        if p == 0:
            if ph != 0:
                raise ValueError("an immortal era has phase 0")
            return
        if p < 4 or p > 1 << 16 or p & (p - 1):
            raise ValueError(f"era period {p} is not a power of two in 4..65536")
        if not 0 <= ph < p:
            raise ValueError(f"era phase {ph} is not below its period {p}")
        if ph % _quantize_factor(p):
            raise ValueError(f"era phase {ph} is not a multiple of {_quantize_factor(p)} (period {p})")

    @staticmethod
    def mortal(period: int, current: int) -> Era:
        """Substrate's `Era::mortal`: the period rounded up to a power of two and clamped to
        4..65536, the phase `current % period` rounded down to a multiple of the quantize factor."""
        if type(period) is not int or type(current) is not int or period < 0 or current < 0:
            raise ValueError("era period and current block are non-negative integers")
        p = 1
        while p < period and p < 1 << 16:
            p <<= 1
        p = min(max(p, 4), 1 << 16)
        q = _quantize_factor(p)
        return Era(p, current % p // q * q)

    @property
    def is_immortal(self) -> bool:
        return self.period == 0

    def birth(self, current: int) -> int:
        """The first block the era covers, seen from block `current` (0 when immortal)."""
        if self.period == 0:
            return 0
        return (max(current, self.phase) - self.phase) // self.period * self.period + self.phase

    def death(self, current: int) -> int:
        """The first block past the era, seen from block `current` (u64::MAX when immortal)."""
        if self.period == 0:
            return U64_MAX
        return self.birth(current) + self.period


IMMORTAL = Era()


def _quantize_factor(period: int) -> int:
    return max(period >> 12, 1)


class EraS(ScaleType):
    """Era on the wire: 0x00, or the two-byte mortal form (module doc); invalid forms refused."""

    name = "Era"
    min_size = 1

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, Era):
            raise CodecError(f"Era: expected an Era, got {type(v).__name__}")
        if v.period == 0:
            out.append(0)
            return
        low = min(15, max(1, v.period.bit_length() - 2))  # log2(period) - 1
        out += (low | (v.phase // _quantize_factor(v.period)) << 4).to_bytes(2, "little")

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("Era: input ends before the era")
        if data[pos] == 0:
            return IMMORTAL, pos + 1
        if pos + 2 > len(data):
            raise CodecError("Era: input ends inside a mortal era's two bytes")
        encoded = data[pos] | data[pos + 1] << 8
        period = 2 << (encoded & 15)
        phase = (encoded >> 4) * _quantize_factor(period)
        if period < 4 or phase >= period:
            raise CodecError(
                f"Era: bytes {data[pos : pos + 2].hex()} give period {period}, phase {phase}: invalid"
            )
        return Era(period, phase), pos + 2

    def type_def(self) -> TypeDef:
        # scale-info's hand-written Era: Immortal = 0, then MortalN(u8) with index N for N in 1..255
        variants = (VariantDef("Immortal", 0),) + tuple(
            VariantDef(f"Mortal{i}", i, (Field(None, U8S),)) for i in range(1, 256)
        )
        return TypeDef("variant", path=("sp_runtime", "generic", "era", "Era"), variants=variants)


ERA = EraS()


# --------------------------------------------------------------------------- MultiAddress


class AddressKind(IntEnum):
    """The variants of `MultiAddress<AccountId32, ()>`, by index byte."""

    ID = 0  # AccountId32: the 32-byte account
    INDEX = 1  # Compact<()>: an account index of unit type, no bytes
    RAW = 2  # Vec<u8>
    ADDRESS32 = 3  # [u8; 32]
    ADDRESS20 = 4  # [u8; 20]


_ADDRESS_SIZE = {
    AddressKind.ID: 32,
    AddressKind.INDEX: 0,
    AddressKind.ADDRESS32: 32,
    AddressKind.ADDRESS20: 20,
}
_ADDRESS_NAME = {
    AddressKind.ID: "Id",
    AddressKind.INDEX: "Index",
    AddressKind.RAW: "Raw",
    AddressKind.ADDRESS32: "Address32",
    AddressKind.ADDRESS20: "Address20",
}


@dataclasses.dataclass(frozen=True, slots=True)
class MultiAddress:
    """A `MultiAddress`: its variant and its bytes (b"" for Index, any length for Raw)."""

    kind: AddressKind
    data: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, AddressKind) or type(self.data) is not bytes:
            raise ValueError("a MultiAddress is an AddressKind and bytes")
        size = _ADDRESS_SIZE.get(self.kind)
        if size is not None and len(self.data) != size:
            raise ValueError(
                f"MultiAddress::{_ADDRESS_NAME[self.kind]} holds {size} bytes, got {len(self.data)}"
            )
        if self.kind == AddressKind.RAW and len(self.data) > MAX_RAW_ADDRESS:
            raise ValueError(f"MultiAddress::Raw holds at most {MAX_RAW_ADDRESS} bytes")

    @staticmethod
    def id(account: bytes) -> MultiAddress:
        return MultiAddress(AddressKind.ID, account)

    def signer_account(self) -> bytes:
        """The 32-byte AccountId32 this address names; only `Id` is looked up here."""
        if self.kind != AddressKind.ID:
            raise ExtrinsicRefused(
                "CannotLookup",
                f"the signer is a MultiAddress::{_ADDRESS_NAME[self.kind]}; sign with MultiAddress::Id "
                "(the 32-byte account id)",
            )
        return self.data


_RAW_ADDRESS = BytesS(MAX_RAW_ADDRESS)


class MultiAddressS(ScaleType):
    name = "MultiAddress"
    min_size = 1

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, MultiAddress):
            raise CodecError(f"MultiAddress: expected a MultiAddress, got {type(v).__name__}")
        out.append(v.kind.value)
        if v.kind == AddressKind.RAW:
            _RAW_ADDRESS._enc(v.data, out)
        else:
            out += v.data

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("MultiAddress: input ends before the variant index")
        if data[pos] > AddressKind.ADDRESS20:
            raise CodecError(f"MultiAddress: unknown variant index {data[pos]}")
        kind = AddressKind(data[pos])
        pos += 1
        if kind == AddressKind.RAW:
            raw, pos = _RAW_ADDRESS._dec(data, pos)
            return MultiAddress(kind, raw), pos
        size = _ADDRESS_SIZE[kind]
        if pos + size > len(data):
            raise CodecError(
                f"MultiAddress::{_ADDRESS_NAME[kind]}: needs {size} bytes, {len(data) - pos} left"
            )
        return MultiAddress(kind, data[pos : pos + size]), pos + size

    def type_def(self) -> TypeDef:
        fields = {
            AddressKind.ID: ByteArrayS(32),
            AddressKind.INDEX: UNIT,  # Compact<()>: () as a compact is no bytes
            AddressKind.RAW: _RAW_ADDRESS,
            AddressKind.ADDRESS32: ByteArrayS(32),
            AddressKind.ADDRESS20: ByteArrayS(20),
        }
        variants = tuple(
            VariantDef(_ADDRESS_NAME[k], k.value, (Field(None, fields[k]),)) for k in AddressKind
        )
        return TypeDef("variant", path=("sp_runtime", "multiaddress", "MultiAddress"), variants=variants)


MULTI_ADDRESS = MultiAddressS()


# --------------------------------------------------------------------------- MultiSignature

# (scheme, variant name, signature length) by variant index
_SIGNATURE_VARIANTS = ((ED25519, "Ed25519", 64), (SR25519, "Sr25519", 64), (ECDSA, "Ecdsa", 65))
_SIGNATURE_INDEX = {scheme: i for i, (scheme, _, _) in enumerate(_SIGNATURE_VARIANTS)}


@dataclasses.dataclass(frozen=True, slots=True)
class MultiSignature:
    """A `MultiSignature`: the scheme ("ed25519", "sr25519" or "ecdsa") and the signature bytes."""

    scheme: str
    signature: bytes

    def __post_init__(self) -> None:
        index = _SIGNATURE_INDEX.get(self.scheme)
        if index is None:
            raise ValueError(f"unknown MultiSignature scheme {self.scheme!r}; use ed25519, sr25519 or ecdsa")
        size = _SIGNATURE_VARIANTS[index][2]
        if type(self.signature) is not bytes or len(self.signature) != size:
            raise ValueError(f"a {self.scheme} signature is {size} bytes")


class MultiSignatureS(ScaleType):
    name = "MultiSignature"
    min_size = 65

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, MultiSignature):
            raise CodecError(f"MultiSignature: expected a MultiSignature, got {type(v).__name__}")
        out.append(_SIGNATURE_INDEX[v.scheme])
        out += v.signature

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("MultiSignature: input ends before the variant index")
        if data[pos] >= len(_SIGNATURE_VARIANTS):
            raise CodecError(f"MultiSignature: unknown variant index {data[pos]}")
        scheme, variant, size = _SIGNATURE_VARIANTS[data[pos]]
        end = pos + 1 + size
        if end > len(data):
            raise CodecError(f"MultiSignature::{variant}: needs {size} bytes, {len(data) - pos - 1} left")
        return MultiSignature(scheme, data[pos + 1 : end]), end

    def type_def(self) -> TypeDef:
        variants = tuple(
            VariantDef(name, i, (Field(None, ByteArrayS(size)),))
            for i, (_, name, size) in enumerate(_SIGNATURE_VARIANTS)
        )
        return TypeDef("variant", path=("sp_runtime", "MultiSignature"), variants=variants)


MULTI_SIGNATURE = MultiSignatureS()


# --------------------------------------------------------------------------- extensions


class MetadataHashMode(IntEnum):
    """`frame_metadata_hash_extension::Mode`: whether the metadata hash is signed."""

    DISABLED = 0  # implicit part None
    ENABLED = 1  # implicit part Some(the metadata hash)


@dataclasses.dataclass(frozen=True, slots=True)
class Extension:
    """A transaction extension: its identifier (as metadata names it), the SCALE type of its
    explicit part (in the extrinsic) and of its implicit part (signed, not sent); `UNIT` for none."""

    identifier: str
    explicit: ScaleType = UNIT
    implicit: ScaleType = UNIT


H256 = ByteArrayS(HASH_LEN)

# subtensor's list (spec/substrate-wire.md), its own wrapper extensions left out: the identifiers,
# order and types a Substrate client reads from the metadata to build the signed payload.
DEFAULT_EXTENSIONS: tuple[Extension, ...] = (
    Extension("CheckNonZeroSender"),
    Extension("CheckSpecVersion", implicit=U32S),
    Extension("CheckTxVersion", implicit=U32S),
    Extension("CheckGenesis", implicit=H256),
    Extension("CheckMortality", explicit=ERA, implicit=H256),  # implicit: the birth block's hash
    Extension("CheckNonce", explicit=compact(32)),
    Extension("CheckWeight"),
    # the tip, in rao: subtensor's Balance is u64 (Compact<u128> would give the same bytes up to 2^64)
    Extension("ChargeTransactionPayment", explicit=compact(64)),
    Extension("CheckMetadataHash", explicit=scale_type_of(MetadataHashMode), implicit=OptionS(H256)),
)


def _encode_parts(extensions: Sequence[Extension], values: Mapping[str, Any], part: str) -> bytes:
    """SCALE of each extension's `part` ("explicit" or "implicit") value, in declared order.

    A unit part may be left out of `values`; any other missing or unknown identifier is refused."""
    out = bytearray()
    known = []
    for ext in extensions:
        t = getattr(ext, part)
        known.append(ext.identifier)
        if ext.identifier in values:
            t._enc(values[ext.identifier], out)
        elif t is not UNIT:
            raise CodecError(f"{ext.identifier}: its {part} value is missing")
    unknown = sorted(k for k in values if k not in known)
    if unknown:
        raise CodecError(f"{part} values for undeclared extensions: {', '.join(unknown)}")
    return bytes(out)


def default_explicit(
    era: Era = IMMORTAL, nonce: int = 0, tip: int = 0, mode: MetadataHashMode = MetadataHashMode.DISABLED
) -> dict[str, Any]:
    """The explicit values of DEFAULT_EXTENSIONS."""
    return {
        "CheckMortality": era,
        "CheckNonce": nonce,
        "ChargeTransactionPayment": tip,
        "CheckMetadataHash": mode,
    }


def default_implicit(
    *,
    spec_version: int,
    tx_version: int,
    genesis_hash: bytes,
    birth_hash: bytes,
    metadata_hash: bytes | None = None,
) -> dict[str, Any]:
    """The implicit values of DEFAULT_EXTENSIONS; `birth_hash` is the hash of the era's birth block
    (the genesis hash for an immortal era), `metadata_hash` None for mode Disabled."""
    return {
        "CheckSpecVersion": spec_version,
        "CheckTxVersion": tx_version,
        "CheckGenesis": genesis_hash,
        "CheckMortality": birth_hash,
        "CheckMetadataHash": metadata_hash,
    }


def signed_payload(
    call: bytes,
    explicit: Mapping[str, Any],
    implicit: Mapping[str, Any],
    extensions: Sequence[Extension] = DEFAULT_EXTENSIONS,
) -> bytes:
    """What a signer signs: call ++ explicit ++ implicit, or its blake2-256 beyond 256 bytes."""
    _check_call(call)
    raw = (
        call
        + _encode_parts(extensions, explicit, "explicit")
        + _encode_parts(extensions, implicit, "implicit")
    )
    return blake2_256(raw) if len(raw) > MAX_UNHASHED_PAYLOAD else raw


def _check_call(call: Any) -> None:
    if type(call) is not bytes or len(call) < MIN_CALL_LEN:
        raise CodecError("call: expected the SCALE bytes [pallet_index, call_index, args...]")


# --------------------------------------------------------------------------- the extrinsic


@dataclasses.dataclass(frozen=True, slots=True)
class UncheckedExtrinsic:
    """A decoded v4 extrinsic. `explicit` holds (identifier, value) for each declared extension, in
    order (empty when unsigned); `length` counts every encoded byte, the length prefix included."""

    version: int
    signed: bool
    address: MultiAddress | None
    signature: MultiSignature | None
    explicit: tuple[tuple[str, Any], ...]
    call: bytes
    length: int

    def explicit_value(self, identifier: str) -> Any:
        for name, value in self.explicit:
            if name == identifier:
                return value
        raise KeyError(f"no explicit value for extension {identifier!r}")

    @property
    def era(self) -> Era:
        return self.explicit_value("CheckMortality")  # type: ignore[no-any-return]

    @property
    def nonce(self) -> int:
        return self.explicit_value("CheckNonce")  # type: ignore[no-any-return]

    @property
    def tip(self) -> int:
        return self.explicit_value("ChargeTransactionPayment")  # type: ignore[no-any-return]

    @property
    def mode(self) -> MetadataHashMode:
        return self.explicit_value("CheckMetadataHash")  # type: ignore[no-any-return]

    def signer_account(self) -> bytes:
        """The signer's AccountId32 (MultiAddress::Id only; anything else is refused)."""
        if self.address is None:
            raise ExtrinsicRefused("BadSigner", "an unsigned extrinsic has no signer")
        return self.address.signer_account()


def _with_prefix(body: bytes) -> bytes:
    if len(body) + 5 > MAX_EXTRINSIC_SIZE:
        raise CodecError(f"extrinsic: {len(body)} bytes is over the {MAX_EXTRINSIC_SIZE}-byte limit")
    return compact_encode(len(body)) + body


def encode_signed(
    address: MultiAddress,
    signature: MultiSignature,
    explicit: Mapping[str, Any],
    call: bytes,
    extensions: Sequence[Extension] = DEFAULT_EXTENSIONS,
) -> bytes:
    """The bytes of a signed v4 extrinsic from its parts."""
    _check_call(call)
    head = bytes((SIGNED_V4,)) + MULTI_ADDRESS.encode(address) + MULTI_SIGNATURE.encode(signature)
    return _with_prefix(head + _encode_parts(extensions, explicit, "explicit") + call)


def encode_unsigned(call: bytes) -> bytes:
    """The bytes of an unsigned v4 extrinsic (an inherent): prefix, 0x04, the call."""
    _check_call(call)
    return _with_prefix(bytes((UNSIGNED_V4,)) + call)


def encode_extrinsic(xt: UncheckedExtrinsic, extensions: Sequence[Extension] = DEFAULT_EXTENSIONS) -> bytes:
    """The bytes of a decoded extrinsic (the inverse of `decode_extrinsic`)."""
    if not xt.signed:
        return encode_unsigned(xt.call)
    if xt.address is None or xt.signature is None:
        raise CodecError("a signed extrinsic needs an address and a signature")
    return encode_signed(xt.address, xt.signature, dict(xt.explicit), xt.call, extensions)


def sign_extrinsic_with(
    keypair: Keypair,
    call: bytes,
    explicit: Mapping[str, Any],
    implicit: Mapping[str, Any],
    extensions: Sequence[Extension] = DEFAULT_EXTENSIONS,
) -> bytes:
    """Sign `call` with any declared extension list; the signer is MultiAddress::Id(public key)."""
    sig = keypair.sign(signed_payload(call, explicit, implicit, extensions))
    return encode_signed(
        MultiAddress.id(keypair.public), MultiSignature(keypair.scheme, sig), explicit, call, extensions
    )


def sign_extrinsic(
    keypair: Keypair,
    call: bytes,
    *,
    nonce: int,
    genesis_hash: bytes,
    spec_version: int,
    tx_version: int,
    tip: int = 0,
    era: Era = IMMORTAL,
    birth_hash: bytes | None = None,
    metadata_hash: bytes | None = None,
) -> bytes:
    """A signed v4 extrinsic with DEFAULT_EXTENSIONS. `birth_hash` is the hash of block
    `era.birth(current)`; it may be left out only for an immortal era (then the genesis hash)."""
    if birth_hash is None:
        if not era.is_immortal:
            raise ValueError("a mortal era needs birth_hash, the hash of block era.birth(current)")
        birth_hash = genesis_hash
    mode = MetadataHashMode.DISABLED if metadata_hash is None else MetadataHashMode.ENABLED
    implicit = default_implicit(
        spec_version=spec_version,
        tx_version=tx_version,
        genesis_hash=genesis_hash,
        birth_hash=birth_hash,
        metadata_hash=metadata_hash,
    )
    return sign_extrinsic_with(keypair, call, default_explicit(era, nonce, tip, mode), implicit)


def decode_extrinsic(
    data: bytes, extensions: Sequence[Extension] = DEFAULT_EXTENSIONS, max_size: int = MAX_EXTRINSIC_SIZE
) -> UncheckedExtrinsic:
    """Decode untrusted bytes holding exactly one v4 extrinsic; every problem is a CodecError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CodecError("extrinsic: input must be bytes")
    raw = bytes(data)
    if len(raw) > max_size:
        raise CodecError(f"extrinsic: {len(raw)} bytes is over the {max_size}-byte limit")
    n, pos = compact_decode(raw, 0, 32)
    if n != len(raw) - pos:
        raise CodecError(f"extrinsic: the length prefix says {n} bytes, {len(raw) - pos} follow")
    if pos >= len(raw):
        raise CodecError("extrinsic: no version byte")
    version = raw[pos]
    pos += 1
    if version not in (SIGNED_V4, UNSIGNED_V4):
        raise CodecError(f"extrinsic: version byte 0x{version:02x} is not v4 (0x84 signed, 0x04 unsigned)")
    signed = version == SIGNED_V4
    address = signature = None
    explicit: list[tuple[str, Any]] = []
    if signed:
        address, pos = MULTI_ADDRESS.decode_from(raw, pos)
        signature, pos = MULTI_SIGNATURE.decode_from(raw, pos)
        for ext in extensions:
            try:
                value, pos = ext.explicit.decode_from(raw, pos)
            except CodecError as exc:
                raise CodecError(f"extension {ext.identifier}: {exc}") from None
            explicit.append((ext.identifier, value))
    call = raw[pos:]
    if len(call) < MIN_CALL_LEN:
        raise CodecError(
            f"extrinsic: the call has {len(call)} bytes; it needs a pallet index and a call index"
        )
    return UncheckedExtrinsic(
        version=EXTRINSIC_FORMAT_VERSION,
        signed=signed,
        address=address,
        signature=signature,
        explicit=tuple(explicit),
        call=call,
        length=len(raw),
    )


def check_signature_with(
    xt: UncheckedExtrinsic, implicit: Mapping[str, Any], extensions: Sequence[Extension] = DEFAULT_EXTENSIONS
) -> None:
    """Verify a signed extrinsic's signature given the implicit values; ExtrinsicRefused if not."""
    if not xt.signed or xt.signature is None:
        raise ExtrinsicRefused("BadSigner", "the extrinsic is unsigned: there is no signature to check")
    account = xt.signer_account()
    scheme = xt.signature.scheme
    if scheme not in (ED25519, SR25519):
        raise ExtrinsicRefused(
            "BadProof", f"{scheme} signatures are not supported; sign with sr25519 or ed25519"
        )
    payload = signed_payload(xt.call, dict(xt.explicit), implicit, extensions)
    if not verify_multi(scheme, account, payload, xt.signature.signature):
        raise ExtrinsicRefused(
            "BadProof",
            f"the {scheme} signature does not verify for this signer: wrong key or scheme, or signed "
            "for another genesis hash, spec version, transaction version, birth block or call",
        )


def check_signature(
    xt: UncheckedExtrinsic,
    *,
    genesis_hash: bytes,
    spec_version: int,
    tx_version: int,
    birth_hash: bytes,
    metadata_hash: bytes | None = None,
) -> None:
    """Verify a DEFAULT_EXTENSIONS extrinsic's signature; `birth_hash` is the hash of block
    `xt.era.birth(current)` (the genesis hash when immortal). Raises ExtrinsicRefused."""
    implicit = default_implicit(
        spec_version=spec_version,
        tx_version=tx_version,
        genesis_hash=genesis_hash,
        birth_hash=birth_hash,
        metadata_hash=metadata_hash,
    )
    check_signature_with(xt, implicit)
