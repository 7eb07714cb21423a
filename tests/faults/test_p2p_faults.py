"""Item 5 of the hardening issue, "identities cost nothing on p2p", as tests: a `PeerSet` in this
process with real sockets on loopback, attacked by clients made here with p2p.transport or raw
asyncio sockets. Every wait is bounded.

- a banned peer that comes back with a fresh key from the same address is refused;
- fresh keys from one address cannot fill the inbound slots, and an honest node still gets in;
- a 16 MiB length prefix followed by silence loses the connection and its slot within the frame
  deadline; a silent or half-done handshake within the handshake deadline;
- floods of undecodable or over-rate messages end in a ban, without the node handling them.

Sources other than 127.0.0.1 are other loopback addresses (127.0.0.2, ...): Linux routes all of
127.0.0.0/8 to the loopback interface, and a client socket can be bound to any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

import pytest

from p2p import peers as peers_mod
from p2p import transport
from p2p.messages import Transactions, encode_message
from p2p.peers import PeerConfig, PeerSet
from runtime.support.keys import ED25519, dev_keypair, keypair_from_seed

GENESIS = bytes(range(32))
REFUSED = (transport.HandshakeError, ConnectionError, asyncio.IncompleteReadError, OSError)


async def until(cond, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def hello(listen_port: int, name: str = "mallory") -> transport.Hello:
    return transport.Hello(GENESIS, transport.PROTOCOL_VERSION, 1, 0, b"\0" * 32, 0, b"\0" * 32, listen_port, name)


def node(name: str = "Alice", handler=None, **cfg) -> PeerSet:
    """A PeerSet on 127.0.0.1 whose handler records what it is given (or runs `handler`)."""
    got: list = []

    async def record(peer, msg) -> int:
        got.append(msg)
        return 0

    box: dict = {}
    ps = PeerSet(
        dev_keypair(name, ED25519), lambda: hello(box["ps"].port, name), handler or record,
        PeerConfig("127.0.0.1", 0, peer_exchange=False, **cfg),
    )
    box["ps"] = ps
    ps.got = got  # type: ignore[attr-defined]
    return ps


class Mallory:
    """An attacker: a fresh key per connection if asked, from `source` (a loopback address)."""

    def __init__(self, target: PeerSet, source: str = "127.0.0.1", listen_port: int = 1) -> None:
        self.target, self.source, self.listen_port = target, source, listen_port

    async def connect(self, identity=None) -> transport.SecureConnection:
        identity = identity or keypair_from_seed(os.urandom(32), ED25519)
        conn = await transport.connect(
            "127.0.0.1", self.target.port, identity, hello(self.listen_port), local_addr=(self.source, 0),
        )
        conn.me = transport.peer_id_of(identity.public)  # type: ignore[attr-defined]  # conn.peer_id: the target
        return conn

    async def try_connect(self, identity=None) -> transport.SecureConnection | None:
        """A connection the target admitted, or None when it refused (before, during or right after
        the handshake: an admitted peer is sent nothing here, so wait to see it listed)."""
        try:
            conn = await self.connect(identity)
        except REFUSED:
            return None
        try:
            await until(lambda: conn.me in self.target.peers or conn.closed, 1.0)
        except AssertionError:
            pass
        if conn.me in self.target.peers:
            return conn
        conn.close()
        return None


async def closed_within(conn: transport.SecureConnection, seconds: float) -> float:
    """Seconds until the other side closes `conn` (reading and discarding what it sends)."""
    t0 = time.monotonic()
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError, transport.FrameError)):
        async with asyncio.timeout(seconds):
            while True:
                await conn.recv()
    return time.monotonic() - t0


def inbound_from(ps: PeerSet, host: str) -> int:
    return sum(1 for p in ps.peers.values() if p.inbound and p.conn.remote_addr[0] == host)


# --------------------------------------------------------------------------- bans cover the address


def test_a_banned_peer_with_a_fresh_key_from_the_same_address_is_refused() -> None:
    """The IP of a banned peer is refused before the handshake (here loopback counts as a public
    address); on the default config, a loopback address is not banned but the endpoint is."""

    async def main() -> None:
        a = node(ban_local_addresses=True)
        await a.start()
        m = Mallory(a, "127.0.0.2")
        conn = await m.connect()
        await until(lambda: conn.me in a.peers)
        await conn.send(b"\x00not a message")
        await closed_within(conn, 5)
        await until(lambda: a.is_banned(conn.me), what="the ban")
        # a fresh key from the same address: closed before any handshake work
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port, local_addr=("127.0.0.2", 0))
        async with asyncio.timeout(2):
            assert await reader.read() == b""
        writer.close()
        for _ in range(3):
            assert await m.try_connect() is None
        assert inbound_from(a, "127.0.0.2") == 0
        # ... and a different listen port does not help either
        assert await Mallory(a, "127.0.0.2", listen_port=2).try_connect() is None
        # an honest node from another address is welcome
        assert await Mallory(a, "127.0.0.3", listen_port=3).try_connect() is not None
        await a.stop()

    asyncio.run(main())


def test_on_loopback_the_ban_covers_the_endpoint_and_honest_local_nodes_stay_welcome() -> None:
    async def main() -> None:
        a = node()
        await a.start()
        m = Mallory(a, "127.0.0.1", listen_port=4242)
        conn = await m.connect()
        await until(lambda: conn.me in a.peers)
        await conn.send(b"\x00not a message")
        await closed_within(conn, 5)
        await until(lambda: a.is_banned(conn.me), what="the ban")
        # a fresh key that claims the same listen address is refused ...
        for _ in range(3):
            assert await m.try_connect() is None
        # ... and so is a dial to that address
        assert await a.dial("127.0.0.1", 4242) is None
        # other nodes on 127.0.0.1 are not cut off
        b = node("Bob")
        await b.start()
        assert await b.dial("127.0.0.1", a.port, a.peer_id) is not None
        await until(lambda: b.peer_id in a.peers)
        for ps in (a, b):
            await ps.stop()

    asyncio.run(main())


def test_ban_rule_for_addresses() -> None:
    ps = node()
    assert ps.bans_address("8.8.8.8") and ps.bans_address("2001:4860::8888")
    assert not ps.bans_address("127.0.0.1") and not ps.bans_address("10.1.2.3")
    assert not ps.bans_address("192.168.0.7") and not ps.bans_address("::1")
    assert node(ban_local_addresses=True).bans_address("127.0.0.1")
    # an IPv6 host owns its /64; an IPv4-mapped address is the IPv4 address
    assert peers_mod.address_group("2001:db8:1:2::5") == peers_mod.address_group("2001:db8:1:2:ffff::9")
    assert peers_mod.address_group("2001:db8:1:2::5") != peers_mod.address_group("2001:db8:1:3::5")
    assert peers_mod.address_group("::ffff:1.2.3.4") == "1.2.3.4"


# --------------------------------------------------------------------------- inbound slots


def test_fresh_keys_from_one_address_cannot_fill_the_inbound_slots() -> None:
    async def main() -> None:
        a = node(max_inbound=6, max_inbound_per_ip=3)
        await a.start()
        m = Mallory(a, "127.0.0.2")
        results = await asyncio.gather(*(m.try_connect() for _ in range(12)))
        assert sum(r is not None for r in results) == 3
        assert inbound_from(a, "127.0.0.2") == 3
        # one more, after the rush: still refused
        assert await m.try_connect() is None
        # an honest node from another address gets in
        honest = await Mallory(a, "127.0.0.3", listen_port=3).try_connect(dev_keypair("Bob", ED25519))
        assert honest is not None
        await a.stop()

    asyncio.run(main())


def test_full_inbound_slots_evict_the_newest_peer_of_the_most_represented_address() -> None:
    async def main() -> None:
        a = node(max_inbound=4, max_inbound_per_ip=4)
        await a.start()
        m = Mallory(a, "127.0.0.2")
        held = [await m.try_connect() for _ in range(4)]
        assert all(c is not None for c in held) and inbound_from(a, "127.0.0.2") == 4
        assert await m.try_connect() is None  # full, and the newcomer's address is the crowded one
        honest = await Mallory(a, "127.0.0.3", listen_port=3).try_connect(dev_keypair("Bob", ED25519))
        assert honest is not None
        assert inbound_from(a, "127.0.0.2") == 3 and inbound_from(a, "127.0.0.3") == 1
        assert held[-1].me not in a.peers  # the newest of the crowd made room
        assert all(c.me in a.peers for c in held[:-1])
        # the honest peer is not evicted in turn by the crowd
        assert await m.try_connect() is None
        assert dev_keypair("Bob", ED25519).public and transport.peer_id_of(dev_keypair("Bob", ED25519).public) in a.peers
        await a.stop()

    asyncio.run(main())


def test_default_per_address_limit_fits_a_loopback_testnet() -> None:
    assert PeerConfig().max_inbound_per_ip >= 8  # a 9-node testnet on 127.0.0.1 is a full mesh

    async def main() -> None:
        a = node()
        await a.start()
        others = [node(n) for n in ("Bob", "Charlie", "Dave", "Eve", "Ferdie", "One", "Two", "Three")]
        for ps in others:
            await ps.start()
        await asyncio.gather(*(ps.dial("127.0.0.1", a.port, a.peer_id) for ps in others))
        await until(lambda: len(a.peers) == len(others), what="8 inbound peers from 127.0.0.1")
        for ps in (a, *others):
            await ps.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- deadlines


def test_a_stalled_frame_loses_the_connection_and_the_slot(monkeypatch) -> None:
    monkeypatch.setattr(transport, "FRAME_TIMEOUT", 0.5)  # 0.5 s + 16 MiB at 16 MiB/s: 1.5 s
    monkeypatch.setattr(transport, "FRAME_MIN_RATE", 16 * 1024 * 1024)

    async def main() -> None:
        a = node(max_inbound=1)
        await a.start()
        conn = await Mallory(a, "127.0.0.2").connect()
        await until(lambda: conn.me in a.peers)
        conn._writer.write(transport.MAX_FRAME.to_bytes(4, "big") + b"\x01" * 1000)
        await conn._writer.drain()
        deadline = transport.frame_timeout(transport.MAX_FRAME)
        took = await closed_within(conn, deadline + 3)
        assert took <= deadline + 1.5
        await until(lambda: conn.me not in a.peers, what="the slot to be freed")
        assert a.reputation(conn.me) < 0  # the stall counts against the peer
        # the slot is free for the next peer
        assert await Mallory(a, "127.0.0.3", listen_port=3).try_connect(dev_keypair("Bob", ED25519)) is not None
        await a.stop()

    asyncio.run(main())


def test_frame_deadline_scales_with_the_size() -> None:
    assert transport.frame_timeout(0) == transport.FRAME_TIMEOUT
    assert transport.frame_timeout(transport.MAX_FRAME) == pytest.approx(transport.FRAME_TIMEOUT + 16)


def test_a_silent_or_half_done_handshake_is_closed_within_the_handshake_deadline() -> None:
    async def main() -> None:
        a = node()
        await a.start()
        t0 = time.monotonic()
        silent = await asyncio.open_connection("127.0.0.1", a.port)
        half = await asyncio.open_connection("127.0.0.1", a.port)
        half[1].write((32).to_bytes(2, "big") + os.urandom(16))  # half of the first message
        await half[1].drain()
        for reader, writer in (silent, half):
            async with asyncio.timeout(transport.HANDSHAKE_TIMEOUT + 2):
                assert await reader.read() == b""
            writer.close()
        assert time.monotonic() - t0 <= transport.HANDSHAKE_TIMEOUT + 1.5
        await a.stop()

    asyncio.run(main())


def test_pending_handshakes_count_against_the_address() -> None:
    async def main() -> None:
        a = node(max_inbound_per_ip=3)
        await a.start()
        socks = [await asyncio.open_connection("127.0.0.1", a.port, local_addr=("127.0.0.2", 0)) for _ in range(6)]
        closed = 0
        for reader, _ in socks[3:]:  # past the limit: closed at once, not after the deadline
            async with asyncio.timeout(1):
                closed += await reader.read() == b""
        assert closed == 3
        for _, writer in socks:
            writer.close()
        await a.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- floods


def test_a_flood_of_undecodable_messages_is_banned_at_once() -> None:
    async def main() -> None:
        a = node()
        await a.start()
        conn = await Mallory(a, "127.0.0.2").connect()
        await until(lambda: conn.me in a.peers)
        t0 = time.monotonic()
        sent = 0
        with contextlib.suppress(ConnectionError):  # the node may close before we are done
            async with asyncio.timeout(10):
                for _ in range(20000):
                    await conn.send(b"\xc1" * 64)  # 0xc1 is never valid MessagePack
                    sent += 1
        await until(lambda: a.is_banned(conn.me), what="the ban")
        assert conn.me not in a.peers and a.got == []
        assert time.monotonic() - t0 < 5
        await a.stop()

    asyncio.run(main())


def test_a_message_flood_over_the_rate_limit_ends_in_a_ban(monkeypatch) -> None:
    monkeypatch.setattr(peers_mod, "MSGS_PER_SECOND", 200.0)
    monkeypatch.setattr(peers_mod, "MSG_BURST", 400.0)

    async def main() -> None:
        a = node()
        await a.start()
        conn = await Mallory(a, "127.0.0.2").connect()
        await until(lambda: conn.me in a.peers)
        t0 = time.monotonic()
        frame = encode_message(Transactions(()))
        with contextlib.suppress(ConnectionError):  # the node may close before we are done
            async with asyncio.timeout(10):
                for _ in range(50000):
                    await conn.send(frame)
        await until(lambda: a.is_banned(conn.me), what="the ban")
        elapsed = time.monotonic() - t0
        # the node handled the burst and the refill, and nothing past the ban
        assert len(a.got) <= 400 + 200 * elapsed + 1
        await a.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- reputation


def test_small_penalties_accumulate_to_a_ban_and_decay_back() -> None:
    async def main() -> None:
        clock = [1000.0]
        a = node()
        a.clock = lambda: clock[0]
        await a.start()
        conn = await Mallory(a, "127.0.0.2").connect()
        await until(lambda: conn.me in a.peers)
        peer = a.peers[conn.me]
        a.report(peer, -20, "invalid transaction")
        a.report(peer, -20, "invalid transaction")
        assert a.reputation(conn.me) == -40
        clock[0] += 10  # good behaviour: 2 % a second, at least 1, back toward 0
        assert a.reputation(conn.me) == -30
        clock[0] += 60
        assert a.reputation(conn.me) == 0
        for _ in range(4):
            a.report(peer, -20, "invalid transaction")
        assert conn.me in a.peers
        a.report(peer, -20, "invalid transaction")
        assert a.is_banned(conn.me) and conn.me not in a.peers
        await a.stop()

    asyncio.run(main())


def test_reputation_follows_the_identity_across_reconnects() -> None:
    async def main() -> None:
        a = node()
        await a.start()
        m = Mallory(a, "127.0.0.2")
        key = keypair_from_seed(os.urandom(32), ED25519)
        conn = await m.connect(key)
        await until(lambda: conn.me in a.peers)
        a.report(a.peers[conn.me], -60, "invalid transaction")
        conn.close()
        await until(lambda: conn.me not in a.peers)
        conn = await m.connect(key)
        await until(lambda: conn.me in a.peers)
        assert a.reputation(conn.me) <= -59
        a.report(a.peers[conn.me], -60, "invalid transaction")
        assert a.is_banned(conn.me)
        await a.stop()

    asyncio.run(main())


def test_decay_matches_substrates_peerset() -> None:
    decay = peers_mod.compute_decayed_reputation
    assert decay(-100, 1) == -98 and decay(100, 1) == 98 and decay(-49, 1) == -48 and decay(0, 5) == 0
    v = -1000
    for _ in range(30):  # Substrate: diff = rep / 50, or rep's sign when that is 0; rep -= diff
        v -= int(v / 50) or (-1 if v < 0 else 1)
    assert decay(-1000, 30) == v
    assert decay(-1_000_000, 10_000) == 0 and decay(1_000_000, 10_000) == 0


# --------------------------------------------------------------------------- against a real node


@pytest.mark.integration
def test_a_node_process_limits_fresh_keys_per_address_and_refuses_a_banned_endpoint(tmp_path) -> None:
    from netutil import LocalNet, wait_for

    with LocalNet(tmp_path, 2, 1000) as net:
        net.start()
        net.wait_up()
        net.wait_finalized(["Alice", "Bob"], 2, 30)
        port = net.plans["Alice"].p2p_port
        genesis = bytes.fromhex(net.hash_at("Alice", 0)[2:])

        def node_hello(listen_port: int) -> transport.Hello:
            return transport.Hello(
                genesis, transport.PROTOCOL_VERSION, 1, 0, genesis, 0, genesis, listen_port, "mallory"
            )

        async def attempt(source: str, listen_port: int, keep: list) -> None:
            try:
                conn = await transport.connect(
                    "127.0.0.1", port, keypair_from_seed(os.urandom(32), ED25519), node_hello(listen_port),
                    local_addr=(source, 0),
                )
            except REFUSED:
                return
            keep.append(conn)

        def listed(name: str = "mallory") -> int:
            return sum(p["name"] == name for p in net.peers("Alice"))

        async def main() -> None:
            held: list = []
            await asyncio.gather(*(attempt("127.0.0.2", 1, held) for _ in range(16)))
            await asyncio.sleep(1.0)
            n = await asyncio.to_thread(listed)
            assert n == PeerConfig().max_inbound_per_ip  # 16 fresh keys, 8 slots for their address
            # Bob (127.0.0.1) is still a peer; a newcomer from another address gets in
            assert any(p["name"] == "Bob" for p in net.peers("Alice"))
            other: list = []
            await attempt("127.0.0.3", 2, other)
            assert other
            await asyncio.to_thread(wait_for, lambda: listed() == n + 1, 5, "the newcomer to be listed")
            # a ban covers the endpoint: a fresh key that claims it is not admitted
            await other[0].send(b"\x00not a message")
            await closed_within(other[0], 10)
            again: list = []
            await attempt("127.0.0.3", 2, again)
            if again:  # the handshake may finish; then the node closes at once
                await closed_within(again[0], 5)
            assert await asyncio.to_thread(listed) == n
            for conn in held:
                conn.close()
            await asyncio.to_thread(wait_for, lambda: listed() == 0, 10, "the attackers to leave")

        asyncio.run(main())
        fin = net.finalized("Alice")[0]
        net.wait_finalized(["Alice", "Bob"], fin + 2, 20)  # the honest nodes kept going
        net.check_alive()
