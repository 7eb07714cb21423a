"""The storage overlay against a dict model (hypothesis state machine), and typed storage items."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from runtime.support.codec import U32, U64, AccountId
from runtime.support.hashing import blake2_128, storage_prefix
from runtime.support.storage import (
    MemoryBackend,
    Overlay,
    StorageDoubleMap,
    StorageMap,
    StorageValue,
    TransactionError,
)

keys = st.sampled_from([bytes([i]) * 3 for i in range(8)] + [b"\x01\x01\x01x", b"\x01"])
values = st.binary(min_size=0, max_size=4)


class OverlayModel(RuleBasedStateMachine):
    """Each layer of the model is a full dict copy; the overlay must read the same at all times."""

    def __init__(self) -> None:
        super().__init__()
        base = {b"\x00\x00\x00": b"base", b"\x01\x01\x01": b"one"}
        self.backend = MemoryBackend(base)
        self.overlay = Overlay(self.backend)
        self.stack = [dict(base)]

    @rule(k=keys, v=values)
    def set(self, k, v):
        self.overlay.set(k, v)
        self.stack[-1][k] = v

    @rule(k=keys)
    def delete(self, k):
        self.overlay.delete(k)
        self.stack[-1].pop(k, None)

    @rule()
    def start(self):
        self.overlay.start()
        self.stack.append(dict(self.stack[-1]))

    @precondition(lambda self: len(self.stack) > 1)
    @rule()
    def commit(self):
        self.overlay.commit()
        top = self.stack.pop()
        self.stack[-1] = top

    @precondition(lambda self: len(self.stack) > 1)
    @rule()
    def rollback(self):
        self.overlay.rollback()
        self.stack.pop()

    @rule(p=st.sampled_from([b"", b"\x01", b"\x01\x01\x01", b"\x07"]))
    def prefix(self, p):
        want = sorted((k, v) for k, v in self.stack[-1].items() if k.startswith(p))
        assert list(self.overlay.iter_prefix(p)) == want

    @invariant()
    def reads_match(self):
        model = self.stack[-1]
        for i in range(8):
            k = bytes([i]) * 3
            assert self.overlay.get(k) == model.get(k)
        changes = self.overlay.changes()
        merged = dict(self.backend.items)
        for k, v in changes.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        assert merged == model


TestOverlay = OverlayModel.TestCase
TestOverlay.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_layer_misuse() -> None:
    o = Overlay(MemoryBackend())
    with pytest.raises(TransactionError):
        o.commit()
    with pytest.raises(TransactionError):
        o.rollback()


def test_typed_items_and_key_layout() -> None:
    o = Overlay(MemoryBackend())
    v = StorageValue("Test", "Value", U64, 7)
    m = StorageMap("Test", "Map", AccountId, U32, 0)
    d = StorageDoubleMap("Test", "Double", U32, AccountId, U64, 0, hasher1="Identity")
    assert v.get(o) == 7
    v.set(o, 9)
    assert v.get(o) == 9 and v.key() == storage_prefix("Test", "Value")
    who = b"\x11" * 32
    m.set(o, who, 5)
    assert m.get(o, who) == 5 and m.get(o, b"\x22" * 32) == 0
    # Substrate's layout: Blake2_128Concat of the SCALE key (an AccountId32 is its 32 bytes)
    assert m.key(who) == storage_prefix("Test", "Map") + blake2_128(who) + who
    assert d.key(3, who) == storage_prefix("Test", "Double") + (3).to_bytes(4, "little") + blake2_128(who) + who
    assert list(m.iter(o)) == [(who, 5)]
    d.set(o, 3, who, 10)
    d.set(o, 3, b"\x01" * 32, 11)
    d.set(o, 4, who, 12)
    assert sorted(d.iter_prefix_values(o, 3)) == sorted([(who, 10), (b"\x01" * 32, 11)])
    m.remove(o, who)
    assert not m.contains(o, who)
