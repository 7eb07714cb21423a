"""Block emission, its split, pending accrual, payment at the epoch, the batched Yuma call."""

from __future__ import annotations

import numpy as np
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import admin, events, get, hk, make_subnet, next_epoch_block, ok, register, sub

from pallets.subtensor.emission import block_emission_for_issuance
from runtime.support.dispatch import Ctx
from runtime.support.storage import Overlay
from runtime.yuma.backend import run_epochs_arrays

S = "SubtensorModule"
SUPPLY = 21_000_000 * TAO
CUT = 11796


def test_halving_function() -> None:
    f = lambda x: block_emission_for_issuance(x, TAO, SUPPLY)  # noqa: E731
    assert f(0) == TAO
    assert f(SUPPLY // 2 - 1) == TAO
    assert f(SUPPLY // 2) == TAO // 2
    assert f(SUPPLY // 2 + 1) == TAO // 2
    assert f(SUPPLY * 3 // 4 - 1) == TAO // 2
    assert f(SUPPLY * 3 // 4) == TAO // 4
    assert f(SUPPLY) == 0 and f(SUPPLY + 5) == 0
    assert f(SUPPLY - 1) <= 1


def _pending(chain, netuid) -> tuple[int, int, int]:
    return (get(chain, "PendingOwnerCut", netuid), get(chain, "PendingServerEmission", netuid),
            get(chain, "PendingValidatorEmission", netuid))


def _due(chain, netuid, block) -> bool:
    return sub(chain).blocks_until_next_epoch(netuid, get(chain, "Tempo", netuid), block) == 0


def test_block_emission_split_among_started_subnets(chain: ChainBuilder) -> None:
    n1 = make_subnet(chain, ALICE, start=True)
    n2 = make_subnet(chain, BOB, hk("b"), start=True)
    n3 = make_subnet(chain, CHARLIE, hk("c"))  # not started
    per_subnet = sub(chain).block_emission(chain.ctx()) // 2
    assert per_subnet == TAO // 2
    cut = per_subnet * CUT // 65535
    server = (per_subnet - cut) // 2
    validator = per_subnet - cut - server
    assert cut == 89_997_711 and abs(cut / per_subnet - 0.18) < 1e-3  # 11796 / 65535
    for _ in range(30):
        before = {n: _pending(chain, n) for n in (n1, n2)}
        chain.author()
        b = chain.number
        for n in (n1, n2):
            if not _due(chain, n, b):
                got = tuple(x - y for x, y in zip(_pending(chain, n), before[n], strict=True))
                assert got == (cut, server, validator), (n, b)
        assert _pending(chain, n3) == (0, 0, 0)
    # the not-started subnet's epochs pay nothing
    r, _ = chain.author()
    assert all(ev.incentive + ev.dividends + ev.owner_cut == 0
               for ev in events(chain, r, "SubtensorModule.EpochRun") if ev.netuid == n3)


def _paying_subnet(chain: ChainBuilder) -> tuple[int, dict]:
    owner = hk("own")
    netuid = make_subnet(chain, ALICE, owner, start=True, cr=False)
    val, m1, m2 = hk("val"), hk("m1"), hk("m2")
    register(chain, netuid, val, BOB)
    register(chain, netuid, m1, CHARLIE)
    register(chain, netuid, m2, CHARLIE)
    ok(chain, BOB, S, "add_stake", val.public, 100 * TAO)
    ok(chain, BOB, S, "become_delegate", val.public)
    ok(chain, CHARLIE, S, "add_stake", val.public, 50 * TAO)  # a nominator
    chain.run_to_block(next_epoch_block(chain, netuid))
    ok(chain, val, S, "set_weights", netuid, [2, 3], [3, 1], 0)
    return netuid, {"owner": owner, "val": val, "m1": m1, "m2": m2}


def test_epoch_pays_exactly_the_pending(chain: ChainBuilder) -> None:
    netuid, keys = _paying_subnet(chain)
    epoch = next_epoch_block(chain, netuid)
    chain.run_to_block(epoch - 1)
    pend = sum(_pending(chain, netuid))
    per_block = sub(chain).block_emission(chain.ctx())  # the only emitting subnet
    stake0 = get(chain, "TotalStake")
    hot_stake0 = {k: get(chain, "TotalHotkeyStake", h.public) for k, h in keys.items()}
    charlie0 = get(chain, "Stake", keys["val"].public, CHARLIE.public)
    r, _ = chain.author()
    (ev,) = [e for e in events(chain, r, "SubtensorModule.EpochRun") if e.netuid == netuid]
    paid = ev.incentive + ev.dividends + ev.owner_cut
    assert paid > 0 and ev.incentive > 0 and ev.dividends > 0 and ev.owner_cut > 0
    assert get(chain, "TotalStake") - stake0 == paid
    assert paid + ev.carried == pend + per_block  # this block's accrual comes first
    left = _pending(chain, netuid)
    assert left[0] == 0 and left[1] + left[2] == ev.carried
    gains = {k: get(chain, "TotalHotkeyStake", h.public) - hot_stake0[k] for k, h in keys.items()}
    assert gains["owner"] == ev.owner_cut
    assert gains["m1"] + gains["m2"] + gains["val"] == ev.incentive + ev.dividends
    assert gains["m1"] > gains["m2"] > 0  # 3:1 weights
    assert get(chain, "Stake", keys["val"].public, CHARLIE.public) > charlie0  # nominator's share
    ctx = chain.ctx()
    assert get(chain, "TotalIssuance") == (
        chain.runtime.balances.total_issuance(ctx) + get(chain, "TotalStake") + get(chain, "TotalLocked")
    )


def test_two_due_subnets_run_in_one_batch_and_outputs_match_yuma(chain: ChainBuilder) -> None:
    n1, _ = _paying_subnet(chain)
    n2 = make_subnet(chain, BOB, hk("b2"), start=True, cr=False)
    register(chain, n2, hk("x"), CHARLIE)
    # find tempos so that both epochs fall on one block soon
    admin(chain, "sudo_set_tempo", n2, 5)
    b = chain.number + 1
    while not (_due(chain, n1, b) and _due(chain, n2, b)):
        b += 1
    assert b - chain.number < 200
    chain.run_to_block(b - 1)
    # the expected batch, gathered from the pre-epoch state with this block's on_initialize steps
    s = sub(chain)
    ctx = Ctx(Overlay(chain.backend), b, chain.runtime)
    s.registration_block_step(ctx, s.netuids(ctx))
    s.accrue_pending(ctx, s.netuids(ctx))
    expected_in = [s.gather_epoch(ctx, n) for n in (n1, n2)]
    expected_out = run_epochs_arrays(expected_in, "numpy")
    calls = []
    real = s.run_yuma

    def counting(batch):
        calls.append(batch)
        return real(batch)

    s.run_yuma = counting
    try:
        chain.author()
    finally:
        s.run_yuma = real
    assert len(calls) == 1 and len(calls[0]) == 2
    for got, want in zip(calls[0], expected_in, strict=True):
        assert got.n == want.n and got.rao_emission == want.rao_emission
        for name in ("stake", "last_update", "block_at_registration", "validator_permit", "weights", "bonds"):
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
    for netuid, out in zip((n1, n2), expected_out, strict=True):
        assert get(chain, "Incentive", netuid) == tuple(out.incentive.tolist())
        assert get(chain, "Dividends", netuid) == tuple(out.dividends.tolist())
        assert get(chain, "Consensus", netuid) == tuple(out.consensus.tolist())
        assert get(chain, "ValidatorTrust", netuid) == tuple(out.validator_trust.tolist())
        assert get(chain, "Emission", netuid) == tuple(out.emission.tolist())
        assert get(chain, "ValidatorPermit", netuid) == tuple(out.new_validator_permit.tolist())
        assert get(chain, "Active", netuid) == tuple(out.active.tolist())
        assert get(chain, "LastMechansimStepBlock", netuid) == b
    assert any(x for x in get(chain, "Incentive", n1))
