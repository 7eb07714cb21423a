"""The subnet hyperparameters, one declaration each: the single table everything else is derived from.

Each `HyperParam` names the field (as subtensor's SubnetHyperparams view shows it), the
SubtensorModule storage item, its type, the storage default (the runtime's) and the value a new
subnet starts with (`SubnetDefaults`, under `spec` in chain specs), its AdminUtils setter (call
index and name, who may call it, whether the owner is rate-limited, bounds, event) and a one-line
description. From it come: the storage items (`store.py`), `SubnetDefaults` and new-subnet
initialisation (`config.py`, `subnets.py`), the AdminUtils setters, the hyperparameters view
(`rpc_info.py`) and the table the node serves to the CLI and SDK (`subnetInfo_getHyperparameterTable`).
Adding a hyperparameter is one entry here. Storage names, defaults and setter indices are consensus
data: changing one is a migration.

Entries are in subtensor's SubnetHyperparams field order (spec §1f), then taochain's extras; those
with `view=False` are not in the view.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runtime.support.codec import U16, U64, Bool

TAO = 10**9
U64_MAX = (1 << 64) - 1


@dataclasses.dataclass(frozen=True, slots=True)
class Setter:
    """The AdminUtils call that sets a hyperparameter: `sudo_set_<call>(netuid, value)`."""

    index: int  # AdminUtils call index (subtensor's)
    call: str  # the call is sudo_set_<call>
    owner: bool  # O: root or the subnet owner; R: root only
    event: str  # the *Set event's name
    event_index: int  # its index among AdminUtils' events (consensus data, append-only)
    rate_limited: bool = True  # the owner may change it once per OwnerHyperparamRateLimit tempos
    bounds: tuple[int, int] | None = None  # inclusive value range (ValueNotInBounds)
    check: str | None = None  # name of an extra check in pallets/admin_utils (cross-item rules)


@dataclasses.dataclass(frozen=True, slots=True)
class HyperParam:
    name: str  # field name in the hyperparameters view (and the CLI's `sudo get`)
    item: str  # SubtensorModule storage item (keyed by netuid, Identity hasher)
    wire: Any  # value type: U16, U64 or Bool
    default: Any  # storage default (the runtime's, for a netuid never initialised)
    initial: Any  # the value a new subnet starts with (SubnetDefaults, production)
    doc: str  # what it means, one line
    setter: Setter | None = None
    spec: str = ""  # SubnetDefaults field name when it differs from `name`
    view: bool = True  # shown by subnetInfo_getSubnetHyperparams
    store_doc: str = ""  # the storage item's doc in metadata
    epoch: str = ""  # the Yuma input (runtime.yuma EpochParams field) this feeds, if any

    @property
    def spec_name(self) -> str:
        return self.spec or self.name

    @property
    def type_name(self) -> str:
        return "bool" if self.wire is Bool else ("u16" if self.wire is U16 else "u64")

    def to_json(self) -> dict[str, Any]:
        """The entry as subnetInfo_getHyperparameterTable shows it."""
        s = self.setter
        return {
            "name": self.name, "item": self.item, "type": self.type_name, "default": self.default,
            "initial": self.initial, "description": self.doc, "view": self.view,
            "setter": None if s is None else "sudo_set_" + s.call, "index": None if s is None else s.index,
            "owner": bool(s and s.owner), "rate_limited": bool(s and s.owner and s.rate_limited),
            "bounds": None if s is None or s.bounds is None else list(s.bounds),
            "event": None if s is None else s.event,
        }


H, S = HyperParam, Setter

HYPERPARAMS: tuple[HyperParam, ...] = (
    H("rho", "Rho", U16, 10, 10, "steepness of the incentive sigmoid (Yuma)", S(17, "rho", True, "RhoSet", 11)),
    H("kappa", "Kappa", U16, 32767, 32767, "stake share that defines consensus (u16 of 1)",
      S(16, "kappa", False, "KappaSet", 10), epoch="kappa"),
    H("immunity_period", "ImmunityPeriod", U16, 4096, 5000, "blocks a new neuron cannot be pruned",
      S(13, "immunity_period", True, "ImmunityPeriodSet", 7)),
    H("min_allowed_weights", "MinAllowedWeights", U16, 1024, 1, "fewest uids a validator must weight",
      S(14, "min_allowed_weights", True, "MinAllowedWeightSet", 8)),
    H("max_weights_limit", "MaxWeightsLimit", U16, 65535, 65535, "largest share one weight may take (u16 of 1)"),
    H("tempo", "Tempo", U16, 360, 360, "blocks between epochs", S(30, "tempo", False, "TempoSet", 22), epoch="tempo"),
    H("min_difficulty", "MinDifficulty", U64, 10_000_000, 10_000_000, "lowest PoW difficulty",
      S(4, "min_difficulty", False, "MinDifficultySet", 1, check="at_most:MaxDifficulty")),
    H("max_difficulty", "MaxDifficulty", U64, (1 << 62) - 1, U64_MAX // 4, "highest PoW difficulty",
      S(5, "max_difficulty", True, "MaxDifficultySet", 2, check="at_least:MinDifficulty")),
    H("weights_version", "WeightsVersionKey", U64, 0, 0, "lowest version_key weights must carry",
      S(6, "weights_version_key", True, "WeightsVersionKeySet", 3)),
    H("weights_rate_limit", "WeightsSetRateLimit", U64, 100, 100, "blocks between weight updates of a hotkey",
      S(7, "weights_set_rate_limit", False, "WeightsSetRateLimitSet", 4)),
    H("adjustment_interval", "AdjustmentInterval", U16, 100, 360, "blocks between burn/difficulty adjustments",
      S(8, "adjustment_interval", False, "AdjustmentIntervalSet", 5)),
    H("activity_cutoff", "ActivityCutoff", U16, 5000, 5000, "blocks without updates before a validator is inactive",
      S(18, "activity_cutoff", True, "ActivityCutoffSet", 12, bounds=(1, 65535)), epoch="activity_cutoff"),
    H("registration_allowed", "NetworkRegistrationAllowed", Bool, True, True, "burned registration is open",
      S(19, "network_registration_allowed", False, "RegistrationAllowed", 13)),
    H("target_regs_per_interval", "TargetRegistrationsPerInterval", U16, 2, 1,
      "registrations the adjustment aims at",
      S(21, "target_registrations_per_interval", False, "RegistrationPerIntervalSet", 15)),
    H("min_burn", "MinBurn", U64, 500_000, 500_000, "lowest registration burn (rao)",
      S(22, "min_burn", True, "MinBurnSet", 16, check="at_most:MaxBurn")),
    H("max_burn", "MaxBurn", U64, 100_000_000_000, 100 * TAO, "highest registration burn (rao)",
      S(23, "max_burn", True, "MaxBurnSet", 17, check="at_least:MinBurn")),
    H("bonds_moving_avg", "BondsMovingAverage", U64, 900_000, 900_000, "bonds EMA factor (of 1,000,000)",
      S(26, "bonds_moving_average", True, "BondsMovingAverageSet", 20, check="bonds_moving_average"), epoch="bonds_moving_average"),
    H("max_regs_per_block", "MaxRegistrationsPerBlock", U16, 1, 1, "registrations allowed in one block",
      S(27, "max_registrations_per_block", False, "MaxRegistrationsPerBlockSet", 21)),
    H("serving_rate_limit", "ServingRateLimit", U64, 50, 50, "blocks between axon announcements",
      S(3, "serving_rate_limit", True, "ServingRateLimitSet", 0)),
    H("max_validators", "MaxAllowedValidators", U16, 128, 64, "validator permits given at an epoch",
      S(25, "max_allowed_validators", False, "MaxAllowedValidatorsSet", 19, check="max_allowed_validators"),
      spec="max_allowed_validators", epoch="max_allowed_validators"),
    H("adjustment_alpha", "AdjustmentAlpha", U64, 0, 17_893_341_751_498_265_066,  # 0.97 * u64::MAX (classic)
      "smoothing of burn/difficulty adjustments (u64 of 1)", S(9, "adjustment_alpha", True, "AdjustmentAlphaSet", 6)),
    H("difficulty", "Difficulty", U64, 10_000_000, 10_000_000, "current PoW difficulty",
      S(24, "difficulty", False, "DifficultySet", 18)),
    H("commit_reveal_period", "RevealPeriodEpochs", U64, 1, 1, "epochs between a commit and its reveal",
      S(57, "commit_reveal_weights_interval", True, "CommitRevealPeriodsSet", 25, check="reveal_period")),
    H("commit_reveal_weights_enabled", "CommitRevealWeightsEnabled", Bool, True, True,
      "weights must be committed, then revealed",
      S(49, "commit_reveal_weights_enabled", True, "CommitRevealEnabled", 23), epoch="commit_reveal_enabled"),
    # alpha_high / alpha_low are set together by sudo_set_alpha_values (51)
    H("alpha_high", "AlphaHigh", U16, 58982, 58982, "liquid alpha upper bound (u16 of 1)", epoch="alpha_high"),
    H("alpha_low", "AlphaLow", U16, 45875, 45875, "liquid alpha lower bound (u16 of 1)", epoch="alpha_low"),
    H("liquid_alpha_enabled", "LiquidAlphaOn", Bool, False, False, "bonds use liquid alpha",
      S(50, "liquid_alpha_enabled", True, "LiquidAlphaEnabledSet", 24), epoch="liquid_alpha"),
    H("bonds_penalty", "BondsPenalty", U16, 65535, 65535, "penalty on bonds above consensus (u16 of 1)",
      S(60, "bonds_penalty", True, "BondsPenaltySet", 26), epoch="bonds_penalty"),
    H("yuma3_enabled", "Yuma3On", Bool, False, True, "the epoch runs Yuma3",
      S(69, "yuma3_enabled", True, "Yuma3EnableToggled", 28), spec="yuma3", epoch="yuma3"),
    H("pow_registration_allowed", "NetworkPowRegistrationAllowed", Bool, True, True,
      "proof-of-work registration is open",
      S(20, "network_pow_registration_allowed", True, "PowRegistrationAllowed", 14)),
    H("burn", "Burn", U64, 100_000_000, 1 * TAO, "current registration burn (rao)"),
    H("commit_reveal_version", "CommitRevealVersion", U16, 4, 4, "4: timelocked commits (drand), 2: hash commits",
      S(71, "commit_reveal_version", False, "CommitRevealVersionSet", 27, check="commit_reveal_version"),
      store_doc="4: timelocked commits, 2: hash commits"),
    H("max_n", "MaxAllowedUids", U16, 256, 256, "most uids the subnet holds",
      S(15, "max_allowed_uids", True, "MaxAllowedUidsSet", 9, check="max_allowed_uids"), spec="max_allowed_uids",
      view=False),
)

# the hyperparameters Yuma reads, by its input field
EPOCH_INPUTS: tuple[HyperParam, ...] = tuple(h for h in HYPERPARAMS if h.epoch)
BY_NAME: dict[str, HyperParam] = {h.name: h for h in HYPERPARAMS}
BY_ITEM: dict[str, HyperParam] = {h.item: h for h in HYPERPARAMS}
# the settable ones in AdminUtils' event order
SETTABLE: tuple[HyperParam, ...] = tuple(
    sorted((h for h in HYPERPARAMS if h.setter is not None), key=lambda h: h.setter.event_index)  # type: ignore[union-attr]
)
