"""Registration: burned_register, proof-of-work register, uid assignment and pruning, and the classic
per-interval adjustment of burn and difficulty.

PoW seal (classic `create_seal_hash`): keccak256(sha256(u64le(nonce) ++ keccak256(block_hash ++
hotkey))); it meets difficulty d when int(seal, big-endian) * d < 2^256 (`U256::from(&[u8])` reads
big-endian). Unlike subtensor, which stored UsedWork without reading it, a used seal is refused.
"""

from __future__ import annotations

import numpy as np

from runtime.support.codec import U16, U64, AccountId, Hash
from runtime.support.dispatch import Ctx, Origin, call, ensure, ensure_signed
from runtime.support.hashing import seal_hash, seal_meets_difficulty

from .errors import Error
from .events import NeuronRegistered, RegistrationTermsAdjusted
from .store import Store

U64_MAX = (1 << 64) - 1


class RegistrationMixin(Store):
    # ------------------------------------------------------------------ neurons
    def append_neuron(self, ctx: Ctx, netuid: int, hot: bytes) -> int:
        s, now = ctx.state, ctx.block_number
        uid = self.SubnetworkN.get(s, netuid)
        self.Keys.set(s, netuid, uid, hot)
        self.Uids.set(s, netuid, hot, uid)
        self.IsNetworkMember.set(s, hot, netuid, True)
        for item, value in self.neuron_vectors(now):
            item.set(s, netuid, (*item.get(s, netuid), value))
        self.SubnetworkN.set(s, netuid, uid + 1)
        return uid

    def neuron_vectors(self, now: int):
        """(vector item, value for a new neuron) of every per-uid vector."""
        return (
            (self.BlockAtRegistration, now),
            (self.LastUpdate, now),
            (self.Active, True),
            (self.Emission, 0),
            (self.Incentive, 0),
            (self.Consensus, 0),
            (self.Dividends, 0),
            (self.ValidatorTrust, 0),
            (self.ValidatorPermit, False),
            (self.StakeWeight, 0),
        )

    def forget_hotkey(self, ctx: Ctx, netuid: int, hot: bytes) -> None:
        """Remove what the subnet keeps about a hotkey that leaves it (pruned, or the subnet dissolved)."""
        s = ctx.state
        self.Uids.remove(s, netuid, hot)
        self.IsNetworkMember.remove(s, hot, netuid)
        self.Axons.remove(s, netuid, hot)
        self.WeightCommits.remove(s, netuid, hot)

    def replace_neuron(self, ctx: Ctx, netuid: int, uid: int, hot: bytes) -> None:
        s, now = ctx.state, ctx.block_number
        old = self.Keys.get(s, netuid, uid)
        if old is not None:
            self.forget_hotkey(ctx, netuid, old)
        self.Keys.set(s, netuid, uid, hot)
        self.Uids.set(s, netuid, hot, uid)
        self.IsNetworkMember.set(s, hot, netuid, True)
        for item, value in self.neuron_vectors(now):
            vec = list(item.get(s, netuid))
            vec[uid] = value
            item.set(s, netuid, tuple(vec))
        self.Weights.remove(s, netuid, uid)
        self.Bonds.remove(s, netuid, uid)
        # weights others set on the pruned uid no longer count
        for row_uid, row in list(self.Weights.iter_prefix_values(s, netuid)):
            zeroed = zero_pair(row, uid)
            if zeroed != row:
                self.Weights.set(s, netuid, row_uid, zeroed)

    def neuron_to_prune(self, ctx: Ctx, netuid: int) -> int | None:
        """Lowest emission, then earliest registration, then lowest uid, among the neurons that are
        not immune and not protected as the owner's (the owner hotkey and the newest
        ImmuneOwnerUidsLimit other hotkeys of the owner coldkey). None if every neuron is kept."""
        s, now = ctx.state, ctx.block_number
        n = self.SubnetworkN.get(s, netuid)
        emission = self.Emission.get(s, netuid)
        registered = self.BlockAtRegistration.get(s, netuid)
        immunity = self.ImmunityPeriod.get(s, netuid)
        owner_cold = self.SubnetOwner.get(s, netuid)
        owner_hot = self.SubnetOwnerHotkey.get(s, netuid)
        keys = [self.Keys.get(s, netuid, uid) for uid in range(n)]
        protected = {uid for uid in range(n) if keys[uid] == owner_hot}
        owned = [uid for uid in range(n) if uid not in protected and self.Owner.get(s, keys[uid]) == owner_cold]
        owned.sort(key=lambda uid: (-registered[uid], -uid))
        protected.update(owned[: self.cfg.immune_owner_uids_limit])
        candidates = [
            uid for uid in range(n) if uid not in protected and now - registered[uid] >= immunity
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda uid: (emission[uid], registered[uid], uid))

    def uid_for_registration(self, ctx: Ctx, netuid: int) -> tuple[int, bool]:
        """(uid, replaces) for a new neuron; NoNeuronIdAvailable when full and all are kept."""
        s = ctx.state
        n, max_n = self.SubnetworkN.get(s, netuid), self.MaxAllowedUids.get(s, netuid)
        ensure(max_n > 0, Error.NoNeuronIdAvailable, "the subnet allows no uids")
        if n < max_n:
            return n, False
        uid = self.neuron_to_prune(ctx, netuid)
        ensure(uid is not None, Error.NoNeuronIdAvailable, "the subnet is full and every neuron is immune")
        return uid, True  # type: ignore[return-value]

    def register_neuron(self, ctx: Ctx, netuid: int, hot: bytes, uid: int, replaces: bool) -> None:
        if replaces:
            self.replace_neuron(ctx, netuid, uid, hot)
        else:
            self.append_neuron(ctx, netuid, hot)

    def _common_registration_checks(self, ctx: Ctx, netuid: int) -> None:
        s = ctx.state
        ensure(netuid != 0, Error.RegistrationNotPermittedOnRootSubnet)
        ensure(self.subnet_exists(ctx, netuid), Error.SubnetNotExists, f"there is no subnet {netuid}")
        ensure(self.NetworkRegistrationAllowed.get(s, netuid), Error.SubNetRegistrationDisabled)

    def _rate_checks(self, ctx: Ctx, netuid: int, hotkey: bytes) -> None:
        s = ctx.state
        ensure(
            self.RegistrationsThisBlock.get(s, netuid) < self.MaxRegistrationsPerBlock.get(s, netuid),
            Error.TooManyRegistrationsThisBlock,
            "try again in the next block",
        )
        ensure(
            self.RegistrationsThisInterval.get(s, netuid) < 3 * self.TargetRegistrationsPerInterval.get(s, netuid),
            Error.TooManyRegistrationsThisInterval,
            "wait for the next adjustment interval",
        )
        ensure(self.Uids.get(s, netuid, hotkey) is None, Error.HotKeyAlreadyRegisteredInSubNet)

    def _count_registration(self, ctx: Ctx, netuid: int, pow_: bool) -> None:
        s = ctx.state
        for item in (self.RegistrationsThisBlock, self.RegistrationsThisInterval):
            item.set(s, netuid, item.get(s, netuid) + 1)
        item = self.POWRegistrationsThisInterval if pow_ else self.BurnRegistrationsThisInterval
        item.set(s, netuid, item.get(s, netuid) + 1)

    # ------------------------------------------------------------------ calls
    @call(7, weight=1_000_000_000)  # measured worst case (full, 256 uids): 0.68 ms
    def burned_register(self, ctx: Ctx, origin: Origin, netuid: U16, hotkey: AccountId) -> None:
        """Register `hotkey` on `netuid`, burning the subnet's current burn from the coldkey.
        Origin: the coldkey. Events: NeuronRegistered. Errors (in order):
        RegistrationNotPermittedOnRootSubnet, SubnetNotExists, SubNetRegistrationDisabled,
        TooManyRegistrationsThisBlock, TooManyRegistrationsThisInterval,
        HotKeyAlreadyRegisteredInSubNet, NotEnoughBalanceToStake, NonAssociatedColdKey,
        NoNeuronIdAvailable."""
        cold = ensure_signed(origin)
        self._common_registration_checks(ctx, netuid)
        self._rate_checks(ctx, netuid, hotkey)
        burn = self.Burn.get(ctx.state, netuid)
        ensure(
            self.currency.can_withdraw(ctx, cold, burn, keep_alive=False),
            Error.NotEnoughBalanceToStake,
            f"the burn is {burn} rao",
        )
        self.ensure_hotkey_ownable(ctx, cold, hotkey)
        uid, replaces = self.uid_for_registration(ctx, netuid)
        if burn:
            self.currency.withdraw(ctx, cold, burn, keep_alive=False)
        self.create_account_if_non_existent(ctx, cold, hotkey)
        self.register_neuron(ctx, netuid, hotkey, uid, replaces)
        self._count_registration(ctx, netuid, pow_=False)
        ctx.deposit_event(NeuronRegistered(netuid, uid, hotkey))

    @call(6, weight=1_000_000_000, pays_fee=False)  # as burned_register, plus the seal
    def register(
        self,
        ctx: Ctx,
        origin: Origin,
        netuid: U16,
        block_number: U64,
        nonce: U64,
        work: Hash,
        hotkey: AccountId,
        coldkey: AccountId,
    ) -> None:
        """Proof-of-work registration of `hotkey` (owned by `coldkey`): `work` is the seal over the
        hash of block `block_number` (one of the last 3) meeting the subnet's difficulty. Origin:
        the hotkey; free. Events: NeuronRegistered. Errors (in order): TransactorAccountShouldBeHotKey,
        RegistrationNotPermittedOnRootSubnet, SubnetNotExists, SubNetRegistrationDisabled,
        TooManyRegistrationsThisBlock, TooManyRegistrationsThisInterval,
        HotKeyAlreadyRegisteredInSubNet, InvalidWorkBlock, WorkAlreadyUsed, InvalidDifficulty,
        InvalidSeal, NonAssociatedColdKey, NoNeuronIdAvailable."""
        signer = ensure_signed(origin)
        ensure(signer == hotkey, Error.TransactorAccountShouldBeHotKey, "sign PoW registration with the hotkey")
        s, now = ctx.state, ctx.block_number
        self._common_registration_checks(ctx, netuid)
        ensure(self.NetworkPowRegistrationAllowed.get(s, netuid), Error.SubNetRegistrationDisabled, "PoW is off")
        self._rate_checks(ctx, netuid, hotkey)
        ensure(
            block_number <= now and now - block_number < self.cfg.pow_work_window,
            Error.InvalidWorkBlock,
            f"solve over one of the last {self.cfg.pow_work_window} blocks",
        )
        ensure(self.UsedWork.get(s, work) is None, Error.WorkAlreadyUsed)
        ensure(seal_meets_difficulty(work, self.Difficulty.get(s, netuid)), Error.InvalidDifficulty)
        block_hash = self.block_hashes.block_hash(ctx, block_number) or b""
        ensure(seal_hash(block_hash, hotkey, nonce) == work, Error.InvalidSeal)
        self.ensure_hotkey_ownable(ctx, coldkey, hotkey)
        uid, replaces = self.uid_for_registration(ctx, netuid)
        self.UsedWork.set(s, work, now)
        self.create_account_if_non_existent(ctx, coldkey, hotkey)
        self.register_neuron(ctx, netuid, hotkey, uid, replaces)
        self._count_registration(ctx, netuid, pow_=True)
        ctx.deposit_event(NeuronRegistered(netuid, uid, hotkey))

    # ------------------------------------------------------------------ per-block terms
    def registration_block_step(self, ctx: Ctx, netuids: list[int]) -> None:
        """Reset per-block counters; at each AdjustmentInterval move burn and difficulty toward
        TargetRegistrationsPerInterval (classic `adjust_registration_terms_for_networks`)."""
        s, now = ctx.state, ctx.block_number
        for netuid in netuids:
            if self.RegistrationsThisBlock.get(s, netuid):
                self.RegistrationsThisBlock.remove(s, netuid)
            interval = self.AdjustmentInterval.get(s, netuid)
            if interval == 0 or now - self.LastAdjustmentBlock.get(s, netuid) < interval:
                continue
            regs = self.RegistrationsThisInterval.get(s, netuid)
            pow_regs = self.POWRegistrationsThisInterval.get(s, netuid)
            burn_regs = self.BurnRegistrationsThisInterval.get(s, netuid)
            target = self.TargetRegistrationsPerInterval.get(s, netuid)
            alpha = self.AdjustmentAlpha.get(s, netuid)
            burn, diff = self.Burn.get(s, netuid), self.Difficulty.get(s, netuid)
            new_burn = _clamp(
                _adjusted(burn, regs, target, alpha), self.MinBurn.get(s, netuid), self.MaxBurn.get(s, netuid)
            )
            new_diff = _clamp(
                _adjusted(diff, regs, target, alpha),
                self.MinDifficulty.get(s, netuid),
                self.MaxDifficulty.get(s, netuid),
            )
            if regs > target:  # too many: raise the price of the way most used
                set_diff, set_burn = pow_regs >= burn_regs, burn_regs >= pow_regs
            else:  # too few: lower the price of the way least used
                set_burn, set_diff = pow_regs >= burn_regs, burn_regs >= pow_regs
            if set_burn:
                self.Burn.set(s, netuid, new_burn)
            if set_diff:
                self.Difficulty.set(s, netuid, new_diff)
            for item in (
                self.RegistrationsThisInterval,
                self.POWRegistrationsThisInterval,
                self.BurnRegistrationsThisInterval,
            ):
                item.remove(s, netuid)
            self.LastAdjustmentBlock.set(s, netuid, now)
            ctx.deposit_event(
                RegistrationTermsAdjusted(netuid, self.Burn.get(s, netuid), self.Difficulty.get(s, netuid))
            )


def _adjusted(current: int, regs: int, target: int, alpha: int) -> int:
    """a*cur + (1-a)*cur*(regs+target)/(2*target), a = alpha / u64::MAX, floored (exact rationals)."""
    if target == 0:
        return current
    num = alpha * current * 2 * target + (U64_MAX - alpha) * current * (regs + target)
    return num // (U64_MAX * 2 * target)


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, v))


def zero_pair(row: bytes, uid: int) -> bytes:
    """A packed (uid, value) row with the value for `uid` set to 0 (the row itself if absent)."""
    pairs = np.frombuffer(row, dtype="<u2").reshape(-1, 2)
    hit = pairs[:, 0] == uid
    if not hit.any():
        return row
    out = pairs.copy()
    out[hit, 1] = 0
    return out.tobytes()
