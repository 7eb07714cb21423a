"""Headers and blocks.

Header: parent hash, number, state root, extrinsics root, digest, seal. Hashing is Substrate's
(sp_runtime::generic::Header<u32, BlakeTwo256> with Aura): the block hash (`hash()`) is blake2-256 of
the SCALE header whose digest ends with the Seal(aura, signature) item, which is what a Substrate
client computes for a header it gets from chain_getHeader; the seal is the author's ed25519
signature over the pre-hash (`pre_hash()`: blake2-256 of the SCALE header without the seal item).
An unsealed header (the genesis, a block being built) hashes without a seal item, so the genesis
hash is blake2-256 of its SCALE header, as Substrate's. The number is Substrate's u32
BlockNumber; a header past u32 cannot be hashed or decoded (CodecError). The digest carries the
Aura slot as a pre-runtime item. A block's extrinsics are opaque encoded bytes (as Substrate's
opaque block); the executive decodes them. MessagePack (`encode`/`decode`) stays the header's
form in p2p frames and database records; only the hash is SCALE's.
"""

from __future__ import annotations

from runtime.support.codec import U32, Bytes, CodecError, Hash, decode_obj, encode_obj, wire
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
MAX_BLOCK_NUMBER = (1 << 32) - 1  # Substrate's BlockNumber is u32


@wire
class Header:
    parent_hash: Hash
    number: U32
    state_root: Hash
    extrinsics_root: Hash
    digest: tuple[DigestItem, ...]
    seal: Bytes  # the author's signature over pre_hash(); empty for genesis and unsealed blocks

    def hash(self) -> bytes:
        """The block hash: blake2-256 of the SCALE header, seal item included (module doc)."""
        return blake2_256(self.encode_scale(sealed=True))

    def pre_hash(self) -> bytes:
        """blake2-256 of the SCALE header without its seal: what the Aura author signs."""
        return blake2_256(self.encode_scale(sealed=False))

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
    # decodes and hashes. The seal travels as the digest's last item, Seal(aura, signature).
    def encode_scale(self, sealed: bool = True) -> bytes:
        if type(self.number) is not int or not 0 <= self.number <= MAX_BLOCK_NUMBER:
            raise CodecError(
                f"block number {self.number!r} does not fit Substrate's u32 BlockNumber (0..{MAX_BLOCK_NUMBER})"
            )
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
    "MAX_BLOCK_NUMBER", "MAX_HEADER_SIZE", "Block", "DigestItem", "Header", "aura_digest", "extrinsics_root",
]
