"""Benchmark: JSON-RPC server framework (node/rpc.py) requests per second on a trivial method.

The server runs in a child process (one event loop, as in the node) with `system_name` and
`echo_add(a, b)`; the load comes from this process with aiohttp's client:
  * http: C concurrent clients over keep-alive connections, one request per POST;
  * http-batch: the same with batches of B requests per POST (counted per request);
  * ws: C WebSocket connections, each keeping `--depth` requests in flight.
The client shares the machine with the server (2 cores: about one each), so the figures are a floor
for the server. Prints a markdown table; `--json PATH` also saves the figures. Seed of the node's RPC
benchmark (target for the node: >= 3,000 queries/s on 2 cores).

    .venv/bin/python benchmarks/bench_rpc_server.py [--seconds 3] [--clients 8] [--depth 8] [--batch 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node.rpc import RpcMethods, RpcServer, is_int  # noqa: E402


def _serve(conn: Any) -> None:
    async def main() -> None:
        methods = RpcMethods()
        methods.register("system_name", lambda: "taochain")
        methods.register("echo_add", lambda a, b: a + b, params=[("a", is_int), ("b", is_int)])
        server = RpcServer("127.0.0.1", 0, methods, methods_policy="unsafe")
        await server.start()
        conn.send(server.port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # wait for "stop"
        await server.stop()

    asyncio.run(main())


def _req(i: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": i, "method": "echo_add", "params": [i, 1]}


async def bench_http(url: str, clients: int, seconds: float, batch: int) -> float:
    done = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal done
            i = w * 10**9
            while time.perf_counter() < deadline:
                body = json.dumps(_req(i) if batch == 1 else [_req(i + k) for k in range(batch)])
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                    out = await r.json()
                if batch == 1:
                    assert out["result"] == i + 1, out
                else:
                    assert len(out) == batch and out[0]["result"] == i + 1, out
                done += batch
                i += batch

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        return done / (time.perf_counter() - t0)


async def bench_ws(url: str, clients: int, seconds: float, depth: int) -> float:
    done = 0
    async with aiohttp.ClientSession() as session:
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal done
            async with session.ws_connect(url, max_msg_size=0) as ws:
                i = w * 10**9
                inflight = 0
                while True:
                    while inflight < depth and time.perf_counter() < deadline:
                        await ws.send_str(json.dumps(_req(i)))
                        i += 1
                        inflight += 1
                    if inflight == 0:
                        return
                    out = json.loads((await ws.receive()).data)
                    assert "result" in out, out
                    inflight -= 1
                    done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        return done / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--depth", type=int, default=8, help="WS requests in flight per connection")
    ap.add_argument("--batch", type=int, default=10, help="requests per HTTP batch")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="1 s per measure (smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.seconds = 1.0

    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    port = parent.recv()
    url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    rows: list[tuple[str, str, float]] = []
    try:
        rows.append(
            (
                "http",
                f"{args.clients} clients, keep-alive",
                asyncio.run(bench_http(url, args.clients, args.seconds, 1)),
            )
        )
        rows.append(
            (
                "http-batch",
                f"{args.clients} clients, {args.batch}/batch",
                asyncio.run(bench_http(url, args.clients, args.seconds, args.batch)),
            )
        )
        rows.append(
            (
                "ws",
                f"{args.clients} conns, {args.depth} in flight",
                asyncio.run(bench_ws(ws_url, args.clients, args.seconds, args.depth)),
            )
        )
    finally:
        parent.send("stop")
        proc.join(5)
        if proc.is_alive():
            proc.terminate()

    print(
        f"RPC server, trivial method `echo_add` ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, client and server on the same machine)\n"
    )
    print("| transport | load | requests/s |")
    print("|---|---|---:|")
    for transport, load, rps in rows:
        print(f"| {transport} | {load} | {rps:,.0f} |")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "seconds": args.seconds,
                    "clients": args.clients,
                    "depth": args.depth,
                    "batch": args.batch,
                    "rows": [
                        {"transport": t, "load": ld, "requests_per_s": round(r, 1)} for t, ld, r in rows
                    ],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
