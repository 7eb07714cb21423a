"""Drand and timelock cost per BLS12-381 backend (arkworks, py-ecc), and the block that reveals
256 timelocked weight commits at once.

Part 1, per operation (median and p95 over N runs, per backend):
- `decrypt`: tlock.decrypt of a weights payload of 256 uids (hotkey, uids, values, version key:
  bittensor-drand's format) encrypted to quicknet round 1000, opened with round 1000's signature
  (one pairing, one G2 scalar multiplication, two point decodings with subgroup checks, AES-GCM);
- `verify`: verify_beacon of quicknet round 1000 (hash to G1, two pairings).

Part 2, the reveal block: a LocalChain over the dev preset with drand = quicknet, one subnet with
commit_reveal_version 4 (tempo 99, reveal period 1) and 256 uids (the owner's hotkey and 255
registered ones, each staked 1 TAO by its coldkey, so all get validator permits at the next epoch:
max_allowed_validators = 256). Each
of the 256 hotkeys commits its weights on all 256 uids, encrypted to round 1000 (commits are
encrypted with arkworks: the bytes are the same whichever backend makes them); the round-1000 pulse
is written by the Drand inherent; then the chain runs to the last block before the reveal epoch. The
first block of the reveal epoch is then built (not applied) R times per backend on that same
state: it decrypts the 256 commits and sets their weights (the subnet's Yuma epoch ran in the block
before, the last of the commit epoch). Reported: the whole block's build time, the time in
SubtensorModule.reveal_timelocked_commits (timed by wrapping it) and that per commit. Target: the
block under 1.5 s with arkworks.

    .venv/bin/python benchmarks/bench_drand.py [--quick] [--runs N] [--block-runs R]

Prints tables and writes benchmarks/results/drand[-quick]-<date>-<host>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from runtime.support import bls, tlock  # noqa: E402

ROUND = 1000
SIG_1000 = bytes.fromhex(
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
)
RANDOMNESS_1000 = bytes.fromhex("fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd")
UIDS = 256
TARGET_S = 1.5
TAO = 10**9


def stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]
    return {"median_s": statistics.median(s), "p95_s": p95, "min_s": s[0], "runs": len(s)}


def timeit(fn: Any, runs: int) -> dict[str, float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return stats(out)


# ---------------------------------------------------------------------------------------- part 1
def bench_ops(backends: list[str], runs: dict[str, int]) -> list[dict[str, Any]]:
    hot = os.urandom(32)
    payload = tlock.encode_weights_payload(hot, list(range(UIDS)), [(i * 257) % 65536 for i in range(UIDS)], 7)
    ct = tlock.encrypt(bls.QUICKNET_PUBLIC_KEY, ROUND, payload, os.urandom(76), bls.get_backend("arkworks"))
    rows = []
    for name in backends:
        b = bls.get_backend(name)
        assert tlock.decode_weights_payload(tlock.decrypt(ct, SIG_1000, b))[0] == hot
        assert bls.verify_beacon(bls.QUICKNET_PUBLIC_KEY, ROUND, SIG_1000, b)
        n = runs[name]
        rows.append({"backend": name, "op": "decrypt", "ciphertext_bytes": len(ct),
                     **timeit(lambda b=b: tlock.decrypt(ct, SIG_1000, b), n)})
        rows.append({"backend": name, "op": "verify", **timeit(
            lambda b=b: bls.verify_beacon(bls.QUICKNET_PUBLIC_KEY, ROUND, SIG_1000, b), n)})
    return rows


# ---------------------------------------------------------------------------------------- part 2
def build_chain(uids: int) -> tuple[Any, int, str]:
    """The chain on the eve of the reveal epoch: (chain, netuid, weights mode)."""
    from node.local import LocalChain
    from pallets.drand import Pulse
    from pallets.subtensor.config import SubtensorConfig
    from runtime.presets import dev, quicknet
    from runtime.support.keys import dev_keypair, keypair_from_uri

    fast = SubtensorConfig.fast()
    subnet = dataclasses.replace(
        fast.subnet, tempo=99, max_allowed_uids=uids, max_allowed_validators=uids, max_regs_per_block=uids,
        target_regs_per_interval=uids, adjustment_interval=10_000, burn=500_000, min_burn=500_000,
        immunity_period=10_000, commit_reveal_period=1, commit_reveal_version=4, weights_rate_limit=0,
    )
    spec = dataclasses.replace(dev(), drand=quicknet(), subtensor=dataclasses.replace(fast, subnet=subnet))
    chain = LocalChain(spec, bls_backend="arkworks")
    sub = chain.runtime.subtensor
    alice = dev_keypair("Alice")
    hots = [keypair_from_uri(f"//Bench//{i}") for i in range(uids)]

    def block(calls: list[tuple[Any, str, str, tuple]], inherents: tuple = ()) -> Any:
        nonces: dict[bytes, int] = {}
        xts = []
        for key, pallet, name, args in calls:
            nonce = nonces.get(key.public, chain.account(key.public).nonce)
            nonces[key.public] = nonce + 1
            xts.append(chain.sign(key, chain.call(pallet, name, *args), nonce=nonce))
        result, rejected = chain.author(xts, inherents=inherents)
        assert not rejected, rejected[0]
        for o in result.outcomes:
            assert o.error is None, o.error.name
        return result

    r = block([(alice, "SubtensorModule", "register_network", (hots[0].public,))])
    netuid = next(e.fields.netuid for e in r.events if e.name == "SubtensorModule.NetworkAdded")
    block([(alice, "SubtensorModule", "start_call", (netuid,))])
    for i in range(1, uids, 64):
        block([(alice, "SubtensorModule", "burned_register", (netuid, h.public)) for h in hots[i:i + 64]])
    for i in range(0, uids, 64):  # stake gives the validator permits at the next epoch
        block([(alice, "SubtensorModule", "add_stake", (h.public, TAO)) for h in hots[i:i + 64]])
    ctx = chain.ctx()
    n = sub.SubnetworkN.get(ctx.state, netuid)
    assert n == uids, n
    tempo = sub.Tempo.get(ctx.state, netuid)

    def epoch(b: int) -> int:
        return (b + netuid + 1) // (tempo + 1)

    def first_block(e: int) -> int:
        return e * (tempo + 1) - netuid - 1

    # one epoch gives the permits; then commit in the next epoch's first blocks
    chain.run_to_block(first_block(epoch(chain.number) + 1))
    permits = sub.ValidatorPermit.get(chain.ctx().state, netuid)
    mode = "all 256 uids" if len(permits) == uids and all(permits) else "self-weight"
    uid_of = {h.public: sub.Uids.get(chain.ctx().state, netuid, h.public) for h in hots}
    ark = bls.get_backend("arkworks")
    values = [(i * 257) % 65536 or 1 for i in range(uids)]
    calls = []
    for h in hots:
        u = list(range(uids)) if mode == "all 256 uids" else [uid_of[h.public]]
        v = values if mode == "all 256 uids" else [65535]
        payload = tlock.encode_weights_payload(h.public, u, v, 0)
        ct = tlock.encrypt(bls.QUICKNET_PUBLIC_KEY, ROUND, payload, os.urandom(76), ark)
        calls.append((h, "SubtensorModule", "commit_timelocked_weights", (netuid, ct, ROUND, 4)))
    commit_epoch = epoch(chain.number + 1)
    for i in range(0, uids, 64):
        block(calls[i:i + 64])
    block([], inherents=(chain.pulse_inherent([Pulse(ROUND, RANDOMNESS_1000, SIG_1000)]),))
    assert epoch(chain.number) == commit_epoch
    pending = sub.TimelockedWeightCommits.get(chain.ctx().state, netuid, commit_epoch)
    assert len(pending) == uids, len(pending)
    chain.run_to_block(first_block(commit_epoch + 1) - 1)  # the eve of the reveal epoch
    return chain, netuid, mode


def build_reveal_block(chain: Any, backend: str) -> tuple[float, float, Any]:
    """Build (not apply) the next block on the chain's head state with `backend`; returns
    (block build seconds, seconds in reveal_timelocked_commits, result)."""
    from runtime.block import aura_digest
    from runtime.executive import build_block
    from runtime.support.trie import Trie

    rt = chain.runtime
    rt.drand.bls = bls.get_backend(backend)
    assert rt.subtensor.beacon.bls is rt.drand.bls
    sub = rt.subtensor
    orig = type(sub).reveal_timelocked_commits
    spent = [0.0]

    def timed(ctx: Any, netuids: Any) -> None:
        t = time.perf_counter()
        orig(sub, ctx, netuids)
        spent[0] += time.perf_counter() - t

    sub.reveal_timelocked_commits = timed
    try:
        slot = chain.next_slot()
        t = time.perf_counter()
        result, _ = build_block(
            rt, chain.backend, Trie(chain.nodes, chain.head.state_root), chain.head.hash(), chain.head.number + 1,
            aura_digest(slot), [chain.timestamp_inherent(slot)], [],
        )
        total = time.perf_counter() - t
    finally:
        del sub.reveal_timelocked_commits
    return total, spent[0], result


def bench_block(backends: list[str], block_runs: dict[str, int], uids: int) -> dict[str, Any]:
    t = time.perf_counter()
    chain, netuid, mode = build_chain(uids)
    setup = time.perf_counter() - t
    print(f"chain ready in {setup:.1f} s (head #{chain.number}, {uids} commits pending, weights: {mode})")
    rows = []
    for name in backends:
        totals, reveals = [], []
        for _ in range(block_runs[name]):
            total, reveal, result = build_reveal_block(chain, name)
            names = [e.name for e in result.events]
            revealed = names.count("SubtensorModule.TimelockedWeightsRevealed")
            dropped = names.count("SubtensorModule.TimelockedWeightsDropped")
            assert revealed == uids and dropped == 0, (revealed, dropped)
            totals.append(total)
            reveals.append(reveal)
        st = stats(totals)
        rv = stats(reveals)
        rows.append({
            "backend": name, "commits": uids, "revealed": revealed, "weights": mode,
            "block_median_s": st["median_s"], "block_p95_s": st["p95_s"],
            "reveal_median_s": rv["median_s"], "per_commit_ms": rv["median_s"] / uids * 1000,
            "runs": st["runs"], "target_s": TARGET_S if name == "arkworks" else None,
            "meets_target": (st["median_s"] < TARGET_S) if name == "arkworks" else None,
        })
    return {"setup_s": setup, "netuid": netuid, "block_number": chain.number + 1, "rows": rows}


def print_tables(ops: list[dict[str, Any]], blk: dict[str, Any] | None) -> None:
    from rich.console import Console

    c = Console()
    if ops:
        print_ops(c, ops)
    if blk is None:
        return
    print_block(c, blk)


def print_ops(c: Any, ops: list[dict[str, Any]]) -> None:
    from rich.table import Table

    t = Table(title="Per operation (quicknet round 1000)")
    for col in ("backend", "operation", "median ms", "p95 ms", "runs"):
        t.add_column(col, justify="right")
    for r in ops:
        what = "tlock.decrypt, 256-uid weights payload" if r["op"] == "decrypt" else "verify_beacon"
        t.add_row(r["backend"], what, f"{r['median_s'] * 1000:.2f}", f"{r['p95_s'] * 1000:.2f}", str(r["runs"]))
    c.print(t)


def print_block(c: Any, blk: dict[str, Any]) -> None:
    from rich.table import Table

    t = Table(title=f"Block #{blk['block_number']} revealing {blk['rows'][0]['commits']} timelocked commits "
                    f"(weights: {blk['rows'][0]['weights']})")
    for col in ("backend", "block ms (median)", "block ms (p95)", "of which reveal ms", "per commit ms", "runs",
                f"< {TARGET_S} s"):
        t.add_column(col, justify="right")
    for r in blk["rows"]:
        ok = "-" if r["meets_target"] is None else ("✔" if r["meets_target"] else "✘")
        t.add_row(r["backend"], f"{r['block_median_s'] * 1000:.0f}", f"{r['block_p95_s'] * 1000:.0f}",
                  f"{r['reveal_median_s'] * 1000:.0f}", f"{r['per_commit_ms']:.2f}", str(r["runs"]), ok)
    c.print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="fewer runs; the reveal block with arkworks only unless --backends is given (smoke run)")
    ap.add_argument("--runs", type=int, default=None, help="runs per operation (default 200 arkworks, 20 py-ecc)")
    ap.add_argument("--block-runs", type=int, default=None, help="reveal blocks built per backend (default 5; py-ecc 1)")
    ap.add_argument("--no-block", action="store_true", help="only the per-operation figures")
    ap.add_argument("--backends", default=None, help="comma-separated (default: every installed one)")
    args = ap.parse_args()
    backends = args.backends.split(",") if args.backends else bls.available()
    if args.runs:
        runs = dict.fromkeys(backends, args.runs)
    else:
        runs = {"arkworks": 20 if args.quick else 200, "py-ecc": 3 if args.quick else 20}
    if args.block_runs:
        block_runs = dict.fromkeys(backends, args.block_runs)
    else:
        block_runs = {"arkworks": 1 if args.quick else 5, "py-ecc": 1}
    ops = bench_ops(backends, runs)
    print_tables(ops, None)
    blk = None
    if not args.no_block:
        if "arkworks" not in bls.available():
            sys.exit("the reveal block needs the arkworks backend to encrypt the commits")
        # py-ecc builds the 256-reveal block in minutes: a quick run times it with arkworks only
        block_backends = [b for b in backends if b == "arkworks"] if args.quick and not args.backends else backends
        blk = bench_block(block_backends, block_runs, UIDS)
        print_tables([], blk)
    save("drand-quick" if args.quick else "drand", {"operations": ops, "reveal_block": blk, "quick": args.quick})


if __name__ == "__main__":
    main()
