"""SubtensorModule cost: every call in its worst case against its declared weight, and the epoch block.

Part 1, per call (as Substrate's `benchmark pallet`): for each SubtensorModule call and two AdminUtils
setters, the worst-case state is set up, then only `runtime.dispatch(ctx, origin, call)` is timed,
inside a storage layer rolled back after each repetition (N repetitions: median, p95 and the first,
cold-cache run, in µs). The declared weight is ref time in picoseconds (Substrate's unit; fees charge
weight // 2000 rao), so weight / 1e6 is the µs the call may take; calls whose measured worst case
(p95) exceeds it are flagged. The extrinsic base weight (signature check, nonce, fee: 125 µs) is
charged on top of every call and is not part of these figures.

Worst cases (the state is 127 subnets, the SubnetLimit minus one, `--full-subnets` of them full with
256 uids, 64 permitted validators weighting all 256 uids with full bond rows):
- register_network: 127 subnets to scan for the next netuid; start_call on a fresh subnet;
- dissolve_network: a full subnet with weights, bonds, axons and commits for every uid;
- burned_register / register (PoW): into a full subnet, so pruning scans all 256 uids (Owner lookups)
  and replace_neuron rewrites 10 per-uid vectors and the weight rows of the 64 validators;
- add_stake / remove_stake: a nominator already staking on 256 hotkeys (StakingHotkeys rewritten),
  remove_stake emptying its entry; become_delegate, decrease_take, increase_take;
- set_weights: n = 256 uids, 256 weights, a version key and MaxWeightsLimit < 65535 (all checks run);
- commit_weights: 9 pending commits (one below MaxPendingCommits); batch_commit_weights: one per
  full subnet, each with 9 pending;
- reveal_weights: 256 uids, the matching commit the newest of 10 pending; batch_reveal_weights: all
  10 pending commits of 256 uids each in one call;
- serve_axon (an axon already served); AdminUtils: sudo_set_max_allowed_uids by the subnet owner
  (rate-limit and freeze-window checks, its bound checks) and sudo_set_tempo by root.

Part 2, the epoch block: `--subnets` x `--uids` (32 x 256), each with `--validators` (64) permitted
validators weighting every uid (then 10% of them) with full bond rows, all due at block B (per-subnet
Tempo = B + netuid + 1 makes (B + netuid + 1) % (tempo + 1) == tempo hold for every subnet). Best of
5, each on a fresh overlay: gather (gather_epoch of all subnets), kernel (run_yuma on the batch), write
back (apply_epochs: payouts planned, terms written back, stake paid) and the whole SubtensorModule.on_initialize; the target
is gather + write back <= kernel. When it is missed, one on_initialize is profiled (cProfile).

Building the state: storage is written directly through the pallet's storage items on an Overlay (the
ctx of a LocalChain over the dev preset) rather than by thousands of extrinsics, then frozen into a
read-only backend iterated in key order by bisection, as the node's flat state (LevelDB) is; timing
runs on fresh overlays above it. LocalChain's MemoryBackend would scan every key per prefix
iteration, which the node does not do.

    .venv/bin/python benchmarks/bench_subtensor.py [--quick] [--subnets 32] [--uids 256]
        [--validators 64] [--reps 50] [--json]
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import cProfile
import dataclasses
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from results_io import save  # noqa: E402

from node.local import LocalChain  # noqa: E402
from pallets.subtensor.store import AxonInfo, WeightCommit  # noqa: E402
from pallets.transaction_payment import EXTRINSIC_BASE_WEIGHT, WEIGHT_PER_RAO  # noqa: E402
from runtime.presets import dev  # noqa: E402
from runtime.support.codec import pack_pairs  # noqa: E402
from runtime.support.dispatch import Ctx, Origin  # noqa: E402
from runtime.support.hashing import commit_hash, seal_hash  # noqa: E402
from runtime.support.storage import MemoryBackend, Overlay  # noqa: E402

TAO = 10**9
B = 5000  # the block every measurement runs at
SUBNET_LIMIT_FILL = 127  # subnets in the per-call state (SubnetLimit 128 minus one)
PS_PER_US = 1_000_000  # weight is ref time in picoseconds

err = Console(stderr=True, width=170)


def progress(msg: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {msg}", highlight=False)


class SortedBackend(MemoryBackend):
    """A frozen state iterated in key order by bisection (as LevelDB / the node's flat state)."""

    def __init__(self, items: dict[bytes, bytes]) -> None:
        super().__init__(items)
        self.keys = sorted(self.items)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        keys, items = self.keys, self.items
        for i in range(bisect.bisect_left(keys, prefix), len(keys)):
            k = keys[i]
            if not k.startswith(prefix):
                break
            yield k, items[k]

    def apply(self, changes: dict[bytes, bytes | None]) -> None:
        raise TypeError("frozen")


def acct(tag: str, *ix: Any) -> bytes:
    """A deterministic 32-byte account id (no key pair needed: dispatch takes the origin as given)."""
    return hashlib.blake2b(f"{tag}:{':'.join(map(str, ix))}".encode(), digest_size=32).digest()


# ====================================================================== state building


@dataclasses.dataclass
class Net:
    netuid: int
    owner_cold: bytes
    hotkeys: list[bytes]
    colds: list[bytes]


class Builder:
    """Writes SubtensorModule state straight through its storage items on one overlay."""

    def __init__(self, block: int = B) -> None:
        self.chain = LocalChain(dev())
        self.rt = self.chain.runtime
        self.sub = self.rt.subtensor
        self.ctx = Ctx(Overlay(self.chain.backend), block, self.rt)
        self.s = self.ctx.state

    def fund(self, who: bytes, amount: int) -> None:
        self.rt.balances.deposit(self.ctx, who, amount, event=False)

    def subnet(self, netuid: int, tag: str) -> Net:
        """An empty subnet (dev-preset hyperparameters) with its owner hotkey as uid 0."""
        sub, ctx, s = self.sub, self.ctx, self.s
        cold, hot = acct(tag, netuid, "owner"), acct(tag, netuid, "ownerhot")
        sub.init_new_network(ctx, netuid)
        sub.SubnetOwner.set(s, netuid, cold)
        sub.SubnetOwnerHotkey.set(s, netuid, hot)
        sub.SubnetLocked.set(s, netuid, 100 * TAO)
        sub.TotalLocked.set(s, sub.TotalLocked.get(s) + 100 * TAO)
        sub.TotalIssuance.set(s, sub.TotalIssuance.get(s) + 100 * TAO)
        sub.LastAdjustmentBlock.set(s, netuid, ctx.block_number)
        sub.create_account_if_non_existent(ctx, cold, hot)
        sub.append_neuron(ctx, netuid, hot)
        self.fund(cold, 10_000 * TAO)
        return Net(netuid, cold, [hot], [cold])

    def full_subnet(
        self, netuid: int, uids: int, validators: int, density: float, rng: random.Random,
        validator_keys: list[bytes] | None = None,
    ) -> Net:
        """A subnet of `uids` neurons: the first `validators` (uid 0 the owner's) hold large stakes
        and a validator permit, weight a `density` share of all uids and hold bond rows as long;
        emission started, vectors filled, registrations spread over the past."""
        sub, ctx, s, now = self.sub, self.ctx, self.s, self.ctx.block_number
        net = self.subnet(netuid, "net")
        v = min(validators, uids)
        for uid in range(1, uids):
            if validator_keys is not None and uid < v:
                hot = validator_keys[uid]
                cold = acct("vcold", uid)
            else:
                hot, cold = acct("hot", netuid, uid), acct("cold", netuid, uid)
            sub.create_account_if_non_existent(ctx, cold, hot)
            sub.Keys.set(s, netuid, uid, hot)
            sub.Uids.set(s, netuid, hot, uid)
            sub.IsNetworkMember.set(s, hot, netuid, True)
            net.hotkeys.append(hot)
            net.colds.append(cold)
        for uid, (hot, cold) in enumerate(zip(net.hotkeys, net.colds, strict=True)):
            if uid < v:
                if validator_keys is None or uid == 0 or sub.TotalHotkeyStake.get(s, hot) == 0:
                    sub.increase_stake(ctx, hot, cold, rng.randint(10**12, 10**14))
            else:
                sub.increase_stake(ctx, hot, cold, rng.randint(10**6, 10**9))
        sub.SubnetworkN.set(s, netuid, uids)
        sub.BlockAtRegistration.set(s, netuid, tuple(rng.randint(0, now - 500) for _ in range(uids)))
        sub.LastUpdate.set(s, netuid, tuple(now - rng.randint(1, 300) for _ in range(uids)))
        sub.Active.set(s, netuid, (True,) * uids)
        emission = [rng.randint(1, 10**9) for _ in range(uids)]
        emission[uids - 1] = 0  # the one pruning picks (every weight row names it)
        sub.Emission.set(s, netuid, tuple(emission))
        for item in (sub.Incentive, sub.Consensus, sub.Dividends, sub.ValidatorTrust, sub.StakeWeight):
            item.set(s, netuid, tuple(rng.randint(0, 65535) for _ in range(uids)))
        sub.ValidatorPermit.set(s, netuid, tuple(uid < v for uid in range(uids)))
        sub.MaxAllowedValidators.set(s, netuid, v)
        per_row = max(1, round(uids * density))
        for uid in range(v):
            cols = range(uids) if per_row == uids else sorted(rng.sample(range(uids), per_row))
            if uids - 1 not in cols:
                cols = sorted({*cols, uids - 1})
            sub.Weights.set(s, netuid, uid, pack_pairs((c, rng.randint(1, 65535)) for c in cols))
            sub.Bonds.set(s, netuid, uid, pack_pairs((c, rng.randint(1, 65535)) for c in cols))
        sub.FirstEmissionBlockNumber.set(s, netuid, 1)
        sub.SubtokenEnabled.set(s, netuid, True)
        sub.LiquidAlphaOn.set(s, netuid, True)
        sub.Yuma3On.set(s, netuid, True)
        sub.LastMechansimStepBlock.set(s, netuid, now - 361)
        return net

    def freeze(self) -> SortedBackend:
        items = dict(self.chain.backend.items)
        for k, val in self.s.changes().items():
            if val is None:
                items.pop(k, None)
            else:
                items[k] = val
        backend = SortedBackend(items)
        gc.collect()
        gc.freeze()  # as the node does after start-up: long-lived state is not rescanned by the GC
        return backend


# ====================================================================== part 1: calls


@dataclasses.dataclass
class Case:
    name: str
    pallet: str
    call: str
    origin: Origin
    args: tuple
    setup: Callable[[Ctx], None] | None = None
    note: str = ""


def build_call_state(full_subnets: int, uids: int, validators: int) -> tuple[SortedBackend, Any, list[Net]]:
    b = Builder()
    rng = random.Random(7)
    vkeys = [acct("vhot", i) for i in range(validators)]  # validators registered on every full subnet
    fulls = []
    for netuid in range(1, full_subnets + 1):
        progress(f"part 1: full subnet {netuid}/{full_subnets} ({uids} uids, {validators} validators)")
        fulls.append(b.full_subnet(netuid, uids, validators, 1.0, rng, validator_keys=vkeys))
    for netuid in range(full_subnets + 1, SUBNET_LIMIT_FILL + 1):
        b.subnet(netuid, "small")
    sub, s, ctx = b.sub, b.s, b.ctx
    net = fulls[0]
    # every uid of subnet 1 has an axon and a pending commit (what dissolve_network clears)
    for hot in net.hotkeys:
        sub.Axons.set(s, 1, hot, AxonInfo(B - 100, 1, 0x0A000001, 8091, 4, 0, 0, 0))
        sub.WeightCommits.set(s, 1, hot, (WeightCommit(b"\x11" * 32, 0, B - 100),))
    # a nominator staking on 256 hotkeys (the validators are delegates)
    nom = acct("nominator")
    b.fund(nom, 1_000_000 * TAO)
    for uid, hot in enumerate(net.hotkeys):
        if uid:  # the owner's hotkey stays a non-delegate (become_delegate's case)
            sub.Delegates.set(s, hot, sub.cfg.default_take)
        sub.increase_stake(ctx, hot, nom, 10 * TAO)
    b.fund(acct("newcold"), 1_000_000 * TAO)
    return b.freeze(), b, fulls


def call_cases(b: Builder, fulls: list[Net], uids: int) -> list[Case]:
    sub = b.sub
    net = fulls[0]
    nid = net.netuid
    vhot, vcold = net.hotkeys[1], net.colds[1]  # a permitted validator (not the owner)
    newcold, newhot = acct("newcold"), acct("newhot")
    nom = acct("nominator")
    tempo = sub.cfg.subnet.tempo
    cur = sub.epoch_index(nid, tempo, B)
    all_uids = tuple(range(uids))
    rng = random.Random(3)
    values = tuple(rng.randint(30000, 65535) for _ in all_uids)
    salt = (1, 2, 3, 4, 5, 6, 7, 8)
    vk = 7

    def cr(on: bool) -> Callable[[Ctx], None]:
        def f(ctx: Ctx) -> None:
            for n in fulls:
                sub.CommitRevealWeightsEnabled.set(ctx.state, n.netuid, on)
                if on:  # hash commits (version 2): the dev preset's subnets default to timelocked ones (4)
                    sub.CommitRevealVersion.set(ctx.state, n.netuid, 2)
        return f

    def set_weights_setup(ctx: Ctx) -> None:
        cr(False)(ctx)
        sub.WeightsVersionKey.set(ctx.state, nid, vk)
        sub.MaxWeightsLimit.set(ctx.state, nid, 65534)

    def pending(ctx: Ctx, netuid: int, k: int, epoch: int, hashes: list[bytes] | None = None) -> None:
        hs = hashes or [bytes([i + 1]) * 32 for i in range(k)]
        sub.WeightCommits.set(
            ctx.state, netuid, vhot, tuple(WeightCommit(h, epoch, B - 20 + i) for i, h in enumerate(hs))
        )

    def commit_setup(ctx: Ctx) -> None:
        cr(True)(ctx)
        for n in fulls:
            pending(ctx, n.netuid, 9, cur)

    reveal_values = [tuple((v + 97 * i) % 65535 + 1 for v in values) for i in range(10)]
    reveal_hashes = [commit_hash(vhot, nid, all_uids, reveal_values[i], salt, vk) for i in range(10)]

    def reveal_setup(ctx: Ctx) -> None:
        cr(True)(ctx)
        sub.WeightsVersionKey.set(ctx.state, nid, vk)
        # 9 older pending commits, then the one revealed: all in the epoch whose reveal is now
        pending(ctx, nid, 10, cur - 1, [bytes([0xA0 + i]) * 32 for i in range(9)] + [reveal_hashes[0]])

    def batch_reveal_setup(ctx: Ctx) -> None:
        cr(True)(ctx)
        sub.WeightsVersionKey.set(ctx.state, nid, vk)
        pending(ctx, nid, 10, cur - 1, reveal_hashes)

    def pow_setup(ctx: Ctx) -> None:
        sub.Difficulty.set(ctx.state, nid, 1)  # cost does not depend on it: one hash, one compare

    new_delegate = acct("small", 100, "ownerhot")  # one the nominator has no stake on yet

    def add_stake_setup(ctx: Ctx) -> None:
        sub.Delegates.set(ctx.state, new_delegate, sub.cfg.default_take)

    def take_low(ctx: Ctx) -> None:
        sub.Delegates.set(ctx.state, vhot, 0)

    owner_hot = acct("regnet-hot")
    seal = seal_hash(b"", newhot, 42)  # no BlockHash stored at B in this state: the pallet hashes b""
    return [
        Case("register_network", "SubtensorModule", "register_network", Origin.signed(newcold), (owner_hot,),
             note=f"{SUBNET_LIMIT_FILL} subnets exist"),
        Case("start_call", "SubtensorModule", "start_call", Origin.signed(acct("small", 100, "owner")), (100,)),
        Case("dissolve_network", "SubtensorModule", "dissolve_network", Origin.root(), (net.owner_cold, nid),
             note=f"{uids} uids, weights, bonds, axons, commits"),
        Case("burned_register", "SubtensorModule", "burned_register", Origin.signed(newcold), (nid, newhot),
             note=f"full: prune scan {uids}, rewrite weight rows"),
        Case("register (PoW)", "SubtensorModule", "register", Origin.signed(newhot),
             (nid, B, 42, seal, newhot, newcold), setup=pow_setup, note="full subnet, as burned_register"),
        Case("add_stake", "SubtensorModule", "add_stake", Origin.signed(nom), (new_delegate, 5 * TAO),
             setup=add_stake_setup, note=f"nominator on {uids} hotkeys, a new one"),
        Case("remove_stake", "SubtensorModule", "remove_stake", Origin.signed(nom), (vhot, 10 * TAO),
             note="empties the entry"),
        Case("become_delegate", "SubtensorModule", "become_delegate", Origin.signed(acct("net", nid, "owner")),
             (net.hotkeys[0],)),
        Case("decrease_take", "SubtensorModule", "decrease_take", Origin.signed(vcold), (vhot, 100)),
        Case("increase_take", "SubtensorModule", "increase_take", Origin.signed(vcold), (vhot, 11796),
             setup=take_low),
        Case("set_weights", "SubtensorModule", "set_weights", Origin.signed(vhot), (nid, all_uids, values, vk),
             setup=set_weights_setup, note=f"n={uids}, {uids} weights"),
        Case("commit_weights", "SubtensorModule", "commit_weights", Origin.signed(vhot), (nid, b"\x77" * 32),
             setup=commit_setup, note="9 pending"),
        Case("reveal_weights", "SubtensorModule", "reveal_weights", Origin.signed(vhot),
             (nid, all_uids, reveal_values[0], salt, vk), setup=reveal_setup,
             note=f"9 older pending, {uids} uids"),
        Case("batch_commit_weights", "SubtensorModule", "batch_commit_weights", Origin.signed(vhot),
             (tuple(n.netuid for n in fulls), tuple(bytes([0x50 + i]) * 32 for i in range(len(fulls)))),
             setup=commit_setup, note=f"{len(fulls)} subnets x 9 pending"),
        Case("batch_reveal_weights", "SubtensorModule", "batch_reveal_weights", Origin.signed(vhot),
             (nid, (all_uids,) * 10, tuple(reveal_values), (salt,) * 10, (vk,) * 10), setup=batch_reveal_setup,
             note=f"10 reveals x {uids} uids"),
        Case("serve_axon", "SubtensorModule", "serve_axon", Origin.signed(vhot),
             (nid, 2, 0x0A000002, 8092, 4, 0, 0, 0)),
        Case("sudo_set_max_allowed_uids", "AdminUtils", "sudo_set_max_allowed_uids",
             Origin.signed(net.owner_cold), (nid, uids), note="by the owner"),
        Case("sudo_set_tempo", "AdminUtils", "sudo_set_tempo", Origin.root(), (nid, 20), note="by root"),
    ]


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def bench_calls(backend: SortedBackend, b: Builder, cases: list[Case], reps: int) -> list[dict[str, Any]]:
    rt = b.rt
    out = []
    for case in cases:
        ctx = Ctx(Overlay(backend), B, rt)
        if case.setup is not None:
            case.setup(ctx)
        call = rt.call(case.pallet, case.call, *case.args)
        cdef = rt.by_index[call.pallet].CALLS[call.index]
        weight = cdef.compute_weight(call.args)
        times = []
        for _ in range(reps):
            ctx.state.start()
            t0 = time.perf_counter()
            e = rt.dispatch(ctx, case.origin, call)
            dt = time.perf_counter() - t0
            ctx.state.rollback()
            del ctx.events[:]
            if e is not None:
                raise SystemExit(f"{case.name}: the worst case failed to dispatch: {e}")
            times.append(dt * 1e6)
        first = times[0]
        med, p95 = statistics.median(times), pct(times, 0.95)
        declared = weight / PS_PER_US
        row = {
            "call": case.name, "pallet": case.pallet, "note": case.note, "reps": reps,
            "median_us": med, "p95_us": p95, "first_us": first,
            "declared_weight": weight, "declared_us": declared, "ratio_median": med / declared,
            "ratio_p95": p95 / declared, "over": med > declared, "p95_over": p95 > declared,
        }
        out.append(row)
        progress(f"  {case.name:<28} median {med:9.1f} µs  p95 {p95:9.1f} µs  declared {declared:7.1f} µs"
                 f"  x{med / declared:.2f}" + ("  OVER" if row["over"] else "  (p95 over)" if row["p95_over"] else ""))
    return out


# ====================================================================== part 2: epoch block


def build_epoch_state(subnets: int, uids: int, validators: int, density: float) -> tuple[SortedBackend, Builder]:
    b = Builder()
    rng = random.Random(11)
    s = b.s
    for netuid in range(1, subnets + 1):
        if netuid == 1 or netuid % 8 == 0 or netuid == subnets:
            progress(f"part 2 ({int(density * 100)}%): subnet {netuid}/{subnets}")
        b.full_subnet(netuid, uids, validators, density, rng)
        b.sub.Tempo.set(s, netuid, B + netuid + 1)  # (B + netuid + 1) % (tempo + 1) == tempo
        tempo_blocks = 360
        share = tempo_blocks * TAO // subnets
        b.sub.PendingServerEmission.set(s, netuid, share * 41 // 100)
        b.sub.PendingValidatorEmission.set(s, netuid, share * 41 // 100)
        b.sub.PendingOwnerCut.set(s, netuid, share * 18 // 100)
    return b.freeze(), b


def bench_epoch(backend: SortedBackend, b: Builder, repeat: int) -> dict[str, Any]:
    sub, rt = b.sub, b.rt

    def fresh() -> Ctx:
        return Ctx(Overlay(backend), B, rt)

    netuids = sub.netuids(fresh())
    due = sub.due_epochs(fresh(), netuids)
    assert due == netuids, f"not all subnets due at {B}: {due}"
    best = {"gather": 1e9, "kernel": 1e9, "write_back": 1e9, "terms": 1e9, "payouts": 1e9, "on_initialize": 1e9}
    for r in range(repeat):
        ctx = fresh()
        t0 = time.perf_counter()
        gathered = [sub.gather_epoch_keys(ctx, n) for n in due]
        batch = [g[0] for g in gathered]
        t1 = time.perf_counter()
        outs = sub.run_yuma(batch)
        t2 = time.perf_counter()
        incs, events = sub.plan_all_payouts(ctx, due, outs, [g[1] for g in gathered])
        tp = time.perf_counter()
        sub.write_back_all(ctx, due, batch, outs)
        tw = time.perf_counter()
        sub.increase_stakes(ctx, incs)
        t3 = time.perf_counter()  # apply_epochs = the three steps above (and the events)
        ctx = fresh()
        sub.on_initialize(ctx)
        t4 = time.perf_counter()
        assert sum(1 for e in ctx.events if e.name.endswith("EpochRun")) == len(due), "epochs did not run"
        for k, v in (("gather", t1 - t0), ("kernel", t2 - t1), ("write_back", t3 - t2), ("terms", tw - tp),
                     ("payouts", (tp - t2) + (t3 - tw)), ("on_initialize", t4 - t3)):
            best[k] = min(best[k], v)
        progress(f"  run {r + 1}/{repeat}: gather {1e3 * (t1 - t0):.0f} ms, kernel {1e3 * (t2 - t1):.0f} ms, "
                 f"write back {1e3 * (t3 - t2):.0f} ms, on_initialize {1e3 * (t4 - t3):.0f} ms")
    entries = int(sum(len(x.weights) for x in batch))
    return {
        "subnets": len(due), "due_block": B, "weight_entries": entries,
        "bond_entries": int(sum(len(x.bonds) for x in batch)),
        **{f"{k}_s": v for k, v in best.items()},
        "ratio": (best["gather"] + best["write_back"]) / best["kernel"],
        "ratio_terms": (best["gather"] + best["terms"]) / best["kernel"],
        "payout_pairs": len(incs),
    }


def profile_epoch(backend: SortedBackend, b: Builder, top: int = 18) -> tuple[str, list[dict[str, Any]]]:
    ctx = Ctx(Overlay(backend), B, b.rt)
    prof = cProfile.Profile()
    prof.enable()
    b.sub.on_initialize(ctx)
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("tottime").print_stats(top)
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _ct2) in sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:top]:
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "calls": nc, "tottime_s": tt, "cumtime_s": ct})
    return buf.getvalue(), rows


# ====================================================================== main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and few repetitions (smoke run, < 30 s)")
    ap.add_argument("--subnets", type=int, default=32, help="subnets in the epoch block (default 32)")
    ap.add_argument("--uids", type=int, default=256, help="uids per subnet (default 256, MaxAllowedUids)")
    ap.add_argument("--validators", type=int, default=64, help="permitted validators per subnet (default 64)")
    ap.add_argument("--full-subnets", type=int, default=4, help="full subnets in the per-call state (default 4)")
    ap.add_argument("--reps", type=int, default=50, help="repetitions per call (default 50)")
    ap.add_argument("--repeat", type=int, default=5, help="epoch block: best of (default 5)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout (tables on stderr)")
    args = ap.parse_args()
    if args.quick:
        args.subnets, args.full_subnets, args.reps, args.repeat = min(args.subnets, 4), 2, 5, 2
    out = err if args.json else Console(width=170)
    t_start = time.perf_counter()

    # ---------------------------------------------------------------- part 1
    progress("part 1: building the per-call state")
    backend, b, fulls = build_call_state(args.full_subnets, args.uids, args.validators)
    progress(f"part 1: state of {len(backend.items):,} keys; timing {args.reps} dispatches per call")
    calls = bench_calls(backend, b, call_cases(b, fulls, args.uids), args.reps)
    del backend, b

    # ---------------------------------------------------------------- part 2
    epochs = []
    profile_text, profile_rows = "", []
    for density in (1.0, 0.1):
        progress(f"part 2: building {args.subnets} x {args.uids}, {args.validators} validators, "
                 f"density {int(density * 100)}%")
        backend, b = build_epoch_state(args.subnets, args.uids, args.validators, density)
        progress(f"part 2: state of {len(backend.items):,} keys; best of {args.repeat}")
        row = {"density": density, "uids": args.uids, "validators": args.validators, **bench_epoch(backend, b, args.repeat)}
        epochs.append(row)
        if density == 1.0 and row["ratio"] > 1.0:
            progress("part 2: gather + write back exceed the kernel: profiling one on_initialize")
            profile_text, profile_rows = profile_epoch(backend, b)
        del backend, b

    # ---------------------------------------------------------------- report
    t1 = Table(title=f"Per-call worst case: dispatch only, {args.reps} reps (declared weight: ref time ps; /1e6 = µs)")
    for col in ("call", "worst case", "median µs", "p95 µs", "first µs", "declared µs", "median/declared",
                "p95/declared", ""):
        t1.add_column(col, justify="left" if col in ("call", "worst case", "") else "right")
    for r in calls:
        t1.add_row(
            r["call"], r["note"], f"{r['median_us']:,.1f}", f"{r['p95_us']:,.1f}", f"{r['first_us']:,.1f}",
            f"{r['declared_us']:,.1f}", f"{r['ratio_median']:.2f}", f"{r['ratio_p95']:.2f}",
            "[bold red]OVER[/bold red]" if r["over"] else "p95 over" if r["p95_over"] else "ok",
        )
    t2 = Table(title=f"Epoch block: all subnets due at block {B}, best of {args.repeat} (numpy kernel)")
    for col in ("subnets x uids", "density", "weights", "gather", "kernel", "write back", "of it: terms",
                "of it: stake payouts", "on_initialize", "(gather+wb)/kernel", "(gather+terms)/kernel",
                "target <= 1"):
        t2.add_column(col, justify="right")
    for r in epochs:
        t2.add_row(
            f"{r['subnets']}x{r['uids']} ({r['validators']} val)", f"{int(r['density'] * 100)}%",
            f"{r['weight_entries']:,}", f"{r['gather_s'] * 1e3:.0f} ms", f"{r['kernel_s'] * 1e3:.0f} ms",
            f"{r['write_back_s'] * 1e3:.0f} ms", f"{r['terms_s'] * 1e3:.0f} ms",
            f"{r['payouts_s'] * 1e3:.0f} ms ({r['payout_pairs']:,} stake entries)",
            f"{r['on_initialize_s'] * 1e3:.0f} ms", f"{r['ratio']:.2f}", f"{r['ratio_terms']:.2f}",
            "met" if r["ratio"] <= 1 else "[bold red]missed[/bold red]",
        )
    machine = (f"{platform.node()} {platform.machine()}, {os.cpu_count()} cpus, "
               f"Python {platform.python_version()}, NumPy {np.__version__}")
    out.print(f"\nmachine: {machine}")
    out.print(f"extrinsic base weight {EXTRINSIC_BASE_WEIGHT / PS_PER_US:.0f} µs on top of every call; "
              f"fee = weight // {WEIGHT_PER_RAO} rao")
    out.print(t1)
    over = [r["call"] for r in calls if r["over"]]
    p95_only = [r["call"] for r in calls if r["p95_over"] and not r["over"]]
    out.print(f"over their declared weight (median): {', '.join(over) if over else 'none'}"
              + (f"; p95 only: {', '.join(p95_only)}" if p95_only else ""))
    out.print(t2)
    if profile_text:
        out.print("\ncProfile of one on_initialize (densest configuration), by own time:")
        out.print(profile_text, markup=False, highlight=False)
    payload = {
        "args": vars(args), "block": B, "calls": calls, "epochs": epochs, "profile_top": profile_rows,
        "over_declared": over, "elapsed_s": time.perf_counter() - t_start,
    }
    if args.json:
        print(json.dumps(payload, indent=1, default=str))
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        save("subtensor-quick" if args.quick else "subtensor", payload)
    progress(f"done in {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
