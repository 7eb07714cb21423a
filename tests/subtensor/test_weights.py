"""set_weights (the 14 checks + CommitRevealEnabled), commit/reveal v2 and their batches, serve_axon."""

from __future__ import annotations

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import (
    S,
    admin,
    builder,
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
    sub,
    submit_block,
)

from runtime.support.codec import pack_pairs
from runtime.support.dispatch import DispatchError
from runtime.support.hashing import commit_hash

OWNER, VAL, M1, M2 = hk("owner"), hk("val"), hk("m1"), hk("m2")


def _subnet(cr: bool, version: int = 2) -> tuple[ChainBuilder, int]:
    """uid 0 owner (Alice), 1 VAL (Bob, 100 TAO stake, the only validator permit), 2 M1, 3 M2.
    `version`: the subnets' commit_reveal_version (2: hash commits, tested here)."""
    chain = builder(subnet={"max_allowed_validators": 1, "commit_reveal_version": version})
    netuid = make_subnet(chain, ALICE, OWNER, cr=cr)
    register(chain, netuid, VAL, BOB)
    register(chain, netuid, M1, CHARLIE)
    register(chain, netuid, M2, CHARLIE)
    ok(chain, BOB, S, "add_stake", VAL.public, 100 * TAO)
    chain.run_to_block(next_epoch_block(chain, netuid))
    assert get(chain, "ValidatorPermit", netuid)[1:] == (True, False, False)  # the owner's uid 0 keeps one
    return chain, netuid


@pytest.fixture
def open_subnet() -> tuple[ChainBuilder, int]:
    return _subnet(cr=False)


@pytest.fixture
def cr_subnet() -> tuple[ChainBuilder, int]:
    return _subnet(cr=True)


# ---------------------------------------------------------------- set_weights
def test_set_weights_success_upscales(open_subnet) -> None:
    chain, netuid = open_subnet
    r = ok(chain, VAL, S, "set_weights", netuid, [2, 3], [1, 2], 0)
    assert chain.outcome(r).fee == 0
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 32768), (3, 65535)]  # round half up
    ev = events(chain, r, "SubtensorModule.WeightsSet")[0]
    assert (ev.netuid, ev.uid) == (netuid, 1)
    assert get(chain, "LastUpdate", netuid)[1] == chain.number
    ok(chain, VAL, S, "set_weights", netuid, [2, 3], [0, 0], 0)  # all zeros stay zero
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 0), (3, 0)]
    ok(chain, VAL, S, "set_weights", netuid, [0, 2, 3], [3, 1, 2], 0)
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(0, 65535), (2, 21845), (3, 43690)]


def test_set_weights_commit_reveal_enabled_first(cr_subnet) -> None:
    chain, netuid = cr_subnet
    noop(chain, VAL, S, "set_weights", netuid, [2], [1], 0, error="CommitRevealEnabled")
    # also a length mismatch and an unregistered hotkey: CommitRevealEnabled wins
    noop(chain, hk("nobody"), S, "set_weights", netuid, [2, 3], [1], 0, error="CommitRevealEnabled")
    # the root subnet and unknown netuids have CommitRevealWeightsEnabled = true by default (as
    # subtensor), so CommitRevealEnabled also shadows CanNotSetRootNetworkWeights / MechanismDoesNotExist
    noop(chain, VAL, S, "set_weights", 0, [0], [1], 0, error="CommitRevealEnabled")
    noop(chain, VAL, S, "set_weights", 9, [0], [1], 0, error="CommitRevealEnabled")


def _internal(chain, hot, netuid, uids, values, vk=0, **storage) -> str | None:
    """internal_set_weights on a throwaway overlay (with `storage` items overridden there)."""
    ctx = ctx_at(chain)
    s = sub(chain)
    for item, (key, value) in storage.items():
        getattr(s, item).set(ctx.state, key, value)
    try:
        s.internal_set_weights(ctx, hot.public, netuid, uids, values, vk)
    except DispatchError as err:
        return err.name.split(".")[-1]
    return None


def test_internal_checks_shadowed_by_commit_reveal(open_subnet) -> None:
    """Checks 1 and 3 cannot be reached through set_weights (see above): run them directly."""
    chain, netuid = open_subnet
    assert _internal(chain, VAL, 0, [0, 1], [1], vk=0) == "CanNotSetRootNetworkWeights"
    assert _internal(chain, VAL, 9, [0, 1], [1]) == "WeightVecNotEqualSize"  # 2 before 3
    assert _internal(chain, VAL, 9, [0], [1]) == "MechanismDoesNotExist"
    assert _internal(chain, hk("nobody"), 9, [0, 1, 2, 3, 4], [1] * 5) == "MechanismDoesNotExist"


def test_max_weight_exceeded(open_subnet) -> None:
    """MaxWeightsLimit has no setter (a constant): set it in a throwaway overlay."""
    chain, netuid = open_subnet
    limit = {"MaxWeightsLimit": (netuid, 40000)}
    assert _internal(chain, VAL, netuid, [2, 3], [1, 1], **limit) is None  # 32767 each of the sum
    assert _internal(chain, VAL, netuid, [2, 3], [3, 1], **limit) == "MaxWeightExceeded"
    assert _internal(chain, M1, netuid, [2], [1], **limit) is None  # a self-weight is exempt
    # too few weights and one too heavy: WeightVecLengthIsLow first
    low = {**limit, "MinAllowedWeights": (netuid, 3)}
    assert _internal(chain, VAL, netuid, [2, 3], [3, 1], **low) == "WeightVecLengthIsLow"


def test_set_weights_errors_in_order(open_subnet) -> None:
    chain, netuid = open_subnet
    nobody = hk("nobody")
    e = "set_weights"
    noop(chain, nobody, S, e, netuid, [2, 3], [1], 0, error="WeightVecNotEqualSize")
    noop(chain, nobody, S, e, netuid, [0, 1, 2, 3, 4], [1] * 5, 0, error="UidsLengthExceedUidsInSubNet")
    noop(chain, nobody, S, e, netuid, [2], [1], 0, error="HotKeyNotRegisteredInSubNet")
    # stake threshold (root): VAL has 100 TAO
    admin(chain, "sudo_set_stake_threshold", 200 * TAO)
    ok(chain, ALICE, "AdminUtils", "sudo_set_weights_version_key", netuid, 5)
    noop(chain, M1, S, e, netuid, [2], [1], 0, error="NotEnoughStakeToSetWeights")  # also bad version
    ok(chain, OWNER, S, e, netuid, [2], [1], 5)  # the owner is exempt from the stake threshold
    admin(chain, "sudo_set_stake_threshold", 0)
    noop(chain, VAL, S, e, netuid, [2], [1], 4, error="IncorrectWeightVersionKey")
    noop(chain, VAL, S, e, netuid, [2], [1], 0, error="IncorrectWeightVersionKey")
    ok(chain, VAL, S, e, netuid, [2], [1], 6)  # vk >= key
    admin(chain, "sudo_set_weights_set_rate_limit", netuid, 50)
    # VAL set weights just now: too fast, even with a wrong version key? no: the version comes first
    noop(chain, VAL, S, e, netuid, [2], [1], 1, error="IncorrectWeightVersionKey")
    noop(chain, VAL, S, e, netuid, [2], [1], 5, error="SettingWeightsTooFast")
    # M1 registered < 50 blocks ago (LastUpdate = registration) and has no permit: too fast first
    noop(chain, M1, S, e, netuid, [3], [1], 5, error="SettingWeightsTooFast")
    admin(chain, "sudo_set_weights_set_rate_limit", netuid, 0)
    noop(chain, M1, S, e, netuid, [3, 3], [1, 1], 5, error="NeuronNoValidatorPermit")  # also duplicates
    ok(chain, M1, S, e, netuid, [2], [7], 5)  # self-weight: no permit needed
    assert sub(chain).weights_of(chain.ctx(), netuid, 2) == [(2, 65535)]
    ok(chain, OWNER, S, e, netuid, [2, 3], [1, 1], 5)  # the owner needs no permit
    noop(chain, VAL, S, e, netuid, [2, 2, 9], [1, 1, 1], 5, error="DuplicateUids")  # also invalid uid
    noop(chain, VAL, S, e, netuid, [2, 9], [1, 1], 5, error="UidVecContainInvalidOne")
    ok(chain, ALICE, "AdminUtils", "sudo_set_min_allowed_weights", netuid, 3)
    noop(chain, VAL, S, e, netuid, [2, 9], [1, 1], 5, error="UidVecContainInvalidOne")  # also too few
    noop(chain, VAL, S, e, netuid, [2, 3], [1, 1], 5, error="WeightVecLengthIsLow")
    ok(chain, VAL, S, e, netuid, [0, 2, 3], [1, 1, 1], 5)
    ok(chain, M2, S, e, netuid, [3], [1], 5)  # self-weight: exempt from MinAllowedWeights
    ok(chain, ALICE, "AdminUtils", "sudo_set_min_allowed_weights", netuid, 9)
    ok(chain, VAL, S, e, netuid, [0, 1, 2, 3], [1, 1, 1, 1], 5)  # min(MinAllowedWeights, n)


# ---------------------------------------------------------------- commit-reveal
def _digest(hot, netuid, uids, values, salt, vk=0):
    return commit_hash(hot.public, netuid, uids, values, salt, vk)


def _first_block_of_epoch(chain, netuid, epoch):
    b = chain.number + 1
    while epoch_of(chain, netuid, b) < epoch:
        b += 1
    return b


def test_commit_and_reveal_success(cr_subnet) -> None:
    chain, netuid = cr_subnet
    uids, values, salt = [2, 3], [1, 2], [7, 8]
    digest = _digest(VAL, netuid, uids, values, salt)
    r = ok(chain, VAL, S, "commit_weights", netuid, digest)
    assert chain.outcome(r).fee == 0
    ev = events(chain, r, "SubtensorModule.WeightsCommitted")[0]
    assert (ev.who, ev.netuid, ev.commit_hash) == (VAL.public, netuid, digest)
    epoch = epoch_of(chain, netuid, chain.number)
    (c,) = get(chain, "WeightCommits", netuid, VAL.public)
    assert (c.hash, c.epoch, c.block) == (digest, epoch, chain.number)
    assert get(chain, "LastUpdate", netuid)[1] == chain.number
    # too early in the same epoch
    noop(chain, VAL, S, "reveal_weights", netuid, uids, values, salt, 0, error="RevealTooEarly")
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 1) - 1)
    # wrong salt, wrong values: no match; another hotkey: nothing committed
    noop(chain, VAL, S, "reveal_weights", netuid, uids, values, [7, 9], 0, error="InvalidRevealCommitHashNotMatch")
    noop(chain, VAL, S, "reveal_weights", netuid, uids, [1, 3], salt, 0, error="InvalidRevealCommitHashNotMatch")
    noop(chain, VAL, S, "reveal_weights", netuid, uids, values, salt, 1, error="InvalidRevealCommitHashNotMatch")
    noop(chain, M1, S, "reveal_weights", netuid, uids, values, salt, 0, error="NoWeightsCommitFound")
    assert epoch_of(chain, netuid, chain.number + 1) == epoch + 1
    r = ok(chain, VAL, S, "reveal_weights", netuid, uids, values, salt, 0)
    names = chain.event_names(r)
    assert "SubtensorModule.WeightsSet" in names
    ev = events(chain, r, "SubtensorModule.WeightsRevealed")[0]
    assert (ev.who, ev.netuid, ev.commit_hash) == (VAL.public, netuid, digest)
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 32768), (3, 65535)]
    assert get(chain, "WeightCommits", netuid, VAL.public) == ()
    noop(chain, VAL, S, "reveal_weights", netuid, uids, values, salt, 0, error="NoWeightsCommitFound")


def test_reveal_after_expiry(cr_subnet) -> None:
    chain, netuid = cr_subnet
    a, b, c = ([2], [1], [1]), ([3], [1], [1]), ([2, 3], [1, 1], [1])
    ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, *a))
    epoch = epoch_of(chain, netuid, chain.number)
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 1) - 1)
    ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, *b))  # a is still live
    assert len(get(chain, "WeightCommits", netuid, VAL.public)) == 2
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 2) - 1)
    # a expired, b live: revealing a gives ExpiredWeightCommit, a non-match InvalidReveal...
    noop(chain, VAL, S, "reveal_weights", netuid, *a, 0, error="ExpiredWeightCommit")
    noop(chain, VAL, S, "reveal_weights", netuid, a[0], a[1], [9], 0, error="InvalidRevealCommitHashNotMatch")
    ok(chain, VAL, S, "reveal_weights", netuid, *b, 0)
    assert get(chain, "WeightCommits", netuid, VAL.public) == ()
    ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, *c))
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 4) - 1)
    # everything pending expired: its hash gives ExpiredWeightCommit, anything else NoWeightsCommitFound
    noop(chain, VAL, S, "reveal_weights", netuid, *c, 0, error="ExpiredWeightCommit")
    noop(chain, VAL, S, "reveal_weights", netuid, *a, 0, error="NoWeightsCommitFound")
    # a new commit drops the expired entries
    ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, *a))
    assert [x.hash for x in get(chain, "WeightCommits", netuid, VAL.public)] == [_digest(VAL, netuid, *a)]


def test_too_many_unrevealed_commits_and_reveals_in_order(cr_subnet) -> None:
    chain, netuid = cr_subnet
    # start at the first block of an epoch so that 11 commits fit in it (tempo 10: 11 blocks)
    epoch = epoch_of(chain, netuid, chain.number) + 1
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch) - 1)
    commits = [([2, 3], [i + 1, 10], [i]) for i in range(10)]
    for uids, values, salt in commits:
        ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, uids, values, salt))
    assert epoch_of(chain, netuid, chain.number) == epoch
    assert len(get(chain, "WeightCommits", netuid, VAL.public)) == 10
    noop(chain, VAL, S, "commit_weights", netuid, b"\1" * 32, error="TooManyUnrevealedCommits")
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 1) - 1)
    for i in range(3):
        ok(chain, VAL, S, "reveal_weights", netuid, *commits[i], 0)
        assert len(get(chain, "WeightCommits", netuid, VAL.public)) == 9 - i
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 19661), (3, 65535)]  # 3/10
    # revealing the 6th pops the 4th and 5th with it; the 4th is then gone
    ok(chain, VAL, S, "reveal_weights", netuid, *commits[5], 0)
    assert len(get(chain, "WeightCommits", netuid, VAL.public)) == 4
    noop(chain, VAL, S, "reveal_weights", netuid, *commits[3], 0, error="InvalidRevealCommitHashNotMatch")
    r = ok(chain, VAL, S, "batch_reveal_weights", netuid, *(tuple(list(x) for x in zip(*commits[6:], strict=True))),
           [0] * 4)
    assert len(events(chain, r, "SubtensorModule.WeightsRevealed")) == 4
    assert get(chain, "WeightCommits", netuid, VAL.public) == ()


def test_commit_errors_in_order(cr_subnet) -> None:
    chain, netuid = cr_subnet
    d = b"\2" * 32
    nobody = hk("nobody")
    other = make_subnet(chain, BOB, hk("bobown"), cr=False)
    noop(chain, nobody, S, "commit_weights", 9, d, error="MechanismDoesNotExist")
    noop(chain, nobody, S, "commit_weights", other, d, error="CommitRevealDisabled")  # also unregistered
    noop(chain, nobody, S, "commit_weights", netuid, d, error="HotKeyNotRegisteredInSubNet")
    admin(chain, "sudo_set_weights_set_rate_limit", netuid, 50)
    ok(chain, VAL, S, "commit_weights", 9 - 9 + netuid, d) if False else None
    noop(chain, M1, S, "commit_weights", netuid, d, error="CommittingWeightsTooFast")  # registered recently
    noop(chain, VAL, S, "reveal_weights", other, [2], [1], [1], 0, error="CommitRevealDisabled")
    noop(chain, VAL, S, "batch_commit_weights", [netuid, netuid], [d], error="InputLengthsUnequal")
    noop(chain, VAL, S, "batch_reveal_weights", netuid, [[2]], [[1], [1]], [[1]], [0], error="InputLengthsUnequal")
    noop(chain, VAL, S, "batch_reveal_weights", netuid, [[2]], [[1]], [[1]], [], error="InputLengthsUnequal")


def test_batch_commit_over_two_subnets() -> None:
    chain, n1 = _subnet(cr=True)
    n2 = make_subnet(chain, BOB, hk("o2"))
    register(chain, n2, VAL, BOB)
    d1, d2 = _digest(VAL, n1, [2], [1], [1]), _digest(VAL, n2, [0], [1], [1])
    r = ok(chain, VAL, S, "batch_commit_weights", [n1, n2], [d1, d2])
    assert [e.netuid for e in events(chain, r, "SubtensorModule.WeightsCommitted")] == [n1, n2]
    assert get(chain, "WeightCommits", n1, VAL.public)[0].hash == d1
    assert get(chain, "WeightCommits", n2, VAL.public)[0].hash == d2
    # one failing entry rolls back the whole batch
    noop(chain, VAL, S, "batch_commit_weights", [n1, 9], [d1, d2], error="MechanismDoesNotExist")


# ---------------------------------------------------------------- serve_axon
def test_serve_axon(open_subnet) -> None:
    chain, netuid = open_subnet
    ip4 = 0x0A000001
    r = ok(chain, M1, S, "serve_axon", netuid, 3, ip4, 8091, 4, 1, 0, 0)
    assert chain.outcome(r).fee == 0
    ev = events(chain, r, "SubtensorModule.AxonServed")[0]
    assert (ev.netuid, ev.hotkey) == (netuid, M1.public)
    ax = get(chain, "Axons", netuid, M1.public)
    assert (ax.block, ax.version, ax.ip, ax.port, ax.ip_type, ax.protocol) == (chain.number, 3, ip4, 8091, 4, 1)
    ip6 = 0x20010DB8 << 96 | 1
    ok(chain, M2, S, "serve_axon", netuid, 1, ip6, 1, 6, 0, 0, 0)
    assert get(chain, "Axons", netuid, M2.public).ip == ip6
    args = (0, 0, 0)
    nobody = hk("nobody")
    noop(chain, nobody, S, "serve_axon", netuid, 1, ip4, 8091, 5, *args, error="HotKeyNotRegisteredInNetwork")
    noop(chain, M1, S, "serve_axon", 9, 1, ip4, 8091, 4, *args, error="HotKeyNotRegisteredInNetwork")
    noop(chain, M1, S, "serve_axon", netuid, 1, ip4, 0, 5, *args, error="InvalidIpType")  # also port 0
    for ip, t in ((0, 4), (0x7F000001, 4), (1 << 32, 4), (0, 6), (1, 6)):
        noop(chain, M1, S, "serve_axon", netuid, 1, ip, 0, t, *args, error="InvalidIpAddress")  # also port 0
    ok(chain, ALICE, "AdminUtils", "sudo_set_serving_rate_limit", netuid, 50)
    noop(chain, M1, S, "serve_axon", netuid, 1, ip4, 0, 4, *args, error="InvalidPort")  # also rate-limited
    noop(chain, M1, S, "serve_axon", netuid, 1, ip4, 9000, 4, *args, error="ServingRateLimitExceeded")
    ok(chain, VAL, S, "serve_axon", netuid, 1, ip4, 9000, 4, *args)  # first announcement: not limited


def test_epoch_uses_commit_reveal_weights_once_revealed(cr_subnet) -> None:
    """The revealed weights are what the next epoch reads (weights row stored packed)."""
    chain, netuid = cr_subnet
    ok(chain, VAL, S, "commit_weights", netuid, _digest(VAL, netuid, [2], [1], [0]))
    epoch = epoch_of(chain, netuid, chain.number)
    chain.run_to_block(_first_block_of_epoch(chain, netuid, epoch + 1) - 1)
    ok(chain, VAL, S, "reveal_weights", netuid, [2], [1], [0], 0)
    assert get(chain, "Weights", netuid, 1) == pack_pairs([(2, 65535)])
    r = submit_block(chain, [])
    assert r is not None


def test_commit_hash_matches_the_spec_vector() -> None:
    """spec/subtensor.md §1c: Alice (sr25519 public key), netuid 1, uids [0, 1], values [65535, 0],
    salt [1, 2, 3], version key 0."""
    from runtime.support.hashing import commit_hash

    alice = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    got = commit_hash(alice, 1, [0, 1], [65535, 0], [1, 2, 3], 0)
    assert got.hex() == "8074863310c34616d99f7e6a6bb02f45d3306daad21bdd4aa4fa9392ad567091"
    # every field is bound: changing any one changes the hash
    assert commit_hash(alice, 2, [0, 1], [65535, 0], [1, 2, 3], 0) != got
    assert commit_hash(alice, 1, [0, 1], [65535, 1], [1, 2, 3], 0) != got
    assert commit_hash(alice, 1, [0, 1], [65535, 0], [1, 2, 4], 0) != got
    assert commit_hash(alice, 1, [0, 1], [65535, 0], [1, 2, 3], 1) != got


def test_pow_seal_and_difficulty() -> None:
    """The seal follows keccak256(sha256(u64le(nonce) ++ keccak256(block_hash ++ hotkey))) and the
    difficulty reads it big-endian; the CPU solver finds seals the pallet accepts."""
    import hashlib

    from Crypto.Hash import keccak

    from runtime.support.hashing import seal_hash, seal_meets_difficulty
    from taochain.pow import solve_range

    def k(b: bytes) -> bytes:
        return keccak.new(digest_bits=256, data=b).digest()

    bh, hot = bytes(range(32)), bytes(range(32, 64))
    expect = k(hashlib.sha256((12345).to_bytes(8, "little") + k(bh + hot)).digest())
    assert seal_hash(bh, hot, 12345) == expect
    assert seal_meets_difficulty(b"\x00" * 31 + b"\xff", 1 << 240)  # big-endian: tiny number
    assert not seal_meets_difficulty(b"\xff" + b"\x00" * 31, 1 << 9)
    nonce, seal = solve_range(bh, hot, 5000, 0, 200_000)
    assert seal == seal_hash(bh, hot, nonce) and seal_meets_difficulty(seal, 5000)
    assert all(not seal_meets_difficulty(seal_hash(bh, hot, n), 5000) for n in range(nonce))
