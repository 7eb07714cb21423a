"""Signature checks in a separate process, so that they run beside execution without sharing a GIL.

Threads did not help: the worker needs the GIL for a few microseconds after each libsodium call
and waits for the busy executing thread to drop it (CPython's switch interval), so checks only
progressed while the executor waited. A process has its own interpreter; `multiprocessing.Queue`
has a feeder thread, so handing a chunk over never blocks the caller.

The worker dies with the node, however the node dies (node/lifeline.py: PR_SET_PDEATHSIG, tied to
the thread that started it; `get_verifier` starts another if that thread has gone).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Sequence

CHUNK = 256  # signatures per message to the worker
SR25519_JOB = 1  # a job's scheme: 0 ed25519, 1 sr25519 (node/precheck.py SCHEME_CODES)


def _serve(requests: mp.Queue, results: mp.Queue, parent: int) -> None:
    from nacl.bindings import crypto_sign_open

    from node.lifeline import die_with_parent
    from runtime.support.keys import verify_sr25519

    die_with_parent(parent)  # SIGKILL when the node dies, however it dies (Linux); else the poll below
    while True:
        try:
            item = requests.get(timeout=2.0)
        except queue.Empty:
            if os.getppid() != parent:  # the node died (kill -9): do not outlive it
                return
            continue
        if item is None:
            return
        cid, jobs = item
        out = bytearray(len(jobs))
        for i, (scheme, pk, msg, sig) in enumerate(jobs):
            if scheme == SR25519_JOB:
                out[i] = verify_sr25519(pk, msg, sig)
                continue
            try:
                crypto_sign_open(sig + msg, pk)
                out[i] = 1
            except Exception:  # noqa: BLE001 - any failure is a bad signature
                pass
        results.put((cid, bytes(out)))


class ProcessVerifier:
    """One worker process; `submit(jobs) -> chunk id`, `result(cid) -> bytes of 0/1 verdicts`.
    A job is (scheme code, public key, message, signature)."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.requests: mp.Queue = ctx.Queue()
        self.results: mp.Queue = ctx.Queue()
        self.proc = ctx.Process(
            target=_serve, args=(self.requests, self.results, os.getpid()), daemon=True, name="taochain-sigcheck"
        )
        self.proc.start()
        self.ids = itertools.count()
        self.done: dict[int, bytes] = {}
        self.lock = threading.Lock()

    def submit(self, jobs: Sequence[tuple[int, bytes, bytes, bytes]]) -> int:
        cid = next(self.ids)
        self.requests.put((cid, list(jobs)))
        return cid

    def result(self, cid: int, timeout: float = 60.0) -> bytes:
        with self.lock:
            while cid not in self.done:
                try:
                    got, verdicts = self.results.get(timeout=timeout)
                except queue.Empty:
                    raise RuntimeError("the signature worker process stopped answering") from None
                self.done[got] = verdicts
            return self.done.pop(cid)

    def close(self) -> None:
        self.requests.put(None)
        self.proc.join(timeout=5)


_VERIFIER: ProcessVerifier | None = None


def get_verifier() -> ProcessVerifier:
    global _VERIFIER
    if _VERIFIER is None or not _VERIFIER.proc.is_alive():
        _VERIFIER = ProcessVerifier()
    return _VERIFIER
