"""Canonical MessagePack codec with strict decoding, and typed (de)serialisation of dataclasses.

Wire rules (ARCHITECTURE.md §Encoding):
- every consensus object is an array of its fields in declared order, never a map;
- integers are unsigned and fit in 64 bits; u128 travels as 16-byte big-endian bin;
- bytes are bin, text is str, no floats, no ext types;
- decoding untrusted bytes is strict: bounded size (and msgpack's own nesting limit), exact types and lengths, canonical (the
  re-encoding of the decoded value must give back the very same bytes, so each value has exactly
  one encoding), and nothing trails. Every problem raises `CodecError`, never anything else.

Typed fields are declared with `typing.Annotated` aliases (`U8`, `U64`, `Bytes32`, ...) on frozen
dataclasses; `to_wire`/`from_wire` map between dataclasses and plain wire values and check ranges.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgpack

MAX_DECODE_SIZE = 8 * 1024 * 1024  # hard cap on one decoded object, bytes


class CodecError(ValueError):
    """The one error type every malformed input raises."""


# --------------------------------------------------------------------------- raw canonical codec

_packer = msgpack.Packer(use_bin_type=True, autoreset=True)


def _reject_ext(code: int, data: bytes) -> Any:
    raise CodecError(f"ext type {code} is not allowed")


def _reject_map(pairs: Any) -> Any:
    raise CodecError("maps are not allowed on the wire")


def _check_list(items: list) -> list:
    """Called by the unpacker for every array, innermost first: refuse floats and negatives."""
    for x in items:
        t = type(x)
        if t is int:
            if x < 0:
                raise CodecError("negative integers are not allowed")
        elif t is float:
            raise CodecError("floats are not allowed")
    return items


def _check_scalar(value: Any) -> None:
    t = type(value)
    if t is float:
        raise CodecError("floats are not allowed")
    if t is int and value < 0:
        raise CodecError("negative integers are not allowed")


def encode(value: Any) -> bytes:
    """Encode a plain wire value (ints, bytes, str, bool, None, lists/tuples)."""
    try:
        return _packer.pack(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"cannot encode: {exc}") from exc


def decode_trusted(data: bytes) -> Any:
    """Decode bytes this node wrote itself (its own state): no canonical re-check."""
    return msgpack.unpackb(data, raw=False, use_list=True)


def decode(data: bytes, max_size: int = MAX_DECODE_SIZE) -> Any:
    """Decode untrusted bytes into a plain wire value; strict and canonical."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CodecError("input must be bytes")
    data = bytes(data)
    if len(data) > max_size:
        raise CodecError(f"input of {len(data)} bytes exceeds the {max_size}-byte limit")
    if not data:
        raise CodecError("empty input")
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            ext_hook=_reject_ext,
            object_pairs_hook=_reject_map,
            list_hook=_check_list,
        )
    except CodecError:
        raise
    except Exception as exc:  # msgpack raises several types (ExtraData, FormatError, ValueError, ...)
        raise CodecError(f"malformed input: {exc.__class__.__name__}: {exc}") from None
    _check_scalar(value)
    if encode(value) != data:
        raise CodecError("non-canonical encoding")
    return value


# --------------------------------------------------------------------------- typed descriptors


class WireType:
    """A field type: checks and converts between a Python value and its wire form."""

    name = "?"

    def to_wire(self, v: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def from_wire(self, w: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class UInt(WireType):
    """An unsigned integer of `bits` bits; u128 goes on the wire as 16-byte big-endian bin."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.max = (1 << bits) - 1
        self.name = f"u{bits}"

    def check(self, v: Any) -> int:
        if type(v) is not int:
            raise CodecError(f"{self.name}: expected an integer, got {type(v).__name__}")
        if not 0 <= v <= self.max:
            raise CodecError(f"{self.name}: {v} is out of range 0..{self.max}")
        return v

    def to_wire(self, v: Any) -> Any:
        if type(v) is int and 0 <= v <= self.max:
            return v.to_bytes(16, "big") if self.bits == 128 else v
        return self.check(v)  # raises with the reason

    def from_wire(self, w: Any) -> int:
        if self.bits == 128:
            if type(w) is not bytes or len(w) != 16:
                raise CodecError("u128: expected 16 bytes")
            return int.from_bytes(w, "big")
        return self.check(w)


class BoolT(WireType):
    name = "bool"

    def to_wire(self, v: Any) -> Any:
        if type(v) is not bool:
            raise CodecError("bool: expected a boolean")
        return v

    from_wire = to_wire


class BytesT(WireType):
    """Bytes of an exact length (`size`) or of at most `max_len`."""

    def __init__(self, size: int | None = None, max_len: int = 1 << 20) -> None:
        self.size = size
        self.max_len = max_len
        self.name = f"bytes{size}" if size is not None else f"bytes<={max_len}"

    def to_wire(self, v: Any) -> Any:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if self.size is not None and len(v) != self.size:
            raise CodecError(f"{self.name}: expected {self.size} bytes, got {len(v)}")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: {len(v)} bytes is over the limit")
        return v

    from_wire = to_wire


class AccountIdT(BytesT):
    """A 32-byte account id: `bytes32` on the MessagePack wire, Substrate's AccountId32 in SCALE
    (the same 32 bytes, declared as `sp_core::crypto::AccountId32` in the metadata, so clients
    encode storage keys and call arguments from SS58 addresses)."""

    def __init__(self) -> None:
        super().__init__(32)

    def scale_type(self) -> Any:
        from .scale import ACCOUNT_ID32

        return ACCOUNT_ID32


class TextT(WireType):
    def __init__(self, max_len: int = 1024) -> None:
        self.max_len = max_len
        self.name = f"str<={max_len}"

    def to_wire(self, v: Any) -> Any:
        if type(v) is not str:
            raise CodecError(f"{self.name}: expected text, got {type(v).__name__}")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: text is over the limit")
        return v

    from_wire = to_wire


class ListT(WireType):
    def __init__(self, item: WireType, max_len: int = 65536) -> None:
        self.item = item
        self.max_len = max_len
        self.name = f"list[{item!r}]"

    def to_wire(self, v: Any) -> Any:
        if not isinstance(v, list | tuple):
            raise CodecError(f"{self.name}: expected a list")
        if len(v) > self.max_len:
            raise CodecError(f"{self.name}: {len(v)} items is over the limit {self.max_len}")
        return [self.item.to_wire(x) for x in v]

    def from_wire(self, w: Any) -> tuple:
        if type(w) is not list:
            raise CodecError(f"{self.name}: expected an array")
        if len(w) > self.max_len:
            raise CodecError(f"{self.name}: {len(w)} items is over the limit {self.max_len}")
        return tuple(self.item.from_wire(x) for x in w)


class UIntListT(WireType):
    """A list of unsigned integers of `bits` bits, checked with C-speed builtins (per-uid vectors)."""

    def __init__(self, bits: int, max_len: int = 4096) -> None:
        self.bits = bits
        self.max = (1 << bits) - 1
        self.max_len = max_len
        self.name = f"list[u{bits}]"

    def from_wire(self, w: Any) -> tuple:
        if type(w) is not list and type(w) is not tuple:
            raise CodecError(f"{self.name}: expected an array")
        if len(w) > self.max_len:
            raise CodecError(f"{self.name}: {len(w)} items is over the limit {self.max_len}")
        if w:
            if not all(type(x) is int for x in w):
                raise CodecError(f"{self.name}: expected integers")
            if min(w) < 0 or max(w) > self.max:
                raise CodecError(f"{self.name}: an item is out of range 0..{self.max}")
        return tuple(w)

    def to_wire(self, v: Any) -> Any:
        return list(self.from_wire(v))


class BoolListT(WireType):
    """A list of booleans (per-uid flags)."""

    def __init__(self, max_len: int = 4096) -> None:
        self.max_len = max_len
        self.name = "list[bool]"

    def from_wire(self, w: Any) -> tuple:
        if type(w) is not list and type(w) is not tuple:
            raise CodecError(f"{self.name}: expected an array")
        if len(w) > self.max_len:
            raise CodecError(f"{self.name}: {len(w)} items is over the limit {self.max_len}")
        if not all(type(x) is bool for x in w):
            raise CodecError(f"{self.name}: expected booleans")
        return tuple(w)

    def to_wire(self, v: Any) -> Any:
        return list(self.from_wire(v))


class U16PairsT(WireType):
    """A sparse row of (uid, u16 value) pairs packed as little-endian u16s: uid0, v0, uid1, v1, ...
    The Python value is the packed bytes, so a whole row moves between storage and NumPy at once."""

    def __init__(self, max_pairs: int = 4096) -> None:
        self.max_pairs = max_pairs
        self.name = f"u16pairs<={max_pairs}"

    def to_wire(self, v: Any) -> Any:
        if type(v) is not bytes:
            raise CodecError(f"{self.name}: expected bytes, got {type(v).__name__}")
        if len(v) % 4 or len(v) > 4 * self.max_pairs:
            raise CodecError(f"{self.name}: {len(v)} bytes is not a whole number of pairs within the limit")
        return v

    from_wire = to_wire


def pack_pairs(pairs: Any) -> bytes:
    """Pack (uid, value) pairs (both u16) as U16PairsT bytes."""
    out = bytearray()
    for uid, value in pairs:
        out += uid.to_bytes(2, "little") + value.to_bytes(2, "little")
    return bytes(out)


def unpack_pairs(data: bytes) -> list[tuple[int, int]]:
    """The (uid, value) pairs of U16PairsT bytes."""
    vals = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    return list(zip(vals[0::2], vals[1::2], strict=True))


class OptionT(WireType):
    def __init__(self, item: WireType) -> None:
        self.item = item
        self.name = f"option[{item!r}]"

    def to_wire(self, v: Any) -> Any:
        return None if v is None else self.item.to_wire(v)

    def from_wire(self, w: Any) -> Any:
        return None if w is None else self.item.from_wire(w)


class StructT(WireType):
    """A frozen dataclass whose fields carry wire types; encoded as an array in field order."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.name = cls.__name__

    def to_wire(self, v: Any) -> Any:
        if type(v) is not self.cls and not isinstance(v, self.cls):
            raise CodecError(f"{self.name}: expected {self.name}, got {type(v).__name__}")
        return [t.to_wire(getattr(v, f)) for f, t in fields_of(self.cls)]

    def from_wire(self, w: Any) -> Any:
        flds = fields_of(self.cls)
        if type(w) is not list or len(w) != len(flds):
            raise CodecError(f"{self.name}: expected an array of {len(flds)} fields")
        return self.cls(*[t.from_wire(x) for (_, t), x in zip(flds, w, strict=True)])


_STRUCT_TYPES: dict[type, StructT] = {}


def struct_type(cls: type) -> StructT:
    st = _STRUCT_TYPES.get(cls)
    if st is None:
        st = _STRUCT_TYPES[cls] = StructT(cls)
    return st


class Lazy(WireType):
    """A wire type resolved on first use (for recursive types such as a nested call)."""

    def __init__(self, resolve: Callable[[], WireType], name: str) -> None:
        self._resolve = resolve
        self.name = name
        self._t: WireType | None = None

    @property
    def t(self) -> WireType:
        if self._t is None:
            self._t = self._resolve()
        return self._t

    def to_wire(self, v: Any) -> Any:
        return self.t.to_wire(v)

    def from_wire(self, w: Any) -> Any:
        return self.t.from_wire(w)


# Sized integer and byte aliases for dataclass annotations.
u8, u16, u32, u64, u128 = UInt(8), UInt(16), UInt(32), UInt(64), UInt(128)
U8 = Annotated[int, u8]
U16 = Annotated[int, u16]
U32 = Annotated[int, u32]
U64 = Annotated[int, u64]
U128 = Annotated[int, u128]
Bool = Annotated[bool, BoolT()]
Bytes32 = Annotated[bytes, BytesT(32)]
Bytes64 = Annotated[bytes, BytesT(64)]
Bytes = Annotated[bytes, BytesT()]
Text = Annotated[str, TextT()]
U16List = Annotated[tuple, UIntListT(16)]
U64List = Annotated[tuple, UIntListT(64)]
BoolList = Annotated[tuple, BoolListT()]
U16Pairs = Annotated[bytes, U16PairsT()]

# Domain aliases (habit 2: sized types that refuse to overflow).
Balance = U64
BlockNumber = U64
Nonce = U32
AccountId = Annotated[bytes, AccountIdT()]
Hash = Bytes32

_FIELDS: dict[type, tuple[tuple[str, WireType], ...]] = {}


def wire_type_of(annotation: Any) -> WireType:
    """Map an annotation (Annotated alias, dataclass, tuple[...] / Optional) to a WireType."""
    if isinstance(annotation, WireType):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, WireType):
                return meta
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return struct_type(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return OptionT(wire_type_of(args[0]))
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return ListT(wire_type_of(args[0]))
    raise TypeError(f"no wire type for annotation {annotation!r}")


def fields_of(cls: type) -> tuple[tuple[str, WireType], ...]:
    """The (name, wire type) pairs of a wire dataclass, cached."""
    got = _FIELDS.get(cls)
    if got is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        got = tuple((f.name, wire_type_of(hints[f.name])) for f in dataclasses.fields(cls))
        _FIELDS[cls] = got
    return got


T = TypeVar("T")


def to_wire(obj: Any) -> Any:
    """A wire dataclass as its plain wire array."""
    return struct_type(type(obj)).to_wire(obj)


def from_wire(cls: type[T], w: Any) -> T:
    return struct_type(cls).from_wire(w)  # type: ignore[no-any-return]


def encode_obj(obj: Any) -> bytes:
    """Canonical bytes of a wire dataclass."""
    return encode(to_wire(obj))


def decode_obj(cls: type[T], data: bytes, max_size: int = MAX_DECODE_SIZE) -> T:
    """Decode untrusted bytes as `cls`; every problem is a CodecError."""
    try:
        return from_wire(cls, decode(data, max_size))
    except CodecError:
        raise
    except (TypeError, ValueError) as exc:  # e.g. a dataclass __post_init__ refusing a value
        raise CodecError(f"{cls.__name__}: {exc}") from None


WIRE_TYPES: list[type] = []  # every @wire class, so tests can demand a golden vector for each


def wire(cls: type[T]) -> type[T]:
    """Class decorator: a frozen, slotted dataclass usable on the wire."""
    out = dataclasses.dataclass(frozen=True, slots=True)(cls)
    WIRE_TYPES.append(out)
    return out
