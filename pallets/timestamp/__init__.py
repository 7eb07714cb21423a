"""Timestamp pallet (index 2): the block's time, set once per block by an inherent.

Invariants: `Now` only grows, by at least `minimum_period` ms per block (half the slot duration, as
Substrate); exactly one `set` per block, or the block is invalid.
"""

from __future__ import annotations

from runtime.support.codec import U64, Bool
from runtime.support.dispatch import Ctx, DocEnum, Origin, Pallet, call, ensure, ensure_none
from runtime.support.storage import StorageValue


class Error(DocEnum):
    TooEarly = (
        0, "the new timestamp is less than the previous one plus the minimum period", "stamp a later time",
    )
    AlreadySet = 1, "`set` was called twice in one block", "set the timestamp once per block"
    NotSet = 2, "the block has no timestamp inherent", "put the timestamp inherent first in the block"


class Timestamp(Pallet):
    NAME = "Timestamp"
    INDEX = 2
    Error = Error
    EVENTS = ()

    Now = StorageValue("Timestamp", "Now", U64, 0, doc="the current block's time, ms since the Unix epoch")
    DidUpdate = StorageValue("Timestamp", "DidUpdate", Bool, False, doc="whether `set` ran in this block")

    def __init__(self, minimum_period_ms: int) -> None:
        self.minimum_period = minimum_period_ms
        self.CONSTANTS = (("MinimumPeriod", U64, minimum_period_ms,
                           "The minimum period between blocks (ms); Aura's slot is twice it"),)

    @call(0, weight=10_000_000, pays_fee=False)
    def set(self, ctx: Ctx, origin: Origin, now: U64) -> None:
        """Set the block time. Origin: none (inherent). Errors: TooEarly, AlreadySet."""
        ensure_none(origin)
        ensure(not self.DidUpdate.get(ctx.state), Error.AlreadySet)
        prev = self.Now.get(ctx.state)
        ensure(prev == 0 or now >= prev + self.minimum_period, Error.TooEarly,
               f"{now} < {prev} + {self.minimum_period}")
        self.Now.set(ctx.state, now)
        self.DidUpdate.set(ctx.state, True)

    def on_finalize(self, ctx: Ctx) -> None:
        ensure(self.DidUpdate.get(ctx.state), Error.NotSet, "timestamp must be set once per block")
        self.DidUpdate.kill(ctx.state)

    def now(self, ctx: Ctx) -> int:
        return self.Now.get(ctx.state)
