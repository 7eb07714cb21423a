"""Finality gadget (node/finality.py): many voters driven in memory over a fork-aware block tree.

Safety is the point: honest gadgets never finalize two conflicting blocks, finality never goes
backwards, and every justification verifies; with a byzantine voter, drops and random delivery.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from node.finality import (
    FUTURE_ROUNDS,
    FinalityGadget,
    threshold_of,
    verify_justification,
    vote_payload,
)
from p2p.messages import PRECOMMIT, PREVOTE, Commit, Neighbor, Vote
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, Keypair, dev_keypair, verify

KEYS = tuple(dev_keypair(n, ED25519) for n in ("Alice", "Bob", "Charlie", "Dave"))  # authority keys
AUTH = tuple(k.public for k in KEYS)
EVE = dev_keypair("Eve", ED25519)


class Tree:
    """All blocks that exist anywhere: hash -> (number, parent)."""

    def __init__(self) -> None:
        self.genesis = blake2_256(b"genesis")
        self.blocks: dict[bytes, tuple[int, bytes | None]] = {self.genesis: (0, None)}

    def add(self, parent: bytes, tag: bytes = b"") -> bytes:
        n = self.blocks[parent][0] + 1
        h = blake2_256(parent + tag + n.to_bytes(8, "little"))
        self.blocks[h] = (n, parent)
        return h

    def extend(self, parent: bytes, k: int, tag: bytes = b"") -> list[bytes]:
        out = []
        for _ in range(k):
            parent = self.add(parent, tag)
            out.append(parent)
        return out

    def num(self, h: bytes) -> int:
        return self.blocks[h][0]

    def ancestor(self, h: bytes, n: int) -> bytes | None:
        num, parent = self.blocks[h]
        if n > num or n < 0:
            return None
        while num > n:
            h = parent  # type: ignore[assignment]
            num, parent = self.blocks[h]
        return h

    def comparable(self, a: bytes, b: bytes) -> bool:
        lo, hi = sorted((a, b), key=self.num)
        return self.ancestor(hi, self.num(lo)) == lo


class View:
    """One node's ChainView: the blocks it knows, its best head, its finalized block."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.known = set(tree.blocks)
        self.head = tree.genesis
        self.fin = (0, tree.genesis)

    def learn_all(self) -> None:
        self.known = set(self.tree.blocks)

    def best(self) -> tuple[int, bytes]:
        return (self.tree.num(self.head), self.head)

    def finalized(self) -> tuple[int, bytes]:
        return self.fin

    def number_of(self, block_hash: bytes) -> int | None:
        return self.tree.num(block_hash) if block_hash in self.known else None

    def ancestor_at(self, block_hash: bytes, number: int) -> bytes | None:
        if block_hash not in self.known:
            return None
        return self.tree.ancestor(block_hash, number)


class Net:
    """Gadgets exchanging votes instantly (or not, while offline)."""

    def __init__(self, keys: tuple[Keypair, ...] = KEYS, timeout: float = 1.0) -> None:
        self.tree = Tree()
        self.auth = tuple(k.public for k in keys)
        self.views = [View(self.tree) for _ in keys]
        self.gadgets = [
            FinalityGadget(self.auth, 0, self.tree.genesis, v, k, timeout)
            for v, k in zip(self.views, keys, strict=True)
        ]
        self.online = [True] * len(keys)
        self.finals: list[list[tuple[int, bytes]]] = [[] for _ in keys]
        self.now = 0.0

    def set_head(self, h: bytes, who=None) -> None:
        for i in who if who is not None else range(len(self.views)):
            self.views[i].known = set(self.tree.blocks)
            self.views[i].head = h

    def step(self, dt: float = 0.1) -> None:
        self.now += dt
        msgs = [(i, v) for i, g in enumerate(self.gadgets) if self.online[i] for v in g.on_tick(self.now)]
        for _ in range(100):
            if not msgs:
                break
            for src, m in msgs:
                for j, g in enumerate(self.gadgets):
                    if j != src and self.online[j]:
                        g.on_vote(m, self.now)
            msgs = [(i, v) for i, g in enumerate(self.gadgets) if self.online[i] for v in g.on_tick(self.now)]
        self.collect()

    def collect(self) -> None:
        for i, g in enumerate(self.gadgets):
            for num, h, commit in g.take_finalized():
                assert verify_justification(commit, self.auth, 0, self.tree.genesis, self.views[i]) is None
                assert commit.target_hash == h and commit.target_number == num
                assert list(commit.precommits) == sorted(commit.precommits, key=lambda p: p.voter)
                if self.finals[i]:
                    pn, ph = self.finals[i][-1]
                    assert num > pn and self.tree.ancestor(h, pn) == ph, "finality went backwards"
                self.finals[i].append((num, h))
                self.views[i].fin = (num, h)

    def run(self, steps: int, until=None) -> None:
        for _ in range(steps):
            self.step()
            if until is not None and until():
                return

    def fin(self, i: int) -> tuple[int, bytes]:
        return self.gadgets[i].finalized_block


def signed(
    key: Keypair,
    kind: int,
    target: bytes,
    number: int,
    rnd: int,
    set_id: int = 0,
    genesis: bytes | None = None,
) -> Vote:
    genesis = Tree().genesis if genesis is None else genesis
    sig = key.sign(vote_payload(kind, target, number, rnd, set_id, genesis))
    return Vote(rnd, set_id, kind, target, number, key.public, sig)


def test_threshold_and_payload() -> None:
    assert [threshold_of(n) for n in (1, 2, 3, 4, 5, 6, 7, 10)] == [1, 2, 3, 3, 4, 5, 5, 7]
    g = Tree().genesis
    p = vote_payload(PREVOTE, b"\1" * 32, 5, 3, 0, g)
    assert b"taochain-grandpa" in p and g in p
    assert p != vote_payload(PRECOMMIT, b"\1" * 32, 5, 3, 0, g)
    assert p != vote_payload(PREVOTE, b"\1" * 32, 5, 3, 0, b"\2" * 32)
    assert p != vote_payload(PREVOTE, b"\1" * 32, 5, 4, 0, g)
    assert p != vote_payload(PREVOTE, b"\1" * 32, 5, 3, 1, g)
    with pytest.raises(ValueError):
        FinalityGadget((), 0, g, View(Tree()), None)
    with pytest.raises(ValueError):
        FinalityGadget((AUTH[0], AUTH[0]), 0, g, View(Tree()), None)


def test_four_honest_finalize_head() -> None:
    net = Net()
    blocks = net.tree.extend(net.tree.genesis, 5)
    net.set_head(blocks[-1])
    net.run(5, until=lambda: all(g.finalized_block == (5, blocks[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (5, blocks[-1]) for g in net.gadgets)
    assert all(g.round <= 3 for g in net.gadgets)
    more = net.tree.extend(blocks[-1], 3)
    net.set_head(more[-1])
    net.run(5, until=lambda: all(g.finalized_block == (8, more[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (8, more[-1]) for g in net.gadgets)
    for f in net.finals:
        assert [n for n, _ in f] == [5, 8]
    assert all(not g.equivocations for g in net.gadgets)
    # neighbor packets
    nb = net.gadgets[0].neighbor()
    assert nb == Neighbor(net.gadgets[0].round, 0, 8)
    assert net.gadgets[0].on_neighbor(Neighbor(1, 0, 2)) is not None  # a lagging peer gets a Commit
    assert net.gadgets[0].on_neighbor(Neighbor(1, 7, 2)) is None  # other set


def test_empty_rounds_are_paced() -> None:
    net = Net()
    head = net.tree.extend(net.tree.genesis, 2)[-1]
    net.set_head(head)
    net.run(3)
    r = net.gadgets[0].round
    for _ in range(5):  # 0.5 s < timeout 1.0: no new round without something new to vote for
        net.step()
    assert net.gadgets[0].round == r
    net.run(30)
    assert r < net.gadgets[0].round < r + 8


def test_two_of_four_silent_then_back() -> None:
    net = Net()
    a = net.tree.extend(net.tree.genesis, 3)
    net.set_head(a[-1])
    net.run(5)
    assert all(g.finalized_block == (3, a[-1]) for g in net.gadgets)
    net.online[2] = net.online[3] = False
    b = net.tree.extend(a[-1], 3)
    net.set_head(b[-1])
    net.run(60)  # 6 s, several timeouts and rebroadcasts
    assert all(g.finalized_block == (3, a[-1]) for g in net.gadgets)
    net.online[2] = net.online[3] = True
    net.run(40, until=lambda: all(g.finalized_block == (6, b[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (6, b[-1]) for g in net.gadgets)
    for f in net.finals:
        assert f == [(3, a[-1]), (6, b[-1])]


def test_forks_finalize_common_ancestor_until_agreement() -> None:
    net = Net()
    common = net.tree.extend(net.tree.genesis, 3)
    left = net.tree.extend(common[-1], 2, b"L")
    right = net.tree.extend(common[-1], 2, b"R")
    net.set_head(left[-1], who=(0, 1))
    net.set_head(right[-1], who=(2, 3))
    net.run(50)
    assert all(g.finalized_block == (3, common[-1]) for g in net.gadgets)
    net.set_head(right[-1], who=(0, 1))  # fork choice converges on the right branch
    net.run(40, until=lambda: all(g.finalized_block == (5, right[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (5, right[-1]) for g in net.gadgets)
    assert all(h not in {x for _, x in f} for f in net.finals for h in left)


def test_equivocating_voter_recorded_and_harmless() -> None:
    net = Net()
    tree = net.tree
    common = tree.extend(tree.genesis, 3)
    fa = tree.add(common[-1], b"a")
    fb = tree.add(common[-1], b"b")
    net.set_head(fa, who=(0, 1))
    net.set_head(fb, who=(2,))
    net.online[3] = False  # Dave is byzantine: driven by hand below
    dave = KEYS[3]
    pa, pb = signed(dave, PREVOTE, fa, 4, 1), signed(dave, PREVOTE, fb, 4, 1)
    ca, cb = signed(dave, PRECOMMIT, fa, 4, 1), signed(dave, PRECOMMIT, fb, 4, 1)
    g = net.gadgets
    assert g[0].on_vote(pa, 0.0) == "accepted" and g[1].on_vote(pa, 0.0) == "accepted"
    assert g[2].on_vote(pb, 0.0) == "accepted"
    assert g[0].on_vote(ca, 0.0) == "accepted" and g[1].on_vote(ca, 0.0) == "accepted"
    assert g[2].on_vote(cb, 0.0) == "accepted"
    net.run(3)
    finals = [gd.finalized_block for gd in g[:3]]
    assert (4, fa) in finals[:2] or finals[0][0] == 3
    assert all(f[1] != fb for f in finals)
    # the other halves of Dave's votes reach everybody: recorded, ignored
    for gd in g[:3]:
        for v in (pa, pb, ca, cb):
            gd.on_vote(v, net.now)
    for gd in g[:3]:
        kinds = {(e.voter, e.round, e.kind) for e in gd.equivocations}
        assert kinds == {(dave.public, 1, PREVOTE), (dave.public, 1, PRECOMMIT)}
        e = next(e for e in gd.equivocations if e.kind == PRECOMMIT)
        assert {e.first, e.second} == {ca, cb}
        assert gd.on_vote(e.second, net.now) == "duplicate"
    third = signed(dave, PRECOMMIT, common[-1], 3, 1)
    assert g[0].on_vote(third, net.now) == "equivocation"
    assert len(g[0].equivocations) == 2
    net.run(20)
    for f in net.finals[:3]:
        assert all(h != fb for _, h in f)
    for i in range(3):
        for j in range(3):
            assert tree.comparable(g[i].finalized_block[1], g[j].finalized_block[1])


def _random_schedule(seed: int) -> tuple[int, int]:
    """3 honest gadgets + byzantine Dave, random forks, best-block changes, delivery order, delays,
    drops, commits and neighbor packets. Returns (highest finalized number, rounds reached)."""
    rng = random.Random(seed)
    tree = Tree()
    views = [View(tree) for _ in range(3)]
    gadgets = [FinalityGadget(AUTH, 0, tree.genesis, views[i], KEYS[i], 0.5) for i in range(3)]
    dave = KEYS[3]
    finals: list[list[tuple[int, bytes]]] = [[], [], []]
    queue: list[tuple[int, object]] = []  # (destination, message)
    leaves = [tree.genesis]
    now = 0.0
    for _step in range(300):
        now += 0.1
        # the block tree grows at random leaves
        if rng.random() < 0.4:
            parent = rng.choice(leaves)
            child = tree.add(parent, rng.randbytes(4))
            leaves = [x for x in leaves if x != parent] + [child]
            if rng.random() < 0.3:  # a fork: keep the parent as a leaf too
                leaves.append(parent)
        for i, v in enumerate(views):
            v.learn_all()
            fn, fh = v.fin
            ok = [x for x in leaves if tree.ancestor(x, fn) == fh]
            if ok and (rng.random() < 0.3 or tree.ancestor(v.head, fn) != fh):
                v.head = rng.choice(ok)
            if rng.random() < 0.2:
                gadgets[i].retry_pending(now)
        # byzantine: split votes (a different leaf to each honest node, equivocating), and
        # random signed votes for random blocks to random honest nodes
        if rng.random() < 0.5:
            for j in range(3):
                target = rng.choice(leaves)
                for kind in (PREVOTE, PRECOMMIT):
                    queue.append((j, signed(dave, kind, target, tree.num(target), gadgets[j].round)))
        for _ in range(rng.randrange(3)):
            rnd = max(1, rng.choice(gadgets).round + rng.choice((-1, 0, 0, 1)))
            target = rng.choice(list(tree.blocks))
            v = signed(dave, rng.choice((PREVOTE, PRECOMMIT)), target, tree.num(target), rnd)
            for j in range(3):
                if rng.random() < 0.6:
                    queue.append((j, v))
        for i, g in enumerate(gadgets):
            for v in g.on_tick(now):
                queue += [(j, v) for j in range(3) if j != i]
            if rng.random() < 0.1:
                nb = g.neighbor()
                for j in range(3):
                    if j != i:
                        c = gadgets[j].on_neighbor(nb)
                        if c is not None and rng.random() < 0.5:
                            queue.append((i, c))
        rng.shuffle(queue)
        keep = []
        for dest, m in queue:
            r = rng.random()
            if r < 0.15:
                continue  # dropped
            if r < 0.35:
                keep.append((dest, m))  # delayed
                continue
            if isinstance(m, Vote):
                gadgets[dest].on_vote(m, now)
            else:
                assert isinstance(m, Commit)
                out = gadgets[dest].on_commit(m, now)
                assert not out.startswith("invalid"), out
        queue = keep
        for i, g in enumerate(gadgets):
            for num, h, commit in g.take_finalized():
                assert verify_justification(commit, AUTH, 0, tree.genesis, views[i]) is None
                if finals[i]:
                    pn, ph = finals[i][-1]
                    assert num > pn and tree.ancestor(h, pn) == ph
                finals[i].append((num, h))
                views[i].fin = (num, h)
                queue += [(j, commit) for j in range(3) if j != i]
    everything = [h for f in finals for _, h in f]
    for a in everything:
        for b in everything:
            assert tree.comparable(a, b), "two conflicting blocks finalized"
    return max((n for f in finals for n, _ in f), default=0), max(g.round for g in gadgets)


@pytest.mark.parametrize("seed", range(16))
def test_randomized_safety_with_one_byzantine(seed: int) -> None:
    top, rounds = _random_schedule(seed)
    assert top > 0 and rounds > 3  # and it still makes progress


def test_vote_rejections() -> None:
    net = Net()
    head = net.tree.extend(net.tree.genesis, 2)[-1]
    net.set_head(head)
    g = net.gadgets[0]
    genesis = net.tree.genesis
    good = signed(KEYS[1], PREVOTE, head, 2, 1)
    bad_sig = dataclasses.replace(good, signature=bytes(64))
    assert g.on_vote(bad_sig, 0.0) == "bad-signature"
    assert g.on_vote(signed(EVE, PREVOTE, head, 2, 1), 0.0) == "unknown-voter"
    assert g.on_vote(signed(KEYS[1], PREVOTE, head, 2, 1, genesis=b"\7" * 32), 0.0) == "bad-signature"
    assert g.on_vote(signed(KEYS[1], PREVOTE, head, 2, 1, set_id=1), 0.0) == "wrong-set"
    forged_set = dataclasses.replace(good, set_id=1)
    assert g.on_vote(forged_set, 0.0) == "wrong-set"
    assert g.on_vote(dataclasses.replace(good, round=2), 0.0) == "bad-signature"  # round is signed
    assert g.on_vote(dataclasses.replace(good, kind=7), 0.0) == "malformed"
    assert g.on_vote(signed(KEYS[1], PREVOTE, head, 1, 1), 0.0) == "malformed"  # wrong number
    assert g.on_vote(good, 0.0) == "accepted"
    assert g.on_vote(good, 0.0) == "duplicate"
    assert verify(KEYS[1].public, vote_payload(PREVOTE, head, 2, 1, 0, genesis), good.signature)
    # drive the network a few rounds ahead, then old and future votes
    more = net.tree.extend(head, 1)
    net.set_head(more[-1])
    net.run(40)
    r = g.round
    assert r >= 4
    assert g.on_vote(signed(KEYS[1], PREVOTE, head, 2, r - 2), net.now) == "stale-round"
    assert g.on_vote(signed(KEYS[1], PREVOTE, head, 2, 0), net.now) == "stale-round"
    late = signed(KEYS[1], PRECOMMIT, head, 2, r - 1)
    assert g.on_vote(late, net.now) in (
        "equivocation",
        "accepted",
        "duplicate",
    )  # previous round: still counted
    fut = signed(KEYS[2], PREVOTE, more[-1], 3, r + 2)
    assert g.on_vote(fut, net.now) == "future-round"
    assert g.on_vote(fut, net.now) == "duplicate"
    far = signed(KEYS[2], PREVOTE, more[-1], 3, r + FUTURE_ROUNDS + 1)
    assert g.on_vote(far, net.now) == "future-round"
    assert (r + 2, PREVOTE, KEYS[2].public) in g._future
    assert (r + FUTURE_ROUNDS + 1, PREVOTE, KEYS[2].public) not in g._future
    # when round r+2 comes, the buffered vote is applied
    g._enter(r + 2, net.now)
    assert g._rounds[r + 2].prevotes.first[KEYS[2].public] == fut


def test_votes_for_unknown_blocks_buffered_then_applied() -> None:
    net = Net()
    base = net.tree.extend(net.tree.genesis, 4)
    net.set_head(base[-1])
    net.run(5)
    assert all(g.finalized_block == (4, base[-1]) for g in net.gadgets)
    new = net.tree.add(base[-1])
    net.set_head(new, who=(1, 2, 3))  # node 0 has not imported block 5 yet
    net.views[0].known.discard(new)
    net.run(10)
    assert [g.finalized_block[0] for g in net.gadgets] == [4, 5, 5, 5]
    assert net.gadgets[0]._unknown  # the votes for block 5 wait
    net.views[0].known.add(new)
    net.views[0].head = new
    assert net.gadgets[0].retry_pending(net.now) > 0
    net.collect()
    assert net.gadgets[0].finalized_block == (5, new)
    assert not net.gadgets[0]._unknown


def test_commit_catch_up_and_invalid_commits() -> None:
    net = Net()
    blocks = net.tree.extend(net.tree.genesis, 6)
    net.set_head(blocks[-1])
    net.online[0] = False  # Alice is away
    net.run(10)
    assert [g.finalized_block[0] for g in net.gadgets] == [0, 6, 6, 6]
    commit = net.gadgets[1].best_commit
    assert commit is not None and commit.target_hash == blocks[-1]
    alice = net.gadgets[0]
    v0 = net.views[0]
    bad = []
    bad.append((dataclasses.replace(commit, precommits=commit.precommits[:2]), "not > 2/3"))
    bad.append(
        (
            dataclasses.replace(commit, precommits=commit.precommits[:2] + commit.precommits[:1]),
            "duplicate voter",
        )
    )
    p0 = commit.precommits[0]
    flipped = dataclasses.replace(p0, signature=bytes([p0.signature[0] ^ 1]) + p0.signature[1:])
    bad.append((dataclasses.replace(commit, precommits=(flipped,) + commit.precommits[1:]), "bad signature"))
    sib = net.tree.add(blocks[-2], b"sibling")
    v0.known.add(sib)
    bad.append((dataclasses.replace(commit, target_hash=sib), "does not descend"))
    bad.append((dataclasses.replace(commit, target_number=5), "target number"))
    bad.append((dataclasses.replace(commit, set_id=3), "wrong set"))
    eve = signed(EVE, PRECOMMIT, blocks[-1], 6, commit.round)
    eve_p = dataclasses.replace(p0, voter=EVE.public, signature=eve.signature)
    bad.append((dataclasses.replace(commit, precommits=commit.precommits + (eve_p,)), "unknown voter"))
    bad.append((dataclasses.replace(commit, round=commit.round + 1), "bad signature"))
    for c, reason in bad:
        out = alice.on_commit(c, net.now)
        assert out.startswith("invalid: ") and reason in out, (out, reason)
        assert reason in (verify_justification(c, AUTH, 0, net.tree.genesis, v0) or "")
    assert alice.finalized_block[0] == 0
    # the valid one: Alice finalizes and jumps to the next round
    assert alice.on_commit(commit, net.now) == "finalized"
    assert alice.finalized_block == (6, blocks[-1])
    assert alice.round == commit.round + 1
    assert alice.on_commit(commit, net.now) == "already-final"
    net.collect()
    assert net.finals[0] == [(6, blocks[-1])]
    # and she votes with the others again
    net.online[0] = True
    more = net.tree.extend(blocks[-1], 2)
    net.set_head(more[-1])
    net.run(30, until=lambda: all(g.finalized_block == (8, more[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (8, more[-1]) for g in net.gadgets)


def test_commit_for_unknown_block_waits() -> None:
    net = Net()
    blocks = net.tree.extend(net.tree.genesis, 3)
    net.set_head(blocks[-1], who=(1, 2, 3))
    net.online[0] = False
    net.run(10)
    commit = net.gadgets[1].best_commit
    assert commit is not None
    alice = net.gadgets[0]
    net.views[0].known = {net.tree.genesis}
    assert alice.on_commit(commit, net.now) == "unknown-block"
    net.views[0].learn_all()
    assert alice.retry_pending(net.now) == 1
    assert alice.finalized_block == (3, blocks[-1])


def test_single_authority_dev_chain() -> None:
    net = Net(keys=KEYS[:1])
    g = net.gadgets[0]
    parent = net.tree.genesis
    for n in range(1, 6):
        parent = net.tree.add(parent)
        net.set_head(parent)
        votes = g.on_tick(float(n))
        assert [v.kind for v in votes] == [PREVOTE, PRECOMMIT]
        assert all(v.round == n for v in votes)
        got = g.take_finalized()
        assert [(x[0], x[1]) for x in got] == [(n, parent)]
        assert verify_justification(got[0][2], net.auth, 0, net.tree.genesis, net.views[0]) is None
        assert g.round == n + 1
    assert g.on_tick(5.5) == []  # nothing new, before the timeout: no vote


def test_observer_follows_without_voting() -> None:
    net = Net()
    blocks = net.tree.extend(net.tree.genesis, 3)
    net.set_head(blocks[-1])
    view = View(net.tree)
    obs = FinalityGadget(AUTH, 0, net.tree.genesis, view, None)
    for _ in range(5):
        net.now += 0.1
        votes = [v for gd in net.gadgets for v in gd.on_tick(net.now)]
        for _ in range(10):
            for v in votes:
                for gd in net.gadgets:
                    gd.on_vote(v, net.now)
                obs.on_vote(v, net.now)
            votes = [v for gd in net.gadgets for v in gd.on_tick(net.now)]
        assert obs.on_tick(net.now) == []
    assert obs.finalized_block == (3, blocks[-1])
    assert obs.take_finalized()[0][:2] == (3, blocks[-1])


def _split(net: Net, left_voters: tuple[int, ...], right_voters: tuple[int, ...]) -> tuple[list[bytes], list[bytes]]:
    """Finalize a common base, then give each side a fork the other side has never seen."""
    common = net.tree.extend(net.tree.genesis, 3)
    net.set_head(common[-1])
    net.run(10, until=lambda: all(g.finalized_block == (3, common[-1]) for g in net.gadgets))
    left = net.tree.extend(common[-1], 2, b"L")
    right = net.tree.extend(common[-1], 2, b"R")
    for side, own, other in ((left_voters, left, right), (right_voters, right, left)):
        for i in side:
            net.views[i].known = set(net.tree.blocks) - set(other)
            net.views[i].head = own[-1]
    return left, right


def _fetch_all(net: Net) -> None:
    """What the node does with missing_blocks(): fetch them by hash (the best block stays)."""
    for v, g in zip(net.views, net.gadgets, strict=True):
        v.learn_all()
        g.retry_pending(net.now)
    net.collect()


def test_split_vote_where_each_half_lacks_the_others_fork_resumes_once_blocks_are_fetched() -> None:
    """The wedge of the hardening issue: two voters prevoted blocks only they have; the other two
    cannot count those votes, so no prevote supermajority forms and the round never completes.
    The gadget names the blocks it lacks; once fetched, the round completes on the common ancestor
    and finality goes on where the fork choice converges."""
    net = Net()
    left, right = _split(net, (0, 1), (2, 3))
    net.run(50)
    assert all(g.finalized_block[0] == 3 for g in net.gadgets)
    stuck = [g.round for g in net.gadgets]
    net.run(30)
    assert [g.round for g in net.gadgets] == stuck, "rounds moved without a prevote supermajority"
    assert (5, left[-1]) in net.gadgets[2].missing_blocks() and (5, right[-1]) in net.gadgets[0].missing_blocks()
    _fetch_all(net)
    assert all(not g.missing_blocks() for g in net.gadgets)
    net.run(30, until=lambda: all(g.round > r for g, r in zip(net.gadgets, stuck, strict=True)))
    assert all(g.round > r for g, r in zip(net.gadgets, stuck, strict=True)), "the round never completed"
    assert all(g.finalized_block[0] == 3 for g in net.gadgets)  # neither fork has a supermajority
    net.set_head(right[-1])  # fork choice converges
    net.run(40, until=lambda: all(g.finalized_block == (5, right[-1]) for g in net.gadgets))
    assert all(g.finalized_block == (5, right[-1]) for g in net.gadgets)


def test_three_of_four_finalize_their_fork_and_the_fourth_follows_once_it_has_the_blocks() -> None:
    net = Net()
    left, right = _split(net, (0,), (1, 2, 3))
    net.run(40, until=lambda: all(net.gadgets[i].finalized_block == (5, right[-1]) for i in (1, 2, 3)))
    assert [g.finalized_block for g in net.gadgets[1:]] == [(5, right[-1])] * 3
    assert net.gadgets[0].finalized_block[0] == 3  # it cannot check votes for blocks it lacks
    assert (5, right[-1]) in net.gadgets[0].missing_blocks()
    _fetch_all(net)
    net.run(20, until=lambda: net.gadgets[0].finalized_block == (5, right[-1]))
    assert net.gadgets[0].finalized_block == (5, right[-1])
    assert all(h not in {x for _, x in f} for f in net.finals for h in left)
