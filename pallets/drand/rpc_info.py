"""The Drand pallet's views: the beacon the chain follows and its stored pulses (runtime APIs)."""

from __future__ import annotations

import dataclasses
from typing import Any

from runtime.support.api import RuntimeApi
from runtime.support.codec import U64
from runtime.support.dispatch import Ctx

from . import Pulse


@dataclasses.dataclass(frozen=True, slots=True)
class DrandInfo:
    """The beacon's key and schedule (from the chain spec) and what the chain has stored of it."""

    public_key: bytes
    genesis_time: int
    period: int
    max_kept_pulses: int
    last_stored_round: int
    oldest_stored_round: int
    stored_pulses: int

    def to_json(self) -> dict[str, Any]:
        return {
            "publicKey": "0x" + self.public_key.hex(), "genesisTime": self.genesis_time, "period": self.period,
            "maxKeptPulses": self.max_kept_pulses, "lastStoredRound": self.last_stored_round,
            "oldestStoredRound": self.oldest_stored_round, "storedPulses": self.stored_pulses,
        }


def info(d: Any, ctx: Ctx) -> DrandInfo:
    s = ctx.state
    return DrandInfo(
        d.cfg.public_key, d.cfg.genesis_time, d.cfg.period, d.cfg.max_kept, d.LastStoredRound.get(s),
        d.OldestStoredRound.get(s), d.PulseCount.get(s) - d.OldestIndex.get(s),
    )


def pulse(d: Any, ctx: Ctx, round_: int) -> Pulse | None:
    return d.Pulses.get(ctx.state, round_)


def last_stored_round(d: Any, ctx: Ctx) -> int:
    return d.LastStoredRound.get(ctx.state)


RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("DrandApi", "info", info, (), "DrandInfo", None, "the beacon and the pulses stored of it"),
    RuntimeApi("DrandApi", "get_pulse", pulse, (("round", U64),), "Option<Pulse>", "drand_getPulse",
               "a stored pulse by round"),
    RuntimeApi("DrandApi", "last_stored_round", last_stored_round, (), "u64", None,
               "the highest round stored (pulses for the next block start above it)"),
)
