"""The dispatch framework: pallet base, calls with stable indices and weights, origins, events, errors.

A pallet is a class with `NAME`, `INDEX`, an `Error` IntEnum (append-only, one comment per member),
`EVENTS` (wire dataclasses; an event's index is its position) and methods marked `@call(index,
weight)`. A call's arguments are typed by the method's annotations (codec aliases), so a call decodes
strictly from the wire: `[pallet_index, call_index, [args...]]`.

Errors: `ensure(cond, Error.X)` raises `DispatchError` carrying (pallet index, error index, name);
the executive turns it into an `ExtrinsicFailed` event and drops the call's storage layer.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any

from .codec import CodecError, WireType, wire_type_of
from .storage import Overlay

# --------------------------------------------------------------------------- origins

ROOT, SIGNED, NONE = "root", "signed", "none"


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Who dispatches a call: `Origin.signed(acct)`, `Origin.root()`, `Origin.none()`."""

    kind: str
    who: bytes | None = None

    @staticmethod
    def signed(who: bytes) -> Origin:
        return Origin(SIGNED, who)

    @staticmethod
    def root() -> Origin:
        return Origin(ROOT)

    @staticmethod
    def none() -> Origin:
        return Origin(NONE)


# --------------------------------------------------------------------------- errors


class DispatchError(Exception):
    """A call failed: (pallet index, error index) as Substrate's `Module` error, plus its name."""

    def __init__(self, pallet_index: int, error_index: int, name: str, detail: str = "") -> None:
        super().__init__(f"{name}" + (f": {detail}" if detail else ""))
        self.pallet_index = pallet_index
        self.error_index = error_index
        self.name = name
        self.detail = detail

    @staticmethod
    def of(err: IntEnum, detail: str = "") -> DispatchError:
        cls = type(err)
        pallet_index = getattr(cls, "pallet_index", None)
        if pallet_index is None:
            raise TypeError(f"{cls.__name__} is not registered to a pallet")
        return DispatchError(pallet_index, int(err), f"{cls.pallet_name}.{err.name}", detail)  # type: ignore[attr-defined]


def ensure(cond: bool, err: IntEnum, detail: str = "") -> None:
    """Raise the pallet error `err` unless `cond` holds."""
    if not cond:
        raise DispatchError.of(err, detail)


class SystemError_(IntEnum):
    """Errors of the system pallet (index 0), also used by the dispatcher itself."""

    BadOrigin = 0  # the call's origin is not allowed
    CallFiltered = 1  # the call may not be dispatched here (e.g. an inherent sent as a transaction)
    Overflow = 2  # an arithmetic result does not fit its integer type
    Underflow = 3  # an arithmetic result went below zero


SystemError_.pallet_index = 0  # type: ignore[attr-defined]
SystemError_.pallet_name = "System"  # type: ignore[attr-defined]


def ensure_signed(origin: Origin) -> bytes:
    if origin.kind != SIGNED or origin.who is None:
        raise DispatchError.of(SystemError_.BadOrigin, "a signed origin is required")
    return origin.who


def ensure_root(origin: Origin) -> None:
    if origin.kind != ROOT:
        raise DispatchError.of(SystemError_.BadOrigin, "the root origin is required")


def ensure_none(origin: Origin) -> None:
    if origin.kind != NONE:
        raise DispatchError.of(SystemError_.BadOrigin, "an unsigned (inherent) origin is required")


def checked_add(a: int, b: int, bits: int = 64) -> int:
    r = a + b
    if r >> bits:
        raise DispatchError.of(SystemError_.Overflow, f"{a} + {b} overflows u{bits}")
    return r


def checked_sub(a: int, b: int) -> int:
    if b > a:
        raise DispatchError.of(SystemError_.Underflow, f"{a} - {b} is negative")
    return a - b


# --------------------------------------------------------------------------- calls


@dataclasses.dataclass(frozen=True, slots=True)
class CallDef:
    """A pallet call's declaration: stable index, name, typed args, weight, fee payment."""

    index: int
    name: str
    args: tuple[tuple[str, WireType], ...]
    weight: int | Callable[..., int]
    pays_fee: bool
    doc: str
    func_name: str

    def compute_weight(self, args: tuple) -> int:
        w = self.weight
        return w(*args) if callable(w) else w


def call(index: int, weight: int | Callable[..., int], pays_fee: bool = True) -> Callable:
    """Mark a pallet method `(self, ctx, origin, *args)` as a dispatchable call."""

    def deco(fn: Callable) -> Callable:
        fn.__call_meta__ = (index, weight, pays_fee)  # type: ignore[attr-defined]
        return fn

    return deco


@dataclasses.dataclass(frozen=True, slots=True)
class Call:
    """A decoded call: pallet index, call index and typed argument values."""

    pallet: int
    index: int
    args: tuple

    def to_wire(self) -> list:
        cdef = get_registry().call_def(self.pallet, self.index)
        if len(self.args) != len(cdef.args):
            raise CodecError(f"{cdef.name}: expected {len(cdef.args)} arguments, got {len(self.args)}")
        return [self.pallet, self.index, [t.to_wire(a) for (_, t), a in zip(cdef.args, self.args, strict=True)]]


class CallRegistry(typing.Protocol):
    def call_def(self, pallet: int, index: int) -> CallDef: ...

    def decode_call(self, w: Any, depth: int = 0) -> Call: ...


_REGISTRY: list[CallRegistry] = []


def set_registry(reg: CallRegistry) -> None:
    """Installed by runtime.construct: resolves call indices to declarations."""
    _REGISTRY[:] = [reg]


def get_registry() -> CallRegistry:
    if not _REGISTRY:
        raise RuntimeError("no runtime has been constructed")
    return _REGISTRY[0]


MAX_CALL_DEPTH = 8  # sudo(sudo(...)) nesting limit


class CallT(WireType):
    """The wire type of a (possibly nested) runtime call; nesting is bounded."""

    name = "RuntimeCall"
    depth = 0

    def to_wire(self, v: Any) -> Any:
        if not isinstance(v, Call):
            raise CodecError("RuntimeCall: expected a Call")
        return v.to_wire()

    def from_wire(self, w: Any) -> Call:
        if CallT.depth >= MAX_CALL_DEPTH:
            raise CodecError(f"calls nested deeper than {MAX_CALL_DEPTH}")
        CallT.depth += 1
        try:
            return get_registry().decode_call(w)
        finally:
            CallT.depth -= 1


RuntimeCall = typing.Annotated[Call, CallT()]


# --------------------------------------------------------------------------- events and context


@dataclasses.dataclass(frozen=True, slots=True)
class EventRecord:
    """An emitted event: phase (extrinsic index, or None for initialization/finalization)."""

    phase: int | None
    pallet: int
    index: int
    name: str
    fields: Any  # the event dataclass


class Ctx:
    """What a call or hook sees: the storage overlay, the block number, the event sink."""

    __slots__ = ("state", "block_number", "events", "phase", "runtime")

    def __init__(self, state: Overlay, block_number: int, runtime: Any) -> None:
        self.state = state
        self.block_number = block_number
        self.events: list[EventRecord] = []
        self.phase: int | None = None
        self.runtime = runtime

    def deposit_event(self, ev: Any) -> None:
        pallet, index, name = self.runtime.event_id(type(ev))
        self.events.append(EventRecord(self.phase, pallet, index, name, ev))


# --------------------------------------------------------------------------- pallet base


class Pallet:
    """Base of every pallet. Subclasses declare NAME, INDEX, Error, EVENTS and @call methods."""

    NAME: str = ""
    INDEX: int = -1
    Error: type[IntEnum] = SystemError_
    EVENTS: tuple[type, ...] = ()
    CALLS: dict[int, CallDef] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.Error is not SystemError_:
            cls.Error.pallet_index = cls.INDEX  # type: ignore[attr-defined]
            cls.Error.pallet_name = cls.NAME  # type: ignore[attr-defined]
        calls: dict[int, CallDef] = {}
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            meta = getattr(fn, "__call_meta__", None)
            if meta is None:
                continue
            index, weight, pays_fee = meta
            if index in calls:
                raise TypeError(f"{cls.__name__}: duplicate call index {index}")
            hints = typing.get_type_hints(fn, include_extras=True)
            params = list(inspect.signature(fn).parameters)[3:]  # skip self, ctx, origin
            args = tuple((p, wire_type_of(hints[p])) for p in params)
            doc = inspect.getdoc(fn) or ""
            calls[index] = CallDef(index, name, args, weight, pays_fee, doc, name)
        cls.CALLS = dict(sorted(calls.items()))

    # hooks (override as needed)
    def on_initialize(self, ctx: Ctx) -> None:
        """Runs at the start of each block, in pallet order."""

    def on_finalize(self, ctx: Ctx) -> None:
        """Runs after the block's extrinsics, in pallet order."""

    def try_state(self, ctx: Ctx) -> None:
        """Raise AssertionError when an invariant of this pallet is broken."""

    def storage_items(self) -> Iterator[Any]:
        from .storage import StorageItem

        for name in dir(type(self)):
            v = getattr(type(self), name)
            if isinstance(v, StorageItem):
                yield v

    def call(self, name: str, *args: Any) -> Call:
        """Build a Call of this pallet by method name (for clients, tests, genesis scripts)."""
        for cdef in self.CALLS.values():
            if cdef.name == name:
                return Call(self.INDEX, cdef.index, tuple(args))
        raise KeyError(f"{self.NAME} has no call {name!r}")
