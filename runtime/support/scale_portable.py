"""A SCALE codec driven by a metadata's portable type registry: what a Substrate client does.

`PortableCodec(metadata)` (prefixed V14/V15 bytes or a decoded `MetadataV14`/`MetadataV15`)
encodes and decodes any type of the registry by its id, and on top of that composes calls, storage
keys, storage values, events, errors and constants by pallet and name, reading nothing but the
metadata. taochain's SDK uses it to speak to a node through the node's own declared types, as
py-substrate-interface or @polkadot/api do; the runtime never imports it.

Python values (decoding gives these; encoding accepts them and the noted extras):
- bool, char, str, uN primitives and Compact<uN> -> bool / str / int;
- `[u8; N]`, `Vec<u8>` -> bytes (encode also takes bytearray, "0x.." hex, a list of ints, and for
  `[u8; 32]` an SS58 address);
- a composite: named fields -> dict (encode also takes an object with those attributes, e.g. a
  dataclass); one unnamed field -> that field's value (so AccountId32 and H256 are bytes); several
  unnamed -> tuple (encode: tuple or list); no fields -> None;
- a variant: `Option<T>` -> None or the value; `OptionBool` -> None / True / False; a unit variant ->
  its name; one with fields -> {name: fields} (fields as for a composite);
- sequences -> list, arrays -> list, tuples -> tuple (the unit tuple -> ());
- the runtime's call type also takes the bytes of an already composed call (checked by decoding).

Strict as runtime/support/scale.py: decoding consumes the whole input, reads nothing past its end,
checks item counts against the bytes left before allocating, bounds nesting depth, and raises only
`CodecError` for bad input. Encoding errors are `CodecError` too (a ValueError), naming the path to
the value at fault (`dest: ...`); `call` turns them into a ValueError naming pallet, call and
argument. Bit sequences and signed integers are not in this metadata format's reader and so never
reach the codec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from .codec import MAX_DECODE_SIZE, CodecError
from .hashing import blake2_128, blake2_128_concat, blake2_256, identity, twox64_concat, twox128, twox256
from .keys import InvalidKey, parse_account
from .metadata import (
    DefArray,
    DefCompact,
    DefComposite,
    DefPrimitive,
    DefSequence,
    DefTuple,
    DefVariant,
    EntryMap,
    FieldMeta,
    MetadataV14,
    MetadataV15,
    Primitive,
    StorageHasher,
    StorageModifier,
    decode_metadata,
)
from .scale import _check_input, _compact_read, _read_len, _take, compact_encode

MAX_DEPTH = 64  # nesting of values (a call in a call in ...)
MAX_ITEMS = 1 << 24  # items of one sequence

_HASHERS = {
    StorageHasher.Blake2_128: blake2_128,
    StorageHasher.Blake2_256: blake2_256,
    StorageHasher.Blake2_128Concat: blake2_128_concat,
    StorageHasher.Twox128: twox128,
    StorageHasher.Twox256: twox256,
    StorageHasher.Twox64Concat: twox64_concat,
    StorageHasher.Identity: identity,
}
_UINT_BITS = {Primitive.u8: 8, Primitive.u16: 16, Primitive.u32: 32, Primitive.u64: 64, Primitive.u128: 128,
              Primitive.u256: 256}


def _fields_value(fields: Sequence[FieldMeta], values: list) -> Any:
    """A composite's (or a variant's) decoded fields as their Python value (see the module doc)."""
    if not fields:
        return None
    if all(f.name is not None for f in fields):
        return {f.name: v for f, v in zip(fields, values, strict=True)}
    if len(fields) == 1:
        return values[0]
    return tuple(values)


def _to_bytes(v: Any, what: str) -> bytes:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)
    if isinstance(v, str):
        if v.startswith("0x"):
            try:
                return bytes.fromhex(v[2:])
            except ValueError:
                raise CodecError(f"{what}: {v!r} is not 0x-hex") from None
        raise CodecError(f"{what}: give bytes or 0x-hex, not {v!r}")
    if isinstance(v, list | tuple) and all(type(x) is int and 0 <= x < 256 for x in v):
        return bytes(v)
    raise CodecError(f"{what}: expected bytes, got {type(v).__name__}")


@dataclasses.dataclass(frozen=True, slots=True)
class PalletInfo:
    """What the codec knows of a pallet: name, index, its call/event/error type ids, storage, constants."""

    name: str
    index: int
    calls: int | None
    event: int | None
    error: int | None
    storage: dict[str, Any]
    constants: dict[str, Any]


class PortableCodec:
    """SCALE by type id over a metadata's registry, and pallet-level helpers (see the module doc)."""

    def __init__(self, metadata: bytes | MetadataV14 | MetadataV15) -> None:
        md = decode_metadata(bytes(metadata)) if isinstance(metadata, bytes | bytearray) else metadata
        if not isinstance(md, MetadataV14 | MetadataV15):
            raise TypeError(f"expected metadata bytes or a decoded MetadataV14/V15, got {type(md).__name__}")
        self.metadata = md
        self.types = {t.id: t for t in md.types}
        self._min: dict[int, int] = {}
        self.pallets: dict[str, PalletInfo] = {}
        self.by_index: dict[int, PalletInfo] = {}
        for p in md.pallets:
            info = PalletInfo(
                p.name, p.index,
                None if p.calls is None else p.calls.ty,
                None if p.event is None else p.event.ty,
                None if p.error is None else p.error.ty,
                {} if p.storage is None else {e.name: e for e in p.storage.entries},
                {c.name: c for c in p.constants},
            )
            self.pallets[p.name] = info
            self.by_index[p.index] = info
        self.call_type = self._call_type_id(md)
        for tid, t in self.types.items():
            if tid != t.id:
                raise CodecError(f"metadata: type {t.id} listed at position {tid}")

    @staticmethod
    def _call_type_id(md: MetadataV14 | MetadataV15) -> int | None:
        if isinstance(md, MetadataV15):
            return md.extrinsic.call_ty
        params = {p.name: p.type for p in md.types[md.extrinsic.ty].params} if md.extrinsic.ty < len(md.types) else {}
        return params.get("Call")

    # ------------------------------------------------------------------ the registry
    def type_of(self, tid: int) -> Any:
        t = self.types.get(tid)
        if t is None:
            raise CodecError(f"type {tid} is not in the registry")
        return t

    def type_name(self, tid: int) -> str:
        """A short human name for a type: its path's last part, or its shape."""
        t = self.type_of(tid)
        d = t.type_def
        if t.path:
            return t.path[-1]
        if isinstance(d, DefPrimitive):
            return d.primitive.name
        if isinstance(d, DefCompact):
            return f"Compact<{self.type_name(d.type_param)}>"
        if isinstance(d, DefSequence):
            return f"Vec<{self.type_name(d.type_param)}>"
        if isinstance(d, DefArray):
            return f"[{self.type_name(d.type_param)}; {d.len}]"
        if isinstance(d, DefTuple):
            return "(" + ", ".join(self.type_name(i) for i in d.fields) + ")"
        return f"type {tid}"

    def _is_u8(self, tid: int) -> bool:
        d = self.type_of(tid).type_def
        return isinstance(d, DefPrimitive) and d.primitive == Primitive.u8

    def is_account(self, tid: int) -> bool:
        """Whether the type holds an account id: `[u8; 32]`, or a one-field composite of it
        (AccountId32)."""
        d = self.type_of(tid).type_def
        if isinstance(d, DefComposite) and len(d.fields) == 1:
            d = self.type_of(d.fields[0].type).type_def
        return isinstance(d, DefArray) and d.len == 32 and self._is_u8(d.type_param)

    def min_size(self, tid: int) -> int:
        """The fewest bytes a value of the type takes (a lower bound for a recursive type)."""
        got = self._min.get(tid)
        if got is not None:
            return got
        self._min[tid] = 0  # a type that reaches itself: 0 is a safe bound while it is computed
        d = self.type_of(tid).type_def
        if isinstance(d, DefPrimitive):
            n = 1 if d.primitive in (Primitive.bool, Primitive.str) else 4 if d.primitive == Primitive.char else (
                _UINT_BITS[d.primitive] >> 3)
        elif isinstance(d, DefCompact | DefSequence):
            n = 1
        elif isinstance(d, DefArray):
            n = d.len * self.min_size(d.type_param)
        elif isinstance(d, DefTuple):
            n = sum(self.min_size(i) for i in d.fields)
        elif isinstance(d, DefComposite):
            n = sum(self.min_size(f.type) for f in d.fields)
        else:
            n = 1 + min((sum(self.min_size(f.type) for f in v.fields) for v in d.variants), default=0)
        self._min[tid] = n
        return n

    # ------------------------------------------------------------------ encode
    def encode(self, tid: int, value: Any) -> bytes:
        """SCALE of `value` as type `tid`; a value that does not fit is a CodecError naming where."""
        out = bytearray()
        self._enc(tid, value, out, 0, "")
        return bytes(out)

    def _enc(self, tid: int, v: Any, out: bytearray, depth: int, at: str) -> None:
        if depth > MAX_DEPTH:
            raise CodecError(f"{at or 'value'}: nested more than {MAX_DEPTH} levels")
        t = self.type_of(tid)
        d = t.type_def
        where = at or self.type_name(tid)
        if isinstance(d, DefPrimitive):
            self._enc_primitive(d.primitive, v, out, where)
        elif isinstance(d, DefCompact):
            if isinstance(v, bool) or type(v) is not int:
                raise CodecError(f"{where}: expected an integer, got {type(v).__name__}")
            bits = self._compact_bits(d.type_param)
            if not 0 <= v < 1 << bits:
                raise CodecError(f"{where}: {v} is out of range for Compact<u{bits}>")
            out += compact_encode(v)
        elif isinstance(d, DefSequence):
            if self._is_u8(d.type_param):
                b = _to_bytes(v, where)
                out += compact_encode(len(b))
                out += b
                return
            items = self._items(v, where)
            out += compact_encode(len(items))
            for i, x in enumerate(items):
                self._enc(d.type_param, x, out, depth + 1, f"{where}[{i}]")
        elif isinstance(d, DefArray):
            if self._is_u8(d.type_param):
                b = self._byte_array(v, d.len, where)
                out += b
                return
            items = self._items(v, where)
            if len(items) != d.len:
                raise CodecError(f"{where}: expected {d.len} items, got {len(items)}")
            for i, x in enumerate(items):
                self._enc(d.type_param, x, out, depth + 1, f"{where}[{i}]")
        elif isinstance(d, DefTuple):
            if not d.fields and v in (None, ()):
                return
            items = self._items(v, where)
            if len(items) != len(d.fields):
                raise CodecError(f"{where}: expected a tuple of {len(d.fields)}, got {len(items)} items")
            for i, (ft, x) in enumerate(zip(d.fields, items, strict=True)):
                self._enc(ft, x, out, depth + 1, f"{where}.{i}")
        elif isinstance(d, DefComposite):
            self._enc_fields(d.fields, v, out, depth, where)
        else:
            self._enc_variant(tid, t.path, d, v, out, depth, where)

    @staticmethod
    def _enc_primitive(p: Primitive, v: Any, out: bytearray, where: str) -> None:
        if p == Primitive.bool:
            if type(v) is not bool:
                raise CodecError(f"{where}: expected a boolean, got {type(v).__name__}")
            out.append(1 if v else 0)
        elif p == Primitive.str:
            if not isinstance(v, str):
                raise CodecError(f"{where}: expected a string, got {type(v).__name__}")
            b = v.encode()
            out += compact_encode(len(b))
            out += b
        elif p == Primitive.char:
            if not isinstance(v, str) or len(v) != 1:
                raise CodecError(f"{where}: expected one character, got {v!r}")
            out += ord(v).to_bytes(4, "little")
        else:
            bits = _UINT_BITS[p]
            if isinstance(v, bool) or type(v) is not int:
                raise CodecError(f"{where}: expected an integer ({p.name}), got {type(v).__name__}")
            if not 0 <= v < 1 << bits:
                raise CodecError(f"{where}: {v} does not fit {p.name}")
            out += v.to_bytes(bits >> 3, "little")

    def _compact_bits(self, tid: int) -> int:
        """The width of a compact's integer: the primitive itself or inside a one-field wrapper."""
        for _ in range(MAX_DEPTH):
            d = self.type_of(tid).type_def
            if isinstance(d, DefPrimitive) and d.primitive in _UINT_BITS:
                return _UINT_BITS[d.primitive]
            if isinstance(d, DefComposite) and len(d.fields) == 1:
                tid = d.fields[0].type
                continue
            break
        raise CodecError(f"Compact<{self.type_name(tid)}>: only unsigned integers are compact")

    @staticmethod
    def _items(v: Any, where: str) -> Sequence:
        if isinstance(v, list | tuple):
            return v
        raise CodecError(f"{where}: expected a list, got {type(v).__name__}")

    @staticmethod
    def _byte_array(v: Any, n: int, where: str) -> bytes:
        if n == 32 and isinstance(v, str) and not v.startswith("0x"):
            try:
                return parse_account(v)
            except InvalidKey as exc:
                raise CodecError(f"{where}: {v!r} is not an SS58 address or 0x-hex ({exc})") from None
        b = _to_bytes(v, where)
        if len(b) != n:
            raise CodecError(f"{where}: expected {n} bytes, got {len(b)}")
        return b

    def _enc_fields(self, fields: Sequence[FieldMeta], v: Any, out: bytearray, depth: int, where: str) -> None:
        if not fields:
            if v not in (None, (), {}):
                raise CodecError(f"{where}: has no fields, got {v!r}")
            return
        if all(f.name is not None for f in fields):
            if isinstance(v, Mapping):
                names = [f.name for f in fields]
                missing = [n for n in names if n not in v]
                extra = [k for k in v if k not in names]
                if missing or extra:
                    raise CodecError(f"{where}: fields {names}, missing {missing}, unknown {extra}")
                values = [v[n] for n in names]
            elif dataclasses.is_dataclass(v) and not isinstance(v, type):
                try:
                    values = [getattr(v, f.name) for f in fields]
                except AttributeError as exc:
                    raise CodecError(f"{where}: {exc}") from None
            else:
                raise CodecError(f"{where}: expected a dict of {[f.name for f in fields]}, got {type(v).__name__}")
            for f, x in zip(fields, values, strict=True):
                self._enc(f.type, x, out, depth + 1, f"{where}.{f.name}")
            return
        if len(fields) == 1:
            self._enc(fields[0].type, v, out, depth + 1, where)
            return
        items = self._items(v, where)
        if len(items) != len(fields):
            raise CodecError(f"{where}: expected {len(fields)} fields, got {len(items)}")
        for i, (f, x) in enumerate(zip(fields, items, strict=True)):
            self._enc(f.type, x, out, depth + 1, f"{where}.{i}")

    def _enc_variant(
        self, tid: int, path: tuple, d: DefVariant, v: Any, out: bytearray, depth: int, where: str,
    ) -> None:
        by_name = {x.name: x for x in d.variants}
        if path == ("Option",) and set(by_name) == {"None", "Some"}:
            if v is None:
                out.append(by_name["None"].index)
            else:
                out.append(by_name["Some"].index)
                self._enc_fields(by_name["Some"].fields, v, out, depth, where)
            return
        if path == ("OptionBool",):
            if v is not None and type(v) is not bool:
                raise CodecError(f"{where}: expected a boolean or None, got {type(v).__name__}")
            out.append(by_name[str(v)].index)
            return
        if tid == self.call_type:
            if isinstance(v, bytes | bytearray):
                self.decode(tid, bytes(v))  # a composed call: checked, then taken as it is
                out += v
                return
            if isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], str):
                pallet, name, args = v
                out += self.call(pallet, name, **args) if isinstance(args, Mapping) else self.call(
                    pallet, name, *args)
                return
        if isinstance(v, str):
            name, fields_value = v, None
        elif isinstance(v, Mapping) and len(v) == 1:
            ((name, fields_value),) = v.items()
        else:
            raise CodecError(f"{where}: expected a variant name or {{name: fields}}, got {v!r}")
        var = by_name.get(name)
        if var is None:
            raise CodecError(f"{where}: no variant {name!r} (known: {', '.join(by_name)})")
        out.append(var.index)
        self._enc_fields(var.fields, fields_value, out, depth, f"{where}.{name}")

    # ------------------------------------------------------------------ decode
    def decode(self, tid: int, data: bytes, max_size: int = MAX_DECODE_SIZE) -> Any:
        """The value of type `tid` in untrusted bytes holding exactly one; every problem is a CodecError."""
        _check_input(data, 0)
        if len(data) > max_size:
            raise CodecError(f"input of {len(data)} bytes exceeds the {max_size}-byte limit")
        raw = bytes(data)
        v, end = self.decode_from(tid, raw, 0)
        if end != len(raw):
            raise CodecError(f"{self.type_name(tid)}: {len(raw) - end} trailing bytes")
        return v

    def decode_from(self, tid: int, data: bytes, pos: int = 0) -> tuple[Any, int]:
        """One value of type `tid` at `pos`: (value, offset after it)."""
        _check_input(data, pos)
        try:
            return self._dec(tid, bytes(data), pos, 0)
        except RecursionError:
            raise CodecError(f"{self.type_name(tid)}: input nested too deeply") from None

    def _dec(self, tid: int, data: bytes, pos: int, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise CodecError(f"{self.type_name(tid)}: nested more than {MAX_DEPTH} levels")
        t = self.type_of(tid)
        d = t.type_def
        if isinstance(d, DefPrimitive):
            return self._dec_primitive(d.primitive, data, pos)
        if isinstance(d, DefCompact):
            return _compact_read(data, pos, self._compact_bits(d.type_param))
        if isinstance(d, DefSequence):
            what = self.type_name(tid)
            if self._is_u8(d.type_param):
                n, pos = _read_len(data, pos, MAX_DECODE_SIZE, 1, what)
                return _take(data, pos, n, what)
            n, pos = _read_len(data, pos, MAX_ITEMS, self.min_size(d.type_param), what)
            items = []
            for _ in range(n):
                x, pos = self._dec(d.type_param, data, pos, depth + 1)
                items.append(x)
            return items, pos
        if isinstance(d, DefArray):
            if self._is_u8(d.type_param):
                return _take(data, pos, d.len, self.type_name(tid))
            if d.len * self.min_size(d.type_param) > len(data) - pos:
                raise CodecError(f"{self.type_name(tid)}: cannot fit in the {len(data) - pos} bytes left")
            items = []
            for _ in range(d.len):
                x, pos = self._dec(d.type_param, data, pos, depth + 1)
                items.append(x)
            return items, pos
        if isinstance(d, DefTuple):
            items = []
            for ft in d.fields:
                x, pos = self._dec(ft, data, pos, depth + 1)
                items.append(x)
            return tuple(items), pos
        if isinstance(d, DefComposite):
            return self._dec_fields(d.fields, data, pos, depth)
        if pos >= len(data):
            raise CodecError(f"{self.type_name(tid)}: input ends before the variant index")
        index = data[pos]
        var = next((x for x in d.variants if x.index == index), None)
        if var is None:
            raise CodecError(f"{self.type_name(tid)}: unknown variant index {index}")
        if t.path == ("OptionBool",):
            return {"None": None, "True": True, "False": False}[var.name], pos + 1
        value, pos = self._dec_fields(var.fields, data, pos + 1, depth)
        if t.path == ("Option",):
            return value, pos
        return (var.name if not var.fields else {var.name: value}), pos

    def _dec_fields(self, fields: Sequence[FieldMeta], data: bytes, pos: int, depth: int) -> tuple[Any, int]:
        values = []
        for f in fields:
            x, pos = self._dec(f.type, data, pos, depth + 1)
            values.append(x)
        return _fields_value(fields, values), pos

    @staticmethod
    def _dec_primitive(p: Primitive, data: bytes, pos: int) -> tuple[Any, int]:
        if p == Primitive.bool:
            raw, end = _take(data, pos, 1, "bool")
            if raw[0] > 1:
                raise CodecError(f"bool: byte {raw[0]} is not 0 or 1")
            return raw[0] == 1, end
        if p == Primitive.str:
            n, pos = _read_len(data, pos, MAX_DECODE_SIZE, 1, "str")
            raw, end = _take(data, pos, n, "str")
            try:
                return raw.decode(), end
            except UnicodeDecodeError:
                raise CodecError("str: not UTF-8") from None
        if p == Primitive.char:
            raw, end = _take(data, pos, 4, "char")
            code = int.from_bytes(raw, "little")
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise CodecError(f"char: {code:#x} is not a Unicode scalar value")
            return chr(code), end
        raw, end = _take(data, pos, _UINT_BITS[p] >> 3, p.name)
        return int.from_bytes(raw, "little"), end

    # ------------------------------------------------------------------ pallets
    def pallet(self, name: str) -> PalletInfo:
        p = self.pallets.get(name)
        if p is None:
            raise ValueError(f"the metadata has no pallet {name!r} (pallets: {', '.join(self.pallets)})")
        return p

    def call_variant(self, pallet: str, name: str) -> tuple[PalletInfo, Any]:
        """A call's pallet and its variant (index, fields = the arguments in declared order)."""
        p = self.pallet(pallet)
        if p.calls is None:
            raise ValueError(f"pallet {pallet} has no calls")
        variants = self.type_of(p.calls).type_def.variants
        var = next((v for v in variants if v.name == name), None)
        if var is None:
            raise ValueError(f"pallet {pallet} has no call {name!r}")
        return p, var

    def call(self, pallet: str, name: str, *args: Any, **kwargs: Any) -> bytes:
        """SCALE `RuntimeCall`: pallet index ++ call index ++ the arguments in declared order.

        Arguments are positional, by keyword, or one dict of them all; a missing, unknown or
        ill-typed one is a ValueError naming the pallet, the call and the argument."""
        p, var = self.call_variant(pallet, name)
        names = [f.name or str(i) for i, f in enumerate(var.fields)]
        positional: tuple = args
        if len(args) == 1 and not kwargs and isinstance(args[0], Mapping) and set(args[0]) == set(names):
            positional, kwargs = (), dict(args[0])  # the arguments as one dict (no value has exactly those keys)
        sig = f"{pallet}.{name}({', '.join(names)})"
        if len(positional) > len(names):
            raise ValueError(f"{sig} takes {len(names)} arguments, got {len(positional)}")
        values = dict(zip(names, positional, strict=False))
        for k, v in kwargs.items():
            if k not in names:
                raise ValueError(f"{sig} has no argument {k!r}")
            if k in values:
                raise ValueError(f"{sig}: argument {k!r} given twice")
            values[k] = v
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"{sig}: missing argument{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        out = bytearray((p.index, var.index))
        for n, f in zip(names, var.fields, strict=True):
            try:
                self._enc(f.type, values[n], out, 1, n)
            except CodecError as exc:
                raise ValueError(f"{sig}: argument {n} ({f.type_name or self.type_name(f.type)}): {exc}") from None
        return bytes(out)

    def decode_call(self, data: bytes) -> tuple[str, str, dict]:
        """(pallet, call, {argument: value}) of SCALE RuntimeCall bytes; every problem is a CodecError."""
        if self.call_type is None:
            raise CodecError("the metadata declares no call type")
        v = self.decode(self.call_type, data)
        ((pallet, inner),) = v.items()
        if isinstance(inner, str):
            return pallet, inner, {}
        ((name, args),) = inner.items()
        return pallet, name, args

    def storage_entry(self, pallet: str, item: str) -> Any:
        e = self.pallet(pallet).storage.get(item)
        if e is None:
            raise ValueError(f"pallet {pallet} has no storage item {item!r}")
        return e

    def storage_key(self, pallet: str, item: str, *keys: Any) -> bytes:
        """twox128(prefix) ++ twox128(item) ++ each key hashed with its declared hasher; fewer
        keys than the item declares give the prefix of the keys under them."""
        e = self.storage_entry(pallet, item)
        out = twox128(pallet.encode()) + twox128(item.encode())
        if not isinstance(e.type, EntryMap):
            if keys:
                raise ValueError(f"{pallet}.{item} is a plain value: it takes no key")
            return out
        hashers = e.type.hashers
        if len(keys) > len(hashers):
            raise ValueError(f"{pallet}.{item} takes {len(hashers)} keys, got {len(keys)}")
        if len(hashers) == 1:
            key_types = [e.type.key]
        else:
            kd = self.type_of(e.type.key).type_def
            if not isinstance(kd, DefTuple) or len(kd.fields) != len(hashers):
                raise CodecError(f"{pallet}.{item}: {len(hashers)} hashers but the key is not a tuple of as many")
            key_types = list(kd.fields)
        for i, (h, kt, k) in enumerate(zip(hashers, key_types, keys, strict=False)):
            try:
                enc = self.encode(kt, k)
            except CodecError as exc:
                raise ValueError(f"{pallet}.{item}: key {i} ({self.type_name(kt)}): {exc}") from None
            out += _HASHERS[h](enc)
        return out

    def decode_storage(self, pallet: str, item: str, raw: bytes | None) -> Any:
        """A storage value of its declared type; an absent one (None) is the declared default for a
        Default entry, None for an Optional one."""
        e = self.storage_entry(pallet, item)
        if raw is None:
            if e.modifier == StorageModifier.Optional:
                return None
            raw = e.default
        return self.decode(e.type.value, raw)

    def decode_events(self, raw: bytes) -> list[dict]:
        """System.Events' bytes (its declared type: Vec<frame_system::EventRecord>) as a list of
        {"phase", "pallet", "name", "fields" (dict: by name, or by position when unnamed), "topics"}."""
        tid = self.storage_entry("System", "Events").type.value
        seq = self.type_of(tid).type_def
        record = None if not isinstance(seq, DefSequence) else self.type_of(seq.type_param)
        if record is None or record.path[-1:] != ("EventRecord",):
            raise CodecError(f"System.Events is declared as {self.type_name(tid)}, not Vec<EventRecord>")
        out = []
        for r in self.decode(tid, raw, 1 << 26):
            ((pallet, ev),) = r["event"].items()
            fields: dict = {}
            if isinstance(ev, str):
                name = ev
            else:
                ((name, value),) = ev.items()
                fields = value if isinstance(value, dict) else dict(enumerate(
                    value if isinstance(value, tuple) else (value,)))
            out.append({"phase": r["phase"], "pallet": pallet, "name": name, "fields": fields,
                        "topics": r["topics"]})
        return out

    def error(self, pallet_index: int, error: bytes | int) -> tuple[str, str, str]:
        """(pallet, error name, docs) of a `DispatchError::Module {index, error}` (error: its bytes,
        the first being the variant index, or that index)."""
        p = self.by_index.get(pallet_index)
        if p is None:
            raise ValueError(f"the metadata has no pallet with index {pallet_index}")
        if not isinstance(error, int) and not error:
            raise ValueError("a module error's bytes are empty")
        idx = error if isinstance(error, int) else bytes(error)[0]
        if p.error is None:
            raise ValueError(f"pallet {p.name} declares no errors")
        var = next((v for v in self.type_of(p.error).type_def.variants if v.index == idx), None)
        if var is None:
            raise ValueError(f"pallet {p.name} has no error with index {idx}")
        return p.name, var.name, "\n".join(var.docs)

    def constant(self, pallet: str, name: str) -> Any:
        c = self.pallet(pallet).constants.get(name)
        if c is None:
            raise ValueError(f"pallet {pallet} has no constant {name!r}")
        return self.decode(c.ty, c.value)


__all__ = ["MAX_DEPTH", "MAX_ITEMS", "PalletInfo", "PortableCodec"]
