"""The chain's state is SCALE as Metadata V14 declares it, checked with an outside decoder.

scalecodec (py-scale-codec, the library under py-substrate-interface), driven by our V14
metadata, decodes the raw bytes a client gets from `state_getStorage`: System.Account of Alice on
a dev chain (Substrate's AccountInfo), a subtensor map value, System.Events of a block with a
failed call (Vec<EventRecord>, the DispatchError a Module error). Every storage item of the
runtime stores a sample value that scalecodec decodes with the item's declared type id to the
same value, and encodes a sample key to the bytes our storage key ends with. Keys recovered from
full storage keys decode strictly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ALICE, BOB, TAO, ChainBuilder
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset
from test_events_scale import _as_scalecodec

from runtime.construct import Runtime
from runtime.metadata import metadata_v14
from runtime.support.codec import CodecError
from runtime.support.hashing import blake2_128_concat, storage_prefix
from runtime.support.scale import EncodedS
from runtime.support.storage import HASH_PREFIX, MemoryBackend, Overlay

sys.path.insert(0, str(Path(__file__).parent / "vectors"))
from generate import sample  # noqa: E402

SUB = "SubtensorModule"


@pytest.fixture(scope="module")
def chain() -> ChainBuilder:
    c = ChainBuilder()
    c.submit(ALICE, "Balances", "transfer_keep_alive", BOB.public, 5 * TAO)
    c.submit(ALICE, SUB, "register_network", BOB.public)
    return c


def _outside(rt: Runtime) -> tuple[RuntimeConfigurationObject, Any, dict]:
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_v14(rt)))
    md.decode()
    rc.add_portable_registry(md)
    entries = {
        (p["name"], e["name"]): e["type"]
        for p in md.value[1]["V14"]["pallets"] if p["storage"] for e in p["storage"]["entries"]
    }
    return rc, md, entries


@pytest.fixture(scope="module")
def outside(chain: ChainBuilder) -> tuple:
    return _outside(chain.runtime)


def _value_id(entry: dict) -> int:
    return entry["Plain"] if "Plain" in entry else entry["Map"]["value"]


def _decode(outside: tuple, pallet: str, name: str, raw: bytes) -> Any:
    rc, md, entries = outside
    obj = rc.create_scale_object(f"scale_info::{_value_id(entries[(pallet, name)])}", data=ScaleBytes(raw), metadata=md)
    got = obj.decode()
    assert obj.data.offset == len(raw), f"{pallet}.{name}: {len(raw) - obj.data.offset} bytes left over"
    return got


def test_alice_account_is_substrates_account_info(chain: ChainBuilder, outside: tuple) -> None:
    item = chain.runtime.system.Account
    key = storage_prefix("System", "Account") + blake2_128_concat(ALICE.public)
    assert item.key(ALICE.public) == key  # Substrate's key: Blake2_128Concat of the raw AccountId32
    raw = chain.backend.get(key)
    info = item.get(Overlay(chain.backend), ALICE.public)
    got = _decode(outside, "System", "Account", raw)
    assert got == {
        "nonce": info.nonce, "consumers": 0, "providers": 1, "sufficients": 0,
        "data": {"free": info.free, "reserved": 0, "frozen": 0, "flags": 1 << 127},
    }
    assert info.nonce == 2 and info.free > 0
    # the golden bytes: u32 nonce, three u32 counters, then four balances (u64 x3, u128 flags)
    assert raw == (
        (2).to_bytes(4, "little") + bytes(4) + (1).to_bytes(4, "little") + bytes(4)
        + info.free.to_bytes(8, "little") + bytes(16) + (1 << 127).to_bytes(16, "little")
    )
    rc, md, entries = outside
    assert entries[("System", "Account")]["Map"]["hashers"] == ["Blake2_128Concat"]


def test_a_subtensor_map_value(chain: ChainBuilder, outside: tuple) -> None:
    st = chain.runtime.subtensor
    owner = st.SubnetOwner
    raw = chain.backend.get(owner.key(1))
    # Option<AccountId32> (declared so, with the Default modifier): Some, then the 32 bytes
    assert raw == b"\x01" + ALICE.public
    assert _decode(outside, SUB, "SubnetOwner", raw) == "0x" + ALICE.public.hex()
    assert owner.decode_key(owner.key(1)) == 1
    tempo = chain.backend.get(st.Tempo.key(1))
    assert tempo is not None and _decode(outside, SUB, "Tempo", tempo) == st.Tempo.get(Overlay(chain.backend), 1)


def test_events_are_a_scale_vec_of_event_records(outside: tuple) -> None:
    c = ChainBuilder()
    r = c.submit(BOB, "Balances", "transfer_keep_alive", ALICE.public, 10**18)  # fails: InsufficientBalance
    raw = c.backend.get(storage_prefix("System", "Events"))
    got = _decode(outside, "System", "Events", raw)
    assert len(got) == len(r.events)
    failed = next(g for g in got if g["event_id"] == "ExtrinsicFailed")
    assert failed["module_id"] == "System" and failed["phase"] == "ApplyExtrinsic"
    err = failed["attributes"]["dispatch_error"]
    balances = c.runtime.balances
    assert err == {"Module": {"index": balances.INDEX, "error": "0x" + bytes((int(balances.Error.InsufficientBalance), 0, 0, 0)).hex()}}
    info = failed["attributes"]["dispatch_info"]
    assert info["class"] == "Normal" and info["pays_fee"] == "Yes" and info["weight"]["ref_time"] > 0
    # the node's view of the same bytes, and its name for the error
    views = c.runtime.stored_events(c.backend)
    assert [v[3] for v in views] == [e.name for e in r.events]
    fields = next(v[4] for v in views if v[3] == "System.ExtrinsicFailed")
    assert c.runtime.event_errors(fields) == {"error": "Balances.InsufficientBalance"}
    # a sudo call's inner error: Result<(), DispatchError>
    inner = c.call("Balances", "force_set_balance", BOB.public, 2**64 - 1)
    c.submit(ALICE, "Sudo", "sudo", inner)
    got = _decode(outside, "System", "Events", c.backend.get(storage_prefix("System", "Events")))
    sudid = next(g for g in got if g["event_id"] == "Sudid")
    assert "Err" in sudid["attributes"]["sudo_result"]


def test_stored_events_refuse_bytes_that_are_not_events() -> None:
    rt = Runtime()
    key = storage_prefix("System", "Events")
    for bad in (b"\x04", b"\x04\x00\x00\x00\x00\xff", b"\x00\x00"):
        with pytest.raises(CodecError):
            rt.stored_events(MemoryBackend({key: bad}))
    assert rt.stored_events(MemoryBackend()) == []  # the default: an empty Vec


def _items(rt: Runtime) -> list:
    return [item for p in rt.pallets for item in p.storage_items()]


def test_every_storage_item_stores_what_the_metadata_declares() -> None:
    """A sample value through each item decodes with the item's declared type id to the same
    value (scalecodec's form), and a sample key encodes as scalecodec encodes it."""
    rt = Runtime()
    rc, md, entries = _outside(rt)
    checked = 0
    for item in _items(rt):
        entry = entries[(item.pallet, item.name)]
        if isinstance(item.value_scale, EncodedS):  # System.Events: its own test above
            continue
        value = sample(item.value_type)
        raw = item._encode(value)
        assert item.decode_value(raw) == value, item.name
        got = _decode((rc, md, entries), item.pallet, item.name, raw)
        assert got == _as_scalecodec(item.value_scale, value), item.name
        if item.kind != "value":
            key_id = entry["Map"]["key"]
            if item.kind == "map":
                key, scale = sample(item.key_type), item.key_scale
                full = item.key(key)
                assert item.decode_key(full) == key, item.name
                rest = full[len(item.prefix) + HASH_PREFIX[item.hasher_name]:]
            else:
                key = (sample(item.key1_type), sample(item.key2_type))
                p1 = item.prefix1(key[0])
                rest = p1[len(item.prefix) + HASH_PREFIX[item.hasher1_name]:]
                rest += item.key(*key)[len(p1) + HASH_PREFIX[item.hasher2_name]:]
                from runtime.support.scale import TupleS

                scale = TupleS((item.key1_scale, item.key2_scale))
            assert rest == scale.encode(key), item.name
            theirs = rc.create_scale_object(f"scale_info::{key_id}", metadata=md)
            assert bytes(theirs.encode(_as_scalecodec(scale, key)).data) == rest, item.name
        checked += 1
    assert checked > 100


def test_decode_key_is_strict() -> None:
    rt = Runtime()
    acct = rt.system.Account
    with pytest.raises(CodecError):
        acct.decode_key(storage_prefix("System", "Number"))  # another item's key
    with pytest.raises(CodecError):
        acct.decode_key(acct.key(ALICE.public)[:-1])  # a truncated account id
    with pytest.raises(CodecError):
        acct.decode_key(acct.key(ALICE.public) + b"\x00")  # trailing bytes
