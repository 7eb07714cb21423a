"""py-substrate-interface 1.8.1 (.venv-psi) and async-substrate-interface 2.2.1 with cyscale 0.5.0
(.venv-asi), unmodified, against `taochain node --dev` (issue #15's client tests). Each client runs
its flow (psi_flow.py, asi_flow.py) once in its own process against one node for this module; each
step is asserted by its own test here, so a failing step shows the client's own error and the steps
after it still report. `coldStartMs` (connect + metadata + first query) is in the account step's line;
benchmarks/client_cold_start.py prints it as a table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from devnode import dev_node
from outside import ALICE, AMOUNT, BOB, HERE, attrs, ok, python_of, run_flow

pytestmark = pytest.mark.xdist_group("substrate-interface")  # one node, one run of each flow
CLIENTS = ("psi", "asi")
_runs: dict[str, dict[str, dict[str, Any]]] = {}

# What fails today on this branch, before the chain side of issue #15 is merged (the client's own
# error). Strict: a step that starts passing fails its test until its line here is removed.
ACCOUNT_ID = ("ValueError: Value should a hex-string (0x..) or bytes: the metadata's AccountId is a bare "
              "[u8; 32], not the composite sp_core::crypto::AccountId32, so an SS58 address does not encode")
CYSCALE = ("connect: KeyError: 'ty' in cyscale's add_portable_registry: the type registry has no "
           "sp_runtime::generic::unchecked_extrinsic::UncheckedExtrinsic (V15's extrinsic has no 'ty')")
NOT_YET: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dev_node(tmp_path_factory.mktemp("dev-node")) as (url, _):
        yield url


@pytest.fixture(params=CLIENTS)
def flow(request: pytest.FixtureRequest, node_url: str) -> dict[str, dict[str, Any]]:
    client = request.param
    if (request.node.originalname, client) in NOT_YET:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NOT_YET[request.node.originalname, client]))
    if client not in _runs:
        _runs[client] = run_flow([str(python_of(client)), str(HERE / f"{client}_flow.py"), node_url], HERE)
    return _runs[client]


def test_connect_reads_the_scale_metadata(flow: dict) -> None:
    s = ok(flow, "connect")
    assert {"System", "Balances", "SubtensorModule"} <= set(s["pallets"])
    assert s["chain"]


def test_runtime_version(flow: dict) -> None:
    from runtime.construct import Runtime

    s = ok(flow, "runtime_version")
    assert s["specName"] == "taochain" and s["specVersion"] == Runtime.VERSION.spec_version
    assert s["clientSpecVersion"] == s["specVersion"] and s["ss58Format"] == 42


def test_query_system_account_of_alice(flow: dict) -> None:
    s = ok(flow, "account")
    assert s["free"] > 0  # the dev preset funds //Alice (sr25519)
    assert s["coldStartMs"] > 0


def test_get_constant_ss58_prefix(flow: dict) -> None:
    assert ok(flow, "constant")["value"] == 42


def test_signed_transfer_keep_alive_is_included_with_its_event(flow: dict) -> None:
    s = ok(flow, "transfer")
    assert s["signer"] == ALICE
    assert s["isSuccess"] is True, s["errorMessage"]
    transfers = [e for e in s["events"] if (e["module"], e["event"]) == ("Balances", "Transfer")]
    assert len(transfers) == 1, s["events"]
    t = attrs(transfers[0]["attributes"], ("from", "to", "amount"))
    assert (t["from"], t["to"], t["amount"]) == (ALICE, BOB, AMOUNT)
    assert ("System", "ExtrinsicSuccess") in [(e["module"], e["event"]) for e in s["events"]]
    assert s["bobAfter"] - s["bobBefore"] == AMOUNT
    fee = s.get("fee")
    assert s["aliceBefore"] - s["aliceAfter"] == AMOUNT + fee if fee is not None else s["aliceBefore"] - s["aliceAfter"] > AMOUNT


def test_failed_call_names_the_pallet_error(flow: dict) -> None:
    s = ok(flow, "failed_call")
    assert s["isSuccess"] is False
    assert s["errorMessage"]["type"] == "Module" and s["errorMessage"]["name"] == "InsufficientBalance", s["errorMessage"]
    assert ("System", "ExtrinsicFailed") in [(e["module"], e["event"]) for e in s["events"]]


def test_get_block_decodes_every_extrinsic(flow: dict) -> None:
    s = ok(flow, "get_block")
    calls = [(x["module"], x["function"]) for x in s["extrinsics"]]
    assert ("Timestamp", "set") in calls  # the inherent, unsigned
    assert ("Balances", "transfer_keep_alive") in calls, calls
    signed = [x for x in s["extrinsics"] if x["signed"]]
    assert signed and all(x["address"] == ALICE for x in signed), signed


def test_storage_subscription_sees_the_change(flow: dict) -> None:
    s = ok(flow, "subscription")
    assert s["sender"] == ["ok"]
    assert len(s["values"]) >= 2 and s["values"][-1] - s["values"][0] == AMOUNT, s["values"]
