"""A demo-subnet miner: train a digits classifier, serve it over HTTP, announce the axon on chain.

    python -m taochain.demo_subnet.miner --url ws://127.0.0.1:9944 --netuid 1 \\
        --hotkey-uri //Demo//miner3//hot --level 5 --port 8094

The axon is a small HTTP server:

    POST /predict  {"images": [[64 pixel values 0..16], ...]}  ->  {"labels": [digit, ...]}
    GET  /info     ->  {"hotkey", "level", "model", "train_size"}

The chain refuses 127.0.0.1 as an axon address (it is the loopback address that means "nobody" to
other machines; see pallets/subtensor/weights.py is_valid_ip), so on one machine the miner
announces another address of the loopback network, 127.0.0.2 by default, and listens there (Linux
routes all of 127.0.0.0/8 to the loopback interface). Where that address cannot be bound (macOS
without an alias) it listens on 127.0.0.1 and validators fall back to it for 127.x addresses.
Status lines go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from taochain.demo_subnet.models import LADDER, train

MAX_IMAGES = 4096
DEFAULT_ANNOUNCE_IP = "127.0.0.2"


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": round(time.time(), 3), **fields}), flush=True)


class Axon(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], model: Any, info: dict[str, Any]) -> None:
        super().__init__(addr, _Handler)
        self.model = model
        self.info = info
        self.served = 0


class _Handler(BaseHTTPRequestHandler):
    server: Axon

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the demo's logs are JSON lines

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.rstrip("/") == "/info":
            self._answer(200, {**self.server.info, "served": self.server.served})
        else:
            self._answer(404, {"error": "GET /info or POST /predict"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != "/predict":
            self._answer(404, {"error": "POST /predict"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= 64 * 1024 * 1024:
                raise ValueError("the body must be 1 byte to 64 MiB")
            images = json.loads(self.rfile.read(length))["images"]
            if not isinstance(images, list) or not 0 < len(images) <= MAX_IMAGES:
                raise ValueError(f"images: a list of 1 to {MAX_IMAGES} images")
            if not all(isinstance(row, list) and len(row) == 64 for row in images):
                raise ValueError("each image is a list of 64 pixel values")
            import numpy as np  # noqa: PLC0415

            x = np.asarray(images, dtype=np.float64)
        except (ValueError, KeyError, TypeError) as exc:
            self._answer(400, {"error": str(exc)})
            return
        labels = [int(v) for v in self.server.model.predict(x)]
        self.server.served += 1
        self._answer(200, {"labels": labels})


def orphaned(parent_pid: int | None) -> bool:
    """True when the process that started this one (`parent_pid`) has gone: this one was re-parented."""
    return parent_pid is not None and os.getppid() != parent_pid


def bind_host(announce_ip: str, host: str | None) -> str:
    """Where to listen: `host` if given, else the announced address when it is a loopback one this
    machine can bind, else 127.0.0.1."""
    if host:
        return host
    import socket  # noqa: PLC0415

    if ipaddress.ip_address(announce_ip).is_loopback:
        with socket.socket() as s:
            try:
                s.bind((announce_ip, 0))
                return announce_ip
            except OSError:
                pass
    return "127.0.0.1"


def announce(
    url: str, hotkey_uri: str, netuid: int, ip: str, port: int, stop: threading.Event, timeout: float = 60.0
) -> Any:
    """serve_axon, retried until it succeeds, `stop` is set or `timeout` s pass (the hotkey may not
    be registered yet)."""
    from runtime.support.keys import keypair_from_uri  # noqa: PLC0415
    from taochain.client import Client, ConnectionFailed, RpcError  # noqa: PLC0415

    key = keypair_from_uri(hotkey_uri)
    deadline = time.monotonic() + timeout
    last: Any = None
    with Client(url, timeout=20) as c:
        while time.monotonic() < deadline and not stop.is_set():
            try:
                last = c.serve_axon(key, netuid, ip, port)
                if last.success:
                    return last
            except (ConnectionFailed, RpcError) as exc:
                last = exc
            stop.wait(1.0)
    raise RuntimeError(f"serve_axon did not succeed: {last}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m taochain.demo_subnet.miner", description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="ws://127.0.0.1:9944", help="a node's RPC")
    ap.add_argument("--netuid", type=int, default=1)
    ap.add_argument("--hotkey-uri", required=True, help="the miner's hotkey (registered on the subnet)")
    ap.add_argument("--level", type=int, required=True, help=f"ladder rung 0..{len(LADDER) - 1} (models.LADDER)")
    ap.add_argument("--port", type=int, required=True, help="the axon's TCP port")
    ap.add_argument("--announce-ip", default=DEFAULT_ANNOUNCE_IP, help="the address put on chain [127.0.0.2]")
    ap.add_argument("--host", default=None, help="the address to listen on [the announced one if bindable]")
    ap.add_argument("--no-announce", action="store_true", help="serve only; do not call serve_axon")
    ap.add_argument("--parent-pid", type=int, default=None, help="exit when this process (the demo) is gone")
    args = ap.parse_args(argv)
    if not 0 <= args.level < len(LADDER):
        ap.error(f"--level must be 0..{len(LADDER) - 1}")
    level = LADDER[args.level]

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t0 = time.monotonic()
    model, n = train(level)
    from runtime.support.keys import keypair_from_uri  # noqa: PLC0415

    hotkey = keypair_from_uri(args.hotkey_uri).ss58
    info = {"hotkey": hotkey, "level": args.level, "model": level.label, "train_size": n}
    host = bind_host(args.announce_ip, args.host)
    axon = Axon((host, args.port), model, info)
    threading.Thread(target=axon.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    log("serving", **info, host=host, port=args.port, train_s=round(time.monotonic() - t0, 2))
    try:
        if not args.no_announce:
            r = announce(args.url, args.hotkey_uri, args.netuid, args.announce_ip, args.port, stop)
            log("announced", ip=args.announce_ip, port=args.port, block=r.block_number)
        while not stop.wait(1.0):
            if orphaned(args.parent_pid):
                log("orphaned", parent_pid=args.parent_pid)
                break
    except RuntimeError as exc:
        if not stop.is_set():
            log("error", message=str(exc))
            return 1
    finally:
        axon.shutdown()
        axon.server_close()
    log("stopped", served=axon.served)
    return 0


if __name__ == "__main__":
    sys.exit(main())
