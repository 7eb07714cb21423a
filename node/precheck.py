"""Extrinsic pre-checking: decode envelopes and verify signatures ahead of (or beside) execution.

The runtime executes extrinsics one by one; the results here feed `runtime.executive.Prechecked`,
so that it skips work already done: `ParallelPrecheck` has a block's signatures checked by the
worker process of node/sigworker.py while the runtime executes (as Substrate's background batch
verification), and `SignatureCache` remembers transactions verified at pool entry. Correctness never
depends on them: an extrinsic they could not decode is decoded (and rejected) by the executive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runtime.support import tx
from runtime.support.codec import CodecError


def precheck_one(data: bytes) -> tuple[tuple[int, Any], bool] | None:
    """Decode and verify one extrinsic here; None when it does not decode."""
    try:
        envelope = tx.decode_envelope(data)
    except CodecError:
        return None
    if envelope[0] != tx.SIGNED_VERSION:
        return envelope, True
    signer, sig, extra, call_w = envelope[1]
    return envelope, tx.check_signature(signer, sig, extra, call_w)


class ParallelPrecheck:
    """Decodes `extrinsics` on the calling thread (the executive needs the envelopes anyway) and
    has their signatures checked by a worker process (node/sigworker.py), chunk by chunk, while
    the caller goes on; `get(data)` waits for that extrinsic's chunk."""

    def __init__(self, extrinsics: Sequence[bytes]) -> None:
        from node.sigworker import CHUNK as WCHUNK
        from node.sigworker import get_verifier

        self.verifier = get_verifier()
        self.entries: dict[bytes, tuple[tuple[int, Any], int, int]] = {}  # data -> (envelope, chunk, i)
        self.verdicts: dict[int, bytes] = {}
        jobs: list[tuple[bytes, bytes, bytes]] = []
        waiting: list[tuple[bytes, tuple[int, Any]]] = []  # decoded, chunk not yet sent

        def flush() -> None:
            cid = self.verifier.submit(jobs)
            for i, (d, env) in enumerate(waiting):
                self.entries[d] = (env, cid, i)
            jobs.clear()
            waiting.clear()

        for data in extrinsics:
            try:
                envelope = tx.decode_envelope(data)
            except CodecError:
                continue
            if envelope[0] != tx.SIGNED_VERSION:
                self.entries[data] = (envelope, -1, 0)
                continue
            signer, sig, extra, call_w = envelope[1]
            jobs.append((signer, tx.signing_payload(call_w, extra), sig))
            waiting.append((data, envelope))
            if len(jobs) == WCHUNK:
                flush()  # the worker starts on it while this thread decodes the next chunk
        if jobs:
            flush()

    def get(self, data: bytes) -> tuple[tuple[int, Any], bool] | None:
        entry = self.entries.get(data)
        if entry is None:
            return None
        envelope, cid, i = entry
        if cid == -1:
            return envelope, True
        v = self.verdicts.get(cid)
        if v is None:
            v = self.verdicts[cid] = self.verifier.result(cid)
        return envelope, v[i] == 1


class SignatureCache:
    """Decoded envelopes and signature verdicts of transactions seen before (pool entry), so that
    re-validation after each block and block authoring do not verify the same signature again.
    Bounded: the oldest entries go first."""

    def __init__(self, limit: int = 1 << 16) -> None:
        self.limit = limit
        self.items: dict[bytes, tuple[tuple[int, Any], bool]] = {}

    def get(self, data: bytes) -> tuple[tuple[int, Any], bool] | None:
        return self.items.get(data)

    def add(self, data: bytes) -> None:
        if data in self.items:
            return
        r = precheck_one(data)
        if r is not None:
            self.put(data, r)

    def put(self, data: bytes, result: tuple[tuple[int, Any], bool]) -> None:
        if len(self.items) >= self.limit:
            for k in list(self.items)[: self.limit // 4]:
                del self.items[k]
        self.items[data] = result

    def discard(self, datas: Sequence[bytes]) -> None:
        for d in datas:
            self.items.pop(d, None)
