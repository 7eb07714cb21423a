"""System pallet (index 0): accounts (nonce + balances), block number and hashes, events.

Invariants: an account record exists iff its total (free + reserved) is non-zero; `BlockHash` keeps
the last `BLOCK_HASH_COUNT` block hashes (the mortality window); `Events` holds the current block's
events only.
"""

from __future__ import annotations

from typing import Annotated

from runtime.support.codec import U8, U32, U64, AccountId, Bytes, BytesT, Hash, Text, wire
from runtime.support.dispatch import Ctx, Origin, Pallet, SystemError_, call, ensure_signed
from runtime.support.hashing import blake2_256
from runtime.support.storage import StorageMap, StorageValue

EventsBytes = Annotated[bytes, BytesT(max_len=64 * 1024 * 1024)]  # a full block's events
BLOCK_HASH_COUNT = 2400  # Substrate's BlockHashCount: how far back mortal transactions may be born


@wire
class AccountInfo:
    """One account: nonce and balances (Substrate's AccountInfo with AccountData folded in)."""

    nonce: U32
    free: U64
    reserved: U64
    frozen: U64


EMPTY_ACCOUNT = AccountInfo(0, 0, 0, 0)


# --- events
@wire
class ExtrinsicSuccess:
    """An extrinsic completed successfully."""

    weight: U64


@wire
class ExtrinsicFailed:
    """An extrinsic failed: the dispatch error as (pallet index, error index) and its name."""

    module_index: U8
    error_index: U8
    error: Text
    weight: U64


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
    Error = SystemError_
    EVENTS = (ExtrinsicSuccess, ExtrinsicFailed, NewAccount, KilledAccount, Remarked)

    # --- storage
    Account = StorageMap("System", "Account", AccountId, AccountInfo, EMPTY_ACCOUNT, doc="nonce and balances of each account")
    Number = StorageValue("System", "Number", U64, 0, doc="the current block number")
    ParentHash = StorageValue("System", "ParentHash", Hash, b"\0" * 32, doc="hash of the parent block")
    BlockHash = StorageMap("System", "BlockHash", U64, Hash, None, hasher="Twox64Concat", doc="recent block hashes by number")
    ExtrinsicCount = StorageValue("System", "ExtrinsicCount", U32, 0, doc="extrinsics in the current block")
    Events = StorageValue("System", "Events", EventsBytes, b"", doc="the current block's events, encoded")

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
        ctx.deposit_event(ExtrinsicSuccess(weight))

    def note_failed(self, ctx: Ctx, err, weight: int) -> None:
        ctx.deposit_event(ExtrinsicFailed(err.pallet_index, err.error_index, err.name, weight))

    def block_hash(self, ctx: Ctx, number: int) -> bytes | None:
        return self.BlockHash.try_get(ctx.state, number)

    # --- calls
    @call(0, weight=lambda remark: 10_000_000 + 1_000 * len(remark))
    def remark(self, ctx: Ctx, origin: Origin, remark: Bytes) -> None:
        """Make some on-chain remark. Origin: signed. Events: Remarked."""

        who = ensure_signed(origin)
        ctx.deposit_event(Remarked(who, blake2_256(remark)))
