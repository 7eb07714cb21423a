"""Balances, sudo and fees: every call for success and for each error (noop but for fee and nonce)."""

from __future__ import annotations

from conftest import ALICE, BOB, CHARLIE, DAVE, TAO, ChainBuilder, assert_noop

from runtime.support.dispatch import DispatchErrorKind
from runtime.support.keys import ED25519, dev_keypair

AUTHOR = dev_keypair("Alice", ED25519)  # the dev chain's authority: fees go to its ed25519 account

NEWBIE = dev_keypair("Newbie")  # not funded at genesis
ED = 500


def test_transfer_allow_death_moves_funds_and_pays_fee_to_author(chain: ChainBuilder) -> None:
    bob0, charlie0, alice0 = chain.free(BOB.public), chain.free(CHARLIE.public), chain.free(AUTHOR.public)
    issuance0 = chain.runtime.balances.total_issuance(chain.ctx())
    r = chain.submit(BOB, "Balances", "transfer_allow_death", CHARLIE.public, 5 * TAO)
    fee = chain.outcome(r).fee
    assert fee > 0
    assert chain.free(BOB.public) == bob0 - 5 * TAO - fee
    assert chain.free(CHARLIE.public) == charlie0 + 5 * TAO
    assert chain.free(AUTHOR.public) == alice0 + fee  # Alice's authority key authors every dev block
    assert chain.runtime.balances.total_issuance(chain.ctx()) == issuance0
    names = chain.event_names(r)
    assert "Balances.Transfer" in names and "TransactionPayment.TransactionFeePaid" in names
    # last, but for the author's account coming into being with its first fee
    assert [n for n in names if n not in ("System.NewAccount", "Balances.Endowed")][-1] == "System.ExtrinsicSuccess"
    assert chain.account(BOB.public).nonce == 1


def test_transfer_creates_account_with_endowed(chain: ChainBuilder) -> None:
    r = chain.submit(BOB, "Balances", "transfer_allow_death", NEWBIE.public, ED)
    assert "Balances.Endowed" in chain.event_names(r) and "System.NewAccount" in chain.event_names(r)
    assert chain.free(NEWBIE.public) == ED


def test_transfer_insufficient_balance(chain: ChainBuilder) -> None:
    assert_noop(chain, BOB, "Balances", "transfer_allow_death", CHARLIE.public, 2_000_000 * TAO, error="InsufficientBalance")


def test_transfer_below_existential_deposit_to_new_account(chain: ChainBuilder) -> None:
    assert_noop(chain, BOB, "Balances", "transfer_allow_death", NEWBIE.public, ED - 1, error="ExistentialDeposit")


def test_transfer_allow_death_reaps_sender_and_burns_dust(chain: ChainBuilder) -> None:
    chain.submit(BOB, "Balances", "transfer_allow_death", NEWBIE.public, 10 * TAO)
    issuance0 = chain.runtime.balances.total_issuance(chain.ctx())
    # Newbie sends everything but 100 rao (below ED) after the fee: the dust is lost
    fee_probe = chain.sign(NEWBIE, chain.call("Balances", "transfer_allow_death", CHARLIE.public, 10 * TAO))
    fee = chain.runtime.payment.compute_fee(len(fee_probe), 120_000_000, 0, True).total
    amount = 10 * TAO - fee - 100
    r = chain.submit(NEWBIE, "Balances", "transfer_allow_death", CHARLIE.public, amount)
    names = chain.event_names(r)
    assert "Balances.DustLost" in names and "System.KilledAccount" in names
    assert not chain.runtime.system.account_exists(chain.ctx(), NEWBIE.public)
    assert chain.runtime.balances.total_issuance(chain.ctx()) == issuance0 - 100


def test_transfer_keep_alive_refuses_to_kill_sender(chain: ChainBuilder) -> None:
    chain.submit(BOB, "Balances", "transfer_allow_death", NEWBIE.public, 1 * TAO)
    assert_noop(chain, NEWBIE, "Balances", "transfer_keep_alive", CHARLIE.public, 1 * TAO - 112_800, error="Expendability")


def test_transfer_keep_alive_success_and_insufficient(chain: ChainBuilder) -> None:
    chain.submit(BOB, "Balances", "transfer_keep_alive", DAVE.public, 3 * TAO)
    assert chain.free(DAVE.public) == 1_000_003 * TAO
    assert_noop(chain, BOB, "Balances", "transfer_keep_alive", DAVE.public, 3_000_000 * TAO, error="InsufficientBalance")


def test_zero_and_self_transfers_are_noops_that_succeed(chain: ChainBuilder) -> None:
    for dest, value in ((CHARLIE.public, 0), (BOB.public, 5 * TAO)):
        bob0 = chain.free(BOB.public)
        r = chain.submit(BOB, "Balances", "transfer_allow_death", dest, value)
        assert chain.outcome(r).error is None
        assert "Balances.Transfer" not in chain.event_names(r)
        assert chain.free(BOB.public) == bob0 - chain.outcome(r).fee


def test_transfer_all(chain: ChainBuilder) -> None:
    other = dev_keypair("Other")
    chain.submit(BOB, "Balances", "transfer_allow_death", NEWBIE.public, 2 * TAO)
    chain.submit(BOB, "Balances", "transfer_allow_death", other.public, 2 * TAO)
    chain.submit(NEWBIE, "Balances", "transfer_all", CHARLIE.public, True)
    assert chain.free(NEWBIE.public) == ED
    chain.submit(other, "Balances", "transfer_all", CHARLIE.public, False)
    assert not chain.runtime.system.account_exists(chain.ctx(), other.public)


def test_force_set_balance_via_sudo(chain: ChainBuilder) -> None:
    issuance0 = chain.runtime.balances.total_issuance(chain.ctx())
    inner = chain.call("Balances", "force_set_balance", NEWBIE.public, 7 * TAO)
    r = chain.submit(ALICE, "Sudo", "sudo", inner)
    assert ("Sudo.Sudid" in chain.event_names(r)) and chain.free(NEWBIE.public) == 7 * TAO
    assert chain.runtime.balances.total_issuance(chain.ctx()) == issuance0 + 7 * TAO
    # below ED: the account is set to zero and reaped
    chain.submit(ALICE, "Sudo", "sudo", chain.call("Balances", "force_set_balance", NEWBIE.public, ED - 1))
    assert not chain.runtime.system.account_exists(chain.ctx(), NEWBIE.public)


def test_root_calls_refuse_signed_origin(chain: ChainBuilder) -> None:
    assert_noop(chain, BOB, "Balances", "force_set_balance", BOB.public, 10 * TAO, error="BadOrigin")
    assert_noop(chain, BOB, "Balances", "force_transfer", CHARLIE.public, BOB.public, 10 * TAO, error="BadOrigin")


def test_force_transfer_via_sudo(chain: ChainBuilder) -> None:
    c0 = chain.free(CHARLIE.public)
    chain.submit(ALICE, "Sudo", "sudo", chain.call("Balances", "force_transfer", CHARLIE.public, DAVE.public, TAO))
    assert chain.free(CHARLIE.public) == c0 - TAO


def test_sudo_inner_failure_is_reported_in_sudid(chain: ChainBuilder) -> None:
    inner = chain.call("Balances", "force_transfer", NEWBIE.public, DAVE.public, TAO)
    r = chain.submit(ALICE, "Sudo", "sudo", inner)
    assert chain.outcome(r).error is None
    sudid = [f for n, f, _ in chain.events(r) if n == "Sudo.Sudid"][0]
    assert sudid.sudo_result is not None
    assert chain.runtime.error_name(sudid.sudo_result).endswith("InsufficientBalance")


def test_sudo_requires_key_and_set_key(chain: ChainBuilder) -> None:
    inner = chain.call("Balances", "force_set_balance", BOB.public, 10 * TAO)
    assert_noop(chain, BOB, "Sudo", "sudo", inner, error="RequireSudo")
    assert_noop(chain, BOB, "Sudo", "set_key", BOB.public, error="RequireSudo")
    r = chain.submit(ALICE, "Sudo", "set_key", BOB.public)
    assert "Sudo.KeyChanged" in chain.event_names(r)
    chain.submit(BOB, "Sudo", "sudo", inner)
    assert chain.free(BOB.public) == 10 * TAO


def test_fee_is_kept_when_the_call_fails(chain: ChainBuilder) -> None:
    bob0, alice0 = chain.free(BOB.public), chain.free(AUTHOR.public)
    r = chain.submit(BOB, "Balances", "transfer_allow_death", CHARLIE.public, 10**18)
    fee = chain.outcome(r).fee
    assert fee > 0 and chain.free(BOB.public) == bob0 - fee and chain.free(AUTHOR.public) == alice0 + fee
    failed = [f for n, f, _ in chain.events(r) if n == "System.ExtrinsicFailed"][0]
    err = failed.dispatch_error  # Substrate's DispatchError::Module { index: 5, error: [2, 0, 0, 0] }
    assert (err.kind, err.module.index, err.module.error) == (DispatchErrorKind.Module, 5, b"\x02\0\0\0")
    assert chain.runtime.error_name(err) == "Balances.InsufficientBalance"


def test_force_set_balance_overflow_of_total_issuance(chain: ChainBuilder) -> None:
    before = chain.free(DAVE.public)
    r = chain.submit(ALICE, "Sudo", "sudo", chain.call("Balances", "force_set_balance", DAVE.public, 2**64 - 1))
    sudid = [f for n, f, _ in chain.events(r) if n == "Sudo.Sudid"][0]
    assert sudid.sudo_result is not None and chain.runtime.error_name(sudid.sudo_result) == "Balances.Overflow"
    assert chain.free(DAVE.public) == before
