"""The node's persistence layer: blocks, trie nodes, the flat best state and chain metadata in one KV.

Storage
-------
A small key-value interface (`KV`) with two implementations: `LevelDBKV` (plyvel) and `MemoryKV`
(tests). `ChainDB` lays its columns out under one-byte prefixes:

    h<hash>            header                      b<hash>   extrinsics (msgpack array of bin)
    j<hash>            justification               n<hash>   trie node (`NodeStore.get_node`)
    r<hash>            trie node refcount (u64, pruned mode only)
    c<number>          canonical (best chain) hash at number (u64 big-endian)
    u<number><hash>    index of the blocks above the finalized one, on every fork
    d<hash>            the block's storage changes          o<hash>   undo: prior values of those keys
    g<hash>            the block's new and dead trie node hashes (pruned mode only)
    s<key>             the flat state of the best block     m<name>   metadata

Every mutation (genesis, a block with its nodes, changes, canonical index, flat state and new head,
a reorg, a finalization with its pruning) is ONE atomic write batch, synced to disk. So the database
is always at some committed point: after a crash the node reopens at its last committed block and
nothing ever needs repair. The in-memory copies of the head are updated only after the write.

Reads of the best state are one `get` in the `s` column. The state of any other retained block is
read through its trie (`state_at`), which is slower and meant for RPC at old blocks and for executing
forks.

Reorgs
------
A block's changes (`d`) are stored when it is committed. When a block is applied to the flat state,
the previous values of the keys it changes are stored as its undo record (`o`). Moving the best block
from A to B finds their common ancestor C (which must not be below the finalized block), replays the
undo records from A back to C (newest first), then the changes from C up to B (writing their undo
records against the state they are applied to), rewrites the canonical index, and writes all of it
in one batch. Change and undo records are deleted once their block is finalized (a finalized block
is never rewound) or discarded.

Finality also settles forks, in both modes: a block that is neither an ancestor nor a descendant of
the finalized block can never become best again, so its header, body and records are deleted (and,
with pruning, the trie nodes it created are released). Blocks are only accepted on top of the
finalized block or its descendants.

Pruning (`state_pruning=N`; None keeps every state)
----------------------------------------------------
The states of the blocks numbered `finalized - N` and above are kept (plus every fork that descends
from the finalized block); older states are pruned. Each trie node has a reference count, and each
block records the hashes of the nodes its trie update created (`new`) and replaced (`dead`):

- committing a block adds 1 for each of its new nodes (genesis: each of its nodes). A node created
  again later, or by several forks, is counted once per creation, and written while its count is > 0;
- when a finalized block b leaves the window (the state of b - 1 is no longer kept), 1 is taken
  from each of b's dead nodes;
- when finalization discards a fork block, 1 is taken from each of its new nodes;
- a node whose count reaches 0 is deleted.

Why no retained node is ever deleted: each block's +1s are either cancelled by its own discard or
paired, on the finalized chain, with the death of the node that follows that creation. A node
reachable from a retained root X was last created by an ancestor a of X (or genesis) and is alive on
the path from a to X; the death following a on the finalized chain (if any) lies above the fork
point of X (which is at or above the finalized block, hence above the window) or above X itself, so
it has not been processed, and a's +1 still stands. This relies on `Trie.update` listing as dead only
nodes its new root no longer reaches (true: a leaf holds its own key, a branch never moves); a node
re-created while still alive would only leak. The tests check that exactly the nodes reachable from
the retained roots are stored, across random forks, reorgs and finality.
Pruning cannot be switched on or off for an existing database (the counts would be missing).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import msgpack

from runtime.block import Block, Header
from runtime.support.storage import StateBackend
from runtime.support.trie import Trie, TrieUpdate

HEADER, BODY, JUSTIFICATION, NODE, REFCOUNT = b"h", b"b", b"j", b"n", b"r"
CANONICAL, UNFINALIZED, CHANGES, UNDO, NODE_JOURNAL = b"c", b"u", b"d", b"o", b"g"
STATE, META = b"s", b"m"

META_BEST, META_FINALIZED, META_GENESIS = b"mbest", b"mfinalized", b"mgenesis"
META_SPEC, META_PRUNING, META_PRUNED_BELOW, META_VERSION = (
    b"mspec",
    b"mpruning",
    b"mpruned_below",
    b"mversion",
)
DB_VERSION = b"1"
_T = TypeVar("_T")
ARCHIVE = b"archive"


class ChainDBError(Exception):
    """A request the database cannot honour as asked: unknown parent, rewinding finality, mode mismatch."""


class StatePrunedError(LookupError):
    """The state of this block was pruned (or the block is unknown)."""


# --- key-value stores ----------------------------------------------------------------------------


class KVView(Protocol):
    """Read access to a key-value store (or a consistent snapshot of one)."""

    def get(self, key: bytes) -> bytes | None: ...

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs whose key starts with prefix, in key order."""
        ...


class KVSnapshot(KVView, Protocol):
    def close(self) -> None: ...


class KV(KVView, Protocol):
    """A byte-ordered key-value store with atomic, durable batches."""

    def put(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...

    def write_batch(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        """Apply the deletes, then the puts, all or nothing; `sync` waits until it is on disk."""
        ...

    def snapshot(self) -> KVSnapshot:
        """A read-only view that later writes do not change."""
        ...

    def close(self) -> None: ...


class DatabaseUnavailable(OSError):
    """The LevelDB directory cannot be opened (held by another node, unreadable, corrupt); the
    message says which and what to do."""


def _open_error(path: str | Path, exc: Exception) -> str:
    """What a failed LevelDB open means for the user (plyvel's message is bytes such as
    b'IO error: lock .../LOCK: Resource temporarily unavailable')."""
    raw = exc.args[0] if exc.args else exc
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    if "lock" in text.lower() and "LOCK" in text:
        return (f"the database at {path} is in use by another taochain node (its LOCK is held); "
                "stop that node or pick another --base-path")
    return f"cannot open the database at {path}: {text}"


class LevelDBKV:
    """`KV` over a LevelDB directory (plyvel), created if missing."""

    def __init__(self, path: str | Path) -> None:
        import plyvel

        try:
            self._db = plyvel.DB(str(path), create_if_missing=True)
        except plyvel.Error as exc:
            raise DatabaseUnavailable(_open_error(path, exc)) from None

    def get(self, key: bytes) -> bytes | None:
        return self._db.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self._db.put(key, value, sync=True)

    def delete(self, key: bytes) -> None:
        self._db.delete(key, sync=True)

    def write_batch(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        # transaction=True: an exception inside the block discards the whole batch.
        with self._db.write_batch(transaction=True, sync=sync) as batch:
            for key in deletes:
                batch.delete(key)
            for key, value in puts.items():
                batch.put(key, value)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        with self._db.iterator(prefix=prefix) as it:
            yield from it

    def snapshot(self) -> _LevelDBSnapshot:
        return _LevelDBSnapshot(self._db.snapshot())

    def close(self) -> None:
        self._db.close()


class _LevelDBSnapshot:
    __slots__ = ("_snap",)

    def __init__(self, snap) -> None:  # noqa: ANN001 (plyvel.Snapshot)
        self._snap = snap

    def get(self, key: bytes) -> bytes | None:
        return self._snap.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        with self._snap.iterator(prefix=prefix) as it:
            yield from it

    def close(self) -> None:
        self._snap.close()


class MemoryKV:
    """`KV` in a dict, iterated in key order; snapshots are copies. For tests."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._sorted: list[bytes] | None = []
        self.closed = False

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.write_batch({key: value})

    def delete(self, key: bytes) -> None:
        self.write_batch({}, [key])

    def write_batch(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        # Materialize first, so that a failing iterable leaves the store untouched.
        dels = [bytes(k) for k in deletes]
        items = [(bytes(k), bytes(v)) for k, v in puts.items()]
        data = self._data
        for key in dels:
            if data.pop(key, None) is not None:
                self._sorted = None
        for key, value in items:
            if key not in data:
                self._sorted = None
            data[key] = value

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        return iter(_prefix_items(self._data, self._sorted, prefix))

    def snapshot(self) -> _MemorySnapshot:
        return _MemorySnapshot(dict(self._data))

    def close(self) -> None:
        self.closed = True


class _MemorySnapshot:
    __slots__ = ("_data", "_sorted")

    def __init__(self, data: dict[bytes, bytes]) -> None:
        self._data = data
        self._sorted: list[bytes] | None = None

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        return iter(_prefix_items(self._data, self._sorted, prefix))

    def close(self) -> None:
        pass


def _prefix_items(data: dict[bytes, bytes], keys: list[bytes], prefix: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(bisect.bisect_left(keys, prefix), len(keys)):
        key = keys[i]
        if not key.startswith(prefix):
            break
        out.append((key, data[key]))
    return out


# --- state views ---------------------------------------------------------------------------------


class FlatState:
    """The flat state column (`s`) of a KV or snapshot as a `StateBackend`: one `get` per read."""

    __slots__ = ("_kv",)

    def __init__(self, kv: KVView) -> None:
        self._kv = kv

    def get(self, key: bytes) -> bytes | None:
        return self._kv.get(STATE + key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._kv.iter_prefix(STATE + prefix):
            yield key[1:], value


class TrieState:
    """A `StateBackend` that reads through the trie at one root. `iter_prefix` walks the whole trie."""

    __slots__ = ("trie",)

    def __init__(self, trie: Trie) -> None:
        self.trie = trie

    def get(self, key: bytes) -> bytes | None:
        return self.trie.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return iter(sorted((k, v) for k, v in self.trie.items() if k.startswith(prefix)))


@dataclass(frozen=True, slots=True)
class Route:
    """How the best chain moves from one block to another: blocks to rewind, then blocks to apply."""

    retract: tuple[bytes, ...]  # newest first
    enact: tuple[bytes, ...]  # oldest first
    common: bytes


# --- encodings -----------------------------------------------------------------------------------


def _u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def _pack(obj: object) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def _unpack(data: bytes) -> list:
    return msgpack.unpackb(data, use_list=True, raw=False)


def _pack_changes(changes: Mapping[bytes, bytes | None]) -> bytes:
    return _pack(sorted(changes.items()))


def _unpack_changes(data: bytes) -> dict[bytes, bytes | None]:
    return {k: v for k, v in _unpack(data)}


class _Batch:
    """Pending writes of one atomic batch, readable before they land, plus node refcount deltas."""

    __slots__ = ("kv", "puts", "deletes", "ref_deltas", "nodes")

    def __init__(self, kv: KV) -> None:
        self.kv = kv
        self.puts: dict[bytes, bytes] = {}
        self.deletes: set[bytes] = set()
        self.ref_deltas: dict[bytes, int] = {}
        self.nodes: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.puts:
            return self.puts[key]
        if key in self.deletes:
            return None
        return self.kv.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.deletes.discard(key)
        self.puts[key] = value

    def delete(self, key: bytes) -> None:
        self.puts.pop(key, None)
        self.deletes.add(key)

    def iter_prefix(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        items = {k: v for k, v in self.kv.iter_prefix(prefix) if k not in self.deletes}
        items.update((k, v) for k, v in self.puts.items() if k.startswith(prefix))
        return sorted(items.items())

    def add_ref(self, node_hash: bytes, delta: int) -> None:
        self.ref_deltas[node_hash] = self.ref_deltas.get(node_hash, 0) + delta

    def write(self, sync: bool = True) -> None:
        for node_hash, delta in self.ref_deltas.items():
            if delta == 0:
                continue
            stored = self.kv.get(REFCOUNT + node_hash)
            count = (int.from_bytes(stored, "big") if stored else 0) + delta
            if count <= 0:
                self.delete(REFCOUNT + node_hash)
                self.delete(NODE + node_hash)
            else:
                self.put(REFCOUNT + node_hash, _u64(count))
                if not stored:
                    self.put(NODE + node_hash, self.nodes[node_hash])
        self.kv.write_batch(self.puts, self.deletes, sync=sync)


# --- the chain database --------------------------------------------------------------------------


class ChainDB:
    """Blocks, trie nodes, the flat best state and the chain's head and finality, over a `KV`.

    `state_pruning`: None keeps every state (archive); N keeps the states of the last N finalized
    blocks and everything above. Also a trie `NodeStore` (`get_node`).
    """

    def __init__(self, kv: KV, state_pruning: int | None = None) -> None:
        if state_pruning is not None and state_pruning < 0:
            raise ValueError("state pruning keeps N >= 0 finalized states (or None for archive)")
        self.kv = kv
        self.state_pruning = state_pruning
        mode = ARCHIVE if state_pruning is None else str(state_pruning).encode()
        stored = kv.get(META_PRUNING)
        if stored is not None and stored != mode:
            want = stored.decode()
            raise ChainDBError(
                f"this database was created with --state-pruning {want}; reopen it with --state-pruning {want}"
            )
        self._mode = mode
        self._load_head()

    def _load_head(self) -> None:
        kv = self.kv
        self._genesis = kv.get(META_GENESIS)
        self._best = kv.get(META_BEST)
        self._finalized = kv.get(META_FINALIZED)
        below = kv.get(META_PRUNED_BELOW)
        self._pruned_below = int.from_bytes(below, "big") if below else 0
        self._best_header = self.header(self._best) if self._best else None
        self._finalized_header = self.header(self._finalized) if self._finalized else None

    def close(self) -> None:
        self.kv.close()

    # --- reads -----------------------------------------------------------------------------------

    @property
    def is_initialized(self) -> bool:
        return self._genesis is not None

    @property
    def genesis_hash(self) -> bytes:
        return self._require(self._genesis)

    @property
    def best_hash(self) -> bytes:
        return self._require(self._best)

    @property
    def finalized_hash(self) -> bytes:
        return self._require(self._finalized)

    @property
    def best_header(self) -> Header:
        return self._require(self._best_header)

    @property
    def finalized_header(self) -> Header:
        return self._require(self._finalized_header)

    @property
    def pruned_below(self) -> int:
        """States of blocks numbered below this are pruned (0 in archive mode)."""
        return self._pruned_below

    @property
    def chain_spec(self) -> str | None:
        data = self.kv.get(META_SPEC)
        return None if data is None else data.decode()

    @staticmethod
    def _require(value: _T | None) -> _T:
        if value is None:
            raise ChainDBError("the chain database has no genesis yet: call init_genesis first")
        return value

    def header(self, block_hash: bytes) -> Header | None:
        data = self.kv.get(HEADER + block_hash)
        return None if data is None else Header.decode(data)

    def block(self, block_hash: bytes) -> Block | None:
        header = self.header(block_hash)
        body = self.kv.get(BODY + block_hash)
        if header is None or body is None:
            return None
        return Block(header, tuple(_unpack(body)))

    def has_block(self, block_hash: bytes) -> bool:
        return self.kv.get(HEADER + block_hash) is not None

    def justification(self, block_hash: bytes) -> bytes | None:
        return self.kv.get(JUSTIFICATION + block_hash)

    def hash_at(self, number: int) -> bytes | None:
        """The hash of the best chain's block at `number`."""
        if number < 0 or number >= 1 << 64:
            return None
        return self.kv.get(CANONICAL + _u64(number))

    def get_node(self, node_hash: bytes) -> bytes | None:
        return self.kv.get(NODE + node_hash)

    def has_state(self, block_hash: bytes) -> bool:
        header = self.header(block_hash)
        return header is not None and header.number >= self._pruned_below

    def best_state(self) -> FlatState:
        """The best block's state. A live view: it follows the best block as blocks are committed."""
        return FlatState(self.kv)

    def state_at(self, block_hash: bytes) -> StateBackend:
        """The state after `block_hash`: the flat state (pinned by a snapshot) for the best block,
        else read through its trie. Raises StatePrunedError when it is pruned or unknown."""
        if block_hash == self._best:
            snap = self.kv.snapshot()
            if snap.get(META_BEST) == block_hash:
                return FlatState(snap)
            snap.close()
        return TrieState(self.trie_at(block_hash))

    def trie_at(self, block_hash: bytes) -> Trie:
        header = self.header(block_hash)
        if header is None:
            raise StatePrunedError(f"block {block_hash.hex()} is unknown")
        if header.number < self._pruned_below:
            raise StatePrunedError(
                f"the state of block #{header.number} was pruned (states below #{self._pruned_below} are "
                "not kept; run the node with --state-pruning archive to keep them)"
            )
        return Trie(self, header.state_root)

    def route(self, from_hash: bytes, to_hash: bytes) -> Route:
        return self._route(self.kv, from_hash, to_hash)

    # --- writes ----------------------------------------------------------------------------------

    def init_genesis(
        self,
        genesis_block: Block,
        items: Mapping[bytes, bytes],
        trie_nodes: Mapping[bytes, bytes],
        chain_spec: str | None = None,
    ) -> None:
        """Store the genesis block, its state and trie nodes; it is best and finalized."""
        if self._genesis is not None:
            if self._genesis != genesis_block.hash():
                raise ChainDBError("this database holds another chain (genesis hash differs)")
            return
        b = _Batch(self.kv)
        h = genesis_block.hash()
        self._store_block(b, genesis_block, {}, None)
        for node_hash, node in trie_nodes.items():
            self._add_node(b, node_hash, node)
        for key, value in items.items():
            b.put(STATE + key, value)
        b.put(CANONICAL + _u64(genesis_block.header.number), h)
        b.delete(UNFINALIZED + _u64(genesis_block.header.number) + h)
        b.delete(CHANGES + h)
        for key, value in (
            (META_GENESIS, h),
            (META_BEST, h),
            (META_FINALIZED, h),
            (META_PRUNING, self._mode),
            (META_PRUNED_BELOW, _u64(genesis_block.header.number)),
            (META_VERSION, DB_VERSION),
        ):
            b.put(key, value)
        if chain_spec is not None:
            b.put(META_SPEC, chain_spec.encode())
        b.write()
        self._load_head()

    def commit_block(
        self,
        block: Block,
        changes: Mapping[bytes, bytes | None],
        trie_update: TrieUpdate,
        *,
        set_best: bool = True,
        finalized: bytes | None = None,
        justification: bytes | None = None,
        durable: bool = True,
    ) -> None:
        """Store an executed block with its state changes and trie nodes; optionally make it the best
        block (reorganizing the flat state if its parent is not the best) and finalize a block (this
        one or an ancestor; `justification` is that block's). One atomic batch, fsynced unless
        `durable` is False (a process crash loses nothing either way; an OS crash may lose the
        non-durable tail, which sync fetches again)."""
        header = block.header
        h = header.hash()
        if trie_update.root != header.state_root:
            raise ChainDBError(
                f"block #{header.number}: the trie update's root is not the header's state root"
            )
        b = _Batch(self.kv)
        if not self.has_block(h):
            parent = self.header(header.parent_hash)
            if parent is None or parent.number + 1 != header.number:
                raise ChainDBError(f"block #{header.number} {h.hex()}: its parent is not in the database")
            if parent.number < self.finalized_header.number:
                raise ChainDBError(f"block #{header.number} does not descend from the finalized block")
            self._store_block(b, block, changes, trie_update)
        if set_best:
            self._move_best(b, h, header, changes)
        if finalized is not None:
            self._finalize(b, finalized, justification)
        b.write(sync=durable)
        self._load_head()

    def set_best(self, block_hash: bytes) -> None:
        """Make a stored block the best one (a reorg when it does not extend the current best)."""
        header = self.header(block_hash)
        if header is None:
            raise ChainDBError(f"block {block_hash.hex()} is not in the database")
        b = _Batch(self.kv)
        self._move_best(b, block_hash, header, None)
        b.write()
        self._load_head()

    def set_finalized(self, block_hash: bytes, justification: bytes | None = None) -> None:
        """Finalize a block of the best chain (and its ancestors); prunes what finality makes dead."""
        b = _Batch(self.kv)
        self._finalize(b, block_hash, justification)
        b.write()
        self._load_head()

    # --- the steps of a batch --------------------------------------------------------------------

    def _add_node(self, b: _Batch, node_hash: bytes, node: bytes) -> None:
        if self.state_pruning is None:
            b.put(NODE + node_hash, node)
        else:
            b.nodes[node_hash] = node
            b.add_ref(node_hash, 1)

    def _store_block(
        self, b: _Batch, block: Block, changes: Mapping[bytes, bytes | None], trie_update: TrieUpdate | None
    ) -> None:
        header = block.header
        h = header.hash()
        b.put(HEADER + h, header.encode())
        b.put(BODY + h, _pack(list(block.extrinsics)))
        b.put(CHANGES + h, _pack_changes(changes))
        b.put(UNFINALIZED + _u64(header.number) + h, b"")
        if trie_update is None:
            return
        for node_hash, node in trie_update.new_nodes.items():
            self._add_node(b, node_hash, node)
        if self.state_pruning is not None:
            b.put(NODE_JOURNAL + h, _pack([list(trie_update.new_nodes), list(trie_update.dead_nodes)]))

    @staticmethod
    def _route(view: KVView, from_hash: bytes, to_hash: bytes) -> Route:
        def header(block_hash: bytes) -> Header:
            data = view.get(HEADER + block_hash)
            if data is None:
                raise ChainDBError(f"block {block_hash.hex()} is not in the database")
            return Header.decode(data)

        retract: list[bytes] = []
        enact: list[bytes] = []
        a, ha = from_hash, header(from_hash)
        z, hz = to_hash, header(to_hash)
        while ha.number > hz.number:
            retract.append(a)
            a, ha = ha.parent_hash, header(ha.parent_hash)
        while hz.number > ha.number:
            enact.append(z)
            z, hz = hz.parent_hash, header(hz.parent_hash)
        while a != z:
            retract.append(a)
            enact.append(z)
            a, ha = ha.parent_hash, header(ha.parent_hash)
            z, hz = hz.parent_hash, header(hz.parent_hash)
        enact.reverse()
        return Route(tuple(retract), tuple(enact), a)

    def _move_best(
        self, b: _Batch, new_hash: bytes, new_header: Header, new_changes: Mapping[bytes, bytes | None] | None
    ) -> None:
        old_hash = self.best_hash
        if new_hash == old_hash:
            return
        if new_header.parent_hash == old_hash:
            route = Route((), (new_hash,), old_hash)
        else:
            route = self._route(b, old_hash, new_hash)
        common = self.header(route.common)
        assert common is not None
        if common.number < self.finalized_header.number:
            raise ChainDBError(
                f"cannot make #{new_header.number} {new_hash.hex()} best: it does not descend from the "
                f"finalized block #{self.finalized_header.number}"
            )
        flat: dict[bytes, bytes | None] = {}

        def current(key: bytes) -> bytes | None:
            return flat[key] if key in flat else self.kv.get(STATE + key)

        # 1. rewind the old branch, newest first: the oldest undo of a key wins
        for h in route.retract:
            undo = b.get(UNDO + h)
            if undo is None:
                raise ChainDBError(f"block {h.hex()} has no undo record; the database is inconsistent")
            flat.update(_unpack_changes(undo))
        # 2. apply the new branch, oldest first, recording each block's undo against its parent state
        number = common.number
        for h in route.enact:
            if h == new_hash and new_changes is not None:
                changes = dict(new_changes)
            else:
                data = b.get(CHANGES + h)
                if data is None:
                    raise ChainDBError(f"block {h.hex()} has no change record; the database is inconsistent")
                changes = _unpack_changes(data)
            b.put(UNDO + h, _pack_changes({key: current(key) for key in changes}))
            flat.update(changes)
            number += 1
            b.put(CANONICAL + _u64(number), h)
        # 3. the canonical index above the new best
        old_number = self.best_header.number
        for n in range(new_header.number + 1, old_number + 1):
            b.delete(CANONICAL + _u64(n))
        for key, value in flat.items():
            if value is None:
                b.delete(STATE + key)
            else:
                b.put(STATE + key, value)
        b.put(META_BEST, new_hash)

    def _finalize(self, b: _Batch, block_hash: bytes, justification: bytes | None) -> None:
        data = b.get(HEADER + block_hash)
        if data is None:
            raise ChainDBError(f"cannot finalize {block_hash.hex()}: the block is not in the database")
        header = Header.decode(data)
        if b.get(CANONICAL + _u64(header.number)) != block_hash:
            raise ChainDBError(
                f"cannot finalize #{header.number} {block_hash.hex()}: it is not on the best chain"
            )
        old = self.finalized_header
        if header.number < old.number:
            raise ChainDBError(f"cannot finalize #{header.number}: #{old.number} is already finalized")
        if justification is not None:
            b.put(JUSTIFICATION + block_hash, justification)
        if header.number == old.number:
            return
        b.put(META_FINALIZED, block_hash)
        # 1. settle every block above the old finalized one: finalized, still viable, or discarded
        viable = {block_hash}
        for key, _ in b.iter_prefix(UNFINALIZED):
            number = int.from_bytes(key[1:9], "big")
            h = key[9:]
            if number <= header.number:
                if b.get(CANONICAL + key[1:9]) == h:
                    for column in (UNFINALIZED + key[1:], CHANGES + h, UNDO + h):
                        b.delete(column)
                    continue
            else:
                parent = Header.decode(b.get(HEADER + h)).parent_hash  # type: ignore[arg-type]
                if parent in viable:
                    viable.add(h)
                    continue
            self._discard(b, number, h)
        # 2. prune the states that leave the window
        if self.state_pruning is None:
            return
        start = self._pruned_below
        end = max(start, header.number - self.state_pruning)
        for number in range(start + 1, end + 1):
            h = b.get(CANONICAL + _u64(number))
            assert h is not None
            journal = b.get(NODE_JOURNAL + h)
            if journal is not None:
                for node_hash in _unpack(journal)[1]:
                    b.add_ref(node_hash, -1)
                b.delete(NODE_JOURNAL + h)
        b.put(META_PRUNED_BELOW, _u64(end))

    def _discard(self, b: _Batch, number: int, h: bytes) -> None:
        """Delete an unviable fork block and release the trie nodes it created."""
        journal = b.get(NODE_JOURNAL + h)
        if journal is not None:
            for node_hash in _unpack(journal)[0]:
                b.add_ref(node_hash, -1)
        for key in (HEADER + h, BODY + h, JUSTIFICATION + h, CHANGES + h, UNDO + h, NODE_JOURNAL + h):
            b.delete(key)
        b.delete(UNFINALIZED + _u64(number) + h)
