"""Node RPC benchmark: queries/s against a real dev node, and end-to-end sTPS.

1. Queries: `system_account` and `chain_getHeader` over HTTP (keep-alive, C concurrent clients) and
   over WebSocket (C connections, D requests in flight each), against `taochain node` running as its
   own process on 127.0.0.1 (the client shares the 2 cores with it).
2. End-to-end sTPS: N transfers pre-signed by N distinct pre-funded accounts (a chain-spec file made
   here), submitted over RPC in JSON-RPC batches of 100 from 4 concurrent connections to a node with 1 s blocks, measured from the first
   submit to the block that includes the last one; printed next to the in-process execution rate
   (bench_import's measure, taken here in the same run on the same state size).

    .venv/bin/python benchmarks/bench_rpc.py [--seconds 3] [--clients 8] [--transfers 4000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from results_io import save  # noqa: E402

from runtime.presets import dev  # noqa: E402
from runtime.support import tx  # noqa: E402
from runtime.support.keys import dev_keypair, keypair_from_seed  # noqa: E402
from taochain.proc import NodeProcess, free_port, rpc_call_async, start_node, wait_rpc  # noqa: E402

TAO = 10**9


def bench_node(spec_path: Path | None, port: int, block_ms: int, log: Path) -> NodeProcess:
    """A dev node (Alice authoring, temporary database, a large pool) on `spec_path` or the dev preset."""
    return start_node(["--tmp", "--alice", "--no-prometheus", "--block-time-ms", str(block_ms), "--pool-limit", "100000",
                       "--chain", str(spec_path) if spec_path else "dev"], log, rpc_port=port, cwd=ROOT)


async def http_load(url: str, body: dict, clients: int, seconds: float) -> float:
    count = 0
    stop = time.monotonic() + seconds
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def worker():
            nonlocal count
            while time.monotonic() < stop:
                async with s.post(url, json=body) as r:
                    await r.read()
                count += 1

        t = time.monotonic()
        await asyncio.gather(*[worker() for _ in range(clients)])
        return count / (time.monotonic() - t)


async def ws_load(url: str, body: dict, conns: int, depth: int, seconds: float) -> float:
    count = 0
    stop = time.monotonic() + seconds
    async with aiohttp.ClientSession() as s:
        async def worker():
            nonlocal count
            async with s.ws_connect(url.replace("http://", "ws://")) as ws:
                for i in range(depth):
                    await ws.send_json({**body, "id": i})
                async for _m in ws:
                    count += 1
                    if time.monotonic() >= stop:
                        break
                    await ws.send_json({**body, "id": count})

        t = time.monotonic()
        await asyncio.gather(*[worker() for _ in range(conns)])
        return count / (time.monotonic() - t)


async def queries(args) -> list[dict]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "node.log"
    p = bench_node(None, port, 1000, log)
    rows = []
    try:
        await asyncio.to_thread(wait_rpc, url, 60, proc=p, method="chain_getHeader")
        alice = dev_keypair("Alice").ss58
        for method, params in (("system_account", [alice]), ("chain_getHeader", [])):
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            h = await http_load(url, body, args.clients, args.seconds)
            w = await ws_load(url, body, args.clients, args.depth, args.seconds)
            rows.append({"method": method, "http_per_s": h, "ws_per_s": w})
            print(f"   {method}: HTTP {h:,.0f}/s, WS {w:,.0f}/s", flush=True)
    finally:
        p.stop(20)
    return rows


def make_spec(n: int, path: Path) -> list:
    keys = [keypair_from_seed((i + 1).to_bytes(32, "big")) for i in range(n)]
    spec = dev()
    d = spec.to_json()
    d["balances"] += [["0x" + k.public.hex(), 1000 * TAO] for k in keys]
    path.write_text(json.dumps(d))
    return keys


def transfer_call(dest: bytes, amount: int) -> bytes:
    """Balances.transfer_keep_alive(dest, amount) as SCALE call bytes (pallet 5, call 3)."""
    return bytes([5, 3]) + dest + amount.to_bytes(8, "little")


async def stps(args) -> dict:
    tmp = Path(tempfile.mkdtemp())
    keys = make_spec(args.transfers, tmp / "spec.json")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    p = bench_node(tmp / "spec.json", port, 1000, tmp / "node.log")
    try:
        await asyncio.to_thread(wait_rpc, url, 60, proc=p, method="chain_getHeader")
        async with aiohttp.ClientSession() as s:
            genesis = bytes.fromhex((await rpc_call_async(s, url, "chain_getBlockHash", [0]))[2:])
            version = await rpc_call_async(s, url, "state_getRuntimeVersion")
            dests = [keys[(i * 7 + 1) % len(keys)].public for i in range(len(keys))]
            xts = [
                tx.sign_extrinsic(k, transfer_call(d, TAO), nonce=0, genesis_hash=genesis,
                                  spec_version=version["specVersion"], tx_version=version["transactionVersion"])
                for k, d in zip(keys, dests, strict=True)
            ]
            start_number = int((await rpc_call_async(s, url, "chain_getHeader"))["number"], 16)
            t0 = time.monotonic()
            batch = 100  # the server's batch limit

            async def submitter(part: list[bytes]) -> None:
                for i in range(0, len(part), batch):
                    body = [{"jsonrpc": "2.0", "id": j, "method": "author_submitExtrinsic", "params": ["0x" + x.hex()]}
                            for j, x in enumerate(part[i : i + batch])]
                    async with s.post(url, json=body) as r:
                        res = await r.json()
                    errors = [x["error"] for x in res if "error" in x]
                    if errors:
                        raise RuntimeError(f"submission refused: {errors[0]}")

            await asyncio.gather(*[submitter(xts[k :: args.submitters]) for k in range(args.submitters)])
            t_submitted = time.monotonic() - t0
            last = keys[-1].ss58
            while (await rpc_call_async(s, url, "system_account", [last]))["nonce"] < 1:
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - t0
            end_number = int((await rpc_call_async(s, url, "chain_getHeader"))["number"], 16)
    finally:
        p.stop(30)
    return {"transfers": len(xts), "seconds": elapsed, "submit_seconds": t_submitted, "stps": len(xts) / elapsed,
            "blocks": end_number - start_number}


def in_process_rate(n: int) -> float:
    """bench_import's measure on the same state: one block of n transfers, executed in memory."""
    import bench_import

    r = bench_import.run(n, min(n, 2000), 1, True)
    return r["transfers_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--transfers", type=int, default=20000)
    ap.add_argument("--submitters", type=int, default=4, help="concurrent RPC connections submitting")
    ap.add_argument("--quick", action="store_true", help="1 s per query measure, 2000 transfers")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.transfers = 1.0, 2000
    print("== queries against a dev node (separate process)", flush=True)
    q = asyncio.run(queries(args))
    print(f"\n== end-to-end sTPS: {args.transfers} pre-signed transfers over RPC, 1 s blocks", flush=True)
    e = asyncio.run(stps(args))
    print(f"   {e['transfers']} transfers in {e['seconds']:.2f} s ({e['blocks']} blocks; submitting took {e['submit_seconds']:.2f} s)")
    inproc = in_process_rate(args.transfers)
    print("\n| method | HTTP req/s | WS req/s |\n|---|---:|---:|")
    for r in q:
        print(f"| {r['method']} | {r['http_per_s']:,.0f} | {r['ws_per_s']:,.0f} |")
    print("\n| end-to-end sTPS | in-process execution (transfers/s) | ratio |\n|---:|---:|---:|")
    print(f"| {e['stps']:,.0f} | {inproc:,.0f} | {e['stps'] / inproc:.0%} |")
    save("rpc", {"clients": args.clients, "queries": q, "end_to_end": e, "in_process_transfers_per_s": inproc})

if __name__ == "__main__":
    main()
