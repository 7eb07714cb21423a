"""ChainDB: both KV stores, block round trips, restart, reorgs of the flat state, pruning, kill -9.

Blocks are real: authored with the runtime's `build_block` on any stored parent, reading the parent
state from the database itself (`state_at` and a `Trie` over the ChainDB node store). Run as a script
(`python tests/node/test_chain_db.py DBDIR`), this file is the child process of the kill -9 test.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgpack
import pytest

from node.chain_db import (
    ChainDB,
    ChainDBError,
    LevelDBKV,
    MemoryKV,
    StatePrunedError,
)
from runtime import scale_types
from runtime.block import Block, Header, aura_digest
from runtime.executive import BlockResult, build_block
from runtime.genesis import new_runtime
from runtime.presets import dev
from runtime.support import tx
from runtime.support.dispatch import Ctx
from runtime.support.keys import dev_keypair
from runtime.support.storage import Overlay
from runtime.support.trie import BRANCH, EMPTY_ROOT, Trie

REPO = Path(__file__).resolve().parents[2]
ALICE, BOB, CHARLIE = (dev_keypair(n) for n in ("Alice", "Bob", "Charlie"))


# --- helpers -------------------------------------------------------------------------------------


_SIGNED: dict[tuple, bytes] = {}


class DBChain:
    """Authors real blocks on any stored parent of a ChainDB and commits them."""

    def __init__(self, db: ChainDB) -> None:
        self.spec = dev()
        self.runtime, self.genesis = new_runtime(self.spec)
        self.db = db
        if not db.is_initialized:
            db.init_genesis(self.genesis.block, self.genesis.items, self.genesis.trie_update.new_nodes, "{}")

    def transfer(self, parent: bytes, dest: bytes, amount: int) -> bytes:
        header = self.db.header(parent)
        assert header is not None
        ctx = Ctx(Overlay(self.db.state_at(parent)), header.number, self.runtime)
        nonce = self.runtime.system.get_account(ctx, ALICE.public).nonce
        call = self.runtime.call("Balances", "transfer_keep_alive", dest, amount)
        # the same bytes for the same transfer (sr25519 signatures are randomized), so that two
        # databases fed the same script store the same blocks
        k = (nonce, dest, amount)
        if k not in _SIGNED:
            v = self.runtime.VERSION
            _SIGNED[k] = tx.sign_extrinsic(
                ALICE, scale_types.encode_call(self.runtime, call), nonce=nonce, genesis_hash=self.genesis.hash,
                spec_version=v.spec_version, tx_version=v.transaction_version,
            )
        return _SIGNED[k]

    def build(self, parent: bytes | None = None, slot: int | None = None, extrinsics=()) -> BlockResult:
        parent = parent or self.db.best_hash
        header = self.db.header(parent)
        assert header is not None
        slot = (header.slot() or 0) + 1 if slot is None else slot
        inherent = tx.encode_unsigned(scale_types.encode_call(
            self.runtime, self.runtime.call("Timestamp", "set", slot * self.spec.slot_duration_ms)
        ))
        result, rejected = build_block(
            self.runtime,
            self.db.state_at(parent),
            Trie(self.db, header.state_root),
            parent,
            header.number + 1,
            aura_digest(slot),
            [inherent],
            list(extrinsics),
        )
        assert not rejected, rejected[0][1].message
        return result

    def author(
        self, parent=None, slot=None, extrinsics=(), *, set_best=True, finalized=None, transfer=0
    ) -> bytes:
        parent = parent or self.db.best_hash
        if transfer:
            extrinsics = [*extrinsics, self.transfer(parent, BOB.public, transfer)]
        result = self.build(parent, slot, extrinsics)
        self.db.commit_block(
            result.block, result.changes, result.trie_update, set_best=set_best, finalized=finalized
        )
        return result.header.hash()


def flat_state(db: ChainDB) -> dict[bytes, bytes]:
    return dict(db.best_state().iter_prefix(b""))


def trie_state(db: ChainDB, block_hash: bytes) -> dict[bytes, bytes]:
    header = db.header(block_hash)
    assert header is not None
    return dict(Trie(db, header.state_root).items())


def reachable_nodes(db: ChainDB, root: bytes) -> set[bytes]:
    seen: set[bytes] = set()
    stack = [] if root == EMPTY_ROOT else [root]
    while stack:
        node_hash = stack.pop()
        if node_hash in seen:
            continue
        seen.add(node_hash)
        data = db.get_node(node_hash)
        assert data is not None, f"node {node_hash.hex()} is missing"
        node = msgpack.unpackb(data)
        if node[0] == BRANCH:
            stack.extend(child for child in node[1:] if child)
    return seen


def stored_nodes(db: ChainDB) -> set[bytes]:
    return {key[1:] for key, _ in db.kv.iter_prefix(b"n")}


def retained_nodes(db: ChainDB) -> set[bytes]:
    """The nodes reachable from every state the database must keep."""
    nodes: set[bytes] = set()
    for key, data in db.kv.iter_prefix(b"h"):
        header = Header.decode(data)
        if db.has_state(key[1:]):
            nodes |= reachable_nodes(db, header.state_root)
    return nodes


def check_consistent(db: ChainDB) -> None:
    """Flat state = trie state of the best block; canonical index = the best block's ancestry."""
    assert flat_state(db) == trie_state(db, db.best_hash)
    h = db.best_hash
    while True:
        header = db.header(h)
        assert header is not None
        assert db.hash_at(header.number) == h
        if header.number == 0:
            break
        h = header.parent_hash
    assert db.hash_at(db.best_header.number + 1) is None


@pytest.fixture(params=["memory", "leveldb"])
def make_kv(request, tmp_path):
    opened: list = []

    def make():
        kv = MemoryKV() if request.param == "memory" else LevelDBKV(tmp_path / "db")
        opened.append(kv)
        return kv

    yield make
    if request.param == "leveldb":
        for kv in opened:
            kv.close()


# --- the key-value stores ------------------------------------------------------------------------


def test_kv_get_put_delete_and_prefix_order(make_kv):
    kv = make_kv()
    kv.put(b"a2", b"2")
    kv.put(b"a1", b"1")
    kv.put(b"b", b"x")
    kv.put(b"a\xff", b"3")
    kv.put(b"a", b"0")
    assert kv.get(b"a1") == b"1"
    assert kv.get(b"zz") is None
    assert list(kv.iter_prefix(b"a")) == [(b"a", b"0"), (b"a1", b"1"), (b"a2", b"2"), (b"a\xff", b"3")]
    kv.delete(b"a1")
    kv.delete(b"missing")
    assert [k for k, _ in kv.iter_prefix(b"a")] == [b"a", b"a2", b"a\xff"]
    assert list(kv.iter_prefix(b"c")) == []
    kv.write_batch({b"a1": b"x", b"a2": b"y"}, [b"a2", b"b"])
    assert list(kv.iter_prefix(b"")) == [(b"a", b"0"), (b"a1", b"x"), (b"a2", b"y"), (b"a\xff", b"3")]


class _Exploding(Mapping):
    """A mapping whose iteration fails half way: a batch built from it must not land at all."""

    def __init__(self, items: dict[bytes, bytes]) -> None:
        self.items_ = items

    def __getitem__(self, key):
        return self.items_[key]

    def __len__(self):
        return len(self.items_)

    def __iter__(self) -> Iterator[bytes]:
        for i, key in enumerate(self.items_):
            if i == 3:
                raise RuntimeError("boom")
            yield key


def test_kv_batch_is_atomic(make_kv):
    kv = make_kv()
    kv.put(b"keep", b"1")
    kv.put(b"gone", b"1")
    with pytest.raises(RuntimeError):
        kv.write_batch(_Exploding({b"k%d" % i: b"v" for i in range(6)}), [b"keep"])
    assert kv.get(b"keep") == b"1"
    assert list(kv.iter_prefix(b"k")) == [(b"keep", b"1")]
    kv.write_batch({b"k%d" % i: b"v" for i in range(6)}, [b"gone"])
    assert len(list(kv.iter_prefix(b"k"))) == 7 and kv.get(b"gone") is None


def test_kv_snapshot_is_isolated(make_kv):
    kv = make_kv()
    kv.write_batch({b"p1": b"a", b"p2": b"b"})
    snap = kv.snapshot()
    kv.write_batch({b"p1": b"changed", b"p3": b"new"}, [b"p2"])
    assert snap.get(b"p1") == b"a" and snap.get(b"p2") == b"b" and snap.get(b"p3") is None
    assert list(snap.iter_prefix(b"p")) == [(b"p1", b"a"), (b"p2", b"b")]
    assert list(kv.iter_prefix(b"p")) == [(b"p1", b"changed"), (b"p3", b"new")]
    snap.close()


# --- blocks, restart -----------------------------------------------------------------------------


def test_genesis_and_50_blocks_round_trip(make_kv):
    db = ChainDB(make_kv())
    chain = DBChain(db)
    g = chain.genesis
    assert db.genesis_hash == g.hash == db.best_hash == db.finalized_hash
    assert flat_state(db) == g.items
    assert db.chain_spec == "{}"
    blocks = {}
    for n in range(1, 51):
        extrinsics = [chain.transfer(db.best_hash, BOB.public, n * 10**9)] if n % 5 == 0 else []
        result = chain.build(extrinsics=extrinsics)
        block = result.block
        db.commit_block(
            block, result.changes, result.trie_update, finalized=db.best_hash if n % 10 == 0 else None
        )
        blocks[n] = block
        assert db.best_hash == block.hash() and db.best_header.number == n
    for n, block in blocks.items():
        assert db.hash_at(n) == block.hash()
        assert db.block(block.hash()) == block
        assert db.header(block.hash()) == block.header
        assert db.has_state(block.hash())
    assert db.finalized_header.number == 49
    assert db.hash_at(51) is None and db.block(b"\x00" * 32) is None
    check_consistent(db)
    # an archive keeps every state: read old ones through the trie
    old = blocks[7].hash()
    assert dict(db.state_at(old).iter_prefix(b"")) == trie_state(db, old)
    assert db.state_at(old).get(next(iter(g.items))) is not None


def test_restart_keeps_everything(tmp_path):
    db = ChainDB(LevelDBKV(tmp_path / "db"), state_pruning=8)
    chain = DBChain(db)
    for n in range(1, 21):
        chain.author(transfer=10**9 if n % 3 == 0 else 0, finalized=db.hash_at(n - 3) if n > 3 else None)
    best, fin, state = db.best_hash, db.finalized_hash, flat_state(db)
    db.close()
    with pytest.raises(ChainDBError, match="state-pruning 8"):
        ChainDB(LevelDBKV(tmp_path / "db"), state_pruning=None).close()
    db = ChainDB(LevelDBKV(tmp_path / "db"), state_pruning=8)
    assert (db.best_hash, db.finalized_hash, db.best_header.number) == (best, fin, 20)
    assert flat_state(db) == state
    chain = DBChain(db)  # genesis already there: nothing to do
    chain.author()
    assert db.best_header.number == 21
    check_consistent(db)
    db.close()


def test_commit_rejects_bad_input():
    db = ChainDB(MemoryKV())
    chain = DBChain(db)
    result = chain.build()
    h = result.header
    orphan = Block(Header(b"\x01" * 32, 5, h.state_root, h.extrinsics_root, h.digest, b""), ())
    with pytest.raises(ChainDBError, match="parent"):
        db.commit_block(orphan, result.changes, result.trie_update)
    with pytest.raises(ChainDBError, match="not on the best chain"):
        db.commit_block(
            result.block, result.changes, result.trie_update, set_best=False, finalized=result.block.hash()
        )
    db.commit_block(result.block, result.changes, result.trie_update)
    db.commit_block(result.block, result.changes, result.trie_update)  # again: a no-op
    check_consistent(db)


# --- reorgs --------------------------------------------------------------------------------------


def test_reorg_switches_flat_state(make_kv):
    db = ChainDB(make_kv())
    chain = DBChain(db)
    for _ in range(5):
        chain.author()
    base = db.best_hash
    # fork A: the best chain, 4 blocks with transfers to Bob
    a = base
    for i in range(4):
        a = chain.author(a, transfer=(i + 1) * 10**9)
    state_a = flat_state(db)
    # fork B: 6 blocks in other slots with transfers to Charlie, built on non-best parents
    b = base
    slot = chain.db.header(base).slot() + 100
    for i in range(6):
        ext = [chain.transfer(b, CHARLIE.public, (i + 7) * 10**9)]
        b = chain.author(b, slot + i, ext, set_best=False)
    assert db.best_hash == a and flat_state(db) == state_a
    assert dict(db.state_at(b).iter_prefix(b"")) == trie_state(db, b)
    route = db.route(a, b)
    assert len(route.retract) == 4 and len(route.enact) == 6 and route.common == base

    db.set_best(b)
    check_consistent(db)
    state_b = flat_state(db)
    assert state_b != state_a
    db.set_best(a)
    check_consistent(db)
    assert flat_state(db) == state_a
    # a new block on fork B made best in the same commit: reorg and extend at once
    b2 = chain.author(b, slot + 10)
    assert db.best_hash == b2 and db.best_header.number == 12
    check_consistent(db)
    # finalizing on fork B discards fork A
    db.set_finalized(db.hash_at(8), b"justification")
    assert db.justification(db.hash_at(8)) == b"justification"
    assert db.header(a) is None and db.block(a) is None
    with pytest.raises(ChainDBError):
        db.set_best(base)
    check_consistent(db)


# --- pruning -------------------------------------------------------------------------------------


def _grow(chain: DBChain, blocks: int, window_lag: int = 2, fork_every: int = 0) -> list[bytes]:
    db = chain.db
    forks = []
    for n in range(blocks):
        parent = db.best_hash
        if fork_every and n % fork_every == 0:
            # a sibling of the next block, in a far slot, with a different transfer; never best
            header = db.header(parent)
            forks.append(
                chain.author(parent, (header.slot() or 0) + 1000, set_best=False, transfer=3 * 10**9)
            )
        number = db.best_header.number + 1
        fin = db.hash_at(number - 1 - window_lag) if number - 1 > window_lag else None
        chain.author(transfer=10**9 if n % 2 else 0, finalized=fin)
    return forks


def test_pruning_keeps_n_states_and_bounds_nodes():
    keep = 4
    db = ChainDB(MemoryKV(), state_pruning=keep)
    chain = DBChain(db)
    _grow(chain, 20)
    _grow(chain, 40)
    fin = db.finalized_header.number
    assert db.pruned_below == fin - keep
    for n in range(db.pruned_below, db.best_header.number + 1):
        h = db.hash_at(n)
        assert db.has_state(h)
        assert dict(db.state_at(h).iter_prefix(b"")) == trie_state(db, h)
    old = db.hash_at(db.pruned_below - 1)
    assert not db.has_state(old) and db.header(old) is not None
    with pytest.raises(StatePrunedError):
        db.state_at(old)
    # exactly the retained nodes are stored: nothing leaked, nothing missing
    assert stored_nodes(db) == retained_nodes(db)
    # bounded by the best state plus the few nodes each retained block changed (~10 per block)
    best_nodes = reachable_nodes(db, db.best_header.state_root)
    assert len(stored_nodes(db)) <= len(best_nodes) + 25 * (db.best_header.number - db.pruned_below)
    assert not list(db.kv.iter_prefix(b"g" + db.hash_at(1)))
    check_consistent(db)

    archive = ChainDB(MemoryKV())
    _grow(DBChain(archive), 60)
    assert len(stored_nodes(archive)) > 3 * len(stored_nodes(db))


def test_pruning_releases_discarded_forks():
    with_forks = ChainDB(MemoryKV(), state_pruning=3)
    forks = _grow(DBChain(with_forks), 30, fork_every=4)
    plain = ChainDB(MemoryKV(), state_pruning=3)
    _grow(DBChain(plain), 30)
    assert with_forks.best_hash == plain.best_hash
    assert with_forks.header(forks[-1]) is not None  # above the finalized block: still viable
    for db in (with_forks, plain):
        db.set_finalized(db.best_hash)
    for f in forks:
        assert with_forks.header(f) is None
    # the same canonical chain with the forks gone leaves exactly the same nodes
    assert stored_nodes(with_forks) == stored_nodes(plain) == retained_nodes(plain)
    assert dict(with_forks.kv.iter_prefix(b"r")) == dict(plain.kv.iter_prefix(b"r"))
    assert not list(with_forks.kv.iter_prefix(b"u"))


@pytest.mark.parametrize("seed", range(4))
def test_pruning_survives_reorgs_and_recreated_nodes(seed):
    """Random forks (which re-create many of each other's nodes), reorgs back and forth, finality:
    after each finalization exactly the nodes of the retained states are stored."""
    rng = random.Random(seed)
    db = ChainDB(MemoryKV(), state_pruning=seed % 3)
    chain = DBChain(db)
    _grow(chain, 6)
    tips = [db.best_hash]
    for step in range(40):
        parent = rng.choice(tips)
        header = db.header(parent)
        h = chain.author(
            parent, header.slot() + rng.randint(1, 3), set_best=False, transfer=rng.choice([0, 10**9])
        )
        tips.append(h)
        if rng.random() < 0.5:
            db.set_best(rng.choice(tips))
            check_consistent(db)
        if step % 6 == 5:
            db.set_finalized(db.hash_at(max(db.finalized_header.number, db.best_header.number - 1)))
            fin = db.finalized_header.number
            tips = [t for t in tips if db.has_block(t) and db.header(t).number >= fin]
            assert stored_nodes(db) == retained_nodes(db)
    check_consistent(db)


# --- crash safety --------------------------------------------------------------------------------


def _child_main(path: str) -> None:
    """Author and commit blocks forever, printing each committed number (the kill -9 test's child)."""
    db = ChainDB(LevelDBKV(path), state_pruning=4)
    chain = DBChain(db)
    while True:
        number = db.best_header.number + 1
        fin = db.hash_at(number - 3) if number > 3 else None
        chain.author(transfer=10**9 if number % 2 else 0, finalized=fin)
        print(number, flush=True)


@pytest.mark.integration
def test_kill_9_never_loses_a_committed_block(tmp_path):
    path = tmp_path / "db"
    rng = random.Random(1234)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    committed: list[int] = []
    next_number = 1
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, __file__, str(path)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            first = proc.stdout.readline()
            assert first, "the child died before committing a block"
            time.sleep(rng.uniform(0.05, 1.0))
        finally:
            proc.send_signal(signal.SIGKILL)
            rest = proc.communicate()[0]
        numbers = [int(line) for line in (first + rest).split()]
        assert numbers[0] == next_number
        committed += numbers
        db = ChainDB(LevelDBKV(path), state_pruning=4)
        try:
            assert db.best_header.number >= committed[-1]
            for n in range(1, committed[-1] + 1):
                assert db.header(db.hash_at(n)) is not None
            check_consistent(db)
            assert stored_nodes(db) == retained_nodes(db)
            next_number = db.best_header.number + 1
        finally:
            db.close()
    assert committed[-1] > 10


if __name__ == "__main__":
    _child_main(sys.argv[1])
