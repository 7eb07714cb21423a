"""The Drand pallet and timelocked commit-reveal (commit_timelocked_weights, the per-block reveal).

Chains here follow drand quicknet (its public key in the spec); the round-1000 pulse is drand's
published one, and the commits are made by `bittensor-drand`, the library the bittensor SDK uses.
"""

from __future__ import annotations

import dataclasses
import os

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import (
    NEWBIE,
    S,
    admin,
    ctx_at,
    epoch_of,
    events,
    get,
    hk,
    make_subnet,
    next_epoch_block,
    noop,
    ok,
    register,
    spec_with,
    sub,
    sudo_noop,
)

from pallets.drand import Pulse
from pallets.subtensor.errors import Error
from pallets.subtensor.events import DropReason
from runtime.block import Block
from runtime.executive import BlockError
from runtime.presets import local_beacon, quicknet
from runtime.support import bls, tlock
from runtime.support.dispatch import Origin
from runtime.support.hashing import blake2_256, twox128

bd = pytest.importorskip("bittensor_drand")

SIG1000 = bytes.fromhex(
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
)
SIG_LATE = bytes.fromhex(
    "929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec895bb6868e5b9ff13ab289bdb5266b394"
)
ROUND_LATE = 12040883
P1000 = Pulse(1000, bls.randomness_of(SIG1000), SIG1000)
P_LATE = Pulse(ROUND_LATE, bls.randomness_of(SIG_LATE), SIG_LATE)
OWNER, VAL, M1, M2 = hk("owner"), hk("val"), hk("m1"), hk("m2")
D = "Drand"


def quicknet_chain(**subnet) -> ChainBuilder:
    spec = spec_with({"max_allowed_validators": 1, **subnet})
    return ChainBuilder(dataclasses.replace(spec, drand=quicknet()))


def write(chain: ChainBuilder, *pulses: Pulse):
    result, _ = chain.author(inherents=[chain.pulse_inherent(pulses)])
    chain.try_state()
    return result


def dispatch_pulses(chain: ChainBuilder, pulses, origin=None) -> str | None:
    """Dispatch write_pulse on a throwaway context: the error's name, or None."""
    ctx = ctx_at(chain)
    err = chain.runtime.dispatch(ctx, origin or Origin.none(), chain.call(D, "write_pulse", tuple(pulses)))
    return None if err is None else err.name


def bd_ciphertext(payload: bytes, round_: int) -> bytes:
    """bittensor_drand.encrypt_at_round's ciphertext (it returns SCALE(Vec<u8>, u64 round))."""
    out, r = bd.encrypt_at_round(payload, round_)
    assert r == round_
    head = {0: 1, 1: 2, 2: 4}[out[0] & 3]
    return out[head:-8]


def weights_ct(hot: bytes, uids, values, vk: int = 0, round_: int = 1000) -> bytes:
    return bd_ciphertext(tlock.encode_weights_payload(hot, uids, values, vk), round_)


# ---------------------------------------------------------------- the Drand pallet
def test_write_pulse_verifies_and_stores_in_order() -> None:
    chain = quicknet_chain()
    r = write(chain, P1000)
    assert [f.rounds for f in events(chain, r, "Drand.NewPulse")] == [(1000,)]
    assert get_d(chain, "LastStoredRound") == 1000 and get_d(chain, "Pulses", 1000) == P1000
    assert dispatch_pulses(chain, [P1000]) == "Drand.InvalidRoundNumber"  # not above the last round
    bad_rand = dataclasses.replace(P_LATE, randomness=bytes(32))
    assert dispatch_pulses(chain, [bad_rand]) == "Drand.PulseVerificationError"
    wrong_round = dataclasses.replace(P_LATE, round=ROUND_LATE + 1)
    assert dispatch_pulses(chain, [wrong_round]) == "Drand.PulseVerificationError"
    garbage = Pulse(2000, bls.randomness_of(b"\x01" * 48), b"\x01" * 48)
    assert dispatch_pulses(chain, [garbage]) == "Drand.PulseVerificationError"
    assert dispatch_pulses(chain, []) == "Drand.NoPulses"
    assert dispatch_pulses(chain, [P_LATE] * 65) == "Drand.TooManyPulses"
    assert dispatch_pulses(chain, [P_LATE], Origin.signed(ALICE.public)) == "System.BadOrigin"
    # an invalid pulse after a valid one in the same list stores neither
    assert dispatch_pulses(chain, [P_LATE, P1000]) == "Drand.InvalidRoundNumber"
    write(chain, P_LATE)
    assert get_d(chain, "LastStoredRound") == ROUND_LATE and get_d(chain, "OldestStoredRound") == 1000


def get_d(chain: ChainBuilder, item: str, *keys):
    return getattr(chain.runtime.drand, item).get(chain.ctx().state, *keys)


def test_write_pulse_cannot_be_signed_and_a_bad_pulse_block_is_refused() -> None:
    chain = quicknet_chain()
    xt = chain.sign(ALICE, chain.call(D, "write_pulse", (P1000,)))
    _, rejected = chain.author([xt])
    assert rejected and "inherent" in rejected[0][1].message
    bad = dataclasses.replace(P1000, randomness=bytes(32))
    head = chain.head
    with pytest.raises(BlockError, match="write_pulse"):
        chain.author(inherents=[chain.pulse_inherent([bad])])
    assert chain.head == head  # nothing applied
    # a block carrying a bad pulse, made elsewhere, is refused on import; the good one imports
    fresh, other = quicknet_chain(), quicknet_chain()
    good = write(other, P1000)
    xts = list(good.extrinsics)
    assert xts[1] == other.pulse_inherent([P1000])
    xts[1] = other.pulse_inherent([bad])
    with pytest.raises(BlockError, match="write_pulse"):
        fresh.import_block(Block(other.head, tuple(xts)))
    assert fresh.number == 0
    fresh.import_block(Block(other.head, good.extrinsics))
    assert fresh.number == 1 and fresh.runtime.drand.LastStoredRound.get(fresh.ctx().state) == 1000


def test_pulses_kept_for_a_bounded_window() -> None:
    secret = 424242
    beacon = dataclasses.replace(local_beacon([secret], 1, dev_seed=False), max_kept=3)
    chain = ChainBuilder(dataclasses.replace(spec_with(), drand=beacon))
    b = chain.runtime.drand.bls

    def pulse(r: int) -> Pulse:
        sig = b.sign(secret, bls.round_message(r))
        return Pulse(r, bls.randomness_of(sig), sig)

    write(chain, pulse(5))
    write(chain, pulse(6), pulse(9))
    assert [get_d(chain, "Pulses", r) is not None for r in (5, 6, 9)] == [True, True, True]
    write(chain, pulse(10), pulse(11))
    assert [get_d(chain, "Pulses", r) is not None for r in (5, 6, 9, 10, 11)] == [False, False, True, True, True]
    assert get_d(chain, "OldestStoredRound") == 9 and get_d(chain, "LastStoredRound") == 11
    # a pulse signed by another key is refused
    forged = b.sign(secret + 1, bls.round_message(12))
    assert dispatch_pulses(chain, [Pulse(12, bls.randomness_of(forged), forged)]) == "Drand.PulseVerificationError"


# ---------------------------------------------------------------- commits
@pytest.fixture
def tl_subnet() -> tuple[ChainBuilder, int]:
    """A quicknet chain; subnet with commit_reveal_version 4: 0 owner, 1 VAL (the permit), 2 M1, 3 M2."""
    chain = quicknet_chain()
    netuid = make_subnet(chain, ALICE, OWNER, start=True)
    assert get(chain, "CommitRevealVersion", netuid) == 4
    register(chain, netuid, VAL, BOB)
    register(chain, netuid, M1, CHARLIE)
    register(chain, netuid, M2, CHARLIE)
    ok(chain, BOB, S, "add_stake", VAL.public, 100 * TAO)
    chain.run_to_block(next_epoch_block(chain, netuid))
    assert get(chain, "ValidatorPermit", netuid)[1]
    return chain, netuid


def reveal_block(chain: ChainBuilder, netuid: int, commit_epoch: int) -> int:
    b = chain.number + 1
    period = get(chain, "RevealPeriodEpochs", netuid)
    while epoch_of(chain, netuid, b) < commit_epoch + period:
        b += 1
    return b


def test_bittensor_drand_commit_reveals_and_lands_in_the_metagraph(tl_subnet) -> None:
    chain, netuid = tl_subnet
    ct = weights_ct(VAL.public, [2, 3], [1, 9])
    r = ok(chain, VAL, S, "commit_timelocked_weights", netuid, ct, 1000, 4)
    assert chain.outcome(r).fee == 0
    (ev,) = events(chain, r, "SubtensorModule.TimelockedWeightsCommitted")
    assert (ev.who, ev.netuid, ev.commit_hash, ev.reveal_round) == (VAL.public, netuid, blake2_256(ct), 1000)
    epoch = epoch_of(chain, netuid, chain.number)
    (c,) = get(chain, "TimelockedWeightCommits", netuid, epoch)
    assert (c.who, c.block, c.commit, c.reveal_round) == (VAL.public, chain.number, ct, 1000)
    assert get(chain, "LastUpdate", netuid)[1] == chain.number
    write(chain, P1000)  # the pulse arrives before the reveal epoch: nothing is revealed early
    assert get(chain, "Weights", netuid, 1) == b""
    target = reveal_block(chain, netuid, epoch)
    chain.run_to_block(target - 1)
    assert get(chain, "TimelockedWeightCommits", netuid, epoch) != ()
    r, _ = chain.author()
    assert [(e.netuid, e.who) for e in events(chain, r, "SubtensorModule.TimelockedWeightsRevealed")] == [
        (netuid, VAL.public)
    ]
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 7282), (3, 65535)]
    assert get(chain, "TimelockedWeightCommits", netuid, epoch) == ()
    # the next epoch: the favoured miner gets the larger incentive
    chain.run_to_block(next_epoch_block(chain, netuid))
    incentive = get(chain, "Incentive", netuid)
    assert incentive[3] > incentive[2] > 0


def test_wrong_round_signature_drops_the_commit(tl_subnet) -> None:
    chain, netuid = tl_subnet
    ct = weights_ct(VAL.public, [2], [1], round_=ROUND_LATE)  # encrypted to another round
    ok(chain, VAL, S, "commit_timelocked_weights", netuid, ct, 1000, 4)  # ...but claims 1000
    epoch = epoch_of(chain, netuid, chain.number)
    write(chain, P1000)
    chain.run_to_block(reveal_block(chain, netuid, epoch) - 1)
    r, _ = chain.author()
    (ev,) = events(chain, r, "SubtensorModule.TimelockedWeightsDropped")
    assert (ev.netuid, ev.who, ev.reason) == (netuid, VAL.public, DropReason.Undecryptable)
    assert not events(chain, r, "SubtensorModule.TimelockedWeightsRevealed")
    assert get(chain, "Weights", netuid, 1) == b""


def test_drop_reasons_and_retry_until_the_epoch_ends(tl_subnet) -> None:
    chain, netuid = tl_subnet
    legacy = bd_ciphertext(
        b"\x04\x03\x00" + b"\x04\x01\x00" + (0).to_bytes(8, "little"), 1000  # {uids [3], values [1], vk 0}
    )
    commits = [
        (M1, weights_ct(M1.public, [2], [1])),  # self-weight: no permit needed -> revealed
        (M2, weights_ct(M1.public, [3], [1])),  # names another hotkey -> HotkeyMismatch
        (VAL, bd_ciphertext(b"not a payload", 1000)),  # -> BadPayload
        (OWNER, weights_ct(OWNER.public, [99], [1])),  # uid 99 does not exist -> SetWeightsFailed
        (VAL, legacy),  # the legacy payload without a hotkey is accepted
        (VAL, weights_ct(VAL.public, [2], [1])[:-3]),  # truncated -> Undecryptable
    ]
    for key, ct in commits:
        ok(chain, key, S, "commit_timelocked_weights", netuid, ct, 1000, 4)
    ok(chain, M2, S, "commit_timelocked_weights", netuid, weights_ct(M2.public, [3], [1], round_=5000), 5000, 4)
    epoch = epoch_of(chain, netuid, chain.number)
    assert len(get(chain, "TimelockedWeightCommits", netuid, epoch)) == 7
    write(chain, P1000)
    chain.run_to_block(reveal_block(chain, netuid, epoch) - 1)
    r, _ = chain.author()
    revealed = [e.who for e in events(chain, r, "SubtensorModule.TimelockedWeightsRevealed")]
    assert revealed == [M1.public, VAL.public]
    dropped = [(e.who, e.reason, e.error) for e in events(chain, r, "SubtensorModule.TimelockedWeightsDropped")]
    assert dropped == [
        (M2.public, DropReason.HotkeyMismatch, 0),
        (VAL.public, DropReason.BadPayload, 0),
        (OWNER.public, DropReason.SetWeightsFailed, Error.UidVecContainInvalidOne),
        (VAL.public, DropReason.Undecryptable, 0),
    ]
    assert sub(chain).weights_of(chain.ctx(), netuid, 2) == [(2, 65535)]
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(3, 65535)]  # the legacy payload
    # round 5000 has no pulse: kept and retried every block of the reveal epoch...
    (left,) = get(chain, "TimelockedWeightCommits", netuid, epoch)
    assert left.reveal_round == 5000
    chain.author()
    assert len(get(chain, "TimelockedWeightCommits", netuid, epoch)) == 1
    # ...then dropped when the epoch ends
    nxt = reveal_block(chain, netuid, epoch + 1)
    chain.run_to_block(nxt - 1)
    r, _ = chain.author()
    (ev,) = events(chain, r, "SubtensorModule.TimelockedWeightsDropped")
    assert (ev.who, ev.reason) == (M2.public, DropReason.PulseMissing)
    assert get(chain, "TimelockedWeightCommits", netuid, epoch) == ()


def off_epoch(chain: ChainBuilder, netuid: int) -> None:
    """Make sure the next block runs no epoch (epochs move stake) and starts none (reveals write
    weights): `noop` checks that nothing else changed."""
    n = chain.number
    while next_epoch_block(chain, netuid) == n + 1 or epoch_of(chain, netuid, n + 1) != epoch_of(chain, netuid, n):
        chain.author()
        n = chain.number


def test_commit_timelocked_errors_in_order(tl_subnet) -> None:
    chain, netuid = tl_subnet

    def noop(*args, **kw):
        off_epoch(chain, netuid)
        return globals()["noop"](*args, **kw)
    ct = weights_ct(VAL.public, [2], [1])
    e = "commit_timelocked_weights"
    noop(chain, VAL, S, e, netuid, os.urandom(5001), 1000, 4, error="CommitTooLarge")
    noop(chain, VAL, S, e, 9, ct, 1000, 4, error="MechanismDoesNotExist")
    admin(chain, "sudo_set_commit_reveal_weights_enabled", netuid, False)
    noop(chain, VAL, S, e, netuid, ct, 1000, 4, error="CommitRevealDisabled")
    admin(chain, "sudo_set_commit_reveal_weights_enabled", netuid, True)
    noop(chain, VAL, S, e, netuid, ct, 1000, 3, error="IncorrectCommitRevealVersion")
    noop(chain, NEWBIE, S, e, netuid, ct, 1000, 4, error="HotKeyNotRegisteredInSubNet")
    admin(chain, "sudo_set_weights_set_rate_limit", netuid, 5)
    ok(chain, VAL, S, e, netuid, ct, 1000, 4)
    noop(chain, VAL, S, e, netuid, ct, 1000, 4, error="CommittingWeightsTooFast")
    admin(chain, "sudo_set_weights_set_rate_limit", netuid, 0)
    write(chain, P1000)
    chain.author()  # commits waiting in their reveal epoch for this pulse reveal in this block
    noop(chain, M1, S, e, netuid, ct, 999, 4, error="InvalidRevealRound")
    ok(chain, M1, S, e, netuid, weights_ct(M1.public, [2], [1]), 1000, 4)  # equal to the last round: allowed
    off_epoch(chain, netuid)
    # hash commits are refused on a timelock subnet, and timelocked ones on a hash subnet
    noop(chain, VAL, S, "commit_weights", netuid, bytes(32), error="IncorrectCommitRevealVersion")
    admin(chain, "sudo_set_commit_reveal_version", netuid, 2)
    off_epoch(chain, netuid)
    noop(chain, M2, S, e, netuid, ct, 1000, 4, error="IncorrectCommitRevealVersion")
    ok(chain, M2, S, "commit_weights", netuid, bytes(32))


def test_commit_reveal_version_setter_is_root_and_bounded(tl_subnet) -> None:
    chain, netuid = tl_subnet
    sudo_noop(chain, "AdminUtils", "sudo_set_commit_reveal_version", netuid, 3, error="ValueNotInBounds")
    noop(chain, ALICE, "AdminUtils", "sudo_set_commit_reveal_version", netuid, 2, error="BadOrigin")
    r = admin(chain, "sudo_set_commit_reveal_version", netuid, 2)
    assert [(e.netuid, e.value) for e in events(chain, r, "AdminUtils.CommitRevealVersionSet")] == [(netuid, 2)]
    assert get(chain, "CommitRevealVersion", netuid) == 2


def test_too_many_commits_per_epoch_counts_only_the_hotkeys_own(tl_subnet) -> None:
    chain, netuid = tl_subnet
    cfg = sub(chain).cfg
    chain.run_to_block(next_epoch_block(chain, netuid))  # a fresh epoch with room for all the calls
    epoch = epoch_of(chain, netuid, chain.number + 1)
    ct = weights_ct(VAL.public, [2], [1])
    xts = [chain.sign(VAL, chain.call(S, "commit_timelocked_weights", netuid, ct, 1000, 4), nonce=i)
           for i in range(cfg.max_pending_commits)]
    xts.append(chain.sign(M1, chain.call(S, "commit_timelocked_weights", netuid, ct, 1000, 4)))
    r, rejected = chain.author(xts)
    assert not rejected and epoch_of(chain, netuid, chain.number) == epoch
    assert len(get(chain, "TimelockedWeightCommits", netuid, epoch)) == cfg.max_pending_commits + 1
    noop(chain, VAL, S, "commit_timelocked_weights", netuid, ct, 1000, 4, error="TooManyUnrevealedCommits")


def test_both_backends_reach_the_same_state() -> None:
    """The runtime's BLS backend changes the speed, never the result: the same blocks (pulses,
    commits revealed and dropped) give the same state with arkworks and with py-ecc. Compared
    without System (its block hashes differ: sr25519 signatures are randomized)."""
    roots = []
    for backend in ("arkworks", "py-ecc"):
        spec = dataclasses.replace(spec_with({"max_allowed_validators": 1}), drand=quicknet())
        chain = ChainBuilder(spec, bls_backend=backend)
        assert chain.runtime.drand.bls.name == backend
        netuid = make_subnet(chain, ALICE, OWNER, start=True)
        register(chain, netuid, M1, CHARLIE)
        good = weights_ct_fixed(M1.public)
        ok(chain, M1, S, "commit_timelocked_weights", netuid, good, 1000, 4)
        epoch = epoch_of(chain, netuid, chain.number)
        write(chain, P1000)
        chain.run_to_block(reveal_block(chain, netuid, epoch))
        assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(1, 65535)]
        system = twox128(b"System")
        roots.append({k: v for k, v in chain.backend.iter_prefix(b"") if not k.startswith(system)})
    assert roots[0] == roots[1]


_FIXED: dict[bytes, bytes] = {}


def weights_ct_fixed(hot: bytes) -> bytes:
    """One ciphertext reused across chains (encryption is randomized)."""
    if hot not in _FIXED:
        _FIXED[hot] = weights_ct(hot, [1], [1])
    return _FIXED[hot]
