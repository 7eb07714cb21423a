"""Shared by the benchmark scripts: the machine description and saving figures as JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    import nacl
    import numpy

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pynacl": nacl.__version__,
    }


def save(kind: str, payload: dict[str, Any]) -> Path:
    """Write benchmarks/results/<kind>-<date>-<host>.json (git-ignored) and say where."""
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    path = res / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{platform.node()}.json"
    path.write_text(json.dumps({"benchmark": kind, "machine": machine(), **payload}, indent=2))
    print(f"\nsaved {path.relative_to(ROOT)}")
    return path
