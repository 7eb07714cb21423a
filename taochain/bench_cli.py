"""`taochain bench`: run the benchmarks in benchmarks/ and build benchmarks/REPORT.md.

    taochain bench all [--quick] [--only yuma,trie]     every benchmark, one process each, then the report
    taochain bench report [COMBINED.json]               rebuild the report from a saved combined file
    taochain bench list                                  the benchmarks and what they measure

The benchmark scripts live in the source tree (benchmarks/), not in the installed package: these
commands work from a checkout (`pip install -e .`, as `make install` does).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import typer

from taochain.cli_common import console, fail

ROOT = Path(__file__).resolve().parents[1]

app = typer.Typer(no_args_is_help=True, help="Benchmarks: run them all and build benchmarks/REPORT.md.")


def _load(name: str) -> ModuleType:
    """benchmarks.<name> from the source tree."""
    if not (ROOT / "benchmarks" / f"{name}.py").exists():
        fail(f"benchmarks/{name}.py not found: `taochain bench` needs a source checkout", 2)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import importlib

    return importlib.import_module(f"benchmarks.{name}")


@app.command("all")
def bench_all(
    quick: bool = typer.Option(False, "--quick", help="small sizes, few runs, slow parts shortened (a few minutes)"),
    only: str | None = typer.Option(None, "--only", help="comma-separated subset, e.g. yuma,trie (see `bench list`)"),
    results_dir: str | None = typer.Option(None, "--results-dir", help="where the JSON and logs go (default benchmarks/results)"),
    report: str | None = typer.Option(None, "--report", help="REPORT.md path; plots go beside it in report/ (default benchmarks/REPORT.md)"),
) -> None:
    """Run every benchmark (or --only some) as subprocesses, save one combined JSON, write REPORT.md + PNG plots."""
    run_all = _load("run_all")
    try:
        run_all.select(only)
    except ValueError as exc:
        fail(str(exc), 2)
    combined = run_all.run_all(quick=quick, only=only, results_dir=Path(results_dir) if results_dir else run_all.RESULTS_DIR,
                               report_path=Path(report) if report else None, say=lambda m: console.print(m, highlight=False, markup=False))
    bad = [n for n, r in combined["benchmarks"].items() if r["status"] != "ok"]
    if bad:
        console.print(f"[red]did not finish:[/red] {', '.join(bad)} (their log tails are in the report)")
        raise typer.Exit(1)


@app.command("report")
def bench_report(
    combined: str | None = typer.Argument(None, help="a combined file (default: the newest in benchmarks/results)"),
    report: str | None = typer.Option(None, "--report", help="REPORT.md path (default benchmarks/REPORT.md)"),
) -> None:
    """Rebuild REPORT.md and its plots from a combined JSON file written by `bench all`."""
    import json

    rep = _load("report")
    path = Path(combined) if combined else rep.newest_combined()
    if path is None or not path.exists():
        fail("no combined results: run `taochain bench all` first", 2)
    print(rep.build(json.loads(path.read_text()), Path(report) if report else ROOT / "benchmarks" / "REPORT.md"))


@app.command("list")
def bench_list() -> None:
    """The benchmarks `bench all` runs."""
    for b in _load("run_all").BENCHES:
        print(f"{b.name:<11} benchmarks/{b.script:<22} {b.what}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bench")
