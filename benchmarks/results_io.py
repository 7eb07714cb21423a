"""Shared by the benchmark scripts: the machine description and saving figures as JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# `taochain bench all` sets it: the one file a benchmark's figures go to (instead of a dated name)
OUT_ENV = "TAOCHAIN_BENCH_OUT"

# distributions whose versions a report states (those installed)
VERSIONED = ("numpy", "pynacl", "msgpack", "xxhash", "aiohttp", "plyvel", "py-arkworks-bls12381", "py-ecc",
             "pycryptodome", "cupy-cuda13x", "cupy-cuda12x", "cupy")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def versions() -> dict[str, str]:
    """Python and the installed versions of the libraries the figures depend on (no imports)."""
    out = {"python": platform.python_version()}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def machine() -> dict[str, Any]:
    v = versions()
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": _os_name(),
        "host": platform.node(),
        "python": v["python"],
        "numpy": v.get("numpy"),
        "pynacl": v.get("pynacl"),
        "versions": v,
    }


def save(kind: str, payload: dict[str, Any]) -> Path:
    """Write benchmarks/results/<kind>-<date>-<host>.json (git-ignored), or the file named by
    $TAOCHAIN_BENCH_OUT when the benchmark runs under `taochain bench all`, and say where."""
    if os.environ.get(OUT_ENV):
        path = Path(os.environ[OUT_ENV])
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        res = ROOT / "benchmarks" / "results"
        res.mkdir(parents=True, exist_ok=True)
        path = res / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{platform.node()}.json"
    path.write_text(json.dumps({"benchmark": kind, "machine": machine(), **payload}, indent=2))
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\nsaved {shown}")
    return path
