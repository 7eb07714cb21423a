"""Inputs and outputs of one subnet's Yuma epoch (spec/yuma.md §3, §4c; spec/yuma-io.md).

`EpochParams` declares the per-subnet scalars once; `EpochInput` (tuples and sparse rows) and
`batch.EpochArrays` (arrays, what the emission pallet gathers) extend it with the per-uid data.
`EpochOutput` is what the epoch writes back, already in the stored integer types (u16 proportions
0..65535, rao u64, sparse u16 bond rows). All are frozen, slotted and keyword-only; the inputs check
their ranges on construction so that the reference and the batched kernel see the same, well-formed
data.

Conventions the constructor enforces (documented refusals, not silent fixes):
- `stake`, `block_at_registration` have exactly `n` entries; `last_update`, `validator_permit`,
  `commit_blocks`, `weights`, `bonds` have at most `n` (shorter ones are padded the way subtensor's
  getters pad them: last_update with 0, weights/bonds with empty rows, commit_blocks with None;
  a short `validator_permit` stays short, its missing uids count as forbidden);
- a weight or bond row holds each uid at most once (subtensor's set_weights rejects duplicates and
  the epoch writes unique bond rows); weight entries with uid >= n are dropped (as
  `get_weights_sparse` does); bond entries with uid >= n are refused;
- u64 quantities (stake, blocks, rao) are below 2^63, `bonds_moving_average` <= 1_000_000 and
  `alpha_low` <= `alpha_high` (subtensor's setters enforce the last two) so that the int64 kernel
  can represent every intermediate.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

U16_MAX = 0xFFFF
U63_LIMIT = 1 << 63
MAX_UIDS = 4096

SparseRow = tuple[tuple[int, int], ...]


class EpochInputError(ValueError):
    """An epoch input outside the ranges the epoch (and its kernel) accept."""


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EpochInputError(f"{name} must be an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise EpochInputError(f"{name}={value} is outside {lo}..{hi}")


def _check_rows(name: str, rows: tuple[SparseRow, ...], n: int, drop_out_of_range: bool) -> None:
    if len(rows) > n:
        raise EpochInputError(f"{name} has {len(rows)} rows, more than n={n}")
    for i, row in enumerate(rows):
        seen: set[int] = set()
        for entry in row:
            if len(entry) != 2:
                raise EpochInputError(f"{name}[{i}] entries must be [uid, u16] pairs")
            uid, value = entry
            _check_int(f"{name}[{i}] uid", uid, 0, U16_MAX)
            _check_int(f"{name}[{i}][uid {uid}] value", value, 0, U16_MAX)
            if uid >= n and not drop_out_of_range:
                raise EpochInputError(f"{name}[{i}] refers to uid {uid} >= n={n}")
            if uid in seen:
                raise EpochInputError(f"{name}[{i}] holds uid {uid} twice")
            seen.add(uid)


def check_scalars(x: EpochParams) -> None:
    """The per-subnet scalars every epoch input carries (EpochParams), in range."""
    n = x.n
    _check_int("n", n, 0, MAX_UIDS)
    _check_int("current_block", x.current_block, 0, U63_LIMIT - 1)
    _check_int("tempo", x.tempo, 0, U16_MAX)
    _check_int("activity_cutoff", x.activity_cutoff, 0, U63_LIMIT - 1)
    for name in ("kappa", "bonds_penalty", "alpha_low", "alpha_high"):
        _check_int(name, getattr(x, name), 0, U16_MAX)
    _check_int("alpha_sigmoid_steepness", x.alpha_sigmoid_steepness, -(1 << 15), (1 << 15) - 1)
    if x.alpha_low > x.alpha_high:
        raise EpochInputError(f"alpha_low={x.alpha_low} is above alpha_high={x.alpha_high}")
    _check_int("bonds_moving_average", x.bonds_moving_average, 0, 1_000_000)
    _check_int("max_allowed_validators", x.max_allowed_validators, 0, U16_MAX)
    _check_int("stake_threshold", x.stake_threshold, 0, U63_LIMIT - 1)
    _check_int("last_mechanism_step_block", x.last_mechanism_step_block, 0, U63_LIMIT - 2)
    _check_int("rao_emission", x.rao_emission, 0, U63_LIMIT - 1)
    if x.owner_uid is not None:
        _check_int("owner_uid", x.owner_uid, 0, max(n - 1, 0))
        if n == 0:
            raise EpochInputError("owner_uid given for an empty subnet")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class EpochParams:
    """The per-subnet scalars of an epoch (spec/yuma.md §3), declared once; defaults are subtensor's.

    Both input forms extend it with the per-uid data: `EpochInput` (tuples and sparse rows, for the
    reference) and `batch.EpochArrays` (NumPy arrays, for the kernel). Keyword-only. Compared only
    through those records (`eq=False` here)."""

    n: int  # number of UIDs (SubnetworkN)
    current_block: int  # block the epoch runs at
    tempo: int = 360  # Tempo
    activity_cutoff: int = 5000  # blocks (get_activity_cutoff_blocks)
    kappa: int = 32_767  # Kappa, u16 proportion
    bonds_penalty: int = 65_535  # BondsPenalty, u16 proportion
    bonds_moving_average: int = 900_000  # BondsMovingAverage, per 1e6
    max_allowed_validators: int = 128  # MaxAllowedValidators
    stake_threshold: int = 0  # StakeThreshold, rao
    yuma3: bool = False  # Yuma3On
    liquid_alpha: bool = False  # LiquidAlphaOn
    alpha_low: int = 45_875  # AlphaValues.0, u16 proportion
    alpha_high: int = 58_982  # AlphaValues.1, u16 proportion
    alpha_sigmoid_steepness: int = 1000  # AlphaSigmoidSteepness, i16 (/100 in the sigmoid)
    owner_uid: int | None = None  # uid of SubnetOwnerHotkey, if registered
    last_mechanism_step_block: int = 0  # LastMechansimStepBlock (0 = no epoch yet)
    commit_reveal_enabled: bool = False  # CommitRevealWeightsEnabled
    rao_emission: int = 1_000_000_000  # rao distributed by this epoch

    def __post_init__(self) -> None:
        check_scalars(self)

    def params(self) -> dict[str, Any]:
        """The scalars by name (to build the other input form with the same ones)."""
        return {name: getattr(self, name) for name in PARAM_NAMES}


PARAM_NAMES = tuple(f.name for f in fields(EpochParams))  # n, current_block and the rest, in order


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochInput(EpochParams):
    """One subnet's state at an epoch (spec/yuma.md §3): the scalars plus per-uid tuples and rows."""

    stake: tuple[int, ...]  # stake weight per uid, rao (alpha + tao * tao_weight, integer)
    weights: tuple[SparseRow, ...]  # Weights rows as stored: ((uid, u16), ...), explicit zeros kept
    last_update: tuple[int, ...]  # LastUpdate per uid (padded with 0 to n)
    block_at_registration: tuple[int, ...]  # BlockAtRegistration per uid
    validator_permit: tuple[bool, ...]  # ValidatorPermit from the previous epoch
    bonds: tuple[SparseRow, ...] = ()  # Bonds rows as stored (classic: col-max-upscaled; Yuma3: proportion)
    commit_blocks: tuple[int | None, ...] = ()  # earliest unexpired commit block per uid (None = none)

    def __post_init__(self) -> None:
        n = self.n
        check_scalars(self)
        if len(self.stake) != n:
            raise EpochInputError(f"stake has {len(self.stake)} entries, expected n={n}")
        if len(self.block_at_registration) != n:
            raise EpochInputError(
                f"block_at_registration has {len(self.block_at_registration)} entries, expected n={n}"
            )
        for name in ("last_update", "validator_permit", "commit_blocks"):
            if len(getattr(self, name)) > n:
                raise EpochInputError(f"{name} has {len(getattr(self, name))} entries, more than n={n}")
        total = 0
        for i, s in enumerate(self.stake):
            _check_int(f"stake[{i}]", s, 0, U63_LIMIT - 1)
            total += s
        if total >= U63_LIMIT:
            raise EpochInputError(f"total stake {total} does not fit below 2^63 rao")
        for name in ("last_update", "block_at_registration"):
            for i, b in enumerate(getattr(self, name)):
                _check_int(f"{name}[{i}]", b, 0, U63_LIMIT - 1)
        for i, c in enumerate(self.commit_blocks):
            if c is not None:
                _check_int(f"commit_blocks[{i}]", c, 0, U63_LIMIT - 2)
        for i, p in enumerate(self.validator_permit):
            if not isinstance(p, bool):
                raise EpochInputError(f"validator_permit[{i}] must be a bool")
        _check_rows("weights", self.weights, n, drop_out_of_range=True)
        _check_rows("bonds", self.bonds, n, drop_out_of_range=False)


@dataclass(frozen=True, slots=True)
class EpochOutput:
    """What the epoch writes back (spec/yuma.md §4c), in stored integer types."""

    active: tuple[bool, ...]  # Active
    new_validator_permit: tuple[bool, ...]  # ValidatorPermit for the next epoch
    stake_weight: tuple[int, ...]  # StakeWeight, u16: floor(stake * 65535)
    consensus: tuple[int, ...]  # Consensus, u16
    incentive: tuple[int, ...]  # Incentive, u16
    dividends: tuple[int, ...]  # Dividends, u16
    validator_trust: tuple[int, ...]  # ValidatorTrust, u16
    server_emission: tuple[int, ...]  # rao per uid paid as incentive
    validator_emission: tuple[int, ...]  # rao per uid paid as dividends
    emission: tuple[int, ...]  # Emission: combined rao per uid
    bonds: tuple[SparseRow, ...]  # Bonds rows as stored after the epoch, in subtensor's entry order
