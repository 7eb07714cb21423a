"""Run every benchmark in benchmarks/ as its own process, collect their figures into one JSON file and
build benchmarks/REPORT.md (tables, headline ratios, PNG plots under benchmarks/report/).

    .venv/bin/taochain bench all [--quick] [--only yuma,trie]     (or: make bench)
    .venv/bin/python benchmarks/run_all.py [--quick] [--only ...]

Each benchmark runs with `--quick` in a quick run; its output goes to a log beside the combined file
(benchmarks/results/<date>-<host>[-quick]/<name>.log, git-ignored), and a line every few seconds says
which one runs and for how long. The combined file is benchmarks/results/<date>-<host>[-quick].json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results_io import OUT_ENV, machine  # noqa: E402

BENCH_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"


@dataclass(frozen=True)
class Bench:
    """One benchmark script: how to ask it for its JSON, and what it measures."""

    name: str
    script: str
    what: str
    out_flag: str | None = None  # the flag taking the JSON path; None: $TAOCHAIN_BENCH_OUT (results_io.save)
    quick_args: tuple[str, ...] = ("--quick",)
    full_args: tuple[str, ...] = ()
    timeout_s: dict[str, int] = field(default_factory=lambda: {"quick": 900, "full": 3600})


BENCHES: tuple[Bench, ...] = (
    Bench("import", "bench_import.py", "block execution: transfers/s vs bare ed25519 verification"),
    Bench("rpc", "bench_rpc.py", "node RPC queries/s and end-to-end sTPS"),
    Bench("rpc_server", "bench_rpc_server.py", "JSON-RPC server framework requests/s", out_flag="--json"),
    Bench("yuma", "bench_yuma.py", "Yuma epoch per backend, reference and float64", out_flag="--out"),
    Bench("subtensor", "bench_subtensor.py", "SubtensorModule calls vs declared weight; the epoch block"),
    Bench("network", "bench_network.py", "propagation, finality, tx gossip and sync on a loopback testnet",
          timeout_s={"quick": 900, "full": 5400}),
    Bench("drand", "bench_drand.py", "drand/timelock per operation; the block revealing 256 commits"),
    Bench("trie", "bench_trie.py", "state-root update per changed key", out_flag="--json"),
)
NAMES = tuple(b.name for b in BENCHES)


def select(only: str | None) -> list[Bench]:
    if not only:
        return list(BENCHES)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in NAMES]
    if unknown:
        raise ValueError(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(NAMES)})")
    return [b for b in BENCHES if b.name in wanted]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, 2) - 4096))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    for line in reversed(text.replace("\r", "\n").splitlines()):
        if line.strip():
            return line.strip()[:100]
    return ""


def run_one(b: Bench, quick: bool, run_dir: Path, say: Callable[[str], None], every_s: float = 10.0,
            timeout_s: int | None = None) -> dict[str, Any]:
    """Run one benchmark script as a subprocess; its JSON figures (or the reason there are none)."""
    out_json, log = run_dir / f"{b.name}.json", run_dir / f"{b.name}.log"
    out_json.unlink(missing_ok=True)
    cmd = [sys.executable, str(BENCH_DIR / b.script), *(b.quick_args if quick else b.full_args)]
    if b.out_flag:
        cmd += [b.out_flag, str(out_json)]
    env = {**os.environ, OUT_ENV: str(out_json), "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    limit = timeout_s or b.timeout_s["quick" if quick else "full"]
    t0 = time.monotonic()
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        next_say = t0 + every_s
        rc: int | None = None
        try:
            while rc is None:
                try:
                    rc = proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    now = time.monotonic()
                    if now - t0 > limit:
                        _stop(proc)
                        rc = -9
                        break
                    if now >= next_say:
                        next_say = now + every_s
                        say(f"    {b.name}: {now - t0:5.0f} s  {_last_line(log)}")
        except KeyboardInterrupt:
            _stop(proc)
            raise
    elapsed = time.monotonic() - t0
    rec: dict[str, Any] = {"name": b.name, "script": b.script, "what": b.what, "command": cmd[1:],
                           "elapsed_s": round(elapsed, 1), "returncode": rc, "log": str(log)}
    if rc == -9 and elapsed > limit:
        rec.update(status="timeout", error=f"stopped after {limit} s\n{_tail(log)}")
    elif rc != 0:
        rec.update(status="failed", error=_tail(log))
    elif not out_json.exists():
        rec.update(status="failed", error="the benchmark wrote no JSON\n" + _tail(log))
    else:
        try:
            rec.update(status="ok", result=json.loads(out_json.read_text()))
        except ValueError as exc:
            rec.update(status="failed", error=f"unreadable JSON: {exc}")
    return rec


def _stop(proc: subprocess.Popen) -> None:
    """End the benchmark and the processes it started (its own session), politely first."""
    import signal

    for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_all(quick: bool = False, only: str | None = None, results_dir: Path = RESULTS_DIR,
            report_path: Path | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the chosen benchmarks, write the combined JSON and the report; the combined record."""
    from benchmarks import report

    benches = select(only)
    started = dt.datetime.now()
    host = platform.node() or "host"
    stem = f"{started.strftime('%Y%m%d-%H%M%S')}-{host}" + ("-quick" if quick else "")
    run_dir = results_dir / stem
    run_dir.mkdir(parents=True, exist_ok=True)
    say(f"{'quick' if quick else 'full'} benchmark run: {', '.join(b.name for b in benches)}; logs in {run_dir}")
    t0 = time.monotonic()
    records = {}
    for i, b in enumerate(benches, 1):
        say(f"[{i}/{len(benches)}] {b.name}: {b.what} (total elapsed {time.monotonic() - t0:.0f} s)")
        rec = run_one(b, quick, run_dir, say)
        records[b.name] = rec
        say(f"[{i}/{len(benches)}] {b.name}: {rec['status']} in {rec['elapsed_s']:.0f} s"
            + (f" -- see {rec['log']}" if rec["status"] != "ok" else ""))
    combined = {
        "date": started.isoformat(timespec="seconds"),
        "host": host,
        "quick": quick,
        "only": [b.name for b in benches] if only else None,
        "elapsed_s": round(time.monotonic() - t0, 1),
        "machine": machine(),
        "benchmarks": records,
    }
    out = results_dir / f"{stem}.json"
    out.write_text(json.dumps(combined, indent=1, default=str) + "\n")
    say(f"figures: {out}")
    md = report.build(combined, report_path or BENCH_DIR / "REPORT.md")
    say(f"report: {md} (plots in {md.parent / 'report'}); {combined['elapsed_s']:.0f} s in all")
    return combined


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and few runs (a few minutes)")
    ap.add_argument("--only", default=None, help=f"comma-separated subset of: {', '.join(NAMES)}")
    ap.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    ap.add_argument("--report", type=Path, default=None, help="REPORT.md path (plots go beside it, in report/)")
    args = ap.parse_args(argv)
    try:
        combined = run_all(args.quick, args.only, args.results_dir, args.report)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if all(r["status"] == "ok" for r in combined["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
