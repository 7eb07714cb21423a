"""Running the outside clients' flows against a dev node: `dev_url(tmp_path_factory)` starts
`taochain node --dev --tmp` (a real process, 250 ms blocks) for a test module, and `run_flow(argv)`
runs one client's flow script in its own process and answers its steps, {step name: JSON line}.

The clients and their environments are made by `make install` / `make test` (the Makefile's
PSI_STAMP, ASI_STAMP and JS_STAMP, from the pinned tests/clients/requirements-*.txt and
tests/clients/js/package-lock.json); a missing one fails the test, it is never skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
JS = HERE / "js"

# Substrate's dev accounts and the flows' amounts (as tests/clients/flow_steps.py)
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
AMOUNT = 1_234_567_890

VENVS = {"psi": ROOT / ".venv-psi", "asi": ROOT / ".venv-asi"}


def python_of(client: str) -> Path:
    """The interpreter of a client's virtual environment (fails, naming the make target, when absent)."""
    py = VENVS[client] / "bin" / "python"
    if not (VENVS[client] / ".installed").is_file() or not py.exists():
        pytest.fail(f"{VENVS[client].name} is not installed: run `make install` (it builds it from "
                    f"tests/clients/requirements-{client}.txt)")
    return py


def node_js() -> list[str]:
    if not (JS / "node_modules" / "@polkadot" / "api").is_dir():
        pytest.fail("@polkadot/api is not installed: run `make install` (it runs `npm ci` in tests/clients/js)")
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (Node.js 20) is not on PATH")
    return [node, str(JS / "flow.mjs")]


def run_flow(argv: list[str], cwd: Path, timeout: float = 240) -> dict[str, dict[str, Any]]:
    """Run a flow script; its steps by name. Fails when the script printed no step at all."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd)
        stdout, stderr = r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        stdout = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr = f"timed out after {timeout} s\n" + ((e.stderr or b"").decode() if isinstance(e.stderr, bytes) else (e.stderr or ""))
    steps = {}
    for line in stdout.splitlines():
        if line.startswith('{"step"'):
            d = json.loads(line)
            steps[d["step"]] = d
    if not steps:
        pytest.fail(f"{' '.join(map(str, argv))} printed no step:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    for s in steps.values():
        s.setdefault("stderr", stderr[-1500:])
    return steps


def ok(steps: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """The step's values, failing the test with the client's own error when the step failed."""
    assert name in steps, f"step {name!r} did not run (the flow stopped before it): {sorted(steps)}"
    s = steps[name]
    assert s["ok"], f"{name}: {s.get('error')} (at {s.get('where', '?')})"
    return s


def attrs(event_attributes: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """An event's fields by name, whether the client decoded them as a dict or a list."""
    if isinstance(event_attributes, dict):
        return event_attributes
    return dict(zip(names, event_attributes, strict=True))


def rpc(url: str, method: str, params: list[Any]) -> Any:
    """One JSON-RPC call over HTTP (to read what the node itself answers)."""
    import urllib.request

    from taochain.proc import http_url

    req = urllib.request.Request(http_url(url), json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                             "params": params}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as f:
        return json.loads(f.read())["result"]
