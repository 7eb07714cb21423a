"""Build benchmarks/REPORT.md and its PNG plots (benchmarks/report/) from the combined JSON that
`taochain bench all` writes (benchmarks/results/<date>-<host>[-quick].json).

    .venv/bin/taochain bench report [COMBINED.json]          (default: the newest combined file)
    .venv/bin/python benchmarks/report.py [COMBINED.json] [--report PATH]

Every section states the machine (CPU model, cores, RAM, OS), the library versions, the backend and
the date; the top of the report is a table of headline ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"

# targets the headline compares against (issues #3, #6, #7 and the RPC seed benchmark)
SYNC_TARGET_BPS = 500
PROPAGATION_TARGET_MS = 100
FINALITY_TARGET_BLOCKS = 2
REVEAL_TARGET_S = 1.5
RPC_TARGET_QPS = 3000

LABELS = {"python": "Python", "numpy": "NumPy", "pynacl": "PyNaCl", "msgpack": "msgpack", "aiohttp": "aiohttp", "plyvel": "plyvel",
          "py-arkworks-bls12381": "py-arkworks-bls12381", "py-ecc": "py-ecc", "pycryptodome": "PyCryptodome",
          "xxhash": "xxhash", "cupy": "CuPy", "cupy-cuda12x": "CuPy", "cupy-cuda13x": "CuPy"}


# ------------------------------------------------------------------------------------------ helpers


def get(d: Any, *path: Any, default: Any = None) -> Any:
    for p in path:
        if isinstance(d, dict) and p in d:
            d = d[p]
        elif isinstance(d, list) and isinstance(p, int) and -len(d) <= p < len(d):
            d = d[p]
        else:
            return default
    return default if d is None else d


def num(x: Any, fmt: str = ",.0f", unit: str = "") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:{fmt}}{unit}"


def ms(seconds: Any, fmt: str = ",.1f") -> str:
    return "–" if seconds is None else num(seconds * 1e3, fmt, " ms")


def pct(a: Any, b: Any) -> str:
    """a as a share of b: a percentage, or a multiple from 10× up."""
    if a is None or not b:
        return "–"
    return f"{a / b:.0%}" if a / b < 10 else f"{a / b:,.1f}×"


def table(head: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(head) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


class Ctx:
    """The combined run: its machine, versions, date; where the plots go."""

    def __init__(self, combined: dict[str, Any], fig_dir: Path, rel: str) -> None:
        self.c = combined
        self.fig_dir, self.rel = fig_dir, rel
        self.m = combined.get("machine") or {}
        self.quick = bool(combined.get("quick"))
        self.date = str(combined.get("date", ""))[:10] or "unknown date"
        self.figures: list[Path] = []

    def result(self, name: str) -> dict[str, Any] | None:
        rec = get(self.c, "benchmarks", name)
        return rec.get("result") if isinstance(rec, dict) and rec.get("status") == "ok" else None

    def machine_line(self) -> str:
        m = self.m
        ram = f"{m['ram_gib']:g} GiB RAM" if m.get("ram_gib") else "RAM unknown"
        return f"{m.get('cpu_model') or m.get('processor') or 'CPU unknown'}, {m.get('cpus', '?')} cores, {ram}, " \
               f"{m.get('os') or m.get('platform') or 'OS unknown'}"

    def versions_line(self, *dists: str) -> str:
        v = self.m.get("versions") or {}
        parts = [f"Python {v.get('python') or self.m.get('python') or '?'}"]
        for d in dists:
            if v.get(d):
                parts.append(f"{LABELS.get(d, d)} {v[d]}")
        return ", ".join(parts)

    def env(self, backend: str, *dists: str) -> str:
        """The line under every table and figure: machine; versions; backend; date; quick or not."""
        return (f"{self.machine_line()}; {self.versions_line(*dists)}; backend: {backend}; {self.date}"
                + ("; QUICK RUN (small sizes, few repetitions)" if self.quick else ""))

    def caption(self, backend: str, *dists: str) -> str:
        return f"<sub>Machine: {self.env(backend, *dists)}</sub>"

    def figure(self, name: str, title: str, draw: Callable[[Any], None], backend: str, *dists: str,
               size: tuple[float, float] = (10, 4.8)) -> str:
        """Draw a PNG with matplotlib (Agg), its machine line at the bottom; the markdown image."""
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, dpi=110)
        draw(fig)
        fig.suptitle(title + ("  [QUICK RUN]" if self.quick else ""), fontsize=12)
        fig.text(0.01, 0.01, self.env(backend, *dists), fontsize=6.5, color="#444", wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
        self.fig_dir.mkdir(parents=True, exist_ok=True)
        path = self.fig_dir / f"{name}.png"
        fig.savefig(path)
        plt.close(fig)
        self.figures.append(path)
        return f"![{title}]({self.rel}/{name}.png)"


# ------------------------------------------------------------------------------------------ headline


def headline(cx: Ctx) -> list[list[str]]:
    """Rows: measure, value, compared with, ratio, target."""
    rows: list[list[str]] = []
    imp = cx.result("import")
    if imp:
        bare = imp.get("bare_verify_per_s")
        runs = imp.get("runs") or []
        biggest = max((r.get("accounts", 0) for r in runs), default=0)
        for r in runs:
            if r.get("accounts") != biggest or r.get("scheme", "ed25519") != "ed25519":
                continue
            mode = "signatures in a worker process" if r.get("parallel_signature_check") else "signatures inline"
            rows.append([f"Block execution, {mode} ({biggest:,} accounts)", num(r.get("transfers_per_s"), unit=" transfers/s"),
                         f"bare ed25519 verify, one core: {num(bare, unit='/s')}", pct(r.get("transfers_per_s"), bare), ""])
    rpc = cx.result("rpc")
    if rpc:
        e2e, inproc = get(rpc, "end_to_end", "stps"), rpc.get("in_process_transfers_per_s")
        rows.append([f"End-to-end sTPS over RPC ({num(get(rpc, 'end_to_end', 'transfers'))} transfers, 1 s blocks)",
                     num(e2e, unit=" transfers/s"),
                     f"in-process execution: {num(inproc, unit='/s')}", pct(e2e, inproc), ""])
        for q in rpc.get("queries") or []:
            if q.get("method") == "system_account":
                best = max(q.get("http_per_s") or 0, q.get("ws_per_s") or 0)
                rows.append(["RPC `system_account` queries (best of HTTP, WS)", num(best, unit=" req/s"),
                             f"target {RPC_TARGET_QPS:,} req/s", pct(best, RPC_TARGET_QPS),
                             "met" if best >= RPC_TARGET_QPS else "missed"])
    yuma = cx.result("yuma")
    if yuma:
        res = yuma.get("results") or []
        refs = [r for r in res if r.get("reference_per_subnet_s") and r.get("kernel_numpy_s")]
        refs.sort(key=lambda r: -r.get("density", 0))  # the dense one when measured
        if refs:
            r = refs[0]
            per_subnet = r["kernel_numpy_s"] / r["subnets"]
            rows.append([f"Yuma epoch: batched kernel (NumPy) vs scalar reference, per subnet "
                         f"({r['subnets']}×{r['uids']}, {r['density']:.0%} weights)", ms(per_subnet, ",.2f"),
                         f"reference: {ms(r['reference_per_subnet_s'])}",
                         f"{r['reference_per_subnet_s'] / per_subnet:,.0f}× faster", ""])
        big = [r for r in res if r.get("kernel_numpy_s") and r.get("float64_s")]
        if big:
            r = max(big, key=lambda r: (r["subnets"] * r["uids"], r.get("density", 0)))
            rows.append([f"Yuma epoch: exact integer kernel vs float64 NumPy ({r['subnets']}×{r['uids']}, "
                         f"{r['density']:.0%})", ms(r["kernel_numpy_s"]), f"float64: {ms(r['float64_s'])}",
                         f"{r['kernel_numpy_s'] / r['float64_s']:.1f}× the float64 time", ""])
            if r.get("kernel_cupy_s"):
                rows.append([f"Yuma epoch: CuPy vs NumPy kernel ({r['subnets']}×{r['uids']})", ms(r["kernel_cupy_s"]),
                             f"NumPy: {ms(r['kernel_numpy_s'])}", f"{r['kernel_numpy_s'] / r['kernel_cupy_s']:.1f}× faster", ""])
    sub = cx.result("subtensor")
    if sub:
        for e in sub.get("epochs") or []:
            if e.get("density") == 1.0:
                rows.append([f"Epoch block ({e.get('subnets')}×{e.get('uids')}, dense): gather + write back vs kernel",
                             ms((e.get("gather_s") or 0) + (e.get("write_back_s") or 0), ",.0f"),
                             f"kernel: {ms(e.get('kernel_s'), ',.0f')}", num(e.get("ratio"), ".2f", "×"),
                             "met (≤ 1×)" if (e.get("ratio") or 9) <= 1 else "missed (target ≤ 1×)"])
        calls = sub.get("calls") or []
        if calls:
            over = sum(1 for c in calls if c.get("over"))
            rows.append(["SubtensorModule calls over their declared weight (median, worst case)", f"{over} of {len(calls)}",
                         "declared weight", "", "met" if over == 0 else "missed"])
    net = cx.result("network")
    if net:
        p95 = get(net, "propagation_ms", "p95")
        if p95 is not None:
            rows.append(["Block propagation p95 (4 nodes, loopback)", num(p95, ".1f", " ms"),
                         f"target {PROPAGATION_TARGET_MS} ms", pct(p95, PROPAGATION_TARGET_MS),
                         "met" if p95 <= PROPAGATION_TARGET_MS else "missed"])
        lag = get(net, "finality_lag_blocks", "mean")
        if lag is not None:
            rows.append(["Finality lag, mean (1 s blocks)", num(lag, ".2f", " blocks"),
                         f"target {FINALITY_TARGET_BLOCKS} blocks", pct(lag, FINALITY_TARGET_BLOCKS),
                         "met" if lag <= FINALITY_TARGET_BLOCKS else "missed"])
        bps = get(net, "sync", "blocks_per_s")
        if bps is not None:
            rows.append([f"Sync of a fresh node ({get(net, 'sync', 'synced', default='?')} blocks of transfers)",
                         num(bps, unit=" blocks/s"), f"target {SYNC_TARGET_BPS} blocks/s", pct(bps, SYNC_TARGET_BPS),
                         "met" if bps >= SYNC_TARGET_BPS else "missed"])
    dr = cx.result("drand")
    if dr:
        for r in get(dr, "reveal_block", "rows", default=[]):
            if r.get("backend") == "arkworks":
                t = r.get("block_median_s")
                rows.append([f"Block revealing {r.get('commits')} timelocked commits (arkworks)", num(t, ".2f", " s"),
                             f"target {REVEAL_TARGET_S} s", pct(t, REVEAL_TARGET_S),
                             "met" if t is not None and t < REVEAL_TARGET_S else "missed"])
    return rows


# ------------------------------------------------------------------------------------------ sections


def sec_yuma(cx: Ctx) -> str:
    y = cx.result("yuma")
    if not y:
        return ""
    meta, res = y.get("meta") or {}, y.get("results") or []
    backends = meta.get("backends") or ["numpy"]
    be = ", ".join(backends) + (f" (GPU: {meta['gpu']})" if meta.get("gpu") else "")
    dists = ["numpy", "cupy-cuda13x", "cupy-cuda12x", "cupy"]
    shapes = sorted({(r["subnets"], r["uids"]) for r in res}, key=lambda s: (s[0] * s[1], s[1]))
    labels = [f"{s}×{u}" for s, u in shapes]

    def line(ax: Any, by: dict, key: str, label: str, style: str, scale_subnets: bool = False) -> None:
        pts = [(x, by[s][key] * (s[0] if scale_subnets else 1) * 1e3) for x, s in enumerate(shapes)
               if s in by and by[s].get(key)]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)

    def draw(fig: Any) -> None:
        for k, dens in enumerate((1.0, 0.1)):
            ax = fig.add_subplot(1, 2, k + 1)
            by = {(r["subnets"], r["uids"]): r for r in res if r.get("density") == dens}
            for b in backends:
                line(ax, by, f"kernel_{b}_s", f"exact kernel, {b}", "o-")
            line(ax, by, "float64_s", "float64 NumPy (not consensus-safe)", "s--")
            line(ax, by, "reference_per_subnet_s", "scalar reference (× subnets)", "^:", scale_subnets=True)
            ax.set_yscale("log")
            ax.set_xticks(range(len(shapes)), labels)
            ax.set_xlabel("subnets × UIDs per subnet (64 validators each)")
            ax.set_ylabel("epoch wall time (ms, log)")
            ax.set_title(f"weights density {dens:.0%}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)

    img = cx.figure("yuma_epoch", "Yuma epoch time vs batch size, per backend", draw, be, *dists, size=(11, 4.8))
    names = [f"kernel_{b}_s" for b in backends]
    rows = []
    for r in sorted(res, key=lambda r: (r["subnets"] * r["uids"], r["uids"], -r.get("density", 0))):
        ref = r.get("reference_per_subnet_s")
        ker = r.get(names[0]) if names else None
        rows.append([f"{r['subnets']}×{r['uids']}", f"{r.get('density', 0):.0%}", *[ms(r.get(n), ",.2f") for n in names],
                     ms(r.get("float64_s"), ",.2f"),
                     f"{ker / r['float64_s']:.1f}×" if ker and r.get("float64_s") else "–",
                     ms(ref, ",.1f") if ref else "–",
                     f"{ref / (ker / r['subnets']):,.0f}×" if ref and ker else "–",
                     ms(r.get("pack_s"), ",.1f")])
    head = ["subnets × UIDs", "density", *[f"kernel {b}" for b in backends], "float64", "kernel / float64",
            "reference per subnet", "kernel speed-up vs reference", "pack (Python)"]
    return "\n\n".join([
        "## Yuma epoch: time vs batch size, per backend",
        f"{meta.get('config', '')}. The exact integer kernel (`compute_epochs_packed`, what consensus runs) per "
        "backend, the same dense math in float64 NumPy (the speed-of-light line, not consensus-safe), and the "
        "plain-int scalar reference (`runtime/yuma/reference.py`, measured on small shapes only, one subnet; "
        "plotted × subnets).",
        img, table(head, rows, "ll" + "r" * (len(head) - 2)), cx.caption(be, *dists)])


def sec_stps(cx: Ctx) -> str:
    imp, rpc = cx.result("import"), cx.result("rpc")
    if not imp and not rpc:
        return ""
    bare = imp.get("bare_verify_per_s") if imp else None
    bars: list[tuple[str, float, str]] = []
    if bare:
        bars.append(("bare ed25519 verify (PyNaCl, 1 core)", bare, "#888"))
    for r in (imp or {}).get("runs") or []:
        if r.get("scheme", "ed25519") != "ed25519":
            continue  # compared with the bare ed25519 rate beside it
        mode = "sig. worker" if r.get("parallel_signature_check") else "inline sig."
        bars.append((f"block execution, {r.get('accounts', 0):,} accts, {mode}", r.get("transfers_per_s") or 0, "#1f77b4"))
    if rpc:
        if rpc.get("in_process_transfers_per_s"):
            bars.append(("in-process, same state as RPC run", rpc["in_process_transfers_per_s"], "#1f77b4"))
        if get(rpc, "end_to_end", "stps"):
            bars.append(("end-to-end sTPS over RPC (1 s blocks)", rpc["end_to_end"]["stps"], "#d62728"))

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(len(bars)))[::-1]
        ax.barh(ys, [b[1] for b in bars], color=[b[2] for b in bars])
        ax.set_yticks(ys, [b[0] for b in bars], fontsize=8)
        ax.set_xlabel("transfers (or signature checks) per second")
        if bare:
            ax.axvline(bare, color="#888", ls="--", lw=1)
        for y, b in zip(ys, bars, strict=True):
            ax.text(b[1], y, f" {b[1]:,.0f}" + (f" ({b[1] / bare:.0%})" if bare else ""), va="center", fontsize=8)
        ax.set_xlim(0, max(b[1] for b in bars) * 1.3)
        ax.grid(True, axis="x", alpha=0.3)

    parts = ["## Throughput: sTPS vs the ed25519 ceiling"]
    if bars:
        parts.append(cx.figure("stps", "Transfers per second vs bare ed25519 verification (one core)", draw,
                               "CPU (PyNaCl/libsodium)", "pynacl", "plyvel", size=(10, 1.6 + 0.45 * len(bars))))
    if imp:
        rows = []
        for r in imp.get("runs") or []:
            s = r.get("split_s") or {}
            tot = sum(s.values()) or 1
            rows.append([f"{r.get('accounts', 0):,}", "worker process" if r.get("parallel_signature_check") else "inline",
                         f"{r.get('blocks')} × {r.get('block_size')}", num(r.get("transfers_per_s")), pct(r.get("transfers_per_s"), bare),
                         "(worker)" if r.get("parallel_signature_check") else f"{s.get('signatures', 0) / tot:.0%}",
                         f"{s.get('trie_root', 0) / tot:.0%}", num(r.get("root_ms_per_block"), ",.0f", " ms"),
                         num(r.get("root_us_per_changed_key"), ".1f", " µs")])
        parts += [f"Block execution (`bench_import`): blocks of signed `transfer_keep_alive` from distinct senders; bare "
                  f"ed25519 verification in the same process: **{num(bare)}/s** on one core.",
                  table(["accounts", "signature checks", "blocks × transfers", "transfers/s", "vs bare verify",
                         "signatures", "trie root", "root per block", "root per changed key"], rows, "llr" + "r" * 6),
                  cx.caption("CPU", "pynacl")]
    if rpc:
        e = rpc.get("end_to_end") or {}
        parts += ["End-to-end (`bench_rpc`): pre-signed transfers submitted over JSON-RPC (batches of 100) to a dev node "
                  "with 1 s blocks, from the first submit to the block including the last.",
                  table(["transfers", "seconds", "blocks", "end-to-end sTPS", "in-process transfers/s", "ratio"],
                        [[num(e.get("transfers")), num(e.get("seconds"), ".2f"), num(e.get("blocks")), num(e.get("stps")),
                          num(rpc.get("in_process_transfers_per_s")), pct(e.get("stps"), rpc.get("in_process_transfers_per_s"))]]),
                  cx.caption("CPU, node and client on the same machine", "pynacl", "aiohttp", "plyvel")]
    return "\n\n".join(parts)


def sec_network(cx: Ctx) -> str:
    n = cx.result("network")
    if not n:
        return ""
    p, f, g, s = n.get("propagation_ms") or {}, n.get("finality_lag_blocks") or {}, n.get("tx_gossip") or {}, n.get("sync") or {}

    def draw(fig: Any) -> None:
        panels = [("propagation (ms)", [("p50", p.get("p50")), ("p95", p.get("p95")), ("max", p.get("max"))],
                   PROPAGATION_TARGET_MS, "target p95"),
                  ("finality lag (blocks)", [("mean", f.get("mean")), ("max", f.get("max"))], FINALITY_TARGET_BLOCKS, "target"),
                  ("sync (blocks/s)", [("fresh node", s.get("blocks_per_s"))], SYNC_TARGET_BPS, "target")]
        for k, (title, vals, target, tl) in enumerate(panels):
            ax = fig.add_subplot(1, 3, k + 1)
            vals = [(lbl, v) for lbl, v in vals if v is not None]
            if vals:
                ax.bar([v[0] for v in vals], [v[1] for v in vals], color="#1f77b4")
                for i, (_lbl, v) in enumerate(vals):
                    ax.text(i, v, f"{v:,.1f}", ha="center", va="bottom", fontsize=8)
            else:
                ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
            ax.axhline(target, color="#d62728", ls="--", lw=1, label=f"{tl} {target}")
            ax.set_ylim(0, max([target, *(v[1] for v in vals)]) * 1.18)
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7)
            ax.grid(True, axis="y", alpha=0.3)

    img = cx.figure("network", "Loopback testnet: propagation, finality, sync", draw,
                    "CPU, 4 node processes on one machine", "aiohttp", "plyvel", "pynacl", size=(11, 4.2))
    args = n.get("args") or {}
    rows = []
    if p:
        rows.append(["block propagation p50 / p95 / max",
                     f"{num(p.get('p50'), '.1f')} / {num(p.get('p95'), '.1f')} / {num(p.get('max'), '.1f')} ms "
                     f"({p.get('samples', 0)} deliveries)", f"p95 ≤ {PROPAGATION_TARGET_MS} ms"])
    if f:
        rows.append(["finality lag mean / max", f"{num(f.get('mean'), '.2f')} / {num(f.get('max'))} blocks",
                     f"≤ {FINALITY_TARGET_BLOCKS} blocks"])
    if g:
        rows.append(["transactions gossiped to every node",
                     f"{num(g.get('tx_per_s'))} tx/s ({g.get('transfers')} in {num(g.get('seen_by_every_node_s'), '.2f')} s)", ""])
    if s:
        rows.append(["sync of a fresh node", f"{num(s.get('blocks_per_s'))} blocks/s ({s.get('synced')} blocks of "
                     f"{s.get('transfers_per_block')} transfers)" if "blocks_per_s" in s else s.get("error", "–"),
                     f"≥ {SYNC_TARGET_BPS} blocks/s"])
    return "\n\n".join([
        "## Network: propagation, finality and sync on a local testnet",
        f"4 authorities, 1 s blocks, loopback, followed {num(args.get('seconds'))} s; transaction gossip of "
        f"{num(args.get('transfers'))} transfers; a fresh node syncing {num(args.get('blocks'))} blocks. Every node "
        "shares the same cores.", img, table(["measure", "value", "target"], rows, "lrr"),
        cx.caption("CPU, 4 node processes on one machine", "aiohttp", "plyvel", "pynacl")])


def sec_subtensor(cx: Ctx) -> str:
    s = cx.result("subtensor")
    if not s:
        return ""
    calls = [[f"`{c.get('call')}`", c.get("note", ""), num(c.get("median_us"), ",.1f"), num(c.get("p95_us"), ",.1f"),
              num(c.get("declared_us"), ",.1f"), num(c.get("ratio_median"), ".2f"),
              "**OVER**" if c.get("over") else "p95 over" if c.get("p95_over") else "ok"] for c in s.get("calls") or []]
    epochs = [[f"{e.get('subnets')}×{e.get('uids')} ({e.get('validators')} val.)", f"{e.get('density', 0):.0%}",
               num(e.get("weight_entries")), ms(e.get("gather_s"), ",.0f"), ms(e.get("kernel_s"), ",.0f"),
               ms(e.get("write_back_s"), ",.0f"), ms(e.get("on_initialize_s"), ",.0f"), num(e.get("ratio"), ".2f"),
               "met" if (e.get("ratio") or 9) <= 1 else "missed"] for e in s.get("epochs") or []]
    a = s.get("args") or {}
    return "\n\n".join([
        "## SubtensorModule: per-call worst case and the epoch block",
        f"Dispatch only, {a.get('reps', '?')} repetitions per call, on the worst-case state (127 subnets, "
        f"{a.get('full_subnets', '?')} of them full with {a.get('uids', '?')} UIDs); declared weight in µs of ref time.",
        table(["call", "worst case", "median µs", "p95 µs", "declared µs", "median / declared", ""], calls, "llrrrrl"),
        f"The epoch block: every subnet due in one block, best of {a.get('repeat', '?')} (target: gather + write back ≤ kernel).",
        table(["subnets × UIDs", "density", "weights", "gather", "kernel", "write back", "on_initialize",
               "(gather + wb) / kernel", "target"], epochs, "lr" + "r" * 7),
        cx.caption("numpy (Yuma kernel), CPU", "numpy", "msgpack")])


def sec_rpc(cx: Ctx) -> str:
    rpc, srv = cx.result("rpc"), cx.result("rpc_server")
    if not rpc and not srv:
        return ""
    parts = ["## RPC requests per second"]
    if rpc:
        parts += [f"Against a dev node in its own process ({rpc.get('clients', '?')} concurrent clients; the client "
                  f"shares the cores with the node). Target ≥ {RPC_TARGET_QPS:,} queries/s.",
                  table(["method", "HTTP req/s", "WS req/s"],
                        [[f"`{q.get('method')}`", num(q.get("http_per_s")), num(q.get("ws_per_s"))] for q in rpc.get("queries") or []]),
                  cx.caption("CPU (aiohttp server)", "aiohttp")]
    if srv:
        parts += ["The JSON-RPC server framework alone (`node/rpc.py`, a trivial method `echo_add`).",
                  table(["transport", "load", "requests/s"],
                        [[r.get("transport"), r.get("load"), num(r.get("requests_per_s"))] for r in srv.get("rows") or []], "llr"),
                  cx.caption("CPU (aiohttp server)", "aiohttp")]
    return "\n\n".join(parts)


def sec_drand(cx: Ctx) -> str:
    d = cx.result("drand")
    if not d:
        return ""
    ops = d.get("operations") or []
    blk = d.get("reveal_block") or {}
    brows = blk.get("rows") or []
    backends = ", ".join(sorted({o.get("backend", "?") for o in ops} | {r.get("backend", "?") for r in brows}))

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 2, 1)
        labels = [f"{o.get('backend')}\n{o.get('op')}" for o in ops]
        vals = [(o.get("median_s") or 0) * 1e3 for o in ops]
        ax.bar(range(len(vals)), vals, color="#1f77b4")
        ax.set_xticks(range(len(vals)), labels, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("median ms (log)")
        ax.set_title("per operation (quicknet round 1000)", fontsize=10)
        for i, v in enumerate(vals):
            ax.text(i, v, f"{v:,.1f}", ha="center", va="bottom", fontsize=7)
        ax2 = fig.add_subplot(1, 2, 2)
        if brows:
            bv = [(r.get("block_median_s") or 0) for r in brows]
            ax2.bar([r.get("backend") for r in brows], bv, color="#2ca02c")
            for i, v in enumerate(bv):
                ax2.text(i, v, f"{v:.2f} s", ha="center", va="bottom", fontsize=8)
            if max(bv) > 20 * REVEAL_TARGET_S:
                ax2.set_yscale("log")
        else:
            ax2.text(0.5, 0.5, "not measured", ha="center", transform=ax2.transAxes)
        ax2.axhline(REVEAL_TARGET_S, color="#d62728", ls="--", lw=1, label=f"target {REVEAL_TARGET_S} s")
        ax2.set_ylabel("block build time (s)")
        ax2.set_title(f"block revealing {get(brows, 0, 'commits', default=256)} timelocked commits", fontsize=10)
        ax2.legend(fontsize=7)

    dists = ("py-arkworks-bls12381", "py-ecc", "pycryptodome")
    img = cx.figure("drand", "Drand / timelock cost per BLS12-381 backend", draw, backends, *dists)
    orows = [[o.get("backend"), "tlock.decrypt (256-uid payload)" if o.get("op") == "decrypt" else "verify_beacon",
              ms(o.get("median_s"), ",.2f"), ms(o.get("p95_s"), ",.2f"), num(o.get("runs"))] for o in ops]
    rrows = [[r.get("backend"), f"{r.get('revealed')} / {r.get('commits')}", ms(r.get("block_median_s"), ",.0f"),
              ms(r.get("reveal_median_s"), ",.0f"), num(r.get("per_commit_ms"), ".2f", " ms"), num(r.get("runs")),
              "-" if r.get("meets_target") is None else ("met" if r["meets_target"] else "missed")] for r in brows]
    parts = ["## Drand and timelocked commit-reveal", img,
             table(["backend", "operation", "median", "p95", "runs"], orows, "llrrr")]
    if rrows:
        parts.append(table(["backend", "revealed", "block (median)", "of which reveal", "per commit", "runs",
                            f"< {REVEAL_TARGET_S} s"], rrows, "lrrrrrr"))
    if cx.quick:
        parts.append("Quick run: the reveal block is built with arkworks only (py-ecc takes minutes).")
    parts.append(cx.caption(backends, *dists))
    return "\n\n".join(parts)


def sec_trie(cx: Ctx) -> str:
    t = cx.result("trie")
    if not t:
        return ""
    rows = [[num(r.get("keys")), num(r.get("changed_per_block")), num(r.get("build_us_per_key"), ".2f"),
             num(r.get("update_best_ms"), ",.2f"), num(r.get("update_median_ms"), ",.2f"),
             num(r.get("us_per_changed_key"), ".2f")] for r in t.get("results") or []]
    return "\n\n".join([
        "## State trie: root update per changed key",
        table(["keys", "changed / block", "build µs/key", "update best ms", "update median ms", "µs / changed key"], rows),
        cx.caption("CPU", "msgpack", "xxhash")])


SECTIONS: tuple[Callable[[Ctx], str], ...] = (sec_yuma, sec_stps, sec_network, sec_subtensor, sec_rpc, sec_drand, sec_trie)


# ------------------------------------------------------------------------------------------ build


def build(combined: dict[str, Any], md_path: Path) -> Path:
    """Write REPORT.md at md_path and its PNGs in md_path's folder/report/; md_path."""
    md_path = Path(md_path)
    fig_dir = md_path.parent / "report"
    cx = Ctx(combined, fig_dir, "report")
    m, recs = cx.m, combined.get("benchmarks") or {}
    v = m.get("versions") or {}
    out = ["# taochain benchmark report", ""]
    if cx.quick:
        out += ["> **Quick run** (`taochain bench all --quick`): small sizes, few repetitions, the slow parts "
                "shortened or skipped. The figures show the shape, not the final numbers; `make bench` runs the "
                "full set.", ""]
    out += [f"Generated {combined.get('date', '?')} on `{combined.get('host', m.get('host', '?'))}` by "
            f"`taochain bench all{' --quick' if cx.quick else ''}"
            + (f" --only {','.join(combined['only'])}" if combined.get("only") else "") + "` in "
            f"{num(combined.get('elapsed_s'))} s.", ""]
    out += [table(["machine", ""], [["CPU", m.get("cpu_model", "?")], ["cores", m.get("cpus", "?")],
                                    ["RAM", f"{m['ram_gib']:g} GiB" if m.get("ram_gib") else "?"],
                                    ["OS", m.get("os") or m.get("platform", "?")],
                                    ["versions", ", ".join(f"{LABELS.get(k, k)} {x}" for k, x in v.items()) or "?"]], "ll"), ""]
    out += ["## Headline", ""]
    try:
        hl = headline(cx)
    except Exception as exc:  # noqa: BLE001 - a malformed result must not lose the rest of the report
        hl, out = [], out + [f"(headline not available: {exc!r})", ""]
    out += [table(["measure", "value", "compared with", "ratio", "target"], hl, "lrrrl") if hl
            else "No headline figures: no benchmark produced results.", "", cx.caption("see each section"), ""]
    status = [[f"`{n}`", r.get("what", ""), r.get("status", "?"), num(r.get("elapsed_s"), ",.0f", " s")]
              for n, r in recs.items()]
    if status:
        out += ["Benchmarks in this run:", "", table(["benchmark", "measures", "status", "wall time"], status, "llll"), ""]
    for sec in SECTIONS:
        try:
            text = sec(cx)
        except Exception as exc:  # noqa: BLE001
            text = f"## {sec.__name__[4:]}\n\n(section not available: {exc!r})"
        if text:
            out += [text, ""]
    failed = {n: r for n, r in recs.items() if r.get("status") != "ok"}
    if failed:
        out += ["## Benchmarks that did not finish", ""]
        for n, r in failed.items():
            out += [f"`{n}` ({r.get('status')}, {num(r.get('elapsed_s'), ',.0f', ' s')}); the end of its log:", "",
                    "```", str(r.get("error", "")).strip()[-3000:], "```", ""]
    out += ["---", "", "Regenerate: `make bench` (full) or `.venv/bin/taochain bench all --quick`; rebuild this file "
            "from saved figures: `.venv/bin/taochain bench report benchmarks/results/<date>-<host>.json`.", ""]
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text("\n".join(out))
    return md_path


def newest_combined(results_dir: Path = RESULTS_DIR) -> Path | None:
    """The newest combined file (<date>-<host>[-quick].json: the name starts with a digit)."""
    files = sorted((p for p in results_dir.glob("[0-9]*.json") if p.is_file()), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("combined", nargs="?", type=Path, default=None)
    ap.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "REPORT.md")
    args = ap.parse_args(argv)
    path = args.combined or newest_combined()
    if path is None:
        print("no combined results: run `taochain bench all` first", file=sys.stderr)
        return 2
    print(build(json.loads(path.read_text()), args.report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
