"""SCALE forms of a runtime's outer types: the event and call enums, Phase and EventRecord.

A runtime composes pallets; its outer enums have one variant per pallet (index = the pallet's
index) wrapping that pallet's own enum (index = the event's position in `Pallet.EVENTS`, or the
call's declared index), as Metadata V14/V15 describe them:
- `OuterEventS`: `pallet index ++ event index ++ SCALE(fields)`; the Python value is an instance of
  one of the event dataclasses (each class belongs to one pallet);
- `RuntimeCallS`: `pallet index ++ call index ++ SCALE(args in declared order)`; the Python value
  is a `dispatch.Call` (its declaration attached on decoding). A call argument that is a call (or
  an option or a list of calls) is a RuntimeCall one level deeper, up to dispatch's
  MAX_CALL_DEPTH, as `decode_call_args` bounds the wire form; the levels are separate immutable
  type objects, so no decoding state is shared between runtimes or threads;
- `frame_system::Phase` (ApplyExtrinsic(u32) = 0, Finalization = 1, Initialization = 2) and
  `frame_system::EventRecord` `{phase, event, topics: Vec<H256>}` (`EventRecordS`, value
  `PhasedEvent`).

Decoding is strict as everywhere in scale.py: an unknown pallet, event or call index, truncated
input or trailing bytes is a CodecError. Pure and deterministic: no I/O, no floats.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar

from .codec import CodecError, ListT, OptionT, WireType
from .dispatch import MAX_CALL_DEPTH, Call, CallDef, CallT, _holds_call
from .scale import (
    U32S,
    ByteArrayS,
    EnumS,
    Field,
    OptionS,
    ScaleType,
    TypeDef,
    VariantDef,
    VecS,
    scale_type_of,
)

H256 = ByteArrayS(32)
MAX_TOPICS = 1024

# --------------------------------------------------------------------------- Phase


@dataclasses.dataclass(frozen=True, slots=True)
class ApplyExtrinsic:
    """The event was deposited while applying the block's extrinsic number `index`
    (Substrate's `ApplyExtrinsic(u32)`: the field is unnamed)."""

    SCALE_UNNAMED: ClassVar[bool] = True
    index: Annotated[int, U32S]


@dataclasses.dataclass(frozen=True, slots=True)
class Finalization:
    """The event was deposited by the block's finalization (fees to the author, on_finalize hooks)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Initialization:
    """The event was deposited by the block's initialization (on_initialize hooks)."""


Phase = ApplyExtrinsic | Finalization | Initialization
PHASE = EnumS("Phase", [(0, ApplyExtrinsic), (1, Finalization), (2, Initialization)], path=("frame_system", "Phase"))


# --------------------------------------------------------------------------- the outer event enum


class OuterEventS(ScaleType):
    """A runtime's event enum: one variant per pallet (its index), wrapping the pallet's event enum.

    `pallets` lists (pallet index, pallet name, the pallet's event enum path, its event classes in
    index order); a pallet without events has no variant."""

    min_size = 2

    def __init__(
        self, name: str, path: tuple[str, ...], pallets: Sequence[tuple[int, str, tuple[str, ...], Sequence[type]]],
    ) -> None:
        self.name = name
        self.path = path
        self._variants: list[VariantDef] = []
        self._by_index: dict[int, EnumS] = {}
        self._by_class: dict[type, tuple[int, EnumS]] = {}
        for index, pallet_name, inner_path, events in pallets:
            if not events:
                continue
            if not 0 <= index <= 255 or index in self._by_index:
                raise TypeError(f"{name}: pallet index {index} is not a free byte")
            inner = EnumS(f"{pallet_name}.{inner_path[-1]}", list(enumerate(events)), path=inner_path)
            self._by_index[index] = inner
            self._variants.append(VariantDef(pallet_name, index, (Field(None, inner),)))
            for cls in events:
                if cls in self._by_class:
                    raise TypeError(f"{name}: event {cls.__name__} belongs to two pallets")
                self._by_class[cls] = (index, inner)
        self._variants.sort(key=lambda v: v.index)

    def _enc(self, v: Any, out: bytearray) -> None:
        got = self._by_class.get(type(v))
        if got is None:
            raise CodecError(f"{self.name}: {type(v).__name__} is not an event of this runtime")
        out.append(got[0])
        got[1]._enc(v, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the pallet index")
        inner = self._by_index.get(data[pos])
        if inner is None:
            raise CodecError(f"{self.name}: no pallet with events has index {data[pos]}")
        return inner._dec(data, pos + 1)

    def type_def(self) -> TypeDef:
        return TypeDef("variant", path=self.path, variants=tuple(self._variants))


# --------------------------------------------------------------------------- EventRecord


@dataclasses.dataclass(frozen=True, slots=True)
class PhasedEvent:
    """frame_system::EventRecord: when the event happened, the event (a pallet's event dataclass
    instance), its topics (32-byte hashes; taochain deposits none)."""

    phase: Phase
    event: Any
    topics: tuple[bytes, ...] = ()


class EventRecordS(ScaleType):
    """`{phase: Phase, event: <the runtime's event enum>, topics: Vec<H256>}` as a PhasedEvent."""

    name = "EventRecord"

    def __init__(self, event: ScaleType) -> None:
        self.event = event
        self.topics = VecS(H256, MAX_TOPICS)
        self.min_size = PHASE.min_size + event.min_size + self.topics.min_size

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, PhasedEvent):
            raise CodecError(f"EventRecord: expected a PhasedEvent, got {type(v).__name__}")
        PHASE._enc(v.phase, out)
        self.event._enc(v.event, out)
        self.topics._enc(v.topics, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        phase, pos = PHASE._dec(data, pos)
        event, pos = self.event._dec(data, pos)
        topics, pos = self.topics._dec(data, pos)
        return PhasedEvent(phase, event, topics), pos

    def type_def(self) -> TypeDef:
        fields = (Field("phase", PHASE), Field("event", self.event), Field("topics", self.topics))
        return TypeDef("composite", path=("frame_system", "EventRecord"), fields=fields)


def phases_of(phases: Sequence[int | None]) -> list[Phase]:
    """The Phase of each event from the project's form (extrinsic index, or None outside extrinsics).

    A None before the first extrinsic's event is the block's initialization, a None after it the
    finalization: the executive deposits initialization events first and finalization events last."""
    out: list[Phase] = []
    seen_extrinsic = False
    for p in phases:
        if p is None:
            out.append(Finalization() if seen_extrinsic else Initialization())
        else:
            seen_extrinsic = True
            out.append(ApplyExtrinsic(p))
    return out


def project_phases(phases: Sequence[Phase]) -> list[int | None]:
    """The inverse of `phases_of`, strictly: initialization only before the first extrinsic's event,
    finalization only after it (any other order has no project form and is a CodecError)."""
    out: list[int | None] = []
    seen_extrinsic = False
    for i, p in enumerate(phases):
        if isinstance(p, ApplyExtrinsic):
            seen_extrinsic = True
            out.append(p.index)
        elif isinstance(p, Initialization) == seen_extrinsic:
            raise CodecError(f"event {i}: phase {type(p).__name__} is out of the block's order")
        else:
            out.append(None)
    return out


# --------------------------------------------------------------------------- the outer call enum


class _TooDeepS(ScaleType):
    """Where a call would nest deeper than MAX_CALL_DEPTH: refuses both ways."""

    name = "RuntimeCall"
    min_size = 2

    def _enc(self, v: Any, out: bytearray) -> None:
        raise CodecError(f"calls nested deeper than {MAX_CALL_DEPTH}")

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        raise CodecError(f"calls nested deeper than {MAX_CALL_DEPTH}")

    def type_def(self) -> TypeDef:  # pragma: no cover - never registered
        raise TypeError("the nesting limit has no type of its own")


def call_arg_type(t: WireType, nested: ScaleType) -> ScaleType:
    """A call argument's SCALE type; a call in it (itself, in an option or a list) is `nested`."""
    if isinstance(t, CallT):
        return nested
    if isinstance(t, OptionT) and _holds_call(t):
        return OptionS(call_arg_type(t.item, nested))
    if isinstance(t, ListT) and _holds_call(t):
        return VecS(call_arg_type(t.item, nested), t.max_len)
    return scale_type_of(t)


class PalletCallS(ScaleType):
    """One pallet's call enum: `call index ++ args`; the value is `(CallDef, args tuple)`."""

    min_size = 1

    def __init__(self, name: str, path: tuple[str, ...], calls: Mapping[int, CallDef], nested: ScaleType) -> None:
        self.name = name
        self.path = path
        self.calls = dict(sorted(calls.items()))
        self.args = {i: tuple(call_arg_type(t, nested) for _, t in c.args) for i, c in self.calls.items()}

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not tuple or len(v) != 2 or not isinstance(v[0], CallDef):
            raise CodecError(f"{self.name}: expected (CallDef, args)")
        cdef, args = v
        types = self.args.get(cdef.index)
        if types is None or self.calls[cdef.index].name != cdef.name:
            raise CodecError(f"{self.name}: no call {cdef.name} with index {cdef.index}")
        if type(args) is not tuple or len(args) != len(types):
            raise CodecError(f"{cdef.name}: expected {len(types)} arguments")
        out.append(cdef.index)
        for t, a in zip(types, args, strict=True):
            t._enc(a, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the call index")
        index = data[pos]
        types = self.args.get(index)
        if types is None:
            raise CodecError(f"{self.name}: no call has index {index}")
        pos += 1
        args = []
        for t in types:
            a, pos = t._dec(data, pos)
            args.append(a)
        return (self.calls[index], tuple(args)), pos

    def type_def(self) -> TypeDef:
        variants = tuple(
            VariantDef(c.name, i, tuple(Field(n, t) for (n, _), t in zip(c.args, self.args[i], strict=True)))
            for i, c in self.calls.items()
        )
        return TypeDef("variant", path=self.path, variants=variants)


class RuntimeCallS(ScaleType):
    """A runtime's call enum at nesting `depth` (0: an extrinsic's call): `pallet index ++ call index
    ++ args`, as a `Call`. `pallets` lists (pallet index, pallet name, its call enum path, its calls
    by index); a pallet without calls has no variant. The next level down is built on first use."""

    min_size = 2

    def __init__(
        self, path: tuple[str, ...], pallets: Sequence[tuple[int, str, tuple[str, ...], Mapping[int, CallDef]]],
        depth: int = 0,
    ) -> None:
        self.name = path[-1]
        self.path = path
        self.depth = depth
        self._pallets = tuple(sorted((p for p in pallets if p[3]), key=lambda p: p[0]))
        self._deeper: ScaleType | None = None
        self._by_index: dict[int, tuple[str, PalletCallS]] | None = None
        for i, (index, *_rest) in enumerate(self._pallets):
            if not 0 <= index <= 255 or (i and self._pallets[i - 1][0] == index):
                raise TypeError(f"{self.name}: pallet index {index} is not a free byte")

    @property
    def deeper(self) -> ScaleType:
        """The type of a call nested in a call of this level."""
        if self._deeper is None:
            self._deeper = (
                _TooDeepS() if self.depth >= MAX_CALL_DEPTH else RuntimeCallS(self.path, self._pallets, self.depth + 1)
            )
        return self._deeper

    @property
    def by_index(self) -> dict[int, tuple[str, PalletCallS]]:
        if self._by_index is None:
            self._by_index = {
                index: (name, PalletCallS(f"{name}.{inner_path[-1]}", inner_path, calls, self.deeper))
                for index, name, inner_path, calls in self._pallets
            }
        return self._by_index

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, Call):
            raise CodecError(f"{self.name}: expected a Call, got {type(v).__name__}")
        got = self.by_index.get(v.pallet)
        if got is None:
            raise CodecError(f"{self.name}: no pallet with calls has index {v.pallet}")
        inner = got[1]
        cdef = inner.calls.get(v.index)
        if cdef is None:
            raise CodecError(f"{self.name}: pallet {got[0]} has no call with index {v.index}")
        out.append(v.pallet)
        inner._enc((cdef, v.args), out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError(f"{self.name}: input ends before the pallet index")
        pallet = data[pos]
        got = self.by_index.get(pallet)
        if got is None:
            raise CodecError(f"{self.name}: no pallet with calls has index {pallet}")
        (cdef, args), pos = got[1]._dec(data, pos + 1)
        return Call(pallet, cdef.index, args, cdef), pos

    def type_def(self) -> TypeDef:
        variants = tuple(VariantDef(name, i, (Field(None, inner),)) for i, (name, inner) in self.by_index.items())
        return TypeDef("variant", path=self.path, variants=variants)


__all__ = [
    "H256", "MAX_TOPICS", "PHASE", "ApplyExtrinsic", "EventRecordS", "Finalization", "Initialization",
    "OuterEventS", "PalletCallS", "Phase", "PhasedEvent", "RuntimeCallS", "call_arg_type", "phases_of",
    "project_phases",
]
