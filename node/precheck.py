"""Extrinsic pre-checking: decode extrinsics and verify signatures ahead of (or beside) execution.

The runtime executes extrinsics one by one; the results here feed `runtime.executive.Prechecked`,
so that it skips work already done: `ParallelPrecheck` has a block's signatures checked by the
worker process of node/sigworker.py while the runtime executes (as Substrate's background batch
verification), and `SignatureCache` remembers transactions verified at pool entry (node/intake.py),
with their calls decoded. Correctness never depends on them: an extrinsic they could not decode is
decoded (and rejected) by the executive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from runtime.support import tx
from runtime.support.codec import CodecError

if TYPE_CHECKING:
    from runtime.construct import Runtime

Verdict = tuple[tx.Extrinsic, bool]  # the decoded record and whether its signature is good


def with_call(xt: tx.Extrinsic, runtime: Runtime | None) -> tx.Extrinsic:
    """`xt` carrying its call decoded by `runtime` (unchanged without one, or when the call does
    not decode: the executive decodes it again and says why)."""
    if runtime is None or xt.call is not None:
        return xt
    try:
        return xt.with_call(runtime.decode_call(xt.call_wire))
    except CodecError:
        return xt


def precheck_one(data: bytes, runtime: Runtime | None = None) -> Verdict | None:
    """Decode and verify one extrinsic here (its call too, given the runtime); None when it does
    not decode."""
    try:
        xt = tx.decode_extrinsic(data)
    except CodecError:
        return None
    ok = tx.verify_extrinsic(xt)
    return (with_call(xt, runtime) if ok else xt), ok


class ParallelPrecheck:
    """Decodes `extrinsics` on the calling thread (the executive needs the records anyway) and
    has their signatures checked by a worker process (node/sigworker.py), chunk by chunk, while
    the caller goes on; `get(data)` waits for that extrinsic's chunk."""

    def __init__(self, extrinsics: Sequence[bytes]) -> None:
        from node.sigworker import CHUNK as WCHUNK
        from node.sigworker import get_verifier

        self.verifier = get_verifier()
        self.entries: dict[bytes, tuple[tx.Extrinsic, int, int]] = {}  # data -> (record, chunk, i)
        self.verdicts: dict[int, bytes] = {}
        jobs: list[tuple[str, bytes, bytes, bytes]] = []
        waiting: list[tuple[bytes, tx.Extrinsic]] = []  # decoded, chunk not yet sent

        def flush() -> None:
            cid = self.verifier.submit(jobs)
            for i, (d, xt) in enumerate(waiting):
                self.entries[d] = (xt, cid, i)
            jobs.clear()
            waiting.clear()

        for data in extrinsics:
            try:
                xt = tx.decode_extrinsic(data)
            except CodecError:
                continue
            if not xt.signed:
                self.entries[data] = (xt, -1, 0)
                continue
            jobs.append((xt.scheme, xt.signer, xt.payload, xt.signature))  # type: ignore[arg-type]
            waiting.append((data, xt))
            if len(jobs) == WCHUNK:
                flush()  # the worker starts on it while this thread decodes the next chunk
        if jobs:
            flush()

    def get(self, data: bytes) -> Verdict | None:
        entry = self.entries.get(data)
        if entry is None:
            return None
        xt, cid, i = entry
        if cid == -1:
            return xt, True
        v = self.verdicts.get(cid)
        if v is None:
            v = self.verdicts[cid] = self.verifier.result(cid)
        return xt, v[i] == 1


class SignatureCache:
    """Decoded records and signature verdicts of transactions seen before (pool entry), so that
    re-validation after each block and block authoring do not decode or verify the same extrinsic
    again. Bounded: the oldest entries go first."""

    def __init__(self, limit: int = 1 << 16, runtime: Runtime | None = None) -> None:
        self.limit = limit
        self.runtime = runtime  # decodes the calls of the records added here
        self.items: dict[bytes, Verdict] = {}

    def get(self, data: bytes) -> Verdict | None:
        return self.items.get(data)

    def add(self, data: bytes) -> None:
        if data in self.items:
            return
        r = precheck_one(data, self.runtime)
        if r is not None:
            self.put(data, r)

    def put(self, data: bytes, result: Verdict) -> None:
        if len(self.items) >= self.limit:
            for k in list(self.items)[: self.limit // 4]:
                self.items.pop(k, None)  # the loop may have discarded it meanwhile
        self.items[data] = result

    def discard(self, datas: Sequence[bytes]) -> None:
        for d in datas:
            self.items.pop(d, None)
