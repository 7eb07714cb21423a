"""The executive: one code path that builds blocks and executes (imports) them.

A block runs as: initialize (System: number, parent hash, block hash window; Aura: slot and author),
`on_initialize` hooks in pallet order, inherents (unsigned, first), signed extrinsics each in its own
storage layer, `on_finalize` hooks, then the events are written and the roots computed.

Signed extrinsics (Substrate's v4, runtime/support/tx.py) are checked in Substrate's order
(sp-runtime `UncheckedExtrinsic::check`, then each extension's validation in the declared order),
each with Substrate's reason:
1. decoding, the call included (`UndecodableExtrinsic`, InvalidTransaction::Call);
2. the signer's lookup: only `MultiAddress::Id` names an account (UnknownTransaction::CannotLookup);
3. the implicit values: CheckMortality's birth block hash from System.BlockHash (unknown:
   AncientBirthBlock), CheckGenesis, CheckSpecVersion, CheckTxVersion, CheckMetadataHash (mode
   Enabled: this runtime commits to no metadata hash, CannotLookup). They are only signed, never
   sent, so an extrinsic signed for another chain or version fails:
4. the signature over `call ++ explicit ++ implicit` (BadProof);
5. CheckNonZeroSender (BadSigner), an inherent's call signed (Call), CheckNonce (Stale / Future),
   CheckWeight (ExhaustsResources), ChargeTransactionPayment (Payment).
Checks only read; then the nonce is bumped and the fee taken, the call is dispatched in a nested
layer (dropped on error); the block's fees go to its author at finalize.

A node may have signatures checked ahead (`Prechecked`): the executive builds the payload itself
and asks whether the signature is good over exactly that payload, and checks it here otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from runtime import scale_types
from runtime.block import MAX_BLOCK_NUMBER, Block, DigestItem, Header, extrinsics_root
from runtime.support import tx
from runtime.support.codec import CodecError
from runtime.support.dispatch import Call, Ctx, DispatchError, EventRecord, Origin
from runtime.support.storage import Overlay, StateBackend
from runtime.support.trie import Trie, TrieUpdate

if TYPE_CHECKING:
    from runtime.construct import Runtime


class Prechecked(Protocol):
    """Extrinsics decoded and signature-checked ahead of execution (by the node, in a worker
    process or at pool entry). `get(data)` gives the decoded record or None; a record may carry its
    decoded call (`tx.Extrinsic.call`), used when it is this runtime's. `verdict(data, payload)`
    says whether the signature of `data` is good over exactly `payload` (the executive builds the
    payload from the state), None when that was not checked."""

    def get(self, data: bytes) -> tx.Extrinsic | None: ...

    def verdict(self, data: bytes, payload: bytes) -> bool | None: ...

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
    IndeterminateImplicit = 11
    UnknownOrigin = 12


REASON_MESSAGES = {
    InvalidReason.Call: "Transaction call is not expected",
    InvalidReason.Payment: "Inability to pay some fees (e.g. account balance too low)",
    InvalidReason.Future: "Transaction will be valid in the future",
    InvalidReason.Stale: "Transaction is outdated",
    InvalidReason.BadProof: "Transaction has a bad signature",
    InvalidReason.AncientBirthBlock: "Transaction has an ancient birth block",
    InvalidReason.ExhaustsResources: "Transaction would exhaust the block limits",
    InvalidReason.Custom: "InvalidTransaction custom error",
    InvalidReason.BadMandatory: "A call was labelled as mandatory, but resulted in an Error.",
    InvalidReason.MandatoryValidation: "Transaction dispatch is mandatory; transactions must not be validated.",
    InvalidReason.BadSigner: "Invalid signing address",
    InvalidReason.IndeterminateImplicit: "The implicit data was unable to be calculated",
    InvalidReason.UnknownOrigin: "The transaction extension did not authorize any origin",
}


class UnknownReason(IntEnum):
    """Substrate's UnknownTransaction variants: validity could not be determined."""

    CannotLookup = 0
    NoUnsignedValidator = 1
    Custom = 2


UNKNOWN_MESSAGES = {
    UnknownReason.CannotLookup: "Could not lookup information required to validate the transaction",
    UnknownReason.NoUnsignedValidator: "Could not find an unsigned validator for the unsigned transaction",
    UnknownReason.Custom: "UnknownTransaction custom error",
}


class InvalidTransaction(Exception):
    """The extrinsic may not be included: the reason and what was wrong."""

    def __init__(self, reason: InvalidReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(self.message)

    @property
    def text(self) -> str:
        """Substrate's text of the reason alone (the 1010 error's data)."""
        return REASON_MESSAGES[self.reason]

    @property
    def message(self) -> str:
        return f"{self.text}: {self.detail}" if self.detail else self.text


class UndecodableExtrinsic(InvalidTransaction):
    """The bytes are not an extrinsic of this runtime (its format, extensions or calls): Substrate
    cannot even call the validation (its RPC says "Verification Error", 1002)."""

    def __init__(self, detail: str) -> None:
        super().__init__(InvalidReason.Call, detail)


class UnknownTransaction(InvalidTransaction):
    """Validity cannot be determined (Substrate's UnknownTransaction, RPC 1011): `unknown` is the
    variant; `reason` stays InvalidReason.Custom for code that only knows InvalidTransaction."""

    def __init__(self, unknown: UnknownReason, detail: str = "") -> None:
        self.unknown = unknown
        super().__init__(InvalidReason.Custom, detail)

    @property
    def text(self) -> str:
        return UNKNOWN_MESSAGES[self.unknown]


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
    nonce: int
    tip: int
    era: tx.Era
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
        if type(number) is not int or not 0 <= number <= MAX_BLOCK_NUMBER:
            raise BlockError(f"block number {number!r} does not fit Substrate's u32 BlockNumber (0..{MAX_BLOCK_NUMBER})")
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
    def record(self, data: bytes, xt: tx.Extrinsic | None = None) -> tx.Extrinsic:
        """`data` decoded with its call by this runtime: from `xt` or the pre-checked record when
        there is one, else decoded now. UndecodableExtrinsic when it does not decode."""
        if xt is None and self.prechecked is not None:
            xt = self.prechecked.get(data)
        try:
            if xt is None:
                xt = tx.decode_extrinsic(data)
            if xt.call is not None and self._is_ours(xt.call):
                return xt
            return xt.with_call(self.decode_call(xt))
        except CodecError as exc:
            raise UndecodableExtrinsic(f"could not decode: {exc}") from None

    def _is_ours(self, call: Call) -> bool:
        p = self.runtime.by_index.get(call.pallet)
        return p is not None and p.CALLS.get(call.index) is call.cdef

    def decode_call(self, xt: tx.Extrinsic) -> Call:
        """The extrinsic's typed call: the one it carries when this runtime decoded it, else
        decoded now. Raises CodecError."""
        call = xt.call
        if call is not None and self._is_ours(call):
            return call
        return scale_types.decode_call(self.runtime, xt.call_bytes)

    def birth_hash(self, era: tx.Era) -> bytes | None:
        """CheckMortality's implicit value: the hash of `era`'s birth block seen from this block
        (System.BlockHash; the parent's before this block initialized it), None when unknown."""
        if era.is_immortal:
            return self.runtime.genesis_hash
        birth = era.birth(self.number)
        if birth == self.number - 1:
            return self.parent_hash
        return self.runtime.system.block_hash(self.ctx, birth) if birth < self.number else None

    def implicit(self, birth_hash: bytes) -> dict[str, Any]:
        rt = self.runtime
        return tx.implicit_values(
            genesis_hash=rt.genesis_hash, spec_version=rt.VERSION.spec_version,
            tx_version=rt.VERSION.transaction_version, birth_hash=birth_hash,
        )

    def check(self, data: bytes, xt: tx.Extrinsic | None = None, allow_future: bool = False) -> _Checked:
        """Check a signed extrinsic against the current state (module doc: Substrate's order);
        reads only. `xt` is `data` decoded (decoded here when not given)."""
        rt = self.runtime
        xt = self.record(data, xt)  # 1. decoding
        call = xt.call
        assert call is not None
        if not xt.signed:
            raise InvalidTransaction(InvalidReason.Call, "unsigned extrinsics are inherents, put in by the block author")
        # 2. lookup of the signer
        signer = xt.signer
        if signer is None:
            raise UnknownTransaction(
                UnknownReason.CannotLookup, "the signer must be a MultiAddress::Id (the 32-byte account id)"
            )
        # 3. implicit values
        era, nonce, tip = xt.era, xt.nonce, xt.tip
        assert era is not None and nonce is not None
        if xt.mode != tx.MetadataHashMode.DISABLED:
            raise UnknownTransaction(
                UnknownReason.CannotLookup, "CheckMetadataHash mode Enabled: this runtime has no metadata hash; sign with mode 0"
            )
        birth_hash = self.birth_hash(era)
        if birth_hash is None:
            raise InvalidTransaction(
                InvalidReason.AncientBirthBlock, f"block {era.birth(self.number)} (the era's birth) is not in System.BlockHash"
            )
        # 4. the signature over the payload this chain's state gives
        payload = xt.payload(self.implicit(birth_hash))
        ok = self.prechecked.verdict(data, payload) if self.prechecked is not None else None
        if ok is None:
            ok = xt.verify(payload)
        if not ok:
            raise InvalidTransaction(
                InvalidReason.BadProof,
                "wrong key or scheme, or signed for another genesis hash, spec or transaction version, "
                "birth block or call",
            )
        # 5. the extensions' validation, in declared order
        if signer == bytes(32):
            raise InvalidTransaction(InvalidReason.BadSigner, "the all-zero account cannot sign (CheckNonZeroSender)")
        if (call.pallet, call.index) in rt.INHERENT_CALLS:
            raise InvalidTransaction(InvalidReason.Call, "this call is an inherent and cannot be signed")
        account = rt.system.get_account(self.ctx, signer)
        if nonce < account.nonce:
            raise InvalidTransaction(InvalidReason.Stale, f"nonce {nonce} < account nonce {account.nonce}")
        if nonce > account.nonce and not allow_future:
            raise InvalidTransaction(InvalidReason.Future, f"nonce {nonce} > account nonce {account.nonce}")
        cdef = rt.call_def(call.pallet, call.index)
        weight = cdef.compute_weight(call.args)
        total = weight + rt.EXTRINSIC_BASE_WEIGHT
        if self.weight + total > MAX_NORMAL_WEIGHT or self.length + xt.length > MAX_BLOCK_LENGTH:
            raise InvalidTransaction(InvalidReason.ExhaustsResources)
        fee = rt.payment.compute_fee(xt.length, weight, tip, cdef.pays_fee)
        if nonce == account.nonce:
            if fee.total and account.free == 0 and account.reserved == 0:  # nothing to pay with
                raise InvalidTransaction(InvalidReason.Payment, "the sender account does not exist")
            if not rt.payment.can_pay(self.ctx, signer, fee.total):
                raise InvalidTransaction(InvalidReason.Payment, f"fee {fee.total} rao")
        return _Checked(signer, nonce, tip, era, call, xt.length, weight, fee)

    def validate(self, data: bytes) -> ValidTransaction:
        """Pool-time validation: like `check`, but a future nonce is allowed (it waits in the pool
        for the transaction that provides `(signer, nonce - 1)`)."""
        c = self.check(data, allow_future=True)
        account_nonce = self.runtime.system.get_account(self.ctx, c.signer).nonce
        nonce = c.nonce
        requires = () if nonce == account_nonce else (tag(c.signer, nonce - 1),)
        death = c.era.death(self.number)
        longevity = max(0, death - self.number) if not c.era.is_immortal else (1 << 64) - 1
        return ValidTransaction(c.signer, nonce, c.tip, requires, (tag(c.signer, nonce),), longevity)

    # ------------------------------------------------------------------ application
    def apply_inherent(self, data: bytes, xt: tx.Extrinsic | None = None) -> None:
        rt = self.runtime
        if self.signed_seen:
            raise BlockError("inherents must come before signed extrinsics")
        try:
            xt = self.record(data, xt)
        except InvalidTransaction as exc:
            raise BlockError(f"undecodable inherent: {exc.detail}") from None
        if xt.signed:
            raise BlockError("not an inherent")
        call = xt.call
        assert call is not None
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
        rt.system.Events.set(ctx.state, scale_types.encode_events(rt, ctx.events))  # SCALE Vec<EventRecord>
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
            xt = ex.record(data)  # check() asks `prechecked` for the signature's verdict itself
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


@dataclasses.dataclass(frozen=True, slots=True)
class FeeInfo:
    """Substrate's TransactionPaymentApi answers for one extrinsic: its weight (the extrinsic base
    included), its dispatch class (always normal here) and its fee parts without a tip (None for
    an unsigned extrinsic, which pays nothing)."""

    weight: int
    fee: Any  # FeeDetails | None

    @property
    def partial_fee(self) -> int:
        return 0 if self.fee is None else self.fee.total


def query_fee(runtime: Runtime, data: bytes, length: int | None = None) -> FeeInfo:
    """What `data` would weigh and pay, as `TransactionPaymentApi_query_info` / `_query_fee_details`
    (tip left out, the fee of `length` bytes, default its own length). Raises CodecError when it
    is not an extrinsic of this runtime."""
    xt = tx.decode_extrinsic(data)
    call = scale_types.decode_call(runtime, xt.call_bytes)
    cdef = runtime.call_def(call.pallet, call.index)
    weight = cdef.compute_weight(call.args)
    n = len(data) if length is None else length
    fee = runtime.payment.compute_fee(n, weight, 0, cdef.pays_fee) if xt.signed else None
    return FeeInfo(weight + runtime.EXTRINSIC_BASE_WEIGHT, fee)
