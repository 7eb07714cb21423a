"""The transaction pool: Substrate's graph pool (ready and future queues by tags), in memory.

Every extrinsic is validated on entry by a callback over the best state (`validate(data) ->
ValidTransaction`, raising `InvalidTransaction`). In a node, transactions reach the pool through
node/intake.py (RPC and gossip alike), which has them decoded and signature-checked off the event
loop first. A transaction `provides` its (signer, nonce) tag
and `requires` the tag of the previous nonce unless its nonce is the account's nonce. It is *ready*
when every tag it requires is provided by the chain (nothing required, or a tag recorded as included
while re-validation was skipped) or by another ready transaction; otherwise it waits in *future*.
When a provider becomes ready, its dependents are promoted.

Submission errors carry Substrate's RPC codes (`PoolError.code`): 1002 Verification Error (the
bytes are not an extrinsic of this runtime), 1010 Invalid Transaction (data: the reason's text),
1011 Unknown Transaction Validity (data: the UnknownTransaction variant), 1012 temporarily banned, 1013 already imported,
1014 priority too low (a transaction with the same tag and a tip not higher is already in), 1016
immediately dropped (the pool, or the sender's share of it, is full and nothing worse can go).
Invalid transactions, those dropped by the limits and those included in a block are banned (by hash)
for `ban_seconds`, so that gossip does not bring them straight back.

Limits: `max_ready`, `max_future` (counts) and `max_per_sender`. Over a queue limit the worst
*leaf* of that queue (a transaction nothing in the pool depends on: lowest priority, then newest)
is dropped; over the sender limit, the sender's highest nonce is dropped. If that is the new
transaction itself, submission fails with 1016.

After each block import (`on_block_imported`) the included transactions leave and every other one
is re-validated against the new best state: nonces that advanced make futures ready, and those now
invalid (stale nonce, cannot pay, expired era) are dropped and banned.

Watchers (`watch(hash, callback)`) receive Substrate's `author_extrinsicUpdate` values: "future",
"ready", {"broadcast": [peer ids]}, {"inBlock": "0x.."}, {"finalized": "0x.."}, {"usurped":
"0x<new>"}, "dropped", "invalid". (Substrate's {"retracted": ..} and {"finalityTimeout": ..} are
not sent: a retracted block's transactions are not watched again here.)
A watcher added while the transaction is in the pool is told its current status at once. Events are
delivered after the pool's state is consistent again, so a callback may call back into the pool.

This is node code: it may use time (through the injected `now` clock); ordering is reproducible
(priority, then arrival order).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from runtime.executive import (
    InvalidReason,
    InvalidTransaction,
    UndecodableExtrinsic,
    UnknownTransaction,
    ValidTransaction,
)
from runtime.support.hashing import blake2_256

log = logging.getLogger(__name__)

# Substrate's author RPC error codes (sc-rpc-api author/error.rs)
BAD_FORMAT = 1001
VERIFICATION_ERROR = 1002
OTHER_ERR = 1040
POOL_INVALID_TX = 1010
POOL_UNKNOWN_VALIDITY = 1011
POOL_TEMPORARILY_BANNED = 1012
POOL_ALREADY_IMPORTED = 1013
POOL_TOO_LOW_PRIORITY = 1014
POOL_CYCLE_DETECTED = 1015
POOL_IMMEDIATELY_DROPPED = 1016

READY = "ready"
FUTURE = "future"

Event = str | dict[str, str]
Watcher = Callable[[Event], None]


class PoolError(Exception):
    """A submission the pool refused: Substrate's JSON-RPC error code, message and data (exactly a
    Substrate node's); `detail` says more (for logs and the node's own tools, not sent)."""

    def __init__(
        self, code: int, message: str, data: Any = None, reason: InvalidReason | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.reason = reason  # the InvalidTransaction reason for 1010 (and 1002: Call)
        self.detail = detail

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err

    def __repr__(self) -> str:
        return f"PoolError({self.code}, {self.message!r}, {self.data!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class PoolLimits:
    max_ready: int = 8192
    max_future: int = 2048
    max_per_sender: int = 64
    ban_seconds: float = 30 * 60


@dataclasses.dataclass(frozen=True, slots=True)
class PoolTransaction:
    """A validated transaction in the pool; `arrival` orders equal priorities (older first)."""

    hash: bytes
    data: bytes
    valid: ValidTransaction
    arrival: int


def _hex(h: bytes) -> str:
    return "0x" + h.hex()


def _as_hash(x: bytes) -> bytes:
    """An extrinsic's hash, given the hash itself (32 bytes) or the extrinsic."""
    return x if len(x) == 32 else blake2_256(x)


class TxPool:
    """Ready/future transaction pool with replacement by tip, limits, bans and watchers."""

    def __init__(
        self,
        validate: Callable[[bytes], ValidTransaction],
        limits: PoolLimits | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._validate = validate
        self.limits = limits or PoolLimits()
        self._now = now
        self._lock = threading.RLock()
        self._arrivals = itertools.count()
        self._txs: dict[bytes, PoolTransaction] = {}
        self._ready: dict[bytes, None] = {}  # insertion-ordered sets
        self._future: dict[bytes, None] = {}
        self._provider: dict[bytes, bytes] = {}  # tag -> hash of the pool transaction providing it
        self._requirers: dict[bytes, dict[bytes, None]] = {}  # tag -> hashes requiring it
        self._by_sender: dict[bytes, dict[bytes, None]] = {}
        self._chain_tags: set[bytes] = set()  # provided by included transactions, not yet re-validated
        self._banned: dict[bytes, float] = {}  # hash -> ban end
        self._watchers: dict[bytes, list[Watcher]] = {}
        # during one operation: first-seen status of every touched transaction, events to send
        self._touched: dict[bytes, str | None] = {}
        self._events: list[tuple[bytes, Event]] = []
        # told (hash, bytes) of every transaction the pool accepts (the network gossips them)
        self.accept_listeners: list[Callable[[bytes, bytes], None]] = []

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self._txs)

    def __contains__(self, h: bytes) -> bool:
        return h in self._txs

    def get(self, h: bytes) -> PoolTransaction | None:
        return self._txs.get(h)

    def status(self) -> dict[str, int]:
        return {"ready": len(self._ready), "future": len(self._future)}

    def is_ready(self, h: bytes) -> bool:
        return h in self._ready

    def is_banned(self, h: bytes) -> bool:
        until = self._banned.get(h)
        if until is None:
            return False
        if self._now() >= until:
            del self._banned[h]
            return False
        return True

    def ready(self) -> list[bytes]:
        """Ready extrinsics (their bytes) in an inclusion order: a transaction comes after those it
        requires; otherwise higher priority first, then earlier arrival."""
        return [self._txs[h].data for h in self._ready_order()]

    def ready_hashes(self) -> list[bytes]:
        return self._ready_order()

    def pending(self) -> list[bytes]:
        """All extrinsics: the ready ones in inclusion order, then the future ones by arrival."""
        with self._lock:
            return [self._txs[h].data for h in self._ready_order()] + [
                self._txs[h].data for h in self._future
            ]

    def _ready_order(self) -> list[bytes]:
        with self._lock:
            waiting: dict[bytes, int] = {}
            heap: list[tuple[int, int, bytes]] = []
            for h in self._ready:
                t = self._txs[h]
                n = sum(1 for tag in set(t.valid.requires) if self._provider.get(tag) in self._ready)
                if n:
                    waiting[h] = n
                else:
                    heap.append((-t.valid.priority, t.arrival, h))
            heapq.heapify(heap)
            out: list[bytes] = []
            while heap:
                _, _, h = heapq.heappop(heap)
                out.append(h)
                for tag in self._txs[h].valid.provides:
                    for r in self._requirers.get(tag, ()):
                        if r in waiting:
                            waiting[r] -= 1
                            if waiting[r] == 0:
                                del waiting[r]
                                rt = self._txs[r]
                                heapq.heappush(heap, (-rt.valid.priority, rt.arrival, r))
            return out

    # ------------------------------------------------------------------ watchers
    def watch(self, h: bytes, callback: Watcher) -> None:
        """Send `h`'s status updates to `callback`; if it is in the pool, its status now."""
        with self._lock:
            self._watchers.setdefault(h, []).append(callback)
            state = self._state(h)
        if state is not None:
            self._call(callback, state)

    def unwatch(self, h: bytes, callback: Watcher) -> None:
        with self._lock:
            cbs = self._watchers.get(h)
            if cbs and callback in cbs:
                cbs.remove(callback)
                if not cbs:
                    del self._watchers[h]

    # ------------------------------------------------------------------ submission
    def submit(self, data: bytes) -> bytes:
        """Validate and import an extrinsic; returns its blake2-256 hash. Raises PoolError."""
        return self.submit_and_watch(data, None)

    def submit_and_watch(self, data: bytes, callback: Watcher | None) -> bytes:
        """Submit with a watcher that sees the entry status first ("ready" or "future"). If the
        submission fails, the watcher is not kept and hears nothing."""
        h = blake2_256(data)
        try:
            with self._lock:
                try:
                    h = self._submit(h, data)
                except PoolError:
                    self._events = [(x, ev) for x, ev in self._events if x != h]
                    raise
                if callback is not None:
                    self._watchers.setdefault(h, []).append(callback)
                return h
        finally:
            self._flush()

    def submit_many(self, datas: Iterable[bytes]) -> list[bytes | PoolError]:
        out: list[bytes | PoolError] = []
        for d in datas:
            try:
                out.append(self.submit(d))
            except PoolError as exc:
                out.append(exc)
        return out

    def _submit(self, h: bytes, data: bytes) -> bytes:
        if self.is_banned(h):
            raise PoolError(POOL_TEMPORARILY_BANNED, "Transaction is temporarily banned")
        if h in self._txs:
            raise PoolError(POOL_ALREADY_IMPORTED, "Transaction Already Imported", _hex(h))
        try:
            valid = self._validate(data)
        except UnknownTransaction as exc:  # validity unknown: not banned, it may be valid later
            raise PoolError(
                POOL_UNKNOWN_VALIDITY, "Unknown Transaction Validity", exc.unknown.name, detail=exc.detail
            ) from exc
        except UndecodableExtrinsic as exc:
            self._ban([h])
            why = f"Execution failed: Bad input data provided to validate_transaction: {exc.detail}"
            raise PoolError(
                VERIFICATION_ERROR, f"Verification Error: Runtime error: {why}", f"RuntimeApi({why!r})",
                exc.reason, exc.detail,
            ) from exc
        except InvalidTransaction as exc:
            self._ban([h])
            raise PoolError(POOL_INVALID_TX, "Invalid Transaction", exc.text, exc.reason, exc.detail) from exc
        # replacement: every transaction providing one of our tags must have a lower priority
        usurped: dict[bytes, None] = {}
        for tag in valid.provides:
            old = self._provider.get(tag)
            if old is not None and old not in usurped:
                old_p = self._txs[old].valid.priority
                if valid.priority <= old_p:
                    raise PoolError(
                        POOL_TOO_LOW_PRIORITY,
                        f"Priority is too low: ({old_p} vs {valid.priority})",
                        "The transaction has too low priority to replace another transaction already in the pool.",
                    )
                usurped[old] = None
        for old in usurped:
            self._detach(old)
            self._emit(old, {"usurped": _hex(h)})
        tx = PoolTransaction(h, data, valid, next(self._arrivals))
        self._touched.setdefault(h, None)
        self._attach(tx)
        dropped = self._enforce_limits(valid.signer)
        if h in dropped:
            raise PoolError(
                POOL_IMMEDIATELY_DROPPED,
                "Immediately Dropped",
                "The transaction couldn't enter the pool because of the limit",
            )
        for fn in self.accept_listeners:
            fn(h, data)
        return h

    # ------------------------------------------------------------------ removal and blocks
    def remove(self, hashes: Iterable[bytes]) -> list[bytes]:
        """Take transactions out (watchers get "dropped"); their dependents wait in future.
        Returns the hashes that were in the pool."""
        out = []
        try:
            with self._lock:
                for h in hashes:
                    if h in self._txs:
                        self._detach(h)
                        self._emit(h, "dropped")
                        out.append(h)
                self._enforce_limits()  # their dependents went back to future
        finally:
            self._flush()
        return out

    def on_included(self, block_hash: bytes, hashes: Iterable[bytes]) -> None:
        """Tell the watchers of `hashes` (or extrinsics) that they are in block `block_hash`."""
        try:
            with self._lock:
                for h in hashes:
                    self._emit(_as_hash(h), {"inBlock": _hex(block_hash)})
        finally:
            self._flush()

    def on_broadcast(self, hashes: Iterable[bytes], peers: list[str]) -> None:
        """Tell the watchers of `hashes` that they were sent to `peers` (their ids)."""
        try:
            with self._lock:
                for h in hashes:
                    if h in self._txs:
                        self._emit(h, {"broadcast": list(peers)})
        finally:
            self._flush()

    def on_finalized(self, block_hash: bytes, hashes: Iterable[bytes]) -> None:
        """Tell the watchers of `hashes` that their block `block_hash` is final (and forget them)."""
        try:
            with self._lock:
                for h in hashes:
                    self._emit(_as_hash(h), {"finalized": _hex(block_hash)})
        finally:
            self._flush()

    def on_block_imported(
        self,
        included: Iterable[bytes],
        revalidate: bool = True,
        block_hash: bytes | None = None,
        only_senders: Collection[bytes] | None = None,
    ) -> None:
        """A new best block holds `included` (extrinsic bytes or their hashes). They leave the pool
        (and are banned from re-entry); with `revalidate` every other transaction is validated
        again against the new best state, else the included ones' tags count as provided.
        `only_senders` limits re-validation to the transactions of those senders (the accounts the
        block changed; the others' validity cannot have changed but for their era).
        With `block_hash`, watchers of the included ones also get {"inBlock": ..}."""
        hashes = [_as_hash(x) for x in included]
        if block_hash is not None:
            self.on_included(block_hash, hashes)
        try:
            with self._lock:
                for h in hashes:
                    t = self._txs.get(h)
                    if t is not None:
                        self._chain_tags.update(t.valid.provides)
                        self._detach(h)
                self._ban(hashes)
                if revalidate:
                    self._revalidate(only_senders)
                else:
                    self._rebuild()
                self._enforce_limits()
        finally:
            self._flush()

    def _revalidate(self, only_senders: Collection[bytes] | None = None) -> None:
        txs = sorted(self._txs.values(), key=lambda t: t.arrival)
        invalid: list[bytes] = []
        updated: list[PoolTransaction] = []
        for t in txs:  # validate them all first: a failing callback leaves the pool as it was
            if only_senders is not None and t.valid.signer not in only_senders:
                continue
            try:
                valid = self._validate(t.data)
            except InvalidTransaction as exc:
                log.debug("txpool: 0x%s invalid after import: %s", t.hash.hex(), exc.message)
                invalid.append(t.hash)
                continue
            if valid != t.valid:
                updated.append(dataclasses.replace(t, valid=valid))
        if only_senders is None:
            self._chain_tags.clear()  # the new state provides them now
        for t in txs:
            self._touched.setdefault(t.hash, self._state(t.hash))
        for t in updated:
            self._txs[t.hash] = t
        for h in invalid:
            self._unindex(h)
            self._emit(h, "invalid")
        self._ban(invalid)
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute every index and the ready set from the transactions (after a block)."""
        for h in self._txs:
            self._touched.setdefault(h, self._state(h))
        txs = sorted(self._txs.values(), key=lambda t: t.arrival)
        self._ready.clear()
        self._future.clear()
        self._provider.clear()
        self._requirers.clear()
        self._by_sender.clear()
        # a tag provided twice (cannot happen through submit) keeps the better transaction
        for t in sorted(txs, key=lambda t: (-t.valid.priority, t.arrival)):
            if any(tag in self._provider for tag in t.valid.provides):
                self._txs.pop(t.hash)
                self._emit(t.hash, "dropped")
                continue
            for tag in t.valid.provides:
                self._provider[tag] = t.hash
        for t in txs:
            if t.hash not in self._txs:
                continue
            for tag in set(t.valid.requires):
                self._requirers.setdefault(tag, {})[t.hash] = None
            self._by_sender.setdefault(t.valid.signer, {})[t.hash] = None
            self._future[t.hash] = None
        self._chain_tags &= set(self._requirers)
        for t in txs:
            if t.hash in self._future and self._can_be_ready(t):
                self._promote(t.hash)

    # ------------------------------------------------------------------ internals
    def _state(self, h: bytes) -> str | None:
        if h in self._ready:
            return READY
        if h in self._future:
            return FUTURE
        return None

    def _can_be_ready(self, t: PoolTransaction) -> bool:
        for tag in t.valid.requires:
            if tag in self._chain_tags:
                continue
            p = self._provider.get(tag)
            if p is None or p not in self._ready:
                return False
        return True

    def _attach(self, t: PoolTransaction) -> None:
        h = t.hash
        self._txs[h] = t
        for tag in t.valid.provides:
            self._provider[tag] = h
        for tag in set(t.valid.requires):
            self._requirers.setdefault(tag, {})[h] = None
        self._by_sender.setdefault(t.valid.signer, {})[h] = None
        self._future[h] = None
        if self._can_be_ready(t):
            self._promote(h)

    def _promote(self, h: bytes) -> None:
        """Move `h` from future to ready, then every dependent that is now satisfied."""
        stack = [h]
        while stack:
            x = stack.pop()
            if x not in self._future:
                continue
            self._touched.setdefault(x, FUTURE)
            del self._future[x]
            self._ready[x] = None
            for tag in self._txs[x].valid.provides:
                for r in self._requirers.get(tag, ()):
                    if r in self._future and self._can_be_ready(self._txs[r]):
                        stack.append(r)

    def _demote_dependents(self, tags: Iterable[bytes]) -> None:
        stack = [r for tag in tags if tag not in self._chain_tags for r in self._requirers.get(tag, ())]
        while stack:
            x = stack.pop()
            if x not in self._ready:
                continue
            self._touched.setdefault(x, READY)
            del self._ready[x]
            self._future[x] = None
            for tag in self._txs[x].valid.provides:
                stack.extend(self._requirers.get(tag, ()))

    def _unindex(self, h: bytes) -> PoolTransaction:
        t = self._txs.pop(h)
        self._touched.setdefault(h, READY if h in self._ready else FUTURE)
        self._ready.pop(h, None)
        self._future.pop(h, None)
        for tag in t.valid.provides:
            if self._provider.get(tag) == h:
                del self._provider[tag]
        for tag in set(t.valid.requires):
            reqs = self._requirers.get(tag)
            if reqs is not None:
                reqs.pop(h, None)
                if not reqs:
                    del self._requirers[tag]
        mine = self._by_sender.get(t.valid.signer)
        if mine is not None:
            mine.pop(h, None)
            if not mine:
                del self._by_sender[t.valid.signer]
        return t

    def _detach(self, h: bytes) -> None:
        """Remove `h`; ready dependents of its tags go back to future."""
        t = self._unindex(h)
        self._demote_dependents(t.valid.provides)

    def _is_leaf(self, h: bytes) -> bool:
        return not any(self._requirers.get(tag) for tag in self._txs[h].valid.provides)

    def _enforce_limits(self, sender: bytes | None = None) -> set[bytes]:
        """Drop what is over the limits (after a submission by `sender`, or after removals that
        sent ready transactions back to future); returns the dropped hashes."""
        lim = self.limits
        dropped: list[bytes] = []
        mine = self._by_sender.get(sender, {}) if sender is not None else {}
        while len(mine) > lim.max_per_sender:
            worst = max(mine, key=lambda x: (self._txs[x].valid.nonce, self._txs[x].arrival))
            dropped.append(worst)
            self._detach(worst)
            mine = self._by_sender.get(sender, {})
        for queue, cap in ((self._ready, lim.max_ready), (self._future, lim.max_future)):
            while len(queue) > cap:
                leaves = [x for x in queue if self._is_leaf(x)] or list(queue)
                worst = min(leaves, key=lambda x: (self._txs[x].valid.priority, -self._txs[x].arrival))
                dropped.append(worst)
                self._detach(worst)
        for x in dropped:
            self._emit(x, "dropped")
        self._ban(dropped)
        return set(dropped)

    def _ban(self, hashes: Iterable[bytes]) -> None:
        until = self._now() + self.limits.ban_seconds
        for h in hashes:
            self._banned[h] = until
        cap = 4 * (self.limits.max_ready + self.limits.max_future)
        if len(self._banned) > cap:
            # forget expired bans and, past the cap, the oldest half: a rebuild at most every cap/2
            # bans (rebuilding on every call once full made a long-running node slow down)
            now = self._now()
            live = [(k, v) for k, v in self._banned.items() if v > now]
            self._banned = dict(live[-(cap // 2) :])

    def _emit(self, h: bytes, event: Event) -> None:
        self._events.append((h, event))

    def _flush(self) -> None:
        """Send the queued events: status changes first-seen -> now, then the others in order."""
        with self._lock:
            touched, self._touched = self._touched, {}
            events, self._events = self._events, []
            deliveries: list[tuple[Watcher, Event]] = []
            status: list[tuple[bytes, Event]] = []
            for h, before in touched.items():
                now = self._state(h)
                if now is not None and now != before:
                    status.append((h, now))
            for h, ev in status + events:
                cbs = self._watchers.get(h)
                if not cbs:
                    continue
                deliveries.extend((cb, ev) for cb in cbs)
                if isinstance(ev, dict) and "inBlock" in ev:
                    continue
                if ev in ("dropped", "invalid") or (
                    isinstance(ev, dict) and ("finalized" in ev or "usurped" in ev)
                ):
                    del self._watchers[h]
        for cb, ev in deliveries:
            self._call(cb, ev)

    @staticmethod
    def _call(cb: Watcher, ev: Event) -> None:
        try:
            cb(ev)
        except Exception:  # a watcher's failure must not break the pool
            log.exception("txpool watcher failed")
