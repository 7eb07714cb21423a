"""Extrinsic pre-checking off the main thread: decode envelopes and verify signatures in a worker.

The runtime executes extrinsics one by one on the main thread; the ed25519 checks (libsodium, which
pynacl calls with the GIL released) can run ahead in a worker thread, as Substrate's background
batch verification does. The results feed `runtime.executive.Prechecked`. Correctness never depends
on the worker: an extrinsic it could not decode is decoded (and rejected) by the executive itself.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from typing import Any

from runtime.support import tx
from runtime.support.codec import CodecError

CHUNK = 64  # extrinsics per worker task

_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sigcheck")
    return _POOL


def precheck_one(data: bytes) -> tuple[tuple[int, Any], bool] | None:
    try:
        envelope = tx.decode_envelope(data)
    except CodecError:
        return None
    if envelope[0] != tx.SIGNED_VERSION:
        return envelope, True
    signer, sig, extra, call_w = envelope[1]
    return envelope, tx.check_signature(signer, sig, extra, call_w)


def _chunk(items: Sequence[bytes]) -> list[tuple[tuple[int, Any], bool] | None]:
    return [precheck_one(d) for d in items]


class ParallelPrecheck:
    """Starts checking `extrinsics` in the background; `get(data)` waits for that one's chunk."""

    def __init__(self, extrinsics: Sequence[bytes]) -> None:
        self.index = {d: i for i, d in enumerate(extrinsics)}
        pool = _pool()
        self.futures = [pool.submit(_chunk, extrinsics[i : i + CHUNK]) for i in range(0, len(extrinsics), CHUNK)]

    def get(self, data: bytes) -> tuple[tuple[int, Any], bool] | None:
        i = self.index.get(data)
        if i is None:
            return None
        return self.futures[i // CHUNK].result()[i % CHUNK]


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
        if r is None:
            return
        if len(self.items) >= self.limit:
            for k in list(self.items)[: self.limit // 4]:
                del self.items[k]
        self.items[data] = r

    def discard(self, datas: Sequence[bytes]) -> None:
        for d in datas:
            self.items.pop(d, None)
