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
    DIGEST_LOGS,
    DIGEST_OTHER,
    DIGEST_PRE_RUNTIME,
    DIGEST_SEAL,
    DigestItem,
    aura_slot,
)
from runtime.support.hashing import blake2_256, ordered_root
from runtime.support.scale import ByteArrayS, TupleS, compact

_HASH = ByteArrayS(32)
_SCALE_HEADER = TupleS((_HASH, compact(32), _HASH, _HASH, DIGEST_LOGS))
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

    # -- Substrate's form (sp_runtime::generic::Header<u32, BlakeTwo256>): what a Substrate client
    # decodes and hashes. The seal travels as the digest's last item, Seal(aura, signature); the
    # block hash is blake2-256 of the sealed header, the pre-hash (what the author signs) of the
    # header without it.
    def encode_scale(self, sealed: bool = True) -> bytes:
        logs = list(self.digest)
        if sealed and self.seal:
            logs.append(DigestItem(DIGEST_SEAL, AURA_ENGINE, self.seal))
        return b"".join((
            _HASH.encode(self.parent_hash), compact(32).encode(self.number), _HASH.encode(self.state_root),
            _HASH.encode(self.extrinsics_root), DIGEST_LOGS.encode(logs),
        ))

    @staticmethod
    def decode_scale(data: bytes) -> Header:
        """A header from Substrate's SCALE form, strictly (CodecError); a last Seal(aura) item
        becomes the seal."""
        value = _SCALE_HEADER.decode(data, MAX_HEADER_SIZE)
        parent, number, state_root, ext_root, logs = value
        logs = list(logs)
        seal = b""
        if logs and logs[-1].kind == DIGEST_SEAL and logs[-1].engine == AURA_ENGINE and logs[-1].data:
            seal = logs.pop().data
        return Header(parent, number, state_root, ext_root, tuple(logs), seal)

    def substrate_hash(self) -> bytes:
        """The block hash a Substrate client computes: blake2-256 of the sealed SCALE header."""
        return blake2_256(self.encode_scale(sealed=True))

    def substrate_pre_hash(self) -> bytes:
        """blake2-256 of the SCALE header without its seal (what an Aura author signs)."""
        return blake2_256(self.encode_scale(sealed=False))


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
