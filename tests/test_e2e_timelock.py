"""End to end with drand quicknet: a node process on a chain spec that names quicknet, reading
pulses from a file (`--drand-pulses`), takes a weights commit made by `bittensor-drand` (the
library the bittensor SDK uses) for round 1000, stores drand's published round-1000 pulse once it
appears in the file, decrypts the commit itself in the reveal epoch and sets the weights; a commit
encrypted to another round is dropped with its reason."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from devnode import dev_node, wait_for

from runtime.presets import dev, quicknet
from runtime.support import tlock
from runtime.support.keys import keypair_from_uri
from taochain.client import Client, ConnectionFailed, netuid_of

bd = pytest.importorskip("bittensor_drand")

VECTORS = json.loads((Path(__file__).parent / "vectors" / "drand.json").read_text())
ALICE = keypair_from_uri("//Alice")
OWNER_HOT = keypair_from_uri("//Alice//tl-owner")


def bd_ciphertext(payload: bytes, round_: int) -> bytes:
    out, r = bd.encrypt_at_round(payload, round_)  # SCALE(Vec<u8> ciphertext, u64 round)
    assert r == round_
    return out[{0: 1, 1: 2, 2: 4}[out[0] & 3]:-8]


def test_quicknet_chain_reveals_a_bittensor_drand_commit(tmp_path: Path) -> None:
    spec = dataclasses.replace(dev(), name="Quicknet dev", id="quicknet_dev", drand=quicknet())
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(spec.dumps())
    pulses_path = tmp_path / "pulses.json"
    pulses_path.write_text("[]")
    with dev_node(tmp_path, "--drand-pulses", str(pulses_path), chain=spec_path) as (url, _p), Client(url) as c:
        st = c.drand_status()
        assert st["beacon"] == "quicknet" and st["lastStoredRound"] == 0
        r = c.register_network(ALICE, OWNER_HOT)
        assert r.success, r
        netuid = netuid_of(r)
        assert c.set_hyperparameter(ALICE, netuid, "tempo", 30, sudo=True).success  # 7.75 s epochs
        good = bd_ciphertext(tlock.encode_weights_payload(OWNER_HOT.public, [0], [7], 0), 1000)
        other = bd_ciphertext(tlock.encode_weights_payload(OWNER_HOT.public, [0], [7], 0), 12040883)
        call = ["SubtensorModule", "commit_timelocked_weights"]
        for ct in (good, other):  # the second claims round 1000 but was encrypted to another round
            r = c.submit_call(OWNER_HOT, c.compose_call(*call, netuid, ct, 1000, 4))
            assert r.success, r
        listed = c.timelocked_commits(netuid)
        assert [x["reveal_round"] for x in listed] == [1000, 1000]
        # drand's round-1000 pulse appears in the file: the node verifies it and the author stores it
        pulses_path.write_text(json.dumps([VECTORS["pulses"][0]]))
        wait_for(lambda: c.drand_status()["lastStoredRound"] == 1000, 15, "the pulse on chain", (ConnectionFailed,))
        assert c.pulse(1000)["signature"] == "0x" + VECTORS["pulses"][0]["signature"]
        outcomes = wait_for(lambda: (o := c.timelock_outcomes(netuid, 64)) and len(o) >= 2 and o, 30,
                            "the reveal", (ConnectionFailed,))
        assert sorted(o["revealed"] for o in outcomes) == [False, True]
        (dropped,) = [o for o in outcomes if not o["revealed"]]
        assert dropped["reason"] == "Undecryptable"
        assert c.neuron(netuid, 0)["weights"] == [[0, 65535]]
        assert c.timelocked_commits(netuid) == []
