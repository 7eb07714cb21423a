"""Yuma epoch wall time: the batched integer kernel per backend, the scalar reference, and float64.

Shapes (subnets x UIDs): 1x256, 32x256, 128x256, 8x1024, 1x4096, each with 64 validators per subnet
and weight density 100% and 10%, Yuma3 with liquid alpha on (bonds from a previous epoch). For each:
- `kernel/<backend>`: `compute_epochs_packed` on arrays already packed (what a node runs per block
  once the emission pallet has gathered the subnets), best of R runs; packing and unpacking
  (Python, per entry) are reported separately as `pack_s` / `unpack_s`;
- `reference`: the plain-int scalar epoch, per subnet, small shapes only;
- `float64`: the same dense math in float64 NumPy ("speed of light", NOT consensus-safe).

Prints a markdown table and writes JSON to benchmarks/results/yuma-<date>-<host>.json with the
machine, versions and backends. `--quick` runs fewer shapes once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import machine  # noqa: E402
from runtime.yuma.backend import get_backend  # noqa: E402
from runtime.yuma.kernel import compute_epochs_packed, compute_packed, compute_unpacked  # noqa: E402
from runtime.yuma.reference import compute_epoch  # noqa: E402
from runtime.yuma.types import EpochInput  # noqa: E402

SHAPES = [(1, 256), (32, 256), (128, 256), (8, 1024), (1, 4096)]
QUICK_SHAPES = [(1, 256), (32, 256), (128, 256)]
VALIDATORS = 64
BLOCK = 10_000_000


def make_subnet(seed: int, n: int, density: float) -> EpochInput:
    """A realistic subnet: 64 permitted validators weighting miners, bonds from an earlier epoch."""
    rng = random.Random(seed)
    v = min(VALIDATORS, n)
    stake = tuple(rng.randint(10**12, 10**14) if i < v else rng.randint(0, 10**9) for i in range(n))
    per_row = max(1, int(n * density))
    weights = tuple(
        tuple((j, rng.randint(0, 65535)) for j in sorted(rng.sample(range(n), per_row))) for _ in range(v)
    )
    bonds = tuple(
        tuple((j, rng.randint(0, 65535)) for j in sorted(rng.sample(range(n), per_row))) for _ in range(v)
    )
    return EpochInput(
        n=n, current_block=BLOCK, stake=stake, weights=weights, bonds=bonds,
        last_update=tuple(BLOCK - rng.randint(1, 300) for _ in range(n)),
        block_at_registration=tuple(rng.randint(0, BLOCK - 5000) for _ in range(n)),
        validator_permit=tuple(i < v for i in range(n)), max_allowed_validators=64, yuma3=True,
        liquid_alpha=True, bonds_penalty=65535, alpha_low=6553, alpha_high=19660, owner_uid=0,
    )


def compute_float64(p: Any) -> np.ndarray:
    """The same dense epoch math in float64 on the packed arrays (no fixed point, no exactness)."""
    stake = p.stake.astype(np.float64)
    stake /= np.maximum(stake.sum(axis=1, keepdims=True), 1)
    rows = p.rows
    permit = np.take_along_axis(p.permit, rows, axis=1)
    act = np.take_along_axis(stake, rows, axis=1) * permit
    act /= np.maximum(act.sum(axis=1, keepdims=True), 1e-30)
    w = np.where(p.w_present & permit[:, :, None], p.w, 0).astype(np.float64)
    w /= np.maximum(w.sum(axis=2, keepdims=True), 1e-30)
    order = np.argsort(w, axis=1)
    sw = np.take_along_axis(w, order, axis=1)
    cum = np.cumsum(np.take_along_axis(np.broadcast_to(act[:, :, None], w.shape), order, axis=1), axis=1)
    first = np.argmax(cum > (1 - 32767 / 65535), axis=1)
    cons = np.take_along_axis(sw, first[:, None, :], axis=1)
    clipped = np.minimum(w, cons)
    ranks = (act[:, :, None] * clipped).sum(axis=1)
    inc = ranks / np.maximum(ranks.sum(axis=1, keepdims=True), 1e-30)
    b = np.where(p.b_present, p.b, 0) / 65535.0
    x = np.where(clipped >= b, np.clip(clipped - cons, 0, 1), np.clip(b - clipped, 0, 1))
    alpha = 0.1 + 0.2 / (1 + np.exp(-10 * (x - 0.5)))
    ema = np.minimum((1 - alpha) * b + alpha * clipped, 1)
    ema_n = ema / np.maximum(ema.sum(axis=1, keepdims=True), 1e-30)
    div = (ema_n * inc[:, None, :]).sum(axis=2) * act
    return div / np.maximum(div.sum(axis=1, keepdims=True), 1e-30)


def best_of(fn: Any, repeat: int, sync: Any = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer shapes, one repetition")
    ap.add_argument("--backend", default="all", help="all | numpy | cupy (kernel backends to time)")
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    args = ap.parse_args()
    shapes = QUICK_SHAPES if args.quick else SHAPES
    repeat = 1 if args.quick else 3
    backends = []
    if args.backend in ("all", "numpy"):
        backends.append(get_backend("numpy"))
    if args.backend in ("all", "cupy"):
        try:
            backends.append(get_backend("cupy"))
        except RuntimeError as exc:
            print(f"(cupy skipped: {exc})")
    results: list[dict[str, Any]] = []
    for subnets, uids in shapes:
        for density in (1.0, 0.1):
            inputs = [make_subnet(1000 * subnets + s, uids, density) for s in range(subnets)]
            row: dict[str, Any] = {"subnets": subnets, "uids": uids, "density": density, "validators": VALIDATORS}
            t0 = time.perf_counter()
            packed_np = compute_packed(inputs, np)
            row["pack_s"] = time.perf_counter() - t0
            for be in backends:
                xp = be.xp
                packed = packed_np if be.name == "numpy" else compute_packed(inputs, xp)
                sync = None
                if be.name == "cupy":
                    sync = xp.cuda.Device().synchronize
                    compute_epochs_packed(packed, xp)  # warm-up: kernel compilation
                    sync()
                res: dict[str, Any] = {}
                row[f"kernel_{be.name}_s"] = best_of(
                    lambda res=res, packed=packed, xp=xp: res.update(compute_epochs_packed(packed, xp)), repeat, sync
                )
                t0 = time.perf_counter()
                compute_unpacked(inputs, packed, res)
                row[f"unpack_{be.name}_s"] = time.perf_counter() - t0
            row["float64_s"] = best_of(lambda packed_np=packed_np: compute_float64(packed_np), repeat)
            if subnets * uids <= 256:  # the scalar reference: one subnet of 256 (about a second when dense)
                t0 = time.perf_counter()
                compute_epoch(inputs[0])
                row["reference_per_subnet_s"] = time.perf_counter() - t0
            results.append(row)
            print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)

    names = [f"kernel_{be.name}_s" for be in backends]
    lines = [
        "| subnets x UIDs | density | " + " | ".join(n[:-2] for n in names)
        + " | float64 | exact/float64 | reference/subnet | pack |",
        "|---|---|" + "---|" * (len(names) + 4),
    ]
    for r in results:
        ker = r[names[0]] if names else float("nan")
        ref = r.get("reference_per_subnet_s")
        lines.append(
            f"| {r['subnets']}x{r['uids']} | {int(r['density'] * 100)}% | "
            + " | ".join(f"{r[n] * 1e3:.1f} ms" for n in names)
            + f" | {r['float64_s'] * 1e3:.1f} ms | {ker / r['float64_s']:.1f}x | "
            + (f"{ref * 1e3:.0f} ms ({ref / (ker / r['subnets']):.0f}x kernel/subnet)" if ref else "-")
            + f" | {r['pack_s'] * 1e3:.0f} ms |"
        )
    table = "\n".join(lines)
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "backends": [be.name for be in backends],
        "config": f"Yuma3 + liquid alpha, 64 validators/subnet, best of {repeat}",
        "quick": args.quick,
        "system": machine(),
    }
    for be in backends:
        if be.name == "cupy":
            meta["cupy"] = be.xp.__version__
            meta["gpu"] = be.xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    out = args.out or Path(__file__).resolve().parent / "results" / (
        f"yuma-{dt.date.today().isoformat()}-{socket.gethostname()}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results, "table": table}, indent=1) + "\n")
    print()
    print(f"machine: {meta['host']} {meta['machine']} ({meta['cpu_count']} cpus), Python {meta['python']}, "
          f"NumPy {meta['numpy']}" + (f", CuPy {meta.get('cupy')} on {meta.get('gpu')}" if "cupy" in meta else ""))
    print(f"config: {meta['config']}")
    print(table)
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
