"""Transaction payment pallet (index 6): fees.

fee = base + length * per-byte + weight // weight-per-rao, plus the tip (multiplier fixed at 1, as
subtensor). Charged before dispatch (the sender is kept alive), kept when the call fails, paid to the
block author (collected over the block and paid when it is finalized). Calls declared `pays_fee=False` cost nothing (but their tip).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from runtime.support.codec import AccountId, Balance, wire
from runtime.support.dispatch import Ctx, Pallet

EXTRINSIC_BASE_WEIGHT = 125_000_000  # ref-time units every extrinsic costs
LENGTH_FEE_PER_BYTE = 1  # rao
WEIGHT_PER_RAO = 2_000  # 0.0005 rao per weight unit (subtensor's LinearWeightToFee)


class Currency(Protocol):
    def can_withdraw(self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool) -> bool: ...

    def withdraw(
        self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool, event: bool = True, bump_nonce: bool = False
    ) -> None: ...

    def deposit(self, ctx: Ctx, who: bytes, amount: int, event: bool = True) -> bool: ...


@wire
class TransactionFeePaid:
    """A fee (incl. tip) was paid by `who`."""

    who: AccountId
    actual_fee: Balance
    tip: Balance


@dataclasses.dataclass(frozen=True, slots=True)
class FeeDetails:
    base: int
    length: int
    weight: int
    tip: int

    @property
    def total(self) -> int:
        return self.base + self.length + self.weight + self.tip


class TransactionPayment(Pallet):
    NAME = "TransactionPayment"
    INDEX = 6
    EVENTS = (TransactionFeePaid,)

    def __init__(self, currency: Currency) -> None:
        self.currency = currency

    def compute_fee(self, length: int, weight: int, tip: int, pays_fee: bool) -> FeeDetails:
        if not pays_fee:
            return FeeDetails(0, 0, 0, tip)
        return FeeDetails(
            EXTRINSIC_BASE_WEIGHT // WEIGHT_PER_RAO, length * LENGTH_FEE_PER_BYTE, weight // WEIGHT_PER_RAO, tip
        )

    def can_pay(self, ctx: Ctx, who: bytes, fee: int) -> bool:
        return fee == 0 or self.currency.can_withdraw(ctx, who, fee, keep_alive=True)

    def charge(self, ctx: Ctx, who: bytes, fee: int, bump_nonce: bool = False) -> None:
        """Withdraw the fee (keeping the account alive); optionally bump the nonce in the same write."""
        self.currency.withdraw(ctx, who, fee, keep_alive=True, event=False, bump_nonce=bump_nonce)

    def note_paid(self, ctx: Ctx, who: bytes, fee: FeeDetails) -> None:
        ctx.deposit_event(TransactionFeePaid(who, fee.total, fee.tip))

    def pay_author(self, ctx: Ctx, author: bytes | None, total: int) -> None:
        """Pay the block's collected fees to its author (once, when the block is finalized).
        A total too small to create a missing author account is burnt (Substrate's behaviour)."""
        if total and author is not None:
            self.currency.deposit(ctx, author, total, event=False)
