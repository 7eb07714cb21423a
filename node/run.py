"""Run a node with its RPC server and metrics until Ctrl-C / SIGTERM, then shut down cleanly."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
from pathlib import Path

from node.metrics import NodeMetrics
from node.rpc import DEFAULT_CORS, UNSAFE_EXTERNAL_WARNING, RpcLimits, RpcServer, is_loopback
from node.rpc_api import VERSION, NodeRpc
from node.service import Node, NodeConfig
from p2p.transport import parse_multiaddr, peer_id_of
from runtime.support.keys import ED25519, Keypair, keypair_from_seed

log = logging.getLogger("taochain")


def check_bootnode(addr: str) -> None:
    """ValueError unless `addr` is a dialable /ip4/.../tcp/.../p2p/<peer id> multiaddr."""
    parse_multiaddr(addr)


def peer_id(public: bytes) -> str:
    """The libp2p peer id (base58btc, 12D3KooW...) of a node's ed25519 network key."""
    return str(peer_id_of(public))


@dataclasses.dataclass(frozen=True, slots=True)
class RunConfig:
    node: NodeConfig
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 9944
    rpc_cors: tuple[str, ...] | None = DEFAULT_CORS  # allowed browser origins; ("all",): any; None: no check
    rpc_methods: str = "auto"
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int | None = 9615  # None: no metrics endpoint
    rpc_limits: RpcLimits = RpcLimits()


class RunningNode:
    """A started node with RPC and metrics (used by `taochain node` and by in-process tests)."""

    def __init__(self, cfg: RunConfig) -> None:
        self.cfg = cfg
        self.node = Node(cfg.node)
        self.metrics = NodeMetrics(self.node, VERSION)
        self.node.import_listeners.append(self.metrics.import_seconds.observe)
        self.rpc = RpcServer(
            cfg.rpc_host, cfg.rpc_port, NodeRpc(self.node).methods(),
            cfg.rpc_limits, list(cfg.rpc_cors) if cfg.rpc_cors is not None else None, cfg.rpc_methods,
        )
        if not is_loopback(cfg.rpc_host) and cfg.rpc_methods == "unsafe":
            log.warning(UNSAFE_EXTERNAL_WARNING)

    async def start(self) -> None:
        await self.node.start()
        ncfg = self.cfg.node
        if ncfg.p2p_port is not None:
            from node.network import NetworkService
            from p2p.peers import PeerConfig

            self.node.network = NetworkService(
                self.node, node_identity(self.node), PeerConfig(ncfg.p2p_host, ncfg.p2p_port, ncfg.bootnodes)
            )
            await self.node.network.start()
        await self.rpc.start()
        log.info("Running JSON-RPC server: addr=%s:%d (HTTP and WS)", self.cfg.rpc_host, self.rpc.port)
        if self.cfg.prometheus_port is not None:
            await self.metrics.start(self.cfg.prometheus_host, self.cfg.prometheus_port)
            log.info("〽️ Prometheus exporter started at %s:%d/metrics", self.cfg.prometheus_host, self.metrics.port)

    async def stop(self) -> None:
        await self.rpc.stop()
        await self.metrics.stop()
        if self.node.network is not None:
            await self.node.network.stop()
        await self.node.stop()


def parse_node_key(data: bytes) -> bytes | None:
    """The 32-byte ed25519 seed in a node key file, as Substrate reads one: hex (64 digits; what
    `subkey generate-node-key` writes; a 0x prefix and surrounding white space are allowed) or the
    raw 32 bytes (`--bin`); None when it is neither."""
    text = data.strip()
    text = text[2:] if text[:2] in (b"0x", b"0X") else text
    if len(text) == 64:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    return data if len(data) == 32 else None


def load_node_key_file(path: str | Path) -> bytes:
    """The seed in the node key file `path` (--node-key-file, or the default secret_ed25519); a
    missing file is created with a fresh key (hex, mode 0600), as Substrate does. ValueError says
    what is wrong with the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        seed = os.urandom(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "w") as f:
            f.write(seed.hex() + "\n")
        log.info("🔑 Created a new node key in %s", path)
        return seed
    except OSError as exc:
        raise ValueError(f"cannot read the node key file {path}: {exc.strerror or exc}") from None
    seed = parse_node_key(data)
    if seed is None:
        raise ValueError(f"the node key file {path} holds neither an ed25519 secret in hex (64 digits) "
                         "nor the raw 32 bytes; write one with `subkey generate-node-key --file PATH`")
    mode = path.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        log.warning("the node key file %s is readable by others (mode %04o): chmod 600 it", path, mode)
    return seed


def node_identity(node: Node) -> Keypair:
    """The network identity: --node-key / --node-key-file, else a key kept in
    <base>/chains/<id>/network/secret_ed25519 (created on first start), else (temporary database) a
    fresh one."""
    seed = node.config.node_key
    if seed is None and node.config.base_path is not None and not node.config.in_memory:
        seed = load_node_key_file(Path(node.base_path) / "chains" / node.spec.id / "network" / "secret_ed25519")
    return keypair_from_seed(seed if seed is not None else os.urandom(32), ED25519)


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
