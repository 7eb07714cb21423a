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
import itertools
import logging
import time
from typing import TYPE_CHECKING, Any

from node.beacon import ACCEPTED as PARTIAL_ACCEPTED
from node.beacon import INVALID as INVALID_PARTIAL
from node.finality import FinalityGadget, verify_justification
from node.precheck import ParallelPrecheck
from p2p import transport
from p2p.messages import (
    MAX_BLOCKS_PER_REQUEST,
    MAX_MESSAGE,
    MAX_TXS_PER_MESSAGE,
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
from runtime.executive import BlockError
from runtime.support.codec import CodecError, decode_obj, encode_obj
from runtime.support.hashing import blake2_256
from runtime.support.keys import Keypair

if TYPE_CHECKING:
    from node.service import Node

log = logging.getLogger("taochain.net")

INVALID_TX = -20  # a transaction that fails validity for a reason the sender should have seen
TX_BATCH_SECONDS = 0.05
FINALITY_TICK = 0.1
REQUEST_TIMEOUT = 10.0
MAJOR_SYNC_BLOCKS = 8  # further behind a peer than this, the node reports itself syncing
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
        self.node = node
        self.identity = identity
        self.peers = PeerSet(identity, self._hello, self._on_message, config, on_connect=self._on_connect)
        self.seen_txs = SeenCache()
        self.seen_votes = SeenCache()
        self._tx_queue: list[tuple[bytes, bytes]] = []
        self._tx_origin: dict[bytes, str] = {}
        self._request_ids = itertools.count(1)
        self._requests: dict[int, tuple[str, asyncio.Future]] = {}
        self._syncing: asyncio.Task | None = None
        self._sync_target = 0
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
            return self._on_transactions(peer, msg)
        if isinstance(msg, BlockAnnounce):
            return self._on_announce(peer, msg)
        if isinstance(msg, BlockRequest):
            return await self._on_block_request(peer, msg)
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
    def _on_new_head(self, header: Header) -> None:
        if self.is_syncing:
            return  # catching up: the head is announced once the sync ends
        msg = BlockAnnounce(header.encode(), True)
        asyncio.get_running_loop().create_task(self.peers.broadcast(msg))

    def _on_announce(self, peer: Peer, msg: BlockAnnounce) -> int:
        try:
            header = Header.decode(msg.header)
        except (CodecError, ValueError):
            return BAD_MESSAGE
        h = header.hash()
        if header.number >= peer.best_number:
            peer.best_number, peer.best_hash = header.number, h
        if self.node.db.has_block(h):
            return 0
        if header.number > self.node.best.number or not self.node.db.has_block(header.parent_hash):
            self._start_sync(peer)
        return 0

    async def _on_block_request(self, peer: Peer, msg: BlockRequest) -> int:
        db = self.node.db
        blocks: list[bytes] = []
        justs: list[bytes] = []
        size = 0
        count = min(msg.max_blocks, MAX_BLOCKS_PER_REQUEST)
        for number in range(msg.from_number, msg.from_number + count):
            h = db.hash_at(number)
            blk = db.block(h) if h is not None else None
            if blk is None:
                break
            data = blk.encode()
            j = db.justification(h) or b""
            size += len(data) + len(j) + 16
            if blocks and size > MAX_MESSAGE // 2:
                break
            blocks.append(data)
            justs.append(j)
        await self.peers.send(peer, BlockResponse(msg.request_id, tuple(blocks), tuple(justs)))
        return 0

    def _start_sync(self, peer: Peer) -> None:
        if self._syncing is not None and not self._syncing.done():
            return
        self._sync_target = peer.best_number
        self._syncing = asyncio.get_running_loop().create_task(self._sync_from(peer), name="sync")

    async def _request(self, peer: Peer, from_number: int, count: int) -> BlockResponse | None:
        rid = next(self._request_ids)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._requests[rid] = (peer.peer_id, fut)
        if not await self.peers.send(peer, BlockRequest(rid, from_number, count)):
            self._requests.pop(rid, None)
            return None
        try:
            return await asyncio.wait_for(fut, REQUEST_TIMEOUT)
        except TimeoutError:
            self._requests.pop(rid, None)
            self.peers.report(peer, -20, "block request timed out")
            return None

    async def _sync_from(self, peer: Peer) -> None:
        """Download and import blocks from `peer` until we reach its best (or it fails us); the
        next range is requested while the current one is imported."""
        try:
            await self._sync_loop(peer)
        finally:
            best = self.node.best
            await self.peers.broadcast(BlockAnnounce(best.encode(), True))

    async def _sync_loop(self, peer: Peer) -> None:
        node = self.node
        from_number = node.best.number + 1
        loop = asyncio.get_running_loop()
        prefetch: asyncio.Task | None = None
        while peer.peer_id in self.peers.peers and peer.best_number >= from_number:
            if prefetch is not None and prefetch.get_name() == str(from_number):
                resp = await prefetch
            else:
                if prefetch is not None:
                    prefetch.cancel()
                resp = await self._request(peer, from_number, MAX_BLOCKS_PER_REQUEST)
            prefetch = None
            if resp is None or not resp.blocks:
                return
            if len(resp.justifications) != len(resp.blocks):
                self.peers.report(peer, BAD_MESSAGE, "block response: justifications do not match blocks")
                return
            next_from = from_number + len(resp.blocks)
            if peer.best_number >= next_from:
                prefetch = loop.create_task(self._request(peer, next_from, MAX_BLOCKS_PER_REQUEST), name=str(next_from))
            try:
                blocks = [Block.decode(data) for data in resp.blocks]
            except (CodecError, ValueError):
                self.peers.report(peer, BAD_MESSAGE, "undecodable block")
                return
            # every signature of the batch is checked in the worker process while blocks execute
            pre = ParallelPrecheck([x for b in blocks for x in b.extrinsics])
            last = len(blocks) - 1
            for i, (block, just) in enumerate(zip(blocks, resp.justifications, strict=True)):
                if not node.db.has_block(block.header.parent_hash):
                    # the peer's chain forks below our best: fetch from our finalized block on
                    if from_number > node.finalized.number + 1:
                        from_number = node.finalized.number + 1
                        break
                    # a fork we finalized against: an honest peer that has not seen that finality
                    # yet sends such blocks (as with Commits, not the sender's fault alone)
                    log.debug("peer %s is on a fork below our finalized block", peer.peer_id)
                    return
                try:
                    await node.import_block(block, durable=i == last, prechecked=pre)
                except BlockError as exc:
                    if "does not descend from the finalized block" not in str(exc):
                        self.peers.report(peer, BAD_MESSAGE, f"bad block #{block.header.number}: {exc}")
                    return
                if just:
                    await self._apply_justification(peer, just)
                from_number = block.header.number + 1
        if prefetch is not None:
            prefetch.cancel()

    # ------------------------------------------------------------------ transactions
    def _on_tx_accepted(self, h: bytes, data: bytes) -> None:
        """The pool took a transaction (from RPC or a peer): gossip it once."""
        if self.seen_txs.first_seen(h):
            self._tx_queue.append((h, data))

    def _on_transactions(self, peer: Peer, msg: Transactions) -> int:
        from node.txpool import POOL_INVALID_TX, PoolError

        delta = 0
        for data in msg.txs[:MAX_TXS_PER_MESSAGE]:
            h = blake2_256(data)
            if h in self.seen_txs:
                continue
            if len(self._tx_origin) > 65536:
                self._tx_origin.clear()
            self._tx_origin[h] = peer.peer_id
            try:
                self.node.submit(data)
            except PoolError as exc:
                if exc.code == POOL_INVALID_TX and "signature" in str(exc.data or exc).lower():
                    delta += INVALID_TX
            finally:
                self.seen_txs.first_seen(h)
        return delta

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
                for i in range(0, len(txs), MAX_TXS_PER_MESSAGE):
                    await self.peers.broadcast(Transactions(tuple(txs[i : i + MAX_TXS_PER_MESSAGE])), exclude=origin)

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
