"""Staking (classic, 1:1): hotkey/coldkey ownership, stake per (hotkey, coldkey), delegates and take.

TAO staked leaves the coldkey's balance and is held as `Stake[hot][cold]`; totals per hotkey, per
coldkey and overall are kept with it. Emission lands as stake through `increase_stake`.
"""

from __future__ import annotations

from runtime.support.codec import U16, AccountId, Balance
from runtime.support.dispatch import Ctx, Origin, call, checked_add, ensure, ensure_signed

from .errors import Error
from .events import DelegateAdded, StakeAdded, StakeRemoved, TakeDecreased, TakeIncreased
from .store import Store


class StakingMixin(Store):
    # ------------------------------------------------------------------ keys
    def ensure_hotkey_ownable(self, ctx: Ctx, cold: bytes, hot: bytes) -> None:
        """The hotkey is new or already owned by `cold` (else NonAssociatedColdKey)."""
        owner = self.Owner.get(ctx.state, hot)
        ensure(owner is None or owner == cold, Error.NonAssociatedColdKey, "the hotkey belongs to another coldkey")

    def create_account_if_non_existent(self, ctx: Ctx, cold: bytes, hot: bytes) -> None:
        s = ctx.state
        if self.Owner.get(s, hot) is None:
            self.Owner.set(s, hot, cold)
            owned = self.OwnedHotkeys.get(s, cold)
            if hot not in owned:
                self.OwnedHotkeys.set(s, cold, (*owned, hot))

    # ------------------------------------------------------------------ stake bookkeeping
    def increase_stake(self, ctx: Ctx, hot: bytes, cold: bytes, amount: int) -> None:
        """Add `amount` rao of stake (it joins the TAO supply: the caller took it from a balance,
        which the supply already lost, or mints it as emission)."""
        if amount:
            self.increase_stakes(ctx, {(hot, cold): amount})

    def increase_stakes(self, ctx: Ctx, amounts: dict[tuple[bytes, bytes], int]) -> None:
        """`increase_stake` for many (hotkey, coldkey) pairs at once (epoch payouts): each stored
        total is read and written once."""
        s = ctx.state
        per_hot: dict[bytes, int] = {}
        total = 0
        for (hot, cold), amount in amounts.items():
            cur = self.Stake.get(s, hot, cold)
            self.Stake.set(s, hot, cold, checked_add(cur, amount))
            if cur == 0:
                staking = self.StakingHotkeys.get(s, cold)
                if hot not in staking:
                    self.StakingHotkeys.set(s, cold, (*staking, hot))
            per_hot[hot] = per_hot.get(hot, 0) + amount
            total += amount
        for hot, amount in per_hot.items():
            self.TotalHotkeyStake.set(s, hot, checked_add(self.TotalHotkeyStake.get(s, hot), amount))
        if total:
            self.TotalStake.set(s, checked_add(self.TotalStake.get(s), total))
            self.TotalIssuance.set(s, checked_add(self.TotalIssuance.get(s), total))

    def decrease_stake(self, ctx: Ctx, hot: bytes, cold: bytes, amount: int) -> None:
        s = ctx.state
        cur = self.Stake.get(s, hot, cold)
        ensure(amount <= cur, Error.NotEnoughStakeToWithdraw)
        if cur == amount:
            self.Stake.remove(s, hot, cold)
            staking = self.StakingHotkeys.get(s, cold)
            self.StakingHotkeys.set(s, cold, tuple(h for h in staking if h != hot))
        else:
            self.Stake.set(s, hot, cold, cur - amount)
        self.TotalHotkeyStake.set(s, hot, self.TotalHotkeyStake.get(s, hot) - amount)
        self.TotalStake.set(s, self.TotalStake.get(s) - amount)
        self.TotalIssuance.set(s, self.TotalIssuance.get(s) - amount)

    def coldkey_stake(self, ctx: Ctx, cold: bytes) -> int:
        """All stake of a coldkey (over the hotkeys it stakes on)."""
        return sum(self.Stake.get(ctx.state, hot, cold) for hot in self.StakingHotkeys.get(ctx.state, cold))

    def nominators(self, ctx: Ctx, hot: bytes) -> list[tuple[bytes, int]]:
        """(coldkey, stake) on a hotkey, in storage-key order."""
        return list(self.Stake.iter_prefix_values(ctx.state, hot))

    def hotkey_take(self, ctx: Ctx, hot: bytes) -> int:
        take = self.Delegates.get(ctx.state, hot)
        return self.cfg.default_take if take is None else take

    # ------------------------------------------------------------------ calls
    @call(2, weight=120_000_000)
    def add_stake(self, ctx: Ctx, origin: Origin, hotkey: AccountId, amount: Balance) -> None:
        """Stake `amount` rao of the coldkey's free balance on `hotkey`. Origin: the coldkey.
        Events: StakeAdded. Errors: AmountTooLow, NotEnoughBalanceToStake, HotKeyAccountNotExists,
        HotKeyNotDelegateAndSignerNotOwnHotKey."""
        cold = ensure_signed(origin)
        ensure(amount >= self.cfg.min_stake, Error.AmountTooLow, f"the minimum stake is {self.cfg.min_stake} rao")
        ensure(self.currency.can_withdraw(ctx, cold, amount, keep_alive=False), Error.NotEnoughBalanceToStake)
        owner = self.Owner.get(ctx.state, hotkey)
        ensure(owner is not None, Error.HotKeyAccountNotExists, "register the hotkey on a subnet first")
        ensure(
            owner == cold or self.Delegates.get(ctx.state, hotkey) is not None,
            Error.HotKeyNotDelegateAndSignerNotOwnHotKey,
        )
        self.currency.withdraw(ctx, cold, amount, keep_alive=False)
        self.increase_stake(ctx, hotkey, cold, amount)
        ctx.deposit_event(StakeAdded(cold, hotkey, amount))

    @call(3, weight=110_000_000)
    def remove_stake(self, ctx: Ctx, origin: Origin, hotkey: AccountId, amount: Balance) -> None:
        """Unstake `amount` rao from `hotkey` back to the coldkey's balance. Origin: the coldkey.
        Events: StakeRemoved. Errors: AmountTooLow, HotKeyAccountNotExists, NotEnoughStakeToWithdraw."""
        cold = ensure_signed(origin)
        ensure(amount >= self.cfg.min_stake, Error.AmountTooLow, f"the minimum is {self.cfg.min_stake} rao")
        ensure(self.Owner.get(ctx.state, hotkey) is not None, Error.HotKeyAccountNotExists)
        ensure(amount <= self.Stake.get(ctx.state, hotkey, cold), Error.NotEnoughStakeToWithdraw)
        self.decrease_stake(ctx, hotkey, cold, amount)
        self.currency.deposit(ctx, cold, amount, event=False)
        ctx.deposit_event(StakeRemoved(cold, hotkey, amount))

    @call(1, weight=80_000_000)
    def become_delegate(self, ctx: Ctx, origin: Origin, hotkey: AccountId) -> None:
        """Let others stake on `hotkey`; its owner keeps the default take (18%) of its dividends.
        Origin: the owning coldkey. Events: DelegateAdded. Errors: HotKeyAccountNotExists,
        NonAssociatedColdKey, HotKeyAlreadyDelegate."""
        cold = ensure_signed(origin)
        owner = self.Owner.get(ctx.state, hotkey)
        ensure(owner is not None, Error.HotKeyAccountNotExists)
        ensure(owner == cold, Error.NonAssociatedColdKey)
        ensure(self.Delegates.get(ctx.state, hotkey) is None, Error.HotKeyAlreadyDelegate)
        take = self.cfg.default_take
        self.Delegates.set(ctx.state, hotkey, take)
        self.LastTxBlockDelegateTake.set(ctx.state, hotkey, ctx.block_number)
        ctx.deposit_event(DelegateAdded(cold, hotkey, take))

    def _take_checks(self, ctx: Ctx, origin: Origin, hotkey: bytes) -> tuple[bytes, int]:
        cold = ensure_signed(origin)
        owner = self.Owner.get(ctx.state, hotkey)
        ensure(owner is not None, Error.HotKeyAccountNotExists)
        ensure(owner == cold, Error.NonAssociatedColdKey)
        return cold, self.hotkey_take(ctx, hotkey)

    @call(65, weight=60_000_000)
    def decrease_take(self, ctx: Ctx, origin: Origin, hotkey: AccountId, take: U16) -> None:
        """Lower the hotkey's delegate take (u16 proportion). Origin: the owning coldkey.
        Errors: HotKeyAccountNotExists, NonAssociatedColdKey, DelegateTakeTooLow."""
        cold, cur = self._take_checks(ctx, origin, hotkey)
        ensure(take < cur and take >= self.cfg.min_delegate_take, Error.DelegateTakeTooLow)
        self.Delegates.set(ctx.state, hotkey, take)
        ctx.deposit_event(TakeDecreased(cold, hotkey, take))

    @call(66, weight=60_000_000)
    def increase_take(self, ctx: Ctx, origin: Origin, hotkey: AccountId, take: U16) -> None:
        """Raise the hotkey's delegate take, at most every TxDelegateTakeRateLimit blocks.
        Errors: HotKeyAccountNotExists, NonAssociatedColdKey, DelegateTakeTooLow,
        DelegateTakeTooHigh, DelegateTxRateLimitExceeded."""
        cold, cur = self._take_checks(ctx, origin, hotkey)
        ensure(take > cur, Error.DelegateTakeTooLow, "the new take must be above the current one")
        ensure(take <= self.cfg.max_delegate_take, Error.DelegateTakeTooHigh)
        last = self.LastTxBlockDelegateTake.get(ctx.state, hotkey)
        ensure(
            last == 0 or ctx.block_number - last >= self.cfg.tx_delegate_take_rate_limit,
            Error.DelegateTxRateLimitExceeded,
        )
        self.Delegates.set(ctx.state, hotkey, take)
        self.LastTxBlockDelegateTake.set(ctx.state, hotkey, ctx.block_number)
        ctx.deposit_event(TakeIncreased(cold, hotkey, take))
