"""The dry run (Substrate's `system_dryRun`): apply one signed extrinsic on top of a block's state as
the next block would, in a layer that is thrown away, and say what would happen.

The extrinsic runs as the first transaction of a block built on `parent`, through the block
builder's own code (runtime.executive.BlockExecution): the block is initialized (System, Aura's
next slot, every pallet's `on_initialize`: per-block counters reset, due epochs run), the
timestamp inherent is applied, then `apply_extrinsic` checks the extrinsic in the executive's order
(Substrate's: lookup, era, signature, then the extensions: nonce, weight, fee; each failure a
transaction-validity error, with nothing applied) and, when it may be included, takes the fee, bumps the nonce and dispatches
the call. Nothing is written anywhere: the execution's storage overlay is dropped.
(Unlike Substrate's, which calls `apply_extrinsic` on the parent state without initializing a
block, the hooks run, so that per-block limits and adjustments are those of the block the
transaction would land in. The beacon's `write_pulse` inherent is not applied.)

The outcome (`DryRun`) is the validity error, or the dispatch result: Ok, or the pallet error with
its pallet, name, index and doc (its cause and its fix, declared beside the error in the pallet);
plus the events the extrinsic would emit and the fee it would pay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import scale_types
from runtime.block import Header, aura_digest
from runtime.executive import (
    REASON_MESSAGES,
    BlockExecution,
    InvalidReason,
    InvalidTransaction,
    UnknownTransaction,
)
from runtime.support import tx
from runtime.support.dispatch import DispatchError, EventRecord, SystemError_
from runtime.support.storage import StateBackend

if TYPE_CHECKING:
    from runtime.construct import Runtime

# how to fix each transaction-validity error (the cause is the executive's REASON_MESSAGES)
INVALID_FIXES: dict[InvalidReason, str] = {
    InvalidReason.Call: "compose the call from the node's metadata; inherents are put in by the block author",
    InvalidReason.Payment: "fund the sender so that it can pay the fee (`taochain transfer --dest SENDER --amount ...`)",
    InvalidReason.Future: "send the sender's earlier transactions first, or sign with its current nonce",
    InvalidReason.Stale: "sign again with the sender's next nonce (system_accountNextIndex)",
    InvalidReason.BadProof: (
        "sign again with the sender's key, for this chain's genesis hash, spec and transaction versions"
    ),
    InvalidReason.AncientBirthBlock: "the era has expired or names a block this chain does not have: sign again",
    InvalidReason.ExhaustsResources: "the block is full: retry in a later block",
    InvalidReason.BadSigner: "sign with a valid account key",
}


def invalid_doc(reason: InvalidReason) -> str:
    """A validity error's doc, as a pallet error's: the cause, then (second line) the fix."""
    fix = INVALID_FIXES.get(reason, "")
    return REASON_MESSAGES[reason] + (f"\n{fix}" if fix else "")


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleError:
    """A dispatch error named and documented by the pallet that declares it."""

    pallet: str
    pallet_index: int
    error: str
    index: int
    doc: str  # the cause, then (on a second line) the fix
    detail: str  # what the runtime said about this case (e.g. "the burn is 1000 rao"); may be ""

    @property
    def name(self) -> str:
        return f"{self.pallet}.{self.error}"

    def to_json(self) -> dict[str, Any]:
        return {"pallet": self.pallet, "palletIndex": self.pallet_index, "error": self.error, "index": self.index,
                "doc": self.doc, "detail": self.detail}


def module_error(runtime: Runtime, err: DispatchError) -> ModuleError:
    """`err` with its pallet's name and its declared doc (looked up in the runtime's own enums)."""
    p = runtime.by_index.get(err.pallet_index)
    cls = p.Error if p is not None and getattr(p.Error, "pallet_index", None) == err.pallet_index else SystemError_
    pallet, _, error = err.name.partition(".")
    doc = ""
    try:
        member = cls(err.error_index)
    except ValueError:
        pass
    else:
        error, doc = member.name, member.doc
    return ModuleError(p.NAME if p is not None else pallet, err.pallet_index, error, err.error_index, doc, err.detail)


@dataclasses.dataclass(frozen=True, slots=True)
class DryRun:
    """What applying the extrinsic would do. `invalid`: it may not be included (nothing applied,
    no fee); else it would be included, pay `fee` and emit `events`, and `error` is its call's
    dispatch error (None: the call succeeds)."""

    invalid: InvalidTransaction | None
    error: ModuleError | None = None
    events: tuple[EventRecord, ...] = ()
    fee: int | None = None

    @property
    def ok(self) -> bool:
        return self.invalid is None and self.error is None

    def to_json(self, fields_json: Callable[[Any], Any]) -> dict[str, Any]:
        """The system_dryRun answer (see node/rpc_api.py `system_dry_run`); `fields_json` turns an
        event's fields into JSON (as chain_getEvents shows them)."""
        if isinstance(self.invalid, UnknownTransaction):
            u = self.invalid.unknown
            err = {"unknown": u.name, "message": self.invalid.text, "detail": self.invalid.detail,
                   "doc": self.invalid.text}
            return {"err": err, "events": [], "fee": None}
        if self.invalid is not None:
            r = self.invalid.reason
            err = {"invalid": r.name, "message": REASON_MESSAGES[r], "detail": self.invalid.detail,
                   "doc": invalid_doc(r)}
            return {"err": err, "events": [], "fee": None}
        result: dict[str, Any] = {"ok": None} if self.error is None else {"err": {"module": self.error.to_json()}}
        events = [
            {"phase": e.phase, "pallet": e.pallet, "index": e.index, "name": e.name, "fields": fields_json(e.fields)}
            for e in self.events
        ]
        return {"ok": result, "events": events, "fee": self.fee}


def dry_run(runtime: Runtime, backend: StateBackend, parent: Header, data: bytes) -> DryRun:
    """Apply the signed extrinsic `data` as the first transaction of a block on `parent` (whose
    post-state `backend` is) and return what would happen; `backend` is only read. Raises
    runtime.executive.BlockError when that block cannot even be initialized."""
    slot = (parent.slot() or 0) + 1
    ex = BlockExecution(runtime, backend, parent.hash(), parent.number + 1, aura_digest(slot))
    ms = runtime.slot_duration_ms
    stamp = runtime.call("Timestamp", "set", max(slot * ms, runtime.timestamp.now(ex.ctx) + ms))
    ex.apply_inherent(tx.encode_unsigned(scale_types.encode_call(runtime, stamp)))
    try:
        outcome = ex.apply_extrinsic(data)
    except InvalidTransaction as exc:
        return DryRun(exc)
    events = tuple(e for e in ex.ctx.events if e.phase == outcome.index)
    error = None if outcome.error is None else module_error(runtime, outcome.error)
    return DryRun(None, error, events, outcome.fee)
