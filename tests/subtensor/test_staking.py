"""add_stake, remove_stake, become_delegate, decrease_take, increase_take."""

from __future__ import annotations

from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import NEWBIE, S, builder, events, fund, get, hk, make_subnet, noop, ok, register

MIN = 2_000_000  # fast(): min_stake


def _setup(chain: ChainBuilder):
    netuid = make_subnet(chain)
    hot = hk("bobval")
    register(chain, netuid, hot, BOB)
    return netuid, hot


def test_add_stake_success(chain: ChainBuilder) -> None:
    _, hot = _setup(chain)
    bob0, issuance0 = chain.free(BOB.public), get(chain, "TotalIssuance")
    r = ok(chain, BOB, S, "add_stake", hot.public, 50 * TAO)
    fee = chain.outcome(r).fee
    assert chain.free(BOB.public) == bob0 - 50 * TAO - fee
    assert get(chain, "Stake", hot.public, BOB.public) == 50 * TAO
    assert get(chain, "TotalHotkeyStake", hot.public) == 50 * TAO
    assert chain.runtime.subtensor.coldkey_stake(chain.ctx(), BOB.public) == 50 * TAO
    assert get(chain, "TotalStake") == 50 * TAO
    assert get(chain, "StakingHotkeys", BOB.public) == (hot.public,)
    assert get(chain, "TotalIssuance") == issuance0  # moved from free to stake; the fee went to Alice
    ev = events(chain, r, "SubtensorModule.StakeAdded")[0]
    assert (ev.coldkey, ev.hotkey, ev.amount) == (BOB.public, hot.public, 50 * TAO)


def test_add_stake_errors_in_order(chain: ChainBuilder) -> None:
    _, hot = _setup(chain)
    unknown = hk("unknown")
    fund(chain, NEWBIE.public, TAO)
    noop(chain, BOB, S, "add_stake", unknown.public, MIN - 1, error="AmountTooLow")  # also unknown hotkey
    noop(chain, NEWBIE, S, "add_stake", unknown.public, 2 * TAO, error="NotEnoughBalanceToStake")
    noop(chain, BOB, S, "add_stake", unknown.public, TAO, error="HotKeyAccountNotExists")
    # Charlie on Bob's hotkey that is not a delegate
    noop(chain, CHARLIE, S, "add_stake", hot.public, TAO, error="HotKeyNotDelegateAndSignerNotOwnHotKey")
    noop(chain, NEWBIE, S, "add_stake", hot.public, 2 * TAO, error="NotEnoughBalanceToStake")


def test_nominating_a_delegate_and_remove_stake(chain: ChainBuilder) -> None:
    _, hot = _setup(chain)
    ok(chain, BOB, S, "become_delegate", hot.public)
    ok(chain, CHARLIE, S, "add_stake", hot.public, 10 * TAO)
    ok(chain, BOB, S, "add_stake", hot.public, 5 * TAO)
    assert get(chain, "TotalHotkeyStake", hot.public) == 15 * TAO
    charlie0, issuance0 = chain.free(CHARLIE.public), get(chain, "TotalIssuance")
    r = ok(chain, CHARLIE, S, "remove_stake", hot.public, 4 * TAO)
    assert chain.free(CHARLIE.public) == charlie0 + 4 * TAO - chain.outcome(r).fee
    assert get(chain, "TotalIssuance") == issuance0
    ev = events(chain, r, "SubtensorModule.StakeRemoved")[0]
    assert (ev.coldkey, ev.hotkey, ev.amount) == (CHARLIE.public, hot.public, 4 * TAO)
    assert get(chain, "Stake", hot.public, CHARLIE.public) == 6 * TAO
    ok(chain, CHARLIE, S, "remove_stake", hot.public, 6 * TAO)  # all: the entry goes
    assert get(chain, "Stake", hot.public, CHARLIE.public) == 0
    assert get(chain, "StakingHotkeys", CHARLIE.public) == ()
    assert get(chain, "TotalStake") == 5 * TAO and chain.runtime.subtensor.coldkey_stake(chain.ctx(), CHARLIE.public) == 0


def test_remove_stake_errors_in_order(chain: ChainBuilder) -> None:
    _, hot = _setup(chain)
    ok(chain, BOB, S, "add_stake", hot.public, TAO)
    unknown = hk("unknown")
    noop(chain, BOB, S, "remove_stake", unknown.public, MIN - 1, error="AmountTooLow")
    noop(chain, BOB, S, "remove_stake", unknown.public, 2 * TAO, error="HotKeyAccountNotExists")
    noop(chain, BOB, S, "remove_stake", hot.public, TAO + 1, error="NotEnoughStakeToWithdraw")
    noop(chain, CHARLIE, S, "remove_stake", hot.public, MIN, error="NotEnoughStakeToWithdraw")


def test_become_delegate(chain: ChainBuilder) -> None:
    _, hot = _setup(chain)
    unknown = hk("unknown")
    noop(chain, BOB, S, "become_delegate", unknown.public, error="HotKeyAccountNotExists")
    noop(chain, ALICE, S, "become_delegate", hot.public, error="NonAssociatedColdKey")
    r = ok(chain, BOB, S, "become_delegate", hot.public)
    ev = events(chain, r, "SubtensorModule.DelegateAdded")[0]
    assert (ev.coldkey, ev.hotkey, ev.take) == (BOB.public, hot.public, 11796)
    assert get(chain, "Delegates", hot.public) == 11796
    assert get(chain, "LastTxBlockDelegateTake", hot.public) == chain.number
    noop(chain, ALICE, S, "become_delegate", hot.public, error="NonAssociatedColdKey")  # before "already"
    noop(chain, BOB, S, "become_delegate", hot.public, error="HotKeyAlreadyDelegate")


def test_decrease_and_increase_take() -> None:
    chain = builder(tx_delegate_take_rate_limit=20)
    _, hot = _setup(chain)
    ok(chain, BOB, S, "become_delegate", hot.public)
    unknown = hk("unknown")
    noop(chain, BOB, S, "decrease_take", unknown.public, 100, error="HotKeyAccountNotExists")
    noop(chain, ALICE, S, "decrease_take", hot.public, 100, error="NonAssociatedColdKey")
    noop(chain, BOB, S, "decrease_take", hot.public, 11796, error="DelegateTakeTooLow")  # not below
    r = ok(chain, BOB, S, "decrease_take", hot.public, 5000)
    ev = events(chain, r, "SubtensorModule.TakeDecreased")[0]
    assert (ev.coldkey, ev.hotkey, ev.take) == (BOB.public, hot.public, 5000)
    assert get(chain, "Delegates", hot.public) == 5000
    noop(chain, ALICE, S, "increase_take", hot.public, 6000, error="NonAssociatedColdKey")
    noop(chain, BOB, S, "increase_take", hot.public, 5000, error="DelegateTakeTooLow")  # not above
    # above the maximum and rate-limited (become_delegate was < 20 blocks ago): TooHigh first
    noop(chain, BOB, S, "increase_take", hot.public, 11797, error="DelegateTakeTooHigh")
    noop(chain, BOB, S, "increase_take", hot.public, 6000, error="DelegateTxRateLimitExceeded")
    chain.run_to_block(get(chain, "LastTxBlockDelegateTake", hot.public) + 19)
    r = ok(chain, BOB, S, "increase_take", hot.public, 6000)
    ev = events(chain, r, "SubtensorModule.TakeIncreased")[0]
    assert (ev.coldkey, ev.hotkey, ev.take) == (BOB.public, hot.public, 6000)
    assert get(chain, "LastTxBlockDelegateTake", hot.public) == chain.number
    noop(chain, BOB, S, "increase_take", hot.public, 7000, error="DelegateTxRateLimitExceeded")
    ok(chain, BOB, S, "decrease_take", hot.public, 0)  # decreases are never rate-limited
    assert get(chain, "Delegates", hot.public) == 0
