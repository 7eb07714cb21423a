"""SubtensorModule's events (subtensor's `macros/events.rs` names; fields in rao and stored ints)."""

from __future__ import annotations

from typing import ClassVar

from runtime.support.codec import U8, U16, U64, AccountId, Balance, Hash, wire
from runtime.support.dispatch import DocEnum


@wire
class NetworkAdded:
    """A subnet was registered: netuid, mechanism (1)."""

    netuid: U16
    mechanism: U16


@wire
class NetworkRemoved:
    """A subnet was dissolved; its lock went back to the owner."""

    netuid: U16


@wire
class FirstEmissionBlockNumberSet:
    """start_call: the subnet's emission starts at this block."""

    netuid: U16
    block: U64


@wire
class NeuronRegistered:
    """A hotkey took a uid on a subnet (burned or proof-of-work registration)."""

    netuid: U16
    uid: U16
    hotkey: AccountId


@wire
class StakeAdded:
    """TAO moved from the coldkey's balance to stake on the hotkey (classic 1:1 staking)."""

    coldkey: AccountId
    hotkey: AccountId
    amount: Balance


@wire
class StakeRemoved:
    """Stake moved from the hotkey back to the coldkey's balance."""

    coldkey: AccountId
    hotkey: AccountId
    amount: Balance


@wire
class DelegateAdded:
    """The hotkey accepts nominations, keeping `take` (u16 proportion) of its dividends."""

    coldkey: AccountId
    hotkey: AccountId
    take: U16


@wire
class TakeDecreased:
    coldkey: AccountId
    hotkey: AccountId
    take: U16


@wire
class TakeIncreased:
    coldkey: AccountId
    hotkey: AccountId
    take: U16


@wire
class WeightsSet:
    """Weights were stored for a uid (directly or by a reveal)."""

    netuid: U16
    uid: U16


@wire
class WeightsCommitted:
    """A weights commitment (blake2b-256 of the v2 preimage) was stored."""

    who: AccountId
    netuid: U16
    commit_hash: Hash


@wire
class WeightsRevealed:
    """A commitment was revealed and its weights set."""

    who: AccountId
    netuid: U16
    commit_hash: Hash


@wire
class AxonServed:
    """A neuron announced its axon endpoint."""

    netuid: U16
    hotkey: AccountId


@wire
class RegistrationTermsAdjusted:
    """At an adjustment interval: the new burn (rao) and PoW difficulty."""

    netuid: U16
    burn: Balance
    difficulty: U64


@wire
class EpochRun:
    """A subnet's Yuma epoch ran: rao paid as incentive, dividends and owner cut, and the rounding
    remainder carried to the next epoch."""

    netuid: U16
    incentive: Balance
    dividends: Balance
    owner_cut: Balance
    carried: Balance


@wire
class TimelockedWeightsCommitted:
    """A timelocked weights commit was stored (its blake2b-256 hash and drand reveal round)."""

    who: AccountId
    netuid: U16
    commit_hash: Hash
    reveal_round: U64


@wire
class TimelockedWeightsRevealed:
    """A timelocked commit was decrypted with its round's pulse and its weights set."""

    netuid: U16
    who: AccountId


class DropReason(DocEnum):
    """Why a timelocked commit was dropped (TimelockedWeightsDropped.reason): code, cause, fix.
    The metadata lists them under the event's "enums", so that clients name the reason."""

    PulseMissing = (
        0, "its reveal epoch ended before the pulse of its round was on chain",
        "commit to a round due before the reveal epoch ends (the SDK's reveal_plan picks one)",
    )
    Undecryptable = (
        1, "malformed ciphertext, or the round's signature does not open it",
        "encrypt to the chain's beacon key (drand_status publicKey) and the commit's reveal round",
    )
    BadPayload = (
        2, "the plaintext is not a weights payload", "encrypt a payload of (hotkey, uids, values, version_key)",
    )
    HotkeyMismatch = (
        3, "the payload names another hotkey than the committer", "put the committing hotkey in the payload",
    )
    SetWeightsFailed = (
        4, "set_weights refused the weights (`error` is SubtensorModule's error index)",
        "see that error's doc: the weights must pass set_weights' checks in the reveal epoch",
    )


@wire
class TimelockedWeightsDropped:
    """A timelocked commit was dropped without setting weights; `reason` is a DropReason code
    (`error`: the set_weights error index for SetWeightsFailed, else 0). subtensor only logs this."""

    ENUMS: ClassVar[dict[str, type[DocEnum]]] = {"reason": DropReason}  # field -> its codes (metadata)

    netuid: U16
    who: AccountId
    reason: U8
    error: U8


EVENTS = (
    NetworkAdded,
    NetworkRemoved,
    FirstEmissionBlockNumberSet,
    NeuronRegistered,
    StakeAdded,
    StakeRemoved,
    DelegateAdded,
    TakeDecreased,
    TakeIncreased,
    WeightsSet,
    WeightsCommitted,
    WeightsRevealed,
    AxonServed,
    RegistrationTermsAdjusted,
    EpochRun,
    TimelockedWeightsCommitted,
    TimelockedWeightsRevealed,
    TimelockedWeightsDropped,
)
