"""Metadata V14/V15 in SCALE (runtime/metadata.py, runtime/support/metadata.py).

V14 is decoded by an outside implementation (scalecodec, the library under py-substrate-interface)
and walked against the runtime's own declarations: pallets, storage (hashers, modifiers, defaults),
calls (indices, argument names and type names, docs), events, errors with their docs, the
extrinsic and its extensions. V15, which scalecodec 1.2 does not read, is decoded with our own
decoder (the same declarations that encode it) and its runtime APIs checked against Runtime.apis.
The registry is checked for dangling ids and duplicate definitions.
"""

from __future__ import annotations

import dataclasses

import pytest
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.api_types import METADATA_APIS
from runtime.construct import Runtime
from runtime.metadata import (
    build,
    metadata_v14,
    metadata_v15,
    metadata_versions,
    owns_errors,
    storage_default,
)
from runtime.support import extrinsic_v4 as xv4
from runtime.support.codec import CodecError, OptionT
from runtime.support.metadata import (
    DefArray,
    DefCompact,
    DefComposite,
    DefSequence,
    DefTuple,
    DefVariant,
    Described,
    MetadataV14,
    MetadataV15,
    MField,
    MVariant,
    TypeRegistry,
    decode_metadata,
    doc_lines,
    encode_metadata,
)
from runtime.support.scale import U8S, BytesS, OptionS, VecS, compact_encode, scale_type_of

EXTENSIONS = [
    "CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
    "CheckWeight", "ChargeTransactionPayment", "CheckMetadataHash",
]


@pytest.fixture(scope="module")
def rt() -> Runtime:
    return Runtime()


@pytest.fixture(scope="module")
def b14(rt: Runtime) -> bytes:
    return metadata_v14(rt)


@pytest.fixture(scope="module")
def b15(rt: Runtime) -> bytes:
    return metadata_v15(rt)


@pytest.fixture(scope="module")
def outside(b14: bytes) -> tuple:
    """scalecodec's decoding of our V14, its registry loaded as py-substrate-interface loads it."""
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(b14))
    md.decode()
    rc.add_portable_registry(md)
    return rc, md, md.value[1]["V14"]


def _types(v: dict) -> dict[int, dict]:
    return {t["id"]: t["type"] for t in v["types"]["types"]}


def _pallet(v: dict, name: str) -> dict:
    return next(p for p in v["pallets"] if p["name"] == name)


def _raw(b: str) -> bytes:
    """scalecodec shows Bytes as 0x-hex, or as text when the bytes are printable UTF-8."""
    return bytes.fromhex(b[2:]) if b.startswith("0x") else b.encode()


# --------------------------------------------------------------------------- V14 through scalecodec


def test_prefix_and_versions(b14: bytes, b15: bytes) -> None:
    assert b14[:5] == b"meta\x0e"
    assert b15[:5] == b"meta\x0f"
    assert metadata_versions() == [14, 15]


def test_pallets_in_index_order(rt: Runtime, outside: tuple) -> None:
    _, md, v = outside
    ours = decode_metadata(metadata_v14(rt))
    assert [(p["name"], p["index"]) for p in v["pallets"]] == [(p.NAME, p.INDEX) for p in rt.pallets]
    assert [p.name for p in md.pallets] == [p.NAME for p in rt.pallets]
    for p, dp in zip(rt.pallets, v["pallets"], strict=True):
        assert (dp["calls"] is None) == (not p.CALLS)
        assert (dp["event"] is None) == (not p.EVENTS)
        assert (dp["error"] is None) == (not owns_errors(p))
        declared = [(n, scale_type_of(ann).encode(value)) for n, ann, value, _doc in getattr(p, "CONSTANTS", ())]
        assert [c["name"] for c in dp["constants"]] == [n for n, _ in declared]  # as the outside library reads them
        mine = next(m for m in ours.pallets if m.name == p.NAME)
        assert [(c.name, c.value) for c in mine.constants] == declared
    assert ("SS58Prefix", (42).to_bytes(2, "little")) in [(c.name, c.value) for c in ours.pallets[0].constants]


def test_storage_entries(rt: Runtime, outside: tuple) -> None:
    rc, _, v = outside
    ours = decode_metadata(metadata_v14(rt))
    checked = 0
    for p, dp, op in zip(rt.pallets, v["pallets"], ours.pallets, strict=True):
        items = list(p.storage_items())
        if not items:
            assert dp["storage"] is None
            continue
        assert dp["storage"]["prefix"] == p.NAME
        assert [e["name"] for e in dp["storage"]["entries"]] == [i.name for i in items]
        for item, e, oe in zip(items, dp["storage"]["entries"], op.storage.entries, strict=True):
            assert item.pallet == p.NAME
            optional = item.default is None and not isinstance(item.value_type, OptionT)
            assert e["modifier"] == ("Optional" if optional else "Default"), item.name
            assert e["documentation"] == list(doc_lines(item.doc))
            if item.kind == "value":
                value_id = e["type"]["Plain"]
            else:
                m = e["type"]["Map"]
                hashers = [item.hasher_name] if item.kind == "map" else [item.hasher1_name, item.hasher2_name]
                assert m["hashers"] == hashers, item.name
                value_id = m["value"]
                key = _types(v)[m["key"]]
                if item.kind == "double_map":
                    assert len(key["def"]["tuple"]) == 2
            # the default: the same bytes both decoders see, decoding to the item's default
            assert _raw(e["default"]) == oe.default
            if not optional:
                assert item.value_scale.decode(oe.default) == item.default, item.name
                rc.create_scale_object(f"scale_info::{value_id}", data=ScaleBytes(oe.default)).decode()
            else:
                assert oe.default == b"\x00"
            checked += 1
    assert checked > 100


def test_calls(rt: Runtime, outside: tuple) -> None:
    _, _, v = outside
    types = _types(v)
    for p in rt.pallets:
        if not p.CALLS:
            continue
        t = types[_pallet(v, p.NAME)["calls"]["ty"]]
        assert t["path"] == [f"pallet_{_snake(p.NAME)}", "pallet", "Call"]
        variants = t["def"]["variant"]["variants"]
        assert [(x["index"], x["name"]) for x in variants] == sorted((c.index, c.name) for c in p.CALLS.values())
        for x in variants:
            c = p.CALLS[x["index"]]
            assert [(f["name"], f["typeName"]) for f in x["fields"]] == [(n, repr(t)) for n, t in c.args]
            assert x["docs"] == list(doc_lines(c.doc))


def test_nested_call_is_the_runtime_call(rt: Runtime, outside: tuple) -> None:
    _, _, v = outside
    types = _types(v)
    sudo = types[_pallet(v, "Sudo")["calls"]["ty"]]["def"]["variant"]["variants"]
    inner = next(f for x in sudo if x["name"] == "sudo" for f in x["fields"] if f["name"] == "inner")
    outer = types[inner["type"]]
    assert outer["path"] == ["taochain_runtime", "RuntimeCall"]
    got = [(x["name"], x["index"]) for x in outer["def"]["variant"]["variants"]]
    assert got == [(p.NAME, p.INDEX) for p in rt.pallets if p.CALLS]
    for x in outer["def"]["variant"]["variants"]:
        assert x["fields"][0]["type"] == _pallet(v, x["name"])["calls"]["ty"]


def test_a_call_encoded_by_scalecodec(rt: Runtime, outside: tuple) -> None:
    rc, md, _ = outside
    dest = bytes(range(32))
    call = rc.create_scale_object("Call", metadata=md)
    data = call.encode({
        "call_module": "Balances", "call_function": "transfer_keep_alive",
        "call_args": {"dest": "0x" + dest.hex(), "value": 10**9},
    })
    cdef = next(c for c in rt.balances.CALLS.values() if c.name == "transfer_keep_alive")
    assert data.data == bytes((rt.balances.INDEX, cdef.index)) + dest + (10**9).to_bytes(8, "little")


def test_a_signed_extrinsic_through_the_declared_extensions(rt: Runtime, outside: tuple) -> None:
    """scalecodec builds a v4 signed extrinsic from our extension list: Substrate's layout."""
    rc, md, _ = outside
    signer, sig, dest = b"\xd4" * 32, b"\x11" * 64, b"\x22" * 32
    ext = rc.create_scale_object("Extrinsic", metadata=md)
    data = ext.encode({
        "account_id": "0x" + signer.hex(), "signature_version": 1, "signature": "0x" + sig.hex(),
        "call_function": "transfer_keep_alive", "call_module": "Balances",
        "call_args": {"dest": "0x" + dest.hex(), "value": 5}, "era": "00", "nonce": 3, "tip": 0, "mode": "Disabled",
    }).data
    cdef = next(c for c in rt.balances.CALLS.values() if c.name == "transfer_keep_alive")
    body = (
        b"\x84" + b"\x00" + signer + b"\x01" + sig  # v4 signed, MultiAddress::Id, MultiSignature::Sr25519
        + b"\x00" + b"\x0c" + b"\x00" + b"\x00"  # era Immortal, Compact nonce 3, Compact tip 0, mode Disabled
        + bytes((rt.balances.INDEX, cdef.index)) + dest + (5).to_bytes(8, "little")
    )
    assert data == compact_encode(len(body)) + body
    # the extrinsic format's own encoder (one extension list for both) gives the same bytes
    ours = xv4.encode_signed(
        xv4.MultiAddress(xv4.AddressKind.ID, signer), xv4.MultiSignature("sr25519", sig),
        {"CheckMortality": xv4.IMMORTAL, "CheckNonce": 3, "ChargeTransactionPayment": 0,
         "CheckMetadataHash": xv4.MetadataHashMode.DISABLED},
        body[-(2 + 32 + 8):],
    )
    assert ours == data
    back = rc.create_scale_object("Extrinsic", data=ScaleBytes(data), metadata=md).decode()
    assert back["nonce"] == 3 and back["call"]["call_module"] == "Balances"


def test_events(rt: Runtime, outside: tuple) -> None:
    _, _, v = outside
    types = _types(v)
    for p in rt.pallets:
        if not p.EVENTS:
            continue
        variants = types[_pallet(v, p.NAME)["event"]["ty"]]["def"]["variant"]["variants"]
        assert [(x["index"], x["name"]) for x in variants] == [(i, ev.__name__) for i, ev in enumerate(p.EVENTS)]
        for x, ev in zip(variants, p.EVENTS, strict=True):
            assert [f["name"] for f in x["fields"]] == [f.name.rstrip("_") for f in dataclasses.fields(ev)]  # from_ is Rust's from


def test_errors_with_docs(rt: Runtime, outside: tuple) -> None:
    _, md, v = outside
    types = _types(v)
    for p in rt.pallets:
        if not owns_errors(p):
            continue
        variants = types[_pallet(v, p.NAME)["error"]["ty"]]["def"]["variant"]["variants"]
        assert [(x["index"], x["name"], x["docs"]) for x in variants] == [
            (int(e), e.name, [s for s in (e.cause, e.fix) if s]) for e in p.Error
        ]
    err = rt.balances.Error(0)
    got = md.get_module_error(rt.balances.INDEX, int(err))
    assert got.name == err.name


def test_extrinsic_and_extensions(outside: tuple) -> None:
    _, md, v = outside
    types = _types(v)
    ex = v["extrinsic"]
    assert ex["version"] == 4
    assert [e["identifier"] for e in ex["signed_extensions"]] == EXTENSIONS
    assert list(md.get_signed_extensions()) == EXTENSIONS
    t = types[ex["ty"]]
    assert t["path"] == ["sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"]
    params = {p["name"]: types[p["type"]] for p in t["params"]}
    assert params["Address"]["path"] == ["sp_runtime", "multiaddress", "MultiAddress"]
    assert params["Call"]["path"] == ["taochain_runtime", "RuntimeCall"]
    assert params["Signature"]["path"] == ["sp_runtime", "MultiSignature"]
    assert len(params["Extra"]["def"]["tuple"]) == len(EXTENSIONS)
    by = {e["identifier"]: e for e in ex["signed_extensions"]}
    assert types[by["CheckSpecVersion"]["additional_signed"]]["def"] == {"primitive": "u32"}
    assert types[by["CheckGenesis"]["additional_signed"]]["path"] == ["primitive_types", "H256"]
    era = types[types[by["CheckMortality"]["ty"]]["def"]["composite"]["fields"][0]["type"]]
    assert era["path"] == ["sp_runtime", "generic", "era", "Era"]
    assert len(era["def"]["variant"]["variants"]) == 256
    nonce = types[types[by["CheckNonce"]["ty"]]["def"]["composite"]["fields"][0]["type"]]
    assert "compact" in nonce["def"]
    assert types[v["runtime_type"]]["path"] == ["taochain_runtime", "Runtime"]


# --------------------------------------------------------------------------- the registry, both versions


def _ids_in(td: object) -> list[int]:
    if isinstance(td, DefComposite):
        return [f.type for f in td.fields]
    if isinstance(td, DefVariant):
        return [f.type for x in td.variants for f in x.fields]
    if isinstance(td, DefSequence | DefCompact | DefArray):
        return [td.type_param]
    if isinstance(td, DefTuple):
        return list(td.fields)
    return []


@pytest.mark.parametrize("version", [14, 15])
def test_every_id_resolves_and_no_duplicates(rt: Runtime, version: int) -> None:
    md = decode_metadata(metadata_v14(rt) if version == 14 else metadata_v15(rt))
    n = len(md.types)
    assert [t.id for t in md.types] == list(range(n))
    refs = []
    for t in md.types:
        refs += _ids_in(t.type_def) + [p.type for p in t.params if p.type is not None]
    for p in md.pallets:
        for ref in (p.calls, p.event, p.error):
            if ref is not None:
                refs.append(ref.ty)
        for e in p.storage.entries if p.storage else ():
            refs += [e.type.value] + ([e.type.key] if hasattr(e.type, "key") else [])
    refs += [e.ty for e in md.extrinsic.signed_extensions] + [e.additional_signed for e in md.extrinsic.signed_extensions]
    refs.append(md.ty)
    if isinstance(md, MetadataV15):
        x = md.extrinsic
        refs += [x.address_ty, x.call_ty, x.signature_ty, x.extra_ty]
        refs += [m.output for a in md.apis for m in a.methods] + [i.ty for a in md.apis for m in a.methods for i in m.inputs]
        refs += [md.outer_enums.call_enum_ty, md.outer_enums.event_enum_ty, md.outer_enums.error_enum_ty]
    assert refs and all(0 <= r < n for r in refs)
    defs = [(t.path, t.params, t.type_def) for t in md.types]
    assert len(set(map(repr, defs))) == n  # no type is defined twice
    named = [t.path for t in md.types if t.path and t.path != ("Option",)]
    assert len(set(named)) == len(named)


def test_v15_own_decoder(rt: Runtime, b15: bytes) -> None:
    md = decode_metadata(b15)
    assert isinstance(md, MetadataV15)
    assert encode_metadata(md) == b15
    assert [(p.name, p.index) for p in md.pallets] == [(p.NAME, p.INDEX) for p in rt.pallets]
    # the same pallets, storage, calls and registry shape as V14 (V15 adds docs and APIs)
    v14 = decode_metadata(metadata_v14(rt))
    assert isinstance(v14, MetadataV14)
    for a, b in zip(v14.pallets, md.pallets, strict=True):
        assert (a.storage is None) == (b.storage is None)
        if a.storage:
            assert [e.name for e in a.storage.entries] == [e.name for e in b.storage.entries]
            assert [e.default for e in a.storage.entries] == [e.default for e in b.storage.entries]
    assert [e.identifier for e in md.extrinsic.signed_extensions] == EXTENSIONS
    types = md.types
    assert types[md.extrinsic.address_ty].path == ("sp_runtime", "multiaddress", "MultiAddress")
    assert types[md.extrinsic.call_ty].path == ("taochain_runtime", "RuntimeCall")
    assert types[md.extrinsic.signature_ty].path == ("sp_runtime", "MultiSignature")
    assert len(types[md.extrinsic.extra_ty].type_def.fields) == len(EXTENSIONS)


def test_v15_runtime_apis_equal_the_runtime_table(rt: Runtime, b15: bytes) -> None:
    md = decode_metadata(b15)
    grouped: dict[str, list] = {}
    for api, _ in rt.apis.values():
        grouped.setdefault(api.api, []).append(api)
    served = {f"{a}_{m}" for a, m, *_ in METADATA_APIS}  # served by state_call beside the pallets' views
    assert [a.name for a in md.apis if a.name not in {n for n, *_ in METADATA_APIS}] == list(grouped)
    flat = [f"{a.name}_{m.name}" for a in md.apis for m in a.methods]
    assert sorted(flat) == sorted([*rt.apis, *served])
    types = md.types
    pay = next(a for a in md.apis if a.name == "TransactionPaymentApi")
    info = types[pay.methods[0].output]
    assert info.path[-1] == "RuntimeDispatchInfo"
    assert [f.name for f in info.type_def.fields] == ["weight", "class", "partial_fee"]
    assert [i.name for i in pay.methods[0].inputs] == ["uxt", "len"]
    for a in (a for a in md.apis if a.name in grouped):
        for m, api in zip(a.methods, grouped[a.name], strict=True):
            assert m.name == api.method
            assert [i.name for i in m.inputs] == [n for n, _ in api.params]
            assert m.docs == doc_lines(api.doc)
    nonce = next(m for a in md.apis if a.name == "AccountNonceApi" for m in a.methods)
    assert types[nonce.output].type_def.primitive.name == "u32"  # the declared width
    assert types[nonce.inputs[0].ty].path == ("sp_core", "crypto", "AccountId32")
    info = next(m for a in md.apis if a.name == "SubnetInfoRuntimeApi" for m in a.methods if m.name == "get_subnet_info")
    opt = types[info.output]
    assert opt.path == ("Option",)
    rec = types[opt.params[0].type]
    assert rec.path[-1] == "SubnetInfo"
    assert [f.name for f in rec.type_def.fields][:2] == ["netuid", "owner"]


def test_v15_outer_enums(rt: Runtime, b15: bytes) -> None:
    md = decode_metadata(b15)
    types = md.types
    oe = md.outer_enums
    for ty, present, ref in (
        (oe.call_enum_ty, lambda p: bool(p.CALLS), "calls"),
        (oe.event_enum_ty, lambda p: bool(p.EVENTS), "event"),
        (oe.error_enum_ty, owns_errors, "error"),
    ):
        variants = types[ty].type_def.variants
        assert [(x.name, x.index) for x in variants] == [(p.NAME, p.INDEX) for p in rt.pallets if present(p)]
        by = {p.name: p for p in md.pallets}
        for x in variants:
            assert x.fields[0].type == getattr(by[x.name], ref).ty
    assert md.custom == ()


def test_deterministic_and_cached(rt: Runtime, b14: bytes, b15: bytes) -> None:
    assert metadata_v14(rt) is b14 and metadata_v15(rt) is b15  # computed once per runtime
    other = Runtime()
    assert metadata_v14(other) == b14 and metadata_v15(other) == b15
    assert encode_metadata(build(rt, 14)) == b14
    with pytest.raises(ValueError):
        build(rt, 13)


def test_storage_default_modifier(rt: Runtime) -> None:
    seen = {storage_default(i)[0].name for p in rt.pallets for i in p.storage_items()}
    assert "Default" in seen


# --------------------------------------------------------------------------- the generic parts


def test_registry_dedupes_by_structure() -> None:
    reg = TypeRegistry()
    a, b = BytesS(10), BytesS(20)
    assert reg.id_of(a) == reg.id_of(b)
    assert reg.id_of(OptionS(U8S)) == reg.id_of(OptionS(U8S))
    assert reg.id_of(VecS(U8S)) == reg.id_of(a)
    assert len(reg.types()) == 3  # u8, Vec<u8>, Option<u8>


def test_registry_recursion_and_conflicts() -> None:
    reg = TypeRegistry()
    node = Described("variant", ("x", "Node"))
    node.variants = (MVariant("Leaf", 0), MVariant("Branch", 1, (MField(None, VecS(node), "Vec<Node>"),)))
    tid = reg.id_of(node)
    types = reg.types()
    seq = types[types[tid].type_def.variants[1].fields[0].type]
    assert seq.type_def == DefSequence(tid)
    twin = Described("variant", ("x", "Node"), variants=[MVariant("Leaf", 0)])
    with pytest.raises(TypeError):
        reg.id_of(twin)
    same = Described("variant", ("x", "Node"), variants=node.variants)
    assert reg.id_of(same) == tid


@pytest.mark.parametrize("bad", [b"", b"metX\x0e", b"meta\x0d", b"meta\x0e", b"junk\x0f\x00"])
def test_decode_refuses(bad: bytes) -> None:
    with pytest.raises(CodecError):
        decode_metadata(bad)


def test_decode_refuses_trailing_bytes(b15: bytes) -> None:
    with pytest.raises(CodecError):
        decode_metadata(b15 + b"\x00")
    with pytest.raises(CodecError):
        decode_metadata(b15[:-1])


def _snake(name: str) -> str:
    from runtime.metadata import snake

    return snake(name)


def test_snake() -> None:
    assert _snake("SubtensorModule") == "subtensor_module"
    assert _snake("System") == "system"
