"""A seeded random fault schedule over a 4-authority testnet of real node processes on loopback.

The first steps take every kind of fault once, in a seeded order; later ones draw a fault at random;
the victims and durations come from `random.Random(seed)` too:
- kill9      `kill -9` one node, keep it down a few seconds, start it again on the same database;
- pause      SIGSTOP one node (it holds its connections but answers nothing), then SIGCONT;
- restart    a clean stop (SIGINT) and an immediate start;
- partition  two against two (no side has a supermajority) or one against three, by having every
             node drop and refuse the other side's peers (`system_banPeer`) for the step;
- byzantine  a StallingPeer (tests/faults/byzantine.py) against two nodes.

After every step, the invariants: no node's finalized head goes backwards; no block once reported
final by any node is ever replaced at its height on any node (so every node's finalized chain is a
prefix of every other's); while a supermajority (3 of 4) is up and connected, finality advances;
once the fault is healed, every node finalizes past the highest block finalized before the fault
within RECOVERY_SECONDS. Rounds to recovery (grandpa_roundState) and seconds are printed as a table.

The default run (`make test`) takes a few steps; `TAOCHAIN_FAULT_STEPS` and `TAOCHAIN_FAULT_SEED`
choose others, and the slow-marked test runs a longer schedule (`make test-all`).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from byzantine import StallingPeer, attack
from netutil import LocalNet, RpcFailed, free_ports, wait_for

pytestmark = pytest.mark.integration

NAMES = ["Alice", "Bob", "Charlie", "Dave"]
FAULTS = ("kill9", "pause", "restart", "partition", "byzantine")
RECOVERY_SECONDS = 45.0
SEED = int(os.environ.get("TAOCHAIN_FAULT_SEED", "20261202"))


@dataclass
class Outcome:
    step: int
    fault: str
    victims: str
    seconds: float  # how long the fault lasted
    advanced_during: int | None  # blocks the quorum side finalized meanwhile (None: no quorum)
    recovery_seconds: float
    recovery_rounds: int


class Ledger:
    """Every block any node ever reported final, and each node's finalized height."""

    def __init__(self) -> None:
        self.final: dict[int, str] = {}
        self.height: dict[str, int] = {}

    def check(self, net: LocalNet, names: list[str]) -> None:
        for n in names:
            num, _ = net.finalized(n)
            assert num >= self.height.get(n, 0), f"{n}'s finality went back: #{self.height[n]} -> #{num}"
            self.height[n] = num
            chain = net.hashes(n, range(num + 1))
            for height, h in enumerate(chain):
                known = self.final.setdefault(height, h)
                assert known == h, f"{n} has {h} at finalized height {height}, where {known} was final"



def _round(net: LocalNet, name: str) -> int:
    try:
        return net.rpc(name, "grandpa_roundState")["best"]["round"]
    except RpcFailed:
        return 0


def _partition(net: LocalNet, side: list[str], seconds: float) -> None:
    other = [n for n in NAMES if n not in side]
    for a in NAMES:
        for b in (other if a in side else side):
            net.rpc(a, "system_banPeer", net.plans[b].peer_id, int(seconds))


def _heal(net: LocalNet) -> None:
    for a in NAMES:
        for b in NAMES:
            if a != b:
                net.rpc(a, "system_banPeer", net.plans[b].peer_id, 0)


def _min_final(net: LocalNet, names: list[str]) -> int:
    return min(net.finalized(n)[0] for n in names)


def _run_step(net: LocalNet, rng: random.Random, step: int, ledger: Ledger, fault: str) -> Outcome:
    seconds = rng.uniform(5.0, 9.0)
    before = max(net.finalized(n)[0] for n in NAMES)
    quorum: list[str] | None
    stop_attack = None
    if fault in ("kill9", "pause", "restart"):
        victim = rng.choice(NAMES)
        victims = [victim]
        quorum = [n for n in NAMES if n != victim]
        if fault == "kill9":
            net.kill(victim)
        elif fault == "pause":
            os.kill(net.procs[victim].pid, signal.SIGSTOP)
        else:
            assert net.interrupt(victim) == 0
            net.start(victim)
            net.wait_up(victim)
    elif fault == "partition":
        size = rng.choice((1, 2))
        victims = rng.sample(NAMES, size)
        _partition(net, victims, seconds + 60)
        quorum = [n for n in NAMES if n not in victims] if size == 1 else None
    else:
        victims = rng.sample(NAMES, 2)
        quorum = list(NAMES)
        genesis = bytes.fromhex(net.hash_at("Alice", 0)[2:])
        peers = [
            StallingPeer(net.plans[n].p2p_port, genesis, listen_port=p, fake_seals=rng.random() < 0.5)
            for n, p in zip(victims, free_ports(2), strict=True)
        ]
        thread = threading.Thread(target=lambda: asyncio.run(attack(peers, seconds)), daemon=True)
        thread.start()
        stop_attack = thread
    start_final = _min_final(net, quorum) if quorum else None
    time.sleep(seconds)
    advanced = None
    if quorum:
        # a supermajority is up and connected: finality must not have waited for the victims
        wait_for(lambda: _min_final(net, quorum) > start_final, 15,
                 lambda: f"finality on {quorum} during {fault} of {victims}\n{net.logs()}")
        advanced = _min_final(net, quorum) - start_final
        ledger.check(net, quorum)
    # heal
    if fault == "kill9":
        net.start(victims[0])
        net.wait_up(victims[0])
    elif fault == "pause":
        os.kill(net.procs[victims[0]].pid, signal.SIGCONT)
    elif fault == "partition":
        _heal(net)
    elif stop_attack is not None:
        stop_attack.join(timeout=20)
    healed_at = time.monotonic()
    observer = next(n for n in NAMES if n not in victims)  # its rounds went on as they could
    round0 = _round(net, observer)
    target = max(net.finalized(n)[0] for n in NAMES)
    target = max(target, before)
    net.wait_finalized(NAMES, target + 1, RECOVERY_SECONDS)
    outcome = Outcome(
        step, fault, ",".join(victims), round(seconds, 1), advanced,
        round(time.monotonic() - healed_at, 1), max(0, _round(net, observer) - round0),
    )
    net.check_alive()
    ledger.check(net, NAMES)
    return outcome


def _schedule(tmp_path: Path, steps: int, seed: int) -> list[Outcome]:
    rng = random.Random(seed)
    outcomes: list[Outcome] = []
    with LocalNet(tmp_path, 4) as net:
        net.start()
        net.wait_up()
        net.wait_finalized(NAMES, 3, 40)
        ledger = Ledger()
        ledger.check(net, NAMES)
        try:
            order = list(FAULTS)
            rng.shuffle(order)  # every kind of fault once, in a seeded order, then at random
            for step in range(steps):
                fault = order[step] if step < len(order) else rng.choice(FAULTS)
                outcomes.append(_run_step(net, rng, step, ledger, fault))
        finally:
            for name in NAMES:  # never leave a node stopped for LocalNet.close()
                if net.running(name):
                    os.kill(net.procs[name].pid, signal.SIGCONT)
            _print(outcomes, seed)
        lost = sum(1 for h, x in ledger.final.items() if net.hash_at("Alice", h) != x)
        assert lost == 0
    return outcomes


def _print(outcomes: list[Outcome], seed: int) -> None:
    print(f"\nfault schedule, seed {seed}: {len(outcomes)} steps")
    print("| step | fault | victims | seconds | finalized meanwhile | recovery s | recovery rounds |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for o in outcomes:
        during = "-" if o.advanced_during is None else str(o.advanced_during)
        print(f"| {o.step} | {o.fault} | {o.victims} | {o.seconds} | {during} | {o.recovery_seconds} | {o.recovery_rounds} |")
    if outcomes:
        rounds = [o.recovery_rounds for o in outcomes]
        secs = [o.recovery_seconds for o in outcomes]
        print(
            f"rounds to recovery: median {statistics.median(rounds)}, max {max(rounds)}; "
            f"seconds: median {statistics.median(secs)}, max {max(secs)}; blocks lost: 0"
        )


def test_seeded_fault_schedule(tmp_path: Path) -> None:
    steps = int(os.environ.get("TAOCHAIN_FAULT_STEPS", "5"))
    outcomes = _schedule(tmp_path, steps, SEED)
    assert len(outcomes) == steps
    assert {o.fault for o in outcomes} == set(FAULTS[:steps]) or steps < len(FAULTS)


@pytest.mark.slow
def test_long_fault_schedule(tmp_path: Path) -> None:
    outcomes = _schedule(tmp_path, 25, SEED + 1)
    assert {o.fault for o in outcomes} == set(FAULTS)
