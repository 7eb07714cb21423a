"""The state trie: incremental root vs the naive reference, node bookkeeping, reads, proofs."""

import hashlib
import random

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.support.trie import (
    EMPTY_ROOT,
    LEAF,
    MemoryNodeStore,
    MissingNodeError,
    ProofError,
    Trie,
    TrieUpdate,
    naive_root,
    verify_proof,
)

# Small key and value spaces so that batches collide: overwrites, deletes of present and absent keys.
keys = st.sampled_from([bytes([i]) for i in range(24)]) | st.binary(min_size=0, max_size=3)
values = st.binary(min_size=0, max_size=3)
batches = st.lists(st.dictionaries(keys, st.none() | values, max_size=40), max_size=12)


def apply(model: dict, changes: dict) -> None:
    for key, value in changes.items():
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value


def reachable(store: MemoryNodeStore, root: bytes) -> set:
    if root == EMPTY_ROOT:
        return set()
    seen, stack = set(), [root]
    while stack:
        node_hash = stack.pop()
        seen.add(node_hash)
        node = msgpack.unpackb(store.get_node(node_hash))
        if node[0] != LEAF:
            stack.extend(child for child in node[1:] if child)
    return seen


def random_items(n: int, seed: int) -> dict:
    rng = random.Random(seed)
    return {rng.randbytes(rng.randint(1, 40)): rng.randbytes(rng.randint(0, 50)) for _ in range(n)}


# --- incremental root == naive root --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(batches)
def test_incremental_root_matches_naive_and_dead_nodes_are_exact(batch_list):
    store = MemoryNodeStore()
    trie = Trie(store)
    model: dict = {}
    for changes in batch_list:
        result = trie.update(changes)
        apply(model, changes)
        assert result.root == trie.root == naive_root(model)
        # new nodes are new, dead nodes were live; after pruning, the store is exactly the live trie.
        assert not (set(result.new_nodes) & set(store.nodes))
        assert set(result.dead_nodes) <= set(store.nodes)
        assert len(set(result.dead_nodes)) == len(result.dead_nodes)
        store.put_nodes(result.new_nodes)
        store.delete_nodes(result.dead_nodes)
        trie.commit()
        assert set(store.nodes) == reachable(store, trie.root)
    assert dict(trie.items()) == model
    for key in list(model) + [b"\x00\x00\x00", b"absent"]:
        assert trie.get(key) == model.get(key)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.binary(min_size=1, max_size=8), values),
        min_size=1,
        max_size=300,
        unique_by=lambda t: t[0],
    )
)
def test_delete_everything_returns_to_empty_root(pairs):
    store = MemoryNodeStore()
    trie = Trie(store)
    result = trie.update(dict(pairs))
    store.put_nodes(result.new_nodes)
    assert result.root == naive_root(dict(pairs))
    result = trie.update({key: None for key, _ in pairs})
    store.delete_nodes(result.dead_nodes)
    assert result.root == trie.root == EMPTY_ROOT
    assert result.new_nodes == {}
    assert len(store) == 0
    assert trie.get(pairs[0][0]) is None


def test_large_random_sequence_against_model():
    rng = random.Random(7)
    store = MemoryNodeStore()
    trie = Trie(store)
    model: dict = {}
    universe = [rng.randbytes(rng.randint(1, 48)) for _ in range(3000)]
    for size in (2000, 1, 0, 7, 300, 1500, 2, 999):
        changes = {}
        for _ in range(size):
            key = rng.choice(universe)
            changes[key] = None if rng.random() < 0.3 else rng.randbytes(rng.randint(0, 40))
        result = trie.update(changes)
        store.put_nodes(result.new_nodes)
        store.delete_nodes(result.dead_nodes)
        trie.commit()
        apply(model, changes)
        assert result.root == naive_root(model)
    assert all(trie.get(key) == model.get(key) for key in universe)
    # A fresh view over the same store reads the same state.
    assert dict(Trie(store, trie.root).items()) == model


def test_order_independence():
    items = random_items(1000, seed=1)
    expected = naive_root(items)
    pairs = list(items.items())
    for seed in range(4):
        random.Random(seed).shuffle(pairs)
        store = MemoryNodeStore()
        trie = Trie(store)
        # Insert in batches of varying size, in shuffled order, with junk inserted and removed.
        i = 0
        while i < len(pairs):
            step = 1 + (i * 7 + seed) % 250
            batch = dict(pairs[i : i + step])
            batch[b"junk%d" % i] = b"x"
            result = trie.update(batch)
            store.put_nodes(result.new_nodes)
            result = trie.update({b"junk%d" % i: None})
            store.put_nodes(result.new_nodes)
            i += step
        assert trie.root == expected
    assert naive_root(dict(reversed(pairs))) == expected


def test_small_tries():
    assert naive_root({}) == EMPTY_ROOT
    assert EMPTY_ROOT == hashlib.blake2b(b"\x90", digest_size=32).digest()
    # One key: the root is its leaf.
    leaf = msgpack.packb([0, b"k", b"v"], use_bin_type=True)
    assert naive_root({b"k": b"v"}) == hashlib.blake2b(leaf, digest_size=32).digest()
    trie = Trie(MemoryNodeStore())
    result = trie.update({b"k": b"v", b"j": b"w"})
    assert len(result.new_nodes) == 3  # two leaves, one branch
    # Deleting one collapses the branch into the surviving leaf, whose node is reused as is.
    result = trie.update({b"j": None})
    assert result.root == naive_root({b"k": b"v"})
    assert result.new_nodes == {}
    assert len(result.dead_nodes) == 2
    # Empty key and empty value are ordinary.
    trie.update({b"": b""})
    assert trie.get(b"") == b""
    assert trie.root == naive_root({b"k": b"v", b"": b""})


def test_no_op_batches_change_nothing():
    items = random_items(500, seed=2)
    trie = Trie(MemoryNodeStore())
    trie.update(items)
    root = trie.root
    some = dict(list(items.items())[:50])
    for changes in ({}, some, {b"absent-1": None, b"absent-2": None}):
        result = trie.update(changes)
        assert result == TrieUpdate(root=root, new_nodes={}, dead_nodes=())


def test_cost_follows_changed_keys_not_state_size():
    items = random_items(4000, seed=3)
    trie = Trie(MemoryNodeStore())
    trie.update(items)
    key = next(iter(items))
    result = trie.update({key: b"new value"})
    depth = len(result.new_nodes) - 1
    # One overwrite rewrites exactly its leaf and the branches above it: a handful, not thousands.
    assert 2 <= depth <= 8
    assert len(result.dead_nodes) == len(result.new_nodes)


def test_nodes_are_msgpack_arrays_of_ints_and_bins():
    trie = Trie(MemoryNodeStore())
    result = trie.update(random_items(200, seed=4))
    for node_hash, encoded in result.new_nodes.items():
        assert hashlib.blake2b(encoded, digest_size=32).digest() == node_hash
        node = msgpack.unpackb(encoded, raw=False)
        assert type(node) is list and node[0] in (0, 1)
        assert all(type(x) is bytes for x in node[1:])
        assert msgpack.packb(node, use_bin_type=True) == encoded


# --- pending nodes and the store -----------------------------------------------------------------


def test_update_does_not_write_the_store_but_reads_its_own_nodes():
    store = MemoryNodeStore()
    trie = Trie(store)
    first = trie.update({b"a": b"1", b"b": b"2"})
    second = trie.update({b"c": b"3"})
    assert len(store) == 0
    assert trie.get(b"a") == b"1" and trie.get(b"c") == b"3"
    assert verify_proof(trie.root, b"b", trie.prove([b"b"])) == b"2"
    store.put_nodes(first.new_nodes)
    store.put_nodes(second.new_nodes)
    trie.commit()
    assert trie.get(b"b") == b"2"
    # A view over a store that lacks the nodes says so.
    with pytest.raises(MissingNodeError):
        Trie(MemoryNodeStore(), trie.root).get(b"a")


def test_update_rejects_bad_types():
    trie = Trie(MemoryNodeStore())
    with pytest.raises(TypeError):
        trie.update({"text": b"v"})
    with pytest.raises(TypeError):
        trie.update({b"k": 5})
    assert trie.root == EMPTY_ROOT


# --- proofs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proven():
    items = random_items(600, seed=5)
    store = MemoryNodeStore()
    trie = Trie(store)
    store.put_nodes(trie.update(items).new_nodes)
    trie.commit()
    return trie, items


def test_proofs_of_present_and_absent_keys(proven):
    trie, items = proven
    present = list(items)[:40]
    absent = [b"absent-%d" % i for i in range(40)]
    for key in present:
        assert verify_proof(trie.root, key, trie.prove([key])) == items[key]
    for key in absent:
        assert verify_proof(trie.root, key, trie.prove([key])) is None
    # One multi-key proof serves every key in it; nodes are deduplicated and the order is canonical.
    proof = trie.prove(present + absent)
    assert len(set(proof)) == len(proof)
    assert trie.prove(list(reversed(present + absent))) == proof
    assert proof[0] == trie._node_bytes(trie.root)
    for key in present:
        assert verify_proof(trie.root, key, proof) == items[key]
    for key in absent:
        assert verify_proof(trie.root, key, proof) is None


def test_empty_trie_proofs():
    trie = Trie(MemoryNodeStore())
    assert trie.prove([b"x"]) == []
    assert verify_proof(EMPTY_ROOT, b"x", []) is None


def test_tampered_proofs_raise(proven):
    trie, items = proven
    key = list(items)[3]
    proof = trie.prove([key])
    assert len(proof) >= 2
    for index in range(len(proof)):
        node = bytearray(proof[index])
        for position in (0, len(node) // 2, len(node) - 1):
            flipped = bytearray(node)
            flipped[position] ^= 0x01
            tampered = proof[:index] + [bytes(flipped)] + proof[index + 1 :]
            with pytest.raises(ProofError):
                verify_proof(trie.root, key, tampered)
        with pytest.raises(ProofError, match="lacks node"):
            verify_proof(trie.root, key, proof[:index] + proof[index + 1 :])
    wrong_root = bytes([trie.root[0] ^ 1]) + trie.root[1:]
    with pytest.raises(ProofError):
        verify_proof(wrong_root, key, proof)
    # A proof of another key does not cover this one (the paths part below the root).
    other = next(k for k in items if trie.prove([k])[1] != proof[1])
    with pytest.raises(ProofError):
        verify_proof(trie.root, key, trie.prove([other]))


@pytest.mark.parametrize(
    ("root", "key", "proof"),
    [
        (b"short", b"k", []),
        ("0" * 32, b"k", []),
        (bytes(32), "k", []),
        (bytes(32), b"k", None),
        (bytes(32), b"k", 5),
        (bytes(32), b"k", ["text"]),
        (bytes(32), b"k", [b"\x93\x00\xc4\x01k\xc4\x01v"]),
        (bytes(32), b"k", [None]),
        (bytes(32), b"k", []),  # a non-empty root needs at least its own node
    ],
)
def test_verify_proof_bad_arguments(root, key, proof):
    with pytest.raises(ProofError):
        verify_proof(root, key, proof)


def _as_root(node) -> tuple[bytes, bytes]:
    encoded = msgpack.packb(node, use_bin_type=True)
    return hashlib.blake2b(encoded, digest_size=32).digest(), encoded


@pytest.mark.parametrize(
    "node",
    [
        [0],
        [0, b"k"],
        [0, b"k", "text"],
        [0, "k", b"v"],
        [True, b"k", b"v"],
        [2, b"k", b"v"],
        [0, b"k", b"v", b"extra"],
        [1] + [b""] * 16,
        [1] + [b""] * 15,
        [1] + [b"\x01" * 31] + [b""] * 15,
        [1] + [5] * 16,
        {"a": 1},
        1.5,
        b"bytes",
        [[0, b"k", b"v"]],
    ],
)
def test_structurally_bad_nodes_raise(node):
    root, encoded = _as_root(node)
    with pytest.raises(ProofError):
        verify_proof(root, b"k", [encoded])


def test_undecodable_and_trailing_bytes_raise():
    for encoded in (b"", b"\xc1", b"\x93\x00", msgpack.packb([0, b"k", b"v"]) + b"\x00", b"\xd4\x01\x00"):
        root = hashlib.blake2b(encoded, digest_size=32).digest()
        with pytest.raises(ProofError):
            verify_proof(root, b"k", [encoded])


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=18) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32), st.binary(max_size=8), st.lists(st.binary(max_size=600), max_size=6)
)
def test_verify_proof_fuzz_random_bytes(root, key, proof):
    try:
        result = verify_proof(root, key, proof)
    except ProofError:
        return
    assert result is None or type(result) is bytes


@settings(max_examples=300, deadline=None)
@given(msgpack_values, st.binary(max_size=4), st.data())
def test_verify_proof_fuzz_structured(node, key, data):
    # The root names the garbage node, so decoding and shape checks are what is exercised; a branch
    # may point at a second garbage node.
    root, encoded = _as_root(node)
    proof = [encoded]
    if data.draw(st.booleans()):
        child = data.draw(msgpack_values)
        child_hash, child_encoded = _as_root(child)
        proof.append(child_encoded)
        branch = [1] + [child_hash] * 16
        root, encoded = _as_root(branch)
        proof.append(encoded)
    try:
        result = verify_proof(root, key, proof)
    except ProofError:
        return
    assert result is None or type(result) is bytes
