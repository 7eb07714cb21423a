"""Processes, ports, waits and JSON-RPC calls: what the launchers (`taochain testnet`, the demo
subnet), the tests and the benchmarks share.

    port = free_port()
    with start_node(["--dev", "--tmp"], tmp / "node.log", rpc_port=port) as node:  # python -m taochain.cli node
        wait_rpc(node.url, 30, proc=node)
        best = rpc_call(node.url, "chain_getHeader")["number"]
        wait_until(lambda: rpc_call(node.url, "system_health")["peers"] >= 1, 10, "a peer", ignore=(OSError,))

Every process started here (`spawn`, `start_node`) runs in its own session (a terminal's Ctrl-C
reaches the launcher only) and dies with the process that started it, however that one dies
(node/lifeline.py): start them from the main thread. `rpc_call` is one synchronous JSON-RPC request
over HTTP (the node serves HTTP and WebSocket on one port, so a ws:// URL or a bare port does);
`RpcCallError` carries the JSON-RPC error's code, message and data; a transport failure stays an
OSError. `rpc_call_async` is the same over an aiohttp session, for callers already on an event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from node.lifeline import parent_death_preexec

LOCALHOST = "127.0.0.1"

# --- ports ---------------------------------------------------------------------------------------


def free_ports(count: int, host: str = LOCALHOST) -> list[int]:
    """`count` distinct free TCP ports on `host`, picked by the kernel (held open together while picking)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            socks.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host: str = LOCALHOST) -> int:
    """One free TCP port on `host`."""
    return free_ports(1, host)[0]


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


# --- waiting -------------------------------------------------------------------------------------


class WaitTimeout(TimeoutError):
    """`wait_until` gave up: 'timed out after N s waiting for <what>'."""


def _timed_out(timeout: float, what: str | Callable[[], str]) -> WaitTimeout:
    return WaitTimeout(f"timed out after {timeout:g} s waiting for {what if isinstance(what, str) else what()}")


def wait_until(
    cond: Callable[[], Any], timeout: float, what: str | Callable[[], str],
    ignore: tuple[type[BaseException], ...] = (), interval: float = 0.05,
) -> Any:
    """Poll `cond` until it returns something true and return that; an exception in `ignore` counts
    as not yet. WaitTimeout after `timeout` s, naming `what` (a callable: evaluated then, so it can
    show the state at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except ignore:
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            raise _timed_out(timeout, what)
        time.sleep(interval)


async def wait_until_async(
    cond: Callable[[], Any], timeout: float, what: str | Callable[[], str],
    ignore: tuple[type[BaseException], ...] = (), interval: float = 0.05,
) -> Any:
    """`wait_until` on an event loop: `cond` may return an awaitable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
            if asyncio.iscoroutine(v) or isinstance(v, asyncio.Future):
                v = await v
        except ignore:
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            raise _timed_out(timeout, what)
        await asyncio.sleep(interval)


# --- JSON-RPC over HTTP --------------------------------------------------------------------------


class RpcCallError(Exception):
    """The node answered a JSON-RPC error object."""

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        self.method, self.code, self.message, self.data = method, code, message, data
        super().__init__(f"{method}: {code} {message}" + ("" if data is None else f": {data}"))


def http_url(target: str | int) -> str:
    """The HTTP endpoint of a node's RPC: a port (on 127.0.0.1), or a ws://, wss:// or http(s):// URL."""
    if isinstance(target, int):
        return f"http://{LOCALHOST}:{target}"
    if target.startswith("ws://"):
        return "http://" + target[len("ws://"):]
    if target.startswith("wss://"):
        return "https://" + target[len("wss://"):]
    return target


def rpc_request(method: str, params: Sequence[Any] | dict[str, Any] = (), id: int = 1) -> dict[str, Any]:
    """A JSON-RPC 2.0 request object (positional `params` as a list, named as a dict)."""
    return {"jsonrpc": "2.0", "id": id, "method": method,
            "params": params if isinstance(params, dict) else list(params)}


def rpc_post(target: str | int, payload: Any, timeout: float = 5.0) -> Any:
    """POST `payload` (a request, a batch, or a body already encoded as str/bytes) to the node's RPC;
    its decoded JSON answer, also when the HTTP status is an error (a too large request...). OSError
    (URLError, timeouts) when the node cannot be reached, ValueError when its answer is not JSON."""
    body = payload.encode() if isinstance(payload, str) else payload if isinstance(payload, bytes) else (
        json.dumps(payload).encode())
    req = urllib.request.Request(http_url(target), data=body, headers={"Content-Type": "application/json"},
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a node's RPC URL
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return json.loads(raw)
        except ValueError:
            raise exc from None
    return json.loads(raw)


def _result(method: str, answer: Any) -> Any:
    if not isinstance(answer, dict):
        raise RpcCallError(method, None, f"not a JSON-RPC response: {answer!r}"[:300])
    err = answer.get("error")
    if err is not None:
        if isinstance(err, dict):
            raise RpcCallError(method, err.get("code"), str(err.get("message", "")), err.get("data"))
        raise RpcCallError(method, None, str(err))
    if "result" not in answer:
        raise RpcCallError(method, None, f"no result in {answer!r}"[:300])
    return answer["result"]


def rpc_call(
    target: str | int, method: str, params: Sequence[Any] | dict[str, Any] = (), timeout: float = 5.0,
) -> Any:
    """Call `method` on the node at `target` (URL or port); its result. RpcCallError when the node
    answers an error, OSError (URLError, timeouts) when it cannot be reached, ValueError when its
    answer is not JSON."""
    return _result(method, rpc_post(target, rpc_request(method, params), timeout))


async def rpc_call_async(
    session: Any, target: str | int, method: str, params: Sequence[Any] | dict[str, Any] = (),
) -> Any:
    """`rpc_call` over an aiohttp ClientSession (its timeouts apply)."""
    async with session.post(http_url(target), json=rpc_request(method, params)) as r:
        return _result(method, json.loads(await r.text()))


class ProcessExited(RuntimeError):
    """A process that was waited on exited first."""


def wait_rpc(
    target: str | int, timeout: float = 30.0, *, proc: subprocess.Popen | None = None,
    method: str = "system_health",
) -> Any:
    """Wait until the node at `target` answers `method`; its result. ProcessExited when `proc` (the
    node's process) exits meanwhile, WaitTimeout after `timeout` s."""
    def answers() -> Any:
        if proc is not None and proc.poll() is not None:
            raise ProcessExited(f"the node exited with code {proc.returncode}"
                                + (f":\n{log_tail(proc.log_path)}" if isinstance(proc, NodeProcess) else ""))
        return {"result": rpc_call(target, method, timeout=1.0)}

    return wait_until(answers, timeout, f"the node's RPC at {http_url(target)}", ignore=(OSError, ValueError),
                      interval=0.1)["result"]


# --- processes -----------------------------------------------------------------------------------


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment, unbuffered output, and `extra`."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", **(extra or {})}


def spawn(
    argv: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None, cwd: str | Path | None = None,
    popen: type[subprocess.Popen] = subprocess.Popen,
) -> subprocess.Popen:
    """Start `argv` with stdout and stderr appended to `log_path`, no stdin, in its own session,
    dying with this process (call it from the main thread); the Popen (`popen`'s instance)."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the child has its own copy of the descriptor
        return popen(
            list(argv), cwd=cwd, env=child_env() if env is None else env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=parent_death_preexec(),  # noqa: PLW1509 - only prctl and getppid run there
        )


def stop_processes(procs: Iterable[subprocess.Popen], timeout: float, sig: int = signal.SIGINT) -> None:
    """Send `sig` to each process still running, wait up to `timeout` s in all, then kill what is left
    (also when the wait is interrupted)."""
    procs = list(procs)
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    try:
        for p in procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def node_argv(*args: str) -> list[str]:
    """`python -m taochain.cli node ARGS...` with this interpreter."""
    return [sys.executable, "-m", "taochain.cli", "node", *args]


class NodeProcess(subprocess.Popen):
    """A `taochain node` process from `start_node`: a Popen that knows its RPC port and log, and
    `stop()`s (SIGINT, then SIGKILL); a context manager that stops it."""

    rpc_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"ws://{LOCALHOST}:{self.rpc_port}"

    @property
    def http_url(self) -> str:
        return http_url(self.rpc_port)

    def stop(self, timeout: float = 20.0, sig: int = signal.SIGINT) -> int:
        """Send `sig`, wait up to `timeout` s, kill it if it is still running; its exit code."""
        stop_processes([self], timeout, sig)
        return self.returncode

    def log(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_node(
    args: Sequence[str], log_path: Path, *, rpc_port: int | None = None, env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> NodeProcess:
    """Start `taochain node ARGS... --rpc-port PORT` (a free port unless given) as `spawn` does; the
    handle (`.url`, `.rpc_port`, `.stop()`)."""
    port = free_port() if rpc_port is None else rpc_port
    node = spawn(node_argv(*args, "--rpc-port", str(port)), log_path, env=env, cwd=cwd, popen=NodeProcess)
    assert isinstance(node, NodeProcess)
    node.rpc_port, node.log_path = port, Path(log_path)
    return node


def log_tail(path: Path, lines: int = 20) -> str:
    """The last `lines` lines of the file at `path` (of its last 64 KiB); "" when it cannot be read."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def stop_signals_interrupt() -> Callable[[], None]:
    """Make SIGTERM and SIGINT raise KeyboardInterrupt (Ctrl-C's path: a launcher stops its
    processes in order); returns what puts the old handlers back. SIGINT too, as the node does: a
    launcher started in the background of a script inherits SIGINT ignored, and would otherwise
    leave its processes running when told to stop."""
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    for sig in old:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore
