"""Network benchmark on a local testnet of real node processes (loopback).

1. Propagation and finality: a 4-authority testnet (`taochain testnet` machinery, 1 s blocks). Each
   node's new heads are followed over WebSocket (`chain_subscribeNewHeads`); a block's propagation
   time to a peer is when that peer announced it as its new head minus when its author did (both
   seen by this process the same way, so the RPC notification delay cancels). Finality lag:
   best - finalized on every node, sampled every 0.5 s.
2. Transaction gossip: N transfers pre-signed by N distinct pre-funded accounts are submitted to
   node 0 only (JSON-RPC batches); the rate is N over the time until the last node has seen every one
   of them (in its pool or in a block).
3. Sync: a chain of B blocks of transfers (one authority, built in memory and written to a node's
   LevelDB database, as a node stores them) is served by one node; a fresh node joins with it as its
   bootnode, and the sync rate is the blocks it imported per second of syncing.

    .venv/bin/python benchmarks/bench_network.py [--quick] [--blocks 5000] [--transfers 2000]

Targets (issue #6): propagation p95 <= 100 ms on loopback, finality lag <= 2 blocks at 1 s blocks,
sync >= 500 blocks/s for blocks of transfers. Every figure is printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from results_io import machine, save  # noqa: E402

from runtime.support.hashing import blake2_256  # noqa: E402
from taochain.proc import RpcCallError, port_is_free, rpc_call, rpc_call_async, start_node, stop_processes  # noqa: E402

TAO = 10**9


def progress(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def free_base(n: int) -> int:
    """A port base with n free consecutive ports (bases 20000.. stepping)."""
    for base in range(21000, 60000, 97):
        if all(port_is_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no free port range")


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


# ---------------------------------------------------------------------------------------- part 1 and 2


def funded_spec(spec: Any, n_accounts: int) -> tuple[Any, list[Any]]:
    """The testnet's own spec (its beacon shares were dealt for it) plus n pre-funded accounts."""
    import dataclasses

    from runtime.support.keys import keypair_from_seed

    keys = [keypair_from_seed(blake2_256(b"bench-network-%d" % i)) for i in range(n_accounts)]
    spec = dataclasses.replace(spec, balances=spec.balances + tuple((k.public, 10 * TAO) for k in keys))
    return spec, keys


async def follow_heads(url: str, seen: dict[bytes, float], numbers: dict[bytes, int], stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "chain_subscribeNewHeads", "params": []})
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 0.5)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            data = json.loads(msg.data)
            head = data.get("params", {}).get("result")
            if not head:
                continue
            from node.rpc_api import header_from_json

            h = header_from_json(head)
            hh = h.hash()
            if hh not in seen:
                seen[hh] = time.perf_counter()
                numbers[hh] = h.number


async def part_testnet(args: argparse.Namespace) -> dict[str, Any]:
    from runtime.support import tx
    from taochain.testnet import Testnet, plan_testnet

    base = Path(tempfile.mkdtemp(prefix="bench-net-"))
    pb = free_base(12)
    spec, plans = plan_testnet(4, base, rpc_port_base=pb, p2p_port_base=pb + 4, prometheus_port_base=pb + 8,
                               block_time_ms=1000)
    spec, keys = funded_spec(spec, args.transfers)
    net = Testnet(spec, plans, base, owns_base_dir=True)
    net.start()
    urls = [f"http://127.0.0.1:{p.rpc_port}" for p in plans]
    wss = [f"ws://127.0.0.1:{p.rpc_port}" for p in plans]
    out: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as s:
            progress("part 1: waiting for 4 nodes to connect")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    peers = [(await rpc_call_async(s, u, "system_health"))["peers"] for u in urls]
                    if min(peers) >= 3:
                        break
                except (aiohttp.ClientError, OSError, KeyError, TypeError, RpcCallError):
                    pass
                await asyncio.sleep(0.5)
            seen: list[dict[bytes, float]] = [{} for _ in urls]
            numbers: dict[bytes, int] = {}
            stop = asyncio.Event()
            followers = [asyncio.create_task(follow_heads(w, seen[i], numbers, stop)) for i, w in enumerate(wss)]
            lags: list[int] = []
            progress(f"part 1: following heads for {args.seconds} s")
            t_end = time.monotonic() + args.seconds
            while time.monotonic() < t_end:
                for u in urls:
                    best = int((await rpc_call_async(s, u, "chain_getHeader"))["number"], 16)
                    fin_hash = await rpc_call_async(s, u, "chain_getFinalizedHead")
                    fin = int((await rpc_call_async(s, u, "chain_getHeader", [fin_hash]))["number"], 16)
                    lags.append(best - fin)
                await asyncio.sleep(0.5)
            # who authored each block: the node that saw it first is its author (it imported it locally)
            prop: list[float] = []
            for h in numbers:
                times = [sv[h] for sv in seen if h in sv]
                if len(times) < 4:
                    continue
                t0 = min(times)
                prop += [t - t0 for t in times if t != t0]
            out["blocks_followed"] = sum(1 for h in numbers if all(h in sv for sv in seen))
            out["propagation_ms"] = {
                "p50": 1e3 * pct(prop, 0.5) if prop else None,
                "p95": 1e3 * pct(prop, 0.95) if prop else None,
                "max": 1e3 * max(prop) if prop else None,
                "samples": len(prop),
            }
            out["finality_lag_blocks"] = {
                "mean": statistics.mean(lags) if lags else None,
                "max": max(lags) if lags else None,
                "samples": len(lags),
            }
            progress(f"  propagation p50 {out['propagation_ms']['p50']:.1f} ms, p95 "
                     f"{out['propagation_ms']['p95']:.1f} ms; finality lag mean {out['finality_lag_blocks']['mean']:.2f}")

            # ---- part 2: transaction gossip
            progress(f"part 2: {len(keys)} transfers submitted to node 0")
            genesis = bytes.fromhex((await rpc_call_async(s, urls[0], "chain_getBlockHash", [0]))[2:])
            version = await rpc_call_async(s, urls[0], "state_getRuntimeVersion")
            call = bytes([5, 3]) + keys[0].public + (1000).to_bytes(8, "little")  # Balances.transfer_keep_alive
            xts = [tx.sign_extrinsic(k, call, nonce=0, genesis_hash=genesis, spec_version=version["specVersion"],
                                     tx_version=version["transactionVersion"]) for k in keys]
            hashes = {blake2_256(x) for x in xts}
            t0 = time.perf_counter()
            for i in range(0, len(xts), 100):
                batch = [{"jsonrpc": "2.0", "id": j, "method": "author_submitExtrinsic", "params": ["0x" + x.hex()]}
                         for j, x in enumerate(xts[i : i + 100])]
                async with s.post(urls[0], json=batch) as r:
                    await r.json()
            t_submit = time.perf_counter() - t0
            seen_tx: list[set[bytes]] = [set() for _ in urls]
            done_at: list[float | None] = [None] * len(urls)
            checked_blocks: list[set[str]] = [set() for _ in urls]
            while any(d is None for d in done_at) and time.perf_counter() - t0 < 120:
                for i, u in enumerate(urls):
                    if done_at[i] is not None:
                        continue
                    for x in await rpc_call_async(s, u, "author_pendingExtrinsics"):
                        seen_tx[i].add(blake2_256(bytes.fromhex(x[2:])))
                    best_hash = await rpc_call_async(s, u, "chain_getBlockHash")
                    h = best_hash
                    for _ in range(10):  # walk back over new blocks
                        if h in checked_blocks[i]:
                            break
                        checked_blocks[i].add(h)
                        blk = await rpc_call_async(s, u, "chain_getBlock", [h])
                        for x in blk["block"]["extrinsics"]:
                            seen_tx[i].add(blake2_256(bytes.fromhex(x[2:])))
                        h = blk["block"]["header"]["parentHash"]
                    if hashes <= seen_tx[i]:
                        done_at[i] = time.perf_counter() - t0
                await asyncio.sleep(0.05)
            last = max((d for d in done_at if d is not None), default=None)
            out["tx_gossip"] = {
                "transfers": len(xts), "submit_s": t_submit, "seen_by_every_node_s": last,
                "per_node_s": done_at, "tx_per_s": len(xts) / last if last else None,
            }
            progress(f"  every node saw all {len(xts)} in {last:.2f} s ({out['tx_gossip']['tx_per_s']:.0f} tx/s)"
                     if last else "  not every node saw every transaction")
            stop.set()
            for f in followers:
                f.cancel()
    finally:
        net.stop()
    return out


# ---------------------------------------------------------------------------------------- part 3


def build_chain(base: Path, blocks: int, per_block: int) -> tuple[Path, Any]:
    """A one-authority chain of `blocks` blocks of transfers, stored as a node stores it."""
    import dataclasses

    from node.chain_db import ChainDB, LevelDBKV
    from node.local import LocalChain
    from runtime.block import Block
    from runtime.presets import local
    from runtime.support.keys import keypair_from_seed

    senders = [keypair_from_seed(blake2_256(b"bench-sync-%d" % i)) for i in range(per_block)]
    spec = local(1).with_slot_duration(1000)
    spec = dataclasses.replace(spec, id="bench_sync", balances=spec.balances + tuple((k.public, 1000 * TAO) for k in senders))
    spec_path = base / "sync-spec.json"
    spec_path.write_text(spec.dumps())
    chain = LocalChain(spec)
    db_path = base / "server" / "chains" / spec.id / "db"
    db_path.parent.mkdir(parents=True)
    db = ChainDB(LevelDBKV(db_path), 256)  # as the node opens it (--state-pruning 256)
    g = chain.genesis
    db.init_genesis(g.block, g.items, g.trie_update.new_nodes, spec.dumps())
    dest = senders[0].public
    t0 = time.perf_counter()
    for b in range(1, blocks + 1):
        xts = [chain.sign(k, chain.call("Balances", "transfer_keep_alive", dest, 1000 + b), nonce=b - 1) for k in senders]
        result, rejected = chain.author(xts)
        assert not rejected, rejected[0][1].message
        block = Block(chain.head, result.extrinsics)
        db.commit_block(block, result.changes, result.trie_update, set_best=True, finalized=block.hash())
        if b % 500 == 0:
            progress(f"part 3: built {b}/{blocks} blocks ({b / (time.perf_counter() - t0):.0f}/s)")
    db.close()
    return spec_path, spec


def part_sync(args: argparse.Namespace) -> dict[str, Any]:
    from p2p.transport import multiaddr, peer_id_of
    from runtime.support.keys import ED25519, keypair_from_seed

    base = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    procs: list[Any] = []
    try:
        spec_path, spec = build_chain(base, args.blocks, args.per_block)
        pb = free_base(6)
        server_key = blake2_256(b"bench-sync-server")
        server_id = peer_id_of(keypair_from_seed(server_key, ED25519).public)

        def start(name: str, base_path: Path, port: int, rpc_port: int, extra: list[str]) -> Any:
            return start_node(
                ["--chain", str(spec_path), "--name", name, "--base-path", str(base_path), "--port", str(port),
                 "--no-prometheus", "--listen-host", "127.0.0.1", "--state-pruning", "256", *extra],
                base / f"{name}.log", rpc_port=rpc_port, cwd=ROOT,
            )

        # the server does not author (no key): the chain stays at its length while the joiner syncs
        procs.append(start("server", base / "server", pb, pb + 1, ["--node-key", server_key.hex()]))
        def best(port: int) -> int | None:
            try:
                return int(rpc_call(port, "chain_getHeader", timeout=2)["number"], 16)
            except (OSError, ValueError, KeyError, TypeError, RpcCallError):
                return None

        deadline = time.monotonic() + 60
        while best(pb + 1) != args.blocks and time.monotonic() < deadline:
            time.sleep(0.2)
        progress(f"part 3: server up at #{best(pb + 1)}; a fresh node joins")
        t_start = time.perf_counter()
        procs.append(start("joiner", base / "joiner", pb + 2, pb + 3,
                           ["--bootnodes", multiaddr("127.0.0.1", pb, server_id)]))
        first = None
        last_print = 0.0
        n = 0
        while time.perf_counter() - t_start < 600:
            n = best(pb + 3) or 0
            now = time.perf_counter()
            if n > 0 and first is None:
                first = (now, n)
            if n >= args.blocks:
                break
            if now - last_print > 5:
                last_print = now
                progress(f"  joiner at #{n}")
            time.sleep(0.1)
        t_done = time.perf_counter()
        if first is None:
            return {"blocks": args.blocks, "synced": n, "error": "the joiner imported nothing"}
        rate = (n - first[1]) / max(1e-9, t_done - first[0])
        out = {"blocks": args.blocks, "transfers_per_block": args.per_block, "synced": n,
               "seconds_syncing": t_done - first[0], "seconds_from_start": t_done - t_start, "blocks_per_s": rate}
        progress(f"  joined and synced {n} blocks: {rate:.0f} blocks/s ({t_done - t_start:.1f} s from process start)")
        return out
    finally:
        stop_processes(procs, 20)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small: 15 s, 300 transfers, 1000 blocks")
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--transfers", type=int, default=2000)
    ap.add_argument("--blocks", type=int, default=5000)
    ap.add_argument("--per-block", type=int, default=10, help="transfers per block of the sync chain")
    ap.add_argument("--skip-testnet", action="store_true")
    ap.add_argument("--skip-sync", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.transfers, args.blocks = 15.0, 300, 1000
    out: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    if not args.skip_testnet:
        out.update(asyncio.run(part_testnet(args)))
    if not args.skip_sync:
        out["sync"] = part_sync(args)
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Network on loopback (4 authorities, 1 s blocks; one machine, 2 cores shared by every node)")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("target", justify="right")
    if "propagation_ms" in out:
        p = out["propagation_ms"]
        t.add_row("block propagation p50 / p95 / max", f"{p['p50']:.1f} / {p['p95']:.1f} / {p['max']:.1f} ms "
                  f"({p['samples']} deliveries)", "p95 <= 100 ms")
        f = out["finality_lag_blocks"]
        t.add_row("finality lag mean / max", f"{f['mean']:.2f} / {f['max']} blocks", "<= 2 blocks")
        g = out["tx_gossip"]
        t.add_row("transactions gossiped", f"{g['tx_per_s']:.0f} tx/s ({g['transfers']} to every node in "
                  f"{g['seen_by_every_node_s']:.2f} s)" if g["tx_per_s"] else "incomplete", "")
    if "sync" in out and "blocks_per_s" in out["sync"]:
        sy = out["sync"]
        t.add_row("sync of a fresh node", f"{sy['blocks_per_s']:.0f} blocks/s ({sy['synced']} blocks of "
                  f"{sy['transfers_per_block']} transfers)", ">= 500 blocks/s")
    Console().print(t)
    save("network", out)


if __name__ == "__main__":
    main()
