"""The dispatch framework: pallet base, calls with stable indices and weights, origins, events, errors.

A pallet is a class with `NAME`, `INDEX`, an `Error` enum (a `DocEnum`: append-only, each member
`Name = index, "what went wrong", "how to fix it"`),
`EVENTS` (wire dataclasses; an event's index is its position) and methods marked `@call(index,
weight)`. A call's arguments are typed by the method's annotations (codec aliases), so a call decodes
strictly from the wire: `[pallet_index, call_index, [args...]]`.

Errors: `ensure(cond, Error.X)` raises `DispatchError` carrying (pallet index, error index, name);
the executive turns it into an `ExtrinsicFailed` event and drops the call's storage layer. The
event carries Substrate's `sp_runtime::DispatchError` (`DispatchError.code()`, a `DispatchErrorCode`):
`Module(ModuleError { index, error: [u8; 4] })` with error[0] the error's index in its pallet's
enum, or one of the dispatcher's own variants (BadOrigin, Arithmetic(Overflow/Underflow)), so
Substrate clients name it from the metadata. An
error's doc (its cause and its fix) is no consensus data: it reaches clients through the metadata
and the dry run (runtime/dry_run.py), so that they show the pallet's own words.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any

from .codec import U8, BytesT, CodecError, ListT, OptionT, WireType, struct_type, wire, wire_type_of
from .scale import (
    CompactU64,
    Field,
    OptionS,
    ScaleType,
    TupleS,
    TypeDef,
    VariantDef,
    composite_of,
    scale_type_of,
)
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


class DocEnum(IntEnum):
    """An IntEnum whose members carry a doc: `Name = index, "what went wrong", "how to fix it"`.

    The base of every pallet's `Error` and of documented codes carried by events (e.g. why a
    timelocked commit was dropped). The index and the name are consensus data (append-only); the
    two texts are not: `cause` and `fix`, joined as `doc` (cause, then fix, one per line), reach
    the JSON metadata. Keep each to a short line."""

    cause: str
    fix: str

    def __new__(cls, value: int, cause: str = "", fix: str = "") -> DocEnum:
        obj = int.__new__(cls, value)
        obj._value_ = value
        obj.cause = cause
        obj.fix = fix
        return obj

    @property
    def doc(self) -> str:
        """The cause, then (on a second line) the fix."""
        return "\n".join(x for x in (self.cause, self.fix) if x)

    @classmethod
    def metadata(cls) -> list[dict[str, Any]]:
        """The members as the JSON metadata lists them: index, name, doc."""
        return [{"index": int(e), "name": e.name, "doc": e.doc} for e in cls]


class DispatchError(Exception):
    """A call failed: (pallet index, error index) as Substrate's `Module` error, plus its name."""

    def __init__(self, pallet_index: int, error_index: int, name: str, detail: str = "") -> None:
        super().__init__(f"{name}" + (f": {detail}" if detail else ""))
        self.pallet_index = pallet_index
        self.error_index = error_index
        self.name = name
        self.detail = detail

    def code(self) -> DispatchErrorCode:
        """The error as Substrate's `sp_runtime::DispatchError` (see the module doc)."""
        if self.pallet_index == 0 and self.error_index in _SYSTEM_AS_SUBSTRATE:
            return _SYSTEM_AS_SUBSTRATE[self.error_index]
        return DispatchErrorCode(int(DispatchErrorKind.Module), ModuleError(self.pallet_index, bytes((self.error_index, 0, 0, 0))))

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


class SystemError_(DocEnum):
    """Errors of the system pallet (index 0), also used by the dispatcher itself."""

    BadOrigin = (
        0, "the signer may not make this call (it needs root, the subnet owner, or a signed origin)",
        "root-only calls go through sudo, signed by the sudo key; owner calls are signed by the subnet owner's coldkey",
    )
    CallFiltered = (
        1, "the call may not be dispatched here (e.g. an inherent sent as a transaction)",
        "inherents are put in by the block author: do not sign them",
    )
    Overflow = 2, "an arithmetic result does not fit its integer type", "use a smaller amount or value"
    Underflow = 3, "an arithmetic result went below zero", "use a smaller amount or value"


SystemError_.pallet_index = 0  # type: ignore[attr-defined]
SystemError_.pallet_name = "System"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- Substrate's DispatchError


class DispatchErrorKind(IntEnum):
    """The variants of `sp_runtime::DispatchError`, in Substrate's order."""

    Other = 0
    CannotLookup = 1
    BadOrigin = 2
    Module = 3
    ConsumerRemaining = 4
    NoProviders = 5
    TooManyConsumers = 6
    Token = 7
    Arithmetic = 8
    Transactional = 9
    Exhausted = 10
    Corruption = 11
    Unavailable = 12
    RootNotAllowed = 13


class TokenError(IntEnum):
    __scale_path__ = ("sp_runtime", "TokenError")
    FundsUnavailable = 0
    OnlyProvider = 1
    BelowMinimum = 2
    CannotCreate = 3
    UnknownAsset = 4
    Frozen = 5
    Unsupported = 6
    CannotCreateHold = 7
    NotExpendable = 8
    Blocked = 9


class ArithmeticError(IntEnum):
    __scale_path__ = ("sp_arithmetic", "ArithmeticError")
    Underflow = 0
    Overflow = 1
    DivisionByZero = 2


class TransactionalError(IntEnum):
    __scale_path__ = ("sp_runtime", "TransactionalError")
    LimitReached = 0
    NoLayer = 1


@wire
class ModuleError:
    """A pallet's error: the pallet's index, and the error's index in its enum as error[0]."""

    __scale_path__ = ("sp_runtime", "ModuleError")
    index: U8
    error: typing.Annotated[bytes, BytesT(4)]


@wire
class DispatchErrorCode:
    """`sp_runtime::DispatchError` as a value: the variant, the module error (Module), the inner
    enum's index (Token, Arithmetic, Transactional)."""

    kind: U8
    module: ModuleError | None = None
    inner: U8 = 0


_INNER: dict[int, type[IntEnum]] = {
    DispatchErrorKind.Token: TokenError,
    DispatchErrorKind.Arithmetic: ArithmeticError,
    DispatchErrorKind.Transactional: TransactionalError,
}
_SYSTEM_AS_SUBSTRATE = {
    int(SystemError_.BadOrigin): DispatchErrorCode(int(DispatchErrorKind.BadOrigin)),
    int(SystemError_.Overflow): DispatchErrorCode(int(DispatchErrorKind.Arithmetic), None, int(ArithmeticError.Overflow)),
    int(SystemError_.Underflow): DispatchErrorCode(int(DispatchErrorKind.Arithmetic), None, int(ArithmeticError.Underflow)),
}
_SYSTEM_BY_CODE = {v: SystemError_(k) for k, v in _SYSTEM_AS_SUBSTRATE.items()}


def dispatch_error_name(code: DispatchErrorCode, error_enums: dict[int, type[IntEnum]]) -> str:
    """"Pallet.Error" of a DispatchErrorCode (`error_enums`: each pallet index's Error enum and
    its name as `pallet_name`); the dispatcher's own errors keep their System names."""
    sys_err = _SYSTEM_BY_CODE.get(code)
    if sys_err is not None:
        return f"System.{sys_err.name}"
    if code.kind == DispatchErrorKind.Module and code.module is not None:
        enum = error_enums.get(code.module.index)
        index = code.module.error[0]
        if enum is not None and index in enum._value2member_map_:
            return f"{enum.pallet_name}.{enum(index).name}"  # type: ignore[attr-defined]
        return f"Module({code.module.index}, {index})"
    kind = DispatchErrorKind(code.kind).name
    inner = _INNER.get(code.kind)
    return f"{kind}.{inner(code.inner).name}" if inner is not None else kind


class DispatchErrorS(ScaleType):
    """`sp_runtime::DispatchError`: the variant byte, then ModuleError (Module) or the inner enum's
    byte (Token, Arithmetic, Transactional); unit variants carry nothing (Other's text is skipped
    by Substrate's codec too). The value is a DispatchErrorCode."""

    name = "DispatchError"
    min_size = 1

    def __init__(self) -> None:
        self.module = composite_of(ModuleError)

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, DispatchErrorCode) or not 0 <= v.kind <= max(DispatchErrorKind):
            raise CodecError(f"DispatchError: expected a DispatchErrorCode, got {v!r}")
        out.append(v.kind)
        if v.kind == DispatchErrorKind.Module:
            self.module._enc(v.module, out)
        elif v.kind in _INNER:
            if v.inner not in _INNER[v.kind]._value2member_map_:
                raise CodecError(f"DispatchError: {v.inner} is not a {_INNER[v.kind].__name__}")
            out.append(v.inner)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("DispatchError: input ends before the variant index")
        kind = data[pos]
        pos += 1
        if kind > max(DispatchErrorKind):
            raise CodecError(f"DispatchError: unknown variant index {kind}")
        if kind == DispatchErrorKind.Module:
            m, pos = self.module._dec(data, pos)
            return DispatchErrorCode(kind, m), pos
        inner = _INNER.get(kind)
        if inner is None:
            return DispatchErrorCode(kind), pos
        if pos >= len(data) or data[pos] not in inner._value2member_map_:
            raise CodecError(f"DispatchError: no {inner.__name__} at byte {pos}")
        return DispatchErrorCode(kind, None, data[pos]), pos + 1

    def type_def(self) -> TypeDef:
        def fields(k: DispatchErrorKind) -> tuple[Field, ...]:
            if k == DispatchErrorKind.Module:
                return (Field(None, self.module),)
            inner = _INNER.get(k)
            return () if inner is None else (Field(None, scale_type_of(inner)),)

        return TypeDef("variant", path=("sp_runtime", "DispatchError"),
                       variants=tuple(VariantDef(k.name, int(k), fields(k)) for k in DispatchErrorKind))


class ResultS(OptionS):
    """`Result<(), E>`: 0 = Ok(()), 1 ++ E = Err; the value is None (Ok) or the error value. The
    bytes are Option<E>'s; only the declared type differs."""

    def __init__(self, err: ScaleType) -> None:
        super().__init__(err)
        self.ok = TupleS(())
        self.err = err
        self.name = f"Result<(), {err.name}>"

    def type_def(self) -> TypeDef:
        return TypeDef("variant", path=("Result",), params=(self.ok, self.err), variants=(
            VariantDef("Ok", 0, (Field(None, self.ok),)), VariantDef("Err", 1, (Field(None, self.err),)),
        ))


DISPATCH_ERROR = DispatchErrorS()
DispatchErrorField = typing.Annotated[DispatchErrorCode, struct_type(DispatchErrorCode), DISPATCH_ERROR]
# Result<(), DispatchError> (Sudo.Sudid): None is Ok
DispatchResultField = typing.Annotated[
    DispatchErrorCode | None, OptionT(struct_type(DispatchErrorCode)), ResultS(DISPATCH_ERROR)
]


class DispatchClass(IntEnum):
    __scale_path__ = ("frame_support", "dispatch", "DispatchClass")
    Normal = 0
    Operational = 1
    Mandatory = 2


class Pays(IntEnum):
    __scale_path__ = ("frame_support", "dispatch", "Pays")
    Yes = 0
    No = 1


class IntEnumT(WireType):
    """An IntEnum on the MessagePack wire (its value); SCALE: the enum of unit variants."""

    def __init__(self, cls: type[IntEnum]) -> None:
        self.cls = cls
        self.name = cls.__name__

    def to_wire(self, v: Any) -> Any:
        if not isinstance(v, self.cls):
            raise CodecError(f"{self.name}: expected a member, got {v!r}")
        return int(v)

    def from_wire(self, w: Any) -> Any:
        if type(w) is not int or w not in self.cls._value2member_map_:
            raise CodecError(f"{self.name}: unknown member {w!r}")
        return self.cls(w)

    def scale_type(self) -> ScaleType:
        return scale_type_of(self.cls)


@wire
class Weight:
    """`sp_weights::Weight`: reference time (picoseconds) and proof size (bytes)."""

    __scale_path__ = ("sp_weights", "weight_v2", "Weight")
    ref_time: CompactU64
    proof_size: CompactU64 = 0


@wire
class DispatchInfo:
    """`frame_support::dispatch::DispatchInfo` as ExtrinsicSuccess / ExtrinsicFailed carry it."""

    __scale_path__ = ("frame_support", "dispatch", "DispatchInfo")
    weight: Weight
    class_: typing.Annotated[DispatchClass, IntEnumT(DispatchClass)] = DispatchClass.Normal
    pays_fee: typing.Annotated[Pays, IntEnumT(Pays)] = Pays.Yes


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
    """A decoded call: pallet index, call index and typed argument values.

    `cdef` is the declaration the call was built or decoded from (`Pallet.call`, `Runtime.call`,
    `Runtime.decode_call`); it types the arguments for encoding, so a call encodes without any
    process-wide registry. It takes no part in equality."""

    pallet: int
    index: int
    args: tuple
    cdef: CallDef | None = dataclasses.field(default=None, compare=False, repr=False)

    def declaration(self) -> CallDef:
        if self.cdef is None:
            raise CodecError(
                f"call ({self.pallet}, {self.index}) carries no declaration: build it with"
                " runtime.call(pallet, name, ...) or Pallet.call(name, ...)"
            )
        return self.cdef

    def to_wire(self) -> list:
        cdef = self.declaration()
        if len(self.args) != len(cdef.args):
            raise CodecError(f"{cdef.name}: expected {len(cdef.args)} arguments, got {len(self.args)}")
        return [self.pallet, self.index, [t.to_wire(a) for (_, t), a in zip(cdef.args, self.args, strict=True)]]

    def compute_weight(self) -> int:
        return self.declaration().compute_weight(self.args)


class CallRegistry(typing.Protocol):
    """A runtime's call table (the Runtime itself): resolves indices, decodes calls."""

    def call_def(self, pallet: int, index: int) -> CallDef: ...

    def decode_call(self, w: Any, depth: int = 0) -> Call: ...


MAX_CALL_DEPTH = 8  # sudo(sudo(...)) nesting limit


class CallT(WireType):
    """The wire type of a (possibly nested) runtime call.

    It has no table of its own: a call's arguments decode through `decode_call_args`, which hands each
    nested call back to the runtime decoding the outer one, one level deeper (bounded by
    MAX_CALL_DEPTH). No state is shared between runtimes or between threads."""

    name = "RuntimeCall"

    def to_wire(self, v: Any) -> Any:
        if not isinstance(v, Call):
            raise CodecError("RuntimeCall: expected a Call")
        return v.to_wire()

    def from_wire(self, w: Any) -> Call:
        raise CodecError("RuntimeCall: a nested call decodes only as a call argument, through its runtime")


def decode_call_args(table: CallRegistry, cdef: CallDef, args: Any, depth: int) -> tuple:
    """The typed arguments of a call at nesting `depth` (0: the extrinsic's call) from their wire form.

    Nested calls (a RuntimeCall argument, or one inside an option or a list) decode through `table`
    at `depth + 1`; deeper than MAX_CALL_DEPTH is a CodecError."""
    if type(args) is not list or len(args) != len(cdef.args):
        raise CodecError(f"{cdef.name}: expected {len(cdef.args)} arguments")

    def arg(t: WireType, w: Any) -> Any:
        if isinstance(t, CallT):
            if depth >= MAX_CALL_DEPTH:
                raise CodecError(f"calls nested deeper than {MAX_CALL_DEPTH}")
            return table.decode_call(w, depth + 1)
        if isinstance(t, OptionT) and _holds_call(t):
            return None if w is None else arg(t.item, w)
        if isinstance(t, ListT) and _holds_call(t):
            if type(w) is not list:
                raise CodecError(f"{t.name}: expected an array")
            if len(w) > t.max_len:
                raise CodecError(f"{t.name}: {len(w)} items is over the limit {t.max_len}")
            return tuple(arg(t.item, x) for x in w)
        return t.from_wire(w)

    return tuple(arg(t, a) for (_, t), a in zip(cdef.args, args, strict=True))


def _holds_call(t: WireType) -> bool:
    while isinstance(t, OptionT | ListT):
        t = t.item
    return isinstance(t, CallT)


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
    Error: type[DocEnum] = SystemError_
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
                return Call(self.INDEX, cdef.index, tuple(args), cdef)
        raise KeyError(f"{self.NAME} has no call {name!r}")
