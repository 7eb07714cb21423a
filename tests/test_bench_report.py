"""The benchmark report: REPORT.md and its plots from synthetic results, and `taochain bench all` end to end
on the fastest benchmark (trie, quick)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import report, run_all  # noqa: E402

pytest.importorskip("matplotlib")

MACHINE = {
    "cpu_model": "Test CPU 9000", "cpus": 2, "ram_gib": 23.5, "os": "Debian GNU/Linux 12 (kernel 6.1)",
    "host": "testhost", "python": "3.11.7", "numpy": "2.4.6",
    "versions": {"python": "3.11.7", "numpy": "2.4.6", "pynacl": "1.6.2", "aiohttp": "3.14.5",
                 "py-arkworks-bls12381": "0.5.0", "py-ecc": "8.0.0"},
}


def ok(result: dict) -> dict:
    return {"status": "ok", "what": "synthetic", "elapsed_s": 1.5, "result": result}


def synthetic(quick: bool = True) -> dict:
    yuma_rows = [
        {"subnets": 1, "uids": 256, "density": 1.0, "pack_s": 0.003, "kernel_numpy_s": 0.002, "float64_s": 0.001,
         "reference_per_subnet_s": 0.9},
        {"subnets": 1, "uids": 256, "density": 0.1, "pack_s": 0.001, "kernel_numpy_s": 0.001, "float64_s": 0.0005,
         "reference_per_subnet_s": 0.006},
        {"subnets": 32, "uids": 256, "density": 1.0, "pack_s": 0.07, "kernel_numpy_s": 0.034, "float64_s": 0.017},
        {"subnets": 32, "uids": 256, "density": 0.1, "pack_s": 0.01, "kernel_numpy_s": 0.018, "float64_s": 0.017},
    ]
    return {
        "date": "2026-11-26T12:00:00", "host": "testhost", "quick": quick, "only": None, "elapsed_s": 123.4,
        "machine": MACHINE,
        "benchmarks": {
            "import": ok({"bare_verify_per_s": 25000.0, "runs": [
                {"accounts": 10000, "parallel_signature_check": False, "block_size": 2000, "blocks": 3,
                 "transfers_per_s": 12345.0, "split_s": {"signatures": 0.5, "trie_root": 0.1, "dispatch_and_rest": 0.4},
                 "root_ms_per_block": 30.0, "root_us_per_changed_key": 4.4},
                {"accounts": 10000, "parallel_signature_check": True, "block_size": 2000, "blocks": 3,
                 "transfers_per_s": 17500.0, "split_s": {"signatures": 0.0, "trie_root": 0.1, "dispatch_and_rest": 0.5},
                 "root_ms_per_block": 31.0, "root_us_per_changed_key": 4.5}]}),
            "rpc": ok({"clients": 8, "queries": [{"method": "system_account", "http_per_s": 12000.0, "ws_per_s": 40000.0}],
                       "end_to_end": {"transfers": 500, "seconds": 1.25, "submit_seconds": 0.3, "stps": 4000.0, "blocks": 2},
                       "in_process_transfers_per_s": 8000.0}),
            "rpc_server": ok({"rows": [{"transport": "http", "load": "8 clients", "requests_per_s": 9876.0}]}),
            "yuma": ok({"meta": {"backends": ["numpy"], "config": "Yuma3 + liquid alpha"}, "results": yuma_rows}),
            "subtensor": ok({"args": {"reps": 5, "repeat": 2, "full_subnets": 2, "uids": 256},
                             "calls": [{"call": "set_weights", "note": "n=256", "median_us": 92.1, "p95_us": 120.0,
                                        "declared_us": 136.8, "ratio_median": 0.67, "over": False, "p95_over": False}],
                             "epochs": [{"subnets": 4, "uids": 256, "validators": 64, "density": 1.0, "weight_entries": 65536,
                                         "gather_s": 0.01, "kernel_s": 0.02, "write_back_s": 0.015, "on_initialize_s": 0.05,
                                         "ratio": 1.25}]}),
            "network": ok({"args": {"seconds": 15, "transfers": 300, "blocks": 500},
                           "propagation_ms": {"p50": 12.5, "p95": 48.0, "max": 80.0, "samples": 40},
                           "finality_lag_blocks": {"mean": 1.5, "max": 3, "samples": 100},
                           "tx_gossip": {"transfers": 300, "seen_by_every_node_s": 1.5, "tx_per_s": 200.0},
                           "sync": {"blocks": 500, "transfers_per_block": 10, "synced": 500, "blocks_per_s": 425.0}}),
            "drand": ok({"operations": [
                {"backend": "arkworks", "op": "decrypt", "median_s": 0.0015, "p95_s": 0.0016, "runs": 20},
                {"backend": "arkworks", "op": "verify", "median_s": 0.0014, "p95_s": 0.0015, "runs": 20}],
                "reveal_block": {"rows": [{"backend": "arkworks", "commits": 256, "revealed": 256, "block_median_s": 0.6,
                                           "block_p95_s": 0.7, "reveal_median_s": 0.55, "per_commit_ms": 2.1, "runs": 1,
                                           "meets_target": True}]}}),
            "trie": {"status": "failed", "what": "synthetic", "elapsed_s": 0.4, "error": "Traceback: boom-7731"},
        },
    }


def test_report_from_synthetic_results(tmp_path: Path) -> None:
    md = report.build(synthetic(), tmp_path / "REPORT.md")
    text = md.read_text()
    # machine header, versions, quick-run notice
    for s in ("Test CPU 9000", "23.5 GiB", "Debian GNU/Linux 12", "Python 3.11.7", "NumPy 2.4.6", "Quick run",
              "QUICK RUN", "2026-11-26"):
        assert s in text, s
    # headline ratios
    head = text.split("## Headline", 1)[1].split("\n## ", 1)[0]
    assert "17,500 transfers/s" in head and "70%" in head  # worker execution vs 25,000 bare verify
    assert "49%" in head  # inline: 12,345 / 25,000
    assert "4,000 transfers/s" in head and "50%" in head  # end-to-end vs in-process
    assert "450× faster" in head  # 0.9 s reference vs 2 ms kernel per subnet
    assert "85%" in head and "missed" in head  # sync 425 of 500 blocks/s
    assert "0.60 s" in head and "40%" in head  # reveal block vs 1.5 s
    assert "48.0 ms" in head  # propagation p95
    # section tables carry the numbers; every section states its machine
    assert "| 32×256 | 100% | 34.00 ms | 17.00 ms | 2.0× |" in text
    assert "`set_weights`" in text and "92.1" in text and "136.8" in text
    assert "9,876" in text and "40,000" in text
    assert "12.5 / 48.0 / 80.0 ms" in text
    assert text.count("<sub>Machine: Test CPU 9000, 2 cores") >= 7
    # the failed benchmark is reported with its log tail
    assert "did not finish" in text and "boom-7731" in text
    for name in ("yuma_epoch", "stps", "network", "drand"):
        png = tmp_path / "report" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"](report/{name}.png)" in text


def test_report_full_run_and_missing_benchmarks(tmp_path: Path) -> None:
    c = synthetic(quick=False)
    c["benchmarks"] = {"yuma": c["benchmarks"]["yuma"]}
    text = report.build(c, tmp_path / "REPORT.md").read_text()
    assert "Quick run" not in text and "QUICK RUN" not in text
    assert "## Yuma epoch" in text and "## Network" not in text
    assert (tmp_path / "report" / "yuma_epoch.png").exists()
    assert not (tmp_path / "report" / "network.png").exists()


def test_select_rejects_unknown_names() -> None:
    assert [b.name for b in run_all.select("trie,yuma")] == ["yuma", "trie"]
    assert len(run_all.select(None)) == len(run_all.BENCHES)
    with pytest.raises(ValueError, match="nope"):
        run_all.select("trie,nope")


@pytest.mark.benchmark
def test_bench_all_only_trie_quick_end_to_end(tmp_path: Path) -> None:
    res = tmp_path / "results"
    md = tmp_path / "REPORT.md"
    p = subprocess.run(
        [sys.executable, "-m", "taochain.cli", "bench", "all", "--only", "trie", "--quick", "--results-dir", str(res),
         "--report", str(md)], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "[1/1] trie" in p.stdout
    (combined,) = res.glob("*-quick.json")
    data = json.loads(combined.read_text())
    assert data["quick"] and data["only"] == ["trie"]
    trie = data["benchmarks"]["trie"]
    assert trie["status"] == "ok", trie
    rows = trie["result"]["results"]
    assert rows and rows[0]["keys"] == 10_000
    assert data["machine"]["cpus"] and data["machine"]["versions"]["python"]
    text = md.read_text()
    assert "## State trie" in text and "QUICK RUN" in text and "10,000" in text
