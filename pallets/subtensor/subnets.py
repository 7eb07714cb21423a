"""Subnets: register_network (lock cost), start_call, dissolve_network, new-subnet hyperparameters.

Lock cost (`get_network_lock_cost`): `max(min_lock, last*m - (last // interval) * (now - last_block))`,
m = 2 once any subnet was registered: it doubles per registration and decays linearly. The lock
leaves the owner's balance and is held by the subnet (TotalLocked) until `dissolve_network`
returns it. When SubnetLimit subnets exist, registration fails (taochain does not prune subnets).
"""

from __future__ import annotations

from runtime.support.codec import U16, AccountId
from runtime.support.dispatch import Ctx, Origin, call, checked_add, ensure, ensure_root, ensure_signed

from .errors import Error
from .events import FirstEmissionBlockNumberSet, NetworkAdded, NetworkRemoved, NeuronRegistered
from .hyperparams import HYPERPARAMS
from .store import Store

MECHANISM = 1  # the only mechanism (subtensor's "dynamic" subnets)


class SubnetsMixin(Store):
    # ------------------------------------------------------------------ reads
    def subnet_exists(self, ctx: Ctx, netuid: int) -> bool:
        return bool(self.NetworksAdded.get(ctx.state, netuid))

    def netuids(self, ctx: Ctx) -> list[int]:
        """Existing netuids, ascending."""
        return [k for k, v in self.NetworksAdded.iter(ctx.state) if v]

    def lock_cost(self, ctx: Ctx) -> int:
        s = ctx.state
        min_lock = self.cfg.network_min_lock_cost
        last_block = self.NetworkLastLockBlock.get(s)
        last = self.NetworkLastLockCost.get(s) or min_lock
        mult = 1 if last_block == 0 else 2
        interval = max(1, self.cfg.network_lock_reduction_interval)
        reduction = (last // interval) * max(0, ctx.block_number - last_block)
        return max(min_lock, last * mult - reduction)

    def next_netuid(self, ctx: Ctx) -> int:
        used = {k for k, v in self.NetworksAdded.iter(ctx.state) if v}
        netuid = 1
        while netuid in used:
            netuid += 1
        return netuid

    def blocks_until_next_epoch(self, netuid: int, tempo: int, block: int) -> int:
        """Classic schedule: the epoch runs when (b + netuid + 1) % (tempo + 1) == tempo."""
        if tempo == 0:
            return (1 << 64) - 1
        return tempo - (block + netuid + 1) % (tempo + 1)

    def epoch_index(self, netuid: int, tempo: int, block: int) -> int:
        """Classic commit-reveal epoch: (b + netuid + 1) // (tempo + 1)."""
        return (block + netuid + 1) // (tempo + 1)

    def ensure_subnet_owner(self, ctx: Ctx, origin: Origin, netuid: int) -> bytes:
        who = ensure_signed(origin)
        ensure(self.SubnetOwner.get(ctx.state, netuid) == who, Error.NotSubnetOwner)
        return who

    # ------------------------------------------------------------------ new subnet
    def init_new_network(self, ctx: Ctx, netuid: int) -> None:
        s, d = ctx.state, self.cfg.subnet
        self.NetworksAdded.set(s, netuid, True)
        self.TotalNetworks.set(s, self.TotalNetworks.get(s) + 1)
        self.NetworkRegisteredAt.set(s, netuid, ctx.block_number)
        for h in HYPERPARAMS:
            getattr(self, h.item).set(s, netuid, getattr(d, h.spec_name))
        self.LastAdjustmentBlock.set(s, netuid, ctx.block_number)

    # ------------------------------------------------------------------ calls
    @call(59, weight=300_000_000)
    def register_network(self, ctx: Ctx, origin: Origin, hotkey: AccountId) -> None:
        """Create a subnet owned by the signing coldkey; `hotkey` becomes its uid 0. The lock cost
        (subnetInfo_getLockCost) leaves the coldkey's balance. Events: NetworkAdded,
        NeuronRegistered. Errors: NonAssociatedColdKey, NetworkTxRateLimitExceeded,
        SubnetLimitReached, CannotAffordLockCost."""
        cold = ensure_signed(origin)
        s = ctx.state
        self.ensure_hotkey_ownable(ctx, cold, hotkey)
        last = self.NetworkLastRegistered.get(s, cold)
        limit = self.cfg.network_rate_limit
        ensure(
            last == 0 or limit == 0 or ctx.block_number - last >= limit,
            Error.NetworkTxRateLimitExceeded,
            f"one subnet per {limit} blocks per coldkey; wait {last + limit - ctx.block_number} more",
        )
        ensure(self.TotalNetworks.get(s) < self.cfg.subnet_limit, Error.SubnetLimitReached)
        lock = self.lock_cost(ctx)
        ensure(
            self.currency.can_withdraw(ctx, cold, lock, keep_alive=False),
            Error.CannotAffordLockCost,
            f"the lock cost is {lock} rao",
        )
        netuid = self.next_netuid(ctx)
        self.currency.withdraw(ctx, cold, lock, keep_alive=False)
        self.SubnetLocked.set(s, netuid, lock)
        self.TotalLocked.set(s, checked_add(self.TotalLocked.get(s), lock))
        self.TotalIssuance.set(s, checked_add(self.TotalIssuance.get(s), lock))
        self.NetworkLastLockCost.set(s, lock)
        self.NetworkLastLockBlock.set(s, ctx.block_number)
        self.NetworkLastRegistered.set(s, cold, ctx.block_number)
        self.init_new_network(ctx, netuid)
        self.SubnetOwner.set(s, netuid, cold)
        self.SubnetOwnerHotkey.set(s, netuid, hotkey)
        self.create_account_if_non_existent(ctx, cold, hotkey)
        uid = self.append_neuron(ctx, netuid, hotkey)
        ctx.deposit_event(NetworkAdded(netuid, MECHANISM))
        ctx.deposit_event(NeuronRegistered(netuid, uid, hotkey))

    @call(92, weight=40_000_000)
    def start_call(self, ctx: Ctx, origin: Origin, netuid: U16) -> None:
        """Start the subnet's emission from the next block. Origin: the subnet owner.
        Events: FirstEmissionBlockNumberSet. Errors: SubnetNotExists, NotSubnetOwner,
        FirstEmissionBlockNumberAlreadySet, NeedWaitingMoreBlocksToStarCall."""
        ensure(self.subnet_exists(ctx, netuid), Error.SubnetNotExists)
        self.ensure_subnet_owner(ctx, origin, netuid)
        s = ctx.state
        ensure(self.FirstEmissionBlockNumber.get(s, netuid) is None, Error.FirstEmissionBlockNumberAlreadySet)
        ready = self.NetworkRegisteredAt.get(s, netuid) + self.cfg.start_call_delay
        ensure(
            ctx.block_number >= ready,
            Error.NeedWaitingMoreBlocksToStarCall,
            f"start_call is allowed from block {ready}",
        )
        first = ctx.block_number + 1
        self.FirstEmissionBlockNumber.set(s, netuid, first)
        self.SubtokenEnabled.set(s, netuid, True)
        ctx.deposit_event(FirstEmissionBlockNumberSet(netuid, first))

    @call(61, weight=1_000_000_000)  # measured worst case (256 uids): 0.56 ms
    def dissolve_network(self, ctx: Ctx, origin: Origin, coldkey: AccountId, netuid: U16) -> None:
        """Remove a subnet and return its lock to `coldkey` (its owner). Origin: root.
        Events: NetworkRemoved. Errors: BadOrigin, SubnetNotExists, NotSubnetOwner."""
        ensure_root(origin)
        s = ctx.state
        ensure(self.subnet_exists(ctx, netuid), Error.SubnetNotExists)
        ensure(self.SubnetOwner.get(s, netuid) == coldkey, Error.NotSubnetOwner)
        lock = self.SubnetLocked.get(s, netuid)
        n = self.SubnetworkN.get(s, netuid)
        for uid in range(n):
            hot = self.Keys.get(s, netuid, uid)
            if hot is not None:
                self.forget_hotkey(ctx, netuid, hot)
            self.Keys.remove(s, netuid, uid)
            self.Weights.remove(s, netuid, uid)
            self.Bonds.remove(s, netuid, uid)
        for item in self.NETUID_ITEMS:
            item.remove(s, netuid)
        for idx, _ in list(self.LastHyperparamUpdate.iter_prefix_values(s, netuid)):
            self.LastHyperparamUpdate.remove(s, netuid, idx)
        self.TotalNetworks.set(s, self.TotalNetworks.get(s) - 1)
        self.TotalLocked.set(s, self.TotalLocked.get(s) - lock)
        self.TotalIssuance.set(s, self.TotalIssuance.get(s) - lock)
        if lock:
            self.currency.deposit(ctx, coldkey, lock, event=False)
        ctx.deposit_event(NetworkRemoved(netuid))
