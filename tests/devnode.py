"""Dev nodes for tests, 250 ms blocks: a real process (`dev_node`: `taochain node --dev --tmp` on free
ports) or one in this process on its own event loop (`BackgroundNode`: memory database, real RPC
socket; `node_client` yields one with a Client on it; `with_node(fn)` runs `await fn(node, client)`
against one on a fresh event loop). `free_port` and `wait_for(cond, timeout, what, ignore=())` are
taochain.proc's `free_port` and `wait_until`."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from taochain.proc import free_port, start_node
from taochain.proc import wait_until as wait_for

__all__ = ["BackgroundNode", "cli_runner", "dev_node", "free_port", "node_client", "wait_for", "with_node"]

ROOT = Path(__file__).resolve().parents[1]


class BackgroundNode:
    """A RunningNode (dev chain, Alice authoring, memory database) on its own event loop in a daemon
    thread; `url` is its RPC endpoint, `stop()` ends it."""

    def __init__(self, prometheus_port: int | None = None, rpc_methods: str = "auto") -> None:
        import asyncio
        import threading

        from node.run import RunConfig, RunningNode
        from node.service import NodeConfig

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        cfg = RunConfig(
            node=NodeConfig(chain="dev", key_uri="//Alice", in_memory=True, block_time_ms=250),
            rpc_port=0,
            prometheus_port=prometheus_port,
            rpc_methods=rpc_methods,
        )
        self.rn = RunningNode(cfg)
        asyncio.run_coroutine_threadsafe(self.rn.start(), self.loop).result(30)
        self.url = self.rn.rpc.url

    def stop(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.rn.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@contextlib.contextmanager
def node_client(**kw: Any) -> Iterator[tuple[Any, BackgroundNode]]:
    """A BackgroundNode (`kw`: its options) and a taochain Client on it; both closed after."""
    from taochain.client import Client

    n = BackgroundNode(**kw)
    c = Client(n.url, timeout=20)
    try:
        yield c, n
    finally:
        c.close()
        n.stop()


def with_node(fn: Callable[[Any, Any], Any], chain: str = "dev", key_uri: str | None = "//Alice", **node_kw: Any) -> Any:
    """Run `await fn(running_node, async_client)` against an in-memory node (250 ms blocks, RPC on
    a free port, metrics on) on a fresh event loop; `node_kw`: NodeConfig options."""
    import asyncio

    from node.run import RunConfig, RunningNode
    from node.service import NodeConfig
    from taochain.client import AsyncClient

    async def main() -> Any:
        cfg = RunConfig(
            node=NodeConfig(chain=chain, key_uri=key_uri, in_memory=True, block_time_ms=250, **node_kw),
            rpc_port=0,
            prometheus_port=0,
        )
        rn = RunningNode(cfg)
        await rn.start()
        client = AsyncClient(rn.rpc.url, timeout=20)
        try:
            return await fn(rn, client)
        finally:
            await client.close()
            await rn.stop()

    return asyncio.run(main())


@contextlib.contextmanager
def dev_node(
    tmp_path: Path, *extra: str, chain: Path | None = None, prometheus_port: int | None = None, dev: bool = True
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start a dev node (temporary database, 250 ms blocks); yield (ws url, process); stop it.
    `chain`: a chain-spec file instead of the dev preset (Alice authors; p2p on a free loopback port);
    `prometheus_port`: serve metrics there (default: none); `dev=False`: the dev chain without
    `--dev` (`--chain dev --alice`), so with a plain node's defaults (RPC origins...)."""
    from taochain.client import Client, ConnectionFailed

    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "node.log"
    log_path.unlink(missing_ok=True)
    if chain is not None:
        which = ["--chain", str(chain), "--alice", "--port", str(free_port()), "--listen-host", "127.0.0.1"]
    else:
        which = ["--dev"] if dev else ["--chain", "dev", "--alice"]
    p = start_node(
        [*which, "--tmp", *(["--no-prometheus"] if prometheus_port is None else ["--prometheus-port", str(prometheus_port)]),
         "--block-time-ms", "250", *extra],
        log_path, cwd=ROOT,
    )
    url = p.url
    try:
        with Client(url, timeout=20) as c:
            wait_for(lambda: p.poll() is not None or c.header(), 30, "the node's RPC", (ConnectionFailed,))
        assert p.poll() is None, log_path.read_text()
        yield url, p
    finally:
        p.stop(20)


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
