"""GRANDPA-like finality gadget: pure, deterministic, synchronous vote logic.

No sockets, no asyncio, no clock: the node passes `now` (seconds) where timeouts matter, feeds it the
votes, commits and neighbor packets it receives, and broadcasts what `on_tick` returns. Many voters
can therefore be driven in memory by tests.

Protocol (a simplification of GRANDPA, Stewart & Kokoris-Kogia 2020), n authorities, threshold
t = floor(2n/3) + 1 (more than 2/3), f = n - t tolerated faults:

- Rounds r = 1, 2, ... Each voter keeps the estimate E of the round it last completed (at start:
  the finalized block).
- Prevote (round start): the head of the voter's best chain if it contains `base` (E, or the
  finalized block when that is higher and descends from E), else `base` itself. To avoid spinning
  through empty rounds, a voter waits before prevoting until there is something above the finalized
  block to vote for, another voter has prevoted in the round, or `round_timeout` has passed.
- Prevote GHOST g: the highest block B such that the prevotes for B or its descendants come from at
  least t voters (an equivocator counts for every block).
- Precommit g as soon as g exists and g descends from (or is) E. Never otherwise: after a timeout
  without a prevote supermajority the voter still does not precommit (safety first).
- Finalize: the highest block B for which t distinct voters precommitted B or descendants (here an
  equivocator counts only through the votes it actually signed), when B descends from the finalized
  block. The precommits for B or descendants, sorted by voter, are the justification (a Commit).
- Completable: at least t voters precommitted, g exists and either the estimate E_r (the highest
  ancestor of g that can still get t precommits, counting unseen voters and equivocators as
  supporters) is below g, or no child of g can still get t precommits. A voter moves to round r+1
  once round r is completable and it has precommitted (an observer: once g descends from E); it then
  freezes E_r. These two rules give the GRANDPA safety argument: a block finalized in round r is
  below every honest voter's E_r, so all honest prevotes and precommits of later rounds descend
  from it, and no conflicting block can gather t precommits.
- Votes of the previous round are still accepted (late precommits may raise finality); older ones
  are "stale-round". Votes up to FUTURE_ROUNDS ahead are buffered and applied when the round comes.
- Catch-up: a valid Commit of a round ahead of ours finalizes its target and makes the node jump to
  commit.round + 1, with E = the highest block that all but f of the commit's precommits reach (the
  wire has no CatchUp message carrying the round's prevotes, so that is the best safe estimate).
- Own votes of the current and previous round are re-broadcast every `round_timeout` (lossy links).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from p2p.messages import PRECOMMIT, PREVOTE, Commit, Neighbor, SignedPrecommit, Vote
from runtime.support import codec
from runtime.support.keys import ED25519, Keypair, verify

DOMAIN = b"taochain-grandpa"
FUTURE_ROUNDS = 4  # votes at most this many rounds ahead are buffered
MAX_PENDING_VOTES = 512  # votes for unknown blocks kept for retry_pending()
MAX_PENDING_COMMITS = 16
UNKNOWN_BLOCK = "unknown block"  # prefix of verify_justification's reason for unknown blocks

VOTE_OUTCOMES = (
    "accepted",
    "duplicate",
    "equivocation",
    "bad-signature",
    "unknown-voter",
    "wrong-set",
    "stale-round",
    "future-round",
    "unknown-block",
    "malformed",
)

Block = tuple[int, bytes]  # (number, hash)


def vote_payload(
    kind: int, target_hash: bytes, target_number: int, round: int, set_id: int, genesis_hash: bytes
) -> bytes:
    """The bytes an authority signs for a prevote or precommit (domain-tagged, bound to the chain)."""
    return codec.encode([DOMAIN, bytes(genesis_hash), set_id, round, kind, bytes(target_hash), target_number])


def threshold_of(n: int) -> int:
    """Votes needed for a supermajority (more than 2/3) of n authorities."""
    return 2 * n // 3 + 1


class ChainView(Protocol):
    def best(self) -> tuple[int, bytes]: ...

    def finalized(self) -> tuple[int, bytes]: ...

    def number_of(self, block_hash: bytes) -> int | None: ...

    def ancestor_at(self, block_hash: bytes, number: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Equivocation:
    """Two different votes of one voter for the same round and kind."""

    voter: bytes
    round: int
    kind: int
    first: Vote
    second: Vote


def _descends(chain: ChainView, block: Block, ancestor: Block) -> bool:
    """True when `block` is `ancestor` or one of its descendants."""
    return block[0] >= ancestor[0] and chain.ancestor_at(block[1], ancestor[0]) == ancestor[1]


def _highest_supported(
    chain: ChainView, entries: list[tuple[bytes, bytes, int]], need: int, floor: int = 0
) -> Block | None:
    """The highest block B such that `need` distinct voters of `entries` (voter, hash, number) voted
    for B or descendants; None if no block has that support. `floor` is a height hint to start at."""
    need = max(need, 1)
    if len(entries) < need:
        return None

    def best_at(h: int) -> tuple[int, bytes] | None:
        groups: dict[bytes, set[bytes]] = {}
        for voter, bh, num in entries:
            if num >= h:
                a = chain.ancestor_at(bh, h)
                if a is not None:
                    groups.setdefault(a, set()).add(voter)
        got = [(len(v), a) for a, v in groups.items() if len(v) >= need]
        if not got:
            return None
        got.sort(key=lambda x: (-x[0], x[1]))
        return got[0]

    top = max(num for _, _, num in entries)
    lo = min(max(floor, 0), top)
    found = best_at(lo)
    if found is None:
        if lo == 0:
            return None
        hi, lo = lo - 1, 0
        found = best_at(0)
        if found is None:
            return None
    else:
        hi = top
    best = (lo, found[1])
    # support at height h is non-increasing in h: binary search the highest qualifying height
    while lo < hi:
        mid = (lo + hi + 1) // 2
        got = best_at(mid)
        if got is None:
            hi = mid - 1
        else:
            lo, best = mid, (mid, got[1])
    return best


def verify_justification(
    commit: Commit, authorities: tuple[bytes, ...], set_id: int, genesis_hash: bytes, chain: ChainView
) -> str | None:
    """None when `commit` proves its target final (more than 2/3 of `authorities` signed precommits
    for the target or descendants); else the reason."""
    if commit.set_id != set_id:
        return f"wrong set id {commit.set_id} (expected {set_id})"
    members = set(authorities)
    seen: set[bytes] = set()
    for p in commit.precommits:
        if p.voter not in members:
            return f"unknown voter {p.voter.hex()}"
        if p.voter in seen:
            return f"duplicate voter {p.voter.hex()}"
        seen.add(p.voter)
    need = threshold_of(len(authorities))
    if len(seen) < need:
        return f"not > 2/3: {len(seen)} of {len(authorities)} precommits (need {need})"
    tnum = chain.number_of(commit.target_hash)
    if tnum is None:
        return f"{UNKNOWN_BLOCK} {commit.target_hash.hex()}"
    if tnum != commit.target_number:
        return f"target number {commit.target_number} != {tnum}"
    target = (commit.target_number, commit.target_hash)
    for p in commit.precommits:
        pnum = chain.number_of(p.target_hash)
        if pnum is None:
            return f"{UNKNOWN_BLOCK} {p.target_hash.hex()}"
        if pnum != p.target_number:
            return f"precommit target number {p.target_number} != {pnum}"
        if not _descends(chain, (p.target_number, p.target_hash), target):
            return f"precommit for {p.target_hash.hex()} does not descend from the target"
    for p in commit.precommits:
        msg = vote_payload(PRECOMMIT, p.target_hash, p.target_number, commit.round, set_id, genesis_hash)
        if not verify(p.voter, msg, p.signature):
            return f"bad signature of {p.voter.hex()}"
    return None


@dataclass
class _Votes:
    """One kind of vote in one round: first vote per voter, and the second of equivocators."""

    first: dict[bytes, Vote] = field(default_factory=dict)
    second: dict[bytes, Vote] = field(default_factory=dict)

    def voters(self) -> int:
        return len(self.first)

    def honest_entries(self) -> list[tuple[bytes, bytes, int]]:
        return [(v, x.target_hash, x.target_number) for v, x in self.first.items() if v not in self.second]

    def all_entries(self) -> list[tuple[bytes, bytes, int]]:
        out = [(v, x.target_hash, x.target_number) for v, x in self.first.items()]
        out += [(v, x.target_hash, x.target_number) for v, x in self.second.items()]
        return out


@dataclass
class _Round:
    number: int
    start: float
    prevotes: _Votes = field(default_factory=_Votes)
    precommits: _Votes = field(default_factory=_Votes)
    prevoted: bool = False
    precommitted: bool = False

    def of(self, kind: int) -> _Votes:
        return self.prevotes if kind == PREVOTE else self.precommits


class FinalityGadget:
    """One node's view of the finality protocol for one authority set (see the module docstring)."""

    def __init__(
        self,
        authorities: tuple[bytes, ...],
        set_id: int,
        genesis_hash: bytes,
        chain: ChainView,
        key: Keypair | None,
        round_timeout: float = 2.0,
    ) -> None:
        authorities = tuple(bytes(a) for a in authorities)
        if not authorities:
            raise ValueError("an authority set cannot be empty")
        if len(set(authorities)) != len(authorities):
            raise ValueError("duplicate authority")
        if key is not None and key.scheme != ED25519:
            raise ValueError(f"a finality voter key is ed25519, got an {key.scheme} key")
        self.authorities = authorities
        self._members = frozenset(authorities)
        self.set_id = set_id
        self.genesis_hash = bytes(genesis_hash)
        self.chain = chain
        self.key = key
        self.is_voter = key is not None and key.public in self._members
        self.round_timeout = round_timeout
        self.threshold = threshold_of(len(authorities))
        self.faults = len(authorities) - self.threshold
        self.round = 1
        self.equivocations: list[Equivocation] = []
        self.peer_round = 0  # highest round a neighbor reported (informational)
        self._now = 0.0
        self._fin: Block = tuple(chain.finalized())  # type: ignore[assignment]
        self._estimate: Block = self._fin  # E of the last completed round
        self._rounds: dict[int, _Round] = {1: _Round(1, 0.0)}
        self._round_started = False
        self._future: dict[tuple[int, int, bytes], list[Vote]] = {}
        self._unknown: dict[tuple[int, int, bytes], list[Vote]] = {}
        self._pending_commits: list[Commit] = []
        self._outbox: list[Vote] = []
        self._newly_final: list[tuple[int, bytes, Commit]] = []
        self._last_sent = 0.0
        self._last_prevote: Block | None = None
        self.best_commit: Commit | None = None  # the highest-round commit known (for lagging peers)

    # ------------------------------------------------------------------ public API

    @property
    def finalized_block(self) -> tuple[int, bytes]:
        return self._fin

    def on_tick(self, now: float) -> list[Vote]:
        """Advance the protocol; the signed votes this node should broadcast now."""
        self._touch(now)
        self._progress(now)
        out, self._outbox = self._outbox, []
        if out:
            self._last_sent = now
        elif self.is_voter and now - self._last_sent >= self.round_timeout:
            for r in (self.round - 1, self.round):
                st = self._rounds.get(r)
                if st is None:
                    continue
                for kind in (PREVOTE, PRECOMMIT):
                    v = st.of(kind).first.get(self.key.public)  # type: ignore[union-attr]
                    if v is not None:
                        out.append(v)
            self._last_sent = now
        return out

    def on_vote(self, vote: Vote, now: float) -> str:
        """Check and record a vote from a peer; one of VOTE_OUTCOMES."""
        self._touch(now)
        if vote.set_id != self.set_id:
            return "wrong-set"
        if vote.voter not in self._members:
            return "unknown-voter"
        if vote.kind not in (PREVOTE, PRECOMMIT):
            return "malformed"
        if vote.round < self.round - 1 or vote.round < 1:
            return "stale-round"
        key = (vote.round, vote.kind, vote.voter)
        if self._known(vote, key):
            return "duplicate"
        msg = vote_payload(
            vote.kind, vote.target_hash, vote.target_number, vote.round, self.set_id, self.genesis_hash
        )
        if not verify(vote.voter, msg, vote.signature):
            return "bad-signature"
        if vote.round > self.round:
            if vote.round <= self.round + FUTURE_ROUNDS:
                slot = self._future.setdefault(key, [])
                if len(slot) < 2:
                    slot.append(vote)
            return "future-round"
        outcome = self._apply(vote)
        if outcome == "accepted":
            self._progress(now)
        return outcome

    def retry_pending(self, now: float | None = None) -> int:
        """Re-try votes and commits that were waiting for unknown blocks (call after imports);
        the number that could be applied now."""
        if now is not None:
            self._touch(now)
        applied = 0
        pending, self._unknown = self._unknown, {}
        for key in sorted(pending):
            for vote in pending[key]:
                if vote.round < self.round - 1:
                    continue
                if vote.round > self.round:
                    self._future.setdefault(key, []).append(vote)
                    continue
                if self._apply(vote) != "unknown-block":
                    applied += 1
        commits, self._pending_commits = self._pending_commits, []
        for c in commits:
            if self.on_commit(c) != "unknown-block":
                applied += 1
        self._progress(self._now)
        return applied

    def on_commit(self, commit: Commit, now: float | None = None) -> str:
        """A Commit (justification) from a peer: "finalized", "already-final", "unknown-block"
        (kept and re-tried by retry_pending) or "invalid: <reason>"."""
        if now is not None:
            self._touch(now)
        reason = verify_justification(commit, self.authorities, self.set_id, self.genesis_hash, self.chain)
        if reason is not None:
            if reason.startswith(UNKNOWN_BLOCK):
                if len(self._pending_commits) < MAX_PENDING_COMMITS and commit not in self._pending_commits:
                    self._pending_commits.append(commit)
                return "unknown-block"
            return f"invalid: {reason}"
        self._sync_finalized()
        target = (commit.target_number, commit.target_hash)
        if _descends(self.chain, self._fin, target):
            outcome = "already-final"
        elif not _descends(self.chain, target, self._fin):
            return "invalid: target conflicts with the finalized block"
        else:
            self._finalize(target, commit)
            outcome = "finalized"
        if self.best_commit is None or commit.round > self.best_commit.round:
            self.best_commit = commit
        cur = self._rounds.get(self.round)
        if commit.round > self.round or (commit.round == self.round and not (cur and cur.precommitted)):
            self._jump(commit)  # (a voter that precommitted in the round completes it normally)
        elif commit.round >= self.round - 1:
            st = self._state(commit.round)
            for v in _precommit_votes(commit):
                if not self._known(v, (v.round, PRECOMMIT, v.voter)):
                    self._record(st, v)
        self._progress(self._now)
        return outcome

    def round_state(self) -> dict[str, Any]:
        """The current round as Substrate's `grandpa_roundState` shows it (authorities as raw keys:
        the RPC layer writes them as addresses)."""

        def tally(vs: _Votes) -> dict[str, Any]:
            return {"currentWeight": vs.voters(), "missing": [a for a in self.authorities if a not in vs.first]}

        def of(st: _Round) -> dict[str, Any]:
            return {
                "round": st.number, "totalWeight": len(self.authorities), "thresholdWeight": self.threshold,
                "prevotes": tally(st.prevotes), "precommits": tally(st.precommits),
            }

        prev = self._rounds.get(self.round - 1)
        return {"setId": self.set_id, "best": of(self._state(self.round)), "background": [of(prev)] if prev else []}

    def missing_blocks(self) -> list[tuple[int, bytes]]:
        """The blocks (number, hash) that kept votes and commits reference and this node lacks,
        highest first: the node fetches them (by hash, from the voters) so the votes can count."""
        out: dict[bytes, int] = {}
        for votes in self._unknown.values():
            for v in votes:
                out[v.target_hash] = v.target_number
        for c in self._pending_commits:
            out[c.target_hash] = c.target_number
            for p in c.precommits:
                out[p.target_hash] = p.target_number
        return sorted(((n, h) for h, n in out.items() if self.chain.number_of(h) is None), reverse=True)

    def take_finalized(self) -> list[tuple[int, bytes, Commit]]:
        """Blocks finalized since the last call, ascending, each with its justification."""
        out, self._newly_final = self._newly_final, []
        return out

    def neighbor(self) -> Neighbor:
        return Neighbor(round=self.round, set_id=self.set_id, finalized_number=self._fin[0])

    def on_neighbor(self, n: Neighbor) -> Commit | None:
        """Note a peer's position; returns our best Commit when that peer lags behind us (in rounds
        or in finality) so the caller can send it to that peer for catch-up, else None."""
        if n.set_id != self.set_id:
            return None
        self.peer_round = max(self.peer_round, n.round)
        c = self.best_commit
        if c is None:
            return None
        if n.finalized_number < c.target_number or n.round <= c.round:
            return c
        return None

    # ------------------------------------------------------------------ internals

    def _touch(self, now: float) -> None:
        self._now = now
        if not self._round_started:
            self._rounds[self.round].start = now
            self._round_started = True

    def _state(self, r: int) -> _Round:
        st = self._rounds.get(r)
        if st is None:
            st = self._rounds[r] = _Round(r, self._now)
        return st

    def _known(self, vote: Vote, key: tuple[int, int, bytes]) -> bool:
        st = self._rounds.get(vote.round)
        if st is not None:
            vs = st.of(vote.kind)
            if vs.first.get(vote.voter) == vote or vs.second.get(vote.voter) == vote:
                return True
        return vote in self._future.get(key, ()) or vote in self._unknown.get(key, ())

    def _apply(self, vote: Vote) -> str:
        """Record a signature-checked vote of the current or previous round."""
        num = self.chain.number_of(vote.target_hash)
        if num is None:
            key = (vote.round, vote.kind, vote.voter)
            slot = self._unknown.get(key)
            total = sum(len(x) for x in self._unknown.values())
            if total < MAX_PENDING_VOTES and (slot is None or len(slot) < 2):
                self._unknown.setdefault(key, []).append(vote)
            return "unknown-block"
        if num != vote.target_number:
            return "malformed"
        return self._record(self._state(vote.round), vote)

    def _record(self, st: _Round, vote: Vote) -> str:
        vs = st.of(vote.kind)
        first = vs.first.get(vote.voter)
        if first is None:
            vs.first[vote.voter] = vote
            return "accepted"
        if first == vote or vs.second.get(vote.voter) == vote:
            return "duplicate"
        if vote.voter not in vs.second:
            vs.second[vote.voter] = vote
            self.equivocations.append(Equivocation(vote.voter, vote.round, vote.kind, first, vote))
        return "equivocation"

    def _sign(self, kind: int, target: Block) -> Vote:
        assert self.key is not None
        msg = vote_payload(kind, target[1], target[0], self.round, self.set_id, self.genesis_hash)
        return Vote(self.round, self.set_id, kind, target[1], target[0], self.key.public, self.key.sign(msg))

    def _sync_finalized(self) -> None:
        """Adopt the chain's finalized block when the node finalized further by other means."""
        cf = tuple(self.chain.finalized())
        if cf[0] > self._fin[0] and _descends(self.chain, cf, self._fin):  # type: ignore[arg-type]
            self._fin = cf  # type: ignore[assignment]

    def _base(self) -> Block:
        e = self._estimate
        if self._fin[0] > e[0] and _descends(self.chain, self._fin, e):
            return self._fin
        return e

    def _prevote_target(self) -> Block:
        base = self._base()
        best = tuple(self.chain.best())
        if _descends(self.chain, best, base):  # type: ignore[arg-type]
            return best  # type: ignore[return-value]
        return base

    def _ghost(self, st: _Round) -> Block | None:
        vs = st.prevotes
        return _highest_supported(
            self.chain, vs.honest_entries(), self.threshold - len(vs.second), self._fin[0]
        )

    def _possible(self, vs: _Votes, block: Block) -> int:
        """How many precommits for `block` or descendants there could still be."""
        n = sum(
            1
            for _, h, num in vs.honest_entries()
            if num >= block[0] and self.chain.ancestor_at(h, block[0]) == block[1]
        )
        return n + len(vs.second) + len(self.authorities) - vs.voters()

    def _estimate_of(self, st: _Round, g: Block) -> Block:
        """The highest ancestor of g (or g) that can still get a precommit supermajority."""
        vs = st.precommits
        lo, hi = 0, g[0]
        if self._possible(vs, g) >= self.threshold:
            return g
        while lo < hi:
            mid = (lo + hi + 1) // 2
            a = self.chain.ancestor_at(g[1], mid)
            if a is not None and self._possible(vs, (mid, a)) >= self.threshold:
                lo = mid
            else:
                hi = mid - 1
        a = self.chain.ancestor_at(g[1], lo)
        return (lo, a if a is not None else g[1])

    def _completable(self, st: _Round, g: Block) -> tuple[bool, Block]:
        vs = st.precommits
        e = self._estimate_of(st, g)
        if vs.voters() < self.threshold:
            return False, e
        if e[0] < g[0]:
            return True, e
        groups: dict[bytes, int] = {}
        for _, h, num in vs.honest_entries():
            if num > g[0] and self.chain.ancestor_at(h, g[0]) == g[1]:
                c = self.chain.ancestor_at(h, g[0] + 1)
                if c is not None:
                    groups[c] = groups.get(c, 0) + 1
        best_child = max(groups.values(), default=0)
        spare = len(vs.second) + len(self.authorities) - vs.voters()
        return best_child + spare < self.threshold, e

    def _may_prevote(self, st: _Round, now: float) -> bool:
        if st.prevotes.voters() > 0:
            return True  # the round is under way: join it
        target = self._prevote_target()
        if target[0] > self._fin[0] and target != self._last_prevote:
            return True  # something new to finalize
        return now - st.start >= self.round_timeout  # else pace empty rounds

    def _try_finalize(self, st: _Round) -> None:
        vs = st.precommits
        b = _highest_supported(self.chain, vs.all_entries(), self.threshold, self._fin[0])
        if b is None:
            return
        chosen: list[SignedPrecommit] = []
        for voter in sorted(vs.first):
            for v in (vs.first[voter], vs.second.get(voter)):
                if v is not None and _descends(self.chain, (v.target_number, v.target_hash), b):
                    chosen.append(SignedPrecommit(v.target_hash, v.target_number, v.voter, v.signature))
                    break
        commit = Commit(st.number, self.set_id, b[1], b[0], tuple(chosen))
        if self.best_commit is None or commit.round > self.best_commit.round:
            self.best_commit = commit
        if b[0] > self._fin[0] and _descends(self.chain, b, self._fin):
            self._finalize(b, commit)

    def _finalize(self, block: Block, commit: Commit) -> None:
        assert block[0] > self._fin[0]
        self._fin = block
        self._newly_final.append((block[0], block[1], commit))

    def _progress(self, now: float) -> None:
        for _ in range(64):
            self._sync_finalized()
            st = self._state(self.round)
            changed = False
            if self.is_voter and not st.prevoted and self._may_prevote(st, now):
                target = self._prevote_target()
                v = self._sign(PREVOTE, target)
                self._last_prevote = target
                self._record(st, v)
                st.prevoted = True
                self._outbox.append(v)
                changed = True
            g = self._ghost(st)
            above_estimate = g is not None and _descends(self.chain, g, self._estimate)
            if self.is_voter and st.prevoted and not st.precommitted and above_estimate:
                assert g is not None
                v = self._sign(PRECOMMIT, g)
                self._record(st, v)
                st.precommitted = True
                self._outbox.append(v)
                changed = True
            for r in (self.round - 1, self.round):
                if r in self._rounds:
                    self._try_finalize(self._rounds[r])
            if g is not None and above_estimate and (st.precommitted or not self.is_voter):
                done, e = self._completable(st, g)
                if done:
                    self._advance(now, e)
                    changed = True
            if not changed:
                return

    def _advance(self, now: float, estimate: Block) -> None:
        self._estimate = estimate
        self._enter(self.round + 1, now)

    def _jump(self, commit: Commit) -> None:
        entries = [(p.voter, p.target_hash, p.target_number) for p in commit.precommits]
        e = _highest_supported(self.chain, entries, len(entries) - self.faults)
        target = (commit.target_number, commit.target_hash)
        self._estimate = e if e is not None else target
        self._enter(commit.round + 1, self._now)
        st = self._state(commit.round)
        for v in _precommit_votes(commit):
            self._record(st, v)

    def _enter(self, r: int, now: float) -> None:
        self.round = r
        self._round_started = True
        self._rounds = {k: v for k, v in self._rounds.items() if k >= r - 1}
        self._rounds[r] = _Round(r, now)
        for key in sorted(k for k in self._future if k[0] <= r):
            votes = self._future.pop(key)
            if key[0] >= r - 1:
                for v in votes:
                    self._apply(v)
        for key in [k for k in self._unknown if k[0] < r - 1]:
            del self._unknown[key]


def _precommit_votes(commit: Commit) -> list[Vote]:
    """A Commit's precommits as the Votes they were."""
    return [
        Vote(commit.round, commit.set_id, PRECOMMIT, p.target_hash, p.target_number, p.voter, p.signature)
        for p in commit.precommits
    ]
