"""Cold start of the outside clients against a dev node: a fresh process per run connects, reads the
runtime version and the SCALE metadata, and makes its first query (`System.Account` of //Alice).
Clients: py-substrate-interface 1.8.1 (.venv-psi), async-substrate-interface 2.2.1 (.venv-asi) and
@polkadot/api 16.5.2 (tests/clients/js), each running its flow script from tests/clients with
`--cold`. Target (issue #15): py-substrate-interface and @polkadot/api each under 2 s.

Reported per client, median and max over R runs: `connect` (connect + runtime version + metadata:
SubstrateInterface + init_runtime, AsyncSubstrateInterface.initialize, ApiPromise.create), `cold`
(connect + first query; absent while the first query fails, whose error is shown), and the whole
process (interpreter or Node.js start-up and imports included).

    .venv/bin/python benchmarks/bench_client_cold_start.py [--runs R]   (make bench-clients)

Needs `make install` (the client environments). Prints a table and writes
benchmarks/results/client-cold-start-<date>-<host>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results_io import save  # noqa: E402
from taochain.proc import start_node, wait_until  # noqa: E402

CLIENTS_DIR = ROOT / "tests" / "clients"
TARGET_S = 2.0
CLIENTS: dict[str, tuple[list[str], Path]] = {
    "py-substrate-interface 1.8.1": ([str(ROOT / ".venv-psi/bin/python"), str(CLIENTS_DIR / "psi_flow.py")], CLIENTS_DIR),
    "async-substrate-interface 2.2.1": ([str(ROOT / ".venv-asi/bin/python"), str(CLIENTS_DIR / "asi_flow.py")], CLIENTS_DIR),
    "@polkadot/api 16.5.2": ([shutil.which("node") or "node", str(CLIENTS_DIR / "js/flow.mjs")], CLIENTS_DIR / "js"),
}


def one_run(argv: list[str], cwd: Path, url: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    r = subprocess.run([*argv, url, "--cold"], capture_output=True, text=True, timeout=120, cwd=cwd)
    wall = time.perf_counter() - t0
    steps = {d["step"]: d for d in (json.loads(x) for x in r.stdout.splitlines() if x.startswith('{"step"'))}
    c, a = steps.get("connect", {}), steps.get("account", {})
    return {"process_s": wall, "connect_s": c["ms"] / 1000 if c.get("ok") else None,
            "cold_s": a["coldStartMs"] / 1000 if a.get("ok") else None,
            "error": None if a.get("ok") else (c.get("error") or a.get("error") or r.stderr[-300:])}


def summary(runs: list[dict[str, Any]], key: str) -> dict[str, float] | None:
    xs = [r[key] for r in runs if r[key] is not None]
    return {"median_s": statistics.median(xs), "max_s": max(xs), "runs": len(xs)} if xs else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = start_node(["--dev", "--tmp", "--no-prometheus", "--block-time-ms", "250"], Path(tmp) / "node.log", cwd=ROOT)
        try:
            from taochain.client import Client, ConnectionFailed

            with Client(node.url, timeout=20) as c:
                wait_until(lambda: node.poll() is not None or c.header(), 30, "the node's RPC", (ConnectionFailed,))
            results = {}
            for name, (argv, cwd) in CLIENTS.items():
                runs = [one_run(argv, cwd, node.url) for _ in range(args.runs)]
                results[name] = {"connect": summary(runs, "connect_s"), "cold": summary(runs, "cold_s"),
                                 "process": summary(runs, "process_s"),
                                 "errors": sorted({r["error"] for r in runs if r["error"]})}
        finally:
            node.stop(20)

    print(f"Outside clients' cold start against `taochain node --dev` ({args.runs} fresh processes each; target < {TARGET_S} s)")
    print(f"{'client':34} {'connect+metadata':>18} {'+ first query':>15} {'process':>9}  note")

    def fmt(s: dict[str, float] | None) -> str:
        return f"{s['median_s']:.3f} s" if s else "-"

    for name, r in results.items():
        note = ("under target" if r["cold"]["max_s"] < TARGET_S else "OVER target") if r["cold"] else ""
        if r["errors"]:
            note = f"first query failed: {r['errors'][0][:90]}"
        print(f"{name:34} {fmt(r['connect']):>18} {fmt(r['cold']):>15} {fmt(r['process']):>9}  {note}")
    save("client-cold-start", {"runs": args.runs, "target_s": TARGET_S, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
