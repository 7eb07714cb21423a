"""The state trie: a hexary Merkle Patricia trie over hashed keys, updated in batches, with proofs.

Shape (a pure function of the key/value map, so the root never depends on insertion order):

- A key's path is the 64 nibbles of blake2b-256(key); hashed paths keep the trie balanced
  (depth ~ log16(n)) whatever keys the pallets choose.
- The node of a set S of entries whose paths share their first d nibbles is:
  nothing when S is empty; a leaf `[0, key, value]` when S has one entry; otherwise a branch
  `[1, c0, ..., c15]` where ci is the hash of the node of the entries whose nibble d is i (b"" for
  none). A branch may have a single child when that child is a branch (two or more keys share the
  next nibble); a branch left with a single leaf collapses into that leaf. A leaf does not encode its
  depth, so it keeps its hash when it moves up or down.
- Nodes are encoded with MessagePack arrays (`use_bin_type=True`, ints and bins only) and named by
  blake2b-256 of their encoding. The root of the empty map is `EMPTY_ROOT` (the hash of an empty
  array, a node that is never stored).

`naive_root` builds the root from scratch and is the readable reference. `Trie.update` applies a
batch of changes: the batch is sorted by path and split by nibble level by level, each touched node is
recomputed once, and untouched subtrees are reused by hash, so the cost grows with the number of
changed keys times the depth, not with the state size. It returns the new nodes (to be written by the
caller) and the nodes the new root no longer references (which the persistence layer may prune, once
no other retained root references them).

`verify_proof` checks a value (or its absence) against a root with the nodes from `Trie.prove`; on
any untrusted input it returns a result or raises `ProofError`, nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgpack

LEAF = 0
BRANCH = 1
HASH_LEN = 32
PATH_NIBBLES = 2 * HASH_LEN

_NO_CHILD = b""
_BRANCH_LEN = 17
_EMPTY_BRANCH = [BRANCH] + [_NO_CHILD] * 16
# Hex digit of a path -> index of that child in a decoded branch (index 0 holds the tag).
_SLOT = {c: i + 1 for i, c in enumerate("0123456789abcdef")}
# Decoded branches kept per Trie; past this the cache starts over (it is only a cache).
_BRANCH_CACHE_LIMIT = 65536

_blake2b = hashlib.blake2b


def _hash(data: bytes) -> bytes:
    return _blake2b(data, digest_size=HASH_LEN).digest()


def _path(key: bytes) -> str:
    return _blake2b(key, digest_size=HASH_LEN).hexdigest()


def _pack(node: list) -> bytes:
    return msgpack.packb(node, use_bin_type=True)


EMPTY_ROOT = _hash(_pack([]))


class ProofError(ValueError):
    """A proof that does not prove anything against the given root: missing, altered or garbled nodes."""


class MissingNodeError(LookupError):
    """The node store lacks a node the trie needs: the store does not hold this root's state."""


class NodeStore(Protocol):
    """Where trie nodes live, by hash. The node's LevelDB store implements the same method."""

    def get_node(self, node_hash: bytes) -> bytes | None: ...


class MemoryNodeStore:
    """A dict-backed `NodeStore`, for tests and for in-memory chains."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: Mapping[bytes, bytes] | None = None) -> None:
        self.nodes: dict[bytes, bytes] = dict(nodes) if nodes else {}

    def get_node(self, node_hash: bytes) -> bytes | None:
        return self.nodes.get(node_hash)

    def put_nodes(self, nodes: Mapping[bytes, bytes]) -> None:
        self.nodes.update(nodes)

    def delete_nodes(self, hashes: Iterable[bytes]) -> None:
        for node_hash in hashes:
            self.nodes.pop(node_hash, None)

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True, slots=True)
class TrieUpdate:
    """The outcome of one `Trie.update`: the new root, nodes to persist, nodes no longer referenced."""

    root: bytes
    new_nodes: dict[bytes, bytes]
    dead_nodes: tuple[bytes, ...]


# --- the reference -------------------------------------------------------------------------------


def naive_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root of `items`, built from scratch by the definition in the module docstring."""
    entries = sorted((_path(key), key, value) for key, value in items.items())

    def node_hash(group: list[tuple[str, bytes, bytes]], depth: int) -> bytes:
        if not group:
            return _NO_CHILD
        if len(group) == 1:
            _, key, value = group[0]
            return _hash(_pack([LEAF, key, value]))
        children = [node_hash([e for e in group if e[0][depth] == c], depth + 1) for c in "0123456789abcdef"]
        return _hash(_pack([BRANCH, *children]))

    return node_hash(entries, 0) or EMPTY_ROOT


# --- the incremental trie ------------------------------------------------------------------------


class Trie:
    """A view of the trie at `root` over `store`, advanced in place by `update`.

    `update` does not write to the store: the caller persists `TrieUpdate.new_nodes`. Until it calls
    `commit()` (after persisting), the trie keeps those nodes in a pending cache so that `get`,
    `prove` and later updates can read them.
    """

    __slots__ = ("_store", "_root", "_pending", "_batch", "_branches")

    def __init__(self, store: NodeStore, root: bytes = EMPTY_ROOT) -> None:
        self._store = store
        self._root = root
        self._pending: dict[bytes, bytes] = {}
        self._batch: dict[bytes, bytes] = {}
        self._branches: dict[bytes, list] = {}

    @property
    def root(self) -> bytes:
        return self._root

    def commit(self) -> None:
        """Forget the pending nodes: the caller has written every `new_nodes` into the store."""
        self._pending.clear()

    def get(self, key: bytes) -> bytes | None:
        """The value stored under `key`, or None."""
        if self._root == EMPTY_ROOT:
            return None
        path = _path(key)
        node_hash, depth = self._root, 0
        while True:
            node = self._load(node_hash)
            if node[0] == LEAF:
                return node[2] if node[1] == key else None
            node_hash = node[_SLOT[path[depth]]]
            depth += 1
            if not node_hash:
                return None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value), in path order (blake2b-256 of the key), by walking the nodes."""
        if self._root == EMPTY_ROOT:
            return
        stack = [self._root]
        while stack:
            node = self._load(stack.pop())
            if node[0] == LEAF:
                yield node[1], node[2]
            else:
                stack.extend(child for child in reversed(node[1:]) if child)

    def prove(self, keys: Iterable[bytes]) -> list[bytes]:
        """The encoded nodes on the paths of `keys` (present or absent), deduplicated, root first."""
        proof: dict[bytes, bytes] = {}
        if self._root == EMPTY_ROOT:
            return []
        for path in sorted(_path(key) for key in keys):
            node_hash, depth = self._root, 0
            while node_hash:
                if node_hash not in proof:
                    proof[node_hash] = self._node_bytes(node_hash)
                node = self._load(node_hash)
                if node[0] == LEAF:
                    break
                node_hash = node[_SLOT[path[depth]]]
                depth += 1
        return list(proof.values())

    def update(self, changes: Mapping[bytes, bytes | None]) -> TrieUpdate:
        """Apply inserts, overwrites and deletes (value None) at once; advance and return the root."""
        blake2b = _blake2b
        items = []
        for key, value in changes.items():
            if type(key) is not bytes or not (value is None or type(value) is bytes):
                raise TypeError("trie keys are bytes and values are bytes or None")
            items.append((blake2b(key, digest_size=HASH_LEN).hexdigest(), key, value))
        # Paths are distinct, so sorting never compares keys or values.
        items.sort()
        new: dict[bytes, bytes] = {}
        dead: list[bytes] = []
        branches = self._branches
        if len(branches) > _BRANCH_CACHE_LIMIT:
            branches.clear()
        pack = msgpack.Packer(use_bin_type=True).pack
        load = self._load
        slot_of = _SLOT

        def make_leaf(key: bytes, value: bytes) -> bytes:
            encoded = pack([LEAF, key, value])
            node_hash = blake2b(encoded, digest_size=HASH_LEN).digest()
            new[node_hash] = encoded
            return node_hash

        def make_branch(children: list) -> bytes:
            encoded = pack(children)
            node_hash = blake2b(encoded, digest_size=HASH_LEN).digest()
            new[node_hash] = encoded
            branches[node_hash] = children
            return node_hash

        def build(entries: list, lo: int, hi: int, depth: int) -> bytes:
            # entries: sorted (path, key, value, existing leaf hash or None), all present in the result.
            if hi - lo == 1:
                _, key, value, known = entries[lo]
                return known if known is not None else make_leaf(key, value)
            children = _EMPTY_BRANCH.copy()
            i = lo
            while i < hi:
                nibble = entries[i][0][depth]
                j = i + 1
                while j < hi and entries[j][0][depth] == nibble:
                    j += 1
                children[slot_of[nibble]] = build(entries, i, j, depth + 1)
                i = j
            return make_branch(children)

        def update_empty(lo: int, hi: int, depth: int) -> bytes:
            if hi - lo == 1:
                _, key, value = items[lo]
                return _NO_CHILD if value is None else make_leaf(key, value)
            entries = [(p, k, v, None) for p, k, v in items[lo:hi] if v is not None]
            return build(entries, 0, len(entries), depth) if entries else _NO_CHILD

        def update_leaf(node_hash: bytes, node: list, lo: int, hi: int, depth: int) -> bytes:
            _, own_key, own_value = node
            if hi - lo == 1:
                path, key, value = items[lo]
                if key == own_key:
                    if value == own_value:
                        return node_hash
                    dead.append(node_hash)
                    return _NO_CHILD if value is None else make_leaf(key, value)
                if value is None:
                    return node_hash
                own = (_path(own_key), own_key, own_value, node_hash)
                ins = (path, key, value, None)
                return build([own, ins] if own[0] < path else [ins, own], 0, 2, depth)
            entries = []
            own_changed = False
            for path, key, value in items[lo:hi]:
                if key == own_key:
                    own_changed = True
                    if value == own_value:
                        entries.append((path, key, value, node_hash))
                        continue
                    dead.append(node_hash)
                if value is not None:
                    entries.append((path, key, value, None))
            if not own_changed:
                entries.append((_path(own_key), own_key, own_value, node_hash))
                entries.sort()
            return build(entries, 0, len(entries), depth) if entries else _NO_CHILD

        def update_node(node_hash: bytes, lo: int, hi: int, depth: int) -> bytes:
            if not node_hash:
                return update_empty(lo, hi, depth)
            node = branches.get(node_hash) or load(node_hash)
            if node[0] == LEAF:
                return update_leaf(node_hash, node, lo, hi, depth)
            changed = None
            i = lo
            while i < hi:
                nibble = items[i][0][depth]
                j = i + 1
                while j < hi and items[j][0][depth] == nibble:
                    j += 1
                slot = slot_of[nibble]
                old_child = node[slot]
                new_child = update_node(old_child, i, j, depth + 1)
                if new_child != old_child:
                    if changed is None:
                        changed = node.copy()
                    changed[slot] = new_child
                i = j
            if changed is None:
                return node_hash
            dead.append(node_hash)
            branches.pop(node_hash, None)
            remaining = _BRANCH_LEN - changed.count(_NO_CHILD) - 1
            if remaining == 0:
                return _NO_CHILD
            if remaining == 1:
                only = next(child for child in changed[1:] if child)
                if load(only)[0] == LEAF:
                    return only
            return make_branch(changed)

        self._batch = new
        try:
            root = self._root
            if items:
                root = update_node(_NO_CHILD if root == EMPTY_ROOT else root, 0, len(items), 0)
                root = root or EMPTY_ROOT
        finally:
            self._batch = {}
        self._root = root
        pending = self._pending
        for node_hash in dead:
            pending.pop(node_hash, None)
        pending.update(new)
        return TrieUpdate(root=root, new_nodes=new, dead_nodes=tuple(dead))

    # --- node access -------------------------------------------------------------------------

    def _node_bytes(self, node_hash: bytes) -> bytes:
        data = self._batch.get(node_hash) or self._pending.get(node_hash)
        if data is None:
            data = self._store.get_node(node_hash)
        if data is None:
            branch = self._branches.get(node_hash)
            if branch is None:
                raise MissingNodeError(f"trie node {node_hash.hex()} is not in the node store")
            data = _pack(branch)
        return bytes(data)

    def _load(self, node_hash: bytes) -> list:
        node = self._branches.get(node_hash)
        if node is not None:
            return node
        node = msgpack.unpackb(self._node_bytes(node_hash), use_list=True)
        if node[0] == BRANCH:
            self._branches[node_hash] = node
        return node


# --- proofs --------------------------------------------------------------------------------------


def verify_proof(root: bytes, key: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The value of `key` proven by `proof` against `root`, or None when the proof shows it is absent.

    Raises ProofError when the proof lacks a node on the key's path, or a node on it is not a valid
    trie node; never anything else.
    """
    if type(root) is not bytes or len(root) != HASH_LEN:
        raise ProofError("a state root is 32 bytes")
    if not isinstance(key, bytes | bytearray):
        raise ProofError("a storage key is bytes")
    key = bytes(key)
    if root == EMPTY_ROOT:
        return None
    try:
        encoded = list(proof)
    except Exception as exc:  # any non-iterable garbage
        raise ProofError("a proof is a sequence of encoded nodes") from exc
    nodes: dict[bytes, bytes] = {}
    for data in encoded:
        if not isinstance(data, bytes | bytearray):
            raise ProofError("a proof node is bytes")
        nodes[_hash(data)] = bytes(data)
    path = _path(key)
    node_hash, depth = root, 0
    while True:
        data = nodes.get(node_hash)
        if data is None:
            raise ProofError(f"proof lacks node {node_hash.hex()} at depth {depth} (or it was altered)")
        node = _decode_untrusted(data)
        if node[0] == LEAF:
            return node[2] if node[1] == key else None
        if depth >= PATH_NIBBLES:
            raise ProofError("proof path is longer than a key path")
        node_hash = node[_SLOT[path[depth]]]
        depth += 1
        if not node_hash:
            return None


def _decode_untrusted(data: bytes) -> list:
    try:
        node = msgpack.unpackb(data, use_list=True, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several types on garbage; all mean "not a node"
        raise ProofError("proof node is not valid MessagePack") from exc
    if type(node) is not list or not node or type(node[0]) is not int:
        raise ProofError("proof node is not a trie node")
    if node[0] == LEAF and len(node) == 3 and type(node[1]) is bytes and type(node[2]) is bytes:
        return node
    if node[0] == BRANCH and len(node) == _BRANCH_LEN:
        children = node[1:]
        if all(type(c) is bytes and len(c) in (0, HASH_LEN) for c in children) and any(children):
            return node
    raise ProofError("proof node is not a trie node")
