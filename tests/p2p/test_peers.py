"""p2p.peers in one process: peer exchange, deduplication, rate limits, reputation and bans, limits."""

from __future__ import annotations

import asyncio
import time

from p2p import peers as peers_mod
from p2p.messages import Transactions
from p2p.peers import PeerConfig, PeerSet, SeenCache, TokenBucket
from p2p.transport import PROTOCOL_VERSION, Hello, multiaddr
from runtime.support.keys import ED25519, dev_keypair

GENESIS = bytes(range(32))


async def until(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def make(name: str, bootnodes: tuple[str, ...] = (), handler=None, **cfg) -> PeerSet:
    key = dev_keypair(name, ED25519)
    box: dict = {}

    def hello() -> Hello:
        return Hello(GENESIS, PROTOCOL_VERSION, 1, 0, b"\0" * 32, 0, b"\0" * 32, box["ps"].port, name)

    async def default_handler(peer, msg) -> int:
        box.setdefault("got", []).append(msg)
        return 0

    ps = PeerSet(key, hello, handler or default_handler, PeerConfig("127.0.0.1", 0, bootnodes, **cfg))
    box["ps"] = ps
    ps.box = box  # type: ignore[attr-defined]
    return ps


def addr(ps: PeerSet) -> str:
    return multiaddr("127.0.0.1", ps.port, ps.peer_id)


def test_seen_cache_and_token_bucket() -> None:
    c = SeenCache(3)
    assert c.first_seen(b"a") and not c.first_seen(b"a")
    for x in (b"b", b"c", b"d"):
        assert c.first_seen(x)
    assert len(c) == 3 and b"a" not in c  # the oldest is forgotten
    b = TokenBucket(rate=0.0, burst=2)
    assert b.take() and b.take() and not b.take()


def test_bootnode_peer_exchange_and_messages() -> None:
    async def main() -> None:
        a = make("Alice")
        await a.start()
        b = make("Bob", (addr(a),))
        await b.start()
        await until(lambda: b.peer_id in a.peers and a.peer_id in b.peers)
        # Charlie knows only Bob; peer exchange teaches it Alice, and it connects
        c = make("Charlie", (addr(b),))
        await c.start()
        await until(lambda: a.peer_id in c.peers and b.peer_id in c.peers)
        assert await c.broadcast(Transactions((b"\x01\x02",))) == 2
        await until(lambda: any(isinstance(m, Transactions) for m in a.box.get("got", [])))
        info = {p["peerId"]: p for p in a.peer_info()}
        assert c.peer_id in info and info[c.peer_id]["name"] == "Charlie"
        for ps in (a, b, c):
            await ps.stop()

    asyncio.run(main())


def test_bad_data_bans_and_a_banned_peer_is_refused() -> None:
    async def main() -> None:
        async def strict(peer, msg) -> int:
            return peers_mod.BAD_MESSAGE  # every message is bad data

        a = make("Alice", handler=strict)
        await a.start()
        b = make("Bob")
        await b.start()
        peer = await b.dial("127.0.0.1", a.port, a.peer_id)
        assert peer is not None
        await until(lambda: b.peer_id in a.peers)
        await b.send(peer, Transactions(()))
        await until(lambda: b.peer_id not in a.peers and a.is_banned(b.peer_id))
        await until(lambda: a.peer_id not in b.peers)
        # a new connection from the banned identity is closed at once
        await b.dial("127.0.0.1", a.port, a.peer_id)
        await asyncio.sleep(0.3)
        assert b.peer_id not in a.peers
        for ps in (a, b):
            await ps.stop()

    asyncio.run(main())


def test_rate_limit_costs_reputation(monkeypatch) -> None:
    monkeypatch.setattr(peers_mod, "MSGS_PER_SECOND", 0.0)
    monkeypatch.setattr(peers_mod, "MSG_BURST", 5.0)

    async def main() -> None:
        a = make("Alice")
        await a.start()
        b = make("Bob")
        await b.start()
        peer = await b.dial("127.0.0.1", a.port, a.peer_id)
        await until(lambda: b.peer_id in a.peers)
        for _ in range(30):  # a burst of 5 passes, then each costs RATE_PENALTY until the ban
            await b.send(peer, Transactions(()))
        await until(lambda: a.is_banned(b.peer_id))
        got = [m for m in a.box.get("got", []) if isinstance(m, Transactions)]
        assert 1 <= len(got) <= 5  # the burst (peer exchange messages count too), then refused
        for ps in (a, b):
            await ps.stop()

    asyncio.run(main())


def test_inbound_limit() -> None:
    async def main() -> None:
        a = make("Alice", max_inbound=1)
        await a.start()
        b, c = make("Bob"), make("Charlie")
        await b.start()
        await c.start()
        await b.dial("127.0.0.1", a.port, a.peer_id)
        await until(lambda: b.peer_id in a.peers)
        await c.dial("127.0.0.1", a.port, a.peer_id)
        await asyncio.sleep(0.3)
        assert c.peer_id not in a.peers and len([p for p in a.peers.values() if p.inbound]) == 1
        for ps in (a, b, c):
            await ps.stop()

    asyncio.run(main())
