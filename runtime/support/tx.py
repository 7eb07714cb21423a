"""The transaction format: signed and unsigned extrinsics, eras, and the signed payload.

Wire form (canonical MessagePack):
- signed:   `[1, signer(32), signature(65), extra, call]`
- unsigned: `[0, call]` (inherents, put in the block by its author)
where `call = [pallet_index, call_index, [args...]]` and
`extra = [nonce, tip, [era_period, era_phase], spec_version, genesis_hash, birth_hash]`.
The signature is tagged with its scheme as Substrate's MultiSignature is: one byte, 0 for Ed25519
and 1 for Sr25519, then the 64 signature bytes (a 32-byte public key does not say its scheme). This
MessagePack form is the interim one until the Substrate v4 format (extrinsic_v4.py) replaces it.

The signature covers `encode([call, extra])` (its blake2b-256 when longer than 256 bytes, as
Substrate). Unlike Substrate, genesis hash, spec version and the birth block's hash travel
explicitly, so a node can say which one is wrong after it has checked the signature.
`decode_extrinsic` turns the bytes into an `Extrinsic` record (or raises CodecError), which every
consumer reads: the node's intake and pre-checks, the executive, the RPC.
This module lives in runtime.support so that clients can build and sign transactions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .codec import U32, U64, CodecError, Hash, decode, encode, from_wire, to_wire, wire
from .hashing import blake2_256
from .keys import ED25519, SR25519, Keypair, verify_multi

if TYPE_CHECKING:
    from .dispatch import Call

SIGNED_VERSION = 1
UNSIGNED_VERSION = 0
MAX_EXTRINSIC_SIZE = 4 * 1024 * 1024
# MultiSignature's variant index of each scheme (sp_runtime::MultiSignature: Ed25519, Sr25519, Ecdsa)
SCHEME_TAGS = {ED25519: 0, SR25519: 1}
_TAG_SCHEMES = {v: k for k, v in SCHEME_TAGS.items()}


@wire
class Era:
    """Mortality: period 0 is immortal; else a power of two in 4..65536 and phase < period."""

    period: U64
    phase: U64

    def __post_init__(self) -> None:
        if self.period == 0:
            if self.phase != 0:
                raise ValueError("an immortal era has phase 0")
            return
        if self.period < 4 or self.period > 65536 or self.period & (self.period - 1):
            raise ValueError("era period must be a power of two in 4..65536")
        if self.phase >= self.period:
            raise ValueError("era phase must be below its period")

    @staticmethod
    def mortal(period: int, current: int) -> Era:
        """Substrate's `Era::mortal`: period rounded up to a power of two, clamped to 4..65536."""
        p = 4
        while p < period and p < 65536:
            p <<= 1
        return Era(p, current % p)

    @property
    def immortal(self) -> bool:
        return self.period == 0

    def birth(self, current: int) -> int:
        if self.period == 0:
            return 0
        return (max(current, self.phase) - self.phase) // self.period * self.period + self.phase

    def death(self, current: int) -> int | None:
        return None if self.period == 0 else self.birth(current) + self.period


IMMORTAL = Era(0, 0)


@wire
class Extra:
    """The signed extensions: nonce, tip, era, and the chain the transaction is meant for."""

    nonce: U32
    tip: U64
    era: Era
    spec_version: U32
    genesis_hash: Hash
    birth_hash: Hash


def signing_payload(call_wire: list, extra: Extra) -> bytes:
    payload = encode([call_wire, to_wire(extra)])
    return blake2_256(payload) if len(payload) > 256 else payload


def encode_signed(signer: bytes, signature: bytes, extra: Extra, call_wire: list, scheme: str = SR25519) -> bytes:
    """A signed extrinsic; `signature` is the 64 bytes of `scheme`'s signature."""
    return encode([SIGNED_VERSION, signer, bytes([SCHEME_TAGS[scheme]]) + signature, to_wire(extra), call_wire])


def encode_unsigned(call_wire: list) -> bytes:
    return encode([UNSIGNED_VERSION, call_wire])


def sign_extrinsic(
    key: Keypair,
    call_wire: list,
    nonce: int,
    genesis_hash: bytes,
    spec_version: int,
    tip: int = 0,
    era: Era = IMMORTAL,
    birth_hash: bytes | None = None,
) -> bytes:
    """Build and sign an extrinsic. `birth_hash` is the hash of block `era.birth(n)`; for an
    immortal era it is the genesis hash."""
    extra = Extra(nonce, tip, era, spec_version, genesis_hash, genesis_hash if birth_hash is None else birth_hash)
    return encode_signed(key.public, key.sign(signing_payload(call_wire, extra)), extra, call_wire, key.scheme)


@dataclasses.dataclass(frozen=True, slots=True)
class Extrinsic:
    """A decoded extrinsic: what `decode_extrinsic` gives and every consumer reads (pool entry,
    pre-checking, the executive, RPC). The call's arguments stay in their wire form (`call_wire`)
    until a runtime decodes them: `with_call` gives the same record carrying that typed `Call`, so
    that later consumers need not decode it again.

    Signed: `signer`, `signature` (64 bytes), `scheme` ("sr25519" or "ed25519") and `extra` are
    set; `payload` (the bytes the signature covers) is built on demand.
    Unsigned (inherents): they are None / b"". `length` is the encoded size (fees, block limits).
    The record is immutable; `call_wire` is the decoded wire value and must not be changed."""

    version: int
    call_wire: list  # [pallet_index, call_index, [args...]]
    length: int
    signer: bytes | None = None
    signature: bytes | None = None
    extra: Extra | None = None
    call: Call | None = dataclasses.field(default=None, compare=False, repr=False)
    scheme: str | None = None

    @property
    def payload(self) -> bytes:
        """The bytes the signature covers (b"" unsigned); built when asked, since a signature
        already checked elsewhere (the signature worker) needs no payload here."""
        return b"" if self.extra is None else signing_payload(self.call_wire, self.extra)

    @property
    def signed(self) -> bool:
        return self.version == SIGNED_VERSION

    @property
    def pallet_index(self) -> int:
        return self.call_wire[0]

    @property
    def call_index(self) -> int:
        return self.call_wire[1]

    @property
    def args_wire(self) -> list:
        return self.call_wire[2]

    @property
    def nonce(self) -> int | None:
        return None if self.extra is None else self.extra.nonce

    @property
    def tip(self) -> int:
        return 0 if self.extra is None else self.extra.tip

    @property
    def era(self) -> Era | None:
        return None if self.extra is None else self.extra.era

    def with_call(self, call: Call) -> Extrinsic:
        """This record carrying `call`, its call decoded by a runtime (`Runtime.decode_call`)."""
        if (call.pallet, call.index) != (self.pallet_index, self.call_index):
            raise ValueError("the decoded call is not this extrinsic's call")
        return dataclasses.replace(self, call=call)


def _check_call_shape(w: Any) -> list:
    if type(w) is not list or len(w) != 3 or type(w[0]) is not int or type(w[1]) is not int or type(w[2]) is not list:
        raise CodecError("call: expected [pallet_index, call_index, [args...]]")
    return w


def decode_extrinsic(data: bytes) -> Extrinsic:
    """Decode an encoded extrinsic into its record, leaving the call's arguments in wire form.

    Raises CodecError (and only that) when `data` is not a well-formed extrinsic."""
    w = decode(data, MAX_EXTRINSIC_SIZE)
    if type(w) is not list or not w:
        raise CodecError("extrinsic: expected a non-empty array")
    if w[0] == SIGNED_VERSION and len(w) == 5:
        _, signer, sig, extra_w, call_w = w
        if type(signer) is not bytes or len(signer) != 32:
            raise CodecError("extrinsic: signer must be 32 bytes")
        if type(sig) is not bytes or len(sig) != 65 or sig[0] not in _TAG_SCHEMES:
            raise CodecError("extrinsic: signature must be a scheme byte (0 ed25519, 1 sr25519) and 64 bytes")
        try:
            extra = from_wire(Extra, extra_w)
        except (ValueError, TypeError) as exc:
            raise CodecError(f"extrinsic extra: {exc}") from None
        call_w = _check_call_shape(call_w)
        return Extrinsic(SIGNED_VERSION, call_w, len(data), signer, sig[1:], extra, scheme=_TAG_SCHEMES[sig[0]])
    if w[0] == UNSIGNED_VERSION and len(w) == 2:
        return Extrinsic(UNSIGNED_VERSION, _check_call_shape(w[1]), len(data))
    raise CodecError("extrinsic: unknown version or wrong number of fields")


def verify_extrinsic(xt: Extrinsic) -> bool:
    """Whether a signed extrinsic's signature is good (unsigned ones have none to check)."""
    if xt.version != SIGNED_VERSION:
        return True
    return verify_multi(xt.scheme, xt.signer, xt.payload, xt.signature)  # type: ignore[arg-type]

