"""The chain's transaction format: Substrate's v4 extrinsic, as one record every consumer reads.

The bytes are runtime/support/extrinsic_v4.py's `UncheckedExtrinsic` (format version 4, signer
`MultiAddress`, `MultiSignature` Ed25519 or Sr25519, the explicit parts of DEFAULT_EXTENSIONS,
then the call's SCALE bytes `pallet_index ++ call_index ++ args`); inherents are unsigned v4
(0x04). There is no other format.

`decode_extrinsic` turns untrusted bytes into an `Extrinsic` record (or raises CodecError, and
only that), which the node's intake and pre-checks, the pool, the executive and the RPC read. The
record keeps the call as bytes until a runtime decodes it: `with_call` gives the same record
carrying that typed `Call`, so that later consumers need not decode it again.

What a signature covers depends on chain state (CheckMortality's implicit part is the hash of the
era's birth block), so the record cannot say alone whether it is valid: `payload(implicit)` builds
the signed payload for given implicit values (`implicit_values`), and `verify(payload)` checks the
signature over it. This module lives in runtime.support so that clients can build and sign
transactions (`sign_extrinsic`, keyword arguments, see extrinsic_v4).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .extrinsic_v4 import (
    DEFAULT_EXTENSIONS,
    IMMORTAL,
    MAX_EXTRINSIC_SIZE,
    AddressKind,
    Era,
    MetadataHashMode,
    MultiAddress,
    MultiSignature,
    UncheckedExtrinsic,
    default_implicit,
    encode_unsigned,
    sign_extrinsic,
    signed_payload,
)
from .extrinsic_v4 import decode_extrinsic as decode_unchecked
from .keys import ED25519, SR25519, verify_multi

if TYPE_CHECKING:
    from .dispatch import Call

__all__ = [
    "IMMORTAL", "MAX_EXTRINSIC_SIZE", "Era", "Extrinsic", "MetadataHashMode", "MultiAddress", "MultiSignature",
    "decode_extrinsic", "encode_unsigned", "implicit_values", "sign_extrinsic",
]


def implicit_values(*, genesis_hash: bytes, spec_version: int, tx_version: int, birth_hash: bytes) -> dict[str, Any]:
    """The implicit ("additional signed") values a chain signs with: its genesis hash, spec and
    transaction versions, the era's birth block hash, and no metadata hash (CheckMetadataHash
    mode Disabled: the runtime commits to none)."""
    return default_implicit(
        spec_version=spec_version, tx_version=tx_version, genesis_hash=genesis_hash, birth_hash=birth_hash
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Extrinsic:
    """A decoded v4 extrinsic (`unchecked`) and, once a runtime decoded it, its typed `call`.

    Signed: `address`, `signature`, `nonce`, `tip`, `era`, `mode` are set; `signer` is the 32-byte
    account when the address is `MultiAddress::Id` (None otherwise: Substrate cannot look it up).
    Unsigned (inherents): those are None, `tip` 0. `length` is the encoded size, prefix included."""

    unchecked: UncheckedExtrinsic
    call: Call | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def signed(self) -> bool:
        return self.unchecked.signed

    @property
    def call_bytes(self) -> bytes:
        """The call's SCALE bytes: pallet index, call index, arguments."""
        return self.unchecked.call

    @property
    def length(self) -> int:
        return self.unchecked.length

    @property
    def pallet_index(self) -> int:
        return self.unchecked.call[0]

    @property
    def call_index(self) -> int:
        return self.unchecked.call[1]

    @property
    def address(self) -> MultiAddress | None:
        return self.unchecked.address

    @property
    def signature(self) -> MultiSignature | None:
        return self.unchecked.signature

    @property
    def signer(self) -> bytes | None:
        a = self.unchecked.address
        return a.data if a is not None and a.kind == AddressKind.ID else None

    @property
    def nonce(self) -> int | None:
        return self.unchecked.nonce if self.signed else None

    @property
    def tip(self) -> int:
        return self.unchecked.tip if self.signed else 0

    @property
    def era(self) -> Era | None:
        return self.unchecked.era if self.signed else None

    @property
    def mode(self) -> MetadataHashMode | None:
        return self.unchecked.mode if self.signed else None

    def payload(self, implicit: Mapping[str, Any]) -> bytes:
        """What the signer signed, if it signed for these implicit values (b"" unsigned)."""
        if not self.signed:
            return b""
        return signed_payload(self.unchecked.call, dict(self.unchecked.explicit), implicit, DEFAULT_EXTENSIONS)

    def verify(self, payload: bytes) -> bool:
        """Whether the signature is the signer's over `payload`: False for a signer that is not an
        Id, an Ecdsa signature (not supported) or an unsigned extrinsic."""
        sig, who = self.unchecked.signature, self.signer
        if sig is None or who is None or sig.scheme not in (ED25519, SR25519):
            return False
        return verify_multi(sig.scheme, who, payload, sig.signature)

    def with_call(self, call: Call) -> Extrinsic:
        """This record carrying `call`, its call decoded by a runtime."""
        if (call.pallet, call.index) != (self.pallet_index, self.call_index):
            raise ValueError("the decoded call is not this extrinsic's call")
        return dataclasses.replace(self, call=call)


def decode_extrinsic(data: bytes) -> Extrinsic:
    """Decode untrusted bytes holding one v4 extrinsic, leaving the call as bytes.

    Raises CodecError (and only that) when `data` is not a well-formed extrinsic."""
    return Extrinsic(decode_unchecked(data))
