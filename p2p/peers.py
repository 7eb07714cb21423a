"""Peers: connections over the secure transport, limits, reputation and bans, peer exchange,
gossip deduplication and per-peer rate limits.

`PeerSet` listens for inbound connections, dials bootnodes and addresses learnt by peer exchange
(with exponential backoff), and hands every decoded message to the node's handler. It knows
messages, not what they mean: the handler returns a reputation change (0 for fine, negative for
bad data), and undecodable frames, oversize frames, failed decryption, stalled frames and
rate-limit excess are penalised here. A new identity costs nothing to make, so the rules below are
about what an address can do, not only an identity.

Reputation (as Substrate's peerset): an integer per peer id, 0 for a newcomer, changed by
`report(peer, delta, reason)`; it is remembered across reconnects (a bounded table) and decays
toward 0 by 2 % a second, at least 1 (`compute_decayed_reputation`), so small penalties (an invalid
transaction, a late block response) add up to a ban when they come fast, and an honest peer that
erred once is forgiven within minutes. At or below `BAN_THRESHOLD` the peer is dropped and banned
for `BAN_SECONDS`.

A ban covers, for `BAN_SECONDS`:
- the peer id;
- its endpoint: the address it listens on (its IP and the listen port of its Hello). A dial to it
  is refused, and so is an inbound peer, with any key, whose Hello claims that endpoint;
- its address (the IP, an IPv6 /64), refused at TCP accept before any handshake work, and for
  dials: only for a public address, or for any with `PeerConfig.ban_local_addresses`. Loopback,
  private and link-local addresses are shared by many honest nodes (every node of a local testnet
  is 127.0.0.1, a LAN cluster shares one subnet, containers one bridge), so banning such an address
  for one bad peer would cut off all of them; there the endpoint ban and the limits below apply.
  On a public address, one host and its fresh keys are one actor (as Bitcoin Core discourages an
  address, not a key); a NAT that hides honest nodes behind a bad one loses them for a while.

Inbound slots: at most `max_inbound` peers, at most `max_inbound_per_ip` of them (handshakes in
progress included) from one address (default 8: a 9-node loopback testnet is a full mesh; bigger
ones form a partial mesh, each node still with 8 inbound and `max_outbound` outbound peers). When
the slots are full, a newcomer from an address with at least two fewer inbound peers than the most
represented one evicts that address's worst peer (lowest reputation, newest first), as Bitcoin
Core's eviction favours diverse addresses: fresh keys from one address crowd only each other out.
At most MAX_PENDING_HANDSHAKES handshakes run at once; each has the transport's HANDSHAKE_TIMEOUT,
and each frame's body its `frame_timeout` once its length is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
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
RATE_PENALTY = -10  # a message over the rate limit (dropped unread)
STALL_PENALTY = -50  # a frame whose body did not arrive in time: dropped; twice in a while bans
MAX_REPUTATION = 1_000_000  # |reputation| is capped here
MAX_REMEMBERED = 4096  # reputations of peer ids kept (connected ones always)
MAX_PENDING_HANDSHAKES = 64  # inbound handshakes in progress, all addresses together
MSGS_PER_SECOND = 2000.0  # per peer, token bucket
MSG_BURST = 4000.0
SEEN_CAPACITY = 65536
MAX_KNOWN_ADDRS = 256
RECONNECT_MIN, RECONNECT_MAX = 0.5, 30.0


def compute_decayed_reputation(value: int, seconds: int) -> int:
    """`value` after `seconds` whole seconds of Substrate's peerset decay: each second it moves
    toward 0 by value / 50 (truncated), or by 1 when that is 0."""
    for _ in range(max(0, min(seconds, 1000))):  # 1000 s take any |value| <= MAX_REPUTATION to 0
        if value == 0:
            break
        step = abs(value) // 50 or 1
        value += step if value < 0 else -step
    return value if seconds <= 1000 else 0


def address_group(host: str) -> str:
    """The unit of per-address limits and bans: an IPv4 address (IPv4-mapped IPv6 included), an
    IPv6 /64 (one host's usual allocation), or the text itself when it is not an IP address."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def is_local_address(host: str) -> bool:
    """Loopback, private or link-local: an address that many honest nodes may share."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private or ip.is_link_local


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
    def address_group(self) -> str:
        return address_group(self.conn.remote_addr[0])

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
    max_inbound_per_ip: int = 8  # inbound peers (and handshakes) from one address (an IPv6 /64)
    ban_local_addresses: bool = False  # a ban covers loopback/private addresses too (not only endpoints)


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
        self.banned: dict[str, float] = {}  # peer id or endpoint "host:port" -> until (clock)
        self._operator_bans: dict[str, str] = {}  # peer id -> the endpoint its operator's ban covers
        self.banned_addresses: dict[str, float] = {}  # address group -> until (clock)
        self.reputations: OrderedDict[str, tuple[int, float]] = OrderedDict()  # id -> (value, as of)
        self.clock: Callable[[], float] = time.monotonic  # bans and reputation decay (tests replace it)
        self._pending: dict[str, int] = {}  # address group -> inbound handshakes in progress
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
        """Whether a peer id or an endpoint "host:port" is banned now."""
        return self._ban_holds(self.banned, key)

    def is_address_banned(self, host: str) -> bool:
        """Whether the address (group) of `host` is banned now."""
        return self._ban_holds(self.banned_addresses, address_group(host))

    def _ban_holds(self, table: dict[str, float], key: str) -> bool:
        until = table.get(key)
        if until is None:
            return False
        if self.clock() >= until:
            del table[key]
            return False
        return True

    def bans_address(self, host: str) -> bool:
        """Whether a ban of a peer at `host` covers the whole address (see the module doc)."""
        return self.config.ban_local_addresses or not is_local_address(host)

    def reputation(self, peer_id: str) -> int:
        """A peer id's reputation now (decayed; 0 when unknown)."""
        entry = self.reputations.get(peer_id)
        if entry is None:
            return 0
        value, at = entry
        seconds = int(self.clock() - at)
        if seconds > 0:
            value = compute_decayed_reputation(value, seconds)
            self.reputations[peer_id] = (value, at + seconds)
            peer = self.peers.get(peer_id)
            if peer is not None:
                peer.reputation = value
        return value

    def report(self, peer: Peer, delta: int, reason: str) -> None:
        """Change a peer's reputation by `delta` (negative for misbehaviour; small ones add up, and
        decay back toward 0); at or below BAN_THRESHOLD the peer is dropped and banned. Works for a
        peer that has already disconnected too: its identity keeps the reputation."""
        if delta == 0:
            return
        pid = peer.peer_id
        value = max(-MAX_REPUTATION, min(MAX_REPUTATION, self.reputation(pid) + delta))
        at = self.reputations[pid][1] if pid in self.reputations else self.clock()
        self.reputations[pid] = (value, at)
        self.reputations.move_to_end(pid)
        current = self.peers.get(pid)
        if current is not None:
            current.reputation = value
        self._forget_reputations()
        if delta < 0:
            log.debug("peer %s: %s (reputation %d)", pid, reason, value)
        if value <= BAN_THRESHOLD and not self.is_banned(pid):
            self._ban(peer, reason)
        if value <= BAN_THRESHOLD and current is not None:
            self._drop(current, f"banned: {reason}")

    def ban(self, peer_id: str, seconds: float, reason: str) -> bool:
        """An operator's ban: refuse `peer_id` (and, while it is connected, its endpoint) for
        `seconds`, dropping it if connected; `seconds` = 0 lifts a ban of the peer id. True when
        the peer was connected."""
        if seconds <= 0:
            self.banned.pop(peer_id, None)
            endpoint = self._operator_bans.pop(peer_id, None)
            if endpoint is not None:
                self.banned.pop(endpoint, None)
            return False
        until = self.clock() + seconds
        self.banned[peer_id] = until
        peer = self.peers.get(peer_id)
        if peer is None:
            return False
        endpoint = f"{peer.conn.remote_addr[0]}:{peer.hello.listen_port}"
        self.banned[endpoint] = until
        self._operator_bans[peer_id] = endpoint
        if len(self._operator_bans) > MAX_REMEMBERED:
            self._operator_bans.pop(next(iter(self._operator_bans)))
        log.warning("🚫 Banning peer %s for %.0f s: %s", peer_id, seconds, reason)
        self._drop(peer, f"banned: {reason}")
        return True

    def _ban(self, peer: Peer, reason: str) -> None:
        host = peer.conn.remote_addr[0]
        until = self.clock() + BAN_SECONDS
        self.banned[peer.peer_id] = until
        self.banned[f"{host}:{peer.hello.listen_port}"] = until
        scope = "its endpoint"
        if self.bans_address(host):
            self.banned_addresses[address_group(host)] = until
            scope = f"its address {address_group(host)}"
        log.warning("🚫 Banning peer %s for %.0f s (and %s): %s", peer.peer_id, BAN_SECONDS, scope, reason)

    def _forget_reputations(self) -> None:
        """Keep the table bounded: forget the least recently changed disconnected peers."""
        if len(self.reputations) <= MAX_REMEMBERED:
            return
        for pid in list(self.reputations):
            if len(self.reputations) <= MAX_REMEMBERED:
                break
            if pid not in self.peers:
                del self.reputations[pid]

    # ------------------------------------------------------------------ inbound slots
    def _inbound_count(self, group: str | None = None) -> int:
        return sum(1 for p in self.peers.values() if p.inbound and (group is None or p.address_group == group))

    def _eviction_candidate(self, group: str) -> Peer | None:
        """The inbound peer a newcomer from `group` may replace when the slots are full: the worst
        (lowest reputation, then newest) of the most represented address, if that address has at
        least two more inbound peers than the newcomer's."""
        counts: dict[str, int] = {}
        for p in self.peers.values():
            if p.inbound:
                counts[p.address_group] = counts.get(p.address_group, 0) + 1
        if not counts:
            return None
        crowded = max(counts, key=lambda g: counts[g])
        if counts[crowded] < counts.get(group, 0) + 2:
            return None
        members = [p for p in self.peers.values() if p.inbound and p.address_group == crowded]
        return min(members, key=lambda p: (self.reputation(p.peer_id), -p.connected_at))

    def _inbound_refusal(self, group: str, pending: int) -> str | None:
        """Why a new inbound connection from `group` is refused now (None: it may proceed), with
        `pending` of its handshakes already counted elsewhere."""
        if self._inbound_count(group) + pending >= self.config.max_inbound_per_ip:
            return f"{self.config.max_inbound_per_ip} inbound peers from {group} already"
        if self._inbound_count() >= self.config.max_inbound and self._eviction_candidate(group) is None:
            return "inbound slots full"
        return None

    # ------------------------------------------------------------------ connections
    async def _inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = str((writer.get_extra_info("peername") or ("?", 0))[0])
        group = address_group(host)
        # before any handshake work: bans of the address, the slots, the handshakes in flight
        refusal = "shutting down" if self.stopping else None
        if refusal is None and self.is_address_banned(host):
            refusal = "address banned"
        if refusal is None and sum(self._pending.values()) >= MAX_PENDING_HANDSHAKES:
            refusal = "too many handshakes in progress"
        if refusal is None:
            refusal = self._inbound_refusal(group, self._pending.get(group, 0))
        if refusal is not None:
            log.debug("inbound connection from %s refused: %s", host, refusal)
            writer.close()
            return
        self._pending[group] = self._pending.get(group, 0) + 1
        try:
            conn = await transport.accept(reader, writer, self.identity, self.hello())
        except (transport.HandshakeError, transport.FrameError, ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            log.debug("inbound handshake from %s failed: %s", host, exc)
            writer.close()
            return
        finally:
            self._pending[group] -= 1
            if not self._pending[group]:
                del self._pending[group]
        await self._admit(conn, inbound=True)

    async def dial(self, host: str, port: int, expect: str | None = None) -> Peer | None:
        addr = (host, port)
        if addr in self._dialing or self.is_banned(f"{host}:{port}") or (expect and self.is_banned(expect)):
            return None
        if self.is_address_banned(host):
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
        host = conn.remote_addr[0]
        if inbound:  # the checks of _inbound again: other handshakes may have finished meanwhile
            group = address_group(host)
            refusal = self._inbound_refusal(group, 0)
            if refusal is None and self.is_banned(f"{host}:{conn.hello.listen_port}"):
                refusal = f"endpoint {host}:{conn.hello.listen_port} banned"
            if refusal is not None:
                log.debug("inbound peer %s from %s refused: %s", pid, host, refusal)
                conn.close()
                return None
            if self._inbound_count() >= self.config.max_inbound:
                victim = self._eviction_candidate(group)
                if victim is not None:
                    self._drop(victim, f"evicted: inbound slots full, room made for a peer from {group}")
        peer = Peer(conn, inbound)
        peer.reputation = self.reputation(pid)
        self.peers[pid] = peer
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
                if not peer.bucket.take():  # over the rate: dropped unread
                    self.report(peer, RATE_PENALTY, "too many messages")
                else:
                    try:
                        msg = decode_message(data)
                    except CodecError as exc:
                        self.report(peer, BAD_MESSAGE, f"undecodable message: {exc}")
                    else:
                        try:
                            delta = await self._handle(peer, msg)
                        except Exception as exc:  # noqa: BLE001 - a peer's data must never kill the node
                            log.exception("handling %s from %s failed", type(msg).__name__, peer.peer_id)
                            delta = BAD_MESSAGE if isinstance(exc, (CodecError, ValueError)) else 0
                        self.report(peer, delta, f"bad {type(msg).__name__}")
                if self.peers.get(peer.peer_id) is not peer:  # dropped: what it sent since is not read
                    return
        except transport.FrameTimeout as exc:
            self.report(peer, STALL_PENALTY, str(exc))
            self._drop(peer, str(exc))
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
                "reputation": self.reputation(p.peer_id),
            }
            for p in self.peers.values()
        ]
