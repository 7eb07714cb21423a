"""The local threshold beacon across real node processes: 4 authorities, t = 3, 1 s rounds, shares
dealt afresh by the testnet planner (each node reads its own --beacon-share file).

- all four up: pulses are combined and stored on chain (`drand_status`'s lastStoredRound rises),
  and every stored pulse verifies against the chain spec's group key;
- one node stopped: three partials per round are still enough, lastStoredRound keeps rising;
- two stopped: no round can be combined, no new pulse is stored for several periods (blocks go on);
- a forged partial from a raw peer (for a missing share, which would otherwise complete a round) is
  rejected: counted in partialsRejected, the peer banned, no pulse;
- a stopped node comes back: pulses resume.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from netutil import LocalNet, free_ports, wait_for

from p2p import transport
from p2p.messages import BeaconPartial, encode_message
from runtime.support import bls
from runtime.support.keys import ED25519, keypair_from_seed

pytestmark = pytest.mark.integration

PERIOD = 1
NAMES = ["Alice", "Bob", "Charlie", "Dave"]


def status(net: LocalNet, name: str) -> dict:
    return net.rpc(name, "drand_status")


def stored(net: LocalNet, name: str) -> int:
    return status(net, name)["lastStoredRound"]


def check_pulses(net: LocalNet, name: str, rounds: list[int]) -> None:
    key = net.spec.drand.public_key
    for r in rounds:
        p = net.rpc(name, "drand_getPulse", r)
        assert p is not None, f"{name} has no pulse of round {r}"
        sig = bytes.fromhex(p["signature"].removeprefix("0x"))
        assert p["round"] == r and bls.verify_beacon(key, r, sig), p
        assert bytes.fromhex(p["randomness"].removeprefix("0x")) == bls.randomness_of(sig)


def current_round(net: LocalNet) -> int:
    d = net.spec.drand
    return (int(time.time()) - d.genesis_time) // d.period + 1


async def send_forged(net: LocalNet, name: str, partial: BeaconPartial) -> transport.SecureConnection:
    """Connect to `name` as a raw peer (fresh identity) and send `partial`."""
    best_n, best_h = net.best(name)
    fin_n, fin_h = net.finalized(name)
    hello = transport.Hello(
        bytes.fromhex(net.hash_at(name, 0)[2:]), transport.PROTOCOL_VERSION, transport.ROLE_FULL, best_n,
        bytes.fromhex(best_h[2:]), fin_n, bytes.fromhex(fin_h[2:]), free_ports(1)[0], "mallory",
    )
    identity = keypair_from_seed(os.urandom(32), ED25519)
    conn = await transport.connect("127.0.0.1", net.plans[name].p2p_port, identity, hello)
    await conn.send(encode_message(partial))
    return conn


def test_threshold_beacon_across_nodes(tmp_path) -> None:
    with LocalNet(tmp_path, 4, 1000, beacon_period=PERIOD) as net:
        d = net.spec.drand
        assert d.beacon == "local" and d.threshold == 3 and len(d.share_public_keys) == 4 and not d.dev_seed
        net.start()
        net.wait_up()
        for name in NAMES:
            assert net.plans[name].beacon_share_path.stat().st_mode & 0o777 == 0o600
        wait_for(lambda: stored(net, "Alice") > 0, 30, lambda: f"a first stored pulse\n{net.logs()}")
        st = status(net, "Bob")
        assert st["hasShare"] and st["shareIndex"] == 2 and st["partialsRejected"] == 0

        # one node down: 3 of 4 partials still make every round
        net.interrupt("Dave")
        start = stored(net, "Alice")
        wait_for(lambda: stored(net, "Alice") >= start + 3, 20, lambda: f"pulses with Dave down\n{net.logs()}")
        top = stored(net, "Alice")
        check_pulses(net, "Alice", [top, top - 1, top - 2])
        wait_for(lambda: stored(net, "Bob") >= top, 10, "Bob to import the pulses")
        check_pulses(net, "Bob", [top])

        # two down: no round can be combined any more
        net.interrupt("Charlie")
        time.sleep(3 * PERIOD + 1.5)  # rounds combined before the stop land in the next blocks
        frozen = {n: stored(net, n) for n in ("Alice", "Bob")}
        combined = status(net, "Alice")["lastCombinedRound"]
        best = net.best("Alice")[0]
        time.sleep(4 * PERIOD + 0.5)
        assert {n: stored(net, n) for n in ("Alice", "Bob")} == frozen
        assert status(net, "Alice")["lastCombinedRound"] == combined
        assert net.best("Alice")[0] > best  # blocks go on without pulses

        # a forged partial for Charlie's share would complete a round: rejected, the peer banned
        rejected = status(net, "Alice")["partialsRejected"]
        r = current_round(net)
        forged = BeaconPartial(r, 3, bls.get_backend().sign(12345, bls.round_message(r)))

        async def attack() -> None:
            conn = await send_forged(net, "Alice", forged)
            with pytest.raises((asyncio.IncompleteReadError, ConnectionError, transport.FrameError)):
                async with asyncio.timeout(10):
                    while True:  # the node drops the connection
                        await conn.recv()

        asyncio.run(attack())
        wait_for(lambda: status(net, "Alice")["partialsRejected"] > rejected, 5, "the forged partial to be counted")
        assert "Banning peer" in net.log("Alice", 400)
        time.sleep(PERIOD + 0.5)
        st = status(net, "Alice")
        assert st["lastCombinedRound"] == combined and st["lastStoredRound"] == frozen["Alice"]
        assert all(p["name"] != "mallory" for p in net.peers("Alice"))

        # Charlie back: three partials again, pulses resume
        net.start("Charlie")
        wait_for(lambda: stored(net, "Alice") > frozen["Alice"], 40, lambda: f"pulses again\n{net.logs()}")
        check_pulses(net, "Alice", [stored(net, "Alice")])
        net.check_alive("Alice", "Bob", "Charlie")
