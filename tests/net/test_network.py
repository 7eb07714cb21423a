"""A real 4-authority testnet on loopback: convergence, finality, crashes, restarts, a lost
supermajority, and an equivocating authority (two processes with one key).

Every test starts its own nodes (separate `taochain node` processes, 1 s blocks: reliable on two
cores) and stops them at the end.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from netutil import LocalNet, wait_for

from runtime.support.keys import keypair_from_uri
from taochain.client import Client

pytestmark = pytest.mark.integration

BLOCK_MS = 1000
NAMES = ["Alice", "Bob", "Charlie", "Dave"]


@pytest.fixture
def net(tmp_path: Path):
    with LocalNet(tmp_path, 4, BLOCK_MS) as n:
        n.start()
        n.wait_up()
        yield n


def _acct(uri: str) -> str:
    return "0x" + keypair_from_uri(uri).public.hex()


def test_four_nodes_converge_finalize_and_share_a_transfer(net: LocalNet) -> None:
    first = net.wait_finalized(NAMES, 3, 30)
    heights = {f[0] for f in first.values()}
    # the same finalized block at the same height on every node
    common = min(heights)
    assert len({net.hash_at(n, common) for n in NAMES}) == 1

    dest = _acct("//NetTestReceiver")
    amount = 7 * 10**9
    assert all(net.rpc(n, "system_account", dest)["free"] == 0 for n in NAMES)
    with Client(f"ws://127.0.0.1:{net.plans['Bob'].rpc_port}", timeout=20) as c:
        res = c.transfer(keypair_from_uri("//Alice"), dest, amount, wait="inblock")
    assert res.success, res.message
    assert res.block_number is not None

    # included and visible through every node, then finalized everywhere
    wait_for(lambda: all(net.rpc(n, "system_account", dest)["free"] == amount for n in NAMES), 15,
             "the receiver's balance on every node")
    after = net.wait_finalized(NAMES, max(res.block_number, common + 3), 20)
    assert all(f[0] > first[n][0] for n, f in after.items()), (first, after)  # finality advances
    chain = net.assert_same_finalized_chain(NAMES)
    assert chain[res.block_number] == res.block_hash
    for n in NAMES:
        assert net.rpc(n, "system_account", dest, res.block_hash)["free"] == amount
        assert len(net.peers(n)) == 3


def test_kill_9_one_node_then_restart_it(net: LocalNet) -> None:
    net.wait_finalized(NAMES, 2, 30)
    dave_at_kill = net.best("Dave")[0]
    net.kill("Dave")
    live = ["Alice", "Bob", "Charlie"]
    fin0 = max(net.finalized(n)[0] for n in live)
    best0 = max(net.best(n)[0] for n in live)
    # 3 of 4 is more than 2/3: blocks (Dave's slots stay empty) and finality go on
    net.wait_best(live, best0 + 4, 15)
    net.wait_finalized(live, fin0 + 4, 15)
    net.start("Dave")  # same base path, key and node key
    net.wait_up("Dave")
    target_best = max(net.best(n)[0] for n in live)
    target_fin = min(net.finalized(n)[0] for n in live)
    assert target_best >= dave_at_kill + 4  # it restarts behind
    net.wait_best(["Dave"], target_best, 15)
    net.wait_finalized(["Dave"], target_fin, 15)
    # and follows: its best and finalized keep up with the others
    later = max(net.best(n)[0] for n in live) + 2
    net.wait_best(NAMES, later, 10)
    net.wait_finalized(NAMES, later - 1, 10)
    net.assert_same_finalized_chain(NAMES)


def test_two_of_four_down_stops_finality_which_resumes_without_reverting(net: LocalNet) -> None:
    net.wait_finalized(NAMES, 3, 30)
    live = ["Alice", "Bob"]
    assert net.interrupt("Charlie") == 0
    net.kill("Dave")
    time.sleep(1.5)  # votes already in flight may still land
    frozen = {n: net.finalized(n) for n in live}
    fin_number = max(f[0] for f in frozen.values())
    before = net.assert_same_finalized_chain(live, fin_number)
    best0 = max(net.best(n)[0] for n in live)
    # Alice and Bob still author their slots, but 2 of 4 is not more than 2/3: no finality
    net.wait_best(live, best0 + 4, 15)
    for n in live:
        assert net.finalized(n) == frozen[n], f"{n} finalized without a supermajority"
    best_down = max(net.best(n)[0] for n in live)

    net.start("Charlie", "Dave")
    net.wait_up("Charlie", "Dave")
    # finality resumes and covers the blocks made while it was stalled
    net.wait_finalized(NAMES, best_down + 1, 25)
    for n in NAMES:
        assert net.hashes(n, range(fin_number + 1)) == before, f"{n} reverted a finalized block"
    net.assert_same_finalized_chain(NAMES)


def test_an_authority_running_twice_does_not_break_safety(net: LocalNet) -> None:
    """A second process with Dave's key (own base path and network identity): both author Dave's
    slots and both vote as Dave. Transactions sent to the twin just before Dave's slots make the
    two authors' blocks differ (Dave has not heard of them yet), so Dave equivocates."""
    net.add_node("Dave2", "//Dave")
    net.start("Dave2")
    net.wait_up("Dave2")
    honest = ["Alice", "Bob", "Charlie"]
    everyone = [*NAMES, "Dave2"]
    fin0 = min(net.wait_finalized(everyone, 2, 30)[n][0] for n in honest)

    senders = ["//Alice", "//Bob", "//Charlie", "//Eve", "//Ferdie"]
    dest = _acct("//NetTestTwin")
    with Client(f"ws://127.0.0.1:{net.plans['Dave2'].rpc_port}", timeout=10) as c:
        for uri in senders:
            # just before one of Dave's slots (slot % 4 == 3)
            slot = int(time.time() * 1000 // BLOCK_MS) + 2  # a slot not used yet
            while slot % 4 != 3:
                slot += 1
            time.sleep(max(0.0, (slot * BLOCK_MS - 12 - time.time() * 1000) / 1000))
            key = keypair_from_uri(uri)
            c.submit(c.sign(key, c.compose_call("Balances", "transfer_allow_death", bytes.fromhex(dest[2:]), 10**9)))
    net.wait_finalized(honest, fin0 + 20, 35)
    net.check_alive(*everyone)
    chain = net.assert_same_finalized_chain(honest)
    # the twins' finalized blocks are the honest ones (above its own finalized height, a twin's best
    # chain may still be its fork until it learns the later finality: that is not a safety matter)
    twins = net.assert_same_finalized_chain(["Dave", "Dave2"])
    assert twins == chain[: len(twins)]
    # how often Dave's two processes made different blocks for one slot (from the logs)
    imported: dict[int, set[str]] = {}
    for n in everyone:
        for line in net.plans[n].log_path.read_text(errors="replace").splitlines():
            if "✨ Imported #" in line:
                num, h = line.split("✨ Imported #", 1)[1].split(" ", 1)
                imported.setdefault(int(num), set()).add(h.strip())
        # a peer on a fork we finalized against is not malicious: nobody bans an honest node
        assert "Banning peer" not in net.plans[n].log_path.read_text(errors="replace"), n
    forks = sorted(k for k, v in imported.items() if len(v) > 1)
    print(f"heights with two blocks: {forks}")
    assert forks, "the twins never produced conflicting blocks: the test did not exercise equivocation"
