"""SubtensorModule (index 7): subnets, registration, staking, weights with commit-reveal, emission.

One pallet, as on the real chain (calls, errors and events share SubtensorModule's indices, so the
SDK finds them where it expects), composed from one module per concern:

- `subnets`: register_network (59), start_call (92), dissolve_network (61, root)
- `registration`: register (6, PoW), burned_register (7), uid pruning, burn/difficulty adjustment
- `staking`: become_delegate (1), add_stake (2), remove_stake (3), decrease_take (65), increase_take (66)
- `weights`: set_weights (0), serve_axon (4), commit_weights (96), reveal_weights (97),
  batch_reveal_weights (98), batch_commit_weights (100), commit_timelocked_weights (113) and the
  timelocked reveal every block (decrypted with the Drand pallet's pulses)
- `emission`: per-block accrual and the batched Yuma epochs (in `on_initialize`)

Other pallets come in through narrow interfaces: `Currency` (balances) and `BlockHashes` (system).
The TAO supply `TotalIssuance` follows Balances' issuance (its observer) plus stake and locks;
`try_state` checks that it equals free + reserved + staked + locked and every stored total.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from runtime.support.dispatch import Ctx, DispatchError, Pallet, SystemError_, ensure
from runtime.support.storage import StorageMap
from runtime.yuma.batch import EpochArrays, EpochArraysOutput

from .config import SubnetDefaults, SubtensorConfig
from .emission import EmissionMixin
from .errors import Error
from .events import EVENTS
from .hyperparams import BY_ITEM
from .registration import RegistrationMixin
from .staking import StakingMixin
from .store import Store
from .subnets import SubnetsMixin
from .weights import WeightsMixin

__all__ = ["Error", "SubnetDefaults", "SubtensorConfig", "SubtensorModule"]


class Currency(Protocol):
    def can_withdraw(self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool) -> bool: ...

    def withdraw(self, ctx: Ctx, who: bytes, amount: int, keep_alive: bool, event: bool = True) -> None: ...

    def deposit(self, ctx: Ctx, who: bytes, amount: int, event: bool = True) -> bool: ...

    def free_balance(self, ctx: Ctx, who: bytes) -> int: ...

    def total_issuance(self, ctx: Ctx) -> int: ...


class Beacon(Protocol):
    """What the Drand pallet offers: stored pulses and the BLS backend that opens timelocks."""

    bls: Any

    def pulse_signature(self, ctx: Ctx, round_: int) -> bytes | None: ...

    def last_stored_round(self, ctx: Ctx) -> int: ...


class BlockHashes(Protocol):
    def block_hash(self, ctx: Ctx, number: int) -> bytes | None: ...


YumaRunner = Callable[[list[EpochArrays]], list[EpochArraysOutput]]


class SubtensorModule(SubnetsMixin, RegistrationMixin, StakingMixin, WeightsMixin, EmissionMixin, Pallet):
    NAME = "SubtensorModule"
    INDEX = 7
    Error = Error
    EVENTS = EVENTS

    # every item keyed by netuid alone (cleared by dissolve_network)
    NETUID_ITEMS: tuple[StorageMap, ...] = tuple(
        v for v in Store.__dict__.values() if isinstance(v, StorageMap) and v.hasher_name == "Identity"
    )

    def __init__(
        self,
        currency: Currency,
        block_hashes: BlockHashes,
        run_yuma: YumaRunner,
        cfg: SubtensorConfig,
        beacon: Beacon,
    ) -> None:
        self.currency = currency
        self.beacon = beacon
        self.block_hashes = block_hashes
        self.run_yuma = run_yuma
        self.cfg = cfg

    # --- genesis
    def genesis(self, ctx: Ctx) -> None:
        s = ctx.state
        self.TotalIssuance.set(s, self.currency.total_issuance(ctx))
        self.StakeThreshold.set(s, self.cfg.stake_threshold)

    def on_balances_issuance(self, ctx: Ctx, delta: int) -> None:
        """Balances' issuance moved (fees, burns, stake in or out): the TAO supply moves with it."""
        self.TotalIssuance.set(ctx.state, self.TotalIssuance.get(ctx.state) + delta)

    # --- what AdminUtils may do (its `Subnets` interface)
    def hyperparam(self, ctx: Ctx, item: str, netuid: int) -> Any:
        """A hyperparameter's stored value by storage item (only the table's items)."""
        return getattr(self, BY_ITEM[item].item).get(ctx.state, netuid)

    def set_hyperparam(self, ctx: Ctx, item: str, netuid: int, value: Any) -> None:
        getattr(self, BY_ITEM[item].item).set(ctx.state, netuid, value)

    def subnetwork_n(self, ctx: Ctx, netuid: int) -> int:
        return self.SubnetworkN.get(ctx.state, netuid)

    def ensure_owner_may_set(self, ctx: Ctx, who: bytes | None, netuid: int, index: int, rate_limited: bool) -> None:
        """A subnet owner's hyperparameter change: BadOrigin unless `who` owns the subnet; then the
        per-parameter rate limit (TxRateLimitExceeded) and the freeze window before the epoch."""
        s, now = ctx.state, ctx.block_number
        owner = self.SubnetOwner.get(s, netuid)
        if who is None or owner is None or who != owner:
            raise DispatchError.of(SystemError_.BadOrigin, "only root or the subnet owner may set this")
        tempo = self.Tempo.get(s, netuid)
        last = self.LastHyperparamUpdate.get(s, netuid, index)
        limit = self.cfg.owner_hyperparam_rate_limit * tempo
        ensure(
            not rate_limited or last == 0 or now - last >= limit,
            Error.TxRateLimitExceeded,
            f"owners may change this every {limit} blocks; next at block {last + limit}",
        )
        window = self.cfg.admin_freeze_window
        ensure(
            window == 0 or self.blocks_until_next_epoch(netuid, tempo, now) >= window,
            Error.AdminActionProhibitedDuringWeightsWindow,
            f"refused in the last {window} blocks before the epoch",
        )

    def note_owner_update(self, ctx: Ctx, netuid: int, index: int) -> None:
        self.LastHyperparamUpdate.set(ctx.state, netuid, index, ctx.block_number)

    def check_reveal_period(self, value: int) -> None:
        ensure(value >= 1, Error.RevealPeriodTooSmall)
        ensure(value <= 100, Error.RevealPeriodTooLarge)

    def set_stake_threshold(self, ctx: Ctx, value: int) -> None:
        self.StakeThreshold.set(ctx.state, value)

    def set_emission_share(self, ctx: Ctx, netuid: int, share: int) -> None:
        self.EmissionShare.set(ctx.state, netuid, share)

    # --- hooks
    def on_initialize(self, ctx: Ctx) -> None:
        netuids = self.netuids(ctx)
        if not netuids:
            return
        self.registration_block_step(ctx, netuids)
        self.accrue_pending(ctx, netuids)
        self.reveal_timelocked_commits(ctx, netuids)
        self.run_due_epochs(ctx, netuids)

    # --- invariants
    def try_state(self, ctx: Ctx) -> None:
        s = ctx.state
        staked = self.TotalStake.get(s)
        locked = self.TotalLocked.get(s)
        issuance = self.TotalIssuance.get(s)
        free = self.currency.total_issuance(ctx)
        assert issuance == free + staked + locked, (
            f"TAO supply {issuance} != free+reserved {free} + staked {staked} + locked {locked}"
        )
        per_hot: dict[bytes, int] = {}
        per_cold: dict[bytes, int] = {}
        total = 0
        for hot, owner in self.Owner.iter(s):
            assert owner is not None
            for cold, amount in self.Stake.iter_prefix_values(s, hot):
                assert amount > 0, "a zero stake entry is stored"
                per_hot[hot] = per_hot.get(hot, 0) + amount
                per_cold[cold] = per_cold.get(cold, 0) + amount
                total += amount
        assert total == staked, f"sum of stake entries {total} != TotalStake {staked}"
        for hot, amount in self.TotalHotkeyStake.iter(s):
            assert per_hot.get(hot, 0) == amount, f"TotalHotkeyStake of {hot.hex()} is {amount}"
        for cold, amount in per_cold.items():
            assert self.coldkey_stake(ctx, cold) == amount, f"StakingHotkeys of {cold.hex()} miss some stake"
        netuids = self.netuids(ctx)
        assert self.TotalNetworks.get(s) == len(netuids), "TotalNetworks != number of subnets"
        assert sum(self.SubnetLocked.get(s, n) for n in netuids) == locked, "TotalLocked != sum of locks"
        for netuid in netuids:
            n = self.SubnetworkN.get(s, netuid)
            assert n <= self.MaxAllowedUids.get(s, netuid), f"subnet {netuid} has more uids than allowed"
            for item, _ in self.neuron_vectors(0):
                assert len(item.get(s, netuid)) == n, f"{item.name}[{netuid}] has not {n} entries"
            for uid in range(n):
                hot = self.Keys.get(s, netuid, uid)
                assert hot is not None and self.Uids.get(s, netuid, hot) == uid, f"uid {uid} of {netuid}"
                assert self.IsNetworkMember.get(s, hot, netuid)
