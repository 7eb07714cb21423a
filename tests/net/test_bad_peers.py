"""Misbehaving peers against a running 2-node testnet, from the test process with p2p.transport:
garbage instead of a handshake, another chain, oversize and tampered frames, undecodable
messages, an announced header with a bad seal, a block with a wrong state root, a claimed best it
never serves, a vote with a bad signature.

For each offence after a handshake the node drops the connection and bans the peer id: a reconnect
with the same identity is closed at once, `system_peers` does not list it; and the honest nodes
keep producing and finalizing blocks.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time

import pytest
from netutil import LocalNet, free_ports, wait_for

from node.rpc_api import header_from_json
from p2p import noise, transport
from p2p.messages import (
    PREVOTE,
    AncestryRequest,
    BlockAnnounce,
    BlockRequest,
    BlockResponse,
    Neighbor,
    Vote,
    decode_message,
    encode_message,
)
from runtime.block import Block, Header, aura_digest, extrinsics_root
from runtime.support import tx
from runtime.support.keys import ED25519, Keypair, keypair_from_seed, keypair_from_uri

pytestmark = pytest.mark.integration

BLOCK_MS = 1000
NAMES = ["Alice", "Bob"]
TARGET = "Alice"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory):
    with LocalNet(tmp_path_factory.mktemp("badpeers"), 2, BLOCK_MS) as n:
        n.start()
        n.wait_up()
        n.wait_finalized(NAMES, 2, 30)
        yield n
        # the honest nodes outlived every attack and still agree
        n.check_alive()
        n.assert_same_finalized_chain(NAMES)


class Attacker:
    """A peer of `name` made by the test: its own identity, a Hello for the node's chain."""

    def __init__(self, net: LocalNet, name: str = TARGET) -> None:
        self.net = net
        self.name = name
        self.port = net.plans[name].p2p_port
        self.identity: Keypair = keypair_from_seed(os.urandom(32), ED25519)
        self.peer_id = transport.peer_id_of(self.identity.public)
        self.genesis = bytes.fromhex(net.hash_at(name, 0)[2:])
        self.listen_port = free_ports(1)[0]  # nobody listens there; a ban of the address hurts no one

    def hello(self, genesis: bytes | None = None, best_bump: int = 0) -> transport.Hello:
        best_n, best_h = self.net.best(self.name)
        fin_n, fin_h = self.net.finalized(self.name)
        return transport.Hello(
            genesis or self.genesis, transport.PROTOCOL_VERSION, transport.ROLE_FULL, best_n + best_bump,
            bytes.fromhex(best_h[2:]), fin_n, bytes.fromhex(fin_h[2:]), self.listen_port, "mallory",
        )

    async def connect(self, **kw) -> transport.SecureConnection:
        return await transport.connect("127.0.0.1", self.port, self.identity, self.hello(**kw))

    def listed(self) -> bool:
        return any(p["peerId"] == self.peer_id for p in self.net.peers(self.name))

    def ban_line(self) -> str | None:
        for line in self.net.plans[self.name].log_path.read_text(errors="replace").splitlines():
            if f"Banning peer {self.peer_id}" in line:
                return line
        return None

    async def assert_dropped_and_banned(self, conn: transport.SecureConnection, reason: str) -> None:
        # the node closes the connection (we may still read what it sent before)
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError, transport.FrameError)):
            async with asyncio.timeout(10):
                while True:
                    await conn.recv()
        await asyncio.to_thread(wait_for, lambda: not self.listed(), 5, "the peer to leave system_peers")
        # a reconnect with the same identity: the handshake may finish, then the node closes at once
        # (an accepted peer would get GetPeers and a Neighbor first)
        try:
            again = await self.connect()
        except (transport.HandshakeError, ConnectionError, asyncio.IncompleteReadError):
            return
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            async with asyncio.timeout(5):
                data = await again.recv()
                raise AssertionError(f"a banned peer got a message: {decode_message(data)}")
        assert not self.listed()
        line = self.ban_line()
        assert line is not None and reason in line, line

    async def next_of(self, conn: transport.SecureConnection, kind: type, timeout: float = 5.0):
        async with asyncio.timeout(timeout):
            while True:
                msg = decode_message(await conn.recv())
                if isinstance(msg, kind):
                    return msg


def aio(fn):
    """Run an async test body (no pytest-asyncio here) with the module's testnet."""

    @functools.wraps(fn)
    def run(net: LocalNet) -> None:
        asyncio.run(fn(net))

    return run


def _honest_progress(net: LocalNet, blocks: int = 2) -> None:
    fin = {n: net.finalized(n)[0] for n in NAMES}
    net.wait_finalized(NAMES, max(fin.values()) + blocks, 15)
    net.check_alive()


def _child_of_best(net: LocalNet, name: str, seal_with: Keypair | None, state_root: bytes | None) -> Block:
    """A block on top of `name`'s best for the next slot; sealed by `seal_with` (or a random seal)."""
    # build at mid-slot: the best block of this slot is in, the next slot's is not
    now = time.time() * 1000
    wait = (BLOCK_MS / 2 - now % BLOCK_MS) % BLOCK_MS
    time.sleep(wait / 1000)
    raw = net.rpc(name, "chain_getBlock")
    parent = header_from_json(raw["block"]["header"])
    inherent = bytes.fromhex(raw["block"]["extrinsics"][0][2:])
    timestamp = tx.decode_extrinsic(inherent)
    slot = int(time.time() * 1000 // BLOCK_MS) + 1
    xts = (tx.encode_unsigned(timestamp.call_bytes[:2] + (slot * BLOCK_MS).to_bytes(8, "little")),)  # Timestamp.set
    header = Header(
        parent.hash(), parent.number + 1, state_root or parent.state_root, extrinsics_root(xts), aura_digest(slot), b"",
    )
    seal = seal_with.sign(header.pre_hash()) if seal_with is not None else os.urandom(64)
    return Block(header.with_seal(seal), xts)


def _author_of_next_slot(net: LocalNet) -> Keypair:
    slot = int(time.time() * 1000 // BLOCK_MS) + 1
    return keypair_from_uri(net.plans[NAMES[slot % len(NAMES)]].key_uri, ED25519)


# --------------------------------------------------------------------------- before the handshake


@aio
async def test_random_bytes_instead_of_a_handshake(net: LocalNet) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", net.plans[TARGET].p2p_port)
    writer.write(os.urandom(200))
    await writer.drain()
    async with asyncio.timeout(10):
        assert await reader.read() == b""  # refused: closed without an answer
    writer.close()
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_a_hello_of_another_chain_is_refused(net: LocalNet) -> None:
    a = Attacker(net)
    with pytest.raises(transport.HandshakeError, match="other chain"):
        await a.connect(genesis=b"\x42" * 32)
    assert not a.listed()
    # not a ban: the same identity with the right chain is welcome
    conn = await a.connect()
    await a.next_of(conn, Neighbor)
    assert a.listed()
    conn.close()


# --------------------------------------------------------------------------- bad frames


@aio
async def test_oversize_frame(net: LocalNet) -> None:
    a = Attacker(net)
    conn = await a.connect()
    conn._writer.write((transport.MAX_FRAME + 1).to_bytes(4, "big") + os.urandom(64))
    await conn._writer.drain()
    await a.assert_dropped_and_banned(conn, "exceeds the")
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_tampered_ciphertext(net: LocalNet) -> None:
    a = Attacker(net)
    conn = await a.connect()
    ct = bytearray(conn._send_cs.encrypt_with_ad(b"", b"\x92\x07\x93\x01\x00\x00"))
    ct[3] ^= 0x01
    conn._writer.write(len(ct).to_bytes(4, "big") + bytes(ct))
    await conn._writer.drain()
    await a.assert_dropped_and_banned(conn, "frame decryption failed")
    assert len(ct) > noise.TAGLEN
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_undecodable_message(net: LocalNet) -> None:
    a = Attacker(net)
    conn = await a.connect()
    await conn.send(b"\x00not a message at all")
    await a.assert_dropped_and_banned(conn, "undecodable message")
    await asyncio.to_thread(_honest_progress, net)


# --------------------------------------------------------------------------- bad blocks and votes


async def _serve_bad_block(a: Attacker, block: Block) -> transport.SecureConnection:
    """Announce `block`, get the node to ask us for it (by hash) and answer with it."""
    conn = await a.connect()
    await conn.send(encode_message(BlockAnnounce(block.header.encode(), True)))
    req = await a.next_of(conn, AncestryRequest)
    assert req.block_hash == block.hash()
    await conn.send(encode_message(BlockResponse(req.request_id, (block.encode(),), (b"",))))
    return conn


@aio
async def test_block_announce_with_a_bad_seal(net: LocalNet) -> None:
    """Refused at the announcement: nothing is fetched for a header its slot's author did not seal."""
    a = Attacker(net)
    block = await asyncio.to_thread(_child_of_best, net, TARGET, None, None)
    conn = await a.connect()
    await conn.send(encode_message(BlockAnnounce(block.header.encode(), True)))
    await a.assert_dropped_and_banned(conn, "bad seal")
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_block_response_with_a_wrong_state_root(net: LocalNet) -> None:
    a = Attacker(net)

    def make() -> Block:
        return _child_of_best(net, TARGET, _author_of_next_slot(net), os.urandom(32))

    block = await asyncio.to_thread(make)
    conn = await _serve_bad_block(a, block)
    await a.assert_dropped_and_banned(conn, "state root mismatch")
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_a_claimed_best_never_served_costs_the_peer(net: LocalNet) -> None:
    """A Hello claiming blocks far ahead, then an empty answer to the range request: banned."""
    a = Attacker(net)
    conn = await a.connect(best_bump=10_000)
    req = await a.next_of(conn, BlockRequest)
    await conn.send(encode_message(BlockResponse(req.request_id, (), ())))
    await a.assert_dropped_and_banned(conn, "served no block")
    await asyncio.to_thread(_honest_progress, net)


@aio
async def test_vote_with_a_bad_signature(net: LocalNet) -> None:
    a = Attacker(net)
    conn = await a.connect()
    neighbor = await a.next_of(conn, Neighbor)
    best_n, best_h = net.best(TARGET)
    voter = keypair_from_uri("//Bob", ED25519).public
    vote = Vote(neighbor.round + 1, 0, PREVOTE, bytes.fromhex(best_h[2:]), best_n, voter, os.urandom(64))
    await conn.send(encode_message(vote))
    await a.assert_dropped_and_banned(conn, "bad Vote")
    await asyncio.to_thread(_honest_progress, net)
