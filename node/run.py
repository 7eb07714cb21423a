"""Run a node with its RPC server and metrics until Ctrl-C / SIGTERM, then shut down cleanly."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal

from node.metrics import NodeMetrics
from node.rpc import RpcLimits, RpcServer
from node.rpc_api import VERSION, NodeRpc
from node.service import Node, NodeConfig

log = logging.getLogger("taochain")


@dataclasses.dataclass(frozen=True, slots=True)
class RunConfig:
    node: NodeConfig
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 9944
    rpc_cors: tuple[str, ...] | None = None
    rpc_methods: str = "auto"
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int | None = 9615  # None: no metrics endpoint
    rpc_max_connections: int = 100


class RunningNode:
    """A started node with RPC and metrics (used by `taochain node` and by in-process tests)."""

    def __init__(self, cfg: RunConfig) -> None:
        self.cfg = cfg
        self.node = Node(cfg.node)
        self.metrics = NodeMetrics(self.node, VERSION)
        self.node.import_listeners.append(self.metrics.import_seconds.observe)
        self.rpc = RpcServer(
            cfg.rpc_host, cfg.rpc_port, NodeRpc(self.node).methods(),
            RpcLimits(max_connections=cfg.rpc_max_connections),
            list(cfg.rpc_cors) if cfg.rpc_cors is not None else None, cfg.rpc_methods,
        )

    async def start(self) -> None:
        await self.node.start()
        await self.rpc.start()
        log.info("Running JSON-RPC server: addr=%s:%d (HTTP and WS)", self.cfg.rpc_host, self.rpc.port)
        if self.cfg.prometheus_port is not None:
            await self.metrics.start(self.cfg.prometheus_host, self.cfg.prometheus_port)
            log.info("〽️ Prometheus exporter started at %s:%d/metrics", self.cfg.prometheus_host, self.metrics.port)

    async def stop(self) -> None:
        await self.rpc.stop()
        await self.metrics.stop()
        await self.node.stop()


async def serve(cfg: RunConfig) -> None:
    running = RunningNode(cfg)
    await running.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("Shutting down: stopping RPC, authoring and closing the database…")
        await running.stop()
        log.info("Goodbye.")


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
