"""The node on the network: block announcements and sync, transaction gossip, finality votes.

`NetworkService` joins a `Node` to a `p2p.peers.PeerSet`:
- every new best block (authored or imported) is announced; a peer's announcement of a block we
  lack starts a sync from that peer: blocks by range (at most 256 per request), imported in order
  with their justifications, until we reach its best;
- transactions the pool accepts are gossiped (batched), and transactions from peers enter the pool;
  each is forwarded once (deduplicated by hash);
- with several authorities, the finality gadget (node/finality.py) runs here: it votes on our best
  chain, collects the peers' signed votes, and finalizes a block once more than 2/3 of the
  authorities precommitted to it or its descendants; the justification is stored with the block
  and gossiped as a Commit, which lets nodes that were away finalize too;
- on local-beacon chains, the partial signatures of the beacon's rounds (node/beacon.py) are
  gossiped: each valid one is relayed once (deduplicated per round and share), so partials reach
  nodes that are not directly connected to their signer.

Bad data costs the peer reputation (p2p.peers bans it past the threshold): undecodable messages,
blocks with a bad seal or a wrong state root, votes with bad signatures, invalid justifications,
beacon partials with a bad share index or signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from typing import TYPE_CHECKING, Any

from node.beacon import ACCEPTED as PARTIAL_ACCEPTED
from node.beacon import INVALID as INVALID_PARTIAL
from node.finality import FinalityGadget, verify_justification
from node.precheck import ParallelPrecheck
from node.service import FutureBlock
from p2p import transport
from p2p.messages import (
    MAX_BLOCKS_PER_REQUEST,
    MAX_MESSAGE,
    MAX_TXS_PER_MESSAGE,
    AncestryRequest,
    BeaconPartial,
    BlockAnnounce,
    BlockRequest,
    BlockResponse,
    Commit,
    Neighbor,
    Transactions,
    Vote,
)
from p2p.peers import BAD_MESSAGE, Peer, PeerConfig, PeerSet, SeenCache
from runtime.block import Block, Header
from runtime.executive import BlockError, InvalidReason
from runtime.support.codec import CodecError, decode_obj, encode_obj
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, Keypair

if TYPE_CHECKING:
    from node.service import Node
    from node.txpool import PoolError

log = logging.getLogger("taochain.net")

INVALID_TX = -20  # a transaction no honest pool accepts (bad signature, undecodable, an inherent)
OUTDATED_TX = -1  # one that was valid elsewhere a moment ago (nonce, balance): adds up only in a flood
MAX_TX_PENALTY = -100  # of one Transactions message (small penalties stay small: see _tx_penalty)
TX_BATCH_SECONDS = 0.05
FINALITY_TICK = 0.1
REQUEST_TIMEOUT = 10.0
MAJOR_SYNC_BLOCKS = 8  # further behind a peer than this, the node reports itself syncing
SYNC_STALLED_SECONDS = 3.0  # a range sync that delivered nothing for this long is not "syncing"
NEAR_BLOCKS = 64  # an announced block at most this far above our best is fetched by hash
ANCESTRY_BLOCKS = 64  # blocks asked for per AncestryRequest
MAX_ANCESTRY_REQUESTS = 4  # chained for one block; deeper forks are left to the range sync
MAX_FETCHES = 8  # by-hash fetches in flight (one per block, one per peer)
FETCH_GRACE_SECONDS = 0.5  # a block that votes reference is left this long to its announcement
FETCH_RETRY_SECONDS = 1.0  # a block that votes need is asked for again (of another peer) after this
MAX_TRACKED = 4096  # bound of the per-block bookkeeping (fetch attempts, who voted for what)
UNDELIVERED = -50  # a peer that announced or claimed blocks and served none of them: twice bans
FUTURE_HEADER = -20  # an announced header from a slot further ahead than clock drift explains
ROLE_FULL, ROLE_AUTHORITY = 1, 4


class ChainAdapter:
    """The finality gadget's view of the node's chain (node/finality.py ChainView)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def best(self) -> tuple[int, bytes]:
        h = self.node.best
        return h.number, h.hash()

    def finalized(self) -> tuple[int, bytes]:
        h = self.node.finalized
        return h.number, h.hash()

    def number_of(self, block_hash: bytes) -> int | None:
        header = self.node.db.header(block_hash)
        return None if header is None else header.number

    def ancestor_at(self, block_hash: bytes, number: int) -> bytes | None:
        db = self.node.db
        header = db.header(block_hash)
        if header is None or number > header.number or number < 0:
            return None
        if db.hash_at(header.number) == block_hash:  # on the best chain: the canonical index
            return db.hash_at(number)
        h = block_hash
        while header is not None and header.number > number:
            h = header.parent_hash
            header = db.header(h)
        return h if header is not None else None


class NetworkService:
    def __init__(self, node: Node, identity: Keypair, config: PeerConfig) -> None:
        if identity.scheme != ED25519:
            raise ValueError(f"the p2p identity is an ed25519 key, got an {identity.scheme} key")
        self.node = node
        self.identity = identity
        self.peers = PeerSet(
            identity, self._hello, self._on_message, config, on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
        )
        self.seen_txs = SeenCache()
        self.seen_votes = SeenCache()
        self._tx_queue: list[tuple[bytes, bytes]] = []
        self._tx_origin: dict[bytes, str] = {}
        self._tx_inflight: set[bytes] = set()  # peers' transactions being checked by the intake
        self._request_ids = itertools.count(1)
        self._requests: dict[int, tuple[str, asyncio.Future]] = {}
        self._syncing: asyncio.Task | None = None
        self._sync_target = 0
        self._sync_delivered_at = 0.0  # monotonic time the range sync last imported blocks
        self._fetching: dict[bytes, asyncio.Task] = {}  # block hash -> its by-hash fetch
        self._fetch_peers: set[str] = set()  # peers a by-hash fetch is waiting on
        self._fetch_tries: dict[bytes, tuple[float, int]] = {}  # block hash -> (last try, tries)
        self._vote_source: dict[bytes, str] = {}  # block hash -> a peer that sent votes for it
        self._tasks: list[asyncio.Task] = []
        self.chain = ChainAdapter(node)
        auths = node.authorities()
        self.authorities = auths
        key = node.key if node.key is not None and node.key.public in auths else None
        self.gadget: FinalityGadget | None = None
        if len(auths) > 1:
            self.gadget = FinalityGadget(auths, 0, node.genesis.hash, self.chain, key)
        self.role = ROLE_AUTHORITY if key is not None else ROLE_FULL
        node.head_listeners.append(self._on_new_head)
        node.pool.accept_listeners.append(self._on_tx_accepted)
        self.beacon = getattr(node, "beacon", None)
        if self.beacon is not None:
            self.beacon.publish = self.peers.broadcast

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.peers.start()
        self._tasks.append(asyncio.create_task(self._tx_gossip_loop(), name="tx-gossip"))
        if self.gadget is not None:
            self._tasks.append(asyncio.create_task(self._finality_loop(), name="finality"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self._syncing is not None:
            self._syncing.cancel()
        for t in [*self._tasks, *([self._syncing] if self._syncing else [])]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        await self.peers.stop()

    @property
    def is_syncing(self) -> bool:
        """Catching up from far behind (not the one-block fetch that follows each announcement)."""
        if self._syncing is None or self._syncing.done():
            return False
        if time.monotonic() - self._sync_delivered_at > SYNC_STALLED_SECONDS:
            return False  # a far-ahead claim that is not being delivered: business as usual
        return self._sync_target - self.node.best.number > MAJOR_SYNC_BLOCKS

    def _hello(self) -> transport.Hello:
        best, fin = self.node.best, self.node.finalized
        return transport.Hello(
            self.node.genesis.hash, transport.PROTOCOL_VERSION, self.role, best.number, best.hash(),
            fin.number, fin.hash(), self.peers.port, self.node.config.name[:64],
        )

    async def _on_connect(self, peer: Peer) -> None:
        if peer.best_number > self.node.best.number:
            self._start_sync(peer)
        if self.gadget is not None:
            await self.peers.send(peer, self.gadget.neighbor())
        if self.beacon is not None:  # the partials of the rounds under way
            for partial in self.beacon.recent_partials():
                await self.peers.send(peer, partial)

    # ------------------------------------------------------------------ dispatch
    async def _on_message(self, peer: Peer, msg: Any) -> int:
        if isinstance(msg, Transactions):
            return await self._on_transactions(peer, msg)
        if isinstance(msg, BlockAnnounce):
            return self._on_announce(peer, msg)
        if isinstance(msg, BlockRequest):
            return await self._on_block_request(peer, msg)
        if isinstance(msg, AncestryRequest):
            return await self._on_ancestry_request(peer, msg)
        if isinstance(msg, BlockResponse):
            pending = self._requests.pop(msg.request_id, None)
            if pending is None or pending[0] != peer.peer_id:
                return -5  # unsolicited
            if not pending[1].done():
                pending[1].set_result(msg)
            return 0
        if isinstance(msg, Vote):
            return await self._on_vote(peer, msg)
        if isinstance(msg, Commit):
            return await self._on_commit(peer, msg)
        if isinstance(msg, BeaconPartial):
            return await self._on_beacon_partial(peer, msg)
        if isinstance(msg, Neighbor):
            if self.gadget is not None:
                commit = self.gadget.on_neighbor(msg)
                if commit is not None:  # the peer lags: our latest justification lets it catch up
                    await self.peers.send(peer, commit)
            return 0
        return 0

    # ------------------------------------------------------------------ blocks
    #
    # Two ways in, so that no single peer decides what this node follows:
    # - by hash (AncestryRequest): a validly sealed announcement of a block near our best, or a
    #   block that finality votes reference, is fetched with its missing ancestors from the peer
    #   that announced it (or, for votes, from the voters' side), whatever fork it is on;
    # - by range (BlockRequest): a peer far ahead is followed number by number; a peer that claims
    #   blocks and serves none loses reputation and its claim, and the next peer is tried.
    def _on_new_head(self, header: Header) -> None:
        if self.is_syncing and not self._is_own(header):
            return  # catching up: the head is announced once the sync ends
        msg = BlockAnnounce(header.encode(), True)
        asyncio.get_running_loop().create_task(self.peers.broadcast(msg))

    def _is_own(self, header: Header) -> bool:
        key = self.node.key
        slot = header.slot()
        return key is not None and slot is not None and self.authorities[slot % len(self.authorities)] == key.public

    def _on_disconnect(self, peer: Peer) -> None:
        for rid, (pid, fut) in list(self._requests.items()):
            if pid == peer.peer_id:
                del self._requests[rid]
                if not fut.done():
                    fut.set_result(None)

    def _on_announce(self, peer: Peer, msg: BlockAnnounce) -> int:
        try:
            header = Header.decode(msg.header)
        except (CodecError, ValueError):
            return BAD_MESSAGE
        h = header.hash()
        db = self.node.db
        if not db.has_block(h):
            # checked before anything is fetched for it or its height believed: a forged header
            # costs the peer its connection, and an honest one is fetched from that very peer
            try:
                self.node.check_seal(header, self.authorities)
            except FutureBlock:
                return FUTURE_HEADER
            except BlockError as exc:
                self.peers.report(peer, BAD_MESSAGE, f"announced header: {exc}")
                return 0
        if header.number >= peer.best_number:
            peer.best_number, peer.best_hash = header.number, h
        if db.has_block(h) or header.number <= self.node.finalized.number:
            return 0
        if db.has_block(header.parent_hash) or header.number <= self.node.best.number + NEAR_BLOCKS:
            self._fetch(h, header.number, peer, announced=True)
        else:
            self._start_sync(peer)
        return 0

    async def _on_block_request(self, peer: Peer, msg: BlockRequest) -> int:
        db = self.node.db
        hashes = []
        for number in range(msg.from_number, msg.from_number + min(msg.max_blocks, MAX_BLOCKS_PER_REQUEST)):
            h = db.hash_at(number)
            if h is None:
                break
            hashes.append(h)
        await self._respond(peer, msg.request_id, hashes)
        return 0

    async def _on_ancestry_request(self, peer: Peer, msg: AncestryRequest) -> int:
        db = self.node.db
        hashes: list[bytes] = []
        h = msg.block_hash
        while len(hashes) < min(msg.max_blocks, MAX_BLOCKS_PER_REQUEST):
            header = db.header(h)
            if header is None or header.number == 0:
                break
            hashes.append(h)
            h = header.parent_hash
        hashes.reverse()
        await self._respond(peer, msg.request_id, hashes)
        return 0

    async def _respond(self, peer: Peer, request_id: int, hashes: list[bytes]) -> None:
        """A BlockResponse with the blocks of `hashes` (ascending) and their justifications, cut
        where the message would pass half the size limit."""
        db = self.node.db
        blocks: list[bytes] = []
        justs: list[bytes] = []
        size = 0
        for h in hashes:
            blk = db.block(h)
            if blk is None:
                break
            data = blk.encode()
            j = db.justification(h) or b""
            size += len(data) + len(j) + 16
            if blocks and size > MAX_MESSAGE // 2:
                break
            blocks.append(data)
            justs.append(j)
        await self.peers.send(peer, BlockResponse(request_id, tuple(blocks), tuple(justs)))

    def _start_sync(self, peer: Peer) -> None:
        if self._syncing is not None and not self._syncing.done():
            return
        self._sync_target = peer.best_number
        self._syncing = asyncio.get_running_loop().create_task(self._sync_from(peer), name="sync")

    async def _request(self, peer: Peer, msg: BlockRequest | AncestryRequest) -> BlockResponse | None:
        """Send a request (its id is set here) and wait for the answer; None when the peer is gone
        or too slow (which costs it reputation)."""
        rid = next(self._request_ids)
        msg = dataclasses.replace(msg, request_id=rid)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._requests[rid] = (peer.peer_id, fut)
        if not await self.peers.send(peer, msg):
            self._requests.pop(rid, None)
            return None
        try:
            return await asyncio.wait_for(fut, REQUEST_TIMEOUT)
        except TimeoutError:
            self._requests.pop(rid, None)
            self.peers.report(peer, -20, "block request timed out")
            return None

    def _decode_blocks(self, peer: Peer, resp: BlockResponse) -> list[Block] | None:
        if len(resp.justifications) != len(resp.blocks):
            self.peers.report(peer, BAD_MESSAGE, "block response: justifications do not match blocks")
            return None
        try:
            blocks = [Block.decode(data) for data in resp.blocks]
        except (CodecError, ValueError):
            self.peers.report(peer, BAD_MESSAGE, "undecodable block")
            return None
        for a, b in zip(blocks, blocks[1:], strict=False):
            if b.header.parent_hash != a.hash():
                self.peers.report(peer, BAD_MESSAGE, "block response: blocks do not form a chain")
                return None
        return blocks

    async def _import_blocks(self, peer: Peer, blocks: list[Block], justs: list[bytes]) -> int:
        """Import a chain of blocks (oldest first, the first one's parent known) with their
        justifications; the number imported or already known before one failed."""
        node = self.node
        # every signature of the batch is checked in the worker process while blocks execute
        pre = None
        if len(blocks) > 1:
            hashes = {b.header.number - 1: b.header.parent_hash for b in blocks}
            pre = ParallelPrecheck(
                [(b.header.number, b.extrinsics) for b in blocks], node.payloads.extended(hashes)
            )
        last = len(blocks) - 1
        for i, (block, just) in enumerate(zip(blocks, justs, strict=True)):
            try:
                await node.import_block(block, durable=i == last, prechecked=pre)
            except BlockError as exc:
                # blocks on a fork we finalized against come from honest peers that have not
                # seen that finality yet (as with Commits, not the sender's fault alone)
                if "does not descend from the finalized block" not in str(exc):
                    self.peers.report(peer, BAD_MESSAGE, f"bad block #{block.header.number}: {exc}")
                return i
            if just:
                await self._apply_justification(peer, just)
        return len(blocks)

    def _fetch(self, block_hash: bytes, number: int, peer: Peer, announced: bool) -> None:
        """Fetch a block (and its missing ancestors) by hash from `peer`, once at a time per block
        and per peer."""
        if block_hash in self._fetching or peer.peer_id in self._fetch_peers or len(self._fetching) >= MAX_FETCHES:
            return
        task = asyncio.get_running_loop().create_task(self._fetch_ancestry(block_hash, number, peer, announced))
        self._fetching[block_hash] = task
        self._fetch_peers.add(peer.peer_id)

        def done(_t: asyncio.Task) -> None:
            self._fetching.pop(block_hash, None)
            self._fetch_peers.discard(peer.peer_id)

        task.add_done_callback(done)

    async def _fetch_ancestry(self, block_hash: bytes, number: int, peer: Peer, announced: bool) -> None:
        db = self.node.db
        chain: list[tuple[list[Block], tuple[bytes, ...]]] = []  # newest segment first
        want = block_hash
        # as many as can be missing: down to our finalized block (one, for the usual next block)
        count = max(1, min(ANCESTRY_BLOCKS, number - self.node.finalized.number))
        for _ in range(MAX_ANCESTRY_REQUESTS):
            resp = await self._request(peer, AncestryRequest(0, want, count))
            if resp is None:
                return
            if not resp.blocks:
                if announced:  # it announced the block: it must be able to serve it
                    self.peers.report(peer, UNDELIVERED, f"announced block #{number} and served none of it")
                return
            blocks = self._decode_blocks(peer, resp)
            if blocks is None:
                return
            if blocks[-1].hash() != want:
                self.peers.report(peer, BAD_MESSAGE, "ancestry response: not the block asked for")
                return
            known = [db.has_block(b.hash()) for b in blocks]
            start = known.index(False) if False in known else len(blocks)
            chain.append((blocks[start:], resp.justifications[start:]))
            first = blocks[start] if start < len(blocks) else None
            if first is None or db.has_block(first.header.parent_hash):
                for seg, justs in reversed(chain):
                    if seg and await self._import_blocks(peer, seg, list(justs)) < len(seg):
                        return
                return
            if first.header.number <= self.node.finalized.number + 1:
                return  # a fork below our finalized block: nothing to import
            want, count = first.header.parent_hash, ANCESTRY_BLOCKS
        self._start_sync(peer)  # a long way down to a common ancestor: the range sync's job

    async def _fetch_missing(self) -> None:
        """Ask for the blocks that kept finality votes reference (so they count): first of the
        peer that sent the votes, then of every peer that may have them, in turn."""
        assert self.gadget is not None
        now = time.monotonic()
        if len(self._fetch_tries) > MAX_TRACKED:
            self._fetch_tries.clear()
        if len(self._vote_source) > MAX_TRACKED:
            self._vote_source.clear()
        for number, h in self.gadget.missing_blocks()[:MAX_FETCHES]:
            if h not in self._fetch_tries:  # votes often come before the block's announcement
                self._fetch_tries[h] = (now - FETCH_RETRY_SECONDS + FETCH_GRACE_SECONDS, 0)
                continue
            last, tries = self._fetch_tries[h]
            if h in self._fetching or now - last < FETCH_RETRY_SECONDS:
                continue
            source = self.peers.peers.get(self._vote_source.get(h, ""))
            others = sorted(
                (p for p in self.peers.peers.values() if p is not source and p.best_number >= number),
                key=lambda p: p.peer_id,
            )
            candidates = ([source] if source is not None else []) + others
            if not candidates:
                continue
            self._fetch_tries[h] = (now, tries + 1)
            self._fetch(h, number, candidates[tries % len(candidates)], announced=False)

    async def _sync_from(self, peer: Peer) -> None:
        """Download and import blocks from `peer` until we reach its best (or it fails us); then
        go on with the peer furthest ahead, if any."""
        try:
            await self._sync_loop(peer)
        finally:
            best = self.node.best
            await self.peers.broadcast(BlockAnnounce(best.encode(), True))
            ahead = [p for p in self.peers.peers.values() if p.best_number > best.number + NEAR_BLOCKS]
            if ahead and not self.peers.stopping:
                nxt = max(ahead, key=lambda p: (p.best_number, p.peer_id))
                self._sync_target = nxt.best_number
                self._syncing = asyncio.get_running_loop().create_task(self._sync_from(nxt), name="sync")

    async def _sync_loop(self, peer: Peer) -> None:
        """The next range is requested while the current one is imported."""
        node = self.node
        from_number = node.best.number + 1
        loop = asyncio.get_running_loop()
        prefetch: asyncio.Task | None = None
        try:
            while peer.peer_id in self.peers.peers and peer.best_number >= from_number:
                if prefetch is not None and prefetch.get_name() == str(from_number):
                    resp = await prefetch
                else:
                    if prefetch is not None:
                        prefetch.cancel()
                    resp = await self._request(peer, BlockRequest(0, from_number, MAX_BLOCKS_PER_REQUEST))
                prefetch = None
                if resp is None or not resp.blocks:
                    if resp is not None and peer.best_number >= from_number:
                        # a few blocks short: an honest peer whose best moved to a shorter fork
                        # since it said so; far short: a claim it never meant to back
                        far = peer.best_number > from_number + NEAR_BLOCKS
                        self.peers.report(
                            peer, BAD_MESSAGE if far else UNDELIVERED,
                            f"claimed best #{peer.best_number} and served no block #{from_number}",
                        )
                    # its claim is not believed any more (a new announcement renews it)
                    peer.best_number = min(peer.best_number, from_number - 1)
                    return
                blocks = self._decode_blocks(peer, resp)
                if blocks is None:
                    return
                next_from = from_number + len(blocks)
                if peer.best_number >= next_from:
                    req = BlockRequest(0, next_from, MAX_BLOCKS_PER_REQUEST)
                    prefetch = loop.create_task(self._request(peer, req), name=str(next_from))
                if not node.db.has_block(blocks[0].header.parent_hash):
                    # the peer's chain forks below our best: fetch from our finalized block on
                    if from_number > node.finalized.number + 1:
                        from_number = node.finalized.number + 1
                        continue
                    log.debug("peer %s is on a fork below our finalized block", peer.peer_id)
                    return
                done = await self._import_blocks(peer, blocks, list(resp.justifications))
                if done:
                    self._sync_delivered_at = time.monotonic()
                if done < len(blocks):
                    return
                from_number = blocks[-1].header.number + 1
        finally:
            if prefetch is not None:
                prefetch.cancel()

    # ------------------------------------------------------------------ transactions
    def _on_tx_accepted(self, h: bytes, data: bytes) -> None:
        """The pool took a transaction (from RPC or a peer): gossip it once."""
        if self.seen_txs.first_seen(h):
            self._tx_queue.append((h, data))

    async def _on_transactions(self, peer: Peer, msg: Transactions) -> int:
        """Peers' transactions go through the node's intake (signatures checked off the loop, the
        message's in one job) into the pool, and are gossiped on only once it accepts them; each
        one the pool refuses costs the sender by the PoolError's typed reason (see _tx_penalty)."""
        from node.txpool import PoolError

        fresh: dict[bytes, bytes] = {}
        for data in msg.txs[:MAX_TXS_PER_MESSAGE]:
            h = blake2_256(data)
            if h in self.seen_txs or h in self._tx_inflight or h in fresh:
                continue
            fresh[h] = data
        if not fresh:
            return 0
        if len(self._tx_origin) > 65536:
            self._tx_origin.clear()
        for h in fresh:
            self._tx_origin[h] = peer.peer_id
        self._tx_inflight.update(fresh)
        try:
            outcomes = await self.node.intake.submit_batch(list(fresh.values()))
        finally:
            self._tx_inflight.difference_update(fresh)
            for h in fresh:
                self.seen_txs.first_seen(h)  # after the pool: an accepted one was queued for gossip
        bad = outdated = 0
        for outcome in outcomes:
            if isinstance(outcome, PoolError):
                penalty = _tx_penalty(outcome)
                bad += penalty == INVALID_TX
                outdated += penalty == OUTDATED_TX
        # outdated ones count for at most a tenth of a ban per message, however many it held
        return max(MAX_TX_PENALTY, bad * INVALID_TX + max(outdated * OUTDATED_TX, MAX_TX_PENALTY // 10))

    async def _tx_gossip_loop(self) -> None:
        while True:
            await asyncio.sleep(TX_BATCH_SECONDS)
            if not self.peers.peers:
                self._tx_queue.clear()  # nobody to tell; a peer that connects later syncs blocks
                continue
            if not self._tx_queue:
                continue
            batch, self._tx_queue = self._tx_queue, []
            by_origin: dict[str | None, list[bytes]] = {}
            for h, data in batch:
                by_origin.setdefault(self._tx_origin.pop(h, None), []).append(data)
            for origin, txs in by_origin.items():
                targets = [pid for pid in self.peers.peers if pid != origin]
                for i in range(0, len(txs), MAX_TXS_PER_MESSAGE):
                    part = txs[i : i + MAX_TXS_PER_MESSAGE]
                    if await self.peers.broadcast(Transactions(tuple(part)), exclude=origin) and targets:
                        # Substrate's {"broadcast": [peer ids]} to the watchers of these
                        self.node.pool.on_broadcast([blake2_256(x) for x in part], targets)

    # ------------------------------------------------------------------ beacon
    async def _on_beacon_partial(self, peer: Peer, msg: BeaconPartial) -> int:
        if self.beacon is None:
            return 0
        outcome = await self.beacon.receive(msg)
        if outcome in INVALID_PARTIAL:
            log.debug("beacon partial %d/%d from %s: %s", msg.round, msg.index, peer.peer_id, outcome)
            return BAD_MESSAGE
        if outcome == PARTIAL_ACCEPTED:
            await self.peers.broadcast(msg, exclude=peer.peer_id)
        return 0

    # ------------------------------------------------------------------ finality
    async def _finality_loop(self) -> None:
        gadget = self.gadget
        assert gadget is not None
        last_neighbor = 0.0
        while True:
            await asyncio.sleep(FINALITY_TICK)
            now = time.monotonic()
            gadget.retry_pending(now)
            await self._fetch_missing()
            for vote in gadget.on_tick(now):
                self._first_seen(vote)
                await self.peers.broadcast(vote)
            await self._apply_finalized()
            if now - last_neighbor > 2.0:
                last_neighbor = now
                await self.peers.broadcast(gadget.neighbor())

    def _first_seen(self, msg: Vote | Commit) -> bool:
        """True the first time this finality message passes here (it is handled and forwarded once)."""
        return self.seen_votes.first_seen(blake2_256(encode_obj(msg)))

    async def _on_vote(self, peer: Peer, vote: Vote) -> int:
        if self.gadget is None or not self._first_seen(vote):
            return 0
        outcome = self.gadget.on_vote(vote, time.monotonic())
        if outcome in ("bad-signature", "unknown-voter", "wrong-set", "malformed"):
            return BAD_MESSAGE
        if outcome == "unknown-block":  # fetched by the finality loop, from this peer first
            self._vote_source.setdefault(vote.target_hash, peer.peer_id)
        if outcome in ("accepted", "future-round", "unknown-block", "equivocation"):
            await self.peers.broadcast(vote, exclude=peer.peer_id)
        await self._apply_finalized()
        return 0

    async def _on_commit(self, peer: Peer, commit: Commit) -> int:
        if self.gadget is None or not self._first_seen(commit):
            return 0
        outcome = self.gadget.on_commit(commit, time.monotonic())
        if outcome == "unknown-block":  # kept by the gadget; fetch the blocks it needs
            if commit.target_number > self.node.best.number:
                peer.best_number = max(peer.best_number, commit.target_number)
                self._start_sync(peer)
            return 0
        if outcome.startswith("invalid"):
            if "conflicts with the finalized" in outcome:
                return 0  # a fork we finalized against: not the sender's fault alone
            return BAD_MESSAGE
        await self._apply_finalized()
        return 0

    async def _apply_justification(self, peer: Peer, data: bytes) -> None:
        """A justification that came with a synced block: verify it and finalize."""
        try:
            commit = decode_obj(Commit, data)
        except CodecError:
            self.peers.report(peer, BAD_MESSAGE, "undecodable justification")
            return
        if self.gadget is not None:
            outcome = self.gadget.on_commit(commit, time.monotonic())
            if outcome.startswith("invalid") and "conflicts" not in outcome:
                self.peers.report(peer, BAD_MESSAGE, f"justification {outcome}")
            await self._apply_finalized()
            return
        reason = verify_justification(commit, self.authorities, 0, self.node.genesis.hash, self.chain)
        if reason is None:
            await self.node.finalize(commit.target_hash, data)

    async def _apply_finalized(self) -> None:
        gadget = self.gadget
        if gadget is None:
            return
        for _number, block_hash, commit in gadget.take_finalized():
            if await self.node.finalize(block_hash, encode_obj(commit)):
                self._first_seen(commit)
                await self.peers.broadcast(commit)


def _tx_penalty(exc: PoolError) -> int:
    """What a transaction the pool refused costs the peer that sent it, decided by the error's
    code and typed reason (never its text): nothing for the pool's own policy (already known,
    banned for a while, priority, limits); OUTDATED_TX where an honest node may have accepted it a
    moment ago (nonce, fees, resources, call-specific validity: our state moved on); INVALID_TX
    where no honest pool would have (signature, chain, undecodable, inherent)."""
    from node.txpool import POOL_INVALID_TX, VERIFICATION_ERROR

    if exc.code == VERIFICATION_ERROR:
        return INVALID_TX  # not even an extrinsic of this runtime
    if exc.code != POOL_INVALID_TX:
        return 0
    reason = exc.reason
    if reason in (InvalidReason.Stale, InvalidReason.Future, InvalidReason.Payment, InvalidReason.ExhaustsResources,
                  InvalidReason.Custom, InvalidReason.AncientBirthBlock):
        return OUTDATED_TX
    return INVALID_TX
