"""Extrinsic pre-checking: decode extrinsics and verify signatures ahead of (or beside) execution.

The runtime executes extrinsics one by one; the results here feed `runtime.executive.Prechecked`,
so that it skips work already done: `ParallelPrecheck` has a block's signatures checked by the
worker process of node/sigworker.py while the runtime executes (as Substrate's background batch
verification), and `SignatureCache` remembers transactions verified at pool entry (node/intake.py),
with their calls decoded.

What a v4 signature covers depends on chain state: the implicit values (genesis hash, spec and
transaction versions, and the hash of the era's birth block). So a verdict here is "the signature
of these bytes is good over this exact payload": the payload is built from what the node knows
(`Payloads`: the runtime's constants and the node's block hashes by number), and the executive,
which builds the payload from the state it executes on, asks `verdict(data, payload)` with its
own; a payload guessed wrong (a fork, a birth block not known yet) is simply not found, and the
executive checks the signature itself. Correctness never depends on any of this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from runtime import scale_types
from runtime.support import tx
from runtime.support.codec import CodecError
from runtime.support.keys import ED25519, SR25519

if TYPE_CHECKING:
    from runtime.construct import Runtime

SCHEME_CODES = {ED25519: 0, SR25519: 1}  # how a job names its scheme to the worker process


class Payloads:
    """Builds signed payloads as a block `number` would see them: `hash_at(n)` is the node's hash of
    block n (its canonical chain, plus any `extended` hashes), None when unknown."""

    def __init__(
        self, genesis_hash: bytes, spec_version: int, tx_version: int, hash_at: Callable[[int], bytes | None]
    ) -> None:
        self.genesis_hash = genesis_hash
        self.spec_version = spec_version
        self.tx_version = tx_version
        self.hash_at = hash_at

    @staticmethod
    def of(runtime: Runtime, hash_at: Callable[[int], bytes | None]) -> Payloads:
        v = runtime.VERSION
        return Payloads(runtime.genesis_hash, v.spec_version, v.transaction_version, hash_at)

    def extended(self, hashes: dict[int, bytes]) -> Payloads:
        """These payloads, with the hashes of blocks not stored yet (a sync batch's)."""
        base = self.hash_at
        return Payloads(self.genesis_hash, self.spec_version, self.tx_version, lambda n: hashes.get(n) or base(n))

    def payload(self, xt: tx.Extrinsic, number: int) -> bytes | None:
        """What `xt` must have signed to be valid in block `number`; None unsigned or unknown."""
        era = xt.era
        if era is None:
            return None
        if era.is_immortal:
            birth_hash: bytes | None = self.genesis_hash
        else:
            birth = era.birth(number)
            birth_hash = self.hash_at(birth) if birth < number else None
        if birth_hash is None:
            return None
        try:
            return xt.payload(tx.implicit_values(
                genesis_hash=self.genesis_hash, spec_version=self.spec_version, tx_version=self.tx_version,
                birth_hash=birth_hash,
            ))
        except CodecError:
            return None


def with_call(xt: tx.Extrinsic, runtime: Runtime | None) -> tx.Extrinsic:
    """`xt` carrying its call decoded by `runtime` (unchanged without one, or when the call does
    not decode: the executive decodes it again and says why)."""
    if runtime is None or xt.call is not None:
        return xt
    try:
        return xt.with_call(scale_types.decode_call(runtime, xt.call_bytes))
    except CodecError:
        return xt


Entry = tuple[tx.Extrinsic, bytes | None, bool]  # the record, the payload checked (None: none), its verdict


def precheck_one(data: bytes, payload_for: Callable[[tx.Extrinsic], bytes | None],
                 runtime: Runtime | None = None) -> Entry | None:
    """Decode one extrinsic (its call too, given the runtime) and verify its signature over the
    payload `payload_for` gives; None when it does not decode."""
    try:
        xt = tx.decode_extrinsic(data)
    except CodecError:
        return None
    payload = payload_for(xt) if xt.signed else None
    ok = payload is not None and xt.verify(payload)
    return (with_call(xt, runtime) if ok or not xt.signed else xt), payload, ok


class ParallelPrecheck:
    """Decodes the extrinsics of `blocks` ((block number, extrinsics) pairs) on the calling thread
    (the executive needs the records anyway), builds their payloads with `payloads`, and has their
    signatures checked by a worker process (node/sigworker.py), chunk by chunk, while the caller
    goes on; `verdict(data, payload)` waits for that extrinsic's chunk."""

    def __init__(self, blocks: Sequence[tuple[int, Sequence[bytes]]], payloads: Payloads) -> None:
        from node.sigworker import CHUNK as WCHUNK
        from node.sigworker import get_verifier

        self.verifier = get_verifier()
        self.records: dict[bytes, tx.Extrinsic] = {}
        self.entries: dict[tuple[bytes, bytes], tuple[int, int]] = {}  # (data, payload) -> (chunk, i)
        self.verdicts: dict[int, bytes] = {}
        jobs: list[tuple[int, bytes, bytes, bytes]] = []
        waiting: list[tuple[bytes, bytes]] = []  # (data, payload), chunk not yet sent

        def flush() -> None:
            cid = self.verifier.submit(jobs)
            for i, key in enumerate(waiting):
                self.entries[key] = (cid, i)
            jobs.clear()
            waiting.clear()

        for number, extrinsics in blocks:
            for data in extrinsics:
                try:
                    xt = tx.decode_extrinsic(data)
                except CodecError:
                    continue
                self.records[data] = xt
                sig, who = xt.signature, xt.signer
                if sig is None or who is None or sig.scheme not in SCHEME_CODES:
                    continue  # unsigned, or refused by the executive before any signature check
                payload = payloads.payload(xt, number)
                if payload is None or (data, payload) in self.entries:
                    continue
                jobs.append((SCHEME_CODES[sig.scheme], who, payload, sig.signature))
                waiting.append((data, payload))
                if len(jobs) == WCHUNK:
                    flush()  # the worker starts on it while this thread decodes the next chunk
        if jobs:
            flush()

    def get(self, data: bytes) -> tx.Extrinsic | None:
        return self.records.get(data)

    def verdict(self, data: bytes, payload: bytes) -> bool | None:
        entry = self.entries.get((data, payload))
        if entry is None:
            return None
        cid, i = entry
        v = self.verdicts.get(cid)
        if v is None:
            v = self.verdicts[cid] = self.verifier.result(cid)
        return v[i] == 1


class SignatureCache:
    """Decoded records and signature verdicts of transactions seen before (pool entry), so that
    re-validation after each block and block authoring do not decode or verify the same extrinsic
    again. `payload_for` builds the payload a transaction must sign to enter the next block.
    Bounded: the oldest entries go first."""

    def __init__(
        self,
        limit: int = 1 << 16,
        runtime: Runtime | None = None,
        payload_for: Callable[[tx.Extrinsic], bytes | None] | None = None,
    ) -> None:
        self.limit = limit
        self.runtime = runtime  # decodes the calls of the records added here
        self.payload_for = payload_for or (lambda _xt: None)
        self.items: dict[bytes, Entry] = {}

    def get(self, data: bytes) -> tx.Extrinsic | None:
        e = self.items.get(data)
        return None if e is None else e[0]

    def verdict(self, data: bytes, payload: bytes) -> bool | None:
        e = self.items.get(data)
        return e[2] if e is not None and e[1] == payload else None

    def add(self, data: bytes) -> None:
        if data in self.items:
            return
        r = precheck_one(data, self.payload_for, self.runtime)
        if r is not None:
            self.put(data, r)

    def put(self, data: bytes, entry: Entry) -> None:
        if len(self.items) >= self.limit:
            for k in list(self.items)[: self.limit // 4]:
                self.items.pop(k, None)  # the loop may have discarded it meanwhile
        self.items[data] = entry

    def discard(self, datas: Sequence[bytes]) -> None:
        for d in datas:
            self.items.pop(d, None)
