"""`taochain testnet`: launch a local multi-node testnet (zombienet-style) and watch it.

    taochain testnet --nodes 4                      # Alice, Bob, Charlie, Dave; Ctrl-C stops them all
    taochain testnet --config net.toml --keep       # nodes from a TOML file; keep the databases and logs
    taochain testnet --nodes 2 --duration 30 --json # for scripts: JSON plan and status lines, then stop
    taochain testnet --demo                         # 3 nodes + the live demo subnet (`make run`)
    taochain testnet --demo --copycat --epochs 4    # ... with a weight-copying validator; stop after 4 epochs

`--demo` (taochain.demo_subnet) also creates subnet 1 with the SDK, runs digit-classifier miners and
validators on it as processes and shows the metagraph per epoch; --miners, --validators, --copycat,
--tempo, --epochs, --samples, --axon-port-base and --no-commit-reveal shape it.

Node i is authority i of the chain spec node/chainspec.py builds (`runtime.presets.local(n)`: Alice,
Bob, Charlie, Dave, Eve, Ferdie, Node6, ...), runs as its own `taochain node` process (own session,
own log file) on rpc_port_base+i, p2p_port_base+i and prometheus_port_base+i, with a deterministic
network identity (blake2b-256(b"taochain-testnet-node-key" + name); its secret in <its base
path>/node-key, mode 0600, passed with --node-key-file, never on a command line) and every other
node as a bootnode. Every node dies with the launcher, however the launcher dies (node/lifeline.py); a busy port is refused
with the command that shows what holds it.

The chain's randomness beacon is a local t-of-n threshold beacon (node/beacon.py) dealt afresh for
each launch: random polynomial coefficients (t = a majority of the nodes unless --beacon-threshold),
the group key, the share keys, t, the launch time and the period (--beacon-period, 3 s by default)
go in the chain spec's `drand` section, and node i's secret share in <its base path>/beacon-share.json
(mode 0600), passed with --beacon-share.

Layers, each importing only those before it: taochain/proc.py (processes, ports, RPC calls), this
module (plans, the running testnet, its tables and watch loop), taochain/demo_subnet/run.py (the
demo on a running testnet), taochain/testnet_cli.py (the `taochain testnet` command), taochain/cli.py.

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
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import time
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from node.beacon import write_share_file
from node.chainspec import ChainSpec, testnet_spec, write_chain_spec
from node.run import peer_id as node_peer_id
from runtime.support.hashing import blake2_256
from runtime.support.keys import DEV_ACCOUNTS, ED25519, InvalidKey, keypair_from_seed, keypair_from_uri
from taochain.cli_common import console
from taochain.proc import (
    busy_ports_message,
    child_env,
    log_tail,
    node_argv,
    port_is_free,
    rpc_post,
    rpc_request,
    spawn,
    stop_processes,
    stop_signals_interrupt,
)

NODE_KEY_DOMAIN = b"taochain-testnet-node-key"
MAX_NODES = 32
MIN_BLOCK_TIME_MS = 250  # what `taochain node --block-time-ms` accepts
NETWORK_FLAGS = ("--port", "--bootnodes", "--node-key-file")


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
    beacon_threshold: int | None = None  # None: a majority of the nodes


def peer_id_of(public: bytes) -> str:
    """The libp2p peer id (base58btc) of an ed25519 public key (the node's own rule)."""
    return node_peer_id(bytes(public))


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


def plan_from_config(cfg: TestnetConfig, base_dir: Path) -> tuple[ChainSpec, list[NodePlan]]:
    """The chain spec (local(n) with the configured nodes' keys as authorities and a freshly dealt
    beacon starting now) and the node plans (each with its beacon share)."""
    _check_config(cfg)
    base_dir = Path(base_dir)
    keys = []
    for i, n in enumerate(cfg.nodes):
        try:
            keys.append(keypair_from_uri(n.key_uri, ED25519).public)
        except InvalidKey as exc:
            raise ValueError(f"nodes[{i}].key_uri: {exc}") from None
    spec, shares = testnet_spec(keys, slot_duration_ms=cfg.block_time_ms, beacon_period=cfg.beacon_period,
                                beacon_threshold=cfg.beacon_threshold)
    plans = []
    for i, n in enumerate(cfg.nodes):
        seed = node_key_seed(n.name)
        plans.append(NodePlan(
            name=n.name, key_uri=n.key_uri, node_key_seed=seed,
            peer_id=peer_id_of(keypair_from_seed(seed, ED25519).public),
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
            keypair_from_uri(key_uri, ED25519)
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


def busy_ports(plans: Iterable[NodePlan]) -> list[tuple[int, str]]:
    """(port, "node's what") for each planned port that is already taken."""
    out = []
    for p in plans:
        for what in ("rpc_port", "p2p_port", "prometheus_port"):
            port = getattr(p, what)
            if not port_is_free(port):
                out.append((port, f"{p.name}'s {what.replace('_', ' ')}"))
    return out


def node_command(plan: NodePlan, spec_path: Path, flags: frozenset[str] | None = None) -> list[str]:
    """The argv that starts `plan`'s node; network flags only where `flags` (the node's options) has them."""
    def has(flag: str) -> bool:
        return flags is None or flag in flags

    argv = node_argv(
        "--chain", str(spec_path), "--name", plan.name, "--key-uri", plan.key_uri, "--base-path", str(plan.base_path),
        "--rpc-port", str(plan.rpc_port), "--prometheus-port", str(plan.prometheus_port),
    )
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


def _number(header: Any) -> int | None:
    if isinstance(header, dict) and isinstance(header.get("number"), str):
        return int(header["number"], 16)
    return None


def query_node(port: int, timeout: float = 0.5) -> tuple[int | None, int | None, int | None]:
    """(best, finalized, peers) of the node whose RPC listens on `port`; raises OSError/ValueError."""
    batch = [rpc_request("chain_getHeader", id=1), rpc_request("chain_getFinalizedHead", id=2),
             rpc_request("system_health", id=3)]
    answers = rpc_post(port, batch, timeout)
    if not isinstance(answers, list):
        raise ValueError(f"unexpected answer {answers!r}")
    by_id = {a.get("id"): a.get("result") for a in answers if isinstance(a, dict)}
    best = _number(by_id.get(1))
    finalized = None
    if isinstance(by_id.get(2), str):
        fin = rpc_post(port, rpc_request("chain_getHeader", [by_id[2]], id=4), timeout)
        finalized = _number(fin.get("result") if isinstance(fin, dict) else None)
    health = by_id.get(3)
    peers = health.get("peers") if isinstance(health, dict) else None
    return best, finalized, peers if isinstance(peers, int) else None


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
        self.env = child_env(env)
        self.spec_path = self.base_dir / "chain-spec.json"
        self.procs: dict[str, subprocess.Popen] = {}
        self.exits: dict[str, NodeExit] = {}
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
        write_chain_spec(self.spec, self.spec_path)
        try:
            for p in self.plans:
                p.base_path.mkdir(parents=True, exist_ok=True)
                write_node_key(p)
                write_beacon_share(p)
                # own session (a terminal's Ctrl-C reaches the launcher only, which stops the nodes
                # in order), yet killed by the kernel when the launcher dies, even by SIGKILL
                self.procs[p.name] = spawn(node_command(p, self.spec_path, self.node_flags), p.log_path, env=self.env)
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
        except (OSError, ValueError):  # unreachable (URLError, timeouts) or no JSON yet
            state = "down" if plan.name in self._answered else "starting"
            return NodeStatus(plan.name, state, pid=proc.pid)
        self._answered.add(plan.name)
        return NodeStatus(plan.name, "up", best, fin, peers, proc.pid)

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGINT every node, wait up to `timeout` s, kill what is left; remove base_dir unless keep."""
        self._stopping = True
        try:
            stop_processes(self.procs.values(), timeout)  # also on a second Ctrl-C: kills what did not stop
        finally:
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


# --- output and the watch loop ------------------------------------------------------------------


def _short(peer_id: str) -> str:
    return peer_id if len(peer_id) <= 16 else f"{peer_id[:8]}…{peer_id[-6:]}"


def emit(obj: dict[str, Any]) -> None:
    """One JSON event line on stdout (`--json`)."""
    print(json.dumps(obj), flush=True)


def report_start_error(exc: Exception, as_json: bool) -> int:
    """A launch that failed (a busy port, a bad config): one line (or a JSON error event); exit 1."""
    if as_json:
        emit({"event": "error", "message": str(exc)})
    else:
        console.print(f"[red]error:[/red] {exc}")
    return 1


def launch_table(net: Testnet) -> Table:
    """The nodes of `net` as launched: name, peer id, RPC and metrics URLs, log."""
    t = Table(title=f"taochain testnet: {len(net.plans)} nodes, {net.spec.slot_duration_ms} ms blocks",
              caption=f"chain spec, databases and logs in {net.base_dir}")
    for col in ("name", "peer id", "RPC", "metrics", "log"):
        t.add_column(col, overflow="fold")
    for p in net.plans:
        log = p.log_path.relative_to(net.base_dir) if p.log_path.is_relative_to(net.base_dir) else p.log_path
        t.add_row(p.name, _short(p.peer_id), p.rpc_url, p.metrics_url, str(log))
    return t


_STATE_STYLE = {"up": "green", "starting": "yellow", "down": "red", "exited": "red"}


def status_table(statuses: Sequence[NodeStatus], elapsed: float) -> Table:
    """The nodes' best and finalized blocks, peers and states, `elapsed` s after the launch."""
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


def run_testnet(net: Testnet, duration: float | None, as_json: bool) -> int:
    """Start `net`, show it until `duration` s have passed or Ctrl-C, stop it; the exit code."""
    interrupted = False
    restore = stop_signals_interrupt()
    try:
        try:
            net.start()
        except (OSError, ValueError) as exc:
            return report_start_error(exc, as_json)
        missing = [f for f in NETWORK_FLAGS if net.node_flags is not None and f not in net.node_flags]
        if as_json:
            emit({"event": "plan", "base_dir": str(net.base_dir), "chain_spec": str(net.spec_path),
                  "block_time_ms": net.spec.slot_duration_ms, "network_flags_missing": missing,
                  "nodes": [{**p.to_json(), "pid": net.procs[p.name].pid} for p in net.plans]})
        else:
            console.print(launch_table(net))
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
        emit({"event": "stopped", "interrupted": interrupted, "returncodes": codes, "failed": failed,
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
                        emit({"event": "exited", "name": e.name, "returncode": e.returncode, "log_tail": e.log_tail})
                    else:
                        live.console.print(Panel(e.log_tail or "(empty log)",
                                                 title=f"{e.name} exited with code {e.returncode}",
                                                 border_style="red"))
                if as_json:
                    emit({"event": "status", "elapsed": round(tick - start, 2),
                          "nodes": [s.to_json() for s in statuses]})
                else:
                    live.update(status_table(statuses, tick - start))
                if net.alive() == 0:
                    return False
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                wake = tick + 1.0 if deadline is None else min(tick + 1.0, deadline)
                time.sleep(max(0.0, wake - now))
    except KeyboardInterrupt:
        return True
