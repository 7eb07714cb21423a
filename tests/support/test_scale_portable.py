"""The metadata-driven SCALE codec (runtime/support/scale_portable.py) against the chain's own types.

Every call of every pallet is composed from values built generically from the registry and must
give the bytes the runtime's own RuntimeCall codec gives (runtime/scale_types.py) and decode back;
hypothesis draws random arguments for every call too. Events encoded by the runtime decode to the
same fields; storage keys equal an independent computation (and scalecodec's); decoding agrees
with scalecodec 1.2.11 reading the same metadata; garbage input is a CodecError and nothing else.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.construct import Runtime
from runtime.metadata import _Builder, metadata_v14, metadata_v15
from runtime.scale_types import decode_call, encode_call, encode_events
from runtime.support import hashing
from runtime.support import scale as S
from runtime.support.codec import CodecError, OptionT
from runtime.support.dispatch import Call, EventRecord
from runtime.support.keys import ss58_encode
from runtime.support.metadata import (
    DefArray,
    DefCompact,
    DefComposite,
    DefPrimitive,
    DefSequence,
    DefTuple,
    Described,
    EntryMap,
    MField,
    PalletConstant,
    Primitive,
    decode_metadata,
)
from runtime.support.scale_outer import H256, PHASE
from runtime.support.scale_portable import PortableCodec
from tests.test_events_scale import _as_scalecodec, _event_fields, _sample_calls

sys.path.insert(0, str(Path(__file__).parent.parent / "vectors"))
from generate import sample_obj  # noqa: E402

_RT = Runtime()
_PC = PortableCodec(metadata_v14(_RT))
ALL_CALLS = [(p.NAME, c.name) for p in _RT.pallets for c in p.CALLS.values()]


@pytest.fixture(scope="module")
def rt() -> Runtime:
    return _RT


@pytest.fixture(scope="module")
def pc() -> PortableCodec:
    return _PC


def _with_events(rt: Runtime) -> tuple[bytes, int]:
    """V14 whose System.Events is declared Vec<frame_system::EventRecord> (as the chain declares
    it once its events are SCALE), and that type's id."""
    b = _Builder(rt)
    record = Described("composite", ("frame_system", "EventRecord"), fields=(
        MField("phase", PHASE, "Phase"), MField("event", b.runtime_event, "RuntimeEvent"),
        MField("topics", S.VecS(H256, 1024), "Vec<T::Hash>"),
    ))
    vec_id = b.reg.id_of(S.VecS(record))
    md = b.v14()
    pallets = []
    for p in md.pallets:
        if p.name == "System":
            entries = tuple(
                dataclasses.replace(e, type=dataclasses.replace(e.type, value=vec_id)) if e.name == "Events" else e
                for e in p.storage.entries
            )
            p = dataclasses.replace(p, storage=dataclasses.replace(p.storage, entries=entries))
        pallets.append(p)
    from runtime.support.metadata import encode_metadata  # noqa: PLC0415

    return encode_metadata(dataclasses.replace(md, pallets=tuple(pallets))), vec_id


@pytest.fixture(scope="module")
def events_md(rt: Runtime) -> tuple[bytes, int]:
    return _with_events(rt)


@pytest.fixture(scope="module")
def outside(events_md: tuple[bytes, int]) -> tuple:
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(events_md[0]))
    md.decode()
    rc.add_portable_registry(md)
    return rc, md


# --------------------------------------------------------------------------- values from the registry


def minimal(pc: PortableCodec, tid: int, nested: Any, seed: int = 0) -> Any:
    """A small valid value of type `tid` (`seed` varies integers); the call type gets `nested`."""
    if tid == pc.call_type:
        return nested
    t = pc.type_of(tid)
    d = t.type_def
    if isinstance(d, DefPrimitive):
        if d.primitive == Primitive.bool:
            return bool(seed & 1)
        if d.primitive == Primitive.str:
            return "tao" * (seed % 3)
        if d.primitive == Primitive.char:
            return "t"
        return seed % (1 << 8)
    if isinstance(d, DefCompact):
        return seed * 1000
    if isinstance(d, DefSequence):
        if pc._is_u8(d.type_param):
            return bytes(range(seed % 5))
        return [minimal(pc, d.type_param, nested, seed + i) for i in range(seed % 3)]
    if isinstance(d, DefArray):
        if pc._is_u8(d.type_param):
            return bytes((seed + i) % 256 for i in range(d.len))
        return [minimal(pc, d.type_param, nested, seed) for _ in range(d.len)]
    if isinstance(d, DefTuple):
        return tuple(minimal(pc, f, nested, seed) for f in d.fields)
    if isinstance(d, DefComposite):
        return _fields(pc, d.fields, nested, seed)
    if t.path == ("Option",):
        return None if seed % 2 == 0 else _fields(pc, d.variants[1].fields, nested, seed)
    if t.path == ("OptionBool",):
        return (None, True, False)[seed % 3]
    var = d.variants[seed % len(d.variants)]
    return var.name if not var.fields else {var.name: _fields(pc, var.fields, nested, seed)}


def _fields(pc: PortableCodec, fields: Any, nested: bytes, seed: int) -> Any:
    vals = [minimal(pc, f.type, nested, seed) for f in fields]
    if not fields:
        return None
    if all(f.name for f in fields):
        return {f.name: v for f, v in zip(fields, vals, strict=True)}
    return vals[0] if len(fields) == 1 else tuple(vals)


_BITS = {Primitive.u8: 8, Primitive.u16: 16, Primitive.u32: 32, Primitive.u64: 64, Primitive.u128: 128}


def strategy(pc: PortableCodec, tid: int, nested: Any) -> st.SearchStrategy:
    """Random valid values of type `tid` (short sequences: the runtime bounds some lengths)."""
    if tid == pc.call_type:
        return st.just(nested)
    t = pc.type_of(tid)
    d = t.type_def
    if isinstance(d, DefPrimitive):
        if d.primitive == Primitive.bool:
            return st.booleans()
        if d.primitive == Primitive.str:
            return st.text(max_size=8)
        return st.integers(0, (1 << _BITS[d.primitive]) - 1)
    if isinstance(d, DefCompact):
        return st.integers(0, (1 << pc._compact_bits(d.type_param)) - 1)
    if isinstance(d, DefSequence):
        if pc._is_u8(d.type_param):
            return st.binary(max_size=16)
        return st.lists(strategy(pc, d.type_param, nested), max_size=4)
    if isinstance(d, DefArray):
        if pc._is_u8(d.type_param):
            return st.binary(min_size=d.len, max_size=d.len)
        return st.lists(strategy(pc, d.type_param, nested), min_size=d.len, max_size=d.len)
    if isinstance(d, DefTuple):
        return st.tuples(*(strategy(pc, f, nested) for f in d.fields))
    if isinstance(d, DefComposite):
        return _fields_strategy(pc, d.fields, nested)
    if t.path == ("Option",):
        return st.none() | _fields_strategy(pc, d.variants[1].fields, nested)
    if t.path == ("OptionBool",):
        return st.sampled_from([None, True, False])
    return st.one_of(*(
        st.just(v.name) if not v.fields else _fields_strategy(pc, v.fields, nested).map(lambda x, n=v.name: {n: x})
        for v in d.variants
    ))


def _fields_strategy(pc: PortableCodec, fields: Any, nested: bytes) -> st.SearchStrategy:
    parts = [strategy(pc, f.type, nested) for f in fields]
    if not fields:
        return st.none()
    if all(f.name for f in fields):
        return st.fixed_dictionaries({f.name: s for f, s in zip(fields, parts, strict=True)})
    return parts[0] if len(fields) == 1 else st.tuples(*parts)


def call_args(pc: PortableCodec, pallet: str, name: str, nested: bytes, seed: int) -> dict:
    _, var = pc.call_variant(pallet, name)
    return {f.name: minimal(pc, f.type, nested, seed) for f in var.fields}


# --------------------------------------------------------------------------- calls


def test_every_call_equals_the_runtime_codec(rt: Runtime, pc: PortableCodec) -> None:
    """Every call of every pallet, with registry-built arguments (two seeds): our bytes are the
    runtime's RuntimeCall bytes of the same call, and both decode back to the same arguments."""
    raw = pc.call("Balances", "transfer_keep_alive", b"\x01" * 32, 5)
    assert raw == encode_call(rt, rt.call("Balances", "transfer_keep_alive", b"\x01" * 32, 5))
    nested = pc.decode(pc.call_type, raw)  # a nested call in the form decoding gives
    n = 0
    for pallet, name in ALL_CALLS:
        for seed in (0, 1):
            args = call_args(pc, pallet, name, nested, seed)
            data = pc.call(pallet, name, args)
            theirs = decode_call(rt, data)  # the runtime reads our bytes as this call ...
            assert (rt.by_index[theirs.pallet].NAME, theirs.declaration().name) == (pallet, name)
            assert encode_call(rt, theirs) == data  # ... and writes the same bytes back
            assert pc.decode_call(data) == (pallet, name, _norm(args))
            assert pc.call(pallet, name, *args.values()) == data == pc.call(pallet, name, **args)
            n += 1
    assert n == 2 * len(ALL_CALLS) > 100


def test_runtime_calls_decode_and_re_encode(rt: Runtime, pc: PortableCodec) -> None:
    """The other way: the runtime's own sample calls decode with the metadata codec to the same
    arguments (its Python forms mapped) and re-encode to the same bytes."""
    for call in _sample_calls(rt):
        data = encode_call(rt, call)
        pallet, name, args = pc.decode_call(data)
        assert pc.call(pallet, name, args) == data
        cdef = call.declaration()
        assert list(args) == [n for n, _ in cdef.args]
        types = [S.scale_type_of(t) if t.name != "RuntimeCall" else None for _, t in cdef.args]
        for (n, _), t, v in zip(cdef.args, types, call.args, strict=True):
            if isinstance(v, Call):
                assert pc.decode_call(encode_call(rt, v)) == _nested_triple(args[n]), name
            else:
                assert as_scalecodec(args[n]) == _as_scalecodec(t, v), (name, n)


def _nested_triple(v: dict) -> tuple:
    ((pallet, inner),) = v.items()
    ((name, args),) = inner.items()
    return pallet, name, args


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
@pytest.mark.parametrize(("pallet", "name"), ALL_CALLS[::7])
def test_random_arguments_agree_with_the_runtime(data: st.DataObject, pallet: str, name: str) -> None:
    pc, rt = _PC, _RT
    nested = pc.decode(pc.call_type, pc.call("Balances", "transfer_allow_death", b"\x02" * 32, 7))
    _, var = pc.call_variant(pallet, name)
    args = data.draw(st.fixed_dictionaries({f.name: strategy(pc, f.type, nested) for f in var.fields}))
    raw = pc.call(pallet, name, args)
    try:
        theirs = decode_call(rt, raw)
    except CodecError:
        return  # the runtime's own bounds (string and list lengths) are tighter than SCALE's
    assert encode_call(rt, theirs) == raw
    assert pc.decode_call(raw) == (pallet, name, _norm(args))


def _norm(v: Any) -> Any:
    """A value as decoding gives it (hex and SS58 as bytes, lists kept as lists)."""
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(_norm(x) for x in v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def test_call_argument_errors_name_the_argument(pc: PortableCodec) -> None:
    with pytest.raises(ValueError, match=r"Balances.transfer_keep_alive\(dest, value\): missing argument value"):
        pc.call("Balances", "transfer_keep_alive", b"\x01" * 32)
    with pytest.raises(ValueError, match="has no argument 'amount'"):
        pc.call("Balances", "transfer_keep_alive", dest=b"\x01" * 32, value=1, amount=2)
    with pytest.raises(ValueError, match="takes 2 arguments, got 3"):
        pc.call("Balances", "transfer_keep_alive", b"\x01" * 32, 1, 2)
    with pytest.raises(ValueError, match=r"argument value .*does not fit u64"):
        pc.call("Balances", "transfer_keep_alive", b"\x01" * 32, 1 << 64)
    with pytest.raises(ValueError, match=r"argument dest .*expected 32 bytes, got 3"):
        pc.call("Balances", "transfer_keep_alive", b"abc", 1)
    with pytest.raises(ValueError, match=r"argument dest .*not an SS58 address"):
        pc.call("Balances", "transfer_keep_alive", "5Nope", 1)
    with pytest.raises(ValueError, match="has no call 'teleport'"):
        pc.call("Balances", "teleport")
    with pytest.raises(ValueError, match="no pallet 'Nope'"):
        pc.call("Nope", "x")
    with pytest.raises(ValueError, match=r"argument inner .*unknown variant index|argument inner"):
        pc.call("Sudo", "sudo", b"\xff\x00")


def test_account_forms_and_nested_call_forms(rt: Runtime, pc: PortableCodec) -> None:
    acct = bytes(range(32))
    by_bytes = pc.call("Balances", "transfer_keep_alive", acct, 9)
    assert pc.call("Balances", "transfer_keep_alive", ss58_encode(acct), 9) == by_bytes
    assert pc.call("Balances", "transfer_keep_alive", "0x" + acct.hex(), 9) == by_bytes
    assert pc.call("Balances", "transfer_keep_alive", list(acct), 9) == by_bytes
    sudo = pc.call("Sudo", "sudo", by_bytes)
    assert sudo == pc.call("Sudo", "sudo", ("Balances", "transfer_keep_alive", (acct, 9)))
    assert sudo == pc.call("Sudo", "sudo", ("Balances", "transfer_keep_alive", {"dest": acct, "value": 9}))
    assert sudo == pc.call("Sudo", "sudo", {"Balances": {"transfer_keep_alive": {"dest": acct, "value": 9}}})
    assert sudo == encode_call(rt, rt.call("Sudo", "sudo", rt.call("Balances", "transfer_keep_alive", acct, 9)))


# --------------------------------------------------------------------------- events


def test_events_decode_to_the_runtime_fields(rt: Runtime, events_md: tuple[bytes, int], outside: tuple) -> None:
    pc = PortableCodec(events_md[0])
    evs = [sample_obj(cls) for p in rt.pallets for cls in p.EVENTS]
    phases = [None] + [i // 5 for i in range(len(evs) - 2)] + [None]
    records = [EventRecord(ph, *rt.event_id(type(e)), e) for ph, e in zip(phases, evs, strict=True)]
    data = encode_events(rt, records)
    got = pc.decode_events(data)
    assert len(got) == len(records)
    for g, r in zip(got, records, strict=True):
        assert f"{g['pallet']}.{g['name']}" == r.name
        assert as_scalecodec(g["fields"]) == _event_fields(r.fields), r.name
        assert g["topics"] == []
    assert [g["phase"] for g in got] == (
        ["Initialization"] + [{"ApplyExtrinsic": ph} for ph in phases[1:-1]] + ["Finalization"])
    # the same bytes through scalecodec, reading the same metadata
    rc, md = outside
    theirs = rc.create_scale_object(f"scale_info::{events_md[1]}", data=ScaleBytes(data), metadata=md).decode()
    for g, t in zip(got, theirs, strict=True):
        assert (g["pallet"], g["name"]) == (t["module_id"], t["event_id"])
        assert as_scalecodec(g["fields"]) == (t["attributes"] or {})
    # an encoding of our own decodes the same
    assert pc.decode_events(pc.encode(events_md[1], pc.decode(events_md[1], data))) == got


def test_decode_events_needs_the_event_record_type(pc: PortableCodec, events_md: tuple[bytes, int]) -> None:
    assert PortableCodec(events_md[0]).decode_events(b"\x00") == []
    d = pc.type_of(pc.storage_entry("System", "Events").type.value).type_def
    if not (isinstance(d, DefSequence) and pc.type_of(d.type_param).path[-1:] == ("EventRecord",)):
        with pytest.raises(CodecError, match="not Vec<EventRecord>"):  # today's chain: opaque bytes
            pc.decode_events(b"\x00")


def as_scalecodec(v: Any) -> Any:
    """Our decoded value as scalecodec 1.2 shows the same bytes."""
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, dict):
        return {k: as_scalecodec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_scalecodec(x) for x in v]
    if isinstance(v, tuple):
        return tuple(as_scalecodec(x) for x in v)
    return v


# --------------------------------------------------------------------------- storage


def _local_key(item: Any, *keys: Any) -> bytes:
    """An independent storage key: the item's declared hashers over the keys' SCALE bytes."""
    fns = {"Blake2_128Concat": hashing.blake2_128_concat, "Twox64Concat": hashing.twox64_concat,
           "Identity": hashing.identity, "Blake2_128": hashing.blake2_128, "Twox128": hashing.twox128}
    out = hashing.twox128(item.pallet.encode()) + hashing.twox128(item.name.encode())
    if item.kind == "map":
        return out + fns[item.hasher_name](S.scale_type_of(item.key_type).encode(keys[0]))
    k1 = fns[item.hasher1_name](S.scale_type_of(item.key1_type).encode(keys[0]))
    return out + k1 + fns[item.hasher2_name](S.scale_type_of(item.key2_type).encode(keys[1]))


def test_storage_keys(rt: Runtime, pc: PortableCodec, outside: tuple) -> None:
    rc, md = outside
    acct = bytes(range(32))
    assert pc.storage_key("System", "Account", acct).hex() == (
        "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
        + hashing.blake2_128(acct).hex() + acct.hex())
    assert pc.storage_key("System", "Account", ss58_encode(acct)) == pc.storage_key("System", "Account", acct)
    checked = 0
    for p in rt.pallets:
        for item in p.storage_items():
            if item.kind == "value":
                assert pc.storage_key(p.NAME, item.name) == hashing.storage_prefix(p.NAME, item.name)
                continue
            e = pc.storage_entry(p.NAME, item.name)
            assert isinstance(e.type, EntryMap)
            ktypes = [e.type.key] if len(e.type.hashers) == 1 else list(pc.type_of(e.type.key).type_def.fields)
            keys = [minimal(pc, k, b"", 3) for k in ktypes]
            ours = pc.storage_key(p.NAME, item.name, *keys)
            runtime_keys = [pc.decode(k, pc.encode(k, x)) for k, x in zip(ktypes, keys, strict=True)]
            assert ours == _local_key(item, *runtime_keys), item.name
            # the prefix of a double map under its first key
            if len(keys) == 2:
                assert ours.startswith(pc.storage_key(p.NAME, item.name, keys[0]))
            checked += 1
    assert checked > 40
    # scalecodec's storage key for a map and a double map
    for pallet, name, params in (("System", "Account", ["0x" + acct.hex()]),
                                 ("SubtensorModule", "Axons", [3, "0x" + acct.hex()])):
        theirs = _scalecodec_key(rc, md, pallet, name, params)
        assert pc.storage_key(pallet, name, *(bytes.fromhex(x[2:]) if isinstance(x, str) else x for x in params)) \
            == theirs, name
    with pytest.raises(ValueError, match="takes 1 keys, got 2"):
        pc.storage_key("System", "Account", acct, acct)
    with pytest.raises(ValueError, match="plain value"):
        pc.storage_key("System", "Number", 1)


def _scalecodec_key(rc: Any, md: Any, pallet: str, name: str, params: list) -> bytes:
    """The key from scalecodec 1.2's reading of the entry: its key types and hashers, its encoding
    of each key (the hash functions themselves are Substrate's, from hashing.py)."""
    fns = {"Blake2_128Concat": hashing.blake2_128_concat, "Twox64Concat": hashing.twox64_concat,
           "Identity": hashing.identity}
    entry = md.get_metadata_pallet(pallet).get_storage_function(name)
    out = hashing.twox128(pallet.encode()) + hashing.twox128(name.encode())
    for h, kt, p in zip(entry.get_param_hashers(), entry.get_params_type_string(), params, strict=True):
        out += fns[h](rc.create_scale_object(kt, metadata=md).encode(p).data)
    return out


def test_storage_values_and_defaults(rt: Runtime, events_md: tuple[bytes, int], outside: tuple) -> None:
    rc, md = outside
    pc = PortableCodec(events_md[0])  # the metadata scalecodec reads here
    n = 0
    for p in rt.pallets:
        for item in p.storage_items():
            if (p.NAME, item.name) == ("System", "Events"):
                continue  # declared here as Vec<EventRecord> (test_events_decode_to_the_runtime_fields)
            got = pc.decode_storage(p.NAME, item.name, None)
            st_ = S.scale_type_of(item.value_type)
            if item.default is None and not isinstance(item.value_type, OptionT):
                assert got is None, item.name
                continue
            assert as_scalecodec(got) == _as_scalecodec(st_, item.default), item.name
            raw = st_.encode(item.default)
            assert pc.decode_storage(p.NAME, item.name, raw) == got
            e = pc.storage_entry(p.NAME, item.name)
            assert pc.encode(e.type.value, got) == raw
            theirs = rc.create_scale_object(f"scale_info::{e.type.value}", data=ScaleBytes(raw)).decode()
            assert as_scalecodec(got) == theirs, item.name
            n += 1
    assert n > 50


def test_errors_and_constants(rt: Runtime, pc: PortableCodec) -> None:
    from runtime.metadata import owns_errors  # noqa: PLC0415

    for p in rt.pallets:
        if not owns_errors(p):
            continue
        for e in p.Error:
            pallet, name, docs = pc.error(p.INDEX, bytes((int(e), 0, 0, 0)))
            assert (pallet, name) == (p.NAME, e.name)
            assert docs == "\n".join(x for x in (e.cause, e.fix) if x)
            assert pc.error(p.INDEX, int(e))[1] == e.name
    with pytest.raises(ValueError, match="no pallet with index 250"):
        pc.error(250, b"\x00")
    # a constant (no pallet declares one yet): a u64 added to Balances' metadata
    md = decode_metadata(metadata_v14(rt))
    u64 = next(t.id for t in md.types if t.type_def == DefPrimitive(Primitive.u64))
    pallets = tuple(
        dataclasses.replace(p, constants=(PalletConstant("ExistentialDeposit", u64, (500).to_bytes(8, "little")),))
        if p.name == "Balances" else p for p in md.pallets)
    pc2 = PortableCodec(dataclasses.replace(md, pallets=pallets))
    assert pc2.constant("Balances", "ExistentialDeposit") == 500
    with pytest.raises(ValueError, match="no constant"):
        pc2.constant("Balances", "Nope")


def test_v15_reads_the_same(rt: Runtime, pc: PortableCodec) -> None:
    v15 = PortableCodec(metadata_v15(rt))
    args = call_args(pc, "SubtensorModule", "set_weights", b"", 1)
    assert v15.call("SubtensorModule", "set_weights", args) == pc.call("SubtensorModule", "set_weights", args)
    assert v15.storage_key("System", "Account", b"\x01" * 32) == pc.storage_key("System", "Account", b"\x01" * 32)


# --------------------------------------------------------------------------- strictness

_IDS = sorted(_PC.types)


@settings(max_examples=300, deadline=None)
@given(tid=st.sampled_from(_IDS), data=st.binary(max_size=64))
def test_garbage_is_a_codec_error(tid: int, data: bytes) -> None:
    try:
        v = _PC.decode(tid, data)
    except CodecError:
        return
    assert _PC.encode(tid, v) == data  # what decodes re-encodes to the same bytes (one encoding each)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=96))
def test_garbage_calls(data: bytes) -> None:
    try:
        pallet, name, args = _PC.decode_call(data)
    except CodecError:
        return
    assert _PC.call(pallet, name, args) == data


def test_bounds() -> None:
    pc = _PC
    vec_u8 = next(t.id for t in pc.metadata.types if t.type_def == DefSequence(
        next(u.id for u in pc.metadata.types if u.type_def == DefPrimitive(Primitive.u8))))
    with pytest.raises(CodecError, match="cannot fit|over the limit"):
        pc.decode(vec_u8, S.compact_encode(1 << 29) + b"\x00")
    with pytest.raises(CodecError, match="trailing"):
        pc.decode(vec_u8, b"\x04ab")
    with pytest.raises(CodecError):
        pc.decode(pc.call_type, bytes([_PC.pallet("Sudo").index, 0]) * 5000)  # nested sudo calls past the depth limit
    with pytest.raises(CodecError, match="not in the registry"):
        pc.decode(10**6, b"")
    with pytest.raises(CodecError):
        pc.decode(vec_u8, "0x00")  # type: ignore[arg-type]
