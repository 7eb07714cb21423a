"""Typed storage items over an overlay with nested transactional layers.

The overlay sits on a read-only `StateBackend` (the parent block's state). Writes go to the top
layer; `start()` opens a layer, `commit()` folds it into the one below, `rollback()` drops it. The
executive opens one layer per extrinsic and one per call, so a failing call changes nothing.

Storage items (`StorageValue`, `StorageMap`, `StorageDoubleMap`) know their key layout
(`twox128(pallet) ++ twox128(item) ++ hasher(SCALE(key))`, Substrate's) and their value type, and
store values as SCALE (runtime/support/scale.py) of that type: `value_scale` (and `key_scale`,
`key1_scale`, `key2_scale`) are the very ScaleType objects the metadata declares for the item, so
a client decoding `state_getStorage` bytes with the metadata's types reads what the runtime wrote.
Reads of absent keys give the item's default.

State bytes read back through an item were written by this runtime (or by verified execution) and
decode on a fast path without the untrusted-input checks; keys recovered from full storage keys
(`decode_key`, `iter_prefix_values`) decode strictly (CodecError only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from .codec import CodecError, WireType, wire_type_of
from .hashing import blake2_128_concat, identity, storage_prefix, twox64_concat
from .scale import ScaleType, scale_type_of

_DELETED = None  # a layer entry of None marks a deletion
CACHE_LIMIT = 1 << 16  # per storage item: decoded values and computed keys kept for reuse


class StateBackend(Protocol):
    """Read access to a committed state (the parent block's)."""

    def get(self, key: bytes) -> bytes | None: ...

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs whose key starts with prefix, in key order."""
        ...


class MemoryBackend:
    """A dict-backed StateBackend, for tests and the scripted demo."""

    def __init__(self, items: dict[bytes, bytes] | None = None) -> None:
        self.items: dict[bytes, bytes] = dict(items or {})

    def get(self, key: bytes) -> bytes | None:
        return self.items.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for k in sorted(k for k in self.items if k.startswith(prefix)):
            yield k, self.items[k]

    def apply(self, changes: dict[bytes, bytes | None]) -> None:
        for k, v in changes.items():
            if v is None:
                self.items.pop(k, None)
            else:
                self.items[k] = v


class TransactionError(RuntimeError):
    """Misuse of the layer stack (commit or rollback without an open layer)."""


class Overlay:
    """Nested write layers over a backend. Layer 0 is the block layer and is never popped."""

    def __init__(self, backend: StateBackend) -> None:
        self.backend = backend
        self.layers: list[dict[bytes, bytes | None]] = [{}]

    # --- reads
    def get(self, key: bytes) -> bytes | None:
        for layer in reversed(self.layers):
            if key in layer:
                return layer[key]
        return self.backend.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Merged view of backend and layers, in key order."""
        merged: dict[bytes, bytes | None] = dict(self.backend.iter_prefix(prefix))
        for layer in self.layers:
            for k, v in layer.items():
                if k.startswith(prefix):
                    merged[k] = v
        for k in sorted(merged):
            v = merged[k]
            if v is not None:
                yield k, v

    # --- writes
    def set(self, key: bytes, value: bytes) -> None:
        self.layers[-1][key] = value

    def delete(self, key: bytes) -> None:
        self.layers[-1][key] = _DELETED

    def clear_prefix(self, prefix: bytes) -> None:
        for k, _ in list(self.iter_prefix(prefix)):
            self.delete(k)

    # --- transactional layers
    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    def start(self) -> None:
        self.layers.append({})

    def commit(self) -> None:
        if len(self.layers) < 2:
            raise TransactionError("commit without an open layer")
        top = self.layers.pop()
        self.layers[-1].update(top)

    def rollback(self) -> None:
        if len(self.layers) < 2:
            raise TransactionError("rollback without an open layer")
        self.layers.pop()

    def changes(self) -> dict[bytes, bytes | None]:
        """All writes relative to the backend (open layers folded in), None = deleted."""
        out: dict[bytes, bytes | None] = {}
        for layer in self.layers:
            out.update(layer)
        return out


# --------------------------------------------------------------------------- typed items

Hasher = Callable[[bytes], bytes]
HASHERS: dict[str, Hasher] = {
    "Blake2_128Concat": blake2_128_concat,
    "Twox64Concat": twox64_concat,
    "Identity": identity,
}
HASH_PREFIX = {"Blake2_128Concat": 16, "Twox64Concat": 8, "Identity": 0}  # bytes before the key itself


def _types(annotation: Any) -> tuple[WireType, ScaleType]:
    """An item's declared type: its wire type (JSON metadata, views) and its SCALE type (storage)."""
    if isinstance(annotation, ScaleType):
        raise TypeError("declare storage types as codec annotations; their SCALE form follows")
    wt = wire_type_of(annotation)
    try:
        st = scale_type_of(annotation)
    except TypeError:
        st = scale_type_of(wt)
    return wt, st


def _trusted_decode(st: ScaleType, raw: bytes) -> Any:
    """Decode state bytes this runtime wrote: no input checks (a stray byte still fails loudly)."""
    v, end = st._dec(raw, 0)
    if end != len(raw):
        raise CodecError(f"{st.name}: {len(raw) - end} trailing bytes in stored state")
    return v


class StorageItem:
    """Common part of the typed items: prefix, value type, default, docs."""

    kind = "?"

    def __init__(self, pallet: str, name: str, value_type: Any, default: Any = None, doc: str = "") -> None:
        self.pallet = pallet
        self.name = name
        self.value_type, self.value_scale = _types(value_type)
        self.default = default
        self.doc = doc
        self.prefix = storage_prefix(pallet, name)
        # decoded values by their bytes (values are immutable), and full keys by map key
        self._values: dict[bytes, Any] = {}
        self._keys: dict[Any, bytes] = {}

    def _decode(self, raw: bytes | None) -> Any:
        if raw is None:
            return self.default
        v = self._values.get(raw)
        if v is None:
            if len(self._values) >= CACHE_LIMIT:
                self._values.clear()
            # state bytes were written by this runtime (or by verified execution): trusted
            v = self._values[raw] = _trusted_decode(self.value_scale, raw)
        return v

    def _encode(self, value: Any) -> bytes:
        return self.value_scale.encode(value)

    def decode_value(self, raw: bytes) -> Any:
        """A stored value from untrusted bytes (e.g. a proof's); every problem is a CodecError."""
        return self.value_scale.decode(raw)

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "value": repr(self.value_type), "doc": self.doc}


class StorageValue(StorageItem):
    kind = "value"

    def key(self) -> bytes:
        return self.prefix

    def get(self, s: Overlay) -> Any:
        return self._decode(s.get(self.prefix))

    def set(self, s: Overlay, value: Any) -> None:
        s.set(self.prefix, self._encode(value))

    def kill(self, s: Overlay) -> None:
        s.delete(self.prefix)

    def exists(self, s: Overlay) -> bool:
        return s.get(self.prefix) is not None


class StorageMap(StorageItem):
    kind = "map"

    def __init__(
        self,
        pallet: str,
        name: str,
        key_type: Any,
        value_type: Any,
        default: Any = None,
        hasher: str = "Blake2_128Concat",
        doc: str = "",
    ) -> None:
        super().__init__(pallet, name, value_type, default, doc)
        self.key_type, self.key_scale = _types(key_type)
        self.hasher_name = hasher
        self.hasher = HASHERS[hasher]

    def key(self, k: Any) -> bytes:
        full = self._keys.get(k)
        if full is None:
            if len(self._keys) >= CACHE_LIMIT:
                self._keys.clear()
            full = self._keys[k] = self.prefix + self.hasher(self.key_scale.encode(k))
        return full

    def get(self, s: Overlay, k: Any) -> Any:
        return self._decode(s.get(self.key(k)))

    def try_get(self, s: Overlay, k: Any) -> Any:
        """The stored value, or None when absent (OptionQuery)."""
        raw = s.get(self.key(k))
        return None if raw is None else self._decode(raw)

    def set(self, s: Overlay, k: Any, value: Any) -> None:
        s.set(self.key(k), self._encode(value))

    def remove(self, s: Overlay, k: Any) -> None:
        s.delete(self.key(k))

    def contains(self, s: Overlay, k: Any) -> bool:
        return s.get(self.key(k)) is not None

    def decode_key(self, full_key: bytes) -> Any:
        """Recover the map key from a full storage key (concat hashers only); strict: a key that
        is not this item's or does not decode is a CodecError."""
        if not isinstance(full_key, bytes) or not full_key.startswith(self.prefix):
            raise CodecError(f"{self.pallet}.{self.name}: not a key of this item")
        skip = len(self.prefix) + HASH_PREFIX[self.hasher_name]
        if len(full_key) < skip:
            raise CodecError(f"{self.pallet}.{self.name}: key ends inside the hash")
        return self.key_scale.decode(full_key[skip:])

    def iter(self, s: Overlay) -> Iterator[tuple[Any, Any]]:
        """(key, value) pairs in storage-key order (deterministic)."""
        for full, raw in s.iter_prefix(self.prefix):
            yield self.decode_key(full), self._decode(raw)

    def metadata(self) -> dict[str, Any]:
        return {**super().metadata(), "key": repr(self.key_type), "hasher": self.hasher_name}


class StorageDoubleMap(StorageItem):
    kind = "double_map"

    def __init__(
        self,
        pallet: str,
        name: str,
        key1_type: Any,
        key2_type: Any,
        value_type: Any,
        default: Any = None,
        hasher1: str = "Blake2_128Concat",
        hasher2: str = "Blake2_128Concat",
        doc: str = "",
    ) -> None:
        super().__init__(pallet, name, value_type, default, doc)
        self.key1_type, self.key1_scale = _types(key1_type)
        self.key2_type, self.key2_scale = _types(key2_type)
        self.hasher1_name, self.hasher2_name = hasher1, hasher2
        self.hasher1, self.hasher2 = HASHERS[hasher1], HASHERS[hasher2]

    def prefix1(self, k1: Any) -> bytes:
        return self.prefix + self.hasher1(self.key1_scale.encode(k1))

    def key(self, k1: Any, k2: Any) -> bytes:
        full = self._keys.get((k1, k2))
        if full is None:
            if len(self._keys) >= CACHE_LIMIT:
                self._keys.clear()
            full = self._keys[(k1, k2)] = self.prefix1(k1) + self.hasher2(self.key2_scale.encode(k2))
        return full

    def get(self, s: Overlay, k1: Any, k2: Any) -> Any:
        return self._decode(s.get(self.key(k1, k2)))

    def set(self, s: Overlay, k1: Any, k2: Any, value: Any) -> None:
        s.set(self.key(k1, k2), self._encode(value))

    def remove(self, s: Overlay, k1: Any, k2: Any) -> None:
        s.delete(self.key(k1, k2))

    def contains(self, s: Overlay, k1: Any, k2: Any) -> bool:
        return s.get(self.key(k1, k2)) is not None

    def iter_prefix_values(self, s: Overlay, k1: Any) -> Iterator[tuple[Any, Any]]:
        """(k2, value) pairs under k1, in storage-key order (concat hasher2 required)."""
        p = self.prefix1(k1)
        skip = len(p) + HASH_PREFIX[self.hasher2_name]
        dec = self.key2_scale.decode
        for full, raw in s.iter_prefix(p):
            yield dec(full[skip:]), self._decode(raw)

    def metadata(self) -> dict[str, Any]:
        return {
            **super().metadata(),
            "keys": [repr(self.key1_type), repr(self.key2_type)],
            "hashers": [self.hasher1_name, self.hasher2_name],
        }


__all__ = [
    "CodecError",
    "MemoryBackend",
    "Overlay",
    "StateBackend",
    "StorageDoubleMap",
    "StorageItem",
    "StorageMap",
    "StorageValue",
    "TransactionError",
]
