"""The runtime's outer SCALE types (runtime/scale_types.py, runtime/support/scale_outer.py).

Every event class and every call the runtime declares round-trips with a sample value; the
encodings agree with Metadata V14 (runtime/metadata.py) as an outside implementation reads it:
scalecodec, driven by our metadata, decodes our `Vec<EventRecord>` of real blocks (a transfer, a
failed call, a subnet registration, a nested sudo call) and our calls to the same pallet, names
and values, and the calls it encodes decode with ours. Decoding is strict: bad indices, truncated
input, trailing bytes, topics, phases out of order are CodecErrors, and nothing else (fuzzed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ALICE, BOB, TAO, ChainBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.construct import Runtime
from runtime.metadata import _Builder, metadata_v14
from runtime.scale_types import decode_events, encode_events, runtime_types
from runtime.support import scale as S
from runtime.support.codec import CodecError
from runtime.support.dispatch import (
    MAX_CALL_DEPTH,
    ArithmeticError,
    Call,
    DispatchErrorKind,
    DispatchErrorS,
    EventRecord,
    ResultS,
    TokenError,
    TransactionalError,
)
from runtime.support.scale import compact_encode, composite_of
from runtime.support.scale_outer import (
    PHASE,
    ApplyExtrinsic,
    Finalization,
    Initialization,
    PhasedEvent,
    phases_of,
    project_phases,
)

sys.path.insert(0, str(Path(__file__).parent / "vectors"))
from generate import sample, sample_obj  # noqa: E402

SUB = "SubtensorModule"


@pytest.fixture(scope="module")
def rt() -> Runtime:
    return Runtime()


@pytest.fixture(scope="module")
def outside(rt: Runtime) -> tuple:
    """scalecodec loaded with our V14, plus the type id the metadata declares for System.Events
    (`Vec<frame_system::EventRecord>` over the metadata's own RuntimeEvent)."""
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_v14(rt)))
    md.decode()
    rc.add_portable_registry(md)
    system = next(p for p in md.value[1]["V14"]["pallets"] if p["name"] == "System")
    vec_id = next(e["type"]["Plain"] for e in system["storage"]["entries"] if e["name"] == "Events")
    return rc, md, vec_id


@pytest.fixture(scope="module")
def blocks() -> tuple[ChainBuilder, list]:
    """Real blocks: a transfer, a failed call, subnet registrations, a sudo call, epochs."""
    c = ChainBuilder()
    results = [c.submit(ALICE, "Balances", "transfer_keep_alive", BOB.public, 5 * TAO)]
    results.append(c.submit(BOB, "Balances", "transfer_keep_alive", ALICE.public, 10**18))  # fails
    results.append(c.submit(ALICE, SUB, "register_network", BOB.public))
    results.append(c.submit(ALICE, SUB, "start_call", 1))
    results.append(c.submit(BOB, SUB, "burned_register", 1, ALICE.public))
    inner = c.call("AdminUtils", "sudo_set_commit_reveal_weights_enabled", 1, False)
    results.append(c.submit(ALICE, "Sudo", "sudo", inner))
    for _ in range(12):
        results.append(c.author()[0])
    return c, results


def _as_scalecodec(t: S.ScaleType, v: Any) -> Any:
    """Our value as scalecodec's decoder shows it, walking our SCALE type."""
    if isinstance(t, S.UIntS | S.CompactS | S.BoolS | S.StrS):
        return v
    if isinstance(t, S.ByteArrayS | S.BytesS):
        return "0x" + v.hex()
    if isinstance(t, S.U16PairsS):
        return [(int.from_bytes(v[i:i + 2], "little"), int.from_bytes(v[i + 2:i + 4], "little"))
                for i in range(0, len(v), 4)]
    if isinstance(t, S.VecS):
        return [_as_scalecodec(t.item, x) for x in v]
    if isinstance(t, S.TupleS):
        return tuple(_as_scalecodec(i, x) for i, x in zip(t.items, v, strict=True))
    if isinstance(t, ResultS):
        return {"Ok": ()} if v is None else {"Err": _as_scalecodec(t.err, v)}
    if isinstance(t, S.OptionS):
        return None if v is None else _as_scalecodec(t.item, v)
    if isinstance(t, S.IntEnumS):
        return v.name
    if isinstance(t, DispatchErrorS):  # sp_runtime::DispatchError
        kind = DispatchErrorKind(v.kind).name
        if v.module is not None:
            return {kind: {"index": v.module.index, "error": "0x" + v.module.error.hex()}}
        inner = {"Token": TokenError, "Arithmetic": ArithmeticError, "Transactional": TransactionalError}.get(kind)
        return kind if inner is None else {kind: inner(v.inner).name}
    if isinstance(t, S.Composite):
        return {f.name.rstrip("_"): _as_scalecodec(f.type, getattr(v, f.name)) for f in t.fields}
    raise TypeError(f"no scalecodec form known for {t!r}")


def _records(rt: Runtime, evs: list, phases: list | None = None) -> list[EventRecord]:
    """Project event records of `evs` (all in extrinsic 0 unless `phases` says otherwise)."""
    phases = [0] * len(evs) if phases is None else phases
    return [EventRecord(ph, *rt.event_id(type(e)), e) for ph, e in zip(phases, evs, strict=True)]


def _event_fields(ev: Any) -> dict:
    return _as_scalecodec(composite_of(type(ev)), ev)


def _check_call_against_scalecodec(rt: Runtime, got: dict, call: Call) -> None:
    cdef = call.declaration()
    assert got["call_module"] == rt.by_index[call.pallet].NAME
    assert got["call_function"] == cdef.name
    assert [a["name"] for a in got["call_args"]] == [n for n, _ in cdef.args]
    types = runtime_types(rt).call.by_index[call.pallet][1].args[call.index]
    for a, t, v in zip(got["call_args"], types, call.args, strict=True):
        if isinstance(v, Call):
            _check_call_against_scalecodec(rt, a["value"], v)
        else:
            assert a["value"] == _as_scalecodec(t, v), (cdef.name, a["name"])


def _sample_calls(rt: Runtime) -> list[Call]:
    """Every call the runtime declares, with sample arguments (a nested call is a transfer)."""
    transfer = rt.call("Balances", "transfer_keep_alive", b"\x01" * 32, 5)
    out = []
    for p in rt.pallets:
        for cdef in p.CALLS.values():
            args = [transfer if t.name == "RuntimeCall" else sample(t) for _, t in cdef.args]
            out.append(rt.decode_call(p.call(cdef.name, *args).to_wire()))  # the wire form's values
    return out


# --------------------------------------------------------------------------- events


def test_every_event_round_trips(rt: Runtime) -> None:
    T = runtime_types(rt)
    n = 0
    for p in rt.pallets:
        for i, cls in enumerate(p.EVENTS):
            ev = sample_obj(cls)
            data = T.event.encode(ev)
            assert data == bytes((p.INDEX, i)) + composite_of(cls).encode(ev)
            assert T.event.decode(data) == ev
            n += 1
    assert n == len(rt._event_ids)


def test_event_records_round_trip_every_phase(rt: Runtime, outside: tuple) -> None:
    evs = [sample_obj(cls) for p in rt.pallets for cls in p.EVENTS]
    phases = [None, None] + [i // 7 for i in range(len(evs) - 4)] + [None, None]
    records = _records(rt, evs, phases)
    data = encode_events(rt, records)
    assert data.startswith(compact_encode(len(records)))
    assert decode_events(rt, data) == records
    phased = runtime_types(rt).events.decode(data)
    assert [type(pe.phase) for pe in phased[:2]] == [Initialization, Initialization]
    assert [type(pe.phase) for pe in phased[-2:]] == [Finalization, Finalization]
    assert phased[2].phase == ApplyExtrinsic(0) and all(pe.topics == () for pe in phased)
    rc, md, vec_id = outside
    got = rc.create_scale_object(f"scale_info::{vec_id}", data=ScaleBytes(data), metadata=md).decode()
    assert [g["phase"] for g in got] == [type(pe.phase).__name__ for pe in phased]
    assert [g["extrinsic_idx"] for g in got] == list(phases)  # ApplyExtrinsic(u32): the index itself
    assert encode_events(rt, []) == b"\x00" and decode_events(rt, b"\x00") == []


def test_phase_layout() -> None:
    assert PHASE.encode(ApplyExtrinsic(5)) == b"\x00" + (5).to_bytes(4, "little")
    assert PHASE.encode(Finalization()) == b"\x01"
    assert PHASE.encode(Initialization()) == b"\x02"
    assert phases_of([None, 0, 0, 1, None]) == [
        Initialization(), ApplyExtrinsic(0), ApplyExtrinsic(0), ApplyExtrinsic(1), Finalization()]
    assert project_phases(phases_of([None, 0, 3, None])) == [None, 0, 3, None]
    for bad in ([Finalization(), ApplyExtrinsic(0)], [ApplyExtrinsic(0), Initialization()], [Finalization()]):
        with pytest.raises(CodecError):
            project_phases(bad)


def test_real_blocks_round_trip_and_agree_with_scalecodec(rt: Runtime, blocks: tuple, outside: tuple) -> None:
    chain, results = blocks
    rc, md, vec_id = outside
    names, phases = set(), set()
    for r in results:
        data = encode_events(chain.runtime, r.events)
        assert data == runtime_types(chain.runtime).encode_events_reference(r.events)  # the fast path's bytes
        assert decode_events(chain.runtime, data) == list(r.events)
        got = rc.create_scale_object(f"scale_info::{vec_id}", data=ScaleBytes(data), metadata=md).decode()
        assert len(got) == len(r.events)
        for g, e in zip(got, r.events, strict=True):
            pallet, index, name = chain.runtime.event_id(type(e.fields))
            assert (g["module_id"], g["event_id"]) == tuple(name.split("."))
            assert g["event_index"] == pallet and g["event"]["event_index"] == bytes((pallet, index)).hex()
            assert g["extrinsic_idx"] == e.phase
            assert g["phase"] in ("ApplyExtrinsic", "Initialization", "Finalization")
            assert (g["attributes"] or {}) == _event_fields(e.fields), name
            assert g["topics"] == []
            names.add(name)
            phases.add(g["phase"])
    assert {"ApplyExtrinsic", "Initialization"} <= phases, phases  # the epochs run on_initialize
    assert {"Balances.Transfer", "System.ExtrinsicFailed", "SubtensorModule.NetworkAdded",
            "SubtensorModule.NeuronRegistered", "Sudo.Sudid"} <= names


def test_sample_events_agree_with_scalecodec(rt: Runtime, outside: tuple) -> None:
    rc, md, vec_id = outside
    evs = [sample_obj(cls) for p in rt.pallets for cls in p.EVENTS]
    records = _records(rt, evs)
    got = rc.create_scale_object(
        f"scale_info::{vec_id}", data=ScaleBytes(encode_events(rt, records)), metadata=md,
    ).decode()
    for g, e in zip(got, evs, strict=True):
        assert f"{g['module_id']}.{g['event_id']}" == rt.event_name(e)
        assert (g["attributes"] or {}) == _event_fields(e), rt.event_name(e)


# --------------------------------------------------------------------------- calls


def test_every_call_round_trips(rt: Runtime) -> None:
    T = runtime_types(rt)
    calls = _sample_calls(rt)
    assert len(calls) == sum(len(p.CALLS) for p in rt.pallets)
    for call in calls:
        data = T.encode_call(call)
        assert data[:2] == bytes((call.pallet, call.index))
        back = T.decode_call(data)
        assert back == call and back.declaration() is call.declaration()
        assert T.encode_call(back) == data


def test_calls_agree_with_scalecodec(rt: Runtime, blocks: tuple, outside: tuple) -> None:
    rc, md, _ = outside
    T = runtime_types(rt)
    for call in _sample_calls(rt):
        got = rc.create_scale_object("Call", data=ScaleBytes(T.encode_call(call)), metadata=md).decode()
        _check_call_against_scalecodec(rt, got, call)


def test_scalecodec_encoded_calls_decode_with_ours(rt: Runtime, outside: tuple) -> None:
    rc, md, _ = outside
    T = runtime_types(rt)
    dest = bytes(range(32))
    transfer = {"call_module": "Balances", "call_function": "transfer_keep_alive",
                "call_args": {"dest": "0x" + dest.hex(), "value": 10**9}}
    data = rc.create_scale_object("Call", metadata=md).encode(transfer).data
    assert T.decode_call(data) == rt.call("Balances", "transfer_keep_alive", dest, 10**9)
    sudo = {"call_module": "Sudo", "call_function": "sudo", "call_args": {"inner": transfer}}
    data = rc.create_scale_object("Call", metadata=md).encode(sudo).data
    assert T.decode_call(data) == rt.call("Sudo", "sudo", rt.call("Balances", "transfer_keep_alive", dest, 10**9))
    reg = {"call_module": SUB, "call_function": "burned_register", "call_args": {"netuid": 3, "hotkey": "0x" + dest.hex()}}
    data = rc.create_scale_object("Call", metadata=md).encode(reg).data
    assert T.decode_call(data) == rt.call(SUB, "burned_register", 3, dest)


def test_nested_calls_stop_at_the_dispatch_limit(rt: Runtime) -> None:
    T = runtime_types(rt)
    call = rt.call("System", "remark", b"x")
    for _ in range(MAX_CALL_DEPTH):
        call = rt.call("Sudo", "sudo", call)
    assert T.decode_call(T.encode_call(call)) == call
    too_deep = rt.call("Sudo", "sudo", call)
    with pytest.raises(CodecError, match="nested deeper"):
        T.encode_call(too_deep)
    sudo = bytes((rt.sudo.INDEX, next(c.index for c in rt.sudo.CALLS.values() if c.name == "sudo")))
    with pytest.raises(CodecError, match="nested deeper"):
        T.decode_call(sudo + T.encode_call(call))
    with pytest.raises(CodecError):  # the wire decoder has the same limit
        rt.decode_call(too_deep.to_wire())


# --------------------------------------------------------------------------- strict decoding


def _record_bytes(rt: Runtime) -> bytes:
    return encode_events(rt, _records(rt, [sample_obj(rt.balances.EVENTS[0])]))


def test_strict_event_decoding(rt: Runtime) -> None:
    T = runtime_types(rt)
    data = _record_bytes(rt)
    assert data[1:6] == b"\x00" + bytes(4) and data[6] == rt.balances.INDEX
    no_events = next(p.INDEX for p in rt.pallets if not p.EVENTS) if any(not p.EVENTS for p in rt.pallets) else 250
    bad = [
        data[:6] + bytes((no_events,)) + data[7:],  # a pallet without events
        data[:6] + bytes((255,)) + data[7:],  # no such pallet
        data[:7] + bytes((len(rt.balances.EVENTS),)) + data[8:],  # no such event
        data[:1] + b"\x03" + data[2:],  # no such phase
        data[:-1] + b"\x04" + bytes(32),  # a topic
        data[:-1],  # truncated
        data + b"\x00",  # trailing
        b"\x08" + data[1:],  # two records announced, one there
    ]
    for b in bad:
        with pytest.raises(CodecError):
            decode_events(rt, b)
    for cut in range(len(data)):
        with pytest.raises(CodecError):
            decode_events(rt, data[:cut])
    with pytest.raises(CodecError):
        T.event.encode(object())
    with pytest.raises(CodecError):
        T.event_record.encode(sample_obj(rt.balances.EVENTS[0]))
    topics = PhasedEvent(ApplyExtrinsic(0), sample_obj(rt.balances.EVENTS[0]), (b"\x01" * 32,))
    assert T.event_record.decode(T.event_record.encode(topics)) == topics


def test_strict_call_decoding(rt: Runtime) -> None:
    T = runtime_types(rt)
    call = rt.call("Balances", "transfer_keep_alive", b"\x02" * 32, 7)
    data = T.encode_call(call)
    for b in (b"", data[:1], data[:-1], data + b"\x00", b"\xff" + data[1:], data[:1] + b"\xff" + data[2:]):
        with pytest.raises(CodecError):
            T.decode_call(b)
    for bad in (Call(255, 0, ()), Call(rt.balances.INDEX, 255, ()), Call(call.pallet, call.index, (b"\x02" * 32,)),
                Call(call.pallet, call.index, (b"\x02" * 31, 7)), "not a call"):
        with pytest.raises(CodecError):
            T.encode_call(bad)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_events_and_calls(data: bytes) -> None:
    rt = _RT
    for decode, encode in ((lambda b: decode_events(rt, b), lambda v: encode_events(rt, v)),
                           (runtime_types(rt).decode_call, runtime_types(rt).encode_call)):
        try:
            v = decode(data)
        except CodecError:
            continue
        assert encode(v) == data


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_records(data: st.DataObject) -> None:
    rt = _RT
    base = bytearray(encode_events(rt, _records(rt, _SAMPLES)))
    for _ in range(data.draw(st.integers(1, 4))):
        base[data.draw(st.integers(0, len(base) - 1))] = data.draw(st.integers(0, 255))
    try:
        v = decode_events(rt, bytes(base))
    except CodecError:
        return
    assert encode_events(rt, v) == bytes(base)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_calls(data: st.DataObject) -> None:
    T = runtime_types(_RT)
    base = bytearray(T.encode_call(data.draw(st.sampled_from(_CALLS))))
    for _ in range(data.draw(st.integers(1, 3))):
        base[data.draw(st.integers(0, len(base) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(base)))
    for b in (bytes(base), bytes(base[:cut]), bytes(base) + b"\x00"):
        try:
            v = T.decode_call(b)
        except CodecError:
            continue
        assert T.encode_call(v) == b


_RT = Runtime()
_SAMPLES = [sample_obj(cls) for p in _RT.pallets for cls in p.EVENTS]
_CALLS = _sample_calls(_RT)


def test_types_describe_what_the_metadata_declares(rt: Runtime) -> None:
    """Our outer enums have the metadata's shape: pallets, variant names and indices, field names and types."""
    b, T = _Builder(rt), runtime_types(rt)
    for ours, theirs in ((T.event, b.runtime_event), (T.call, b.runtime_call)):
        td = ours.type_def()
        assert td.path == theirs.path
        assert [(v.name, v.index) for v in td.variants] == [(v.name, v.index) for v in theirs.variants]
        for v, w in zip(td.variants, theirs.variants, strict=True):
            inner, meta = v.fields[0].type.type_def(), w.fields[0].type
            assert inner.path == meta.path
            assert [(x.name, x.index) for x in inner.variants] == [(x.name, x.index) for x in meta.variants]
            for x, y in zip(inner.variants, meta.variants, strict=True):
                assert [f.name for f in x.fields] == [f.name for f in y.fields]
                assert [f.type.name for f in x.fields] == [f.type.name for f in y.fields]
    record = T.event_record.type_def()
    assert record.path == ("frame_system", "EventRecord")
    assert [f.name for f in record.fields] == ["phase", "event", "topics"]
    assert [(v.name, v.index) for v in PHASE.type_def().variants] == [
        ("ApplyExtrinsic", 0), ("Finalization", 1), ("Initialization", 2)]
