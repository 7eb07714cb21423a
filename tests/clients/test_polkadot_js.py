"""@polkadot/api (16.5.2, pinned by tests/clients/js/package-lock.json, installed by `make test`)
against a taochain dev node: `ApiPromise.create` connects, decodes the runtime version and the
SCALE metadata the node serves (V15 through state_call), and reads a header with its Aura digest.

What it cannot do yet (issue #15, in progress): read storage or submit extrinsics, which are still
taochain's own encoding, and hash headers as the node does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from devnode import BackgroundNode

JS = Path(__file__).resolve().parent / "js"


def _polkadot_js() -> Path:
    script = JS / "connect.mjs"
    if not (JS / "node_modules" / "@polkadot" / "api").is_dir():
        pytest.fail("@polkadot/api is not installed: run `make test` (it runs `npm ci` in tests/clients/js)")
    if shutil.which("node") is None:
        pytest.fail("node (Node.js 20) is not on PATH")
    return script


def test_polkadot_js_connects_and_reads_the_metadata() -> None:
    script = _polkadot_js()
    n = BackgroundNode()
    try:
        ws = n.url.replace("http://", "ws://", 1)
        r = subprocess.run(["node", str(script), ws], capture_output=True, text=True, timeout=60, cwd=JS)
        assert r.returncode == 0, r.stderr[-2000:]
        out = json.loads(r.stdout.strip().splitlines()[-1])
        rt = n.rn.node.runtime
        assert out["specName"] == "taochain" and out["specVersion"] == rt.VERSION.spec_version
        assert out["metadataVersion"] == 15  # Metadata_metadata_at_version(15), as the runtime version lists it
        assert out["pallets"] == [[p.NAME, p.INDEX] for p in rt.pallets]
        assert out["properties"]["ss58Format"] == 42
        assert out["properties"]["tokenDecimals"] == [9] and out["properties"]["tokenSymbol"] == ["TAO"]
        assert out["genesisHash"] == "0x" + n.rn.node.db.hash_at(0).hex()
        assert out["headerLogs"][-1] == "Seal" and "PreRuntime" in out["headerLogs"]
        assert "transferKeepAlive" in out["balancesCalls"]  # calls come from the metadata
    finally:
        n.stop()
