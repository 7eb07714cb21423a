"""Hash functions: blake2b-256/128 for blocks, extrinsics and trie nodes; Substrate's storage hashers.

`twox128`/`twox64` reproduce Substrate's `twox_128`/`twox_64` (xxHash64 with seeds 0, 1, little-endian
concatenation), so storage prefixes equal the real chain's (`System.Account` = 26aa394e…1da9).
"""

from __future__ import annotations

import hashlib

import xxhash


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def twox64(data: bytes) -> bytes:
    return xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")


def twox128(data: bytes) -> bytes:
    return (
        xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")
        + xxhash.xxh64_intdigest(data, seed=1).to_bytes(8, "little")
    )


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
