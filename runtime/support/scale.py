"""SCALE, Substrate's codec: encoding and strict decoding, derived from the project's type declarations.

SCALE is what a Substrate client sees (storage values, headers, extrinsics, events, metadata); the
MessagePack codec in `codec.py` stays where no client looks. Both read the same declarations:
`scale_type_of` maps a `codec` annotation or WireType (`U8..U128`, `Bytes32`, `Bool`, `Text`,
`tuple[X, ...]`, `X | None`, a `@wire` dataclass, ...) to a `ScaleType`, which encodes and decodes.

Layout (parity-scale-codec):
- uN: N/8 bytes little endian; bool: one byte 0 or 1;
- Compact<uN>: 0b00 = 6-bit value in one byte, 0b01 = 14 bits in two, 0b10 = 30 bits in four,
  0b11 = (byte count - 4) in the upper six bits, then the value in that many bytes;
- Option<T>: 0 for None, 1 ++ T for Some (also for T = bool: Rust cannot specialise it; the single
  byte 0 / 1 = true / 2 = false is the separate `OptionBool` type, `OPTION_BOOL` here);
- Vec<T>: Compact(len) ++ items; bytes are Vec<u8>; String: Compact(len) ++ UTF-8;
  [u8; N]: the N bytes; tuples and structs: their items in order, nothing between;
- enums: the variant index (one byte) ++ the variant's fields.

Decoding untrusted bytes is strict and raises only `CodecError`: the whole input is consumed, no
read runs past the end, lengths are checked against the remaining input (and each type's item
limit) before anything is allocated, bool/option/enum tags must be known, compacts must use their
shortest mode and fit their type. Encoding is the inverse, with the same range checks.

Each ScaleType also describes itself (`type_def()`) as Metadata V14's portable registry does:
primitive, compact, sequence, array, tuple, composite (fields, path) or variant (variants, path).

Pure and deterministic: no I/O, no clock, no floats.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from enum import IntEnum
from typing import Annotated, Any, TypeVar

from .codec import (
    MAX_DECODE_SIZE,
    BoolListT,
    BoolT,
    BytesT,
    CodecError,
    Lazy,
    ListT,
    OptionT,
    StructT,
    TextT,
    U16PairsT,
    UInt,
    UIntListT,
    WireType,
    u32,
    u64,
    u128,
)

MAX_COMPACT_BYTES = 67  # 0b11 mode: up to 63 + 4 bytes (536 bits)

_BYTES_LIKE = (bytes, bytearray, memoryview)


# --------------------------------------------------------------------------- compact integers


def compact_encode(n: int) -> bytes:
    """The SCALE compact encoding of a non-negative integer, in its shortest mode."""
    if type(n) is not int:
        raise CodecError(f"compact: expected an integer, got {type(n).__name__}")
    if n < 0:
        raise CodecError("compact: SCALE compact integers are unsigned")
    if n < 1 << 6:
        return bytes((n << 2,))
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    size = (n.bit_length() + 7) >> 3
    if size > MAX_COMPACT_BYTES:
        raise CodecError(f"compact: {n.bit_length()} bits do not fit in {MAX_COMPACT_BYTES} bytes")
    return bytes((((size - 4) << 2) | 3,)) + n.to_bytes(size, "little")


def compact_decode(data: bytes, offset: int = 0, bits: int = 128) -> tuple[int, int]:
    """Read one compact integer of at most `bits` bits at `offset`: (value, offset after it).

    Only the shortest mode is accepted (each value has one encoding), as parity-scale-codec does."""
    _check_input(data, offset)
    return _compact_read(bytes(data) if type(data) is not bytes else data, offset, bits)


def _compact_read(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CodecError("compact: input ends before the value")
    first = data[pos]
    mode = first & 3
    if mode == 0:
        return first >> 2, pos + 1
    if mode == 1:
        end = pos + 2
        if end > len(data):
            raise CodecError("compact: input ends inside a 2-byte value")
        n = int.from_bytes(data[pos:end], "little") >> 2
        if n < 1 << 6:
            raise CodecError(f"compact: {n} is not in its shortest mode")
    elif mode == 2:
        end = pos + 4
        if end > len(data):
            raise CodecError("compact: input ends inside a 4-byte value")
        n = int.from_bytes(data[pos:end], "little") >> 2
        if n < 1 << 14:
            raise CodecError(f"compact: {n} is not in its shortest mode")
    else:
        size = (first >> 2) + 4
        if size * 8 > max(bits, 32):
            raise CodecError(f"compact: a {size}-byte value does not fit in u{bits}")
        end = pos + 1 + size
        if end > len(data):
            raise CodecError(f"compact: input ends inside a {size}-byte value")
        n = int.from_bytes(data[pos + 1 : end], "little")
        if data[end - 1] == 0 or n < 1 << 30:
            raise CodecError("compact: value is not in its shortest mode")
    if n >> bits:
        raise CodecError(f"compact: {n} is out of range for u{bits}")
    return n, end


# --------------------------------------------------------------------------- type descriptions


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    """A field of a composite or of an enum variant; `name` is None for an unnamed (tuple) field."""

    name: str | None
    type: ScaleType


@dataclasses.dataclass(frozen=True, slots=True)
class VariantDef:
    """One variant of an enum: its name, its index byte, its fields (empty for a unit variant)."""

    name: str
    index: int
    fields: tuple[Field, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class TypeDef:
    """How a ScaleType looks in Metadata V14's portable registry.

    kind is one of "primitive" (`primitive` = "u8".."u128", "bool", "str"), "compact" (`inner` =
    (the integer type,)), "sequence" (`inner` = (item,)), "array" (`inner` = (item,), `length`),
    "tuple" (`inner` = the items), "composite" (`fields`) or "variant" (`variants`); composites and
    variants have a `path` (module parts then the type name) and generic `params` (Option's T)."""

    kind: str
    path: tuple[str, ...] = ()
    params: tuple[ScaleType, ...] = ()
    primitive: str = ""
    inner: tuple[ScaleType, ...] = ()
    length: int = 0
    fields: tuple[Field, ...] = ()
    variants: tuple[VariantDef, ...] = ()


# --------------------------------------------------------------------------- the types


class ScaleType:
    """A SCALE type: `encode(value)`, `decode(data)` (whole input), `decode_from(data, offset)`."""

    name = "?"
    min_size = 0  # the fewest bytes any value takes: bounds item counts read from untrusted input

    # -- the interface each type implements: append to `out` / read at `pos` (bounds checked)
    def _enc(self, v: Any, out: bytearray) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:  # pragma: no cover - interface
        raise NotImplementedError

    def type_def(self) -> TypeDef:  # pragma: no cover - interface
        raise NotImplementedError

    # -- the public API
    def encode(self, v: Any) -> bytes:
        out = bytearray()
        self._enc(v, out)
        return bytes(out)

    def decode(self, data: bytes, max_size: int = MAX_DECODE_SIZE) -> Any:
        """Decode untrusted bytes holding exactly one value of this type."""
        _check_input(data, 0)
        if len(data) > max_size:
            raise CodecError(f"input of {len(data)} bytes exceeds the {max_size}-byte limit")
        raw = bytes(data)
        v, end = _guarded(self, raw, 0)
        if end != len(raw):
            raise CodecError(f"{self.name}: {len(raw) - end} trailing bytes")
        return v

    def decode_from(self, data: bytes, offset: int = 0) -> tuple[Any, int]:
        """Decode one value at `offset` of untrusted bytes: (value, offset after it)."""
        _check_input(data, offset)
        return _guarded(self, bytes(data) if type(data) is not bytes else data, offset)

    def __repr__(self) -> str:
        return self.name


def _check_input(data: Any, offset: Any) -> None:
    if not isinstance(data, _BYTES_LIKE):
        raise CodecError("input must be bytes")
    if type(offset) is not int or not 0 <= offset <= len(data):
        raise CodecError(f"offset {offset!r} is outside the input")


def _guarded(t: ScaleType, data: bytes, pos: int) -> tuple[Any, int]:
    try:
        return t._dec(data, pos)
    except CodecError:
        raise
    except RecursionError:
        raise CodecError(f"{t.name}: input nested too deeply") from None


def _take(data: bytes, pos: int, n: int, what: str) -> tuple[bytes, int]:
    end = pos + n
    if end > len(data):
        raise CodecError(f"{what}: needs {n} bytes, {len(data) - pos} left")
    return data[pos:end], end


def _read_len(data: bytes, pos: int, max_len: int, item_min: int, what: str) -> tuple[int, int]:
    """A compact item count, checked against the type's limit and against the bytes left."""
    n, pos = _compact_read(data, pos, 32)
    if n > max_len:
        raise CodecError(f"{what}: {n} items is over the limit {max_len}")
    if n * item_min > len(data) - pos:
        raise CodecError(f"{what}: {n} items cannot fit in the {len(data) - pos} bytes left")
    return n, pos


class UIntS(ScaleType):
    """uN, fixed width, little endian."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.size = bits >> 3
        self.max = (1 << bits) - 1
        self.min_size = self.size
        self.name = f"u{bits}"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not int:
            raise CodecError(f"{self.name}: expected an integer, got {type(v).__name__}")
        if not 0 <= v <= self.max:
            raise CodecError(f"{self.name}: {v} is out of range 0..{self.max}")
        out += v.to_bytes(self.size, "little")

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        raw, end = _take(data, pos, self.size, self.name)
        return int.from_bytes(raw, "little"), end

    def type_def(self) -> TypeDef:
        return TypeDef("primitive", primitive=self.name)


class CompactS(ScaleType):
    """Compact<uN>: a variable-length unsigned integer, range-checked at N bits."""

    min_size = 1

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.max = (1 << bits) - 1
        self.name = f"Compact<u{bits}>"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is int and v > self.max:
            raise CodecError(f"{self.name}: {v} is out of range 0..{self.max}")
        out += compact_encode(v)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        return _compact_read(data, pos, self.bits)

    def type_def(self) -> TypeDef:
        return TypeDef("compact", inner=(uint(self.bits),))


class BoolS(ScaleType):
    name = "bool"
    min_size = 1

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not bool:
            raise CodecError(f"bool: expected a boolean, got {type(v).__name__}")
        out.append(1 if v else 0)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("bool: input ends before the value")
        b = data[pos]
        if b > 1:
            raise CodecError(f"bool: byte {b} is neither 0 nor 1")
        return b == 1, pos + 1

    def type_def(self) -> TypeDef:
        return TypeDef("primitive", primitive="bool")


class OptionBoolS(ScaleType):
    """Rust's `OptionBool`: one byte, 0 = None, 1 = Some(true), 2 = Some(false)."""

    name = "OptionBool"
    min_size = 1
    _BYTE = {None: 0, True: 1, False: 2}
    _VALUE = (None, True, False)

    def _enc(self, v: Any, out: bytearray) -> None:
        if v is not None and type(v) is not bool:
            raise CodecError(f"OptionBool: expected a boolean or None, got {type(v).__name__}")
        out.append(self._BYTE[v])

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("OptionBool: input ends before the value")
        b = data[pos]
        if b > 2:
            raise CodecError(f"OptionBool: unknown byte {b}")
        return self._VALUE[b], pos + 1

    def type_def(self) -> TypeDef:
        return TypeDef(
            "variant",
            path=("OptionBool",),
            variants=(VariantDef("None", 0), VariantDef("True", 1), VariantDef("False", 2)),
        )


class BytesS(ScaleType):
    """Vec<u8> as Python bytes: Compact(len) ++ the bytes, at most `max_len` of them."""

    min_size = 1

    def __init__(self, max_len: int = 1 << 20) -> None:
        self.max_len = max_len
        self.name = "Bytes"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: {len(v)} bytes is over the limit {self.max_len}")
        out += compact_encode(len(v))
        out += v

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        n, pos = _read_len(data, pos, self.max_len, 1, self.name)
        return data[pos : pos + n], pos + n

    def type_def(self) -> TypeDef:
        return TypeDef("sequence", inner=(U8S,))


class ByteArrayS(ScaleType):
    """[u8; N] as Python bytes of length N (AccountId32, H256, signatures): the bytes, no length."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.min_size = size
        self.name = f"[u8; {size}]"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if len(v) != self.size:
            raise CodecError(f"{self.name}: expected {self.size} bytes, got {len(v)}")
        out += v

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        return _take(data, pos, self.size, self.name)

    def type_def(self) -> TypeDef:
        return TypeDef("array", inner=(U8S,), length=self.size)


class AccountId32S(ByteArrayS):
    """sp_core's AccountId32: the 32 bytes, declared as a composite holding a [u8; 32]."""

    def __init__(self) -> None:
        super().__init__(32)
        self.name = "AccountId32"

    def type_def(self) -> TypeDef:
        return TypeDef("composite", path=("sp_core", "crypto", "AccountId32"), fields=(Field(None, ByteArrayS(32)),))


class StrS(ScaleType):
    """String: Compact(byte length) ++ UTF-8, at most `max_len` characters."""

    min_size = 1

    def __init__(self, max_len: int = 1024) -> None:
        self.max_len = max_len
        self.name = "String"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not str:
            raise CodecError(f"String: expected text, got {type(v).__name__}")
        if len(v) > self.max_len:
            raise CodecError(f"String: {len(v)} characters is over the limit {self.max_len}")
        try:
            raw = v.encode("utf-8")
        except UnicodeEncodeError:
            raise CodecError("String: text is not valid Unicode (lone surrogate)") from None
        out += compact_encode(len(raw))
        out += raw

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        n, pos = _read_len(data, pos, 4 * self.max_len, 1, "String")
        try:
            text = data[pos : pos + n].decode("utf-8")
        except UnicodeDecodeError:
            raise CodecError("String: bytes are not valid UTF-8") from None
        if len(text) > self.max_len:
            raise CodecError(f"String: {len(text)} characters is over the limit {self.max_len}")
        return text, pos + n

    def type_def(self) -> TypeDef:
        return TypeDef("primitive", primitive="str")


class EncodedS(ScaleType):
    """Bytes that already are the SCALE encoding of a type declared elsewhere, stored as they are:
    the value is the whole input. For a storage item whose type a pallet cannot name (System.Events:
    the runtime's `Vec<EventRecord>`); the runtime's metadata declares `declares` for it."""

    def __init__(self, declares: str, max_len: int) -> None:
        self.declares = declares
        self.max_len = max_len
        self.name = f"Encoded<{declares}>"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: {len(v)} bytes is over the limit {self.max_len}")
        out += v

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if len(data) - pos > self.max_len:
            raise CodecError(f"{self.name}: {len(data) - pos} bytes is over the limit {self.max_len}")
        return data[pos:], len(data)

    def type_def(self) -> TypeDef:
        raise TypeError(f"{self.name}: the runtime's metadata declares {self.declares} for it")


class VecS(ScaleType):
    """Vec<T>: Compact(len) ++ items; decodes to a tuple; at most `max_len` items."""

    min_size = 1

    def __init__(self, item: ScaleType, max_len: int = 65536) -> None:
        self.item = item
        self.max_len = max_len
        self.name = f"Vec<{item.name}>"

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, list | tuple):
            raise CodecError(f"{self.name}: expected a list or tuple, got {type(v).__name__}")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: {len(v)} items is over the limit {self.max_len}")
        out += compact_encode(len(v))
        enc = self.item._enc
        for x in v:
            enc(x, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        n, pos = _read_len(data, pos, self.max_len, self.item.min_size, self.name)
        dec = self.item._dec
        items = []
        for _ in range(n):
            x, pos = dec(data, pos)
            items.append(x)
        return tuple(items), pos

    def type_def(self) -> TypeDef:
        return TypeDef("sequence", inner=(self.item,))


class U16PairsS(ScaleType):
    """Vec<(u16, u16)> whose Python value is codec.U16PairsT's packed little-endian bytes."""

    min_size = 1

    def __init__(self, max_pairs: int = 4096) -> None:
        self.max_pairs = max_pairs
        self.name = "Vec<(u16, u16)>"

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if len(v) & 3 or len(v) > 4 * self.max_pairs:
            raise CodecError(f"{self.name}: {len(v)} bytes is not a whole number of pairs within the limit")
        out += compact_encode(len(v) >> 2)
        out += v

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        n, pos = _read_len(data, pos, self.max_pairs, 4, self.name)
        return data[pos : pos + 4 * n], pos + 4 * n

    def type_def(self) -> TypeDef:
        return TypeDef("sequence", inner=(TupleS((U16S, U16S)),))


class TupleS(ScaleType):
    """(A, B, ...): the items in order; a Python tuple of exactly that many values."""

    def __init__(self, items: Sequence[ScaleType]) -> None:
        self.items = tuple(items)
        self.min_size = sum(t.min_size for t in self.items)
        self.name = "(" + ", ".join(t.name for t in self.items) + ")"

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, tuple | list) or len(v) != len(self.items):
            raise CodecError(f"{self.name}: expected a tuple of {len(self.items)} items")
        for t, x in zip(self.items, v, strict=True):
            t._enc(x, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        got = []
        for t in self.items:
            x, pos = t._dec(data, pos)
            got.append(x)
        return tuple(got), pos

    def type_def(self) -> TypeDef:
        return TypeDef("tuple", inner=self.items)


class OptionS(ScaleType):
    """Option<T>: 0 for None, 1 ++ T for Some."""

    min_size = 1

    def __init__(self, item: ScaleType) -> None:
        self.item = item
        self.name = f"Option<{item.name}>"

    def _enc(self, v: Any, out: bytearray) -> None:
        if v is None:
            out.append(0)
        else:
            out.append(1)
            self.item._enc(v, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the tag")
        tag = data[pos]
        if tag == 0:
            return None, pos + 1
        if tag != 1:
            raise CodecError(f"{self.name}: tag {tag} is neither 0 (None) nor 1 (Some)")
        return self.item._dec(data, pos + 1)

    def type_def(self) -> TypeDef:
        return TypeDef(
            "variant",
            path=("Option",),
            params=(self.item,),
            variants=(VariantDef("None", 0), VariantDef("Some", 1, (Field(None, self.item),))),
        )


def _type_path(cls: type) -> tuple[str, ...]:
    """A class's path in the metadata registry: its `__scale_path__` when it names Substrate's
    type (`("frame_system", "AccountInfo")`), else its module parts and name."""
    own = cls.__dict__.get("__scale_path__")
    if own is not None:
        return tuple(own)
    return (*cls.__module__.split("."), cls.__qualname__)


class Composite(ScaleType):
    """A dataclass: its fields in declared order; decodes to an instance of the class. A class
    with `SCALE_UNNAMED = True` is described with unnamed fields (Rust's `Variant(T)`, `Struct(T)`).

    Fields resolve on first use, so a class may refer to itself (through an Option or a Vec)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.name = cls.__name__
        self._fields: tuple[Field, ...] | None = None
        self._min: int | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        if self._fields is None:
            self._fields = tuple(Field(n, t) for n, t in _scale_fields(self.cls))
        return self._fields

    @property  # type: ignore[override]
    def min_size(self) -> int:
        if self._min is None:
            self._min = 0  # a cycle back to this class counts as 0 bytes: a lower bound
            self._min = sum(f.type.min_size for f in self.fields)
        return self._min

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, self.cls):
            raise CodecError(f"{self.name}: expected {self.name}, got {type(v).__name__}")
        for f in self.fields:
            f.type._enc(getattr(v, f.name), out)  # type: ignore[arg-type]

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        vals = []
        for f in self.fields:
            x, pos = f.type._dec(data, pos)
            vals.append(x)
        try:
            return self.cls(*vals), pos
        except (TypeError, ValueError) as exc:  # e.g. a __post_init__ refusing a value
            raise CodecError(f"{self.name}: {exc}") from None

    @property
    def described_fields(self) -> tuple[Field, ...]:
        """The fields as a type description shows them: unnamed for a `SCALE_UNNAMED` class."""
        if getattr(self.cls, "SCALE_UNNAMED", False):
            return tuple(Field(None, f.type) for f in self.fields)
        return self.fields

    def type_def(self) -> TypeDef:
        return TypeDef("composite", path=_type_path(self.cls), fields=self.described_fields)


class IntEnumS(ScaleType):
    """A plain IntEnum as an enum of unit variants: the member's value is its index byte."""

    min_size = 1

    def __init__(self, cls: type[IntEnum]) -> None:
        self.cls = cls
        self.name = cls.__name__
        members = list(cls)
        for m in members:
            if not 0 <= m.value <= 255:
                raise TypeError(f"{cls.__name__}.{m.name} = {m.value}: a variant index is one byte")
        self._by_index = {m.value: m for m in members}

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, self.cls):
            raise CodecError(f"{self.name}: expected a {self.name} member, got {type(v).__name__}")
        out.append(v.value)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the variant index")
        m = self._by_index.get(data[pos])
        if m is None:
            raise CodecError(f"{self.name}: unknown variant index {data[pos]}")
        return m, pos + 1

    def type_def(self) -> TypeDef:
        variants = tuple(VariantDef(m.name, m.value) for m in sorted(self._by_index.values()))
        return TypeDef("variant", path=_type_path(self.cls), variants=variants)


class EnumS(ScaleType):
    """An enum whose variants carry fields: each variant is a dataclass (no fields for a unit
    variant) with its index byte; the Python value is an instance of one of the classes."""

    min_size = 1

    def __init__(self, name: str, variants: Sequence[tuple[int, type]], path: tuple[str, ...] = ()) -> None:
        self.name = name
        self.path = path or (name,)
        self._by_index: dict[int, Composite] = {}
        self._by_class: dict[type, tuple[int, Composite]] = {}
        for index, cls in variants:
            if not 0 <= index <= 255 or index in self._by_index:
                raise TypeError(f"{name}: variant index {index} is not a free byte")
            if cls in self._by_class or not dataclasses.is_dataclass(cls):
                raise TypeError(f"{name}: variant {cls!r} must be a distinct dataclass")
            comp = composite_of(cls)
            self._by_index[index] = comp
            self._by_class[cls] = (index, comp)

    def _enc(self, v: Any, out: bytearray) -> None:
        got = self._by_class.get(type(v))
        if got is None:
            raise CodecError(f"{self.name}: {type(v).__name__} is not one of its variants")
        out.append(got[0])
        got[1]._enc(v, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the variant index")
        comp = self._by_index.get(data[pos])
        if comp is None:
            raise CodecError(f"{self.name}: unknown variant index {data[pos]}")
        return comp._dec(data, pos + 1)

    def type_def(self) -> TypeDef:
        variants = tuple(
            VariantDef(c.name, i, c.described_fields) for i, c in sorted(self._by_index.items(), key=lambda kv: kv[0])
        )
        return TypeDef("variant", path=self.path, variants=variants)


# --------------------------------------------------------------------------- singletons and aliases

U8S, U16S, U32S, U64S, U128S = UIntS(8), UIntS(16), UIntS(32), UIntS(64), UIntS(128)
_UINTS = {8: U8S, 16: U16S, 32: U32S, 64: U64S, 128: U128S}
_COMPACTS = {b: CompactS(b) for b in (8, 16, 32, 64, 128)}
BOOL = BoolS()
OPTION_BOOL = OptionBoolS()
BYTES = BytesS()
STRING = StrS()
ACCOUNT_ID32 = AccountId32S()


def uint(bits: int) -> UIntS:
    return _UINTS[bits]


def compact(bits: int) -> CompactS:
    """Compact<uN> (N in 8, 16, 32, 64, 128)."""
    return _COMPACTS[bits]


# Annotated aliases for fields that SCALE carries as Compact (MessagePack still sees the uN).
CompactU32 = Annotated[int, u32, compact(32)]
CompactU64 = Annotated[int, u64, compact(64)]
CompactU128 = Annotated[int, u128, compact(128)]


# --------------------------------------------------------------------------- from declarations

_COMPOSITES: dict[type, Composite] = {}
_INT_ENUMS: dict[type, IntEnumS] = {}
_FIELDS: dict[type, tuple[tuple[str, ScaleType], ...]] = {}


def composite_of(cls: type) -> Composite:
    """The (cached) SCALE composite of a dataclass."""
    got = _COMPOSITES.get(cls)
    if got is None:
        got = _COMPOSITES[cls] = Composite(cls)
    return got


def _scale_fields(cls: type) -> tuple[tuple[str, ScaleType], ...]:
    got = _FIELDS.get(cls)
    if got is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        got = tuple((f.name, scale_type_of(hints[f.name])) for f in dataclasses.fields(cls))
        _FIELDS[cls] = got
    return got


def _from_wire_type(wt: WireType) -> ScaleType:
    own = getattr(wt, "scale_type", None)
    if callable(own):  # a WireType outside codec.py may declare its own SCALE form
        st = own()
        if isinstance(st, ScaleType):
            return st
    if isinstance(wt, UInt):
        return uint(wt.bits)
    if isinstance(wt, BoolT):
        return BOOL
    if isinstance(wt, BytesT):
        return ByteArrayS(wt.size) if wt.size is not None else BytesS(wt.max_len)
    if isinstance(wt, TextT):
        return StrS(wt.max_len)
    if isinstance(wt, UIntListT):
        return VecS(uint(wt.bits), wt.max_len)
    if isinstance(wt, BoolListT):
        return VecS(BOOL, wt.max_len)
    if isinstance(wt, U16PairsT):
        return U16PairsS(wt.max_pairs)
    if isinstance(wt, ListT):
        return VecS(_from_wire_type(wt.item), wt.max_len)
    if isinstance(wt, OptionT):
        return OptionS(_from_wire_type(wt.item))
    if isinstance(wt, StructT):
        return composite_of(wt.cls)
    if isinstance(wt, Lazy):
        return _from_wire_type(wt.t)
    raise TypeError(f"no SCALE form for wire type {wt!r} ({type(wt).__name__})")


def scale_type_of(annotation: Any) -> ScaleType:
    """The ScaleType of an annotation (as codec.wire_type_of reads them) or of a WireType.

    An `Annotated` alias may carry a ScaleType next to its WireType to choose the SCALE form
    (`CompactU64`); an IntEnum class is an enum of unit variants; `tuple[A, B]` is a tuple."""
    if isinstance(annotation, ScaleType):
        return annotation
    if isinstance(annotation, WireType):
        return _from_wire_type(annotation)
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        meta = annotation.__metadata__
        for m in meta:
            if isinstance(m, ScaleType):
                return m
        for m in meta:
            if isinstance(m, WireType):
                return _from_wire_type(m)
    if annotation is bool:
        return BOOL
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        got = _INT_ENUMS.get(annotation)
        if got is None:
            got = _INT_ENUMS[annotation] = IntEnumS(annotation)
        return got
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return composite_of(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return OptionS(scale_type_of(args[0]))
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return VecS(scale_type_of(args[0]))
        return TupleS([scale_type_of(a) for a in args if a != ()])
    raise TypeError(f"no SCALE type for annotation {annotation!r}")


T = TypeVar("T")


def encode_scale(obj: Any) -> bytes:
    """The SCALE bytes of a dataclass value (a `@wire` type)."""
    return composite_of(type(obj)).encode(obj)


def decode_scale(cls: type[T], data: bytes, max_size: int = MAX_DECODE_SIZE) -> T:
    """Decode untrusted SCALE bytes as `cls`; every problem is a CodecError."""
    return composite_of(cls).decode(data, max_size)  # type: ignore[no-any-return]
