"""Block execution throughput (Parity's sTPS shape): blocks of K signed `transfer_keep_alive` from K
distinct pre-funded senders to existing accounts, on a state of N accounts.

Each size runs twice per signature scheme (sr25519, Substrate's default, and ed25519): signatures
checked inline (one core), and checked by a worker process beside execution (node/precheck.py, as
the node does when it imports blocks). Prints transfers/s with the time split (signature checks,
trie root, the rest of dispatch), and, measured in the same process, the bare verification rate of
each scheme on one core and the ratio of the two; then the per-block root cost at 10k and 100k accounts, to show it grows with the keys a
block changes, not with the state size. Writes JSON to benchmarks/results/.

    .venv/bin/python benchmarks/bench_import.py [--accounts 10000,100000] [--block-size 2000] [--blocks 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import nacl
import nacl.signing

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from results_io import save  # noqa: E402

from node.local import LocalChain  # noqa: E402
from runtime.presets import dev  # noqa: E402
from runtime.support import trie as trie_mod  # noqa: E402
from runtime.support import tx  # noqa: E402
from runtime.support.keys import ED25519, dev_keypair, keypair_from_seed, verify_sr25519  # noqa: E402

TAO = 10**9


class Timer:
    """Accumulates the time spent inside a wrapped function."""

    def __init__(self) -> None:
        self.total = 0.0

    def wrap(self, fn):
        def inner(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.total += time.perf_counter() - t

        return inner


def bare_verify_rate(scheme: str = "ed25519", n: int = 5000) -> float:
    """Signatures of `scheme` verified per second on one core, by the library the chain uses
    (pynacl for ed25519, py-sr25519-bindings for sr25519), outside the chain."""
    if scheme == "ed25519":
        keys = [nacl.signing.SigningKey(i.to_bytes(32, "little")) for i in range(1, 65)]
        msgs = [(k.verify_key, k.sign(b"payload %d" % i)) for i, k in enumerate(keys)]
        t = time.perf_counter()
        for i in range(n):
            vk, sm = msgs[i % len(msgs)]
            vk.verify(sm)
        return n / (time.perf_counter() - t)
    pairs = [keypair_from_seed(i.to_bytes(32, "little"), scheme) for i in range(1, 65)]
    sigs = [(k.public, b"payload %d" % i, k.sign(b"payload %d" % i)) for i, k in enumerate(pairs)]
    t = time.perf_counter()
    for i in range(n):
        pk, m, sig = sigs[i % len(sigs)]
        verify_sr25519(pk, m, sig)
    return n / (time.perf_counter() - t)


def run(accounts: int, block_size: int, blocks: int, parallel: bool, scheme: str = "ed25519") -> dict:
    mode = "signatures checked in a worker process" if parallel else "single thread"
    print(f"\n== state of {accounts:,} accounts, {blocks} blocks of {block_size} transfers, {mode}", flush=True)
    t0 = time.perf_counter()
    keys = [keypair_from_seed(i.to_bytes(32, "big"), scheme) for i in range(1, accounts + 1)]
    spec = dev()
    spec = type(spec)(**{**{f: getattr(spec, f) for f in spec.__slots__}, "balances": spec.balances + tuple((k.public, 1000 * TAO) for k in keys)})
    chain = LocalChain(spec, authority_keys=[dev_keypair("Alice", ED25519)])
    print(f"   genesis built in {time.perf_counter() - t0:.1f} s", flush=True)
    gc.collect()
    gc.freeze()  # as the node does after start-up: long-lived state is not rescanned by the GC
    if parallel:  # a node starts its signature worker at launch: keep its start-up out of the timing
        from node.sigworker import get_verifier

        get_verifier()
    sig_t, trie_t = Timer(), Timer()
    orig_check, orig_update = tx.Extrinsic.verify, trie_mod.Trie.update
    tx.Extrinsic.verify = sig_t.wrap(orig_check)
    trie_mod.Trie.update = trie_t.wrap(orig_update)
    per_block = []
    try:
        sender = 0
        for _ in range(blocks):
            xts = []
            for _ in range(block_size):
                k = keys[sender % accounts]
                dest = keys[(sender * 7 + 1) % accounts].public
                xts.append(chain.sign(k, chain.call("Balances", "transfer_keep_alive", dest, TAO), nonce=chain.account(k.public).nonce))
                sender += 1
            s0, r0 = sig_t.total, trie_t.total
            if parallel:
                s0 = sig_t.total = 0.0
            t = time.perf_counter()
            result, rejected = chain.author(xts, parallel=parallel)
            dt = time.perf_counter() - t
            assert not rejected, rejected[0][1].message
            per_block.append(
                {"seconds": dt, "signatures": sig_t.total - s0, "trie_root": trie_t.total - r0, "changed_keys": len(result.changes)}
            )
            print(
                f"   block #{chain.number}: {block_size / dt:,.0f} transfers/s  (sig {sig_t.total - s0:.3f} s, "
                f"root {trie_t.total - r0:.3f} s for {len(result.changes)} keys, total {dt:.3f} s)",
                flush=True,
            )
    finally:
        tx.Extrinsic.verify = orig_check
        trie_mod.Trie.update = orig_update
    total = sum(b["seconds"] for b in per_block)
    sig = sum(b["signatures"] for b in per_block)
    root = sum(b["trie_root"] for b in per_block)
    n = block_size * blocks
    return {
        "accounts": accounts,
        "scheme": scheme,
        "parallel_signature_check": parallel,
        "block_size": block_size,
        "blocks": blocks,
        "transfers_per_s": n / total,
        "split_s": {"signatures": sig, "trie_root": root, "dispatch_and_rest": total - sig - root},
        "root_us_per_changed_key": 1e6 * root / sum(b["changed_keys"] for b in per_block),
        "root_ms_per_block": 1e3 * root / blocks,
        "per_block": per_block,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", default="10000,100000")
    ap.add_argument("--block-size", type=int, default=2000)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10k accounts, 2 blocks of 2000 (a smoke run)")
    ap.add_argument("--schemes", default="sr25519,ed25519", help="the signers' schemes, one row set each")
    args = ap.parse_args()
    sizes = [int(x) for x in args.accounts.split(",")]
    schemes = args.schemes.split(",")
    if args.quick:
        sizes, args.block_size, args.blocks = [10000], 2000, 2
    bare = {sch: bare_verify_rate(sch) for sch in schemes}
    for sch, rate in bare.items():
        print(f"bare {sch} verification (one core): {rate:,.0f} /s")
    runs = [run(n, args.block_size, args.blocks, p, sch) for sch in schemes for n in sizes for p in (False, True)]
    print()
    for sch, rate in bare.items():
        print(f"bare {sch} verification: {rate:,.0f} /s (one core)")
    print()
    print("| scheme | accounts | signature checks | transfers/s | vs bare verify | signatures | trie root | dispatch+rest | root per block | root per changed key |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        s = r["split_s"]
        tot = sum(s.values())
        split = (
            f"{s['signatures'] / tot:.0%} | {s['trie_root'] / tot:.0%} | {s['dispatch_and_rest'] / tot:.0%}"
            if not r["parallel_signature_check"]
            else f"(worker) | {s['trie_root'] / tot:.0%} | {(tot - s['trie_root']) / tot:.0%}"
        )
        print(
            f"| {r['scheme']} | {r['accounts']:,} | {'worker process' if r['parallel_signature_check'] else 'inline'} | "
            f"{r['transfers_per_s']:,.0f} | {r['transfers_per_s'] / bare[r['scheme']]:.0%} | {split} | "
            f"{r['root_ms_per_block']:.0f} ms | {r['root_us_per_changed_key']:.1f} µs |"
        )
    # bare_verify_per_s: the ed25519 rate the report compares with (its sr25519 rows come later)
    save("import", {"bare_verify_per_s": bare.get("ed25519"), "bare_verify_per_s_by_scheme": bare, "runs": runs})

if __name__ == "__main__":
    main()
