"""A minimal taochain miner: registers its hotkey by burn (if it has no uid yet), serves an HTTP
axon answering a trivial task, and announces the axon on chain with serve_axon.

The task (POST /forward, JSON): {"task": "sum", "numbers": [..]} -> {"result": sum, "hotkey": ss58}.

    python examples/miner.py --url ws://127.0.0.1:9944 --netuid 1 \\
        --coldkey //Charlie --hotkey //Charlie//miner --port 8091 --external-ip 127.0.0.2

The chain refuses 0.0.0.0 and 127.0.0.1 as axon addresses: on one machine announce another
loopback address (127.0.0.2) or the machine's LAN address (the default: the address of the
interface with the default route).
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from runtime.support.keys import keypair_from_uri
from taochain import Client, ConnectionFailed


def answer(req: dict) -> dict:
    """The miner's work: the sum of the numbers."""
    if req.get("task") != "sum" or not isinstance(req.get("numbers"), list):
        raise ValueError("unknown task")
    return {"result": sum(float(x) for x in req["numbers"])}


def make_handler(hotkey_ss58: str) -> type[BaseHTTPRequestHandler]:
    class Axon(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/forward":
                self.send_error(404)
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                out = {**answer(body), "hotkey": hotkey_ss58}
                code = 200
            except (ValueError, TypeError, json.JSONDecodeError) as exc:
                out, code = {"error": str(exc)}, 400
            data = json.dumps(out).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:  # quiet
            pass

    return Axon


def default_ip() -> str:
    """The address of the interface with the default route (no packet is sent), else 127.0.0.2."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
            return ip if ip not in ("0.0.0.0", "127.0.0.1") else "127.0.0.2"
    except OSError:
        return "127.0.0.2"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="local", help="node URL or 'local' (default)")
    ap.add_argument("--netuid", type=int, default=1)
    ap.add_argument("--coldkey", default="//Charlie", help="URI of the coldkey paying the burn")
    ap.add_argument("--hotkey", default="//Charlie//miner", help="URI of the miner's hotkey")
    ap.add_argument("--host", default="0.0.0.0", help="address the axon listens on")
    ap.add_argument("--port", type=int, default=8091)
    ap.add_argument("--external-ip", default=None, help="address announced on chain (default: see above)")
    ap.add_argument("--run-for", type=float, default=0, help="stop after this many seconds (0: until Ctrl-C)")
    args = ap.parse_args()

    cold, hot = keypair_from_uri(args.coldkey), keypair_from_uri(args.hotkey)
    ip = args.external_ip or default_ip()
    with Client(args.url) as c:
        mg = c.metagraph(args.netuid, lite=True)
        if mg is None:
            raise SystemExit(f"there is no subnet {args.netuid}")
        if hot.ss58 not in mg.hotkeys:
            ok, msg = c.burned_register(cold, args.netuid, hot)
            if not ok:
                raise SystemExit(f"registration failed: {msg}")
            mg.sync()
        uid = mg.hotkeys.index(hot.ss58)
        print(f"miner {hot.ss58} has uid {uid} on subnet {args.netuid}", flush=True)

        server = ThreadingHTTPServer((args.host, args.port), make_handler(hot.ss58))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        ax = mg.axons[uid]
        if (ax.ip, ax.port) != (ip, port):
            ok, msg = c.serve_axon(hot, args.netuid, ip, port)
            if not ok:
                raise SystemExit(f"serve_axon failed: {msg}")
        print(f"axon serving on {args.host}:{port}, announced as {ip}:{port}", flush=True)
        deadline = time.monotonic() + args.run_for if args.run_for else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
        try:
            mg.sync()
            print(f"stopping: incentive {mg.I[uid]:.4f}, emission {mg.E[uid]:.6f} TAO", flush=True)
        except ConnectionFailed:
            print("stopping (the node is gone)", flush=True)


if __name__ == "__main__":
    main()
