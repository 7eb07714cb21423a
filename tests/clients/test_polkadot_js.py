"""@polkadot/api (16.5.2, pinned by tests/clients/js/package-lock.json, installed by `make install`),
unmodified, against `taochain node --dev` (issue #15's client tests): js/flow.mjs runs once against
one node for this module and prints one JSON line per step; each step is asserted by its own test.
`ApiPromise.create` connects and decodes the runtime version and the SCALE metadata (V15 through
state_call); `api.query.system.account`; the hash polkadot-js computes for a header equals the node's;
`tx.paymentInfo`; `transferKeepAlive(bob, x).signAndSend(alice)` reaching isInBlock and isFinalized;
`api.registry.findMetaError` naming a failed call's error; `api.rpc.chain.subscribeNewHeads`.
`coldStartMs` (connect + metadata + first query) is in the account step's line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from devnode import dev_node
from outside import ALICE, AMOUNT, BOB, JS, attrs, node_js, ok, rpc, run_flow

pytestmark = pytest.mark.xdist_group("polkadot-js")  # one node, one run of the flow
_run: dict[str, Any] = {}

# What fails today on this branch, before the chain side of issue #15 is merged (the client's own
# error). Strict: a step that starts passing fails its test until its line here is removed.
ACCOUNT_ID = ("createType(Lookup4):: Expected input with 32 bytes (256 bits), found 48 bytes: the metadata's "
              "AccountId is a bare [u8; 32], not sp_core::crypto::AccountId32, so an SS58 address is taken as bytes")
NOT_YET: dict[str, str] = {}


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dev_node(tmp_path_factory.mktemp("dev-node")) as (url, _):
        yield url


@pytest.fixture
def flow(request: pytest.FixtureRequest, node_url: str) -> dict[str, dict[str, Any]]:
    if request.node.name in NOT_YET:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NOT_YET[request.node.name]))
    if not _run:
        _run.update(run_flow([*node_js(), node_url], JS))
    return _run


def test_api_promise_create_reads_the_runtime_and_metadata(flow: dict, node_url: str) -> None:
    from runtime.construct import Runtime

    s = ok(flow, "connect")
    assert s["specName"] == "taochain" and s["specVersion"] == Runtime.VERSION.spec_version
    assert s["metadataVersion"] == 15  # Metadata_metadata_at_version(15), as the runtime version lists it
    assert s["pallets"] == [[p.NAME, p.INDEX] for p in Runtime().pallets]
    assert s["properties"]["ss58Format"] == 42
    assert s["properties"]["tokenDecimals"] == [9] and s["properties"]["tokenSymbol"] == ["TAO"]
    assert s["genesisHash"] == rpc(node_url, "chain_getBlockHash", [0])
    assert s["headerLogs"][-1] == "Seal" and "PreRuntime" in s["headerLogs"]
    assert "transferKeepAlive" in s["balancesCalls"]  # calls come from the metadata
    assert s["aliceAddress"] == ALICE  # Keyring sr25519 //Alice


def test_query_system_account(flow: dict) -> None:
    s = ok(flow, "account")
    assert int(s["free"]) > 0  # the dev preset funds //Alice (sr25519)


def test_header_hash_computed_by_polkadot_js_is_the_nodes(flow: dict) -> None:
    s = ok(flow, "header_hash")
    assert s["computed"] == s["node"]


def test_payment_info(flow: dict) -> None:
    s = ok(flow, "payment_info")
    assert int(s["partialFee"]) > 0 and s["class"] == "Normal"


def test_transfer_keep_alive_reaches_in_block_and_finalized(flow: dict) -> None:
    s = ok(flow, "transfer")
    assert "InBlock" in s["statuses"] and "Finalized" in s["statuses"], s["statuses"]
    assert s["dispatchError"] is None
    transfers = [e for e in s["events"] if (e["section"], e["method"]) == ("balances", "Transfer")]
    assert len(transfers) == 1, s["events"]
    t = attrs(transfers[0]["data"], ("from", "to", "amount"))
    assert (t["from"], t["to"], int(t["amount"])) == (ALICE, BOB, AMOUNT)
    assert ("system", "ExtrinsicSuccess") in [(e["section"], e["method"]) for e in s["events"]]
    assert int(s["bobAfter"]) - int(s["bobBefore"]) == AMOUNT
    assert int(s["aliceBefore"]) - int(s["aliceAfter"]) > AMOUNT  # the amount and the fee


def test_find_meta_error_names_a_failed_calls_error(flow: dict) -> None:
    s = ok(flow, "failed_call")
    assert s["metaError"]["section"] == "balances" and s["metaError"]["name"] == "InsufficientBalance", s
    assert ("system", "ExtrinsicFailed") in [(e["section"], e["method"]) for e in s["events"]]


def test_subscribe_new_heads_with_the_nodes_hashes(flow: dict) -> None:
    heads = ok(flow, "new_heads")["heads"]
    assert len(heads) == 3 and [h["number"] for h in heads] == sorted({h["number"] for h in heads})
    assert all(h["computed"] == h["node"] for h in heads), heads
