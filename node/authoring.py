"""Aura authoring, once: the inherents of a block, the slot-author rule, building and sealing a
block on a parent, and the seal check of a header.

The node (node/service.py) and the in-process chain (node/local.py) both author through here, so a
block LocalChain seals imports into a node and the other way round. Nothing here holds state, reads
a clock or does I/O: the caller passes the parent state, the authority list (read through the
runtime API `AuraApi_authorities`) and the current slot.

Rules: a block of slot `s` carries the Aura digest of `s` and the timestamp `s * slot_ms`; its
author is `authorities[s % n]`, whose ed25519 signature over the header's pre-hash (the SCALE
header without its seal, as Substrate's Aura) is the seal; the block hash then covers the seal
(runtime/block.py), so a block is known by its hash only once sealed. A header
whose slot is more than `MAX_FUTURE_SLOTS` ahead of the current one is refused with `FutureBlock`
(it may become valid later).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from runtime import scale_types
from runtime.block import Header, aura_digest
from runtime.construct import Runtime
from runtime.executive import BlockError, BlockResult, InvalidTransaction, Prechecked, build_block
from runtime.support import tx
from runtime.support.keys import Keypair, verify
from runtime.support.storage import StateBackend
from runtime.support.trie import Trie

MAX_FUTURE_SLOTS = 2  # a block may come this many slots early (clock drift)

BuildFn = Callable[..., tuple[BlockResult, list[tuple[bytes, InvalidTransaction]]]]


class FutureBlock(BlockError):
    """The block's slot is further ahead than clock drift explains (it may become valid later)."""


# ---------------------------------------------------------------------- inherents
def timestamp_inherent(runtime: Runtime, slot: int, slot_ms: int) -> bytes:
    """The `Timestamp.set` inherent of a block in `slot`: the slot's start, in milliseconds."""
    return tx.encode_unsigned(scale_types.encode_call(runtime, runtime.call("Timestamp", "set", slot * slot_ms)))


def pulse_inherent(runtime: Runtime, pulses: Iterable[Any]) -> bytes:
    """The `Drand.write_pulse` inherent for these pulses (the runtime's drand `Pulse` values)."""
    return tx.encode_unsigned(scale_types.encode_call(runtime, runtime.call("Drand", "write_pulse", tuple(pulses))))


def block_inherents(runtime: Runtime, slot: int, slot_ms: int, pulses: Sequence[Any] = ()) -> list[bytes]:
    """A block's inherents in order: the timestamp, then the drand pulses when there are any."""
    inherents = [timestamp_inherent(runtime, slot, slot_ms)]
    if pulses:
        inherents.append(pulse_inherent(runtime, pulses))
    return inherents


# ---------------------------------------------------------------------- the slot-author rule
def slot_author(authorities: Sequence[bytes], slot: int) -> bytes | None:
    """The authority that authors `slot` (round robin over the set); None for an empty set."""
    return authorities[slot % len(authorities)] if authorities else None


def slot_follows(parent: Header, slot: int) -> bool:
    """Whether a block of `slot` may follow `parent`: slots strictly increase along a chain (the
    genesis block has none, any slot follows it)."""
    parent_slot = parent.slot()
    return parent_slot is None or slot > parent_slot


def header_slot(header: Header) -> int:
    """The header's Aura slot; raises BlockError when it has none."""
    slot = header.slot()
    if slot is None:
        raise BlockError("the header has no Aura slot digest")
    return slot


def check_seal(header: Header, authorities: Sequence[bytes], now_slot: int) -> None:
    """The checks a header passes without its parent: an Aura slot, at most `MAX_FUTURE_SLOTS`
    after `now_slot` (else FutureBlock), sealed by that slot's author. Raises BlockError."""
    slot = header_slot(header)
    if slot > now_slot + MAX_FUTURE_SLOTS:
        raise FutureBlock(f"block from the future (slot {slot}, now {now_slot})")
    author = slot_author(authorities, slot)
    if author is None or not verify(author, header.pre_hash(), header.seal):
        raise BlockError("bad seal: not signed by the slot's author")


# ---------------------------------------------------------------------- building and sealing
def build_on(
    runtime: Runtime,
    state: StateBackend,
    trie: Trie,
    parent: Header,
    slot: int,
    inherents: Iterable[bytes],
    candidates: list[bytes],
    prechecked: Prechecked | None = None,
    should_stop: Callable[[], bool] | None = None,
    build: BuildFn = build_block,
) -> tuple[BlockResult, list[tuple[bytes, InvalidTransaction]]]:
    """Build the block of `slot` on `parent` (whose state is `state`, its trie `trie`): the
    inherents, then the valid candidates (the invalid ones come back with their reasons). The
    header is unsealed. `build` is `runtime.executive.build_block` unless a caller swaps it."""
    return build(
        runtime, state, trie, parent.hash(), parent.number + 1, aura_digest(slot), list(inherents), candidates,
        prechecked, should_stop,
    )


def seal(header: Header, key: Keypair | None) -> Header:
    """The header sealed with `key`'s signature over its pre-hash (unsealed when there is no key).
    The sealed header's hash() differs from the unsealed one's: take a block's hash after this."""
    return header.with_seal(key.sign(header.pre_hash()) if key is not None else b"")


__all__ = [
    "MAX_FUTURE_SLOTS", "FutureBlock", "block_inherents", "build_on", "check_seal", "header_slot", "pulse_inherent",
    "seal", "slot_author", "slot_follows", "timestamp_inherent",
]
