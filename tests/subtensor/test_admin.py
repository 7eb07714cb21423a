"""AdminUtils setters: root vs owner permissions, existence, bounds, *Set events, owner limits."""

from __future__ import annotations

from conftest import ALICE, BOB, ChainBuilder
from st_helpers import (
    A,
    admin,
    builder,
    events,
    get,
    hk,
    make_subnet,
    next_epoch_block,
    noop,
    ok,
    register,
    sub,
    sudo_noop,
)

from runtime.construct import AdminUtils

PARAMS = AdminUtils.PARAMS


def test_every_setter_by_root_sets_and_emits(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain, BOB, hk("bobown"))
    for p in PARAMS:
        cur = get(chain, p.item, netuid)
        r = admin(chain, f"sudo_set_{p.name}", netuid, cur)
        (ev,) = events(chain, r, f"AdminUtils.{p.event}")
        assert (ev.netuid, ev.value) == (netuid, cur), p.name
        assert get(chain, "LastHyperparamUpdate", netuid, p.index) == 0  # root is not rate-limited
    r = admin(chain, "sudo_set_tempo", netuid, 20)
    assert get(chain, "Tempo", netuid) == 20
    r = admin(chain, "sudo_set_alpha_values", netuid, 100, 200)
    ev = events(chain, r, "AdminUtils.AlphaValuesSet")[0]
    assert (ev.netuid, ev.low, ev.high) == (netuid, 100, 200)
    assert (get(chain, "AlphaLow", netuid), get(chain, "AlphaHigh", netuid)) == (100, 200)
    r = admin(chain, "sudo_set_subnet_emission_share", netuid, 3)
    assert get(chain, "EmissionShare", netuid) == 3
    r = admin(chain, "sudo_set_stake_threshold", 77)
    assert events(chain, r, "AdminUtils.StakeThresholdSet")[0].value == 77 and get(chain, "StakeThreshold") == 77


def test_owner_sets_o_params_not_r_params(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain, BOB, hk("bobown"))
    r = ok(chain, BOB, A, "sudo_set_immunity_period", netuid, 7)
    assert events(chain, r, "AdminUtils.ImmunityPeriodSet")[0].value == 7
    assert get(chain, "ImmunityPeriod", netuid) == 7
    assert get(chain, "LastHyperparamUpdate", netuid, 13) == chain.number
    for p in PARAMS:
        cur = get(chain, p.item, netuid)
        if p.owner:
            ok(chain, BOB, A, f"sudo_set_{p.name}", netuid, cur)
            # a non-owner may not
            noop(chain, ALICE, A, f"sudo_set_{p.name}", netuid, cur, error="BadOrigin")
        else:
            noop(chain, BOB, A, f"sudo_set_{p.name}", netuid, cur, error="BadOrigin")
    noop(chain, BOB, A, "sudo_set_stake_threshold", 1, error="BadOrigin")
    noop(chain, BOB, A, "sudo_set_subnet_emission_share", netuid, 1, error="BadOrigin")
    ok(chain, BOB, A, "sudo_set_alpha_values", netuid, 1, 2)
    noop(chain, ALICE, A, "sudo_set_alpha_values", netuid, 1, 2, error="BadOrigin")


def test_origin_before_existence_before_bounds(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain, BOB, hk("bobown"))
    # unknown subnet: for a signed caller there is no owner, so BadOrigin
    noop(chain, BOB, A, "sudo_set_activity_cutoff", 9, 0, error="BadOrigin")
    sudo_noop(chain, A, "sudo_set_activity_cutoff", 9, 0, error="SubnetDoesNotExist")  # before bounds
    sudo_noop(chain, A, "sudo_set_tempo", 9, 5, error="SubnetDoesNotExist")
    sudo_noop(chain, A, "sudo_set_alpha_values", 9, 0, 0, error="SubnetDoesNotExist")
    sudo_noop(chain, A, "sudo_set_subnet_emission_share", 9, 1, error="SubnetDoesNotExist")
    noop(chain, ALICE, A, "sudo_set_activity_cutoff", netuid, 0, error="BadOrigin")  # non-owner, bad value
    noop(chain, BOB, A, "sudo_set_activity_cutoff", netuid, 0, error="ValueNotInBounds")


def test_bounds_errors(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain, BOB, hk("bobown"))
    register(chain, netuid, hk("m1"))
    register(chain, netuid, hk("m2"))
    e = sudo_noop
    e(chain, A, "sudo_set_max_allowed_uids", netuid, 4097, error="ValueNotInBounds")
    e(chain, A, "sudo_set_max_allowed_uids", netuid, 2, error="MaxAllowedUIdsLessThanCurrentUIds")
    e(chain, A, "sudo_set_max_allowed_uids", netuid, 10, error="MaxValidatorsLargerThanMaxUIds")  # 64 validators
    admin(chain, "sudo_set_max_allowed_validators", netuid, 3)
    admin(chain, "sudo_set_max_allowed_uids", netuid, 3)
    assert get(chain, "MaxAllowedUids", netuid) == 3
    e(chain, A, "sudo_set_max_allowed_validators", netuid, 4, error="MaxValidatorsLargerThanMaxUIds")
    e(chain, A, "sudo_set_min_burn", netuid, get(chain, "MaxBurn", netuid) + 1, error="ValueNotInBounds")
    e(chain, A, "sudo_set_max_burn", netuid, get(chain, "MinBurn", netuid) - 1, error="ValueNotInBounds")
    e(chain, A, "sudo_set_min_difficulty", netuid, get(chain, "MaxDifficulty", netuid) + 1, error="ValueNotInBounds")
    e(chain, A, "sudo_set_max_difficulty", netuid, get(chain, "MinDifficulty", netuid) - 1, error="ValueNotInBounds")
    e(chain, A, "sudo_set_activity_cutoff", netuid, 0, error="ValueNotInBounds")
    e(chain, A, "sudo_set_bonds_moving_average", netuid, 1_000_001, error="ValueNotInBounds")
    admin(chain, "sudo_set_bonds_moving_average", netuid, 990_000)  # root may exceed the owners' cap
    noop(chain, BOB, A, "sudo_set_bonds_moving_average", netuid, 975_001, error="BondsMovingAverageMaxReached")
    ok(chain, BOB, A, "sudo_set_bonds_moving_average", netuid, 975_000)
    e(chain, A, "sudo_set_commit_reveal_weights_interval", netuid, 0, error="RevealPeriodTooSmall")
    e(chain, A, "sudo_set_commit_reveal_weights_interval", netuid, 101, error="RevealPeriodTooLarge")
    e(chain, A, "sudo_set_alpha_values", netuid, 0, 10, error="ValueNotInBounds")
    e(chain, A, "sudo_set_alpha_values", netuid, 11, 10, error="ValueNotInBounds")


def test_owner_rate_limit_and_freeze_window() -> None:
    chain = builder(owner_hyperparam_rate_limit=2, admin_freeze_window=3)
    netuid = make_subnet(chain, BOB, hk("bobown"))
    s = sub(chain)

    def until_epoch(block: int) -> int:
        return s.blocks_until_next_epoch(netuid, get(chain, "Tempo", netuid), block)

    # move to a block (as the next one) that is outside the freeze window
    while until_epoch(chain.number + 1) < 3 or until_epoch(chain.number + 2) < 3:
        chain.author()
    ok(chain, BOB, A, "sudo_set_rho", netuid, 11)
    first = chain.number
    # the same parameter again: rate-limited (2 x tempo 10 = 20 blocks); also a non-owner: BadOrigin first
    noop(chain, ALICE, A, "sudo_set_rho", netuid, 12, error="BadOrigin")
    noop(chain, BOB, A, "sudo_set_rho", netuid, 12, error="TxRateLimitExceeded")
    # freeze window: in the last 3 blocks before the epoch the owner is refused (other param)
    epoch = next_epoch_block(chain, netuid)
    chain.run_to_block(epoch - 3)  # next block: 2 blocks before the epoch
    assert until_epoch(chain.number + 1) == 2
    noop(chain, BOB, A, "sudo_set_serving_rate_limit", netuid, 5, error="AdminActionProhibitedDuringWeightsWindow")
    # rate-limited AND in the window: the rate limit comes first
    noop(chain, BOB, A, "sudo_set_rho", netuid, 12, error="TxRateLimitExceeded")
    admin(chain, "sudo_set_serving_rate_limit", netuid, 5)  # root is never limited
    admin(chain, "sudo_set_rho", netuid, 13)
    # after 20 blocks, outside the window, the owner may change rho again
    chain.run_to_block(first + 19)
    while until_epoch(chain.number + 1) < 3:
        chain.author()
    r = ok(chain, BOB, A, "sudo_set_rho", netuid, 14)
    assert events(chain, r, "AdminUtils.RhoSet")[0].value == 14
    assert get(chain, "LastHyperparamUpdate", netuid, 17) == chain.number


def test_sudo_requires_the_key(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain, BOB, hk("bobown"))
    inner = chain.call(A, "sudo_set_tempo", netuid, 5)
    noop(chain, BOB, "Sudo", "sudo", inner, error="RequireSudo")
    assert get(chain, "Tempo", netuid) == 10
