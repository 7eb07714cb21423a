"""The transaction pool over real signed extrinsics: ready/future queues, replacement by tip,
Substrate's error codes, bans, limits, re-validation after a block, watcher event sequences."""

from __future__ import annotations

import pytest
from conftest import ALICE, BOB, CHARLIE, DAVE, EVE, TAO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.local import LocalChain
from node.txpool import PoolError, PoolLimits, TxPool
from runtime.executive import InvalidReason
from runtime.support import tx
from runtime.support.extrinsic_v4 import encode_signed
from runtime.support.hashing import blake2_256
from runtime.support.keys import keypair_from_uri


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


_XFERS: dict[tuple, bytes] = {}


def xfer(chain: LocalChain, key, nonce: int, tip: int = 0, amount: int = TAO) -> bytes:
    """The signed transfer; the same bytes each time it is asked for again (sr25519 signatures are
    randomized, and the pool tells a resubmission from a different transaction by its bytes)."""
    k = (chain.genesis_hash, key.public, nonce, tip, amount)
    if k not in _XFERS:
        _XFERS[k] = chain.sign(
            key, chain.call("Balances", "transfer_keep_alive", EVE.public, amount), nonce=nonce, tip=tip
        )
    return _XFERS[k]


def recorder(pool: TxPool, h: bytes) -> list:
    events: list = []
    pool.watch(h, events.append)
    return events


def hx(h: bytes) -> str:
    return "0x" + h.hex()


@pytest.fixture(scope="module")
def chain() -> LocalChain:
    """A genesis chain that no test in this module advances (the block tests make their own)."""
    return LocalChain()


def test_submit_returns_the_hash_and_the_tx_is_ready(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    xt = xfer(chain, ALICE, 0)
    assert pool.submit(xt) == blake2_256(xt)
    assert pool.status() == {"ready": 1, "future": 0}
    assert pool.ready() == [xt] and pool.pending() == [xt]


def test_future_nonce_waits_then_promotes_when_the_gap_is_filled(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    x0, x1, x2 = (xfer(chain, ALICE, n) for n in range(3))
    h2 = pool.submit(x2)
    ev2 = recorder(pool, h2)
    pool.submit(x1)
    assert pool.status() == {"ready": 0, "future": 2} and pool.ready() == []
    pool.submit(x0)
    assert pool.status() == {"ready": 3, "future": 0}
    assert pool.ready() == [x0, x1, x2]
    assert ev2 == ["future", "ready"]


def test_ready_order_is_nonce_order_per_sender_then_priority_then_arrival(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    a1, a0 = xfer(chain, ALICE, 1, tip=9), xfer(chain, ALICE, 0, tip=0)
    b0 = xfer(chain, BOB, 0, tip=5)
    c0, d0 = xfer(chain, CHARLIE, 0), xfer(chain, DAVE, 0)
    for x in (a1, a0, c0, b0, d0):
        pool.submit(x)
    # b0 (tip 5) first; then by arrival among tip 0: a0 came before c0 and d0; a1 (tip 9) right after a0
    assert pool.ready() == [b0, a0, a1, c0, d0]


def test_replacement_by_higher_tip_and_1014_for_equal_or_lower(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    old = xfer(chain, ALICE, 0, tip=1)
    dep = xfer(chain, ALICE, 1)
    h_old = pool.submit(old)
    h_dep = pool.submit(dep)
    ev_old, ev_dep = recorder(pool, h_old), recorder(pool, h_dep)
    for tip in (0, 1):
        with pytest.raises(PoolError) as e:
            pool.submit(xfer(chain, ALICE, 0, tip=tip, amount=2 * TAO))
        assert e.value.code == 1014
        assert e.value.message == f"Priority is too low: (1 vs {tip})"
    new = xfer(chain, ALICE, 0, tip=2)
    h_new = pool.submit(new)
    assert ev_old == ["ready", {"usurped": hx(h_new)}]
    assert ev_dep == ["ready"]  # its requirement is still met: no flapping
    assert pool.ready() == [new, dep]
    assert h_old not in pool
    # replacing a future one works the same way
    f1 = xfer(chain, BOB, 3)
    f2 = xfer(chain, BOB, 3, tip=7)
    pool.submit(f1)
    pool.submit(f2)
    assert pool.status() == {"ready": 2, "future": 1}
    assert blake2_256(f1) not in pool and blake2_256(f2) in pool


def test_duplicate_is_1013(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    xt = xfer(chain, ALICE, 0)
    h = pool.submit(xt)
    with pytest.raises(PoolError) as e:
        pool.submit(xt)
    assert (e.value.code, e.value.message, e.value.data) == (1013, "Transaction Already Imported", hx(h))
    assert e.value.to_json()["code"] == 1013


def _bad_signature(chain: LocalChain) -> bytes:
    u = tx.decode_extrinsic(xfer(chain, ALICE, 0)).unchecked
    return encode_signed(u.address, tx.MultiSignature(u.signature.scheme, bytes(64)), dict(u.explicit), u.call)


def test_invalid_is_1010_with_the_reason_and_banned_until_the_clock_moves_on() -> None:
    chain = LocalChain()
    chain.author([xfer(chain, BOB, 0)])  # BOB's nonce is now 1
    clock = Clock()
    pool = TxPool(chain.validate, now=clock)
    cases = [
        (_bad_signature(chain), InvalidReason.BadProof, "Transaction has a bad signature"),
        (xfer(chain, BOB, 0, amount=3 * TAO), InvalidReason.Stale, "Transaction is outdated"),
        (xfer(chain, keypair_from_uri("//Nobody"), 0), InvalidReason.Payment,
         "Inability to pay some fees (e.g. account balance too low)"),
    ]
    for xt, reason, text in cases:
        with pytest.raises(PoolError) as e:
            pool.submit(xt)
        assert (e.value.code, e.value.message, e.value.reason) == (1010, "Invalid Transaction", reason)
        assert e.value.data == text  # exactly Substrate's text; what was wrong is in `detail`
    assert len(pool) == 0
    stale = cases[1][0]
    clock.t += 30 * 60 - 1
    with pytest.raises(PoolError) as e:
        pool.submit(stale)
    assert (e.value.code, e.value.message) == (1012, "Transaction is temporarily banned")
    clock.t += 1
    with pytest.raises(PoolError) as e:
        pool.submit(stale)
    assert e.value.code == 1010  # the ban expired; it is validated (and banned) again


def test_per_sender_limit(chain: LocalChain) -> None:
    pool = TxPool(chain.validate, PoolLimits(max_per_sender=3))
    xs = [xfer(chain, ALICE, n) for n in range(4)]
    for x in xs[:3]:
        pool.submit(x)
    with pytest.raises(PoolError) as e:
        pool.submit(xs[3])
    assert (e.value.code, e.value.message) == (1016, "Immediately Dropped")
    with pytest.raises(PoolError) as e:
        pool.submit(xs[3])
    assert e.value.code == 1012  # dropped by the limit: banned, like Substrate
    pool.submit(xfer(chain, BOB, 0))  # other senders are not affected
    assert pool.status() == {"ready": 4, "future": 0}


def test_per_sender_limit_keeps_the_lowest_nonces(chain: LocalChain) -> None:
    pool = TxPool(chain.validate, PoolLimits(max_per_sender=3))
    xs = [xfer(chain, ALICE, n) for n in range(4)]
    for x in xs[1:]:
        pool.submit(x)
    ev3 = recorder(pool, blake2_256(xs[3]))
    pool.submit(xs[0])  # fills the gap; the highest nonce makes room
    assert ev3 == ["future", "dropped"]
    assert pool.ready() == xs[:3]


def test_total_limits_evict_the_lowest_priority_or_drop_immediately(chain: LocalChain) -> None:
    pool = TxPool(chain.validate, PoolLimits(max_ready=2, max_future=1))
    a, b = xfer(chain, ALICE, 0), xfer(chain, BOB, 0)
    pool.submit(a)
    hb = pool.submit(b)
    ev_b = recorder(pool, hb)
    with pytest.raises(PoolError) as e:
        pool.submit(xfer(chain, CHARLIE, 0))  # same priority, newest: nothing worse to evict
    assert e.value.code == 1016
    d = xfer(chain, DAVE, 0, tip=1)
    pool.submit(d)  # higher priority: the worst (lowest tip, newest) goes
    assert ev_b == ["ready", "dropped"]
    assert pool.ready() == [d, a]
    # a ready transaction with a dependent is not evicted before a leaf
    a1 = xfer(chain, ALICE, 1, tip=3)
    pool.submit(a1)
    assert pool.ready() == [a, a1]
    # future queue
    pool.submit(xfer(chain, CHARLIE, 5))
    with pytest.raises(PoolError) as e:
        pool.submit(xfer(chain, BOB, 5))
    assert e.value.code == 1016
    pool.submit(xfer(chain, BOB, 5, tip=2))
    assert pool.status()["future"] == 1 and blake2_256(xfer(chain, BOB, 5, tip=2)) in pool


def test_block_import_drops_included_and_stale_promotes_future_and_bans_included() -> None:
    chain = LocalChain()
    pool = TxPool(chain.validate)
    a0, a1, a3 = xfer(chain, ALICE, 0), xfer(chain, ALICE, 1), xfer(chain, ALICE, 3)
    b0 = xfer(chain, BOB, 0)
    c0_pool, c0_other = xfer(chain, CHARLIE, 0), xfer(chain, CHARLIE, 0, amount=2 * TAO)
    for x in (a0, a1, a3, b0, c0_pool):
        pool.submit(x)
    ev_a3, ev_c0 = recorder(pool, blake2_256(a3)), recorder(pool, blake2_256(c0_pool))
    # the block holds Alice's and Bob's ready ones, and a different Charlie nonce 0
    ready = [x for x in pool.ready() if x != c0_pool]
    result, rejected = chain.author([*ready, c0_other])
    assert not rejected
    pool.on_block_imported(list(result.extrinsics))
    assert ev_c0 == ["ready", "invalid"]  # stale now
    assert pool.pending() == [a3] and pool.status() == {"ready": 0, "future": 1}
    with pytest.raises(PoolError) as e:
        pool.submit(a0)
    assert e.value.code == 1012  # included: banned so gossip cannot bring it back
    with pytest.raises(PoolError) as e:
        pool.submit(c0_pool)
    assert e.value.code == 1012
    a2 = xfer(chain, ALICE, 2)
    pool.submit(a2)
    assert pool.ready() == [a2, a3]
    assert ev_a3 == ["future", "ready"]


def test_block_import_from_elsewhere_promotes_future() -> None:
    chain = LocalChain()
    pool = TxPool(chain.validate)
    a0, a1 = xfer(chain, ALICE, 0), xfer(chain, ALICE, 1)
    h1 = pool.submit(a1)
    ev = recorder(pool, h1)
    result, _ = chain.author([a0])  # a0 never went through this pool
    pool.on_block_imported(list(result.extrinsics))
    assert ev == ["future", "ready"]
    assert pool.ready() == [a1]


def test_partial_revalidation_checks_only_the_senders_the_block_touched() -> None:
    chain = LocalChain()
    calls: list[bytes] = []

    def counting_validate(data: bytes):
        calls.append(data)
        return chain.validate(data)

    pool = TxPool(counting_validate)
    a0, a1, b0 = xfer(chain, ALICE, 0), xfer(chain, ALICE, 1), xfer(chain, BOB, 0)
    c_stale = xfer(chain, CHARLIE, 0)
    for x in (a1, b0, c_stale):
        pool.submit(x)
    # the block includes a0 (Alice) and another nonce-0 transfer of Charlie's
    result, _ = chain.author([a0, xfer(chain, CHARLIE, 0, amount=2 * TAO)])
    calls.clear()
    pool.on_block_imported(list(result.extrinsics), only_senders={ALICE.public, CHARLIE.public})
    assert sorted(calls) == sorted([a1, c_stale])  # Bob's transaction is not re-checked
    assert pool.ready() == [a1, b0] or pool.ready() == [b0, a1]
    assert blake2_256(c_stale) not in pool  # stale now: dropped


def test_block_import_without_revalidation_uses_the_included_tags(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)  # the chain does not move: only the included tags satisfy a1
    a0, a1, a2 = (xfer(chain, ALICE, n) for n in range(3))
    pool.submit(a0)
    pool.submit(a2)
    h1 = pool.submit(a1)
    pool.remove([blake2_256(a2)])
    ev = recorder(pool, h1)
    pool.on_block_imported([a0], revalidate=False)
    assert ev == ["ready"] and pool.ready() == [a1]


def test_remove_demotes_dependents(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)
    a0, a1 = xfer(chain, ALICE, 0), xfer(chain, ALICE, 1)
    h0, h1 = pool.submit(a0), pool.submit(a1)
    ev0, ev1 = recorder(pool, h0), recorder(pool, h1)
    assert pool.remove([h0, b"\x00" * 32]) == [h0]
    assert ev0 == ["ready", "dropped"] and ev1 == ["ready", "future"]
    assert pool.status() == {"ready": 0, "future": 1}
    pool.submit(a0)  # removal is not a ban
    assert pool.ready() == [a0, a1] and ev1 == ["ready", "future", "ready"]


def test_watcher_sequence_ready_in_block_finalized() -> None:
    chain = LocalChain()
    pool = TxPool(chain.validate)
    events: list = []
    xt = xfer(chain, ALICE, 0)
    h = pool.submit_and_watch(xt, events.append)
    result, _ = chain.author(pool.ready())
    block_hash = chain.head.hash()
    pool.on_block_imported(list(result.extrinsics), block_hash=block_hash)
    pool.on_finalized(block_hash, [h])
    pool.on_finalized(block_hash, [h])  # watchers are gone after a final event
    assert events == ["ready", {"inBlock": hx(block_hash)}, {"finalized": hx(block_hash)}]
    # a failed submit_and_watch keeps no watcher and sends nothing
    later: list = []
    with pytest.raises(PoolError):
        pool.submit_and_watch(xt, later.append)
    assert later == []


def test_watcher_errors_do_not_break_the_pool(chain: LocalChain) -> None:
    pool = TxPool(chain.validate)

    def boom(_ev: object) -> None:
        raise RuntimeError("watcher bug")

    pool.submit_and_watch(xfer(chain, ALICE, 0), boom)
    assert pool.status() == {"ready": 1, "future": 0}


# ------------------------------------------------------------------ property
SENDERS = (ALICE, BOB, CHARLIE)
MAX_NONCE = 5
_SIGNED: dict[tuple[int, int, int], bytes] = {}


def _signed(chain: LocalChain, s: int, n: int, tip: int) -> bytes:
    key = (s, n, tip)
    if key not in _SIGNED:
        _SIGNED[key] = xfer(chain, SENDERS[s], n, tip=tip)
    return _SIGNED[key]


def _check_invariants(pool: TxPool, chain: LocalChain, by_hash: dict[bytes, tuple[int, int]]) -> None:
    ready = pool.ready()
    pending = pool.pending()
    st_ = pool.status()
    assert len(pending) == len(set(pending)) == st_["ready"] + st_["future"] == len(pool)
    assert len(ready) == st_["ready"] and pending[: len(ready)] == ready
    for s, key in enumerate(SENDERS):
        start = chain.account(key.public).nonce
        mine = [by_hash[blake2_256(x)][1] for x in ready if by_hash[blake2_256(x)][0] == s]
        assert mine == list(range(start, start + len(mine)))
        in_pool = sorted(by_hash[blake2_256(x)][1] for x in pending if by_hash[blake2_256(x)][0] == s)
        assert len(in_pool) == len(set(in_pool))  # one transaction per (sender, nonce)
        expect = 0  # ready = exactly the consecutive run from the account nonce
        while start + expect in in_pool:
            expect += 1
        assert len(mine) == expect


ops = st.lists(
    st.tuples(st.integers(0, len(SENDERS) - 1), st.integers(0, MAX_NONCE), st.integers(0, 2)), max_size=25
)


@pytest.mark.parametrize("limits", [None, PoolLimits(max_ready=5, max_future=3, max_per_sender=4)])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(submissions=ops, removals=st.lists(st.integers(0, 24), max_size=3))
def test_property_ready_is_consecutive_nonces_per_sender(
    chain: LocalChain, limits, submissions, removals
) -> None:
    pool = TxPool(chain.validate, limits)
    by_hash = {}
    for i, (s, n, tip) in enumerate(submissions):
        xt = _signed(chain, s, n, tip)
        by_hash[blake2_256(xt)] = (s, n)
        try:
            pool.submit(xt)
        except PoolError as exc:
            assert exc.code in ((1013, 1014) if limits is None else (1012, 1013, 1014, 1016))
        if i in removals:
            pool.remove([blake2_256(xt)])
        _check_invariants(pool, chain, by_hash)
        if limits is not None:
            assert pool.status()["ready"] <= limits.max_ready and pool.status()["future"] <= limits.max_future


@settings(max_examples=20, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 2), st.integers(0, 3))), max_size=14))
def test_property_with_blocks(steps) -> None:
    chain = LocalChain()
    pool = TxPool(chain.validate)
    by_hash: dict[bytes, tuple[int, int]] = {}
    for step in steps:
        if step is None:
            result, rejected = chain.author(pool.ready())
            assert not rejected
            pool.on_block_imported(list(result.extrinsics))
        else:
            s, ahead = step
            n = chain.account(SENDERS[s].public).nonce + ahead
            xt = xfer(chain, SENDERS[s], n)
            by_hash[blake2_256(xt)] = (s, n)
            try:
                pool.submit(xt)
            except PoolError as exc:
                assert exc.code in (1012, 1013)
        _check_invariants(pool, chain, by_hash)
