"""Benchmark: cost of a state-root update per changed key, at 10k and 100k keys.

Builds a state of N accounts (Substrate-shaped storage keys: 32-byte prefix ++ blake2_128 ++ account
id, 40-byte values), then applies blocks of changed keys (mostly overwrites, as transfers make, plus a
few new and deleted accounts) and times `Trie.update` alone. Persisting the new nodes into the
in-memory store is not timed. Prints a markdown table; `--json PATH` also saves the figures.

    .venv/bin/python benchmarks/bench_trie.py [--sizes 10000 100000] [--batches 500 5000] [--blocks 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.support.trie import MemoryNodeStore, Trie  # noqa: E402

PREFIX = (
    hashlib.blake2b(b"System", digest_size=16).digest() + hashlib.blake2b(b"Account", digest_size=16).digest()
)


def account_key(i: int) -> bytes:
    account = hashlib.blake2b(i.to_bytes(8, "little"), digest_size=32).digest()
    return PREFIX + hashlib.blake2b(account, digest_size=16).digest() + account


def account_value(nonce: int, balance: int) -> bytes:
    return nonce.to_bytes(8, "little") + balance.to_bytes(16, "little") + bytes(16)


def run(size: int, batch: int, blocks: int) -> dict:
    store = MemoryNodeStore()
    trie = Trie(store)
    started = time.perf_counter()
    genesis = trie.update({account_key(i): account_value(0, 10**12) for i in range(size)})
    build_s = time.perf_counter() - started
    store.put_nodes(genesis.new_nodes)
    trie.commit()

    timings = []
    next_new = size
    for block in range(1, blocks + 1):
        changes: dict[bytes, bytes | None] = {}
        # ~96% overwrites of existing accounts, 2% new accounts, 2% deletions; deterministic spread.
        step = max(1, size // batch)
        for n in range(batch):
            i = (block * 7919 + n * step) % size
            kind = n % 50
            if kind == 0:
                changes[account_key(next_new)] = account_value(0, 1)
                next_new += 1
            elif kind == 1:
                changes[account_key(i)] = None
            else:
                changes[account_key(i)] = account_value(block, 10**12 - block)
        started = time.perf_counter()
        result = trie.update(changes)
        timings.append(time.perf_counter() - started)
        store.put_nodes(result.new_nodes)
        store.delete_nodes(result.dead_nodes)
        trie.commit()

    best = min(timings)
    return {
        "keys": size,
        "changed_per_block": batch,
        "blocks": blocks,
        "build_s": round(build_s, 4),
        "build_us_per_key": round(build_s / size * 1e6, 2),
        "update_best_ms": round(best * 1e3, 2),
        "update_median_ms": round(sorted(timings)[len(timings) // 2] * 1e3, 2),
        "us_per_changed_key": round(best / batch * 1e6, 2),
        "nodes_in_store": len(store),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batches", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--quick", action="store_true", help="10k keys, 500 changed keys, 3 blocks (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.batches, args.blocks = [10_000], [500], 3

    rows = [run(size, min(batch, size), args.blocks) for size in args.sizes for batch in args.batches]
    meta = {
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "python": platform.python_version(),
        "msgpack": ".".join(map(str, msgpack.version)),
        "backend": "cpu",
        "quick": args.quick,
    }
    print(f"trie update benchmark — {meta}")
    print()
    print("| keys | changed/block | build µs/key | update best ms | update median ms | µs/changed key |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['keys']:,} | {r['changed_per_block']:,} | {r['build_us_per_key']} | "
            f"{r['update_best_ms']} | {r['update_median_ms']} | {r['us_per_changed_key']} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
