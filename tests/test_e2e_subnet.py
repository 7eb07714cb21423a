"""End to end on a real dev node process (`taochain node --dev --tmp`, 250 ms blocks), using only
the SDK (taochain.Client): a subnet's whole life from creation to a paid epoch.

Alice creates subnet 1 and starts its emission; Bob registers the validator hotkey (burned) and
makes it a delegate; Charlie and Dave register a miner each by burn, Eve and Ferdie one each by
proof of work; Alice stakes 1000 TAO on the validator. After an epoch gives the validator its
permit, it commits weights favouring one miner, reveals them in the reveal epoch, and at the next
epoch the favoured miner has the largest incentive, the validator the largest dividends, and the
EpochRun event pays exactly the rao that was pending (read with `at` at the block before) plus the
epoch block's own accrual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import devnode
import pytest
from devnode import dev_node

from runtime.support.keys import dev_keypair, keypair_from_uri
from taochain.client import Client, ConnectionFailed, netuid_of, uid_of

ROOT = Path(__file__).resolve().parents[1]
TAO = 10**9
ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE = (
    dev_keypair(n) for n in ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
)
OWNER_HOT = keypair_from_uri("//Alice//owner-hot")
VALIDATOR = keypair_from_uri("//Bob//validator")
MINERS = [keypair_from_uri(f"//miner{i}") for i in range(4)]  # 0, 1 burned; 2, 3 by PoW
OWNER_CUT = 11796
U16_MAX = 0xFFFF


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with dev_node(tmp_path) as (url, _proc), Client(url, timeout=20) as c:
        yield c


def wait_for(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    return devnode.wait_for(cond, timeout, what, (ConnectionFailed,))


def best(c: Client) -> int:
    return int(c.header()["number"], 16)


def epoch_of(block: int, netuid: int, tempo: int) -> int:
    return (block + netuid + 1) // (tempo + 1)


def ok(r: Any) -> Any:
    assert r.success, str(r)
    return r


def test_subnet_life_end_to_end(client: Client) -> None:
    c = client
    # --- the subnet
    assert c.lock_cost() == 100 * TAO
    r = ok(c.register_network(ALICE, OWNER_HOT))
    netuid = netuid_of(r)
    assert netuid == 1
    ok(c.start_call(ALICE, netuid))
    info = c.subnet(netuid)
    assert info["owner"] == ALICE.ss58 and info["owner_hotkey"] == OWNER_HOT.ss58 and info["emission_started"]
    tempo = info["tempo"]

    # --- neurons: the validator (Bob's), two burned miners, two PoW miners
    v_uid = uid_of(ok(c.burned_register(BOB, netuid, VALIDATOR)))
    ok(c.become_delegate(BOB, VALIDATOR))
    miner_uids = [
        uid_of(ok(c.burned_register(CHARLIE, netuid, MINERS[0]))),
        uid_of(ok(c.burned_register(DAVE, netuid, MINERS[1]))),
        uid_of(ok(c.pow_register(MINERS[2], netuid, EVE))),
        uid_of(ok(c.pow_register(MINERS[3], netuid, FERDIE))),
    ]
    assert v_uid == 1 and miner_uids == [2, 3, 4, 5]
    ok(c.add_stake(ALICE, VALIDATOR, 1000 * TAO))
    mg = c.metagraph(netuid)
    owners = {n["hotkey"]: n["coldkey"] for n in mg["neurons"]}
    assert owners[VALIDATOR.ss58] == BOB.ss58 and owners[MINERS[2].ss58] == EVE.ss58
    assert owners[MINERS[3].ss58] == FERDIE.ss58
    assert {"coldkey": ALICE.ss58, "stake": 1000 * TAO} in c.delegates()[0]["nominators"]

    # --- an epoch gives the validator its permit
    wait_for(lambda: c.metagraph(netuid)["neurons"][v_uid]["validator_permit"], 20, "the validator's permit")

    # --- commit weights favouring miner uid 3, reveal in the reveal epoch (hash commits, v2)
    ok(c.set_hyperparameter(ALICE, netuid, "commit_reveal_version", 2, sudo=True))
    r, record = c.commit_weights(VALIDATOR, netuid, miner_uids, [0.05, 0.85, 0.05, 0.05])
    ok(r)
    assert record["values"] == [3855, 65535, 3855, 3855]
    (pending,) = c.pending_commits(netuid, VALIDATOR)
    assert pending["hash"] == record["hash"] and pending["block"] == r.block_number
    reveal_epoch = pending["reveal_epoch"]

    def in_reveal_window() -> bool:
        b = best(c)  # the reveal lands in one of the next blocks: keep 3 blocks of the window ahead
        return epoch_of(b, netuid, tempo) == reveal_epoch and c.subnet(netuid)["blocks_until_next_epoch"] >= 3

    wait_for(in_reveal_window, 30, "the reveal epoch")
    r = ok(c.reveal_weights(VALIDATOR, netuid, record["uids"], record["values"], record["salt"]))
    assert epoch_of(r.block_number, netuid, tempo) == reveal_epoch
    assert c.pending_commits(netuid, VALIDATOR) == []
    assert c.neuron(netuid, v_uid)["weights"] == [[u, v] for u, v in zip(miner_uids, record["values"], strict=True)]

    # --- the next epoch pays what was pending
    until = (tempo - (r.block_number + netuid + 1) % (tempo + 1)) or tempo + 1
    epoch_block = r.block_number + until
    wait_for(lambda: best(c) >= epoch_block, 20, f"the epoch at block {epoch_block}")
    at_epoch, before = c.block_hash(epoch_block), c.block_hash(epoch_block - 1)
    (run,) = [e["fields"] for e in c.events(at_epoch) if e["name"] == "SubtensorModule.EpochRun"]
    assert run["netuid"] == netuid
    prev = c.subnet(netuid, at=before)
    assert prev["blocks_until_next_epoch"] == 1
    share = prev["emission_share"]  # what the epoch block itself accrued, before the epoch ran
    cut = share * OWNER_CUT // U16_MAX
    pend = prev["pending_emission"]
    assert run["incentive"] + run["dividends"] + run["carried"] == pend["server"] + pend["validator"] + share - cut
    assert run["owner_cut"] == pend["owner_cut"] + cut
    assert run["incentive"] > 0 and run["dividends"] > 0
    after = c.subnet(netuid, at=at_epoch)["pending_emission"]
    assert after["server"] + after["validator"] == run["carried"] and after["owner_cut"] == 0

    mg = c.metagraph(netuid, at=at_epoch)
    assert mg["block"] == epoch_block
    neurons = mg["neurons"]
    incentive = [n["incentive"] for n in neurons]
    dividends = [n["dividends"] for n in neurons]
    favoured = miner_uids[1]
    assert incentive[favoured] == max(incentive) and all(
        incentive[favoured] > x for i, x in enumerate(incentive) if i != favoured
    )
    assert dividends[v_uid] == max(dividends) and all(
        dividends[v_uid] > x for i, x in enumerate(dividends) if i != v_uid
    )
    assert neurons[favoured]["emission"] > max(neurons[m]["emission"] for m in miner_uids if m != favoured)
