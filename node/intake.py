"""The one way transactions enter the node: RPC submit, RPC submit-and-watch and peer gossip.

Every submission is first decoded and signature-checked off the event loop: submissions that arrive
together (several connections, a JSON-RPC batch, a gossip message of many transactions) are checked
in one job on a worker thread; a job of `PARALLEL_MIN` or more has its signatures checked by the
worker process of node/sigworker.py (`ParallelPrecheck`), over the payloads the next block would
check them against (node/precheck.py). The results (decoded records, their calls decoded by the
runtime, the payloads and the verdicts) go into the node's `SignatureCache`, which the pool's
validation, re-validation after each block and block authoring read, so nothing is decoded or
verified twice. Then the transaction goes to the pool, on the loop, and the pool's typed outcome
comes back: its hash, or a `PoolError` (Substrate's code, message and data; `.reason`, the
`InvalidReason`, for 1010), which the RPC turns into its error and the network into a reputation
change (node/network.py `_tx_penalty`).

Correctness never depends on the pre-check: a transaction it could not check (the worker failed,
the cache evicted it) is decoded and verified by the pool's validation itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from node.precheck import Entry, ParallelPrecheck, Payloads, SignatureCache, precheck_one, with_call
from node.txpool import PoolError, TxPool, Watcher

if TYPE_CHECKING:
    from runtime.construct import Runtime

log = logging.getLogger("taochain.intake")

# one thread: jobs run one after another, and the loop batches what arrives meanwhile
_VERIFIER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tx-verify")
PARALLEL_MIN = 8  # a job of this many extrinsics has its signatures checked by the worker process


class Intake:
    """Takes transactions from any source, checks them off the loop in batches, hands them to the
    pool. `submit` / `submit_and_watch` return the hash or raise PoolError; `submit_batch` (gossip)
    gives one outcome per transaction."""

    def __init__(
        self,
        pool: TxPool,
        sigs: SignatureCache,
        runtime: Runtime | None = None,
        payloads: Payloads | None = None,
        next_number: Callable[[], int] | None = None,
    ) -> None:
        self.pool = pool
        self.sigs = sigs
        self.runtime = runtime  # decodes the calls off the loop too (the executive uses them)
        # big jobs go to the worker process with payloads for block `next_number()`
        self.payloads = payloads
        self.next_number = next_number
        self._waiting: list[tuple[bytes, asyncio.Future[None]]] = []
        self.jobs = 0  # verification jobs run off the loop
        self.checked = 0  # extrinsics decoded and verified in them

    # ------------------------------------------------------------------ submissions
    async def submit(self, data: bytes) -> bytes:
        """RPC `author_submitExtrinsic`: the pool's hash, or PoolError."""
        await self.prechecked((data,))
        return self.pool.submit(data)

    async def submit_and_watch(self, data: bytes, callback: Watcher) -> bytes:
        """RPC `author_submitAndWatchExtrinsic`: as `submit`, and `callback` hears the status
        updates from the first ("ready"/"future"); on PoolError it is not kept and hears nothing."""
        await self.prechecked((data,))
        return self.pool.submit_and_watch(data, callback)

    async def submit_batch(self, datas: Sequence[bytes]) -> list[bytes | PoolError]:
        """Transactions from a peer: checked in one job, then submitted in order; the pool's
        outcome of each (its hash or the PoolError)."""
        await self.prechecked(datas)
        out: list[bytes | PoolError] = []
        for d in datas:
            try:
                out.append(self.pool.submit(d))
            except PoolError as exc:
                out.append(exc)
        return out

    # ------------------------------------------------------------------ off-loop checks
    async def prechecked(self, datas: Sequence[bytes]) -> None:
        """Have `datas` decoded and signature-checked off the event loop (into the cache).
        Submissions that arrive while the loop is busy are checked together in one job."""
        if not datas:
            return
        loop = asyncio.get_running_loop()
        start = not self._waiting
        futs: list[asyncio.Future[None]] = []
        for d in datas:
            fut: asyncio.Future[None] = loop.create_future()
            self._waiting.append((d, fut))
            futs.append(fut)
        if start:
            loop.call_soon(self._drain)
        for fut in futs:
            await fut

    def _drain(self) -> None:
        batch, self._waiting = self._waiting, []
        sigs, runtime = self.sigs, self.runtime
        datas = list(dict.fromkeys(d for d, _ in batch if sigs.get(d) is None))

        def release(f: asyncio.Future[None] | None = None) -> None:
            if f is not None and f.exception() is not None:  # the pool's validation checks them itself
                log.warning("transaction pre-check failed (%s): the pool checks them", f.exception())
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

        if not datas:  # all checked before
            release()
            return

        def work() -> None:
            # records are decoded here; a big job's signatures are checked by the worker process
            payload_for = sigs.payload_for
            pre = None
            if len(datas) >= PARALLEL_MIN and self.payloads is not None and self.next_number is not None:
                pre = ParallelPrecheck([(self.next_number(), datas)], self.payloads)
            for d in datas:
                r: Entry | None = None
                if pre is None:
                    r = precheck_one(d, payload_for, runtime)
                else:
                    xt = pre.get(d)
                    if xt is not None:
                        payload = payload_for(xt) if xt.signed else None
                        ok = bool(payload is not None and pre.verdict(d, payload))
                        r = (with_call(xt, runtime) if ok or not xt.signed else xt), payload, ok
                if r is not None:
                    sigs.put(d, r)
            self.jobs += 1
            self.checked += len(datas)

        asyncio.get_running_loop().run_in_executor(_VERIFIER, work).add_done_callback(release)


__all__ = ["PARALLEL_MIN", "Intake"]
