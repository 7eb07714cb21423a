"""System pallet (index 0): accounts (nonce + balances), block number and hashes, events.

Storage is Substrate's shape, so that Substrate clients read it from the metadata: `Account` is
`frame_system::AccountInfo { nonce, consumers, providers, sufficients, data: pallet_balances
AccountData { free, reserved, frozen, flags } }` (Balance is u64 rao, as subtensor's), `Number`
and the `BlockHash` keys are u32 (Substrate's BlockNumber), `Events` is the runtime's SCALE
`Vec<EventRecord>` (encoded by the executive, which knows the runtime's event enum).

Invariants: an account record exists iff its total (free + reserved) is non-zero (or it keeps a
nonce, see `set_account`), and then has one provider; `BlockHash` keeps the last
`BLOCK_HASH_COUNT` block hashes (the mortality window); `Events` holds the current block's events
only.
"""

from __future__ import annotations

from typing import Annotated

from runtime.support.codec import U16, U32, U64, U128, AccountId, Bytes, BytesT, Hash, wire
from runtime.support.dispatch import (
    Ctx,
    DispatchErrorField,
    DispatchInfo,
    Origin,
    Pallet,
    SystemError_,
    Weight,
    call,
    ensure_signed,
)
from runtime.support.hashing import blake2_256
from runtime.support.keys import SS58_DEFAULT_PREFIX
from runtime.support.scale import EncodedS
from runtime.support.storage import StorageMap, StorageValue

MAX_EVENTS_SIZE = 64 * 1024 * 1024  # a full block's events, bytes
# the block's SCALE Vec<EventRecord>, as the executive encodes it (the metadata declares the type)
EventsBytes = Annotated[bytes, BytesT(max_len=MAX_EVENTS_SIZE), EncodedS("Vec<EventRecord>", MAX_EVENTS_SIZE)]
BLOCK_HASH_COUNT = 2400  # Substrate's BlockHashCount: how far back mortal transactions may be born
IS_NEW_LOGIC = 1 << 127  # pallet_balances' ExtraFlags default: the account uses the current balance logic


@wire
class AccountData:
    """pallet_balances' AccountData: the balances of one account, rao."""

    __scale_path__ = ("pallet_balances", "types", "AccountData")
    free: U64
    reserved: U64
    frozen: U64
    flags: U128 = IS_NEW_LOGIC


@wire
class AccountInfo:
    """One account: nonce, reference counts and balances (frame_system's AccountInfo)."""

    __scale_path__ = ("frame_system", "AccountInfo")
    nonce: U32
    consumers: U32
    providers: U32
    sufficients: U32
    data: AccountData

    @staticmethod
    def of(nonce: int, free: int, reserved: int = 0, frozen: int = 0) -> AccountInfo:
        """An account with one provider (a stored account has one) and these balances."""
        return AccountInfo(nonce, 0, 1, 0, AccountData(free, reserved, frozen))

    @property
    def free(self) -> int:
        return self.data.free

    @property
    def reserved(self) -> int:
        return self.data.reserved

    @property
    def frozen(self) -> int:
        return self.data.frozen

    def with_balances(self, nonce: int, free: int, reserved: int, frozen: int) -> AccountInfo:
        """This account with another nonce and balances (reference counts and flags kept)."""
        return AccountInfo(
            nonce, self.consumers, self.providers, self.sufficients, AccountData(free, reserved, frozen, self.data.flags)
        )


EMPTY_ACCOUNT = AccountInfo(0, 0, 0, 0, AccountData(0, 0, 0))


# --- events
@wire
class ExtrinsicSuccess:
    """An extrinsic completed successfully."""

    dispatch_info: DispatchInfo


@wire
class ExtrinsicFailed:
    """An extrinsic failed: Substrate's DispatchError (a pallet's error as Module { index, error })."""

    dispatch_error: DispatchErrorField
    dispatch_info: DispatchInfo


@wire
class NewAccount:
    """A new account was created."""

    account: AccountId


@wire
class KilledAccount:
    """An account was reaped."""

    account: AccountId


@wire
class Remarked:
    """On-chain remark happened: who and the hash of the remark."""

    sender: AccountId
    hash: Hash


class System(Pallet):
    NAME = "System"
    INDEX = 0
    CONSTANTS = (  # (name, type, value, doc), in the metadata as Substrate's frame_system declares them
        ("BlockHashCount", U32, BLOCK_HASH_COUNT, "Maximum number of block number to block hash mappings to keep"),
        ("SS58Prefix", U16, SS58_DEFAULT_PREFIX, "The designated SS58 prefix of this chain"),
    )
    Error = SystemError_
    EVENTS = (ExtrinsicSuccess, ExtrinsicFailed, NewAccount, KilledAccount, Remarked)

    # --- storage
    Account = StorageMap("System", "Account", AccountId, AccountInfo, EMPTY_ACCOUNT, doc="nonce and balances of each account")
    Number = StorageValue("System", "Number", U32, 0, doc="the current block number")
    ParentHash = StorageValue("System", "ParentHash", Hash, b"\0" * 32, doc="hash of the parent block")
    BlockHash = StorageMap("System", "BlockHash", U32, Hash, None, hasher="Twox64Concat", doc="recent block hashes by number")
    ExtrinsicCount = StorageValue("System", "ExtrinsicCount", U32, 0, doc="extrinsics in the current block")
    Events = StorageValue("System", "Events", EventsBytes, b"\x00", doc="the current block's events (SCALE Vec<EventRecord>)")

    # --- accounts (the AccountStore interface other pallets get injected)
    def get_account(self, ctx: Ctx, who: bytes) -> AccountInfo:
        return self.Account.get(ctx.state, who)

    def account_exists(self, ctx: Ctx, who: bytes) -> bool:
        return self.Account.contains(ctx.state, who)

    def iter_accounts(self, ctx: Ctx):
        return self.Account.iter(ctx.state)

    def set_account(self, ctx: Ctx, who: bytes, info: AccountInfo, keep_nonce: bool = False) -> None:
        """Store an account; a zero total reaps it (nonce reset), a new one emits NewAccount.
        `keep_nonce`: a fee-free call by an account with no balance (a hotkey setting weights)
        keeps its nonce record, so that its signed calls cannot be replayed."""
        existed = self.Account.contains(ctx.state, who)
        if info.free == 0 and info.reserved == 0 and not (keep_nonce and info.nonce > 0):
            if existed:
                self.Account.remove(ctx.state, who)
                ctx.deposit_event(KilledAccount(who))
            return
        if info.providers == 0:  # a stored account is provided for by its balance (or nonce)
            info = AccountInfo(info.nonce, info.consumers, 1, info.sufficients, info.data)
        self.Account.set(ctx.state, who, info)
        if not existed:
            ctx.deposit_event(NewAccount(who))

    # --- block lifecycle (called by the executive)
    def initialize(self, ctx: Ctx, number: int, parent_hash: bytes) -> None:
        s = ctx.state
        self.Number.set(s, number)
        self.ParentHash.set(s, parent_hash)
        if number > 0:
            self.BlockHash.set(s, number - 1, parent_hash)
        if number - 1 - BLOCK_HASH_COUNT > 0:  # the genesis hash (number 0) is kept for good
            self.BlockHash.remove(s, number - 1 - BLOCK_HASH_COUNT)
        self.ExtrinsicCount.kill(s)
        self.Events.kill(s)

    def note_success(self, ctx: Ctx, weight: int) -> None:
        ctx.deposit_event(ExtrinsicSuccess(DispatchInfo(Weight(weight))))

    def note_failed(self, ctx: Ctx, err, weight: int) -> None:
        ctx.deposit_event(ExtrinsicFailed(err.code(), DispatchInfo(Weight(weight))))

    def block_hash(self, ctx: Ctx, number: int) -> bytes | None:
        return self.BlockHash.try_get(ctx.state, number)

    # --- calls
    @call(0, weight=lambda remark: 10_000_000 + 1_000 * len(remark))
    def remark(self, ctx: Ctx, origin: Origin, remark: Bytes) -> None:
        """Make some on-chain remark. Origin: signed. Events: Remarked."""

        who = ensure_signed(origin)
        ctx.deposit_event(Remarked(who, blake2_256(remark)))
