"""Processes and the CLI (hardening issue #13, items 6 and 7): every child of `taochain testnet`
(nodes, their signature workers, the demo's miners and validators) dies with the launcher however
the launcher dies; a busy port is refused with the command that shows its holder; node keys reach
nodes by a 0600 file, never on a command line; a second node on a base path in use says so.

Real processes on loopback, free ports (explicit per node through a TOML config), every wait bounded."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netutil import free_ports, wait_for

from taochain.proc import node_argv, port_is_free, rpc_post, rpc_request, wait_rpc
from taochain.testnet import node_key_seed

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")]


# --- processes through /proc ---------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of `pid`, None when it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def descendants(root: int) -> set[int]:
    """Every live process below `root` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[0] != "Z":
                children.setdefault(st[1], []).append(int(entry))
    out: set[int] = set()
    todo = [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def gone(pid: int) -> bool:
    st = _stat(pid)
    return st is None or st[0] == "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


# --- a launcher run ------------------------------------------------------------------------------


def write_config(path: Path, names: list[str], block_time_ms: int = 500) -> dict[str, list[int]]:
    """A TOML testnet config with explicit free ports per node; the ports by node name."""
    ports = free_ports(3 * len(names))
    lines = [f"[settings]\nblock_time_ms = {block_time_ms}\nbeacon_period = 1\n"]
    out = {}
    for i, name in enumerate(names):
        rpc, p2p, prom = ports[3 * i: 3 * i + 3]
        out[name] = [rpc, p2p, prom]
        lines.append(f'[[nodes]]\nname = "{name}"\nrpc_port = {rpc}\np2p_port = {p2p}\nprometheus_port = {prom}\n')
    path.write_text("\n".join(lines))
    return out


class Launcher:
    """`taochain testnet --json ...` as a process; its JSON events read by a thread."""

    def __init__(self, args: list[str], log: Path) -> None:
        self._err = open(log, "wb")  # noqa: SIM115 - closed by close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "taochain.cli", "testnet", "--json", *args], cwd=ROOT, env=ENV,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err, text=True,
        )
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        self.seen_pids: set[int] = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    self.events.put(json.loads(line))

    def event(self, pred: Callable[[dict], bool], timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and self.events.empty():
                raise AssertionError(f"no {what} within {timeout:.0f} s (launcher rc {self.proc.poll()}); "
                                     f"last events: {self.seen[-3:]}")
            try:
                e = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self.seen.append(e)
            self.seen_pids |= descendants(self.proc.pid)
            if e.get("event") == "error":
                raise AssertionError(f"the launcher failed: {e}")
            if pred(e):
                return e

    def tree(self) -> set[int]:
        self.seen_pids |= descendants(self.proc.pid)
        return set(self.seen_pids)

    def close(self) -> None:
        kill_all({self.proc.pid} | self.tree())  # whatever a failed test left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._err.close()


@contextlib.contextmanager
def launcher(args: list[str], log: Path) -> Iterator[Launcher]:
    run = Launcher(args, log)
    try:
        yield run
    finally:
        run.close()


def all_up(n: int) -> Callable[[dict], bool]:
    return lambda e: e.get("event") == "status" and sum(
        1 for s in e["nodes"] if s["state"] == "up" and (s["best"] or 0) >= 1) == n


def assert_dies_with_launcher(run: Launcher, ports: list[int], signals: list[tuple[int, float]]) -> None:
    """Send `signals` (signal, delay before it) to the launcher; every process it started is gone
    within a few seconds and every port is free."""
    tree = run.tree()
    assert tree, "the launcher has no children"
    for sig, delay in signals:
        time.sleep(delay)  # the gap a supervisor leaves between SIGTERM and SIGKILL
        with contextlib.suppress(ProcessLookupError):
            run.proc.send_signal(sig)
    run.proc.wait(timeout=10)
    try:
        wait_for(lambda: all(gone(p) for p in tree), 10,
                 lambda: "the launcher's children to exit; alive: "
                 + "; ".join(f"{p}: {cmdline(p)[:120]}" for p in sorted(tree) if not gone(p)))
        wait_for(lambda: all(port_is_free(p) for p in ports), 5,
                 lambda: f"ports to be free: busy {[p for p in ports if not port_is_free(p)]}")
    finally:
        kill_all(tree)


# --- 1. children die with the launcher -----------------------------------------------------------


@pytest.mark.parametrize("how", ["sigkill", "sigterm-then-sigkill"])
def test_testnet_children_die_with_the_launcher(tmp_path: Path, how: str) -> None:
    ports = write_config(tmp_path / "net.toml", ["Alice", "Bob"])
    with launcher(["--config", str(tmp_path / "net.toml"), "--base-dir", str(tmp_path / "net")],
                  tmp_path / "launcher.err") as run:
        plan = run.event(lambda e: e.get("event") == "plan", 60, "plan")
        run.event(all_up(2), 60, "both nodes authoring")
        nodes = {n["pid"] for n in plan["nodes"]}
        tree = run.tree()
        assert nodes <= tree
        # each node's signature worker (a multiprocessing child) is a grandchild of the launcher
        workers = [p for p in tree - nodes if "multiprocessing" in cmdline(p)]
        assert len(workers) >= 2, {p: cmdline(p)[:100] for p in tree}
        sigs = [(signal.SIGKILL, 0.0)] if how == "sigkill" else [(signal.SIGTERM, 0.0), (signal.SIGKILL, 0.5)]
        assert_dies_with_launcher(run, [p for v in ports.values() for p in v], sigs)


def test_signature_worker_dies_with_its_node() -> None:
    """The worker of node/sigworker.py exits when its parent is killed -9 (not only on close())."""
    code = ("import sys, time\n"
            "from node.sigworker import ProcessVerifier\n"
            "v = ProcessVerifier()\n"
            "assert v.result(v.submit([(0, bytes(32), b'm', bytes(64))]), timeout=60) == bytes(1)  # serving\n"
            "print(v.proc.pid, flush=True)\n"
            "time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        worker = int(p.stdout.readline())
        tree = descendants(p.pid)
        assert worker in tree
        p.kill()
        p.wait(timeout=10)
        # within a second, not after the worker's 2 s queue poll
        wait_for(lambda: all(gone(q) for q in tree), 1.0, "the signature worker to exit", interval=0.05)
    finally:
        kill_all(descendants(p.pid) | {p.pid})
        p.wait(timeout=10)
        if p.stdout is not None:
            p.stdout.close()


@pytest.mark.parametrize("phase", ["miner-training", "running"])
def test_demo_processes_die_with_the_launcher(tmp_path: Path, phase: str) -> None:
    """`taochain testnet --demo` (1 node, 1 miner, 1 validator): SIGTERM and SIGKILL half a second
    later, as a CI timeout does, while the miner trains (its SIGTERM waits for the training, so the
    demo is still stopping it when the SIGKILL comes) and once everything runs; the node, the miner
    and the validator all go."""
    pytest.importorskip("sklearn")
    ports = write_config(tmp_path / "net.toml", ["Alice"])
    axon = free_ports(1)[0]
    with launcher(["--demo", "--config", str(tmp_path / "net.toml"), "--base-dir", str(tmp_path / "net"),
                   "--miners", "1", "--validators", "1", "--tempo", "10", "--samples", "50",
                   "--axon-port-base", str(axon)], tmp_path / "launcher.err") as run:
        if phase == "miner-training":
            run.event(lambda e: e.get("event") == "setup", 120, "the subnet set up")
            wait_for(lambda: any("demo_subnet.miner" in cmdline(p) for p in run.tree()), 10, "the miner to start",
                     interval=0.02)
        else:
            started = run.event(lambda e: e.get("event") == "processes", 150, "the miners and validators")
            assert set(started["pids"]) == {"miner0", "validator0"}
            assert set(started["pids"].values()) <= run.tree()
        assert_dies_with_launcher(run, [*ports["Alice"], axon], [(signal.SIGTERM, 0.0), (signal.SIGKILL, 0.5)])


# --- 2. a busy port is refused with the command that shows its holder ----------------------------


def _listen(port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    return s


def _assert_names_the_holder_command(text: str, port: int) -> None:
    assert f"port {port}" in text, text
    assert f"ss -ltnp 'sport = :{port}'" in text and f"lsof -i :{port}" in text, text


def test_testnet_refuses_a_busy_port_with_the_command_that_shows_its_holder(tmp_path: Path) -> None:
    ports = write_config(tmp_path / "net.toml", ["Alice", "Bob"])
    busy = ports["Bob"][2]  # Bob's prometheus port
    with _listen(busy):
        out = subprocess.run(
            [sys.executable, "-m", "taochain.cli", "testnet", "--config", str(tmp_path / "net.toml"),
             "--base-dir", str(tmp_path / "net")],
            cwd=ROOT, env={**ENV, "COLUMNS": "200"}, capture_output=True, text=True, timeout=60,
        )
    assert out.returncode == 1, out.stdout + out.stderr
    text = " ".join((out.stdout + out.stderr).split())
    _assert_names_the_holder_command(text, busy)
    assert "Bob's prometheus port" in text


def test_make_run_refuses_a_busy_port(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None or subprocess.run([make, "-q", ".venv/.installed"], cwd=ROOT).returncode != 0:
        pytest.skip("needs make and an installed .venv (make run would install it first)")
    ports = write_config(tmp_path / "net.toml", ["Alice"])
    busy = ports["Alice"][0]
    axon = free_ports(1)[0]
    with _listen(busy):
        out = subprocess.run(
            [make, "-s", "run", f"ARGS=--config {tmp_path / 'net.toml'} --base-dir {tmp_path / 'net'} "
             f"--axon-port-base {axon} --miners 1 --validators 1"],
            cwd=ROOT, env={**ENV, "COLUMNS": "200"}, capture_output=True, text=True, timeout=60,
        )
    assert out.returncode != 0
    _assert_names_the_holder_command(" ".join((out.stdout + out.stderr).split()), busy)


# --- 3. node keys by file ------------------------------------------------------------------------


def test_node_keys_reach_the_nodes_by_a_0600_file(tmp_path: Path) -> None:
    ports = write_config(tmp_path / "net.toml", ["Alice", "Bob"])
    with launcher(["--config", str(tmp_path / "net.toml"), "--base-dir", str(tmp_path / "net")],
                  tmp_path / "launcher.err") as run:
        plan = run.event(lambda e: e.get("event") == "plan", 60, "plan")
        run.event(all_up(2), 60, "both nodes authoring")
        secrets = {n["name"]: node_key_seed(n["name"]).hex() for n in plan["nodes"]}
        for pid in run.tree() | {run.proc.pid}:
            line = cmdline(pid)
            for name, secret in secrets.items():
                assert secret not in line, f"{name}'s node key is on the command line of {pid}: {line[:200]}"
        for n in plan["nodes"]:
            key_file = Path(n["node_key_file"])
            assert key_file.stat().st_mode & 0o777 == 0o600
            assert key_file.read_text().strip() == secrets[n["name"]]
            assert f"--node-key-file {key_file}" in cmdline(n["pid"])
            peer = rpc_post(ports[n["name"]][0], rpc_request("system_localPeerId"), 5)
            assert peer["result"] == n["peer_id"]
        run.proc.send_signal(signal.SIGINT)
        run.proc.wait(timeout=30)
        assert run.proc.returncode == 0


def _node_argv(base: Path, rpc: int, *extra: str) -> list[str]:
    return node_argv("--dev", "--base-path", str(base), "--rpc-port", str(rpc), "--no-prometheus", *extra)


def test_node_key_file_formats_and_peer_id(tmp_path: Path) -> None:
    """--node-key-file takes hex (what `subkey generate-node-key` writes) or the raw 32 bytes, and
    creates a missing file (0600) as Substrate does; the peer id follows the key."""
    from runtime.support.keys import ED25519, keypair_from_seed
    from taochain.testnet import peer_id_of

    seed = bytes(range(32))
    raw = tmp_path / "raw.key"
    raw.write_bytes(seed)
    (tmp_path / "hex.key").write_text("0x" + seed.hex() + "\n")
    expected = peer_id_of(keypair_from_seed(seed, ED25519).public)
    for i, key_file in enumerate((raw, tmp_path / "hex.key", tmp_path / "new.key")):
        rpc = free_ports(1)[0]
        log = tmp_path / f"node{i}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(_node_argv(tmp_path / f"db{i}", rpc, "--port", str(free_ports(1)[0]),
                                               "--listen-host", "127.0.0.1", "--node-key-file", str(key_file)),
                                    cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_rpc(rpc, 60, proc=proc)
            peer = rpc_post(rpc, rpc_request("system_localPeerId"), 5)
            if key_file.name == "new.key":
                assert key_file.stat().st_mode & 0o777 == 0o600
                created = bytes.fromhex(key_file.read_text().strip())
                assert peer["result"] == peer_id_of(keypair_from_seed(created, ED25519).public)
            else:
                assert peer["result"] == expected, log.read_text()[-2000:]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    out = subprocess.run(_node_argv(tmp_path / "dbx", free_ports(1)[0], "--node-key-file", str(bad)),
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and str(bad) in " ".join((out.stdout + out.stderr).split()), out.stdout + out.stderr


# --- 4. a second node on a base path in use ------------------------------------------------------


def test_a_second_node_on_a_base_path_in_use_says_so(tmp_path: Path) -> None:
    base = tmp_path / "node"
    rpc1, rpc2 = free_ports(2)
    with open(tmp_path / "first.log", "wb") as log:
        first = subprocess.Popen(_node_argv(base, rpc1), cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT)
    try:
        wait_rpc(rpc1, 60, proc=first)
        second = subprocess.run(_node_argv(base, rpc2), cwd=ROOT, env={**ENV, "COLUMNS": "300"},
                                capture_output=True, text=True, timeout=60)
        text = " ".join((second.stdout + second.stderr).split())
        assert second.returncode == 1, text
        assert "in use by another taochain node" in text and str(base) in text, text
        assert "--base-path" in text and "b'" not in text, text
        assert first.poll() is None  # the first node is untouched
        wait_rpc(rpc1, 5, proc=first)
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=30)
    assert first.returncode == 0
