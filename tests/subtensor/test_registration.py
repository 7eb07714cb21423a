"""burned_register, PoW register, uid pruning and the per-interval burn/difficulty adjustment."""

from __future__ import annotations

from fractions import Fraction

from conftest import ALICE, BOB, CHARLIE, DAVE, TAO, ChainBuilder
from st_helpers import (
    NEWBIE,
    S,
    admin,
    builder,
    events,
    fund,
    get,
    hk,
    make_subnet,
    noop,
    ok,
    register,
    sub,
    submit_block,
)

from runtime.support.hashing import seal_hash, seal_meets_difficulty
from taochain.pow import solve_range

U64_MAX = (1 << 64) - 1


# ---------------------------------------------------------------- burned_register
def test_burned_register_success(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain)
    hot = hk("m1")
    bob0 = chain.free(BOB.public)
    bal0 = chain.runtime.balances.total_issuance(chain.ctx())
    r = ok(chain, BOB, S, "burned_register", netuid, hot.public)
    fee = chain.outcome(r).fee
    assert chain.free(BOB.public) == bob0 - TAO - fee
    assert chain.runtime.balances.total_issuance(chain.ctx()) == bal0 - TAO  # burned (fee goes to Alice)
    ev = events(chain, r, "SubtensorModule.NeuronRegistered")[0]
    assert (ev.netuid, ev.uid, ev.hotkey) == (netuid, 1, hot.public)
    assert get(chain, "Owner", hot.public) == BOB.public
    assert hot.public in get(chain, "OwnedHotkeys", BOB.public)
    assert get(chain, "Keys", netuid, 1) == hot.public and get(chain, "Uids", netuid, hot.public) == 1
    assert get(chain, "IsNetworkMember", hot.public, netuid)
    assert get(chain, "SubnetworkN", netuid) == 2
    assert get(chain, "BlockAtRegistration", netuid)[1] == chain.number
    assert get(chain, "LastUpdate", netuid)[1] == chain.number
    assert get(chain, "RegistrationsThisBlock", netuid) == 1
    assert get(chain, "BurnRegistrationsThisInterval", netuid) == 1
    chain.author()
    assert get(chain, "RegistrationsThisBlock", netuid) == 0  # reset every block
    assert get(chain, "RegistrationsThisInterval", netuid) == 1


def test_burned_register_errors_in_order(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain)
    taken = hk("taken")
    register(chain, netuid, taken, CHARLIE)
    # root subnet (which does not exist either): the root check comes first
    noop(chain, BOB, S, "burned_register", 0, hk("x").public, error="RegistrationNotPermittedOnRootSubnet")
    noop(chain, BOB, S, "burned_register", 5, hk("x").public, error="SubnetNotExists")
    # already registered but another coldkey's and Newbie cannot pay: HotKeyAlreadyRegistered first
    fund(chain, NEWBIE.public, TAO // 2)
    noop(chain, NEWBIE, S, "burned_register", netuid, taken.public, error="HotKeyAlreadyRegisteredInSubNet")
    # cannot pay the burn and the hotkey is Charlie's: the balance check comes first
    other = hk("other")
    ok(chain, CHARLIE, S, "register_network", other.public)  # `other` now belongs to Charlie
    noop(chain, NEWBIE, S, "burned_register", netuid, other.public, error="NotEnoughBalanceToStake")
    noop(chain, BOB, S, "burned_register", netuid, other.public, error="NonAssociatedColdKey")
    admin(chain, "sudo_set_network_registration_allowed", netuid, False)
    noop(chain, BOB, S, "burned_register", netuid, taken.public, error="SubNetRegistrationDisabled")


def test_no_neuron_id_available_when_full_and_all_immune() -> None:
    chain = builder(subnet={"max_allowed_uids": 2, "max_allowed_validators": 2})
    netuid = make_subnet(chain)
    register(chain, netuid, hk("m1"))
    other = hk("other")
    ok(chain, CHARLIE, S, "register_network", other.public)
    # full (owner + immune m1) and the hotkey is Charlie's: NonAssociatedColdKey first
    noop(chain, BOB, S, "burned_register", netuid, other.public, error="NonAssociatedColdKey")
    noop(chain, BOB, S, "burned_register", netuid, hk("m2").public, error="NoNeuronIdAvailable")


def test_too_many_registrations_this_block_and_interval() -> None:
    chain = builder(subnet={"max_regs_per_block": 2, "target_regs_per_interval": 1, "adjustment_interval": 50})
    netuid = make_subnet(chain)
    r = submit_block(chain, [(BOB, S, "burned_register", (netuid, hk(f"m{i}").public)) for i in range(3)])
    errs = [o.error for o in r.outcomes if o.index >= 1]
    assert [e.name if e else None for e in errs] == [None, None, "SubtensorModule.TooManyRegistrationsThisBlock"]
    assert get(chain, "SubnetworkN", netuid) == 3
    # the block counter is full: TooManyRegistrationsThisBlock beats HotKeyAlreadyRegistered
    r = submit_block(chain, [(BOB, S, "burned_register", (netuid, hk("m3").public)),
                             (BOB, S, "burned_register", (netuid, hk("m4").public)),
                             (BOB, S, "burned_register", (netuid, hk("m0").public))])
    assert [o.error.name if o.error else None for o in r.outcomes if o.index >= 1] == [
        None, "SubtensorModule.TooManyRegistrationsThisInterval", "SubtensorModule.TooManyRegistrationsThisInterval"
    ]
    assert get(chain, "RegistrationsThisInterval", netuid) == 3  # 3 x target
    # interval full and hotkey registered: the interval check comes first
    noop(chain, BOB, S, "burned_register", netuid, hk("m0").public, error="TooManyRegistrationsThisInterval")


# ---------------------------------------------------------------- PoW register
def _pow_chain(difficulty: int = 1000) -> tuple[ChainBuilder, int]:
    chain = builder(subnet={"difficulty": difficulty})
    netuid = make_subnet(chain)
    chain.author()
    return chain, netuid


def _solve(chain: ChainBuilder, hot, block: int, difficulty: int) -> tuple[int, bytes]:
    bh = chain.by_number[block]  # the runtime's System.BlockHash[block] once block + 1 runs
    found = solve_range(bh, hot.public, difficulty, 0, 200_000)
    assert found is not None
    return found


def test_pow_register_success_and_work_reuse() -> None:
    chain, netuid = _pow_chain()
    hot = hk("pow1")
    block = chain.number
    nonce, work = _solve(chain, hot, block, 1000)
    assert seal_hash(chain.by_number[block], hot.public, nonce) == work
    r = ok(chain, hot, S, "register", netuid, block, nonce, work, hot.public, DAVE.public)
    assert chain.outcome(r).fee == 0  # signed by an unfunded hotkey: free
    ev = events(chain, r, "SubtensorModule.NeuronRegistered")[0]
    assert (ev.netuid, ev.uid, ev.hotkey) == (netuid, 1, hot.public)
    assert get(chain, "Owner", hot.public) == DAVE.public
    assert get(chain, "UsedWork", work) == chain.number
    assert get(chain, "POWRegistrationsThisInterval", netuid) == 1
    # the same seal again (it is not hot2's seal either): WorkAlreadyUsed comes first
    hot2 = hk("pow2")
    noop(chain, hot2, S, "register", netuid, chain.number - 1, nonce, work, hot2.public, DAVE.public,
         error="WorkAlreadyUsed")


def test_pow_register_errors_in_order() -> None:
    chain, netuid = _pow_chain(difficulty=1000)
    hot = hk("pow")
    block = chain.number
    nonce, work = _solve(chain, hot, block, 1000)
    args = (hot.public, DAVE.public)
    # signed by Bob, for the root subnet: the signer check comes first
    noop(chain, BOB, S, "register", 0, block, nonce, work, *args, error="TransactorAccountShouldBeHotKey")
    noop(chain, hot, S, "register", 0, block, nonce, work, *args, error="RegistrationNotPermittedOnRootSubnet")
    noop(chain, hot, S, "register", 9, block, nonce, work, *args, error="SubnetNotExists")
    # blocks: now = head + 1; the work's block must be in [now - 2, now]
    now = chain.number + 1
    noop(chain, hot, S, "register", netuid, now + 1, nonce, work, *args, error="InvalidWorkBlock")  # future
    now = chain.number + 1
    noop(chain, hot, S, "register", netuid, now - 3, nonce, work, *args, error="InvalidWorkBlock")  # too old
    block = chain.number
    nonce, work = _solve(chain, hot, block, 1000)
    # a seal that fails the difficulty and is not the seal either: InvalidDifficulty comes first
    bad = next(bytes([i]) * 32 for i in range(255, 0, -1) if not seal_meets_difficulty(bytes([i]) * 32, 1000))
    noop(chain, hot, S, "register", netuid, block, nonce, bad, *args, error="InvalidDifficulty")
    block = chain.number
    nonce, work = _solve(chain, hot, block, 1000)
    # a valid seal with the wrong nonce
    noop(chain, hot, S, "register", netuid, block, nonce + 1, work, *args, error="InvalidSeal")
    # the seal of another hotkey
    other = hk("other")
    block = chain.number
    n2, w2 = _solve(chain, other, block, 1000)
    noop(chain, hot, S, "register", netuid, block, n2, w2, *args, error="InvalidSeal")
    # a correct seal but the hotkey is owned by another coldkey
    ok(chain, CHARLIE, S, "burned_register", netuid, hk("charlie-owned").public)
    owned = hk("charlie-owned")
    admin(chain, "sudo_set_network_pow_registration_allowed", netuid, False)
    block = chain.number
    n3, w3 = _solve(chain, hot, block, 1000)
    noop(chain, hot, S, "register", netuid, block, n3, w3, *args, error="SubNetRegistrationDisabled")
    admin(chain, "sudo_set_network_pow_registration_allowed", netuid, True)
    block = chain.number
    n4, w4 = _solve(chain, owned, block, 1000)
    noop(chain, owned, S, "register", netuid, block, n4, w4, owned.public, DAVE.public, error="HotKeyAlreadyRegisteredInSubNet")
    netuid2 = make_subnet(chain, ALICE)
    block = chain.number
    n5, w5 = _solve(chain, owned, block, 1000)
    noop(chain, owned, S, "register", netuid2, block, n5, w5, owned.public, DAVE.public,
         error="NonAssociatedColdKey")


def test_pow_register_work_two_blocks_old_is_accepted() -> None:
    chain, netuid = _pow_chain(difficulty=100)
    hot = hk("pow")
    block = chain.number
    nonce, work = _solve(chain, hot, block, 100)
    chain.author()  # now (next block) = block + 2: still within the window of 3
    ok(chain, hot, S, "register", netuid, block, nonce, work, hot.public, DAVE.public)


# ---------------------------------------------------------------- pruning
def _full_subnet(immunity: int = 0, max_uids: int = 4):
    chain = builder(subnet={"max_allowed_uids": max_uids, "max_allowed_validators": max_uids,
                            "immunity_period": immunity})
    owner_hot = hk("owner")
    netuid = make_subnet(chain, ALICE, owner_hot, cr=False)
    return chain, netuid, owner_hot


def _uid_taken(chain, netuid, hot) -> int:
    r = ok(chain, CHARLIE, S, "burned_register", netuid, hot.public)
    return events(chain, r, "SubtensorModule.NeuronRegistered")[0].uid


def test_prune_tie_on_emission_takes_older_registration_then_lower_uid() -> None:
    chain, netuid, owner_hot = _full_subnet()
    # uids 1 and 2 in the same block, uid 3 later; all emissions 0 (no epoch with emission)
    submit_block(chain, [(BOB, S, "burned_register", (netuid, hk("a").public)),
                         (BOB, S, "burned_register", (netuid, hk("b").public))])
    register(chain, netuid, hk("c"))
    assert get(chain, "SubnetworkN", netuid) == 4
    assert get(chain, "Emission", netuid) == (0, 0, 0, 0)
    # owner (uid 0, oldest) is never pruned; a and b tie on block: the lower uid (1) goes
    assert _uid_taken(chain, netuid, hk("d")) == 1
    assert get(chain, "Uids", netuid, hk("a").public) is None
    assert not get(chain, "IsNetworkMember", hk("a").public, netuid)
    assert get(chain, "Keys", netuid, 1) == hk("d").public
    assert get(chain, "BlockAtRegistration", netuid)[1] == chain.number
    # then b (older than c and the new d)
    assert _uid_taken(chain, netuid, hk("e")) == 2
    assert _uid_taken(chain, netuid, hk("f")) == 3  # c
    assert get(chain, "Keys", netuid, 0) == owner_hot.public
    assert get(chain, "SubnetworkN", netuid) == 4


def test_prune_lowest_emission_from_a_real_epoch() -> None:
    chain, netuid, owner_hot = _full_subnet()
    ok(chain, ALICE, S, "start_call", netuid)
    val, m1, m2 = hk("val"), hk("m1"), hk("m2")
    for h in (val, m1, m2):
        register(chain, netuid, h)  # uids 1, 2, 3 (m2 the newest)
    ok(chain, BOB, S, "add_stake", val.public, 100 * TAO)
    chain.run_to_block(_epoch_after(chain, netuid))  # permits
    assert get(chain, "ValidatorPermit", netuid)[1]
    ok(chain, val, S, "set_weights", netuid, [2], [65535], 0)  # only m1
    chain.run_to_block(_epoch_after(chain, netuid))
    emission = get(chain, "Emission", netuid)
    assert emission[3] == 0 and emission[1] > 0 and emission[2] > 0, emission
    # m2 is the newest but has the lowest emission: it goes (the owner's emission is 0 too)
    assert _uid_taken(chain, netuid, hk("new")) == 3
    assert get(chain, "Emission", netuid)[3] == 0
    # val weighted only uid 2, which was not replaced
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == [(2, 65535)]


def test_replacing_clears_the_weights_by_and_to_the_uid() -> None:
    chain, netuid, owner_hot = _full_subnet()
    a, b, c = hk("a"), hk("b"), hk("c")
    for h in (a, b, c):
        register(chain, netuid, h)
    ok(chain, owner_hot, S, "set_weights", netuid, [1, 2], [10, 20], 0)  # owner: no permit needed
    ok(chain, a, S, "set_weights", netuid, [1], [5], 0)  # self-weight
    ok(chain, a, S, "serve_axon", netuid, 1, 0x0A000001, 8091, 4, 0, 0, 0)
    assert _uid_taken(chain, netuid, hk("d")) == 1  # a: oldest non-owner
    assert sub(chain).weights_of(chain.ctx(), netuid, 1) == []
    assert sub(chain).weights_of(chain.ctx(), netuid, 0) == [(1, 0), (2, 65535)]
    assert get(chain, "Axons", netuid, a.public) is None


def test_immune_neurons_are_kept() -> None:
    chain, netuid, owner_hot = _full_subnet(immunity=5)
    old = hk("old")
    register(chain, netuid, old)  # uid 1
    chain.run_to_block(chain.number + 5)
    register(chain, netuid, hk("y1"))  # uid 2, immune
    register(chain, netuid, hk("y2"))  # uid 3, immune
    # `old` is the only non-immune, non-owner neuron
    assert _uid_taken(chain, netuid, hk("z")) == 1
    # now every non-owner neuron is immune: nothing can be pruned
    noop(chain, BOB, S, "burned_register", netuid, hk("w").public, error="NoNeuronIdAvailable")


def test_owner_hotkey_and_newest_owner_coldkey_hotkey_are_protected() -> None:
    chain, netuid, owner_hot = _full_subnet(max_uids=3)
    mine = hk("alice-second")
    register(chain, netuid, mine, ALICE)  # uid 1: the owner coldkey's newest other hotkey (protected)
    register(chain, netuid, hk("bob1"), BOB)  # uid 2
    assert _uid_taken(chain, netuid, hk("n1")) == 2
    assert _uid_taken(chain, netuid, hk("n2")) == 2
    assert get(chain, "Keys", netuid, 0) == owner_hot.public and get(chain, "Keys", netuid, 1) == mine.public


def _epoch_after(chain: ChainBuilder, netuid: int) -> int:
    from st_helpers import next_epoch_block

    return next_epoch_block(chain, netuid)


# ---------------------------------------------------------------- adjustment
def _expected(cur: int, regs: int, target: int, alpha: int, lo: int, hi: int) -> int:
    a = Fraction(alpha, U64_MAX)
    v = a * cur + (1 - a) * cur * Fraction(regs + target, 2 * target)
    return max(lo, min(hi, int(v)))


def test_burn_rises_with_many_burned_registrations_and_falls_with_none() -> None:
    chain = builder(subnet={"adjustment_interval": 5, "target_regs_per_interval": 1, "max_burn": 3 * TAO // 2})
    netuid = make_subnet(chain)
    start = get(chain, "LastAdjustmentBlock", netuid)
    alpha = get(chain, "AdjustmentAlpha", netuid)
    diff0 = get(chain, "Difficulty", netuid)
    for i in range(3):
        register(chain, netuid, hk(f"m{i}"))
    chain.run_to_block(start + 4)
    assert get(chain, "Burn", netuid) == TAO
    r, _ = chain.author()  # block start + 5: the adjustment
    burn1 = _expected(TAO, 3, 1, alpha, 500_000, 3 * TAO // 2)
    assert TAO < burn1 <= 3 * TAO // 2
    assert get(chain, "Burn", netuid) == burn1
    assert get(chain, "Difficulty", netuid) == diff0  # burned majority: the difficulty stays
    ev = events(chain, r, "SubtensorModule.RegistrationTermsAdjusted")[0]
    assert (ev.netuid, ev.burn, ev.difficulty) == (netuid, burn1, diff0)
    assert get(chain, "RegistrationsThisInterval", netuid) == 0
    assert get(chain, "LastAdjustmentBlock", netuid) == chain.number
    # clamp at max_burn: drive it up with alpha 0 (owner setter)
    ok(chain, ALICE, "AdminUtils", "sudo_set_adjustment_alpha", netuid, 0)
    for i in range(3):
        register(chain, netuid, hk(f"n{i}"))
    chain.run_to_block(get(chain, "LastAdjustmentBlock", netuid) + 5)
    assert get(chain, "Burn", netuid) == 3 * TAO // 2  # 2x would be above max_burn
    # no registrations: burn and difficulty both fall (alpha 0: halve), floored at the minimums
    b = get(chain, "Burn", netuid)
    chain.run_to_block(get(chain, "LastAdjustmentBlock", netuid) + 5)
    assert get(chain, "Burn", netuid) == b // 2
    assert get(chain, "Difficulty", netuid) == max(1, diff0 // 2)
    for _ in range(20):
        chain.run_to_block(get(chain, "LastAdjustmentBlock", netuid) + 5)
    assert get(chain, "Burn", netuid) == 500_000  # min_burn
    assert get(chain, "Difficulty", netuid) == 1  # min_difficulty (fast)


def test_pow_majority_raises_difficulty_not_burn() -> None:
    chain = builder(subnet={"adjustment_interval": 6, "target_regs_per_interval": 1, "difficulty": 50,
                            "adjustment_alpha": 0})
    netuid = make_subnet(chain)
    start = get(chain, "LastAdjustmentBlock", netuid)
    for i in range(2):
        h = hk(f"p{i}")
        block = chain.number
        nonce, work = _solve(chain, h, block, 50)
        ok(chain, h, S, "register", netuid, block, nonce, work, h.public, DAVE.public)
    chain.run_to_block(start + 6)
    assert get(chain, "Difficulty", netuid) == 50 * 3 // 2  # (2 + 1) / 2
    assert get(chain, "Burn", netuid) == TAO


def test_burned_register_with_just_enough_balance(chain: ChainBuilder) -> None:
    netuid = make_subnet(chain)
    fund(chain, NEWBIE.public, TAO + TAO // 10)
    ok(chain, NEWBIE, S, "burned_register", netuid, hk("nb").public)  # free >= burn + fee
    assert chain.free(NEWBIE.public) < TAO // 10
