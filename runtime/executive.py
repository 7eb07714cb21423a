"""The executive: one code path that builds blocks and executes (imports) them.

A block runs as: initialize (System: number, parent hash, block hash window; Aura: slot and author),
`on_initialize` hooks in pallet order, inherents (unsigned, first), signed extrinsics each in its own
storage layer, `on_finalize` hooks, then the events are written and the roots computed.

Signed extrinsics are checked in Substrate's order, each with Substrate's reason:
1. signature (BadProof); 2. genesis hash and spec version (BadProof, saying which); 3. mortality
(AncientBirthBlock); 4. nonce (Stale / Future); 5. fees (Payment); plus block limits
(ExhaustsResources). Checks only read; then the nonce is bumped and the fee taken, the call is
dispatched in a nested layer (dropped on error); the block's fees go to its author at finalize.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from runtime.block import Block, DigestItem, Header, extrinsics_root
from runtime.scale_types import encode_events
from runtime.support import tx
from runtime.support.codec import CodecError
from runtime.support.dispatch import Call, Ctx, DispatchError, EventRecord, Origin
from runtime.support.storage import Overlay, StateBackend
from runtime.support.trie import Trie, TrieUpdate

if TYPE_CHECKING:
    from runtime.construct import Runtime


class Prechecked(Protocol):
    """Extrinsics decoded and signature-checked ahead of execution (by the node, e.g. in a worker
    thread or at pool entry): `get(data)` gives (the decoded record, signature_ok) or None. A record
    may carry its decoded call (`tx.Extrinsic.call`); it is used when it is this runtime's."""

    def get(self, data: bytes) -> tuple[tx.Extrinsic, bool] | None: ...

MAX_BLOCK_WEIGHT = 4_000_000_000_000  # 4 s of ref time, subtensor's block limit
MAX_NORMAL_WEIGHT = MAX_BLOCK_WEIGHT * 3 // 4  # 75% for normal extrinsics
MAX_BLOCK_LENGTH = 5 * 1024 * 1024


class InvalidReason(IntEnum):
    """Substrate's InvalidTransaction variants."""

    Call = 0
    Payment = 1
    Future = 2
    Stale = 3
    BadProof = 4
    AncientBirthBlock = 5
    ExhaustsResources = 6
    Custom = 7
    BadMandatory = 8
    MandatoryValidation = 9
    BadSigner = 10


REASON_MESSAGES = {
    InvalidReason.Call: "Transaction call is not expected",
    InvalidReason.Payment: "Inability to pay some fees (e.g. account balance too low)",
    InvalidReason.Future: "Transaction will be valid in the future",
    InvalidReason.Stale: "Transaction is outdated",
    InvalidReason.BadProof: "Transaction has a bad signature",
    InvalidReason.AncientBirthBlock: "Transaction has an ancient birth block",
    InvalidReason.ExhaustsResources: "Transaction would exhaust the block limits",
    InvalidReason.Custom: "Custom error",
    InvalidReason.BadMandatory: "A call was labelled as mandatory, but resulted in an Error.",
    InvalidReason.MandatoryValidation: "Transaction dispatch is mandatory; transactions must not be validated.",
    InvalidReason.BadSigner: "Invalid signing address",
}


class InvalidTransaction(Exception):
    """The extrinsic may not be included: the reason and what was wrong."""

    def __init__(self, reason: InvalidReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        base = REASON_MESSAGES[self.reason]
        return f"{base}: {self.detail}" if self.detail else base


class BlockError(Exception):
    """The block is invalid (bad inherent, failed hook, wrong root, invalid extrinsic...)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ValidTransaction:
    """What the pool needs: who, nonce tags, priority (tip), longevity."""

    signer: bytes
    nonce: int
    priority: int
    requires: tuple[bytes, ...]
    provides: tuple[bytes, ...]
    longevity: int


@dataclasses.dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """Result of one included extrinsic: None error means the call succeeded."""

    index: int
    error: DispatchError | None
    fee: int


@dataclasses.dataclass(frozen=True, slots=True)
class BlockResult:
    """A finished block: header (unsealed), storage changes, events, the trie update."""

    header: Header
    extrinsics: tuple[bytes, ...]
    changes: dict[bytes, bytes | None]
    events: tuple[EventRecord, ...]
    trie_update: TrieUpdate
    outcomes: tuple[ApplyOutcome, ...]

    @property
    def block(self) -> Block:
        return Block(self.header, self.extrinsics)


@dataclasses.dataclass(slots=True)
class _Checked:
    signer: bytes
    extra: tx.Extra
    call: Call
    length: int
    weight: int  # the call's declared weight, without the extrinsic base
    fee: Any  # FeeDetails


def tag(who: bytes, nonce: int) -> bytes:
    return who + nonce.to_bytes(4, "big")


class BlockExecution:
    """Executes one block on top of a parent state. Used by both the builder and the importer."""

    def __init__(
        self,
        runtime: Runtime,
        backend: StateBackend,
        parent_hash: bytes,
        number: int,
        digest: tuple[DigestItem, ...],
        hooks: bool = True,
        prechecked: Prechecked | None = None,
    ) -> None:
        self.runtime = runtime
        self.prechecked = prechecked
        self.parent_hash = parent_hash
        self.number = number
        self.digest = digest
        self.overlay = Overlay(backend)
        self.ctx = Ctx(self.overlay, number, runtime)
        self.extrinsics: list[bytes] = []
        self.outcomes: list[ApplyOutcome] = []
        self.weight = 0
        self.length = 0
        self.signed_seen = False
        self.fees = 0  # collected from signed extrinsics, paid to the author at finalize
        self.author: bytes | None = None
        if not hooks:  # pool validation: reads only, no block initialization or hooks
            return
        runtime.system.initialize(self.ctx, number, parent_hash)
        slot = Header(parent_hash, number, b"\0" * 32, b"\0" * 32, digest, b"").slot()
        if slot is None:
            raise BlockError("the header has no Aura slot digest")
        try:
            self.author = runtime.aura.enter_slot(self.ctx, slot)
            for p in runtime.pallets:
                p.on_initialize(self.ctx)
        except DispatchError as exc:
            raise BlockError(f"block initialization failed: {exc}") from None

    # ------------------------------------------------------------------ validity
    @staticmethod
    def decode(data: bytes) -> tx.Extrinsic:
        try:
            return tx.decode_extrinsic(data)
        except CodecError as exc:
            raise InvalidTransaction(InvalidReason.Call, f"could not decode: {exc}") from None

    def decode_call(self, xt: tx.Extrinsic) -> Call:
        """The extrinsic's typed call: the one it carries when this runtime decoded it, else
        decoded now. Raises CodecError."""
        call = xt.call
        if call is not None:
            p = self.runtime.by_index.get(call.pallet)
            if p is not None and p.CALLS.get(call.index) is call.cdef:
                return call
        return self.runtime.decode_call(xt.call_wire)

    def check(self, data: bytes, xt: tx.Extrinsic | None = None, allow_future: bool = False) -> _Checked:
        """Check a signed extrinsic against the current state; reads only. `xt` is `data` decoded
        (decoded here when not given)."""
        rt = self.runtime
        sig_ok: bool | None = None
        if self.prechecked is not None:
            pre = self.prechecked.get(data)
            if pre is not None:
                xt, sig_ok = pre
        if xt is None:
            xt = self.decode(data)
        if not xt.signed:
            raise InvalidTransaction(InvalidReason.Call, "unsigned extrinsics are inherents, put in by the block author")
        signer, extra = xt.signer, xt.extra  # set in every signed record
        if sig_ok is None:
            sig_ok = tx.verify_extrinsic(xt)
        if not sig_ok:
            raise InvalidTransaction(InvalidReason.BadProof)
        if extra.genesis_hash != rt.genesis_hash:
            raise InvalidTransaction(
                InvalidReason.BadProof, f"signed for another chain (genesis 0x{extra.genesis_hash.hex()})"
            )
        if extra.spec_version != rt.VERSION.spec_version:
            raise InvalidTransaction(
                InvalidReason.BadProof,
                f"signed for spec version {extra.spec_version}, the runtime is {rt.VERSION.spec_version}",
            )
        birth = extra.era.birth(self.number)
        if extra.era.immortal:
            expected = rt.genesis_hash
        else:
            if birth == self.number - 1:
                expected = self.parent_hash  # not in BlockHash until the block initializes
            else:
                expected = rt.system.block_hash(self.ctx, birth) if birth < self.number else None
        if expected is None or expected != extra.birth_hash:
            raise InvalidTransaction(InvalidReason.AncientBirthBlock)
        try:
            call = self.decode_call(xt)
        except CodecError as exc:
            raise InvalidTransaction(InvalidReason.Call, f"could not decode the call: {exc}") from None
        if (call.pallet, call.index) in rt.INHERENT_CALLS:
            raise InvalidTransaction(InvalidReason.Call, "this call is an inherent and cannot be signed")
        account = rt.system.get_account(self.ctx, signer)
        if extra.nonce < account.nonce:
            raise InvalidTransaction(InvalidReason.Stale, f"nonce {extra.nonce} < account nonce {account.nonce}")
        if extra.nonce > account.nonce and not allow_future:
            raise InvalidTransaction(InvalidReason.Future, f"nonce {extra.nonce} > account nonce {account.nonce}")
        cdef = rt.call_def(call.pallet, call.index)
        weight = cdef.compute_weight(call.args)
        fee = rt.payment.compute_fee(xt.length, weight, extra.tip, cdef.pays_fee)
        if extra.nonce == account.nonce:
            if fee.total and account.free == 0 and account.reserved == 0:  # nothing to pay with
                raise InvalidTransaction(InvalidReason.Payment, "the sender account does not exist")
            if not rt.payment.can_pay(self.ctx, signer, fee.total):
                raise InvalidTransaction(InvalidReason.Payment, f"fee {fee.total} rao")
        return _Checked(signer, extra, call, xt.length, weight, fee)

    def validate(self, data: bytes) -> ValidTransaction:
        """Pool-time validation: like `check`, but a future nonce is allowed (it waits in the pool
        for the transaction that provides `(signer, nonce - 1)`)."""
        c = self.check(data, allow_future=True)
        account_nonce = self.runtime.system.get_account(self.ctx, c.signer).nonce
        nonce = c.extra.nonce
        requires = () if nonce == account_nonce else (tag(c.signer, nonce - 1),)
        death = c.extra.era.death(self.number)
        longevity = (1 << 64) - 1 if death is None else max(0, death - self.number)
        return ValidTransaction(c.signer, nonce, c.extra.tip, requires, (tag(c.signer, nonce),), longevity)

    # ------------------------------------------------------------------ application
    def apply_inherent(self, data: bytes, xt: tx.Extrinsic | None = None) -> None:
        rt = self.runtime
        if self.signed_seen:
            raise BlockError("inherents must come before signed extrinsics")
        try:
            if xt is None:
                xt = tx.decode_extrinsic(data)
            if xt.signed:
                raise BlockError("not an inherent")
            call = self.decode_call(xt)
        except CodecError as exc:
            raise BlockError(f"undecodable inherent: {exc}") from None
        if (call.pallet, call.index) not in rt.INHERENT_CALLS:
            raise BlockError("unsigned extrinsic that is not an inherent")
        self.ctx.phase = len(self.extrinsics)
        cdef = rt.call_def(call.pallet, call.index)
        weight = cdef.compute_weight(call.args)
        err = rt.dispatch(self.ctx, Origin.none(), call)
        if err is not None:
            raise BlockError(f"inherent {cdef.name} failed: {err}")
        rt.system.note_success(self.ctx, weight)
        self.extrinsics.append(data)
        self.outcomes.append(ApplyOutcome(self.ctx.phase, None, 0))
        self.ctx.phase = None

    def apply_extrinsic(self, data: bytes, xt: tx.Extrinsic | None = None) -> ApplyOutcome:
        """Apply one signed extrinsic (`xt`: `data` decoded, if the caller has it); raises
        InvalidTransaction (state untouched) when it may not be included."""
        rt = self.runtime
        c = self.check(data, xt)
        weight = c.weight + rt.EXTRINSIC_BASE_WEIGHT
        if self.weight + weight > MAX_NORMAL_WEIGHT or self.length + c.length > MAX_BLOCK_LENGTH:
            raise InvalidTransaction(InvalidReason.ExhaustsResources)
        fee = c.fee
        ctx = self.ctx
        ctx.phase = len(self.extrinsics)
        # pre-dispatch: bump the nonce and take the fee; kept whatever the call does
        rt.payment.charge(ctx, c.signer, fee.total, bump_nonce=True)
        err = rt.dispatch(ctx, Origin.signed(c.signer), c.call)
        rt.payment.note_paid(ctx, c.signer, fee)
        self.fees += fee.total
        if err is None:
            rt.system.note_success(ctx, weight)
        else:
            rt.system.note_failed(ctx, err, weight)
        outcome = ApplyOutcome(ctx.phase, err, fee.total)
        ctx.phase = None
        self.signed_seen = True
        self.weight += weight
        self.length += c.length
        self.extrinsics.append(data)
        self.outcomes.append(outcome)
        return outcome

    def finalize(self, trie: Trie) -> BlockResult:
        rt = self.runtime
        ctx = self.ctx
        rt.payment.pay_author(ctx, self.author, self.fees)
        try:
            for p in rt.pallets:
                p.on_finalize(ctx)
        except DispatchError as exc:
            raise BlockError(f"block finalization failed: {exc}") from None
        rt.system.ExtrinsicCount.set(ctx.state, len(self.extrinsics))
        rt.system.Events.set(ctx.state, encode_events(rt, ctx.events))  # SCALE Vec<EventRecord>
        changes = self.overlay.changes()
        update = trie.update(changes)
        xts = tuple(self.extrinsics)
        header = Header(self.parent_hash, self.number, update.root, extrinsics_root(xts), self.digest, b"")
        return BlockResult(header, xts, changes, tuple(ctx.events), update, tuple(self.outcomes))


def build_block(
    runtime: Runtime,
    backend: StateBackend,
    trie: Trie,
    parent_hash: bytes,
    number: int,
    digest: tuple[DigestItem, ...],
    inherents: list[bytes],
    candidates: list[bytes],
    prechecked: Prechecked | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[BlockResult, list[tuple[bytes, InvalidTransaction]]]:
    """Author a block: inherents, then every candidate that is valid (the others are returned with
    their reason). The header comes back unsealed. `should_stop` (the node's proposal deadline) is
    asked every 64 candidates; it decides only which transactions the author includes, never how
    they execute."""
    ex = BlockExecution(runtime, backend, parent_hash, number, digest, prechecked=prechecked)
    for data in inherents:
        ex.apply_inherent(data)
    rejected: list[tuple[bytes, InvalidTransaction]] = []
    for i, data in enumerate(candidates):
        if should_stop is not None and i % 64 == 0 and i and should_stop():
            break
        try:
            ex.apply_extrinsic(data)
        except InvalidTransaction as exc:
            rejected.append((data, exc))
    return ex.finalize(trie), rejected


def execute_block(
    runtime: Runtime, backend: StateBackend, trie: Trie, block: Block, prechecked: Prechecked | None = None
) -> BlockResult:
    """Import: re-execute `block` on its parent state and check its roots. Raises BlockError."""
    h = block.header
    ex = BlockExecution(runtime, backend, h.parent_hash, h.number, h.digest, prechecked=prechecked)
    for data in block.extrinsics:
        try:
            pre = prechecked.get(data) if prechecked is not None else None
            if pre is None:
                xt = ex.decode(data)
            else:
                xt, _sig_ok = pre  # check() asks `prechecked` for the verdict itself
            if xt.signed:
                ex.apply_extrinsic(data, xt)
            else:
                ex.apply_inherent(data, xt)
        except InvalidTransaction as exc:
            raise BlockError(f"extrinsic {len(ex.extrinsics)} is invalid: {exc.message}") from None
    result = ex.finalize(trie)
    if result.header.extrinsics_root != h.extrinsics_root:
        raise BlockError("extrinsics root mismatch")
    if result.header.state_root != h.state_root:
        raise BlockError(
            f"state root mismatch: block says 0x{h.state_root.hex()}, execution gives 0x{result.header.state_root.hex()}"
        )
    return BlockResult(h, result.extrinsics, result.changes, result.events, result.trie_update, result.outcomes)


def validate_transaction(
    runtime: Runtime, backend: StateBackend, best: Header, data: bytes, prechecked: Prechecked | None = None
) -> ValidTransaction:
    """Validate `data` for inclusion in the block after `best` (the pool's entry check)."""
    ex = BlockExecution(runtime, backend, best.hash(), best.number + 1, (), hooks=False, prechecked=prechecked)
    return ex.validate(data)
