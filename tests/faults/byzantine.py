"""Byzantine peers for the fault suite: real p2p connections (p2p.transport) from the test process
to real node processes on loopback. Every loop is bounded by a deadline.

`StallingPeer` is the attack of the hardening issue's first finding: it completes a valid
handshake claiming best block 2^40, announces a fake header every 20 ms and answers every block
request with an empty response just inside the node's request timeout. When a node drops it, it
comes back with a fresh identity (a new key costs nothing to make), until its time is up. With
`fake_seals=False` it announces only real headers (those the node announced to it), so that nothing
but its claimed best and its stalled answers give it away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field

from p2p import transport
from p2p.messages import (
    BlockAnnounce,
    BlockRequest,
    BlockResponse,
    GetPeers,
    PeerAddrs,
    decode_message,
    encode_message,
)
from runtime.block import Header, aura_digest
from runtime.support.keys import ED25519, keypair_from_seed

CLAIMED_BEST = 2**40


@dataclass
class AttackStats:
    connections: int = 0  # handshakes completed
    refused: int = 0  # connection attempts the node refused or closed during the handshake
    requests: int = 0  # block requests the node sent us
    announces: int = 0
    drops: list[str] = field(default_factory=list)  # why each connection ended

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for d in self.drops:
            kinds[d] = kinds.get(d, 0) + 1
        return (
            f"{self.connections} connections ({self.refused} refused), {self.requests} block requests stalled, "
            f"{self.announces} announcements; ended: {kinds}"
        )


class StallingPeer:
    """Claims a far-ahead best, announces headers it never serves, stalls every block request."""

    def __init__(
        self, port: int, genesis: bytes, *, announce_every: float = 0.02, stall: float = 9.8,
        fake_seals: bool = True, listen_port: int = 1,
    ) -> None:
        self.port = port
        self.genesis = genesis
        self.announce_every = announce_every
        self.stall = stall
        self.fake_seals = fake_seals
        self.listen_port = listen_port  # nobody listens there: a ban of that address hurts no one
        self.stats = AttackStats()
        self._n = 0
        self._real: bytes | None = None  # the last header the node announced to us

    def hello(self) -> transport.Hello:
        return transport.Hello(
            self.genesis, transport.PROTOCOL_VERSION, transport.ROLE_FULL, CLAIMED_BEST, os.urandom(32),
            0, self.genesis, self.listen_port, "stalling-peer",
        )

    def fake_header(self) -> Header:
        self._n += 1
        slot = int(time.time() * 1000) // 1000
        return Header(
            os.urandom(32), CLAIMED_BEST + self._n, os.urandom(32), os.urandom(32), aura_digest(slot),
            os.urandom(64),
        )

    async def run(self, seconds: float) -> AttackStats:
        """Attack for `seconds`: connect, and reconnect with a fresh identity whenever dropped."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            identity = keypair_from_seed(os.urandom(32), ED25519)
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    conn = await transport.connect("127.0.0.1", self.port, identity, self.hello())
            except (TimeoutError, transport.HandshakeError, ConnectionError, OSError, asyncio.IncompleteReadError):
                self.stats.refused += 1
                await asyncio.sleep(0.2)
                continue
            self.stats.connections += 1
            reason = await self._session(conn, deadline)
            self.stats.drops.append(reason)
            conn.close()
            await asyncio.sleep(0.2)
        return self.stats

    async def _session(self, conn: transport.SecureConnection, deadline: float) -> str:
        pending: set[asyncio.Task] = set()

        async def answer_late(request_id: int) -> None:
            await asyncio.sleep(self.stall)
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                await conn.send(encode_message(BlockResponse(request_id, (), ())))

        async def announce() -> None:
            while True:
                await asyncio.sleep(self.announce_every)
                header = self.fake_header().encode() if self.fake_seals else self._real
                if header is not None:
                    await conn.send(encode_message(BlockAnnounce(header, True)))
                    self.stats.announces += 1

        async def read() -> None:
            while True:
                msg = decode_message(await conn.recv())
                if isinstance(msg, BlockRequest):
                    self.stats.requests += 1
                    t = asyncio.create_task(answer_late(msg.request_id))
                    pending.add(t)
                    t.add_done_callback(pending.discard)
                elif isinstance(msg, BlockAnnounce):
                    self._real = msg.header
                elif isinstance(msg, GetPeers):
                    await conn.send(encode_message(PeerAddrs(())))

        tasks = [asyncio.create_task(announce()), asyncio.create_task(read())]
        try:
            done, _ = await asyncio.wait(
                tasks, timeout=max(0.0, deadline - time.monotonic()), return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                return "attack over"
            exc = next(iter(done)).exception()
            return f"dropped ({type(exc).__name__})" if exc is not None else "ended"
        finally:
            for t in [*tasks, *pending]:
                t.cancel()
            for t in [*tasks, *pending]:
                with contextlib.suppress(BaseException):
                    await t


async def attack(peers: list[StallingPeer], seconds: float) -> list[AttackStats]:
    return list(await asyncio.gather(*(p.run(seconds) for p in peers)))
