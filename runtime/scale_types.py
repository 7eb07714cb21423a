"""The runtime's outer SCALE types, built from the pallets through the Runtime object.

`RuntimeEvent`, `RuntimeCall` and `frame_system::EventRecord` as Metadata V14/V15 (runtime/
metadata.py) describe them: one variant per pallet, index = pallet index, wrapping the pallet's
own enum (events: index = position in `Pallet.EVENTS`; calls: the declared call index, arguments
in declared order). The codecs are runtime/support/scale_outer.py; this module composes them.

`encode_events(runtime, records)` / `decode_events(runtime, data)` give `Vec<EventRecord>` from and
to the project's `dispatch.EventRecord` list (phase: extrinsic index, or None for the block's
initialization before the first extrinsic and finalization after it; no topics). Decoding is
strict: anything that has no project form (topics, phases out of the block's order) is a
CodecError, so `encode_events(decode_events(b)) == b`.

The executive stores these bytes as System.Events, and the metadata declares that item as this
`Vec<EventRecord>` (runtime/metadata.py), so clients decode `state_getStorage` of it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from runtime.metadata import RUNTIME_PATH, snake
from runtime.support.codec import CodecError
from runtime.support.dispatch import Call, EventRecord
from runtime.support.scale import U32S, VecS, compact_encode
from runtime.support.scale_outer import (
    EventRecordS,
    OuterEventS,
    PhasedEvent,
    RuntimeCallS,
    phases_of,
    project_phases,
)

MAX_EVENTS = 1 << 20  # events in one block
MAX_EVENTS_SIZE = 64 * 1024 * 1024  # bytes, as System.Events allows


class RuntimeTypes:
    """The outer SCALE types of one runtime: `event`, `call`, `event_record`, `events`."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.event = OuterEventS("RuntimeEvent", (RUNTIME_PATH, "RuntimeEvent"), [
            (p.INDEX, p.NAME, (f"pallet_{snake(p.NAME)}", "pallet", "Event"), p.EVENTS) for p in runtime.pallets
        ])
        self.call = RuntimeCallS((RUNTIME_PATH, "RuntimeCall"), [
            (p.INDEX, p.NAME, (f"pallet_{snake(p.NAME)}", "pallet", "Call"), p.CALLS) for p in runtime.pallets
        ])
        self.event_record = EventRecordS(self.event)
        self.events = VecS(self.event_record, MAX_EVENTS)

    # -- events
    def encode_events(self, records: Sequence[EventRecord]) -> bytes:
        """SCALE `Vec<EventRecord>` of a block's events (in deposit order)."""
        # the bytes of `events.encode` over PhasedEvents (phases_of), written directly: this runs
        # for every block, over thousands of events (tests check both give the same bytes)
        if len(records) > MAX_EVENTS:
            raise CodecError(f"{len(records)} events is over the limit {MAX_EVENTS}")
        out = bytearray(compact_encode(len(records)))
        enc = self.event._enc
        seen_extrinsic = False
        for r in records:
            if r.phase is None:
                out.append(1 if seen_extrinsic else 2)  # Finalization / Initialization
            else:
                seen_extrinsic = True
                out.append(0)  # ApplyExtrinsic(u32)
                out += U32S.encode(r.phase)
            enc(r.fields, out)
            out.append(0)  # no topics
        return bytes(out)

    def encode_events_reference(self, records: Sequence[EventRecord]) -> bytes:
        """`encode_events` through the generic types (the readable form, for tests)."""
        phases = phases_of([r.phase for r in records])
        return self.events.encode([PhasedEvent(ph, r.fields) for ph, r in zip(phases, records, strict=True)])

    def decode_events(self, data: bytes) -> list[EventRecord]:
        """A block's events from untrusted `Vec<EventRecord>` bytes; every problem is a CodecError."""
        phased = self.events.decode(data, MAX_EVENTS_SIZE)
        for i, pe in enumerate(phased):
            if pe.topics:
                raise CodecError(f"event {i}: {len(pe.topics)} topics (taochain deposits none)")
        phases = project_phases([pe.phase for pe in phased])
        out = []
        for phase, pe in zip(phases, phased, strict=True):
            pallet, index, name = self.runtime.event_id(type(pe.event))
            out.append(EventRecord(phase, pallet, index, name, pe.event))
        return out

    # -- calls
    def encode_call(self, call: Call) -> bytes:
        """SCALE `RuntimeCall`: pallet index ++ call index ++ the arguments."""
        return self.call.encode(call)

    def decode_call(self, data: bytes) -> Call:
        """A call from untrusted SCALE bytes (its declaration attached); every problem is a CodecError."""
        return self.call.decode(data)  # type: ignore[no-any-return]


_CACHE: weakref.WeakKeyDictionary[Any, RuntimeTypes] = weakref.WeakKeyDictionary()


def runtime_types(runtime: Any) -> RuntimeTypes:
    """The (cached) outer SCALE types of `runtime`."""
    got = _CACHE.get(runtime)
    if got is None:
        got = _CACHE[runtime] = RuntimeTypes(runtime)
    return got


def encode_events(runtime: Any, records: Sequence[EventRecord]) -> bytes:
    return runtime_types(runtime).encode_events(records)


def decode_events(runtime: Any, data: bytes) -> list[EventRecord]:
    return runtime_types(runtime).decode_events(data)


def encode_call(runtime: Any, call: Call) -> bytes:
    return runtime_types(runtime).encode_call(call)


def decode_call(runtime: Any, data: bytes) -> Call:
    return runtime_types(runtime).decode_call(data)


__all__ = [
    "MAX_EVENTS", "MAX_EVENTS_SIZE", "RuntimeTypes", "decode_call", "decode_events", "encode_call", "encode_events",
    "runtime_types",
]
