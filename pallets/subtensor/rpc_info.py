"""SubtensorModule's views (as subtensor's `rpc_info/`): typed, frozen records and the readers that
build them from storage, declared as runtime APIs (`RUNTIME_APIS`).

Amounts are rao; u16 quantities (trust, consensus, incentive, ...) the stored integers 0..65535;
accounts `AccountId` (SS58 in JSON). Each reader takes the pallet and a `Ctx` over the block's state
numbered as that block; the node serves them as `subnetInfo_*`, `neuronInfo_*`, `delegateInfo_*`
and `stakeInfo_*` (JSON) without knowing what they read.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

from runtime.support.api import ACCOUNT, AccountId, RuntimeApi, account
from runtime.support.codec import U16, unpack_pairs
from runtime.support.dispatch import Ctx
from runtime.support.hashing import blake2_256

from .hyperparams import HYPERPARAMS, HyperParam

_rec = dataclasses.dataclass(frozen=True, slots=True)


@_rec
class PendingEmission:
    server: int
    validator: int
    owner_cut: int


@_rec
class SubnetInfo:
    """One subnet. `emission_share`: rao per block the subnet accrues from the next block (0 before
    start_call's first emission block)."""

    netuid: int
    owner: AccountId | None
    owner_hotkey: AccountId | None
    tempo: int
    n: int
    max_n: int
    emission_share: int
    emission_started: bool
    first_emission_block: int | None
    registered_at: int
    lock: int
    burn: int
    difficulty: int
    registration_allowed: bool
    pow_registration_allowed: bool
    commit_reveal_enabled: bool
    blocks_until_next_epoch: int
    pending_emission: PendingEmission


# The hyperparameters view: one field per `view=True` entry of the table, in its order.
SubnetHyperparams = dataclasses.make_dataclass(
    "SubnetHyperparams", [(h.name, Any) for h in HYPERPARAMS if h.view], frozen=True, slots=True,
)
SubnetHyperparams.__module__ = __name__
SubnetHyperparams.__doc__ = "A subnet's hyperparameters (subtensor's SubnetHyperparams, then taochain's extras)."


@_rec
class AxonInfo:
    ip: int
    port: int
    ip_type: int
    protocol: int
    version: int
    block: int

    def to_json(self) -> dict[str, Any]:
        try:
            ip = str(ipaddress.IPv4Address(self.ip) if self.ip_type == 4 else ipaddress.IPv6Address(self.ip))
        except ValueError:
            ip = str(self.ip)
        return {"ip": ip, "port": self.port, "ip_type": self.ip_type, "protocol": self.protocol,
                "version": self.version, "block": self.block}


@_rec
class NeuronInfoLite:
    """One neuron, without weights and bonds."""

    uid: int
    hotkey: AccountId
    coldkey: AccountId | None
    stake: int
    active: bool
    validator_permit: bool
    stake_weight: int
    validator_trust: int
    consensus: int
    incentive: int
    dividends: int
    emission: int
    last_update: int
    registered_at: int
    axon: AxonInfo | None


@_rec
class NeuronInfo(NeuronInfoLite):
    """One neuron with its weights and bonds ((uid, u16) pairs)."""

    weights: tuple[tuple[int, int], ...] = ()
    bonds: tuple[tuple[int, int], ...] = ()


@_rec
class Metagraph:
    netuid: int
    block: int
    neurons: tuple[NeuronInfoLite, ...]


@_rec
class Nominator:
    coldkey: AccountId
    stake: int


@_rec
class DelegateInfo:
    hotkey: AccountId
    owner: AccountId | None
    take: int
    total_stake: int
    nominators: tuple[Nominator, ...]
    registrations: tuple[int, ...]


@_rec
class StakeInfo:
    hotkey: AccountId
    coldkey: AccountId
    stake: int


@_rec
class PendingCommit:
    """A hash commit waiting for its reveal epoch."""

    hash: bytes
    epoch: int
    block: int
    reveal_epoch: int


@_rec
class TimelockedCommit:
    """A timelocked commit waiting for its drand round; `hash` is blake2-256 of the ciphertext."""

    hotkey: AccountId
    epoch: int
    block: int
    reveal_epoch: int
    reveal_round: int
    hash: bytes
    size: int


# ---------------------------------------------------------------------------------------------------
# readers: (pallet, ctx, *args) -> record | None (None: no such subnet / uid)

def _emissions(sub: Any, ctx: Ctx) -> dict[int, int]:
    """netuid -> rao the next block accrues to it."""
    nxt = Ctx(ctx.state, ctx.block_number + 1, ctx.runtime)
    return dict(sub.subnet_emissions(nxt, sub.netuids(ctx)))


def subnet_info(sub: Any, ctx: Ctx, netuid: int, emissions: dict[int, int] | None = None) -> SubnetInfo | None:
    s = ctx.state
    if not sub.subnet_exists(ctx, netuid):
        return None
    if emissions is None:
        emissions = _emissions(sub, ctx)
    tempo = sub.Tempo.get(s, netuid)
    first = sub.FirstEmissionBlockNumber.get(s, netuid)
    return SubnetInfo(
        netuid=netuid,
        owner=account(sub.SubnetOwner.get(s, netuid)),
        owner_hotkey=account(sub.SubnetOwnerHotkey.get(s, netuid)),
        tempo=tempo,
        n=sub.SubnetworkN.get(s, netuid),
        max_n=sub.MaxAllowedUids.get(s, netuid),
        emission_share=emissions.get(netuid, 0),
        emission_started=first is not None,
        first_emission_block=first,
        registered_at=sub.NetworkRegisteredAt.get(s, netuid),
        lock=sub.SubnetLocked.get(s, netuid),
        burn=sub.Burn.get(s, netuid),
        difficulty=sub.Difficulty.get(s, netuid),
        registration_allowed=sub.NetworkRegistrationAllowed.get(s, netuid),
        pow_registration_allowed=sub.NetworkPowRegistrationAllowed.get(s, netuid),
        commit_reveal_enabled=sub.CommitRevealWeightsEnabled.get(s, netuid),
        blocks_until_next_epoch=sub.blocks_until_next_epoch(netuid, tempo, ctx.block_number),
        pending_emission=PendingEmission(
            sub.PendingServerEmission.get(s, netuid), sub.PendingValidatorEmission.get(s, netuid),
            sub.PendingOwnerCut.get(s, netuid),
        ),
    )


def subnets_info(sub: Any, ctx: Ctx) -> tuple[SubnetInfo, ...]:
    emissions = _emissions(sub, ctx)
    return tuple(subnet_info(sub, ctx, n, emissions) for n in sub.netuids(ctx))  # type: ignore[misc]


def subnet_hyperparams(sub: Any, ctx: Ctx, netuid: int) -> Any:
    if not sub.subnet_exists(ctx, netuid):
        return None
    return SubnetHyperparams(**{h.name: getattr(sub, h.item).get(ctx.state, netuid) for h in HYPERPARAMS if h.view})


def hyperparameter_table(_sub: Any, _ctx: Ctx) -> tuple[HyperParam, ...]:
    return HYPERPARAMS


_VECTORS = (  # NeuronInfoLite field -> the per-subnet vector it is read from
    ("active", "Active", False), ("validator_permit", "ValidatorPermit", False), ("stake_weight", "StakeWeight", 0),
    ("validator_trust", "ValidatorTrust", 0), ("consensus", "Consensus", 0), ("incentive", "Incentive", 0),
    ("dividends", "Dividends", 0), ("emission", "Emission", 0), ("last_update", "LastUpdate", 0),
    ("registered_at", "BlockAtRegistration", 0),
)


def _vectors(sub: Any, ctx: Ctx, netuid: int) -> list[tuple[str, tuple, Any]]:
    return [(name, getattr(sub, item).get(ctx.state, netuid), default) for name, item, default in _VECTORS]


def _axon(ax: Any) -> AxonInfo | None:
    if ax is None:
        return None
    return AxonInfo(ax.ip, ax.port, ax.ip_type, ax.protocol, ax.version, ax.block)


def _neuron(sub: Any, ctx: Ctx, netuid: int, uid: int, vectors: list, full: bool) -> NeuronInfoLite | None:
    s = ctx.state
    hot = sub.Keys.get(s, netuid, uid)
    if hot is None:
        return None
    fields: dict[str, Any] = {
        "uid": uid, "hotkey": AccountId(hot), "coldkey": account(sub.Owner.get(s, hot)),
        "stake": sub.TotalHotkeyStake.get(s, hot),
    }
    for name, vec, default in vectors:
        fields[name] = vec[uid] if uid < len(vec) else default
    fields["axon"] = _axon(sub.Axons.get(s, netuid, hot))
    if not full:
        return NeuronInfoLite(**fields)
    return NeuronInfo(
        **fields, weights=tuple(unpack_pairs(sub.Weights.get(s, netuid, uid))),
        bonds=tuple(unpack_pairs(sub.Bonds.get(s, netuid, uid))),
    )


def _neurons(sub: Any, ctx: Ctx, netuid: int, full: bool) -> tuple | None:
    if not sub.subnet_exists(ctx, netuid):
        return None
    vectors = _vectors(sub, ctx, netuid)
    out = (_neuron(sub, ctx, netuid, uid, vectors, full) for uid in range(sub.SubnetworkN.get(ctx.state, netuid)))
    return tuple(n for n in out if n is not None)


def neurons_lite(sub: Any, ctx: Ctx, netuid: int) -> tuple[NeuronInfoLite, ...] | None:
    return _neurons(sub, ctx, netuid, full=False)


def neurons(sub: Any, ctx: Ctx, netuid: int) -> tuple[NeuronInfo, ...] | None:
    return _neurons(sub, ctx, netuid, full=True)


def neuron(sub: Any, ctx: Ctx, netuid: int, uid: int) -> NeuronInfo | None:
    if not sub.subnet_exists(ctx, netuid):
        return None
    return _neuron(sub, ctx, netuid, uid, _vectors(sub, ctx, netuid), full=True)  # type: ignore[return-value]


def metagraph(sub: Any, ctx: Ctx, netuid: int) -> Metagraph | None:
    lite = neurons_lite(sub, ctx, netuid)
    return None if lite is None else Metagraph(netuid, ctx.block_number, lite)


def delegates(sub: Any, ctx: Ctx) -> tuple[DelegateInfo, ...]:
    s = ctx.state
    netuids = sub.netuids(ctx)
    out = []
    for hot, take in sub.Delegates.iter(s):
        if take is None:
            continue
        out.append(DelegateInfo(
            hotkey=AccountId(hot),
            owner=account(sub.Owner.get(s, hot)),
            take=take,
            total_stake=sub.TotalHotkeyStake.get(s, hot),
            nominators=tuple(Nominator(AccountId(c), st) for c, st in sub.nominators(ctx, hot)),
            registrations=tuple(n for n in netuids if sub.Uids.get(s, n, hot) is not None),
        ))
    return tuple(out)


def stake_info_for_coldkey(sub: Any, ctx: Ctx, coldkey: bytes) -> tuple[StakeInfo, ...]:
    s = ctx.state
    out = []
    for hot in sub.StakingHotkeys.get(s, coldkey):
        st = sub.Stake.get(s, hot, coldkey)
        if st:
            out.append(StakeInfo(AccountId(hot), AccountId(coldkey), st))
    return tuple(out)


def pending_commits(sub: Any, ctx: Ctx, netuid: int, hotkey: bytes) -> tuple[PendingCommit, ...] | None:
    s = ctx.state
    if not sub.subnet_exists(ctx, netuid):
        return None
    period = sub.RevealPeriodEpochs.get(s, netuid)
    return tuple(PendingCommit(c.hash, c.epoch, c.block, c.epoch + period) for c in sub.WeightCommits.get(s, netuid, hotkey))


def timelocked_commits(sub: Any, ctx: Ctx, netuid: int) -> tuple[TimelockedCommit, ...] | None:
    """Every pending timelocked commit of a subnet, by commit epoch, in order."""
    s = ctx.state
    if not sub.subnet_exists(ctx, netuid):
        return None
    period = sub.RevealPeriodEpochs.get(s, netuid)
    cur = sub.current_epoch(ctx, netuid)
    out = []
    for epoch in range(max(0, cur - period - 1), cur + 1):
        for c in sub.TimelockedWeightCommits.get(s, netuid, epoch):
            out.append(TimelockedCommit(
                AccountId(c.who), epoch, c.block, epoch + period, c.reveal_round, blake2_256(c.commit), len(c.commit),
            ))
    return tuple(out)


def lock_cost(sub: Any, ctx: Ctx) -> int:
    return sub.lock_cost(ctx)


NETUID = ("netuid", U16)
_SUBNET, _NEURON = "SubnetInfoRuntimeApi", "NeuronInfoRuntimeApi"
A = RuntimeApi
RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    A(_SUBNET, "get_subnets_info", subnets_info, (), "Vec<SubnetInfo>", "subnetInfo_getSubnetsInfo", "every subnet"),
    A(_SUBNET, "get_subnet_info", subnet_info, (NETUID,), "Option<SubnetInfo>", "subnetInfo_getSubnetInfo",
      "one subnet"),
    A(_SUBNET, "get_subnet_hyperparams", subnet_hyperparams, (NETUID,), "Option<SubnetHyperparams>",
      "subnetInfo_getSubnetHyperparams", "a subnet's hyperparameters"),
    A(_SUBNET, "get_hyperparameter_table", hyperparameter_table, (), "Vec<HyperParam>",
      "subnetInfo_getHyperparameterTable", "every hyperparameter: storage item, type, default, setter, owner, bounds"),
    A("SubnetRegistrationRuntimeApi", "get_network_registration_cost", lock_cost, (), "u64",
      "subnetInfo_getLockCost", "rao locked by register_network in the next block", ahead=1),
    A(_SUBNET, "get_metagraph", metagraph, (NETUID,), "Option<Metagraph>", "subnetInfo_getMetagraph",
      "a subnet's neurons (lite) at this block"),
    A(_SUBNET, "get_pending_commits", pending_commits, (NETUID, ("hotkey", ACCOUNT)), "Option<Vec<PendingCommit>>",
      "subnetInfo_getPendingCommits", "a hotkey's hash commits waiting for their reveal"),
    A(_SUBNET, "get_timelocked_commits", timelocked_commits, (NETUID,), "Option<Vec<TimelockedCommit>>",
      "subnetInfo_getTimelockedCommits", "a subnet's timelocked commits waiting for their drand round"),
    A(_NEURON, "get_neurons_lite", neurons_lite, (NETUID,), "Option<Vec<NeuronInfoLite>>",
      "neuronInfo_getNeuronsLite", "a subnet's neurons without weights and bonds"),
    A(_NEURON, "get_neurons", neurons, (NETUID,), "Option<Vec<NeuronInfo>>", "neuronInfo_getNeurons",
      "a subnet's neurons with weights and bonds"),
    A(_NEURON, "get_neuron", neuron, (NETUID, ("uid", U16)), "Option<NeuronInfo>", "neuronInfo_getNeuron",
      "one neuron with weights and bonds"),
    A("DelegateInfoRuntimeApi", "get_delegates", delegates, (), "Vec<DelegateInfo>", "delegateInfo_getDelegates",
      "every delegate with its nominators"),
    A("StakeInfoRuntimeApi", "get_stake_info_for_coldkey", stake_info_for_coldkey, (("coldkey", ACCOUNT),),
      "Vec<StakeInfo>", "stakeInfo_getStakeInfoForColdkey", "a coldkey's stake per hotkey"),
)
del A

__all__ = [
    "RUNTIME_APIS", "AxonInfo", "DelegateInfo", "Metagraph", "NeuronInfo", "NeuronInfoLite", "Nominator",
    "PendingCommit", "PendingEmission", "StakeInfo", "SubnetHyperparams", "SubnetInfo", "TimelockedCommit",
]
