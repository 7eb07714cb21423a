"""`taochain testnet`: launch a local multi-node testnet (zombienet-style) and watch it.

    taochain testnet --nodes 4                      # Alice, Bob, Charlie, Dave; Ctrl-C stops them all
    taochain testnet --config net.toml --keep       # nodes from a TOML file; keep the databases and logs
    taochain testnet --nodes 2 --duration 30 --json # for scripts: JSON plan and status lines, then stop
    taochain testnet --demo                         # 3 nodes + the live demo subnet (`make run`)
    taochain testnet --demo --copycat --epochs 4    # ... with a weight-copying validator; stop after 4 epochs

`--demo` (taochain.demo_subnet) also creates subnet 1 with the SDK, runs digit-classifier miners and
validators on it as processes and shows the metagraph per epoch; --miners, --validators, --copycat,
--tempo, --epochs, --samples, --axon-port-base and --no-commit-reveal shape it.

Node i is authority i of `runtime.presets.local(n)` (Alice, Bob, Charlie, Dave, Eve, Ferdie, Node6, ...),
runs as its own `taochain node` process (own session, own log file) on rpc_port_base+i,
p2p_port_base+i and prometheus_port_base+i, with a deterministic network identity
(blake2b-256(b"taochain-testnet-node-key" + name); its secret in <its base path>/node-key, mode 0600,
passed with --node-key-file, never on a command line) and every other node as a bootnode. Every
node dies with the launcher, however the launcher dies (node/lifeline.py); a busy port is refused
with the command that shows what holds it.

The chain's randomness beacon is a local t-of-n threshold beacon (node/beacon.py) dealt afresh for
each launch: random polynomial coefficients (t = a majority of the nodes unless --beacon-threshold),
the group key, the share keys, t, the launch time and the period (--beacon-period, 3 s by default)
go in the chain spec's `drand` section, and node i's secret share in <its base path>/beacon-share.json
(mode 0600), passed with --beacon-share.

The TOML file:

    [settings]
    block_time_ms = 1000        # optional; also rpc_port_base, p2p_port_base, prometheus_port_base
    beacon_period = 3           # optional: seconds per beacon round; beacon_threshold = t (default n//2+1)

    [[nodes]]
    name = "alice"
    key_uri = "//Alice"         # optional: "//<Name>"
    rpc_port = 9944             # optional: rpc_port_base + index; also p2p_port, prometheus_port
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import typer

from node.lifeline import parent_death_preexec
from runtime.presets import ChainSpec, DrandSpec, default_threshold, local
from runtime.support import bls
from runtime.support.hashing import blake2_256
from runtime.support.keys import DEV_ACCOUNTS, InvalidKey, b58encode, keypair_from_seed, keypair_from_uri

NODE_KEY_DOMAIN = b"taochain-testnet-node-key"
MAX_NODES = 32
MIN_BLOCK_TIME_MS = 250  # what `taochain node --block-time-ms` accepts
NETWORK_FLAGS = ("--port", "--bootnodes", "--node-key-file")
# libp2p PeerId of an ed25519 key: identity multihash (0x00, 36 bytes) of the protobuf PublicKey
# {Type: Ed25519 (0x08 0x01), Data: 32 bytes (0x12 0x20)}.
_ED25519_PEER_ID_PREFIX = bytes([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])


# --- planning ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class NodePlan:
    """Where and how one node of the testnet runs."""

    name: str
    key_uri: str
    node_key_seed: bytes
    peer_id: str
    rpc_port: int
    p2p_port: int
    prometheus_port: int
    base_path: Path
    log_path: Path
    bootnodes: tuple[str, ...] = ()
    beacon_index: int | None = None  # the node's local-beacon share (1-based), dealt by plan_from_config
    beacon_secret: int | None = dataclasses.field(default=None, repr=False)

    @property
    def node_key_hex(self) -> str:
        return self.node_key_seed.hex()

    @property
    def beacon_share_path(self) -> Path:
        return self.base_path / "beacon-share.json"

    @property
    def node_key_path(self) -> Path:
        """The network identity's secret, hex (as `subkey generate-node-key` writes it), mode 0600."""
        return self.base_path / "node-key"

    @property
    def multiaddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{self.peer_id}"

    @property
    def rpc_url(self) -> str:
        return f"ws://127.0.0.1:{self.rpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}/metrics"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "key_uri": self.key_uri, "peer_id": self.peer_id, "multiaddr": self.multiaddr,
            "rpc_port": self.rpc_port, "p2p_port": self.p2p_port, "prometheus_port": self.prometheus_port,
            "rpc_url": self.rpc_url, "metrics_url": self.metrics_url,
            "base_path": str(self.base_path), "log_path": str(self.log_path), "bootnodes": list(self.bootnodes),
            "beacon_share": str(self.beacon_share_path) if self.beacon_secret is not None else None,
            "node_key_file": str(self.node_key_path),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class NodeConfig:
    """One `[[nodes]]` entry of a testnet config; ports left out follow the bases."""

    name: str
    key_uri: str
    rpc_port: int | None = None
    p2p_port: int | None = None
    prometheus_port: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TestnetConfig:
    """A whole testnet: settings and nodes (from `load_config` or `default_config`)."""

    __test__ = False  # not a pytest test class

    nodes: tuple[NodeConfig, ...]
    block_time_ms: int = 1000
    rpc_port_base: int = 9944
    p2p_port_base: int = 30333
    prometheus_port_base: int = 9615
    beacon_period: int = 3  # seconds per round of the local beacon
    beacon_threshold: int | None = None  # None: default_threshold(len(nodes))


def peer_id_of(public: bytes) -> str:
    """The libp2p peer id (base58btc) of an ed25519 public key; p2p.transport's when it exists."""
    try:
        from p2p.transport import peer_id_of as transport_peer_id_of  # noqa: PLC0415
    except ImportError:
        return b58encode(_ED25519_PEER_ID_PREFIX + bytes(public))
    return str(transport_peer_id_of(public))


def node_key_seed(name: str) -> bytes:
    """The deterministic 32-byte network-identity seed of the testnet node `name`."""
    return blake2_256(NODE_KEY_DOMAIN + name.encode())


def authority_names(n: int) -> tuple[str, ...]:
    """The names of `runtime.presets.local(n)`'s authorities: Alice..Ferdie, then Node6, Node7, ..."""
    return tuple(DEV_ACCOUNTS[:n]) + tuple(f"Node{i}" for i in range(len(DEV_ACCOUNTS), n))


def default_config(
    nodes: int, *, rpc_port_base: int = 9944, p2p_port_base: int = 30333,
    prometheus_port_base: int = 9615, block_time_ms: int = 1000, beacon_period: int = 3,
    beacon_threshold: int | None = None,
) -> TestnetConfig:
    if not 1 <= nodes <= MAX_NODES:
        raise ValueError(f"nodes must be between 1 and {MAX_NODES}, got {nodes}")
    return TestnetConfig(
        nodes=tuple(NodeConfig(name, "//" + name) for name in authority_names(nodes)),
        block_time_ms=block_time_ms, rpc_port_base=rpc_port_base, p2p_port_base=p2p_port_base,
        prometheus_port_base=prometheus_port_base, beacon_period=beacon_period, beacon_threshold=beacon_threshold,
    )


def plan_testnet(
    nodes: int, base_dir: Path, rpc_port_base: int = 9944, p2p_port_base: int = 30333,
    prometheus_port_base: int = 9615, block_time_ms: int = 1000, beacon_period: int = 3,
    beacon_threshold: int | None = None,
) -> tuple[ChainSpec, list[NodePlan]]:
    """The chain spec (local(nodes), block_time_ms slots, a freshly dealt beacon) and one NodePlan
    per authority."""
    cfg = default_config(
        nodes, rpc_port_base=rpc_port_base, p2p_port_base=p2p_port_base,
        prometheus_port_base=prometheus_port_base, block_time_ms=block_time_ms, beacon_period=beacon_period,
        beacon_threshold=beacon_threshold,
    )
    return plan_from_config(cfg, base_dir)


def deal_beacon(n: int, threshold: int, period: int, genesis_time: int | None = None) -> tuple[DrandSpec, list[int]]:
    """A fresh local t-of-n beacon: its chain-spec section (dev_seed False) and the n secret shares
    (share i belongs to authority i-1), from random coefficients."""
    coeffs = [1 + secrets.randbelow(bls.R - 1) for _ in range(threshold)]
    group_pk, shares, share_pks = bls.deal_shares(coeffs, n)
    start = int(time.time()) if genesis_time is None else genesis_time
    return DrandSpec("local", group_pk, start, period, 216_000, threshold, tuple(share_pks), False), shares


def plan_from_config(cfg: TestnetConfig, base_dir: Path) -> tuple[ChainSpec, list[NodePlan]]:
    """The chain spec (local(n) with the configured nodes' keys as authorities and a freshly dealt
    beacon starting now) and the node plans (each with its beacon share)."""
    _check_config(cfg)
    base_dir = Path(base_dir)
    keys = []
    for i, n in enumerate(cfg.nodes):
        try:
            keys.append(keypair_from_uri(n.key_uri).public)
        except InvalidKey as exc:
            raise ValueError(f"nodes[{i}].key_uri: {exc}") from None
    count = len(cfg.nodes)
    threshold = cfg.beacon_threshold if cfg.beacon_threshold is not None else default_threshold(count)
    drand, shares = deal_beacon(count, threshold, cfg.beacon_period)
    spec = dataclasses.replace(local(count), authorities=tuple(keys), drand=drand).with_slot_duration(cfg.block_time_ms)
    plans = []
    for i, n in enumerate(cfg.nodes):
        seed = node_key_seed(n.name)
        plans.append(NodePlan(
            name=n.name, key_uri=n.key_uri, node_key_seed=seed,
            peer_id=peer_id_of(keypair_from_seed(seed).public),
            rpc_port=n.rpc_port if n.rpc_port is not None else cfg.rpc_port_base + i,
            p2p_port=n.p2p_port if n.p2p_port is not None else cfg.p2p_port_base + i,
            prometheus_port=n.prometheus_port if n.prometheus_port is not None else cfg.prometheus_port_base + i,
            base_path=base_dir / n.name.lower(), log_path=base_dir / f"{n.name}.log",
            beacon_index=i + 1, beacon_secret=shares[i],
        ))
    _check_ports(plans)
    return spec, [
        dataclasses.replace(p, bootnodes=tuple(q.multiaddr for q in plans if q is not p)) for p in plans
    ]


def _check_config(cfg: TestnetConfig) -> None:
    if not 1 <= len(cfg.nodes) <= MAX_NODES:
        raise ValueError(f"nodes: a testnet has 1 to {MAX_NODES} nodes, got {len(cfg.nodes)}")
    if cfg.block_time_ms < MIN_BLOCK_TIME_MS:
        raise ValueError(f"block_time_ms must be at least {MIN_BLOCK_TIME_MS}, got {cfg.block_time_ms}")
    if cfg.beacon_period < 1:
        raise ValueError(f"beacon_period must be at least 1 second, got {cfg.beacon_period}")
    if cfg.beacon_threshold is not None and not 1 <= cfg.beacon_threshold <= len(cfg.nodes):
        raise ValueError(f"beacon_threshold must be between 1 and the number of nodes ({len(cfg.nodes)}), "
                         f"got {cfg.beacon_threshold}")
    for field in ("rpc_port_base", "p2p_port_base", "prometheus_port_base"):
        base = getattr(cfg, field)
        if not 1 <= base or base + len(cfg.nodes) - 1 > 65535:
            raise ValueError(f"{field} {base} leaves no room for {len(cfg.nodes)} ports below 65536")
    seen: dict[str, int] = {}
    for i, n in enumerate(cfg.nodes):
        low = n.name.lower()
        if low in seen:
            raise ValueError(f"nodes[{i}].name: {n.name!r} is already the name of nodes[{seen[low]}]")
        seen[low] = i


def _check_ports(plans: Sequence[NodePlan]) -> None:
    used: dict[int, str] = {}
    for p in plans:
        for what in ("rpc_port", "p2p_port", "prometheus_port"):
            port = getattr(p, what)
            if not 1 <= port <= 65535:
                raise ValueError(f"{p.name}: {what} {port} is not a TCP port")
            if port in used:
                raise ValueError(f"{p.name}: {what} {port} is already {used[port]}")
            used[port] = f"{p.name}'s {what}"


# --- config files --------------------------------------------------------------------------------

_SETTINGS = ("block_time_ms", "rpc_port_base", "p2p_port_base", "prometheus_port_base", "beacon_period",
             "beacon_threshold")
_NODE_FIELDS = ("name", "key_uri", "rpc_port", "p2p_port", "prometheus_port")


def load_config(path: str | Path) -> TestnetConfig:
    """Read a zombienet-like TOML testnet config; ValueError names the file and the bad field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def parse_config(data: dict[str, Any]) -> TestnetConfig:
    """A TestnetConfig from parsed TOML (see `load_config`)."""
    unknown = sorted(set(data) - {"settings", "nodes"})
    if unknown:
        raise ValueError(f"unknown section {unknown[0]!r} (expected [settings] and [[nodes]])")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ValueError("settings must be a table ([settings])")
    for key in settings:
        if key not in _SETTINGS:
            raise ValueError(f"settings.{key}: unknown setting (expected one of {', '.join(_SETTINGS)})")
    kw = {key: _int(settings[key], f"settings.{key}") for key in _SETTINGS if key in settings}
    if kw.get("block_time_ms", MIN_BLOCK_TIME_MS) < MIN_BLOCK_TIME_MS:
        raise ValueError(f"settings.block_time_ms must be at least {MIN_BLOCK_TIME_MS}")
    for key in ("rpc_port_base", "p2p_port_base", "prometheus_port_base"):
        if key in kw and not 1 <= kw[key] <= 65535:
            raise ValueError(f"settings.{key} must be a TCP port (1..65535), got {kw[key]}")
    raw_nodes = data.get("nodes")
    if raw_nodes is None:
        raise ValueError("nodes: at least one [[nodes]] entry is needed")
    if not isinstance(raw_nodes, list) or not all(isinstance(n, dict) for n in raw_nodes):
        raise ValueError("nodes must be an array of tables ([[nodes]])")
    if not 1 <= len(raw_nodes) <= MAX_NODES:
        raise ValueError(f"nodes: a testnet has 1 to {MAX_NODES} nodes, got {len(raw_nodes)}")
    nodes = []
    for i, raw in enumerate(raw_nodes):
        for key in raw:
            if key not in _NODE_FIELDS:
                raise ValueError(f"nodes[{i}].{key}: unknown field (expected one of {', '.join(_NODE_FIELDS)})")
        name = raw.get("name")
        if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError(f"nodes[{i}].name must be a non-empty string of letters, digits, '-' or '_'")
        key_uri = raw.get("key_uri", "//" + name[0].upper() + name[1:])
        if not isinstance(key_uri, str):
            raise ValueError(f"nodes[{i}].key_uri must be a string (a secret URI such as //Alice)")
        try:
            keypair_from_uri(key_uri)
        except InvalidKey as exc:
            raise ValueError(f"nodes[{i}].key_uri: {exc}") from None
        ports = {}
        for key in ("rpc_port", "p2p_port", "prometheus_port"):
            if key in raw:
                ports[key] = _int(raw[key], f"nodes[{i}].{key}")
                if not 1 <= ports[key] <= 65535:
                    raise ValueError(f"nodes[{i}].{key} must be a TCP port (1..65535), got {ports[key]}")
        nodes.append(NodeConfig(name=name, key_uri=key_uri, **ports))
    cfg = TestnetConfig(nodes=tuple(nodes), **kw)
    _check_config(cfg)
    return cfg


def _int(v: Any, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{field} must be an integer, got {v!r}")
    return v


# --- ports and the node command ------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    """True when nothing listens on TCP `port` (any interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if hasattr(socket, "SO_REUSEADDR") and os.name == "posix":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def busy_ports(plans: Iterable[NodePlan]) -> list[tuple[int, str]]:
    """(port, "node's what") for each planned port that is already taken."""
    out = []
    for p in plans:
        for what in ("rpc_port", "p2p_port", "prometheus_port"):
            port = getattr(p, what)
            if not port_is_free(port):
                out.append((port, f"{p.name}'s {what.replace('_', ' ')}"))
    return out


def busy_ports_message(busy: Sequence[tuple[int, str]], fix: str) -> str:
    """'port P (what) is in use; see what holds it: `ss ...` (or `lsof ...`); <fix>' for busy ports."""
    ports = [port for port, _ in busy]
    listed = ", ".join(f"{port} ({what})" for port, what in busy)
    if len(ports) == 1:
        ss = f"ss -ltnp 'sport = :{ports[0]}'"
        head = f"port {listed} is in use; see what holds it"
    else:
        ss = "ss -ltnp '( " + " or ".join(f"sport = :{port}" for port in ports) + " )'"
        head = f"ports {listed} are in use; see what holds them"
    lsof = "lsof " + " ".join(f"-i :{port}" for port in ports)
    return f"{head}: `{ss}` (or `{lsof}`); {fix}"


def node_cli_flags(app: typer.Typer | None = None) -> frozenset[str]:
    """The option names `taochain node` accepts (so that the network flags are passed only when known)."""
    if app is None:
        from taochain.cli import app  # noqa: PLC0415
    cmd = typer.main.get_command(app)
    node = getattr(cmd, "commands", {}).get("node")
    if node is None:
        return frozenset()
    return frozenset(opt for param in node.params for opt in (*param.opts, *param.secondary_opts))


def node_command(plan: NodePlan, spec_path: Path, flags: frozenset[str] | None = None) -> list[str]:
    """The argv that starts `plan`'s node; network flags only where `flags` (the node's options) has them."""
    def has(flag: str) -> bool:
        return flags is None or flag in flags

    argv = [
        sys.executable, "-m", "taochain.cli", "node", "--chain", str(spec_path), "--name", plan.name,
        "--key-uri", plan.key_uri, "--base-path", str(plan.base_path), "--rpc-port", str(plan.rpc_port),
        "--prometheus-port", str(plan.prometheus_port),
    ]
    if has("--port"):
        argv += ["--port", str(plan.p2p_port)]
    if flags is not None and "--listen-host" in flags:  # a local testnet: loopback only
        argv += ["--listen-host", "127.0.0.1"]
    if has("--node-key-file"):  # by file: a secret on the command line is in every local user's `ps`
        argv += ["--node-key-file", str(plan.node_key_path)]
    if has("--bootnodes"):
        for addr in plan.bootnodes:
            argv += ["--bootnodes", addr]
    if plan.beacon_secret is not None and has("--beacon-share"):
        argv += ["--beacon-share", str(plan.beacon_share_path)]
    return argv


def write_node_key(plan: NodePlan) -> None:
    """Write `plan`'s network-identity secret (hex) to its node-key file, mode 0600."""
    plan.base_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(plan.node_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # also when the file was there with another mode
        f.write(plan.node_key_hex + "\n")


def write_beacon_share(plan: NodePlan) -> None:
    """Write `plan`'s beacon share file (mode 0600) if it has a share."""
    if plan.beacon_secret is None or plan.beacon_index is None:
        return
    from node.beacon import write_share_file  # noqa: PLC0415

    write_share_file(plan.beacon_share_path, plan.beacon_index, plan.beacon_secret)


# --- the running testnet -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    state: str  # "starting" | "up" | "down" | "exited"
    best: int | None = None
    finalized: int | None = None
    peers: int | None = None
    pid: int | None = None
    returncode: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class NodeExit:
    """A node that exited while the testnet was meant to be running."""

    name: str
    returncode: int
    log_tail: str


def rpc_call(port: int, payload: Any, timeout: float) -> Any:
    """One JSON-RPC HTTP POST to 127.0.0.1:port; the decoded answer."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}", data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a local URL
        return json.loads(resp.read())


def _number(header: Any) -> int | None:
    if isinstance(header, dict) and isinstance(header.get("number"), str):
        return int(header["number"], 16)
    return None


def query_node(port: int, timeout: float = 0.5) -> tuple[int | None, int | None, int | None]:
    """(best, finalized, peers) of the node whose RPC listens on `port`; raises OSError/ValueError."""
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "chain_getHeader", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "chain_getFinalizedHead", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "system_health", "params": []},
    ]
    answers = rpc_call(port, batch, timeout)
    if not isinstance(answers, list):
        raise ValueError(f"unexpected answer {answers!r}")
    by_id = {a.get("id"): a.get("result") for a in answers if isinstance(a, dict)}
    best = _number(by_id.get(1))
    finalized = None
    if isinstance(by_id.get(2), str):
        fin = rpc_call(port, {"jsonrpc": "2.0", "id": 4, "method": "chain_getHeader", "params": [by_id[2]]}, timeout)
        finalized = _number(fin.get("result") if isinstance(fin, dict) else None)
    health = by_id.get(3)
    peers = health.get("peers") if isinstance(health, dict) else None
    return best, finalized, peers if isinstance(peers, int) else None


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Testnet:
    """Run the planned nodes as separate processes; `status()` polls them, `stop()` ends them.

    `base_dir` is removed by `stop()` unless `keep`: wholly when this object created it, otherwise
    only what it put there (the chain spec, the nodes' base paths and logs). The nodes die with the
    thread that ran `start()` (PR_SET_PDEATHSIG): run it from the main thread.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, spec: ChainSpec, plans: Sequence[NodePlan], base_dir: Path, *, keep: bool = False,
        node_flags: frozenset[str] | None = None, env: dict[str, str] | None = None,
        owns_base_dir: bool = False,
    ) -> None:
        self.spec = spec
        self.plans = list(plans)
        self.base_dir = Path(base_dir)
        self.keep = keep
        self.node_flags = node_flags
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.spec_path = self.base_dir / "chain-spec.json"
        self.procs: dict[str, subprocess.Popen] = {}
        self.exits: dict[str, NodeExit] = {}
        self._logs: list[Any] = []
        self._answered: set[str] = set()
        self._created_base_dir = owns_base_dir
        self._stopping = False
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(16, max(1, len(self.plans))))

    # ---- lifecycle ----

    def start(self) -> None:
        """Check the ports, write the chain spec, start every node; OSError/ValueError when it cannot."""
        busy = busy_ports(self.plans)
        if busy:
            raise OSError(busy_ports_message(busy, "stop it (a testnet left running?) or pick other ports "
                                             "(--rpc-port-base, --p2p-port-base, --prometheus-port-base)"))
        if not self.base_dir.exists():
            self._created_base_dir = True
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.spec_path.write_text(self.spec.dumps())
        try:
            for p in self.plans:
                p.base_path.mkdir(parents=True, exist_ok=True)
                write_node_key(p)
                write_beacon_share(p)
                log = open(p.log_path, "ab")
                self._logs.append(log)
                # own session (a terminal's Ctrl-C reaches the launcher only, which stops the nodes
                # in order), yet killed by the kernel when the launcher dies, even by SIGKILL
                self.procs[p.name] = subprocess.Popen(
                    node_command(p, self.spec_path, self.node_flags), stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
                    preexec_fn=parent_death_preexec(),  # noqa: PLW1509 - only prctl and getppid run there
                )
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> Testnet:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    def check_exits(self) -> list[NodeExit]:
        """Nodes that exited since the last call (with their log tails)."""
        new = []
        for p in self.plans:
            proc = self.procs.get(p.name)
            if proc is None or p.name in self.exits or self._stopping:
                continue
            rc = proc.poll()
            if rc is not None:
                self.exits[p.name] = e = NodeExit(p.name, rc, log_tail(p.log_path))
                new.append(e)
        return new

    def alive(self) -> int:
        return sum(1 for proc in self.procs.values() if proc.poll() is None)

    def status(self, timeout: float = 0.5) -> list[NodeStatus]:
        """Every node's best and finalized block numbers and peers, polled in parallel."""
        return list(self._pool.map(lambda p: self._status_of(p, timeout), self.plans))

    def _status_of(self, plan: NodePlan, timeout: float) -> NodeStatus:
        proc = self.procs.get(plan.name)
        if proc is None:
            return NodeStatus(plan.name, "down")
        rc = proc.poll()
        if rc is not None:
            return NodeStatus(plan.name, "exited", pid=proc.pid, returncode=rc)
        try:
            best, fin, peers = query_node(plan.rpc_port, timeout)
        except (OSError, ValueError, urllib.error.URLError):
            state = "down" if plan.name in self._answered else "starting"
            return NodeStatus(plan.name, state, pid=proc.pid)
        self._answered.add(plan.name)
        return NodeStatus(plan.name, "up", best, fin, peers, proc.pid)

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGINT every node, wait up to `timeout` s, kill what is left; remove base_dir unless keep."""
        self._stopping = True
        try:
            for proc in self.procs.values():
                if proc.poll() is None:
                    try:
                        proc.send_signal(signal.SIGINT)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + timeout
            try:
                for proc in self.procs.values():
                    try:
                        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        pass
            finally:  # also on a second Ctrl-C: kill what did not stop
                for proc in self.procs.values():
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
        finally:
            for log in self._logs:
                log.close()
            self._logs.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            if not self.keep:
                self._remove_files()
        return {name: proc.returncode for name, proc in self.procs.items()}

    def _remove_files(self) -> None:
        if self._created_base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            return
        for p in self.plans:
            shutil.rmtree(p.base_path, ignore_errors=True)
            p.log_path.unlink(missing_ok=True)
        self.spec_path.unlink(missing_ok=True)


# --- the command ---------------------------------------------------------------------------------


def _short(peer_id: str) -> str:
    return peer_id if len(peer_id) <= 16 else f"{peer_id[:8]}…{peer_id[-6:]}"


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def report_start_error(exc: Exception, as_json: bool) -> int:
    """A launch that failed (a busy port, a bad config): one line (or a JSON error event); exit 1."""
    from taochain.cli_common import console  # noqa: PLC0415

    if as_json:
        _emit({"event": "error", "message": str(exc)})
    else:
        console.print(f"[red]error:[/red] {exc}")
    return 1


def _launch_table(net: Testnet) -> Any:
    from rich.table import Table  # noqa: PLC0415

    t = Table(title=f"taochain testnet: {len(net.plans)} nodes, {net.spec.slot_duration_ms} ms blocks",
              caption=f"chain spec, databases and logs in {net.base_dir}")
    for col in ("name", "peer id", "RPC", "metrics", "log"):
        t.add_column(col, overflow="fold")
    for p in net.plans:
        log = p.log_path.relative_to(net.base_dir) if p.log_path.is_relative_to(net.base_dir) else p.log_path
        t.add_row(p.name, _short(p.peer_id), p.rpc_url, p.metrics_url, str(log))
    return t


_STATE_STYLE = {"up": "green", "starting": "yellow", "down": "red", "exited": "red"}


def _status_table(statuses: Sequence[NodeStatus], elapsed: float) -> Any:
    from rich.table import Table  # noqa: PLC0415

    t = Table(title=f"running {elapsed:,.0f} s — Ctrl-C stops every node")
    for col, justify in (("name", "left"), ("best", "right"), ("finalized", "right"), ("peers", "right"),
                         ("state", "left")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    def num(v: int | None) -> str:
        return "-" if v is None else f"#{v}"

    for s in statuses:
        state = s.state if s.returncode is None else f"{s.state} ({s.returncode})"
        t.add_row(s.name, num(s.best), num(s.finalized), "-" if s.peers is None else str(s.peers),
                  f"[{_STATE_STYLE.get(s.state, 'white')}]{state}[/]")
    return t


def stop_signals_interrupt() -> Callable[[], None]:
    """Make SIGTERM and SIGINT raise KeyboardInterrupt (Ctrl-C's path: the launcher stops its
    processes in order); returns what puts the old handlers back. SIGINT too, as the node does: a
    launcher started in the background of a script inherits SIGINT ignored, and would otherwise
    leave its nodes running when told to stop."""
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    for sig in old:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore


def run_testnet(net: Testnet, duration: float | None, as_json: bool) -> int:
    """Start `net`, show it until `duration` s have passed or Ctrl-C, stop it; the exit code."""
    from taochain.cli_common import console  # noqa: PLC0415

    interrupted = False
    restore = stop_signals_interrupt()
    try:
        try:
            net.start()
        except (OSError, ValueError) as exc:
            return report_start_error(exc, as_json)
        missing = [f for f in NETWORK_FLAGS if net.node_flags is not None and f not in net.node_flags]
        if as_json:
            _emit({"event": "plan", "base_dir": str(net.base_dir), "chain_spec": str(net.spec_path),
                   "block_time_ms": net.spec.slot_duration_ms, "network_flags_missing": missing,
                   "nodes": [{**p.to_json(), "pid": net.procs[p.name].pid} for p in net.plans]})
        else:
            console.print(_launch_table(net))
            if missing:
                console.print(f"[yellow]note:[/yellow] `taochain node` has no {', '.join(missing)} yet: "
                              "the nodes run unconnected")
        interrupted = _watch(net, duration, as_json, console)
        if not as_json and not console.is_terminal:
            console.line()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            codes = net.stop()
        finally:
            restore()
    failed = sorted(net.exits)
    if as_json:
        _emit({"event": "stopped", "interrupted": interrupted, "returncodes": codes, "failed": failed,
               "kept": str(net.base_dir) if net.keep else None})
    else:
        why = "Ctrl-C: " if interrupted else ""
        console.print(f"{why}stopped {len(codes)} node{'s' if len(codes) != 1 else ''} "
                      f"({', '.join(f'{n}: {c}' for n, c in codes.items())})")
        if net.keep:
            console.print(f"kept {net.base_dir}")
    return 1 if failed else 0


def _watch(net: Testnet, duration: float | None, as_json: bool, console: Any) -> bool:
    """Poll and show the nodes once a second; True when stopped by Ctrl-C."""
    import contextlib  # noqa: PLC0415

    from rich.live import Live  # noqa: PLC0415
    from rich.panel import Panel  # noqa: PLC0415

    start = time.monotonic()
    deadline = None if duration is None else start + duration
    live_cm = contextlib.nullcontext() if as_json else Live(console=console, refresh_per_second=4, transient=False)
    try:
        with live_cm as live:
            while True:
                tick = time.monotonic()
                statuses = net.status(timeout=min(0.8, 0.5 + 0.05 * len(net.plans)))
                for e in net.check_exits():
                    if as_json:
                        _emit({"event": "exited", "name": e.name, "returncode": e.returncode, "log_tail": e.log_tail})
                    else:
                        live.console.print(Panel(e.log_tail or "(empty log)",
                                                 title=f"{e.name} exited with code {e.returncode}",
                                                 border_style="red"))
                if as_json:
                    _emit({"event": "status", "elapsed": round(tick - start, 2),
                           "nodes": [s.to_json() for s in statuses]})
                else:
                    live.update(_status_table(statuses, tick - start))
                if net.alive() == 0:
                    return False
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                wake = tick + 1.0 if deadline is None else min(tick + 1.0, deadline)
                time.sleep(max(0.0, wake - now))
    except KeyboardInterrupt:
        return True


def register(app: typer.Typer) -> None:
    """Add the `testnet` command to `app` (once)."""
    if any(c.name == "testnet" for c in app.registered_commands):
        return

    @app.command("testnet")
    def testnet_cmd(
        nodes: int | None = typer.Option(None, "--nodes", "-n", min=1, max=MAX_NODES,
                                         help="authorities: Alice, Bob, ... [4; 3 with --demo]"),
        base_dir: str | None = typer.Option(None, "--base-dir", help="databases, logs, chain spec (default: a temp dir)"),
        block_time_ms: int | None = typer.Option(None, "--block-time-ms", help="slot duration (>= 250; default 1000)"),
        rpc_port_base: int | None = typer.Option(None, "--rpc-port-base", help="node i: RPC on base+i [9944]"),
        p2p_port_base: int | None = typer.Option(None, "--p2p-port-base", help="node i: p2p on base+i [30333]"),
        prometheus_port_base: int | None = typer.Option(None, "--prometheus-port-base",
                                                        help="node i: metrics on base+i [9615]"),
        keep: bool = typer.Option(False, "--keep", help="keep the base dir (databases, logs) at exit"),
        config: str | None = typer.Option(None, "--config", help="TOML testnet config ([settings], [[nodes]])"),
        beacon_period: int | None = typer.Option(None, "--beacon-period", help="seconds per beacon round [3]"),
        beacon_threshold: int | None = typer.Option(None, "--beacon-threshold",
                                                    help="partials a beacon round needs [a majority of the nodes]"),
        duration: float | None = typer.Option(None, "--duration", help="stop after SECONDS (default: Ctrl-C)"),
        as_json: bool = typer.Option(False, "--json", help="print the plan and status lines as JSON"),
        demo: bool = typer.Option(False, "--demo", help="run the live demo subnet on the testnet (digits "
                                  "classifiers as miners, validators, Yuma; see taochain.demo_subnet)"),
        miners: int = typer.Option(4, "--miners", help="--demo: miners, weakest to strongest classifier"),
        validators: int = typer.Option(2, "--validators", help="--demo: honest validators"),
        copycat: bool = typer.Option(False, "--copycat", help="--demo: add a validator that copies weights"),
        tempo: int = typer.Option(19, "--tempo", help="--demo: the subnet's tempo (an epoch is tempo+1 blocks)"),
        epochs: int | None = typer.Option(None, "--epochs", help="--demo: stop after N epochs of weights"),
        samples: int = typer.Option(300, "--samples", help="--demo: held-out digits per query (0: all 540)"),
        axon_port_base: int = typer.Option(8091, "--axon-port-base", help="--demo: miner i serves on base+i"),
        commit_reveal: bool = typer.Option(True, "--commit-reveal/--no-commit-reveal",
                                           help="--demo: timelocked commit-reveal (on) or plain set_weights"),
    ) -> None:
        """Launch a local testnet: one `taochain node` process per authority, watched live; Ctrl-C stops all.

        With --demo: also create subnet 1, run miners (digit classifiers) and validators on it and
        show the metagraph per epoch (what `make run` starts)."""
        from taochain.cli_common import fail  # noqa: PLC0415

        if duration is not None and duration <= 0:
            fail("--duration must be positive", 2)
        demo_opts = None
        if demo:
            from taochain.demo_subnet.run import DemoOptions  # noqa: PLC0415

            demo_opts = DemoOptions(miners=miners, validators=validators, copycat=copycat, tempo=tempo,
                                    epochs=epochs, samples=samples, axon_port_base=axon_port_base,
                                    commit_reveal=commit_reveal)
            try:
                demo_opts.check()
            except ValueError as exc:
                fail(str(exc), 2)
        try:
            if config is not None:
                cfg = load_config(config)
            else:
                cfg = default_config(nodes if nodes is not None else (3 if demo else 4))
            overrides = {k: v for k, v in (
                ("block_time_ms", block_time_ms), ("rpc_port_base", rpc_port_base),
                ("p2p_port_base", p2p_port_base), ("prometheus_port_base", prometheus_port_base),
                ("beacon_period", beacon_period), ("beacon_threshold", beacon_threshold),
            ) if v is not None}
            cfg = dataclasses.replace(cfg, **overrides)
            own_dir = base_dir is None
            target = Path(tempfile.mkdtemp(prefix="taochain-testnet-")) if own_dir else Path(base_dir).expanduser()
            try:
                spec, plans = plan_from_config(cfg, target)
            except ValueError:
                if own_dir:
                    shutil.rmtree(target, ignore_errors=True)
                raise
        except ValueError as exc:
            fail(str(exc), 2)
        net = Testnet(spec, plans, target, keep=keep, node_flags=node_cli_flags(app), owns_base_dir=own_dir)
        if demo_opts is not None:
            from taochain.demo_subnet.run import run_demo  # noqa: PLC0415

            code = run_demo(net, demo_opts, duration, as_json)
        else:
            code = run_testnet(net, duration, as_json)
        if code:
            raise typer.Exit(code)

