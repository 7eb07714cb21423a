"""Balances pallet (index 5): free balances, transfers, the existential deposit, total issuance.

Invariants (`try_state`): total issuance equals the sum of free + reserved over all accounts; no
account holds a total below the existential deposit. Zero-value and self transfers succeed and change
nothing (as Substrate's `transfer`), so they emit no Transfer event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from runtime.support.codec import U64, AccountId, Balance, Bool, wire
from runtime.support.dispatch import Ctx, DocEnum, Origin, Pallet, call, ensure, ensure_root, ensure_signed
from runtime.support.storage import StorageValue

EXISTENTIAL_DEPOSIT = 500  # rao; an account below this is reaped (DustLost)
U64_MAX = (1 << 64) - 1


class AccountStore(Protocol):
    """What balances needs from System: read and write account records."""

    def get_account(self, ctx: Ctx, who: bytes): ...  # -> AccountInfo

    def set_account(self, ctx: Ctx, who: bytes, info, keep_nonce: bool = False) -> None: ...

    def account_exists(self, ctx: Ctx, who: bytes) -> bool: ...

    def iter_accounts(self, ctx: Ctx) -> Iterator[tuple[bytes, Any]]: ...


class Error(DocEnum):
    VestingBalance = 0, "reserved for Substrate parity (no vesting here)", ""
    LiquidityRestrictions = 1, "the balance is frozen", "send only the free, unfrozen part"
    InsufficientBalance = (
        2, "the sender's free balance does not cover the amount (and the fee)", "send less, or fund the account",
    )
    ExistentialDeposit = (
        3, "the value would create an account below the existential deposit (500 rao)", "send at least 500 rao",
    )
    Expendability = (
        4, "a keep-alive transfer would take the sender below the existential deposit",
        "send less, or transfer without keep-alive",
    )
    ExistingVestingSchedule = 5, "reserved for Substrate parity", ""
    DeadAccount = 6, "the beneficiary account does not exist", "fund it first"
    TooManyReserves = 7, "reserved for Substrate parity", ""
    Overflow = 8, "the receiver's balance or the total issuance would exceed u64", "send less"


# --- events
@wire
class Endowed:
    """An account was created with some free balance."""

    account: AccountId
    free_balance: Balance


@wire
class DustLost:
    """An account was removed whose balance was non-zero but below the existential deposit."""

    account: AccountId
    amount: Balance


@wire
class Transfer:
    """Transfer succeeded."""

    from_: AccountId
    to: AccountId
    amount: Balance


@wire
class BalanceSet:
    """A balance was set by root."""

    who: AccountId
    free: Balance


@wire
class Withdraw:
    """Some amount was withdrawn from the account (e.g. for transaction fees)."""

    who: AccountId
    amount: Balance


@wire
class Deposit:
    """Some amount was deposited (e.g. for transaction fees)."""

    who: AccountId
    amount: Balance


class Balances(Pallet):
    NAME = "Balances"
    INDEX = 5
    Error = Error
    EVENTS = (Endowed, DustLost, Transfer, BalanceSet, Withdraw, Deposit)
    CONSTANTS = (("ExistentialDeposit", U64, EXISTENTIAL_DEPOSIT, "The minimum amount required to keep an account open"),)

    # --- storage
    TotalIssuance = StorageValue("Balances", "TotalIssuance", U64, 0, doc="total rao in existence")

    def __init__(self, accounts: AccountStore, existential_deposit: int = EXISTENTIAL_DEPOSIT) -> None:
        self.accounts = accounts
        self.ed = existential_deposit
        # told of every change of TotalIssuance (SubtensorModule keeps the TAO supply with it)
        self.issuance_observers: list[Callable[[Ctx, int], None]] = []

    def _add_issuance(self, ctx: Ctx, delta: int) -> None:
        if delta:
            self.TotalIssuance.set(ctx.state, self.TotalIssuance.get(ctx.state) + delta)
            for observe in self.issuance_observers:
                observe(ctx, delta)

    # --- genesis
    def genesis(self, ctx: Ctx, balances: list[tuple[bytes, int]]) -> None:
        total = 0
        for who, amount in balances:
            assert amount >= self.ed, "genesis balance below the existential deposit"
            info = self.accounts.get_account(ctx, who)
            self._set_free(ctx, who, info, info.free + amount)
            total += amount
        assert total <= U64_MAX
        self.TotalIssuance.set(ctx.state, self.TotalIssuance.get(ctx.state) + total)

    # --- reads
    def free_balance(self, ctx: Ctx, who: bytes) -> int:
        return self.accounts.get_account(ctx, who).free

    def total_issuance(self, ctx: Ctx) -> int:
        return self.TotalIssuance.get(ctx.state)

    # --- internal mutations (the Currency interface other pallets get)
    def _set_free(self, ctx: Ctx, who: bytes, info, free: int) -> None:
        self.accounts.set_account(ctx, who, info.with_balances(info.nonce, free, info.reserved, info.frozen))

    def _reap_dust(self, ctx: Ctx, who: bytes, info, free: int) -> int:
        """If `free` (with no reserve) is below ED the dust is burnt; returns the free to store."""
        if 0 < free < self.ed and info.reserved == 0:
            ctx.deposit_event(DustLost(who, free))
            self._add_issuance(ctx, -free)
            return 0
        return free

    def can_withdraw(self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool) -> bool:
        info = self.accounts.get_account(ctx, who)
        spendable = info.free - info.frozen
        if amount > spendable:
            return False
        rest = info.free - amount
        return not (keep_alive and rest + info.reserved < self.ed)

    def withdraw(
        self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool, event: bool = True, bump_nonce: bool = False
    ) -> None:
        """Take `amount` out of `who`'s free balance and out of existence (fees, burns).
        `bump_nonce` also increments the nonce in the same write (the executive's pre-dispatch)."""
        info = self.accounts.get_account(ctx, who)
        if bump_nonce:
            info = info.with_balances(info.nonce + 1, info.free, info.reserved, info.frozen)
            if amount == 0:  # a fee-free call: only the nonce moves (kept even with no balance)
                self.accounts.set_account(ctx, who, info, keep_nonce=True)
                return
        ensure(amount <= info.free - info.frozen, Error.InsufficientBalance)
        rest = info.free - amount
        if keep_alive:
            ensure(rest + info.reserved >= self.ed, Error.Expendability)
        self._add_issuance(ctx, -amount)
        rest = self._reap_dust(ctx, who, info, rest)
        self._set_free(ctx, who, info, rest)
        if event:
            ctx.deposit_event(Withdraw(who, amount))

    def deposit(self, ctx: Ctx, who: bytes, amount: int, event: bool = True) -> bool:
        """Create `amount` in `who`'s free balance (fees to the author, emission). False when the
        account does not exist and `amount` is below ED (nothing is created then)."""
        info = self.accounts.get_account(ctx, who)
        new_free = info.free + amount
        issuance = self.TotalIssuance.get(ctx.state) + amount
        ensure(new_free <= U64_MAX and issuance <= U64_MAX, Error.Overflow)
        if info.free == 0 and info.reserved == 0 and amount < self.ed:
            return False
        self._add_issuance(ctx, amount)
        self._set_free(ctx, who, info, new_free)
        if event:
            ctx.deposit_event(Deposit(who, amount))
        return True

    def do_transfer(self, ctx: Ctx, source: bytes, dest: bytes, value: int, keep_alive: bool) -> None:
        """Move `value` from source to dest. All checks come before the first write."""
        if value == 0 or source == dest:
            return
        src = self.accounts.get_account(ctx, source)
        dst = self.accounts.get_account(ctx, dest)
        ensure(value <= src.free - src.frozen, Error.InsufficientBalance)
        ensure(dst.free + value <= U64_MAX, Error.Overflow)
        dest_new = dst.free == 0 and dst.reserved == 0
        ensure(not dest_new or value >= self.ed, Error.ExistentialDeposit)
        rest = src.free - value
        if keep_alive:
            ensure(rest + src.reserved >= self.ed, Error.Expendability)
        rest = self._reap_dust(ctx, source, src, rest)
        self._set_free(ctx, source, src, rest)
        # re-read: source and dest are distinct, but reaping may not touch dest
        self._set_free(ctx, dest, dst, dst.free + value)
        if dest_new:
            ctx.deposit_event(Endowed(dest, value))
        ctx.deposit_event(Transfer(source, dest, value))

    # --- calls
    @call(0, weight=120_000_000)
    def transfer_allow_death(self, ctx: Ctx, origin: Origin, dest: AccountId, value: Balance) -> None:
        """Transfer `value` rao to `dest`; the sender may be reaped. Origin: signed.
        Events: Transfer (+ Endowed, DustLost, KilledAccount). Errors: InsufficientBalance,
        ExistentialDeposit, Overflow."""
        who = ensure_signed(origin)
        self.do_transfer(ctx, who, dest, value, keep_alive=False)

    @call(2, weight=120_000_000)
    def force_transfer(self, ctx: Ctx, origin: Origin, source: AccountId, dest: AccountId, value: Balance) -> None:
        """Transfer from any account. Origin: root. Errors: as transfer_allow_death."""
        ensure_root(origin)
        self.do_transfer(ctx, source, dest, value, keep_alive=False)

    @call(3, weight=100_000_000)
    def transfer_keep_alive(self, ctx: Ctx, origin: Origin, dest: AccountId, value: Balance) -> None:
        """Transfer `value` rao to `dest`, refusing to reap the sender. Origin: signed.
        Events: Transfer (+ Endowed). Errors: InsufficientBalance, ExistentialDeposit, Expendability."""
        who = ensure_signed(origin)
        self.do_transfer(ctx, who, dest, value, keep_alive=True)

    @call(4, weight=120_000_000)
    def transfer_all(self, ctx: Ctx, origin: Origin, dest: AccountId, keep_alive: Bool) -> None:
        """Transfer all spendable free balance (less ED when `keep_alive`). Origin: signed."""
        who = ensure_signed(origin)
        info = self.accounts.get_account(ctx, who)
        value = info.free - info.frozen
        if keep_alive:
            value = max(0, value - max(0, self.ed - info.reserved))
        self.do_transfer(ctx, who, dest, value, keep_alive=False)

    @call(8, weight=60_000_000)
    def force_set_balance(self, ctx: Ctx, origin: Origin, who: AccountId, new_free: Balance) -> None:
        """Set `who`'s free balance; below ED it becomes 0 and the account may be reaped.
        Origin: root. Events: BalanceSet. Errors: Overflow."""
        ensure_root(origin)
        info = self.accounts.get_account(ctx, who)
        if new_free < self.ed:
            new_free = 0
        issuance = self.TotalIssuance.get(ctx.state) - info.free + new_free
        ensure(issuance <= U64_MAX, Error.Overflow)
        self._add_issuance(ctx, new_free - info.free)
        if info.free == 0 and info.reserved == 0 and new_free > 0:
            ctx.deposit_event(Endowed(who, new_free))
        self._set_free(ctx, who, info, new_free)
        ctx.deposit_event(BalanceSet(who, new_free))

    # --- invariants
    def try_state(self, ctx: Ctx) -> None:
        total = 0
        for who, info in self.accounts.iter_accounts(ctx):
            if info.free == 0 and info.reserved == 0:
                assert info.nonce > 0, f"account {who.hex()} holds nothing and has no nonce"
                continue  # a keyless hotkey's nonce record (fee-free calls)
            assert info.free + info.reserved >= self.ed, f"account {who.hex()} is below the existential deposit"
            total += info.free + info.reserved
        issuance = self.TotalIssuance.get(ctx.state)
        assert total == issuance, f"total issuance {issuance} != sum of balances {total}"
