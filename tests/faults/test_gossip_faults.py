"""Invalid gossip costs the sender (the hardening issue, finding 5's last item): against a real
2-node testnet, a peer made by the test sends Transactions messages.

- Transactions no honest pool accepts (undecodable, a bad signature) ban the sender at once.
- Outdated ones (a stale nonce: valid a moment ago somewhere) cost a little per message, so an
  honest peer that relays a few is not punished, and a flood of them ends in a ban.
- Valid ones are welcome, enter the pool and are relayed to the other node; invalid ones never are.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from netutil import LocalNet, free_ports, wait_for

from p2p import transport
from p2p.messages import Transactions, encode_message
from runtime.support import tx
from runtime.support.extrinsic_v4 import encode_signed
from runtime.support.keys import ED25519, keypair_from_seed, keypair_from_uri
from taochain.client import Client

pytestmark = pytest.mark.integration

NAMES = ["Alice", "Bob"]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory):
    with LocalNet(tmp_path_factory.mktemp("gossip"), 2) as n:
        n.start()
        n.wait_up()
        n.wait_finalized(NAMES, 2, 30)
        yield n
        n.check_alive()


def _peer(net: LocalNet, name: str = "Alice"):
    identity = keypair_from_seed(os.urandom(32), ED25519)
    best_n, best_h = net.best(name)
    genesis = bytes.fromhex(net.hash_at(name, 0)[2:])
    hello = transport.Hello(
        genesis, transport.PROTOCOL_VERSION, transport.ROLE_FULL, best_n, bytes.fromhex(best_h[2:]), 0, genesis,
        free_ports(1)[0], "gossiper",
    )
    return identity, hello


def _listed(net: LocalNet, identity, name: str = "Alice") -> bool:
    pid = transport.peer_id_of(identity.public)
    return any(p["peerId"] == pid for p in net.peers(name))


def _ban_line(net: LocalNet, identity, name: str = "Alice") -> str | None:
    pid = transport.peer_id_of(identity.public)
    for line in net.plans[name].log_path.read_text(errors="replace").splitlines():
        if f"Banning peer {pid}" in line:
            return line
    return None


async def _send_all(net: LocalNet, batches: list[tuple[bytes, ...]], pause: float = 0.0):
    identity, hello = _peer(net)
    conn = await transport.connect("127.0.0.1", net.plans["Alice"].p2p_port, identity, hello)
    try:
        for txs in batches:
            await conn.send(encode_message(Transactions(txs)))
            if pause:
                await asyncio.sleep(pause)
    except (ConnectionError, OSError):
        pass  # dropped half way: the node had seen enough
    await asyncio.sleep(1.0)
    conn.close()
    return identity


def _signed_transfers(net: LocalNet, nonce: int, count: int, uri: str = "//Ferdie") -> tuple[bytes, ...]:
    """`count` distinct transfers of `uri` with the given nonce."""
    key = keypair_from_uri(uri)
    dest = keypair_from_uri("//GossipTest").public
    with Client(f"ws://127.0.0.1:{net.plans['Alice'].rpc_port}", timeout=10) as c:
        return tuple(
            c.sign(key, c.compose_call("Balances", "transfer_allow_death", dest, 10**9 + i), nonce=nonce)
            for i in range(count)
        )


def test_undecodable_transactions_ban_the_sender(net: LocalNet) -> None:
    identity = asyncio.run(_send_all(net, [tuple(os.urandom(40) for _ in range(10))]))
    wait_for(lambda: _ban_line(net, identity), 5, "a ban")
    assert "Transactions" in _ban_line(net, identity)
    assert not _listed(net, identity)


def test_bad_signatures_ban_the_sender(net: LocalNet) -> None:
    bad = []
    for xt in _signed_transfers(net, 10_000, 5):
        u = tx.decode_extrinsic(xt).unchecked
        sig = u.signature
        forged = tx.MultiSignature(sig.scheme, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
        bad.append(encode_signed(u.address, forged, dict(u.explicit), u.call))
    identity = asyncio.run(_send_all(net, [tuple(bad)]))
    wait_for(lambda: _ban_line(net, identity), 5, "a ban")
    assert not _listed(net, identity)


def test_a_few_outdated_transactions_are_forgiven_and_a_flood_is_not(net: LocalNet) -> None:
    # Ferdie's nonce is 0 on chain: a transfer with it, once included, makes every nonce-0 one stale
    with Client(f"ws://127.0.0.1:{net.plans['Alice'].rpc_port}", timeout=10) as c:
        key = keypair_from_uri("//Ferdie")
        c.submit(c.sign(key, c.compose_call("Balances", "transfer_allow_death", keypair_from_uri("//Bob").public,
                                            10**9)))
        wait_for(lambda: c.account(key.public)["nonce"] >= 1, 15, "Ferdie's transfer to be included")
    stale = _signed_transfers(net, 0, 3000)
    # one message of 50 outdated ones: a tenth of a ban at most, the peer stays
    identity = asyncio.run(_send_all(net, [stale[:50]]))
    assert _ban_line(net, identity) is None
    # a flood: message after message of them
    batches = [stale[i : i + 50] for i in range(50, 3000, 50)]
    identity = asyncio.run(_send_all(net, batches, pause=0.01))
    wait_for(lambda: _ban_line(net, identity), 5, "a ban after the flood")


def test_valid_gossip_enters_both_pools_and_invalid_never_leaves(net: LocalNet) -> None:
    key_uri = "//Eve"
    with Client(f"ws://127.0.0.1:{net.plans['Bob'].rpc_port}", timeout=10) as bob:
        nonce = bob.account(keypair_from_uri(key_uri).public)["nonce"]
        before = bob.account(keypair_from_uri("//GossipTest").public)["free"]
    valid = _signed_transfers(net, nonce, 1, key_uri)
    t0 = time.monotonic()
    asyncio.run(_send_all(net, [valid]))
    with Client(f"ws://127.0.0.1:{net.plans['Bob'].rpc_port}", timeout=10) as bob:
        wait_for(lambda: bob.account(keypair_from_uri("//GossipTest").public)["free"] > before, 20,
                 "the gossiped transfer to reach Bob's chain")
    assert time.monotonic() - t0 < 20
