"""state_call over RPC (runtime/state_call.py): the runtime functions a Substrate client calls at
start-up, SCALE in and out, against one in-process dev node; and the runtime version's API list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from devnode import BackgroundNode, node_client
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from node.rpc_api import header_from_json
from runtime.metadata import metadata_v14, metadata_v15
from runtime.support.keys import ED25519, dev_keypair
from runtime.support.scale import BYTES, STRING, U8S, U32S, U64S, ByteArrayS, OptionS, TupleS, VecS
from taochain.client import Client, RpcError

ALICE, BOB = dev_keypair("Alice"), dev_keypair("Bob")


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[Client, BackgroundNode]]:
    with node_client() as cn:
        yield cn


def call(c: Client, method: str, data: bytes = b"", *at: str) -> bytes:
    out = c.rpc("state_call", method, "0x" + data.hex(), *at)
    assert isinstance(out, str) and out.startswith("0x")
    return bytes.fromhex(out[2:])


def test_core_version_is_the_runtime_version(node) -> None:
    c, _n = node
    raw = call(c, "Core_version")
    layout = TupleS((STRING, STRING, U32S, U32S, U32S, VecS(TupleS((ByteArrayS(8), U32S))), U32S, U8S))
    spec, impl, authoring, spec_v, impl_v, apis, tx_v, state_v = layout.decode(raw)
    j = c.rpc("state_getRuntimeVersion")
    assert (spec, impl, authoring, spec_v, impl_v, tx_v, state_v) == (
        j["specName"], j["implName"], j["authoringVersion"], j["specVersion"], j["implVersion"],
        j["transactionVersion"], j["stateVersion"],
    )
    assert [["0x" + i.hex(), v] for i, v in apis] == j["apis"]
    # Substrate's ids (blake2-64 of the name): Core, Metadata, AccountNonceApi, AuraApi
    assert ["0xdf6acb689907609b", 5] in j["apis"] and ["0x37e397fc7c91f5e4", 2] in j["apis"]
    assert ["0xbc9d89904f5b923f", 1] in j["apis"] and ["0xdd718d5cc53262d4", 1] in j["apis"]


def test_metadata_calls(node) -> None:
    c, n = node
    rt = n.rn.node.runtime
    assert list(VecS(U32S).decode(call(c, "Metadata_metadata_versions"))) == [14, 15]
    v15 = OptionS(BYTES).decode(call(c, "Metadata_metadata_at_version", U32S.encode(15)))
    assert v15 == metadata_v15(rt) and v15[:5] == b"meta\x0f"
    assert OptionS(BYTES).decode(call(c, "Metadata_metadata_at_version", U32S.encode(16))) is None
    v14 = BYTES.decode(call(c, "Metadata_metadata"))
    assert v14 == metadata_v14(rt) and v14[:5] == b"meta\x0e"
    # an outside decoder (py-scale-codec, as py-substrate-interface uses it) reads what the node served
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(v14))
    md.decode()
    names = [p["name"] for p in md.value[1]["V14"]["pallets"]]
    assert names == [p.NAME for p in rt.pallets]


def test_account_nonce_and_aura(node) -> None:
    c, n = node
    assert c.transfer(BOB, ALICE.ss58, 1).success
    chain_nonce = c.account(BOB)["nonce"]
    assert chain_nonce >= 1
    assert U32S.decode(call(c, "AccountNonceApi_account_nonce", BOB.public)) == chain_nonce
    assert U32S.decode(call(c, "AccountNonceApi_account_nonce", dev_keypair("Nobody").public)) == 0
    # at an older block: the nonce it had then
    genesis = c.rpc("chain_getBlockHash", 0)
    assert U32S.decode(call(c, "AccountNonceApi_account_nonce", BOB.public, genesis)) == 0
    assert list(VecS(ByteArrayS(32)).decode(call(c, "AuraApi_authorities"))) == [dev_keypair("Alice", ED25519).public]
    assert U64S.decode(call(c, "AuraApi_slot_duration")) == n.rn.node.runtime.slot_duration_ms


@pytest.mark.parametrize(
    ("params", "code", "needle"),
    [
        (["Nothing_here", "0x"], -32000, "Exported method Nothing_here is not found"),
        (["AccountNonceApi_account_nonce", "0x0102"], -32000, "do not decode"),
        (["Core_version", "0x00"], -32000, "do not decode"),  # a trailing byte
        (["Core_version", "0xzz"], -32602, "hex"),
        (["Core_version", "0x", "0x" + "11" * 32], 4003, "Unknown block"),
    ],
)
def test_bad_calls_are_refused(node, params: list, code: int, needle: str) -> None:
    c, _n = node
    with pytest.raises(RpcError) as info:
        c.rpc("state_call", *params)
    assert info.value.code == code
    assert needle in f"{info.value.message} {info.value.data}"


def test_state_get_metadata_is_scale_v14(node) -> None:
    """state_getMetadata answers Substrate's SCALE V14 (what py-substrate-interface and
    @polkadot/api decode at start-up), the same bytes as Metadata_metadata; the JSON form is
    taochain_getMetadataJson."""
    c, n = node
    rt = n.rn.node.runtime
    hexed = c.rpc("state_getMetadata")
    assert bytes.fromhex(hexed[2:]) == metadata_v14(rt) == BYTES.decode(call(c, "Metadata_metadata"))
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(hexed))
    md.decode()
    rc.add_portable_registry(md)
    assert md.get_metadata_pallet("Balances").get_storage_function("TotalIssuance") is not None
    assert c.rpc("taochain_getMetadataJson") == rt.metadata()


def test_header_logs_are_substrate_digest_items(node) -> None:
    """chain_getHeader's digest logs are SCALE DigestItems, whose type the metadata carries: a
    client decoding them with our metadata (as py-substrate-interface's get_block_header does) gets
    the Aura PreRuntime slot and the Seal."""
    c, _n = node
    hexed = c.rpc("state_getMetadata")
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(hexed))
    md.decode()
    rc.add_portable_registry(md)
    (digest_id,) = [t["id"] for t in md.value[1]["V14"]["types"]["types"]
                    if t["type"]["path"] == ["sp_runtime", "generic", "digest", "DigestItem"]]
    hdr = c.rpc("chain_getHeader")
    pre, seal = (rc.create_scale_object(f"scale_info::{digest_id}", data=ScaleBytes(log)).decode()
                 for log in hdr["digest"]["logs"])
    engine, slot = pre["PreRuntime"]
    assert engine == "0x" + b"aura".hex()
    assert seal["Seal"][0] == "0x" + b"aura".hex() and len(bytes.fromhex(seal["Seal"][1][2:])) == 64
    assert header_from_json(hdr).slot() is not None
