"""The full node: chain database, Aura authoring, block import, the transaction pool, notifications.

One asyncio loop drives everything. Block building and execution run in a worker thread (the loop
keeps answering RPC meanwhile); every write to the database happens on the loop, one atomic batch
per block (node/chain_db.py), so a `kill -9` at any moment leaves the last committed block intact.

Authoring: `slot = now_ms // slot_ms`; the author is `authorities[slot % n]`. A node with the slot's
key builds on its best block from the pool's ready transactions, seals the header's pre-hash with its
ed25519 key and imports the block like any other. Import verifies the seal, the slot author, the
slot (after the parent's, not in the future) and the parent, re-executes, and compares roots. Fork
choice: the longest chain that contains the finalized block. With a single authority every block is
final at once; with several, finality comes from the finality gadget (not in this build: blocks
stay unfinalized).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from node import authoring
from node.authoring import FutureBlock  # raised by check_seal (node/network.py catches it from here)
from node.beacon import BeaconService
from node.chain_db import ChainDB, LevelDBKV, MemoryKV
from node.intake import Intake
from node.precheck import ParallelPrecheck, Payloads, SignatureCache
from node.txpool import PoolError, PoolLimits, TxPool
from runtime.block import Block, Header
from runtime.executive import BlockError, BlockResult, build_block, execute_block, validate_transaction
from runtime.genesis import new_runtime
from runtime.presets import ChainSpec, get_preset
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, Keypair, keypair_from_uri
from runtime.support.trie import Trie

log = logging.getLogger("taochain")

MAX_BLOCK_TXS = 20_000  # transactions offered to a block (weight and the deadline cut it further)
FULL_REVALIDATION_EVERY = 16  # blocks; in between only senders whose account changed are re-checked
# A single authority finalizes each block as it imports it, so a transaction's inBlock and finalized
# statuses would leave together. Substrate's GRANDPA finalizes a round later; clients rely on the gap:
# @polkadot/api fetches a status's events before it reports the status and drops a status superseded
# meanwhile (an inBlock never seen). The finalized status to watchers (only) waits this long.
FINALIZED_STATUS_DELAY = 0.5  # seconds
PROPOSAL_SHARE = 0.7  # share of the slot a block's building, finalizing and committing may take


@dataclasses.dataclass(frozen=True, slots=True)
class NodeConfig:
    chain: str = "dev"  # dev | local | path to a chain-spec JSON
    base_path: Path | None = None  # None: a temporary folder, removed at exit
    name: str = "taochain-node"
    key_uri: str | None = None  # the authority key this node authors with
    block_time_ms: int | None = None
    state_pruning: int | None = 256  # None = archive
    in_memory: bool = False  # MemoryKV instead of LevelDB (tests)
    author: bool = True
    pool_limit: int = 8192  # ready transactions the pool holds (Substrate's --pool-limit)
    yuma_backend: str = "auto"  # auto | numpy | cupy | reference: same bits, different speed
    p2p_port: int | None = None  # None: no networking (a dev chain on its own); 0: an ephemeral port
    p2p_host: str = "0.0.0.0"
    bootnodes: tuple[str, ...] = ()  # multiaddrs: /ip4/127.0.0.1/tcp/30333/p2p/12D3KooW...
    node_key: bytes | None = None  # the 32-byte ed25519 seed of the network identity
    beacon_share: Path | None = None  # a local beacon share file (node/beacon.py)
    drand_pulses: Path | None = None  # drand pulses (JSON) to put in blocks
    drand_url: str | None = None  # drand's HTTP API to poll for pulses


def load_spec(chain: str) -> ChainSpec:
    if chain in ("dev", "local", "mainnet-like"):
        return get_preset(chain)
    import json

    path = Path(chain)
    if not path.exists():
        raise ValueError(f"unknown chain {chain!r}: use dev, local, mainnet-like or the path of a chain-spec JSON file")
    try:
        return ChainSpec.from_json(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def short(h: bytes) -> str:
    return f"0x{h[:2].hex()}…{h[-2:].hex()}"


class Node:
    """A taochain node. `await node.start()`, then `await node.stop()`."""

    def __init__(self, config: NodeConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        spec = load_spec(config.chain)
        if config.block_time_ms is not None:
            if config.block_time_ms < 250:
                raise ValueError("--block-time-ms must be at least 250 (subtensor's fast blocks)")
            spec = spec.with_slot_duration(config.block_time_ms)
        self.spec = spec
        self.runtime, self.genesis = new_runtime(spec, config.yuma_backend)
        log.info("Yuma epochs run on %s", self.runtime.yuma_backend.name)
        # the authority key (Aura seals, finality votes, beacon share) is ed25519 (runtime/presets.py)
        self.key: Keypair | None = keypair_from_uri(config.key_uri, ED25519) if config.key_uri else None
        # the randomness beacon whose pulses the author puts in blocks (drand_status shows its state)
        self.beacon = BeaconService(
            spec.drand, spec.authorities, self.key.public if self.key is not None else None, clock=clock,
            share_file=config.beacon_share, pulses_file=config.drand_pulses, url=config.drand_url,
        )
        self.beacon.chain_round = self.last_stored_round
        self._tmpdir: str | None = None
        if config.in_memory:
            kv: Any = MemoryKV()
        else:
            base = config.base_path
            if base is None:
                self._tmpdir = tempfile.mkdtemp(prefix="taochain-")
                base = Path(self._tmpdir)
            self.base_path = Path(base)
            (self.base_path / "chains" / spec.id).mkdir(parents=True, exist_ok=True)
            kv = LevelDBKV(self.base_path / "chains" / spec.id / "db")
        self.db = ChainDB(kv, config.state_pruning)
        if not self.db.is_initialized:
            self.db.init_genesis(
                self.genesis.block, self.genesis.items, self.genesis.trie_update.new_nodes, spec.dumps()
            )
        elif self.db.genesis_hash != self.genesis.hash:
            raise ValueError(
                f"the database at {config.base_path} belongs to another chain (genesis "
                f"0x{self.db.genesis_hash.hex()}); use another --base-path or --chain"
            )
        # signed payloads as the node knows them: its canonical block hashes (node/precheck.py)
        self.payloads = Payloads.of(self.runtime, self.db.hash_at)
        self.sigs = SignatureCache(
            runtime=self.runtime, payload_for=lambda xt: self.payloads.payload(xt, self.db.best_header.number + 1)
        )
        self.pool = TxPool(self._validate, PoolLimits(max_ready=config.pool_limit))
        # the one way in for transactions (RPC and gossip): checked off the loop, then the pool
        self.intake = Intake(
            self.pool, self.sigs, self.runtime, self.payloads, lambda: self.db.best_header.number + 1
        )
        self.slot_ms = spec.slot_duration_ms
        self.network: Any = None  # node.network.NetworkService when networking runs
        self.head_listeners: list[Callable[[Header], None]] = []
        self.finality_listeners: list[Callable[[Header], None]] = []
        self.import_listeners: list[Callable[[float], None]] = []
        # (header, events) of every committed block: observers only (metrics, RPC all-heads), never consensus
        self.block_listeners: list[Callable[[Header, tuple], None]] = []
        # (header, storage changes) of each block that becomes the best: RPC storage subscriptions
        self.best_block_listeners: list[Callable[[Header, Mapping[bytes, bytes | None]], None]] = []
        self.blocks_authored = 0
        self._tasks: list[asyncio.Task] = []
        self._lock = asyncio.Lock()
        self._stopping = False
        self.blocks_since_full_revalidation = 0
        self._post_cost = 30e-6  # seconds per transaction to finalize and commit a block (learned)
        self._last_best = self.db.best_hash
        self.started_at = clock()

    # ------------------------------------------------------------------ views
    @property
    def best(self) -> Header:
        return self.db.best_header

    @property
    def finalized(self) -> Header:
        return self.db.finalized_header

    def call_api(self, name: str, at: bytes | None = None, *args: Any) -> Any:
        """Runtime API `name` over the state after the best block (or block `at`)."""
        if at is None or at == self.db.best_hash:
            return self.runtime.call_api(name, self.db.best_state(), self.best.number, *args)
        return self.runtime.call_api(name, self.db.state_at(at), self.db.header(at).number, *args)

    def authorities(self, at: bytes | None = None) -> tuple[bytes, ...]:
        return self.call_api("AuraApi_authorities", at)

    def last_stored_round(self, at: bytes | None = None) -> int:
        """The highest drand round stored at the best block (or `at`)."""
        return self.call_api("DrandApi_last_stored_round", at)

    def _validate(self, data: bytes):
        self.sigs.add(data)  # a hit for what came through the intake; decoded and verified here on a miss
        return validate_transaction(self.runtime, self.db.best_state(), self.db.best_header, data, self.sigs)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        best, fin = self.best, self.finalized
        log.info("🏷  Node name: %s", self.config.name)
        log.info("⛓  Chain: %s (genesis %s)", self.spec.name, short(self.db.genesis_hash))
        log.info("📦 Highest known block at #%d, finalized #%d", best.number, fin.number)
        if self.key is not None and self.config.author:
            if self.key.public in self.authorities():
                log.info("👴 Authoring with key %s (slot %d ms)", self.key.ss58, self.slot_ms)
                self._tasks.append(asyncio.create_task(self._author_loop(), name="author"))
            else:
                log.warning("the key %s is not an authority of this chain: not authoring", self.key.ss58)
        self._tasks.append(asyncio.create_task(self._informant(), name="informant"))
        self._tasks.append(asyncio.create_task(self.beacon.run(), name="beacon"))
        from node.sigworker import get_verifier

        get_verifier()  # the signature worker process, started now rather than on the first big block
        # long-lived objects (runtime, caches, genesis) need no rescanning by the cyclic GC, and
        # blocks allocate many short-lived objects: collect less often
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)

    async def stop(self) -> None:
        self._stopping = True
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        await self.beacon.close()
        async with self._lock:
            self.db.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # ------------------------------------------------------------------ authoring
    def current_slot(self) -> int:
        return int(self.clock() * 1000) // self.slot_ms

    async def _author_loop(self) -> None:
        while not self._stopping:
            now_ms = self.clock() * 1000
            next_slot = int(now_ms // self.slot_ms) + 1
            await asyncio.sleep(max(0.0, (next_slot * self.slot_ms - now_ms) / 1000))
            slot = self.current_slot()
            try:
                await self.author_block(slot)
            except asyncio.CancelledError:
                raise
            except Exception:  # a failing slot must not stop the node
                log.exception("authoring in slot %d failed", slot)

    async def author_block(self, slot: int) -> Block | None:
        """Build, seal and import a block for `slot` if this node's key is that slot's author."""
        if self.key is None:
            return None
        async with self._lock:
            parent = self.best
            if authoring.slot_author(self.authorities(), slot) != self.key.public:
                return None
            if not authoring.slot_follows(parent, slot):
                return None
            candidates = self.pool.ready()[:MAX_BLOCK_TXS]
            state = self.db.best_state()
            pulses = self.beacon.pulses_for_block(self.last_stored_round())
            inherents = authoring.block_inherents(self.runtime, slot, self.slot_ms, pulses)  # timestamp, pulses
            prechecked = self.sigs  # every pool transaction was checked at entry
            # proposal deadline: adding transactions stops early enough that finalizing the block
            # (roots, events) and committing it also fit in the slot; the per-transaction cost of
            # those is learned from the previous blocks
            budget = self.slot_ms * PROPOSAL_SHARE / 1000
            start = time.monotonic()
            added = [0, start]

            def should_stop() -> bool:
                added[0] += 64
                added[1] = time.monotonic()
                return added[1] - start + added[0] * self._post_cost > budget
            log.info("🙌 Starting consensus session on top of parent %s (#%d)", short(parent.hash()), parent.number)
            t0 = time.perf_counter()

            def build(txs: list[bytes]) -> tuple[BlockResult, list]:
                # this module's build_block, looked up at each call (a test swaps it for a failing one)
                return authoring.build_on(
                    self.runtime, state, Trie(self.db, parent.state_root), parent, slot, inherents, txs, prechecked,
                    should_stop, build_block,
                )

            loop = asyncio.get_running_loop()

            async def attempt(txs: list[bytes]) -> tuple[BlockResult, list]:
                try:
                    return await loop.run_in_executor(None, build, txs)
                except BlockError as exc:  # a bad pulse must never stop block production
                    if len(inherents) < 2 or "write_pulse" not in str(exc):
                        raise
                    log.warning(
                        "⚠️  Beacon pulses of rounds %d..%d refused (%s): block #%d goes without them",
                        pulses[0].round, pulses[-1].round, exc, parent.number + 1,
                    )
                    self.beacon.discard([p.round for p in pulses])
                    del inherents[1:]
                    return await loop.run_in_executor(None, build, txs)

            try:
                result, rejected = await attempt(candidates)
            except Exception:  # a bug hit by some transaction must not stall the chain
                if not candidates:
                    raise
                log.exception("building block #%d failed; authoring it without transactions", parent.number + 1)
                result, rejected = await attempt([])
            header = authoring.seal(result.header, self.key)
            block = Block(header, result.extrinsics)
            if rejected:  # re-validation after import drops the invalid ones from the pool
                log.debug("%d pool transactions left out of block #%d", len(rejected), header.number)
            log.info(
                "🎁 Prepared block for proposing at %d (%d ms) [hash: %s; parent_hash: %s; extrinsics (%d)]",
                header.number, int((time.perf_counter() - t0) * 1000), short(header.hash()), short(parent.hash()),
                len(block.extrinsics),
            )
            self._commit(block, result, time.perf_counter() - t0)
            self.blocks_authored += 1
            n = len(block.extrinsics)
            if n > 256:  # learn the finalize + commit cost per transaction
                per_tx = (time.monotonic() - added[1]) / n
                self._post_cost = 0.7 * self._post_cost + 0.3 * per_tx
            return block

    # ------------------------------------------------------------------ import
    def verify_header(self, header: Header) -> None:
        """Seal, slot and author checks (before execution). Raises BlockError."""
        parent = self.db.header(header.parent_hash)
        if parent is None:
            raise BlockError(f"unknown parent {short(header.parent_hash)}")
        if header.number != parent.number + 1:
            raise BlockError("block number does not follow its parent")
        slot = authoring.header_slot(header)
        fin = self.finalized
        if parent.number < fin.number or (parent.number == fin.number and parent.hash() != fin.hash()):
            raise BlockError(f"block #{header.number} does not descend from the finalized block #{fin.number}")
        if not authoring.slot_follows(parent, slot):
            raise BlockError("slot does not increase")
        self.check_seal(header, self.authorities(header.parent_hash))

    def check_seal(self, header: Header, authorities: tuple[bytes, ...] | None = None) -> None:
        """The checks a header passes without its parent (so an announced header is checked before
        anything is fetched for it): an Aura slot, not in the future, sealed by that slot's author
        (of `authorities`, default the best block's). Raises BlockError."""
        auths = authorities if authorities is not None else self.authorities()
        authoring.check_seal(header, auths, self.current_slot())

    async def import_block(self, block: Block, durable: bool = True, prechecked: Any = None) -> bool:
        """Verify and execute a block from elsewhere; returns True when it became the best.
        `durable=False` (blocks of a sync batch but its last) skips the fsync of the write;
        `prechecked` (a ParallelPrecheck over a whole sync batch) has its signatures checked already."""
        async with self._lock:
            h = block.hash()
            if self.db.has_block(h):
                return False
            self.verify_header(block.header)
            parent_hash = block.header.parent_hash
            state = self.db.best_state() if parent_hash == self.db.best_hash else self.db.state_at(parent_hash)
            trie = Trie(self.db, self.db.header(parent_hash).state_root)
            t0 = time.perf_counter()
            if prechecked is not None:
                pre = prechecked
            else:
                pre = self.sigs
                if len(block.extrinsics) > 64:
                    payloads = self.payloads.extended({block.header.number - 1: parent_hash})
                    pre = ParallelPrecheck([(block.header.number, block.extrinsics)], payloads)
            result = await asyncio.get_running_loop().run_in_executor(
                None, lambda: execute_block(self.runtime, state, trie, block, pre)
            )
            return self._commit(block, result, time.perf_counter() - t0, durable)

    def _commit(self, block: Block, result: BlockResult, seconds: float, durable: bool = True) -> bool:
        header = block.header
        h = header.hash()
        becomes_best = header.number > self.best.number
        single = len(self.authorities(header.parent_hash)) == 1
        self.db.commit_block(
            block, result.changes, result.trie_update, set_best=becomes_best,
            finalized=h if (single and becomes_best) else None, durable=durable,
        )
        for fn in self.import_listeners:
            fn(seconds)
        for fn in list(self.block_listeners):
            fn(header, result.events)
        # blocks of a sync batch (not durable) are summed up by the informant instead
        log.log(logging.INFO if durable else logging.DEBUG, "✨ Imported #%d (%s)", header.number, short(h))
        if becomes_best:
            included = [blake2_256(x) for x in block.extrinsics]
            self.blocks_since_full_revalidation += 1
            senders = None
            if self.blocks_since_full_revalidation < FULL_REVALIDATION_EVERY and header.parent_hash == self._last_best:
                senders = self.runtime.changed_accounts(result.changes)
            else:
                self.blocks_since_full_revalidation = 0
            self.pool.on_block_imported(included, block_hash=h, only_senders=senders)
            self._last_best = h
            self.sigs.discard(block.extrinsics)
            for fn in list(self.head_listeners):
                fn(header)
            for fn in list(self.best_block_listeners):
                fn(header, result.changes)
            if single:
                try:
                    asyncio.get_running_loop().call_later(FINALIZED_STATUS_DELAY, self.pool.on_finalized, h, included)
                except RuntimeError:  # no event loop (a synchronous caller): no watcher to keep apart
                    self.pool.on_finalized(h, included)
                for fn in list(self.finality_listeners):
                    fn(header)
        return becomes_best

    # ------------------------------------------------------------------ finality
    async def finalize(self, block_hash: bytes, justification: bytes | None) -> bool:
        """Finalize a block and its ancestors with its justification (from the finality gadget or
        a peer's verified Commit). A block off the best chain becomes the best first (finality
        decides the fork). Returns False when unknown or not above the finalized block."""
        async with self._lock:
            header = self.db.header(block_hash)
            fin = self.finalized
            if header is None or header.number <= fin.number:
                return False
            if self.db.hash_at(header.number) != block_hash:
                log.warning("♻️  Reorg: block #%d (%s) was finalized on another fork", header.number, short(block_hash))
                self.db.set_best(block_hash)
            old_number = fin.number
            self.db.set_finalized(block_hash, justification)
            for number in range(old_number + 1, header.number + 1):
                h = self.db.hash_at(number)
                blk = self.db.block(h) if h is not None else None
                if blk is not None:
                    self.pool.on_finalized(h, [blake2_256(x) for x in blk.extrinsics])
            for fn in list(self.finality_listeners):
                fn(header)
            return True

    # ------------------------------------------------------------------ transactions
    async def submit(self, data: bytes) -> bytes:
        """Through the intake (signature checked off the loop) into the pool; raises PoolError
        (1002 undecodable, 1010 invalid with its reason, 1011, 1012, 1013, 1014, 1016)."""
        return await self.intake.submit(data)

    # ------------------------------------------------------------------ informant
    async def _informant(self) -> None:
        while True:
            await asyncio.sleep(5)
            best, fin = self.best, self.finalized
            net = self.network
            peers = 0 if net is None else len(net.peers.peers)
            down = 0 if net is None else net.peers.bytes_in
            up = 0 if net is None else net.peers.bytes_out
            state = "⚙️  Syncing" if net is not None and net.is_syncing else "💤 Idle"
            log.info(
                "%s (%d peers), best: #%d (%s), finalized #%d (%s), ⬇ %.1fkiB ⬆ %.1fkiB",
                state, peers, best.number, short(best.hash()), fin.number, short(fin.hash()), down / 1024, up / 1024,
            )


__all__ = ["FutureBlock", "Node", "NodeConfig", "PoolError", "load_spec"]
