"""Aura pallet (index 3): the authority set and the current slot.

The block's pre-runtime digest carries its slot; the author is `authorities[slot % n]`. Invariant:
slots strictly increase from block to block.
"""

from __future__ import annotations

from runtime.support.codec import U64, AccountId
from runtime.support.dispatch import Ctx, DocEnum, Pallet, ensure
from runtime.support.storage import StorageValue


class Error(DocEnum):
    SlotNotIncreasing = 0, "the block's slot is not after the parent's", "author in a later slot"
    NoAuthorities = 1, "the authority set is empty", "the chain spec must name at least one authority"


class Aura(Pallet):
    NAME = "Aura"
    INDEX = 3
    Error = Error
    EVENTS = ()

    Authorities = StorageValue("Aura", "Authorities", tuple[AccountId, ...], (), doc="block authors, in turn")
    CurrentSlot = StorageValue("Aura", "CurrentSlot", U64, 0, doc="the slot of the current block")

    def genesis(self, ctx: Ctx, authorities: list[bytes]) -> None:
        self.Authorities.set(ctx.state, tuple(authorities))

    def authorities(self, ctx: Ctx) -> tuple[bytes, ...]:
        return self.Authorities.get(ctx.state)

    def enter_slot(self, ctx: Ctx, slot: int) -> bytes:
        """Record the block's slot and return its author."""
        ensure(slot > self.CurrentSlot.get(ctx.state), Error.SlotNotIncreasing)
        auths = self.Authorities.get(ctx.state)
        ensure(len(auths) > 0, Error.NoAuthorities)
        self.CurrentSlot.set(ctx.state, slot)
        return auths[slot % len(auths)]
