"""Chain-level constants of SubtensorModule and the hyperparameters a new subnet starts with.

`SubtensorConfig()` holds subtensor's production values (spec/subtensor.md §1a, the "new subnet"
column and the runtime's `SubtensorInitial*` constants, classic PoW/burn adjustment). The `dev`
and `local` presets use `SubtensorConfig.fast()`: tempo 10 and relaxed rate limits and costs, so a
script can create a subnet, register and set weights in seconds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runtime.support.codec import U16

from .hyperparams import HYPERPARAMS, TAO, U64_MAX

# The hyperparameters `init_new_network` gives a new subnet: one field per hyperparams.HYPERPARAMS
# entry (its `spec_name`), defaulting to the entry's production `initial` value.
SubnetDefaults = dataclasses.make_dataclass(
    "SubnetDefaults",
    [(h.spec_name, type(h.initial), dataclasses.field(default=h.initial)) for h in HYPERPARAMS],
    frozen=True,
    slots=True,
)
SubnetDefaults.__module__ = __name__
SubnetDefaults.__doc__ = "The hyperparameters `init_new_network` gives a new subnet."


@dataclasses.dataclass(frozen=True, slots=True)
class SubtensorConfig:
    """Global constants; `subnet` is what each new subnet starts with."""

    subnet: SubnetDefaults = SubnetDefaults()
    block_emission: int = 1 * TAO  # rao per block before halvings
    max_supply: int = 21_000_000 * TAO
    subnet_owner_cut: int = 11796  # u16 proportion (18%)
    default_take: int = 11796  # delegate take, u16 proportion (18%)
    min_delegate_take: int = 0
    max_delegate_take: int = 11796
    tx_delegate_take_rate_limit: int = 216_000  # blocks between take increases
    network_min_lock_cost: int = 1000 * TAO
    network_lock_reduction_interval: int = 14 * 7200
    network_rate_limit: int = 7200  # blocks between subnet registrations per coldkey
    subnet_limit: int = 128
    start_call_delay: int = 7 * 7200  # blocks after registration before start_call is allowed
    owner_hyperparam_rate_limit: int = 2  # in tempos
    admin_freeze_window: int = 10  # blocks before an epoch when owner/admin setters are refused
    tx_rate_limit: int = 1000
    min_stake: int = 2_000_000  # rao: smallest add_stake / remove_stake amount
    stake_threshold: int = 0
    min_non_immune_uids: int = 10
    immune_owner_uids_limit: int = 1
    max_pending_commits: int = 10
    pow_work_window: int = 3  # a PoW seal must be over one of the last 3 blocks

    @staticmethod
    def fast() -> SubtensorConfig:
        """Short tempos and relaxed limits for dev and local chains."""
        return SubtensorConfig(
            subnet=dataclasses.replace(
                SubnetDefaults(),
                tempo=10,
                immunity_period=100,
                activity_cutoff=1000,
                weights_rate_limit=0,
                burn=TAO,
                min_burn=500_000,
                difficulty=10_000,
                min_difficulty=1,
                adjustment_interval=100,
                target_regs_per_interval=8,
                max_regs_per_block=16,
                serving_rate_limit=0,
            ),
            network_min_lock_cost=100 * TAO,
            network_lock_reduction_interval=1000,
            network_rate_limit=0,
            start_call_delay=0,
            owner_hyperparam_rate_limit=0,
            admin_freeze_window=0,
            tx_delegate_take_rate_limit=0,
        )

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "subnet"}
        d["subnet"] = dataclasses.asdict(self.subnet)
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> SubtensorConfig:
        """Overrides over the production values; unknown or ill-typed fields raise ValueError."""
        if not isinstance(d, dict):
            raise ValueError("subtensor: expected an object")
        base = SubtensorConfig()
        top = {f.name: f for f in dataclasses.fields(SubtensorConfig)}
        sub = {f.name: f for f in dataclasses.fields(SubnetDefaults)}
        kw: dict[str, Any] = {}
        for k, v in d.items():
            if k == "subnet":
                if not isinstance(v, dict):
                    raise ValueError("subtensor.subnet: expected an object")
                skw = {}
                for sk, sv in v.items():
                    if sk not in sub:
                        raise ValueError(f"subtensor.subnet: unknown field {sk!r}")
                    skw[sk] = _checked(f"subtensor.subnet.{sk}", sv, getattr(SubnetDefaults(), sk))
                kw["subnet"] = dataclasses.replace(SubnetDefaults(), **skw)
            elif k in top:
                kw[k] = _checked(f"subtensor.{k}", v, getattr(base, k))
            else:
                raise ValueError(f"subtensor: unknown field {k!r}")
        return dataclasses.replace(base, **kw)


# fields stored as u16 (the rest are u64)
U16_FIELDS = frozenset({h.spec_name for h in HYPERPARAMS if h.wire is U16} | {
    "subnet_owner_cut", "default_take", "min_delegate_take", "max_delegate_take", "subnet_limit",
})


def _checked(name: str, value: Any, like: Any) -> Any:
    if isinstance(like, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name}: expected true or false")
        return value
    top = 0xFFFF if name.rsplit(".", 1)[-1] in U16_FIELDS else U64_MAX
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise ValueError(f"{name}: expected an integer in 0..{top}")
    return value
