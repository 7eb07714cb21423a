"""Drand pallet (index 26): verified pulses of a drand-style randomness beacon, for timelocked commits.

The beacon (quicknet, or a local chain's own threshold beacon in quicknet's scheme) is fixed in the
chain spec: its G2 public key, genesis time and period. The block author includes the pulses it
has as the unsigned `write_pulse` inherent; each pulse is checked (its round above
`LastStoredRound`, randomness = sha256(signature), a valid BLS signature of sha256(u64be(round)))
and stored as `Pulses[round]`. At most `max_kept` pulses are kept: the oldest are removed as new
ones come (a ring index, so the work per pulse is bounded whatever the gaps between rounds).

Invariants: `LastStoredRound` only grows; every stored pulse verifies against the beacon key;
`PulseCount - OldestIndex <= max_kept`.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from runtime.support.bls import BlsError, get_backend, randomness_of, round_message
from runtime.support.codec import U64, BytesT, wire
from runtime.support.dispatch import Ctx, DocEnum, Origin, Pallet, call, ensure, ensure_none
from runtime.support.storage import StorageMap, StorageValue

P = "Drand"
SigBytes = Annotated[bytes, BytesT(max_len=96)]
RandBytes = Annotated[bytes, BytesT(max_len=64)]
KeyBytes = Annotated[bytes, BytesT(96)]
MAX_PULSES_PER_BLOCK = 64
PULSE_WEIGHT = 30_000_000  # one BLS verification (two Miller loops and a final exponentiation)


class Error(DocEnum):
    NoneValue = 0, "(subtensor's) a value was expected", ""
    StorageOverflow = 1, "(subtensor's) a counter overflowed", ""
    DrandConnectionFailure = 2, "(subtensor's) the offchain worker could not reach drand", ""
    UnverifiedPulse = 3, "(subtensor's) a pulse without a verifiable signature", ""
    InvalidRoundNumber = 4, "the pulse's round is not above LastStoredRound", "write only newer rounds"
    PulseVerificationError = (
        5, "the signature does not verify, or the randomness is not sha256(signature)",
        "write pulses of the chain's beacon only",
    )
    NoPulses = 6, "write_pulse with an empty list", "give at least one pulse"
    TooManyPulses = 7, "more than MAX_PULSES_PER_BLOCK pulses in one block", "write fewer pulses per block"
    AlreadyWritten = 8, "write_pulse twice in one block", "write pulses once per block"


@wire
class Pulse:
    """One beacon output: the round, its randomness (sha256 of the signature), its signature."""

    round: U64
    randomness: RandBytes
    signature: SigBytes


@wire
class BeaconInfo:
    """The beacon the chain follows (from the chain spec)."""

    public_key: KeyBytes  # 96-byte compressed G2 point
    genesis_time: U64  # unix seconds of round 1
    period: U64  # seconds per round


@wire
class NewPulse:
    """Pulses were stored (their rounds, ascending)."""

    rounds: tuple[U64, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class DrandConfig:
    public_key: bytes
    genesis_time: int
    period: int
    max_kept: int = 216_000

    def round_at(self, unix_seconds: int) -> int:
        """The latest round published at `unix_seconds` (0 before genesis)."""
        if unix_seconds < self.genesis_time:
            return 0
        return (unix_seconds - self.genesis_time) // self.period + 1

    def time_of(self, round_: int) -> int:
        return self.genesis_time + (round_ - 1) * self.period


class Drand(Pallet):
    NAME = P
    INDEX = 26
    Error = Error
    EVENTS = (NewPulse,)

    Pulses = StorageMap(P, "Pulses", U64, Pulse | None, None, hasher="Identity", doc="stored pulses by round")
    LastStoredRound = StorageValue(P, "LastStoredRound", U64, 0, doc="the highest stored round")
    OldestStoredRound = StorageValue(P, "OldestStoredRound", U64, 0, doc="the lowest round still stored")
    PulseIndex = StorageMap(P, "PulseIndex", U64, U64, 0, hasher="Identity", doc="n-th stored pulse -> its round")
    PulseCount = StorageValue(P, "PulseCount", U64, 0, doc="pulses ever stored")
    OldestIndex = StorageValue(P, "OldestIndex", U64, 0, doc="index of the oldest kept pulse")
    BeaconConfig = StorageValue(P, "BeaconConfig", BeaconInfo | None, None, doc="the beacon's key and schedule")
    DidWrite = StorageValue(P, "DidWrite", U64, 0, doc="1 once write_pulse ran in this block")

    def __init__(self, cfg: DrandConfig, bls_backend: str | None = None) -> None:
        self.cfg = cfg
        # both backends give the same answer on every input (tests/support/test_bls.py)
        self.bls = get_backend(bls_backend)

    def genesis(self, ctx: Ctx) -> None:
        self.BeaconConfig.set(ctx.state, BeaconInfo(self.cfg.public_key, self.cfg.genesis_time, self.cfg.period))

    # ------------------------------------------------------------------ reads for other pallets
    def pulse_signature(self, ctx: Ctx, round_: int) -> bytes | None:
        p = self.Pulses.get(ctx.state, round_)
        return None if p is None else p.signature

    def last_stored_round(self, ctx: Ctx) -> int:
        return self.LastStoredRound.get(ctx.state)

    def public_key(self) -> bytes:
        return self.cfg.public_key

    # ------------------------------------------------------------------ checks
    def check_pulse(self, last: int, pulse: Pulse) -> None:
        """Raise the pallet error for a pulse that may not follow round `last`."""
        ensure(pulse.round > last, Error.InvalidRoundNumber, f"round {pulse.round} is not above {last}")
        ensure(
            len(pulse.signature) == 48 and pulse.randomness == randomness_of(pulse.signature),
            Error.PulseVerificationError,
            "the randomness must be sha256 of the 48-byte signature",
        )
        try:
            ok = self.bls.verify(self.cfg.public_key, round_message(pulse.round), pulse.signature)
        except BlsError as exc:
            ensure(False, Error.PulseVerificationError, str(exc))
        ensure(ok, Error.PulseVerificationError, f"the signature of round {pulse.round} does not verify")

    # ------------------------------------------------------------------ calls
    @call(0, weight=lambda pulses: PULSE_WEIGHT * max(1, len(pulses)), pays_fee=False)
    def write_pulse(self, ctx: Ctx, origin: Origin, pulses: tuple[Pulse, ...]) -> None:
        """Store beacon pulses (ascending rounds above LastStoredRound). Origin: none (an inherent
        put in by the block author). Events: NewPulse. Errors: NoPulses, TooManyPulses,
        AlreadyWritten, InvalidRoundNumber, PulseVerificationError."""
        ensure_none(origin)
        s = ctx.state
        ensure(bool(pulses), Error.NoPulses)
        ensure(len(pulses) <= MAX_PULSES_PER_BLOCK, Error.TooManyPulses, f"at most {MAX_PULSES_PER_BLOCK}")
        ensure(not self.DidWrite.get(s), Error.AlreadyWritten)
        last = self.LastStoredRound.get(s)
        for p in pulses:
            self.check_pulse(last, p)
            last = p.round
        count, oldest = self.PulseCount.get(s), self.OldestIndex.get(s)
        for p in pulses:
            self.Pulses.set(s, p.round, p)
            self.PulseIndex.set(s, count, p.round)
            count += 1
            if count - oldest > self.cfg.max_kept:
                self.Pulses.remove(s, self.PulseIndex.get(s, oldest))
                self.PulseIndex.remove(s, oldest)
                oldest += 1
        self.PulseCount.set(s, count)
        self.OldestIndex.set(s, oldest)
        self.OldestStoredRound.set(s, self.PulseIndex.get(s, oldest))
        self.LastStoredRound.set(s, last)
        self.DidWrite.set(s, 1)
        ctx.deposit_event(NewPulse(tuple(p.round for p in pulses)))

    def on_finalize(self, ctx: Ctx) -> None:
        if self.DidWrite.get(ctx.state):
            self.DidWrite.kill(ctx.state)

    def try_state(self, ctx: Ctx) -> None:
        s = ctx.state
        count, oldest = self.PulseCount.get(s), self.OldestIndex.get(s)
        assert count - oldest <= self.cfg.max_kept, "more pulses kept than max_kept"
        if count:
            assert self.PulseIndex.get(s, count - 1) == self.LastStoredRound.get(s), "LastStoredRound mismatch"
