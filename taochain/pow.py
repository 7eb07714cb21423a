"""Proof-of-work registration: solve the subnet's puzzle on the CPU.

The seal is keccak256(sha256(u64le(nonce) ++ keccak256(block_hash ++ hotkey))) and must satisfy
int(seal, big-endian) * difficulty < 2^256 (runtime.support.hashing.seal_hash). Work is bound to a
recent block (the chain accepts seals over its last 3 blocks), so a solver that runs longer than
that restarts on a newer block: `solve` takes a `fresh_block` callback for that.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from runtime.support.hashing import keccak_256, seal_hash, seal_meets_difficulty

LIMIT = 1 << 256


@dataclass(frozen=True, slots=True)
class Solution:
    block_number: int
    block_hash: bytes
    nonce: int
    seal: bytes
    tries: int


def solve_range(block_hash: bytes, hotkey: bytes, difficulty: int, start: int, count: int) -> tuple[int, bytes] | None:
    """Try nonces start..start+count-1; the first (nonce, seal) that meets `difficulty`, or None."""
    from Crypto.Hash import keccak  # noqa: PLC0415

    binding = keccak_256(block_hash + hotkey)
    bound = LIMIT // max(1, difficulty)  # seal * d < 2^256  <=>  seal < ceil(2^256 / d)
    if LIMIT % max(1, difficulty):
        bound += 1
    sha = hashlib.sha256
    for nonce in range(start, start + count):
        seal = keccak.new(digest_bits=256, data=sha(nonce.to_bytes(8, "little") + binding).digest()).digest()
        if int.from_bytes(seal, "big") < bound:
            return nonce, seal
    return None


def solve(
    latest_block: Callable[[], tuple[int, bytes]],
    hotkey: bytes,
    difficulty: int,
    progress: Callable[[int], None] | None = None,
    chunk: int = 20_000,
    max_tries: int | None = None,
) -> Solution:
    """Search nonces over the latest block (refreshed every chunk, so the work stays recent).
    `latest_block()` returns (number, hash) of the chain's best block; `progress(tries)` is called
    after each chunk. Raises TimeoutError after `max_tries`."""
    tries = 0
    start = int.from_bytes(os.urandom(6), "big")  # solvers of one hotkey do not repeat each other
    while max_tries is None or tries < max_tries:
        number, block_hash = latest_block()
        found = solve_range(block_hash, hotkey, difficulty, start, chunk)
        if found is not None:
            nonce, seal = found
            tries += nonce - start + 1
            assert seal == seal_hash(block_hash, hotkey, nonce) and seal_meets_difficulty(seal, difficulty)
            if progress is not None:
                progress(tries)
            return Solution(number, block_hash, nonce, seal, tries)
        tries += chunk
        start += chunk
        if progress is not None:
            progress(tries)
    raise TimeoutError(f"no seal found in {tries} tries")
