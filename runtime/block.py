"""Headers and blocks.

Header: parent hash, number, state root, extrinsics root, digest, seal. The block hash is the
blake2b-256 of the encoded header without its seal; the seal is the author's ed25519 signature over
that hash. The digest carries the Aura slot as a pre-runtime item. A block's extrinsics are opaque
encoded bytes (as Substrate's opaque block); the executive decodes them.
"""

from __future__ import annotations

from runtime.support.codec import U64, Bytes, Hash, decode_obj, encode, encode_obj, to_wire, wire
from runtime.support.digest import (
    AURA_ENGINE,
    DIGEST_CONSENSUS,
    DIGEST_OTHER,
    DIGEST_PRE_RUNTIME,
    DIGEST_SEAL,
    DigestItem,
    aura_slot,
)
from runtime.support.hashing import blake2_256, ordered_root

MAX_BLOCK_SIZE = 5 * 1024 * 1024
MAX_HEADER_SIZE = 64 * 1024


@wire
class Header:
    parent_hash: Hash
    number: U64
    state_root: Hash
    extrinsics_root: Hash
    digest: tuple[DigestItem, ...]
    seal: Bytes  # the author's signature over hash(); empty for genesis and unsealed blocks

    def unsealed_wire(self) -> list:
        return to_wire(self)[:5]

    def hash(self) -> bytes:
        return blake2_256(encode(self.unsealed_wire()))

    def slot(self) -> int | None:
        """The Aura slot from the pre-runtime digest, or None."""
        return aura_slot(self.digest)

    def with_seal(self, seal: bytes) -> Header:
        return Header(self.parent_hash, self.number, self.state_root, self.extrinsics_root, self.digest, seal)

    def encode(self) -> bytes:
        return encode_obj(self)

    @staticmethod
    def decode(data: bytes) -> Header:
        return decode_obj(Header, data, MAX_HEADER_SIZE)


def aura_digest(slot: int) -> tuple[DigestItem, ...]:
    return (DigestItem(DIGEST_PRE_RUNTIME, AURA_ENGINE, slot.to_bytes(8, "little")),)


@wire
class Block:
    header: Header
    extrinsics: tuple[Bytes, ...]

    def hash(self) -> bytes:
        return self.header.hash()

    def encode(self) -> bytes:
        return encode_obj(self)

    @staticmethod
    def decode(data: bytes) -> Block:
        return decode_obj(Block, data, MAX_BLOCK_SIZE)


def extrinsics_root(extrinsics: tuple[bytes, ...] | list[bytes]) -> bytes:
    """Binary Merkle root over the encoded extrinsics, in block order."""
    return ordered_root(list(extrinsics))


__all__ = [
    "AURA_ENGINE", "DIGEST_CONSENSUS", "DIGEST_OTHER", "DIGEST_PRE_RUNTIME", "DIGEST_SEAL", "MAX_BLOCK_SIZE",
    "MAX_HEADER_SIZE", "Block", "DigestItem", "Header", "aura_digest", "extrinsics_root",
]
