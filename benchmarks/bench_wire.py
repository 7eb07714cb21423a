"""Benchmark: the Substrate wire formats against the MessagePack forms they replaced (#15).

Per storage item (values taken from a dev chain: Alice's System.Account, Balances.TotalIssuance, a
256-entry SubtensorModule.Weights row) and per signed `transfer_keep_alive` extrinsic: encode and
decode time with SCALE (what the chain stores and sends now) and with MessagePack (the old form,
rebuilt here from the same values: `codec.encode(type.to_wire(v))`, the old extrinsic array
`[1, signer, signature, extra, call]`), and the bytes of each. Then `state_getMetadata` (served from
cache) against `system_name` over HTTP on a `taochain node --dev` process, median of N requests.
Prints markdown tables; saves JSON under benchmarks/results/ (results_io.save).

    .venv/bin/python benchmarks/bench_wire.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from results_io import save  # noqa: E402

from node.local import LocalChain  # noqa: E402
from runtime.support import (  # noqa: E402
    codec,  # noqa: E402
    extrinsic_v4,
    tx,
)
from runtime.support.keys import keypair_from_uri  # noqa: E402


def per_op(fn, reps: int) -> float:
    """Seconds per call of fn, best of 3 runs of `reps` calls."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def item_rows(reps: int) -> list[dict]:
    chain = LocalChain()
    rt, ctx = chain.runtime, chain.ctx().state
    alice = keypair_from_uri("//Alice").public
    weights_item = rt.subtensor.Weights if hasattr(rt, "subtensor") else None
    samples = [
        ("System.Account", rt.system.Account, rt.system.Account.get(ctx, alice)),
        ("Balances.TotalIssuance", rt.balances.TotalIssuance, rt.balances.TotalIssuance.get(ctx)),
    ]
    if weights_item is not None:
        row = b"".join(i.to_bytes(2, "big") + (65535 - i).to_bytes(2, "big") for i in range(256))
        samples.append(("SubtensorModule.Weights (256 pairs)", weights_item, row))
    rows = []
    for name, item, value in samples:
        scale_b = item.value_scale.encode(value)
        mp_b = codec.encode(item.value_type.to_wire(value))
        rows.append({
            "item": name,
            "scale_bytes": len(scale_b), "msgpack_bytes": len(mp_b),
            "scale_encode_us": per_op(lambda: item.value_scale.encode(value), reps) * 1e6,  # noqa: B023 (called at once)
            "scale_decode_us": per_op(lambda: item.value_scale.decode(scale_b), reps) * 1e6,  # noqa: B023 (called at once)
            "msgpack_encode_us": per_op(lambda: codec.encode(item.value_type.to_wire(value)), reps) * 1e6,  # noqa: B023 (called at once)
            "msgpack_decode_us": per_op(lambda: item.value_type.from_wire(codec.decode(mp_b)), reps) * 1e6,  # noqa: B023 (called at once)
        })
    return rows


def extrinsic_row(reps: int) -> dict:
    chain = LocalChain()
    alice, bob = keypair_from_uri("//Alice"), keypair_from_uri("//Bob")
    call = chain.call("Balances", "transfer_keep_alive", bob.public, 10**9)
    v4 = chain.sign(alice, call, nonce=0)
    xt = tx.decode_extrinsic(v4)
    sig = xt.signature.signature
    g = chain.genesis_hash
    old = [1, alice.public, sig, [0, 0, [0, 0], 100, g, g], [5, 3, [bob.public, 10**9]]]  # the old array
    old_b = codec.encode(old)
    return {
        "item": "signed transfer_keep_alive",
        "scale_bytes": len(v4), "msgpack_bytes": len(old_b),
        "scale_encode_us": per_op(lambda: extrinsic_v4.encode_extrinsic(xt.unchecked), reps) * 1e6,
        "scale_decode_us": per_op(lambda: tx.decode_extrinsic(v4), reps) * 1e6,
        "msgpack_encode_us": per_op(lambda: codec.encode(old), reps) * 1e6,
        "msgpack_decode_us": per_op(lambda: codec.decode(old_b), reps) * 1e6,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, method: str) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def rpc_latency(n: int) -> dict:
    port = _free_port()
    exe = str(Path(sys.executable).with_name("taochain"))
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.Popen([exe, "node", "--dev", "--base-path", d, "--rpc-port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    _post(url, "system_name")
                    break
                except OSError:
                    time.sleep(0.1)
            out = {}
            size = len(_post(url, "state_getMetadata")["result"]) // 2 - 1
            for method in ("system_name", "state_getMetadata"):
                ts = []
                for _ in range(n):
                    t = time.perf_counter()
                    _post(url, method)
                    ts.append(time.perf_counter() - t)
                out[method] = statistics.median(ts) * 1e3
            out["metadata_bytes"] = size
            return out
        finally:
            proc.terminate()
            proc.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    reps = 2_000 if a.quick else 20_000
    rows = item_rows(reps) + [extrinsic_row(reps)]
    print("| value | SCALE bytes | MessagePack bytes | SCALE encode µs | SCALE decode µs | MessagePack encode µs | MessagePack decode µs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        f = lambda x: f"{x:.2f}"  # noqa: E731
        print(f"| {r['item']} | {r['scale_bytes']} | {r['msgpack_bytes']} | {f(r['scale_encode_us'])} | "
              f"{f(r['scale_decode_us'])} | {f(r['msgpack_encode_us'])} | {f(r['msgpack_decode_us'])} |")
    lat = rpc_latency(50 if a.quick else 300)
    print()
    print("| HTTP request (dev node, median) | ms |")
    print("| --- | ---: |")
    print(f"| system_name | {lat['system_name']:.2f} |")
    print(f"| state_getMetadata ({lat['metadata_bytes']:,} bytes, cached) | {lat['state_getMetadata']:.2f} |")
    save("wire", {"items": rows, "rpc_ms": lat, "quick": a.quick})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
