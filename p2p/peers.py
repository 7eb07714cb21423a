"""Peers: connections over the secure transport, limits, reputation and bans, peer exchange,
gossip deduplication and per-peer rate limits.

`PeerSet` listens for inbound connections, dials bootnodes and addresses learnt by peer exchange
(with exponential backoff), and hands every decoded message to the node's handler. It knows
messages, not what they mean: the handler returns a reputation change (0 for fine, negative for
bad data), and undecodable frames, oversize frames, failed decryption and rate-limit excess are
penalised here. A peer whose reputation falls below `BAN_THRESHOLD` is disconnected and banned for
`BAN_SECONDS` (its peer id and its address are refused, inbound and outbound).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from p2p import transport
from p2p.messages import GetPeers, PeerAddrs, decode_message, encode_message
from runtime.support.codec import CodecError
from runtime.support.keys import Keypair

log = logging.getLogger("taochain.p2p")

BAN_THRESHOLD = -100
BAN_SECONDS = 120.0
BAD_MESSAGE = -100  # undecodable or invalid data: one strike bans
RATE_PENALTY = -10
MSGS_PER_SECOND = 2000.0  # per peer, token bucket
MSG_BURST = 4000.0
SEEN_CAPACITY = 65536
MAX_KNOWN_ADDRS = 256
RECONNECT_MIN, RECONNECT_MAX = 0.5, 30.0


class SeenCache:
    """A bounded set of recently seen message hashes (oldest forgotten first)."""

    def __init__(self, capacity: int = SEEN_CAPACITY) -> None:
        self.capacity = capacity
        self._items: OrderedDict[bytes, None] = OrderedDict()

    def first_seen(self, h: bytes) -> bool:
        """True the first time `h` is seen (and remembers it)."""
        if h in self._items:
            self._items.move_to_end(h)
            return False
        self._items[h] = None
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return True

    def __contains__(self, h: bytes) -> bool:
        return h in self._items

    def __len__(self) -> int:
        return len(self._items)


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False


@dataclasses.dataclass
class Peer:
    conn: Any  # transport.SecureConnection
    inbound: bool
    reputation: int = 0
    bucket: TokenBucket = dataclasses.field(default_factory=lambda: TokenBucket(MSGS_PER_SECOND, MSG_BURST))
    task: asyncio.Task | None = None
    connected_at: float = dataclasses.field(default_factory=time.monotonic)
    best_number: int = 0  # the peer's best block as last announced (the handshake's at first)
    best_hash: bytes = b""

    def __post_init__(self) -> None:
        self.best_number, self.best_hash = self.conn.hello.best_number, self.conn.hello.best_hash

    @property
    def peer_id(self) -> str:
        return self.conn.peer_id

    @property
    def hello(self) -> Any:
        return self.conn.hello

    @property
    def listen_addr(self) -> str:
        host = self.conn.remote_addr[0]
        return transport.multiaddr(host, self.conn.hello.listen_port, self.conn.peer_id)


Handler = Callable[[Peer, Any], Awaitable[int]]


@dataclasses.dataclass(frozen=True, slots=True)
class PeerConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = 30333  # 0: an ephemeral port
    bootnodes: tuple[str, ...] = ()
    max_inbound: int = 25
    max_outbound: int = 15
    peer_exchange: bool = True


class PeerSet:
    """The node's peers. `await start()`; `broadcast(msg)`; `send(peer, msg)`; `await stop()`."""

    def __init__(
        self,
        identity: Keypair,
        hello: Callable[[], Any],  # -> transport.Hello for a new connection (current heads)
        handler: Handler,
        config: PeerConfig = PeerConfig(),
        on_connect: Callable[[Peer], Awaitable[None]] | None = None,
        on_disconnect: Callable[[Peer], None] | None = None,
    ) -> None:
        self.identity = identity
        self.peer_id = transport.peer_id_of(identity.public)
        self.hello = hello
        self.handler = handler
        self.config = config
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.peers: dict[str, Peer] = {}
        self.banned: dict[str, float] = {}  # peer id or "host:port" -> until (monotonic)
        self.known: dict[tuple[str, int], str | None] = {}  # dialable address -> expected peer id
        self.backoff: dict[tuple[str, int], tuple[float, float]] = {}  # addr -> (next try, delay)
        self.bootnodes: list[tuple[str, int, str | None]] = [transport.parse_multiaddr(a) for a in config.bootnodes]
        self.server: asyncio.AbstractServer | None = None
        self.port = config.listen_port
        self._tasks: list[asyncio.Task] = []
        self._dialing: set[tuple[str, int]] = set()
        self.bytes_in = self.bytes_out = 0
        self.stopping = False

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.server = await asyncio.start_server(self._inbound, self.config.listen_host, self.config.listen_port)
        self.port = self.server.sockets[0].getsockname()[1]
        for host, port, pid in self.bootnodes:
            self.known[(host, port)] = pid
        self._tasks.append(asyncio.create_task(self._maintain(), name="p2p-maintain"))
        log.info("🏷  Local node identity is: %s (listening on %s:%d)", self.peer_id, self.config.listen_host, self.port)

    async def stop(self) -> None:
        self.stopping = True
        for t in self._tasks:
            t.cancel()
        if self.server is not None:
            self.server.close()
        for peer in list(self.peers.values()):
            self._drop(peer, "shutting down")
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)

    # ------------------------------------------------------------------ bans and reputation
    def is_banned(self, key: str) -> bool:
        until = self.banned.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self.banned[key]
            return False
        return True

    def report(self, peer: Peer, delta: int, reason: str) -> None:
        """Change a peer's reputation; below the threshold it is dropped and banned."""
        if delta == 0 or peer.peer_id not in self.peers:
            return
        peer.reputation = max(-1_000_000, peer.reputation + delta)
        if delta < 0:
            log.debug("peer %s: %s (reputation %d)", peer.peer_id, reason, peer.reputation)
        if peer.reputation <= BAN_THRESHOLD:
            log.warning("🚫 Banning peer %s for %.0f s: %s", peer.peer_id, BAN_SECONDS, reason)
            until = time.monotonic() + BAN_SECONDS
            self.banned[peer.peer_id] = until
            host, port = peer.conn.remote_addr
            self.banned[f"{host}:{peer.hello.listen_port}"] = until
            self._drop(peer, f"banned: {reason}")

    # ------------------------------------------------------------------ connections
    async def _inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = (writer.get_extra_info("peername") or ("?", 0))[0]
        inbound = sum(1 for p in self.peers.values() if p.inbound)
        if self.stopping or inbound >= self.config.max_inbound:
            writer.close()
            return
        try:
            conn = await transport.accept(reader, writer, self.identity, self.hello())
        except (transport.HandshakeError, transport.FrameError, ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            log.debug("inbound handshake from %s failed: %s", host, exc)
            writer.close()
            return
        await self._admit(conn, inbound=True)

    async def dial(self, host: str, port: int, expect: str | None = None) -> Peer | None:
        addr = (host, port)
        if addr in self._dialing or self.is_banned(f"{host}:{port}") or (expect and self.is_banned(expect)):
            return None
        self._dialing.add(addr)
        try:
            conn = await transport.connect(host, port, self.identity, self.hello(), expect_peer_id=expect)
        except (transport.HandshakeError, transport.FrameError, ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            nxt, delay = self.backoff.get(addr, (0.0, RECONNECT_MIN / 2))
            delay = min(RECONNECT_MAX, delay * 2)
            self.backoff[addr] = (time.monotonic() + delay * (0.75 + random.random() / 2), delay)
            log.debug("dialing %s:%d failed: %s (retry in %.1f s)", host, port, exc, delay)
            return None
        finally:
            self._dialing.discard(addr)
        self.backoff.pop(addr, None)
        return await self._admit(conn, inbound=False)

    async def _admit(self, conn: Any, inbound: bool) -> Peer | None:
        pid = conn.peer_id
        if pid == self.peer_id or self.is_banned(pid) or pid in self.peers:
            conn.close()
            return self.peers.get(pid)
        peer = Peer(conn, inbound)
        self.peers[pid] = peer
        host = conn.remote_addr[0]
        self.known.setdefault((host, conn.hello.listen_port), pid)
        log.info("🤝 Connected to %s (%s, %s)", pid, conn.hello.name, "inbound" if inbound else "outbound")
        peer.task = asyncio.create_task(self._read(peer), name=f"peer-{pid[-6:]}")
        if self.config.peer_exchange:
            await self.send(peer, GetPeers(32))
        if self.on_connect is not None:
            await self.on_connect(peer)
        return peer

    def _drop(self, peer: Peer, reason: str) -> None:
        if self.peers.get(peer.peer_id) is not peer:
            return
        del self.peers[peer.peer_id]
        peer.conn.close()
        if peer.task is not None and peer.task is not asyncio.current_task():
            peer.task.cancel()
        log.info("👋 Disconnected from %s: %s", peer.peer_id, reason)
        if self.on_disconnect is not None:
            self.on_disconnect(peer)

    async def _read(self, peer: Peer) -> None:
        conn = peer.conn
        try:
            while True:
                data = await conn.recv()
                self.bytes_in += len(data)
                if not peer.bucket.take():
                    self.report(peer, RATE_PENALTY, "too many messages")
                    continue
                try:
                    msg = decode_message(data)
                except CodecError as exc:
                    self.report(peer, BAD_MESSAGE, f"undecodable message: {exc}")
                    continue
                try:
                    delta = await self._handle(peer, msg)
                except Exception as exc:  # noqa: BLE001 - a peer's data must never kill the node
                    log.exception("handling %s from %s failed", type(msg).__name__, peer.peer_id)
                    delta = BAD_MESSAGE if isinstance(exc, (CodecError, ValueError)) else 0
                self.report(peer, delta, f"bad {type(msg).__name__}")
                if peer.peer_id not in self.peers:
                    return
        except transport.FrameError as exc:
            self.report(peer, BAD_MESSAGE, f"bad frame: {exc}")
            self._drop(peer, f"bad frame: {exc}")
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            self._drop(peer, f"connection closed ({type(exc).__name__})")
        except asyncio.CancelledError:
            raise

    async def _handle(self, peer: Peer, msg: Any) -> int:
        if isinstance(msg, GetPeers):
            addrs = [p.listen_addr for p in self.peers.values() if p is not peer][: max(0, min(msg.limit, 64))]
            await self.send(peer, PeerAddrs(tuple(addrs)))
            return 0
        if isinstance(msg, PeerAddrs):
            for a in msg.addrs[:64]:
                try:
                    host, port, pid = transport.parse_multiaddr(a)
                except ValueError:
                    return BAD_MESSAGE
                if pid != self.peer_id and len(self.known) < MAX_KNOWN_ADDRS:
                    self.known.setdefault((host, port), pid)
            return 0
        return await self.handler(peer, msg)

    # ------------------------------------------------------------------ sending
    async def send(self, peer: Peer, msg: Any) -> bool:
        return await self._send_raw(peer, encode_message(msg))

    async def broadcast(self, msg: Any, exclude: str | None = None) -> int:
        """Send to every connected peer (but `exclude`); returns how many were sent to."""
        data = encode_message(msg)
        targets = [p for pid, p in self.peers.items() if pid != exclude]
        results = await asyncio.gather(*(self._send_raw(p, data) for p in targets))
        return sum(results)

    async def _send_raw(self, peer: Peer, data: bytes) -> bool:
        try:
            await peer.conn.send(data)
        except (ConnectionError, OSError, RuntimeError) as exc:
            self._drop(peer, f"send failed ({type(exc).__name__})")
            return False
        self.bytes_out += len(data)
        return True

    # ------------------------------------------------------------------ maintenance
    async def _maintain(self) -> None:
        while not self.stopping:
            outbound = sum(1 for p in self.peers.values() if not p.inbound)
            connected_addrs = {(p.conn.remote_addr[0], p.hello.listen_port) for p in self.peers.values()}
            connected_ids = set(self.peers)
            now = time.monotonic()
            if outbound < self.config.max_outbound:
                for (host, port), pid in list(self.known.items()):
                    if (host, port) in connected_addrs or (pid is not None and pid in connected_ids):
                        continue
                    if (host, port) == (self.config.listen_host, self.port) or pid == self.peer_id:
                        continue
                    if self.backoff.get((host, port), (0.0, 0.0))[0] > now:
                        continue
                    asyncio.create_task(self.dial(host, port, pid))
            await asyncio.sleep(0.5)

    def peer_info(self) -> list[dict[str, Any]]:
        """What `system_peers` answers."""
        return [
            {
                "peerId": p.peer_id,
                "roles": "AUTHORITY" if p.hello.roles & 4 else "FULL",
                "bestHash": "0x" + p.best_hash.hex(),
                "bestNumber": p.best_number,
                "name": p.hello.name,
                "inbound": p.inbound,
                "reputation": p.reputation,
            }
            for p in self.peers.values()
        ]
