"""Hash functions: blake2b-256/128 for blocks, extrinsics and trie nodes; Substrate's storage hashers.

`twox128`/`twox64` reproduce Substrate's `twox_128`/`twox_64` (xxHash64 with seeds 0, 1, little-endian
concatenation), so storage prefixes equal the real chain's (`System.Account` = 26aa394e…1da9).
"""

from __future__ import annotations

import hashlib

import xxhash

from .keys import scale_compact


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2_64(data: bytes) -> bytes:
    """8-byte blake2b (Substrate's runtime API ids: blake2_64 of the API's name)."""
    return hashlib.blake2b(data, digest_size=8).digest()


def blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def twox64(data: bytes) -> bytes:
    return xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")


def twox128(data: bytes) -> bytes:
    return (
        xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")
        + xxhash.xxh64_intdigest(data, seed=1).to_bytes(8, "little")
    )


def twox256(data: bytes) -> bytes:
    """Substrate's `twox_256`: xxHash64 with seeds 0..3, little-endian, concatenated."""
    return b"".join(xxhash.xxh64_intdigest(data, seed=i).to_bytes(8, "little") for i in range(4))


def blake2_128_concat(data: bytes) -> bytes:
    return blake2_128(data) + data


def twox64_concat(data: bytes) -> bytes:
    return twox64(data) + data


def identity(data: bytes) -> bytes:
    return data


def storage_prefix(pallet: str, item: str) -> bytes:
    """Substrate's `storage_prefix`: twox128(pallet) ++ twox128(item)."""
    return twox128(pallet.encode()) + twox128(item.encode())


def ordered_root(items: list[bytes] | tuple[bytes, ...]) -> bytes:
    """Binary Merkle root of an ordered list: leaves are blake2b-256 of (0x00 ++ item), inner nodes
    of (0x01 ++ left ++ right); an odd node is carried up unchanged; the empty list hashes b""."""
    if not items:
        return blake2_256(b"")
    level = [blake2_256(b"\x00" + it) for it in items]
    while len(level) > 1:
        nxt = [blake2_256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def keccak_256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Substrate's `keccak_256` (not NIST SHA3-256: other padding)."""
    from Crypto.Hash import keccak  # noqa: PLC0415 (pycryptodome, only PoW needs it)

    return keccak.new(digest_bits=256, data=data).digest()


def sha2_256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --------------------------------------------------------------------------- Bittensor hash formats


def _scale_vec_u16(xs) -> bytes:
    return scale_compact(len(xs)) + b"".join(int(x).to_bytes(2, "little") for x in xs)


def commit_hash(hotkey: bytes, netuid: int, uids, values, salt, version_key: int) -> bytes:
    """Weights commit-reveal v2 hash (subtensor `get_commit_hash`, bittensor `generate_weight_hash`):
    blake2b-256 of SCALE (AccountId32, u16 netuid, Vec<u16> uids, Vec<u16> values, Vec<u16> salt,
    u64 version_key), over the raw values."""
    data = (
        hotkey
        + netuid.to_bytes(2, "little")
        + _scale_vec_u16(uids)
        + _scale_vec_u16(values)
        + _scale_vec_u16(salt)
        + version_key.to_bytes(8, "little")
    )
    return blake2_256(data)


def seal_hash(block_hash: bytes, hotkey: bytes, nonce: int) -> bytes:
    """Proof-of-work seal (classic `create_seal_hash`):
    keccak256(sha256(u64le(nonce) ++ keccak256(block_hash ++ hotkey)))."""
    binding = keccak_256(block_hash + hotkey)
    return keccak_256(sha2_256(nonce.to_bytes(8, "little") + binding))


def seal_meets_difficulty(seal: bytes, difficulty: int) -> bool:
    """int(seal) * difficulty < 2^256, the seal read big-endian as subtensor's `U256::from(&[u8])`
    and bittensor's `seal_meets_difficulty`."""
    return int.from_bytes(seal, "big") * difficulty < 1 << 256
