"""The dry run (runtime/dry_run.py, RPC `system_dryRun`) and the error docs it hands out.

On an in-memory chain: a call failing with a pallet error gives that error's name, index and doc and
changes no state; a valid one gives Ok with the same events and fee as its real inclusion; a stale
nonce and an empty account give the transaction-validity error. Every pallet error and drop reason
carries a doc (cause, then fix) in the metadata. Over RPC, against an in-process dev node: the JSON
shapes, `at`, and bad input refused with -32602 / 4003.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from devnode import BackgroundNode, node_client

from runtime.dry_run import DryRun, dry_run, invalid_doc
from runtime.executive import InvalidReason
from runtime.support import tx
from runtime.support.keys import dev_keypair
from taochain.client import Client, RpcError

POOR = dev_keypair("Poor")


def snapshot(chain: ChainBuilder) -> tuple:
    return dict(chain.backend.items), chain.head.state_root, chain.head.hash()


def run(chain: ChainBuilder, xt: bytes) -> DryRun:
    return dry_run(chain.runtime, chain.backend, chain.head, xt)


@pytest.fixture
def subnet() -> ChainBuilder:
    """A chain with subnet 1, owned by Alice (hotkey //Alice//o)."""
    chain = ChainBuilder()
    chain.submit(ALICE, "SubtensorModule", "register_network", dev_keypair("Alice//o").public)
    return chain


def test_a_pallet_error_comes_with_its_name_and_doc_and_changes_nothing(subnet: ChainBuilder) -> None:
    chain = subnet
    before = snapshot(chain)
    bob_before = chain.account(BOB.public)
    xt = chain.sign(BOB, chain.call("SubtensorModule", "start_call", 1))
    d = run(chain, xt)
    assert d.invalid is None and d.error is not None and not d.ok
    e = d.error
    assert (e.pallet, e.pallet_index, e.error, e.index) == ("SubtensorModule", 7, "NotSubnetOwner", 9)
    assert e.name == "SubtensorModule.NotSubnetOwner"
    from pallets.subtensor.errors import Error

    assert e.doc == Error.NotSubnetOwner.doc == "the signer does not own the subnet\nsign with the subnet owner's coldkey"
    assert [ev.name for ev in d.events] == ["TransactionPayment.TransactionFeePaid", "System.ExtrinsicFailed"]
    assert d.fee and d.fee > 0
    assert snapshot(chain) == before  # state root, every key, the head: as they were
    assert chain.account(BOB.public) == bob_before  # nonce and balance untouched
    # the same extrinsic, really included, fails the same way and pays the same fee
    result, rejected = chain.author([xt])
    assert not rejected and chain.outcome(result).error.name == e.name and chain.outcome(result).fee == d.fee


def test_a_valid_extrinsic_gives_ok_with_its_events_and_fee() -> None:
    chain = ChainBuilder()
    chain.run_to_block(2)
    before = snapshot(chain)
    xt = chain.sign(BOB, chain.call("Balances", "transfer_keep_alive", CHARLIE.public, TAO))
    d = run(chain, xt)
    assert d.ok and d.invalid is None and d.error is None
    assert snapshot(chain) == before
    result, rejected = chain.author([xt])
    assert not rejected
    included = [(name, fields) for name, fields, phase in chain.events(result) if phase == 1]
    assert [(e.name, e.fields) for e in d.events] == included
    assert [e.name for e in d.events] == ["Balances.Transfer", "TransactionPayment.TransactionFeePaid",
                                         "System.ExtrinsicSuccess"]
    assert d.fee == chain.outcome(result).fee > 0


def test_stale_and_future_nonces_and_empty_accounts_are_invalid() -> None:
    chain = ChainBuilder()
    chain.submit(BOB, "Balances", "transfer_keep_alive", CHARLIE.public, TAO)
    call = chain.call("Balances", "transfer_keep_alive", CHARLIE.public, TAO)
    d = run(chain, chain.sign(BOB, call, nonce=0))
    assert d.invalid is not None and d.invalid.reason == InvalidReason.Stale and "nonce 0 < account nonce 1" in d.invalid.detail
    assert not d.ok and d.error is None and d.events == () and d.fee is None
    d = run(chain, chain.sign(BOB, call, nonce=7))  # a block takes the next nonce only
    assert d.invalid is not None and d.invalid.reason == InvalidReason.Future
    d = run(chain, chain.sign(POOR, call))
    assert d.invalid is not None and d.invalid.reason == InvalidReason.Payment
    bad = bytearray(chain.sign(BOB, call))
    bad[40] ^= 1
    assert run(chain, bytes(bad)).invalid.reason == InvalidReason.BadProof
    v = chain.runtime.VERSION
    other = tx.sign_extrinsic(BOB, chain.encode_call(call), nonce=1, genesis_hash=b"\x01" * 32,
                              spec_version=v.spec_version, tx_version=v.transaction_version)
    assert run(chain, other).invalid.reason == InvalidReason.BadProof  # signed for another chain
    assert invalid_doc(InvalidReason.Stale).split("\n") == ["Transaction is outdated",
                                                            "sign again with the sender's next nonce (system_accountNextIndex)"]


def test_the_block_is_the_next_one_per_block_limits_reset(subnet: ChainBuilder) -> None:
    """The hooks of the block the transaction would land in run first: a registration right after
    another one is not refused by the previous block's per-block counter."""
    chain = subnet
    chain.submit(ALICE, "AdminUtils", "sudo_set_max_registrations_per_block", 1, 1)
    chain.submit(BOB, "SubtensorModule", "burned_register", 1, dev_keypair("Bob//h").public)
    assert chain.runtime.subtensor.RegistrationsThisBlock.get(chain.ctx().state, 1) == 1
    d = run(chain, chain.sign(CHARLIE, chain.call("SubtensorModule", "burned_register", 1, dev_keypair("Charlie//h").public)))
    assert d.ok, d.error


def test_sudo_reports_its_inner_error_in_sudid(subnet: ChainBuilder) -> None:
    chain = subnet
    inner = chain.call("AdminUtils", "sudo_set_tempo", 99, 10)
    d = run(chain, chain.sign(ALICE, chain.call("Sudo", "sudo", inner)))
    assert d.ok  # sudo itself succeeds, as on chain
    (sudid,) = [e for e in d.events if e.name == "Sudo.Sudid"]
    assert chain.runtime.event_errors(sudid.fields) == {"ok": False, "error": "AdminUtils.SubnetDoesNotExist"}
    d = run(chain, chain.sign(BOB, chain.call("Sudo", "sudo", inner)))
    assert d.error is not None and d.error.name == "Sudo.RequireSudo" and "root-only" in d.error.doc


def test_every_error_and_drop_reason_has_a_doc_in_the_metadata() -> None:
    md = ChainBuilder().runtime.metadata()
    reserved = {"VestingBalance", "ExistingVestingSchedule", "TooManyReserves", "NoneValue", "StorageOverflow",
                "DrandConnectionFailure", "UnverifiedPulse"}  # kept for Substrate/subtensor parity, never raised
    n = 0
    for p in md["pallets"]:
        for e in p["errors"]:
            assert set(e) == {"index", "name", "doc"}, e
            lines = e["doc"].split("\n")
            assert lines[0], f"{p['name']}.{e['name']} has no doc"
            if e["name"] not in reserved:
                assert len(lines) == 2 and lines[1], f"{p['name']}.{e['name']} has no fix"
            n += 1
    assert n >= 90
    sub = next(p for p in md["pallets"] if p["name"] == "SubtensorModule")
    assert {e["name"]: e["index"] for e in sub["errors"]}["NotSubnetOwner"] == 9  # consensus data kept
    dropped = next(e for e in sub["events"] if e["name"] == "TimelockedWeightsDropped")
    assert [c["name"] for c in dropped["enums"]["reason"]][:2] == ["PulseMissing", "Undecryptable"]


# --------------------------------------------------------------------------------------------- RPC


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[Client, BackgroundNode]]:
    with node_client() as cn:
        yield cn


def error_of(c: Client, *params: object) -> tuple[int, str, object]:
    with pytest.raises(RpcError) as info:
        c.rpc("system_dryRun", *params)
    return info.value.code, info.value.message, info.value.data


def test_system_dry_run_over_rpc(node: tuple[Client, BackgroundNode]) -> None:
    c, _n = node
    bob = dev_keypair("Bob")
    ok_xt = c.sign(bob, c.compose_call("Balances", "transfer_keep_alive", CHARLIE.ss58, TAO), nonce=1)
    r = c.rpc("system_dryRun", "0x" + ok_xt.hex())
    assert "err" in r and r["err"]["invalid"] == "Future"  # nonce 1 before nonce 0: a block would not take it
    ok_xt = c.sign(bob, c.compose_call("Balances", "transfer_keep_alive", CHARLIE.ss58, TAO))
    r = c.rpc("system_dryRun", "0x" + ok_xt.hex())
    assert r["ok"] == {"ok": None} and r["fee"] > 0
    assert [e["name"] for e in r["events"]] == ["Balances.Transfer", "TransactionPayment.TransactionFeePaid",
                                               "System.ExtrinsicSuccess"]
    assert r["events"][0]["fields"]["amount"] == TAO
    fail_xt = c.sign(bob, c.compose_call("SubtensorModule", "start_call", 42))
    at = c.block_hash()
    r = c.rpc("system_dryRun", "0x" + fail_xt.hex(), at)
    module, failed_fee = r["ok"]["err"]["module"], r["fee"]
    assert {k: module[k] for k in ("pallet", "palletIndex", "error", "index")} == {
        "pallet": "SubtensorModule", "palletIndex": 7, "error": "SubnetNotExists", "index": 0}
    md_doc = next(e["doc"] for p in c.metadata()["pallets"] if p["name"] == "SubtensorModule"
                  for e in p["errors"] if e["name"] == "SubnetNotExists")
    assert module["doc"] == md_doc and "\n" in md_doc
    assert c.rpc("system_dryRun", "0x" + fail_xt.hex(), at) == r  # the same block, the same answer
    assert c.transfer(bob, CHARLIE.ss58, 1).success
    nonce = c.account(bob)["nonce"]
    stale = c.sign(bob, c.compose_call("Balances", "transfer_keep_alive", CHARLIE.ss58, TAO), nonce=0)
    r = c.rpc("system_dryRun", "0x" + stale.hex())
    assert r["err"]["invalid"] == "Stale" and r["fee"] is None and r["events"] == []
    assert r["err"]["message"] == "Transaction is outdated" and "account nonce" in r["err"]["detail"]
    assert r["err"]["doc"].startswith("Transaction is outdated\n")
    # nothing was sent: no pending transaction, Bob's nonce as it was
    assert c.rpc("author_pendingExtrinsics") == [] and c.account(bob)["nonce"] == nonce
    # the SDK's reading of it
    d = c.dry_run(fail_xt, at)  # on top of the block it was dry-run at, before Bob's transfer
    assert not d.success and d.included and d.error == "SubtensorModule.SubnetNotExists"
    assert d.cause + "\n" + d.fix == md_doc and d.hint == f"{d.cause}; {d.fix}" and d.fee == failed_fee
    d = c.dry_run(c.sign(dev_keypair("Poorest"), c.compose_call("Balances", "transfer_keep_alive", CHARLIE.ss58, 1)))
    assert not d.success and not d.included and d.error == "InvalidTransaction.Payment" and "fund" in d.fix
    assert c.dry_run(c.sign(bob, c.compose_call("Balances", "transfer_keep_alive", CHARLIE.ss58, TAO))).success


def test_system_dry_run_refuses_bad_input(node: tuple[Client, BackgroundNode]) -> None:
    c, _n = node
    code, message, data = error_of(c, "0xzz")
    assert (code, message) == (-32602, "Invalid params") and "hex" in str(data)
    code, message, data = error_of(c, "0x01020304")
    assert (code, message) == (-32602, "Invalid params") and "extrinsic" in str(data)
    xt = c.sign(ALICE, c.compose_call("Balances", "transfer_keep_alive", BOB.ss58, 1))
    code, _message, _data = error_of(c, "0x" + xt.hex(), "0x" + "11" * 32)
    assert code == 4003
    code, message, _data = error_of(c, 5)
    assert (code, message) == (-32602, "Invalid params")


def test_pow_register_is_refused_before_solving(node: tuple[Client, BackgroundNode]) -> None:
    """The SDK dry-runs an unsolved registration first: what the chain refuses before the seal
    comes back as the result (nothing solved, nothing sent), with the pallet's hint."""
    c, _n = node
    r = c.pow_register(dev_keypair("Eve//m"), 9, dev_keypair("Eve"), max_tries=1)
    assert not r.success and r.error == "SubtensorModule.SubnetNotExists" and r.extrinsic_hash == ""
    assert r.hint and r.hint.startswith("the netuid names no subnet")


def test_a_node_that_refuses_dry_runs_leaves_the_check_to_the_chain() -> None:
    """system_dryRun is unsafe (as Substrate's): a node serving only safe methods refuses it, and the
    SDK then says the call was not judged (with payment_queryInfo's fee); the CLI goes on."""
    with node_client(rpc_methods="safe") as (c, _n):
        xt = c.sign(ALICE, c.compose_call("SubtensorModule", "start_call", 42))
        with pytest.raises(RpcError) as info:
            c.rpc("system_dryRun", "0x" + xt.hex())
        assert info.value.code == -32601
        d = c.dry_run(xt)
        assert not d.checked and d.success and d.error is None and d.fee and d.fee > 0
        r = c.submit_signed(xt)
        assert not r.success and r.error == "SubtensorModule.SubnetNotExists"  # the chain did check it
