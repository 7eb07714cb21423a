"""A seeded random sequence of SubtensorModule / AdminUtils calls (many of them failing) keeps every
pallet's try_state green (ChainBuilder checks it after each block)."""

from __future__ import annotations

import random

import pytest
from conftest import ALICE, BOB, CHARLIE, DAVE, EVE, TAO, ChainBuilder
from st_helpers import A, S, get, hk

from runtime.support.hashing import commit_hash

COLDS = [ALICE, BOB, CHARLIE, DAVE, EVE]
HOTS = [hk(f"r{i}") for i in range(8)]


def _random_call(rng: random.Random, chain: ChainBuilder):
    netuid = rng.randint(0, 4)
    hot = rng.choice(HOTS)
    cold = rng.choice(COLDS)
    amount = rng.choice([1, 2_000_000, TAO, 50 * TAO, 10**16])
    uids = rng.sample(range(6), rng.randint(0, 3))
    vals = [rng.randint(0, 65535) for _ in uids]
    kind = rng.randrange(16)
    if kind == 0:
        return cold, S, "register_network", (hot.public,)
    if kind == 1:
        return cold, S, "start_call", (netuid,)
    if kind in (2, 3):
        return cold, S, "burned_register", (netuid, hot.public)
    if kind == 4:
        return cold, S, "add_stake", (hot.public, amount)
    if kind == 5:
        return cold, S, "remove_stake", (hot.public, amount)
    if kind == 6:
        return cold, S, "become_delegate", (hot.public,)
    if kind == 7:
        return hot, S, "set_weights", (netuid, uids, vals, 0)
    if kind == 8:
        return hot, S, "commit_weights", (netuid, commit_hash(hot.public, netuid, uids, vals, [1], 0))
    if kind == 9:
        return hot, S, "reveal_weights", (netuid, uids, vals, [1], 0)
    if kind == 10:
        return hot, S, "serve_axon", (netuid, 1, rng.choice([0, 1, 0x0A000001]), rng.randint(0, 2), 4, 0, 0, 0)
    if kind == 11:
        owner = get(chain, "SubnetOwner", netuid) or ALICE.public
        return ALICE, "Sudo", "sudo", (chain.call(S, "dissolve_network", owner, netuid),)
    if kind == 12:
        return ALICE, "Sudo", "sudo", (chain.call(A, "sudo_set_max_allowed_uids", netuid, rng.randint(1, 70)),)
    if kind == 13:
        return cold, A, "sudo_set_commit_reveal_weights_enabled", (netuid, rng.random() < 0.5)
    if kind == 14:
        return cold, S, "decrease_take", (hot.public, rng.randint(0, 12000))
    return ALICE, "Sudo", "sudo", (chain.call(A, "sudo_set_immunity_period", netuid, rng.randint(0, 5)),)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_calls_keep_try_state(seed: int) -> None:
    rng = random.Random(seed)
    chain = ChainBuilder()
    ok_count = 0
    for _ in range(100):
        used: dict[bytes, int] = {}
        xts = []
        for _ in range(rng.randint(0, 4)):
            key, pallet, name, args = _random_call(rng, chain)
            nonce = used.get(key.public, chain.account(key.public).nonce)
            used[key.public] = nonce + 1
            xts.append(chain.sign(key, chain.call(pallet, name, *args), nonce=nonce))
        result, rejected = chain.author(xts)  # try_state runs here
        ok_count += sum(1 for o in result.outcomes if o.error is None and o.index > 0)
        assert not rejected
    assert ok_count > 20
    assert get(chain, "TotalNetworks") >= 0
