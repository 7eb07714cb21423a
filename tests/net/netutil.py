"""A local multi-node testnet for tests: real `taochain node` processes on loopback, free ports.

`LocalNet(tmp_path, n)` plans n authorities (Alice, Bob, ...) with `taochain.testnet.plan_testnet`;
each node can be started, killed (-9), interrupted (SIGINT) and restarted with the same base path,
key and network identity, and polled over its JSON-RPC (HTTP). Nodes die with the test process
(taochain.proc.spawn, node/lifeline.py), so start them from the main thread. Extra nodes (for
example a second process with an authority's key) can be added with `add_node`. As with `taochain testnet`, the
chain's local beacon is dealt afresh (t = a majority, `beacon_period` seconds per round) and each
authority node gets its share file (--beacon-share).
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, keypair_from_seed
from taochain.proc import (  # noqa: F401 - free_ports: the tests import it from here
    RpcCallError,
    child_env,
    free_ports,
    node_argv,
    rpc_call,
    spawn,
    stop_processes,
    wait_until,
)
from taochain.testnet import NodePlan, peer_id_of, plan_testnet, write_beacon_share, write_node_key

ROOT = Path(__file__).resolve().parents[2]


class RpcFailed(Exception):
    pass


def wait_for(cond: Callable[[], Any], timeout: float, what: str | Callable[[], str], interval: float = 0.2) -> Any:
    """`taochain.proc.wait_until`, with RpcFailed counted as not yet."""
    return wait_until(cond, timeout, what, ignore=(RpcFailed,), interval=interval)


class LocalNet:
    """n authority nodes (plus any added ones) as separate processes."""

    def __init__(
        self, tmp_path: Path, n: int = 4, block_time_ms: int = 1000, beacon_period: int = 3,
        beacon_threshold: int | None = None,
    ) -> None:
        self.base_dir = Path(tmp_path) / "net"
        self.base_dir.mkdir(parents=True, exist_ok=True)
        ports = free_ports(2 * n)
        spec, plans = plan_testnet(
            n, self.base_dir, block_time_ms=block_time_ms, beacon_period=beacon_period,
            beacon_threshold=beacon_threshold,
        )
        plans = [
            dataclasses.replace(p, rpc_port=ports[2 * i], p2p_port=ports[2 * i + 1], prometheus_port=0)
            for i, p in enumerate(plans)
        ]
        self.spec = spec
        self.slot_ms = spec.slot_duration_ms
        self.plans: dict[str, NodePlan] = {
            p.name: dataclasses.replace(p, bootnodes=tuple(q.multiaddr for q in plans if q is not p)) for p in plans
        }
        self.authority_names = [p.name for p in plans]
        self.spec_path = self.base_dir / "chain-spec.json"
        self.spec_path.write_text(spec.dumps())
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = child_env()

    # ------------------------------------------------------------------ processes
    def add_node(self, name: str, key_uri: str) -> NodePlan:
        """Plan one more node (own base path, ports and network identity) that dials every node."""
        rpc, p2p = free_ports(2)
        seed = blake2_256(b"tests/net extra node " + name.encode())
        plan = NodePlan(
            name=name, key_uri=key_uri, node_key_seed=seed, peer_id=peer_id_of(keypair_from_seed(seed, ED25519).public),
            rpc_port=rpc, p2p_port=p2p, prometheus_port=0, base_path=self.base_dir / name.lower(),
            log_path=self.base_dir / f"{name}.log", bootnodes=tuple(p.multiaddr for p in self.plans.values()),
        )
        self.plans[name] = plan
        return plan

    def command(self, plan: NodePlan) -> list[str]:
        argv = node_argv(
            "--chain", str(self.spec_path), "--name", plan.name, "--key-uri", plan.key_uri,
            "--base-path", str(plan.base_path), "--rpc-port", str(plan.rpc_port), "--no-prometheus",
            "--port", str(plan.p2p_port), "--listen-host", "127.0.0.1", "--node-key-file", str(plan.node_key_path),
        )
        for addr in plan.bootnodes:
            argv += ["--bootnodes", addr]
        if plan.beacon_secret is not None:
            argv += ["--beacon-share", str(plan.beacon_share_path)]
        return argv

    def start(self, *names: str) -> None:
        for name in names or tuple(self.plans):
            assert not self.running(name), f"{name} is already running"
            plan = self.plans[name]
            plan.base_path.mkdir(parents=True, exist_ok=True)
            write_node_key(plan)
            write_beacon_share(plan)
            # dies with the test process: a killed test run leaves no node behind
            self.procs[name] = spawn(self.command(plan), plan.log_path, env=self.env, cwd=ROOT)

    def running(self, name: str) -> bool:
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    def kill(self, name: str) -> None:
        """kill -9 (no shutdown at all)."""
        p = self.procs[name]
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)

    def interrupt(self, name: str, timeout: float = 20.0) -> int:
        """SIGINT, as Ctrl-C: a clean shutdown; the exit code."""
        p = self.procs[name]
        p.send_signal(signal.SIGINT)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError(f"{name} did not stop within {timeout} s of SIGINT") from None

    def close(self) -> None:
        stop_processes(self.procs.values(), 15)

    def __enter__(self) -> LocalNet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def log(self, name: str, lines: int = 40) -> str:
        try:
            text = self.plans[name].log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def logs(self, lines: int = 25) -> str:
        return "\n".join(f"----- {n} -----\n{self.log(n, lines)}" for n in self.plans)

    def check_alive(self, *names: str) -> None:
        for name in names or tuple(self.procs):
            p = self.procs[name]
            assert p.poll() is None, f"{name} exited with {p.returncode}:\n{self.log(name)}"

    # ------------------------------------------------------------------ RPC
    def rpc(self, name: str, method: str, *params: Any, timeout: float = 3.0) -> Any:
        try:
            return rpc_call(self.plans[name].rpc_port, method, params, timeout)
        except (OSError, ValueError, RpcCallError) as exc:
            raise RpcFailed(f"{name}: {exc}" if isinstance(exc, RpcCallError) else f"{name}: {method}: {exc}") from None

    def best(self, name: str) -> tuple[int, str]:
        h = self.rpc(name, "chain_getHeader")
        return int(h["number"], 16), self.rpc(name, "chain_getBlockHash", int(h["number"], 16))

    def finalized(self, name: str) -> tuple[int, str]:
        fh = self.rpc(name, "chain_getFinalizedHead")
        return int(self.rpc(name, "chain_getHeader", fh)["number"], 16), fh

    def hash_at(self, name: str, number: int) -> str | None:
        return self.rpc(name, "chain_getBlockHash", number)

    def hashes(self, name: str, numbers: range | list[int]) -> list[str | None]:
        return self.rpc(name, "chain_getBlockHash", list(numbers))

    def peers(self, name: str) -> list[dict[str, Any]]:
        return self.rpc(name, "system_peers")

    def wait_up(self, *names: str, timeout: float = 40.0) -> None:
        for name in names or tuple(self.procs):
            def up(name: str = name) -> bool:
                self.check_alive(name)
                return self.rpc(name, "chain_getHeader", timeout=1.0) is not None
            wait_for(up, timeout, f"{name}'s RPC")

    def wait_finalized(self, names: list[str], at_least: int, timeout: float) -> dict[str, tuple[int, str]]:
        """Until every node in `names` finalized block `at_least` or higher; their finalized heads."""
        out: dict[str, tuple[int, str]] = {}

        def done() -> bool:
            self.check_alive(*names)
            for n in names:
                out[n] = self.finalized(n)
            return all(f[0] >= at_least for f in out.values())

        wait_for(done, timeout, lambda: f"finalized >= #{at_least} on {names} (now {out})\n{self.logs()}")
        return out

    def wait_best(self, names: list[str], at_least: int, timeout: float) -> None:
        seen: dict[str, int] = {}

        def done() -> bool:
            self.check_alive(*names)
            for n in names:
                seen[n] = self.best(n)[0]
            return all(b >= at_least for b in seen.values())

        wait_for(done, timeout, lambda: f"best >= #{at_least} on {names} (now {seen})\n{self.logs()}")

    def assert_same_finalized_chain(self, names: list[str], upto: int | None = None) -> list[str]:
        """Every node has the same hash at every height up to `upto` (default: the lowest finalized
        height among them); the common hashes."""
        if upto is None:
            upto = min(self.finalized(n)[0] for n in names)
        chains = {n: self.hashes(n, range(upto + 1)) for n in names}
        first = chains[names[0]]
        assert None not in first, f"{names[0]} lacks finalized blocks: {first}"
        for n in names[1:]:
            diff = [i for i, (a, b) in enumerate(zip(first, chains[n], strict=True)) if a != b]
            assert not diff, f"{names[0]} and {n} differ at finalized heights {diff[:10]}"
        return first
