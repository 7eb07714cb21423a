"""One cheap peer must not halt finality (the hardening issue, finding 1).

A 4-authority testnet of real node processes; from the test process, a `StallingPeer` per attacked
node claims best block 2^40, announces a fake header every 20 ms and answers block requests with
an empty response just inside the request timeout, reconnecting with a fresh identity whenever it
is dropped. Against 2 of 4 and against all 4 authorities: finality keeps advancing during the
attack, every node keeps up with the honest chain, and no finalized block is ever reverted.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from byzantine import StallingPeer, attack
from netutil import LocalNet, free_ports, wait_for

pytestmark = pytest.mark.integration

NAMES = ["Alice", "Bob", "Charlie", "Dave"]
ATTACK_SECONDS = 30.0


def _finalized_chains(net: LocalNet) -> dict[str, tuple[int, str]]:
    return {n: net.finalized(n) for n in NAMES}


@pytest.mark.parametrize(
    "targets, fake_seals",
    [(["Alice", "Bob"], True), (NAMES, True), (["Alice", "Bob"], False)],
    ids=["2-of-4", "4-of-4", "2-of-4-real-headers"],
)
def test_a_stalling_peer_cannot_halt_finality(tmp_path: Path, targets: list[str], fake_seals: bool) -> None:
    with LocalNet(tmp_path, 4) as net:
        net.start()
        net.wait_up()
        net.wait_finalized(NAMES, 3, 40)
        genesis = bytes.fromhex(net.hash_at("Alice", 0)[2:])
        before = _finalized_chains(net)
        fin0 = min(f[0] for f in before.values())
        peers = [
            StallingPeer(net.plans[n].p2p_port, genesis, listen_port=p, fake_seals=fake_seals)
            for n, p in zip(targets, free_ports(len(targets)), strict=True)
        ]
        samples: list[int] = []
        t0 = time.monotonic()

        async def run() -> list:
            async def sample() -> None:
                while time.monotonic() - t0 < ATTACK_SECONDS:
                    await asyncio.sleep(3)
                    fins = await asyncio.to_thread(_finalized_chains, net)
                    samples.append(min(f[0] for f in fins.values()))

            stats, _ = await asyncio.gather(attack(peers, ATTACK_SECONDS), sample())
            return stats

        stats = asyncio.run(run())
        for n, st in zip(targets, stats, strict=True):
            print(f"attack on {n}: {st.summary()}")
        print(f"lowest finalized block every 3 s: {samples}")
        net.check_alive()
        during = min(f[0] for f in _finalized_chains(net).values())
        # the attack really happened: the nodes talked to the peer (and asked it for blocks)
        assert all(s.connections >= 1 for s in stats), stats
        # finality advanced all along: about one block a second, never stuck for long
        assert during >= fin0 + ATTACK_SECONDS / 3, (
            f"finality #{fin0} -> #{during} in {ATTACK_SECONDS:.0f} s of attack; samples {samples}\n{net.logs()}"
        )
        stuck = max((b - a for a, b in zip(samples, samples[1:], strict=False) if b == a), default=0)
        assert stuck == 0 or len(set(samples)) > len(samples) // 2, samples
        # once it has gone, every node follows the same finalized chain, which keeps growing
        net.wait_finalized(NAMES, during + 3, 20)
        common = net.assert_same_finalized_chain(NAMES)
        for n, (num, h) in before.items():
            assert common[num] == h, f"{n} reverted its finalized block #{num}"
        wait_for(lambda: max(net.best(n)[0] for n in NAMES) - min(net.best(n)[0] for n in NAMES) <= 2, 10,
                 "every node within two blocks of the best")
