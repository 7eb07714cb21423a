"""SubtensorModule's storage items (names as subtensor's `lib.rs`), declared once and shared by the
concern modules (subnets, registration, staking, weights, emission).

Subnet-keyed items use the Identity hasher on the netuid. Per-uid vectors (LastUpdate, Incentive,
...) are one value per subnet, as subtensor stores them, so an epoch reads and writes each with one
access. Weights and Bonds rows are packed u16 (uid, value) pairs (`U16Pairs`).
"""

from __future__ import annotations

from typing import Annotated

from runtime.support.codec import (
    U8,
    U16,
    U32,
    U64,
    U128,
    AccountId,
    Bool,
    BoolList,
    BytesT,
    Hash,
    U16List,
    U16Pairs,
    U64List,
    wire,
)
from runtime.support.storage import StorageDoubleMap, StorageMap, StorageValue

from .hyperparams import HYPERPARAMS

P = "SubtensorModule"


@wire
class AxonInfo:
    """A neuron's served endpoint (subtensor's AxonInfo)."""

    block: U64
    version: U32
    ip: U128
    port: U16
    ip_type: U8
    protocol: U8
    placeholder1: U8
    placeholder2: U8


@wire
class WeightCommit:
    """A pending v2 commitment: hash, the epoch and block it was made in."""

    hash: Hash
    epoch: U64
    block: U64


MAX_TIMELOCKED_COMMIT = 5000


@wire
class TimelockedCommit:
    """A pending timelocked (CR v3/v4) commit: who, the block, the ciphertext, its drand round."""

    who: AccountId
    block: U64
    commit: Annotated[bytes, BytesT(max_len=MAX_TIMELOCKED_COMMIT)]
    reveal_round: U64


def _net(name: str, vt, default, doc: str = "") -> StorageMap:
    return StorageMap(P, name, U16, vt, default, hasher="Identity", doc=doc)


def _uid(name: str, vt, default, doc: str = "") -> StorageDoubleMap:
    return StorageDoubleMap(P, name, U16, U16, vt, default, hasher1="Identity", hasher2="Identity", doc=doc)


class Store:
    """Every storage item of SubtensorModule (a mixin of the pallet class)."""

    # --- TAO supply and stake
    TotalIssuance = StorageValue(P, "TotalIssuance", U64, 0, doc="all TAO: free + reserved + staked + locked")
    TotalStake = StorageValue(P, "TotalStake", U64, 0, doc="sum of all stake")
    TotalLocked = StorageValue(P, "TotalLocked", U64, 0, doc="sum of the subnets' lock costs")
    Owner = StorageMap(P, "Owner", AccountId, AccountId | None, None, doc="coldkey owning each hotkey")
    OwnedHotkeys = StorageMap(P, "OwnedHotkeys", AccountId, tuple[AccountId, ...], (), doc="hotkeys of a coldkey")
    StakingHotkeys = StorageMap(
        P, "StakingHotkeys", AccountId, tuple[AccountId, ...], (), doc="hotkeys a coldkey has stake on"
    )
    Stake = StorageDoubleMap(P, "Stake", AccountId, AccountId, U64, 0, doc="stake by (hotkey, coldkey), rao")
    TotalHotkeyStake = StorageMap(P, "TotalHotkeyStake", AccountId, U64, 0, doc="stake on a hotkey, rao")
    Delegates = StorageMap(P, "Delegates", AccountId, U16 | None, None, doc="delegate take (u16) of a hotkey")
    LastTxBlockDelegateTake = StorageMap(P, "LastTxBlockDelegateTake", AccountId, U64, 0)

    # --- subnets
    TotalNetworks = StorageValue(P, "TotalNetworks", U16, 0, doc="number of subnets")
    NetworksAdded = _net("NetworksAdded", Bool, False, "whether a netuid exists")
    SubnetOwner = _net("SubnetOwner", AccountId | None, None, "owner coldkey")
    SubnetOwnerHotkey = _net("SubnetOwnerHotkey", AccountId | None, None, "owner hotkey (uid 0 at creation)")
    SubnetLocked = _net("SubnetLocked", U64, 0, "TAO locked by the subnet's registration, rao")
    NetworkRegisteredAt = _net("NetworkRegisteredAt", U64, 0)
    FirstEmissionBlockNumber = _net("FirstEmissionBlockNumber", U64 | None, None, "set by start_call")
    SubtokenEnabled = _net("SubtokenEnabled", Bool, False)
    EmissionShare = _net("EmissionShare", U16, 0, "root-set relative share of block emission (0 = equal split)")
    NetworkLastLockCost = StorageValue(P, "NetworkLastLockCost", U64, 0)
    NetworkLastLockBlock = StorageValue(P, "NetworkLastLockBlock", U64, 0)
    NetworkLastRegistered = StorageMap(P, "NetworkLastRegistered", AccountId, U64, 0, doc="per coldkey")

    # --- hyperparameters: one item per HYPERPARAMS entry (added below), then these
    StakeThreshold = StorageValue(P, "StakeThreshold", U64, 0)
    LastHyperparamUpdate = StorageDoubleMap(
        P, "LastHyperparamUpdate", U16, U16, U64, 0, hasher1="Identity", hasher2="Identity",
        doc="(netuid, AdminUtils call index) -> block of the owner's last change",
    )

    # --- registration
    SubnetworkN = _net("SubnetworkN", U16, 0, "number of uids")
    Keys = _uid("Keys", AccountId | None, None, "hotkey of (netuid, uid)")
    Uids = StorageDoubleMap(P, "Uids", U16, AccountId, U16 | None, None, hasher1="Identity", doc="uid of (netuid, hotkey)")
    IsNetworkMember = StorageDoubleMap(P, "IsNetworkMember", AccountId, U16, Bool, False, hasher2="Identity")
    BlockAtRegistration = _net("BlockAtRegistration", U64List, ())
    RegistrationsThisBlock = _net("RegistrationsThisBlock", U16, 0)
    RegistrationsThisInterval = _net("RegistrationsThisInterval", U16, 0)
    POWRegistrationsThisInterval = _net("POWRegistrationsThisInterval", U16, 0)
    BurnRegistrationsThisInterval = _net("BurnRegistrationsThisInterval", U16, 0)
    LastAdjustmentBlock = _net("LastAdjustmentBlock", U64, 0)
    UsedWork = StorageMap(P, "UsedWork", Hash, U64 | None, None, doc="PoW seals used, with their block")

    # --- neurons' epoch terms (vectors per subnet)
    LastUpdate = _net("LastUpdate", U64List, ())
    Active = _net("Active", BoolList, ())
    Emission = _net("Emission", U64List, ())
    Incentive = _net("Incentive", U16List, ())
    Consensus = _net("Consensus", U16List, ())
    Dividends = _net("Dividends", U16List, ())
    ValidatorTrust = _net("ValidatorTrust", U16List, ())
    ValidatorPermit = _net("ValidatorPermit", BoolList, ())
    StakeWeight = _net("StakeWeight", U16List, ())
    Weights = _uid("Weights", U16Pairs, b"", "row of (uid, u16 weight) pairs set by a uid")
    Bonds = _uid("Bonds", U16Pairs, b"", "row of (uid, u16 bond) pairs held by a uid")
    Axons = StorageDoubleMap(P, "Axons", U16, AccountId, AxonInfo | None, None, hasher1="Identity")
    WeightCommits = StorageDoubleMap(
        P, "WeightCommits", U16, AccountId, tuple[WeightCommit, ...], (), hasher1="Identity",
        doc="pending v2 commitments of a hotkey, oldest first",
    )
    TimelockedWeightCommits = StorageDoubleMap(
        P, "TimelockedWeightCommits", U16, U64, tuple[TimelockedCommit, ...], (), hasher1="Identity",
        hasher2="Identity", doc="timelocked commits by subnet and commit epoch, in order",
    )

    # --- emission
    PendingServerEmission = _net("PendingServerEmission", U64, 0, "rao accrued for miners")
    PendingValidatorEmission = _net("PendingValidatorEmission", U64, 0, "rao accrued for validators")
    PendingOwnerCut = _net("PendingOwnerCut", U64, 0, "rao accrued for the owner")
    LastMechansimStepBlock = _net("LastMechansimStepBlock", U64, 0, "block of the last epoch (sic)")


# the hyperparameter items (Tempo, Kappa, ...): declared once, in hyperparams.HYPERPARAMS
for _h in HYPERPARAMS:
    setattr(Store, _h.item, _net(_h.item, _h.wire, _h.default, _h.store_doc))
