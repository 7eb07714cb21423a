"""A real dev node process for tests: `taochain node --dev --tmp` on free ports, 250 ms blocks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond: Callable[[], Any], timeout: float, what: str, ignore: tuple[type[BaseException], ...] = ()) -> Any:
    """Poll `cond` until it returns something true; `ignore`d exceptions count as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = cond()
        except ignore:
            v = None
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def dev_node(
    tmp_path: Path, *extra: str, chain: Path | None = None, prometheus_port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start a dev node (temporary database, 250 ms blocks); yield (ws url, process); stop it.
    `chain`: a chain-spec file instead of the dev preset (Alice authors; p2p on a free loopback port);
    `prometheus_port`: serve metrics there (default: none)."""
    from taochain.client import Client, ConnectionFailed

    port = free_port()
    log_path = tmp_path / "node.log"
    log = open(log_path, "wb")
    which = ["--dev"] if chain is None else [
        "--chain", str(chain), "--alice", "--port", str(free_port()), "--listen-host", "127.0.0.1"
    ]
    p = subprocess.Popen(
        [sys.executable, "-m", "taochain.cli", "node", *which, "--tmp", "--rpc-port", str(port),
         *(["--no-prometheus"] if prometheus_port is None else ["--prometheus-port", str(prometheus_port)]),
         "--block-time-ms", "250", *extra],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    url = f"ws://127.0.0.1:{port}"
    try:
        with Client(url, timeout=20) as c:
            wait_for(lambda: p.poll() is not None or c.header(), 30, "the node's RPC", (ConnectionFailed,))
        assert p.poll() is None, log_path.read_text()
        yield url, p
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()


def cli_runner(app: Any) -> Callable[..., Any]:
    """`run(*args, code=0)`: invoke the typer `app` in-process, check the exit code, and answer the
    last output line as JSON when `--json` is given (exit 0 or 1), else the output text."""
    import json

    from typer.testing import CliRunner

    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Any:
        r = runner.invoke(app, list(args))
        assert r.exit_code == code, r.output
        if "--json" in args and code in (0, 1):
            return json.loads(r.output.strip().splitlines()[-1])
        return r.output

    return run
