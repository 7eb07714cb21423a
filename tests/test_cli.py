"""The `taochain` command: key inspect (golden vector) and the STF demo, through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from taochain.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_key_inspect_alice_json() -> None:
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {
        "uri": "//Alice",
        "public_key": "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee",
        "ss58": "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
    }


def test_key_inspect_text_and_bad_uri() -> None:
    r = runner.invoke(app, ["key", "inspect", "//Bob"])
    assert r.exit_code == 0 and "SS58" in r.output
    r = runner.invoke(app, ["key", "inspect", "//Alice/soft"])
    assert r.exit_code == 2 and "error" in r.output


def test_console_script_runs_the_demo() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "taochain.cli", "demo", "--blocks", "2"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "#2" in out.stdout and "total issuance" in out.stdout
