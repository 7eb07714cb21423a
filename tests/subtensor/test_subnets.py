"""register_network, start_call, dissolve_network: success, errors in order, lock cost, netuid reuse."""

from __future__ import annotations

from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import (
    NEWBIE,
    S,
    builder,
    ctx_at,
    events,
    fund,
    get,
    hk,
    make_subnet,
    noop,
    ok,
    register,
    sub,
    sudo,
    sudo_noop,
)

MIN_LOCK = 100 * TAO  # fast(): network_min_lock_cost
DECAY = MIN_LOCK // 1000  # (last_lock // interval) per block, last_lock = 100 TAO, interval 1000


def test_register_network_success(chain: ChainBuilder) -> None:
    owner_hot = hk("own")
    alice0 = chain.free(ALICE.public)
    bal0 = chain.runtime.balances.total_issuance(chain.ctx())
    r = ok(chain, ALICE, S, "register_network", owner_hot.public)
    fee = chain.outcome(r).fee
    assert fee > 0
    # the fee goes to the author, Alice's ed25519 authority account, not her sr25519 account
    assert chain.free(ALICE.public) == alice0 - MIN_LOCK - fee
    assert chain.runtime.balances.total_issuance(chain.ctx()) == bal0 - MIN_LOCK
    added = events(chain, r, "SubtensorModule.NetworkAdded")[0]
    assert (added.netuid, added.mechanism) == (1, 1)
    reg = events(chain, r, "SubtensorModule.NeuronRegistered")[0]
    assert (reg.netuid, reg.uid, reg.hotkey) == (1, 0, owner_hot.public)
    names = chain.event_names(r)
    assert names.index("SubtensorModule.NetworkAdded") < names.index("SubtensorModule.NeuronRegistered")
    assert get(chain, "NetworksAdded", 1) and get(chain, "TotalNetworks") == 1
    assert get(chain, "SubnetOwner", 1) == ALICE.public
    assert get(chain, "SubnetOwnerHotkey", 1) == owner_hot.public
    assert get(chain, "SubnetLocked", 1) == MIN_LOCK == get(chain, "TotalLocked")
    assert get(chain, "NetworkLastLockCost") == MIN_LOCK and get(chain, "NetworkLastLockBlock") == chain.number
    assert get(chain, "NetworkRegisteredAt", 1) == chain.number
    assert get(chain, "Owner", owner_hot.public) == ALICE.public
    assert get(chain, "Keys", 1, 0) == owner_hot.public and get(chain, "Uids", 1, owner_hot.public) == 0
    assert get(chain, "SubnetworkN", 1) == 1
    assert get(chain, "Tempo", 1) == 10 and get(chain, "Burn", 1) == TAO
    assert get(chain, "CommitRevealWeightsEnabled", 1) is True
    assert get(chain, "FirstEmissionBlockNumber", 1) is None


def test_register_network_non_associated_coldkey_before_cannot_afford(chain: ChainBuilder) -> None:
    bob_hot = hk("bobhot")
    make_subnet(chain, BOB, bob_hot)
    noop(chain, ALICE, S, "register_network", bob_hot.public, error="NonAssociatedColdKey")
    fund(chain, NEWBIE.public, 10 * TAO)
    # poor AND using Bob's hotkey: the hotkey check comes first
    noop(chain, NEWBIE, S, "register_network", bob_hot.public, error="NonAssociatedColdKey")
    noop(chain, NEWBIE, S, "register_network", hk("newbie").public, error="CannotAffordLockCost")


def test_register_network_rate_limit_and_subnet_limit_order() -> None:
    chain = builder(network_rate_limit=5, subnet_limit=2)
    make_subnet(chain, ALICE)
    # rate-limited and NonAssociatedColdKey: the hotkey check wins
    make_subnet(chain, BOB, hk("b1"))
    noop(chain, ALICE, S, "register_network", hk("b1").public, error="NonAssociatedColdKey")
    # rate-limited and at the subnet limit (2): the rate limit wins
    noop(chain, ALICE, S, "register_network", hk("a2").public, error="NetworkTxRateLimitExceeded")
    chain.run_to_block(chain.number + 5)
    fund(chain, NEWBIE.public, 10 * TAO)
    # at the subnet limit and too poor: SubnetLimitReached wins
    noop(chain, NEWBIE, S, "register_network", hk("n").public, error="SubnetLimitReached")
    noop(chain, ALICE, S, "register_network", hk("a2").public, error="SubnetLimitReached")


def test_lock_cost_doubles_then_decays_linearly(chain: ChainBuilder) -> None:
    s = sub(chain)
    assert s.lock_cost(ctx_at(chain)) == MIN_LOCK  # nothing registered yet: the minimum
    make_subnet(chain, ALICE)
    b1 = chain.number
    assert s.lock_cost(ctx_at(chain, b1)) == 2 * MIN_LOCK  # doubled in the same block
    for dt in (1, 7, 100):
        assert s.lock_cost(ctx_at(chain, b1 + dt)) == 2 * MIN_LOCK - DECAY * dt
    assert s.lock_cost(ctx_at(chain, b1 + 10_000)) == MIN_LOCK  # floor
    chain.run_to_block(b1 + 6)
    bob0 = chain.free(BOB.public)
    r = ok(chain, BOB, S, "register_network", hk("b").public)
    lock = 2 * MIN_LOCK - DECAY * 7
    assert get(chain, "SubnetLocked", 2) == lock
    assert chain.free(BOB.public) == bob0 - lock - chain.outcome(r).fee
    assert get(chain, "TotalLocked") == MIN_LOCK + lock
    # the next one doubles the last lock
    assert s.lock_cost(ctx_at(chain, chain.number)) == 2 * lock


def test_start_call_success_and_errors() -> None:
    chain = builder(start_call_delay=10)
    netuid = make_subnet(chain, ALICE)
    registered = chain.number
    noop(chain, ALICE, S, "start_call", 9, error="SubnetNotExists")
    noop(chain, BOB, S, "start_call", 9, error="SubnetNotExists")  # not owner either: existence first
    noop(chain, BOB, S, "start_call", netuid, error="NotSubnetOwner")  # also too early: owner first
    noop(chain, ALICE, S, "start_call", netuid, error="NeedWaitingMoreBlocksToStarCall")
    chain.run_to_block(registered + 9)
    r = ok(chain, ALICE, S, "start_call", netuid)
    assert chain.number == registered + 10
    ev = events(chain, r, "SubtensorModule.FirstEmissionBlockNumberSet")[0]
    assert (ev.netuid, ev.block) == (netuid, chain.number + 1)
    assert get(chain, "FirstEmissionBlockNumber", netuid) == chain.number + 1
    assert get(chain, "SubtokenEnabled", netuid)
    noop(chain, BOB, S, "start_call", netuid, error="NotSubnetOwner")  # owner check before "already set"
    noop(chain, ALICE, S, "start_call", netuid, error="FirstEmissionBlockNumberAlreadySet")


def test_dissolve_network_returns_lock_and_clears(chain: ChainBuilder) -> None:
    owner_hot = hk("bobown")
    netuid = make_subnet(chain, BOB, owner_hot, cr=False)
    miner = hk("m")
    register(chain, netuid, miner, CHARLIE)
    ok(chain, miner, S, "serve_axon", netuid, 1, 0x0A000001, 8091, 4, 0, 0, 0)
    lock = get(chain, "SubnetLocked", netuid)
    noop(chain, BOB, S, "dissolve_network", BOB.public, netuid, error="BadOrigin")  # root only
    sudo_noop(chain, S, "dissolve_network", BOB.public, 7, error="SubnetNotExists")
    sudo_noop(chain, S, "dissolve_network", ALICE.public, 7, error="SubnetNotExists")  # existence first
    sudo_noop(chain, S, "dissolve_network", ALICE.public, netuid, error="NotSubnetOwner")
    bob0 = chain.free(BOB.public)
    r = sudo(chain, S, "dissolve_network", BOB.public, netuid)
    assert events(chain, r, "SubtensorModule.NetworkRemoved")[0].netuid == netuid
    assert chain.free(BOB.public) == bob0 + lock
    assert not get(chain, "NetworksAdded", netuid) and get(chain, "TotalNetworks") == 0
    assert get(chain, "TotalLocked") == 0 and get(chain, "SubnetLocked", netuid) == 0
    for hot in (owner_hot, miner):
        assert get(chain, "Uids", netuid, hot.public) is None
        assert not get(chain, "IsNetworkMember", hot.public, netuid)
    assert get(chain, "Keys", netuid, 1) is None and get(chain, "Axons", netuid, miner.public) is None
    assert get(chain, "SubnetworkN", netuid) == 0 and get(chain, "Tempo", netuid) == 360  # back to default


def test_lowest_free_netuid_is_reused(chain: ChainBuilder) -> None:
    assert [make_subnet(chain, k) for k in (ALICE, BOB, CHARLIE)] == [1, 2, 3]
    sudo(chain, S, "dissolve_network", BOB.public, 2)
    assert make_subnet(chain, BOB, hk("again")) == 2
    assert make_subnet(chain, ALICE, hk("four")) == 4
    sudo(chain, S, "dissolve_network", ALICE.public, 1)
    sudo(chain, S, "dissolve_network", CHARLIE.public, 3)
    assert make_subnet(chain, CHARLIE, hk("c1")) == 1
    assert make_subnet(chain, CHARLIE, hk("c3")) == 3


def test_chain_spec_subtensor_section_round_trips_and_refuses_bad_fields() -> None:
    import pytest

    from pallets.subtensor.config import SubtensorConfig
    from runtime.presets import ChainSpec, dev, get_preset

    spec = dev()
    assert ChainSpec.from_json(spec.to_json()) == spec
    assert get_preset("mainnet-like").subtensor == SubtensorConfig()
    d = spec.to_json()
    d["subtensor"] = {"subnet": {"tempo": 99}, "network_rate_limit": 5}
    got = ChainSpec.from_json(d).subtensor
    assert got.subnet.tempo == 99 and got.network_rate_limit == 5 and got.subnet.kappa == 32767
    for bad, msg in (
        ({"subnet": {"tempo": 70000}}, "subtensor.subnet.tempo: expected an integer in 0..65535"),
        ({"subnet": {"yuma3": 1}}, "expected true or false"),
        ({"bogus": 1}, "unknown field 'bogus'"),
        ({"subnet": {"nope": 1}}, "unknown field 'nope'"),
        ({"min_stake": -1}, "expected an integer"),
        ([], "expected an object"),
    ):
        d["subtensor"] = bad
        with pytest.raises(ValueError, match=msg):
            ChainSpec.from_json(d)
