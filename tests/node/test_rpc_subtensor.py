"""SubtensorModule's JSON views over RPC (subnetInfo_*, neuronInfo_*, delegateInfo_*, stakeInfo_*),
against one in-process dev node (memory KV, real RPC socket) shared by the module's tests.

The module fixture creates subnet 1 (Alice's coldkey, Bob's key as owner hotkey), registers Charlie's
key as a second neuron, stakes on it, serves an axon and commits weights, so every view has data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from devnode import BackgroundNode

from runtime.support.keys import dev_keypair, ss58_decode
from taochain.client import Client, RpcError, netuid_of, parse_ip, uid_of, weights_to_u16

TAO = 10**9
ALICE, BOB, CHARLIE, DAVE = (dev_keypair(n) for n in ("Alice", "Bob", "Charlie", "Dave"))


@pytest.fixture(scope="module")
def net() -> Iterator[tuple[Client, dict]]:
    node = BackgroundNode(prometheus_port=0)
    c = Client(node.url, timeout=20)
    try:
        r = c.register_network(ALICE, BOB)
        assert r.success, r
        netuid = netuid_of(r)
        assert c.start_call(ALICE, netuid).success
        r = c.burned_register(DAVE, netuid, CHARLIE)
        assert r.success, r
        uid = uid_of(r)
        assert c.add_stake(DAVE, CHARLIE, 10 * TAO).success
        assert c.become_delegate(DAVE, CHARLIE).success
        assert c.add_stake(ALICE, CHARLIE, 5 * TAO).success
        assert c.serve_axon(CHARLIE, netuid, "8.8.4.4", 8091).success
        assert c.set_hyperparameter(ALICE, netuid, "commit_reveal_version", 2, sudo=True).success
        r, record = c.commit_weights(CHARLIE, netuid, [0, uid], [0.5, 1.0], salt=[1, 2, 3])
        assert r.success, r
        yield c, {"netuid": netuid, "uid": uid, "record": record, "commit_block": r.block_number,
                  "commit_hash": r.block_hash}
    finally:
        c.close()
        node.stop()


def is_ss58(x: object) -> bool:
    try:
        return isinstance(x, str) and len(ss58_decode(x)) == 32
    except Exception:
        return False


def is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


SUBNET_KEYS = {
    "netuid", "owner", "owner_hotkey", "tempo", "n", "max_n", "emission_share", "emission_started",
    "first_emission_block", "registered_at", "lock", "burn", "difficulty", "registration_allowed",
    "pow_registration_allowed", "commit_reveal_enabled", "blocks_until_next_epoch", "pending_emission",
}
NEURON_KEYS = [
    "uid", "hotkey", "coldkey", "stake", "active", "validator_permit", "stake_weight", "validator_trust",
    "consensus", "incentive", "dividends", "emission", "last_update", "registered_at", "axon",
]
HYPERPARAM_ORDER = [
    "rho", "kappa", "immunity_period", "min_allowed_weights", "max_weights_limit", "tempo", "min_difficulty",
    "max_difficulty", "weights_version", "weights_rate_limit", "adjustment_interval", "activity_cutoff",
    "registration_allowed", "target_regs_per_interval", "min_burn", "max_burn", "bonds_moving_avg",
    "max_regs_per_block", "serving_rate_limit", "max_validators", "adjustment_alpha", "difficulty",
    "commit_reveal_period", "commit_reveal_weights_enabled", "alpha_high", "alpha_low", "liquid_alpha_enabled",
    "bonds_penalty", "yuma3_enabled", "pow_registration_allowed", "burn", "commit_reveal_version",
]


def test_subnet_info_and_list(net) -> None:
    c, d = net
    subnets = c.subnets()
    assert [s["netuid"] for s in subnets] == [d["netuid"]]
    s = c.subnet(d["netuid"])
    assert s["netuid"] == subnets[0]["netuid"] and set(s) == set(subnets[0]) == SUBNET_KEYS
    assert s["owner"] == ALICE.ss58 and s["owner_hotkey"] == BOB.ss58
    assert s["tempo"] == 10 and s["n"] == 2 and s["max_n"] == 256
    assert s["emission_started"] is True and is_int(s["first_emission_block"])
    assert s["emission_share"] > 0 and s["lock"] == 100 * TAO
    assert 0 <= s["blocks_until_next_epoch"] <= s["tempo"]
    assert set(s["pending_emission"]) == {"server", "validator", "owner_cut"}
    assert all(is_int(v) for v in s["pending_emission"].values())
    for k in ("registration_allowed", "pow_registration_allowed", "commit_reveal_enabled"):
        assert isinstance(s[k], bool)


def test_hyperparams_field_order(net) -> None:
    c, d = net
    hp = c.hyperparameters(d["netuid"])
    assert list(hp) == HYPERPARAM_ORDER
    assert hp["tempo"] == 10 and hp["commit_reveal_weights_enabled"] is True and hp["yuma3_enabled"] is True
    assert all(is_int(v) or isinstance(v, bool) for v in hp.values())


def test_set_hyperparameter_owner_sudo_and_errors(net) -> None:
    c, d = net
    netuid = d["netuid"]
    ok = c.set_hyperparameter(ALICE, netuid, "immunity_period", 123)  # owner parameter, signed by the owner
    assert ok.success, ok
    r = c.set_hyperparameter(ALICE, netuid, "kappa", 30000)  # root-only without sudo
    assert not r.success and r.error == "System.BadOrigin" and "sudo" in r.hint
    r = c.set_hyperparameter(ALICE, netuid, "kappa", 30000, sudo=True)
    assert r.success, r
    r = c.set_hyperparameter(ALICE, 77, "kappa", 1, sudo=True)  # the inner call's error is reported
    assert not r.success and r.error == "AdminUtils.SubnetDoesNotExist"
    r = c.set_hyperparameter(BOB, netuid, "kappa", 1, sudo=True)
    assert r.error == "Sudo.RequireSudo"
    hp = c.hyperparameters(netuid)
    assert hp["immunity_period"] == 123 and hp["kappa"] == 30000
    with pytest.raises(ValueError, match="unknown hyperparameter 'nope'; settable: .*kappa"):
        c.set_hyperparameter(ALICE, netuid, "nope", 1)


def test_sdk_errors_name_cause_and_fix(net) -> None:
    c, d = net
    r = c.set_weights(CHARLIE, d["netuid"], [0], [1.0])
    assert not r.success and r.error == "SubtensorModule.CommitRevealEnabled"
    assert "commit_weights" in r.hint and "commit_weights" in str(r)
    r = c.burned_register(ALICE, d["netuid"], CHARLIE)
    assert r.error == "SubtensorModule.HotKeyAlreadyRegisteredInSubNet"
    with pytest.raises(ValueError, match="not an IPv4 or IPv6"):
        c.serve_axon(CHARLIE, d["netuid"], "999.1.1.1", 80)
    with pytest.raises(ValueError, match="one weight per uid"):
        c.commit_weights(CHARLIE, d["netuid"], [0, 1], [1.0])


def test_lock_cost_is_what_the_next_block_charges(net) -> None:
    c, _ = net
    cost = c.lock_cost()
    assert is_int(cost) and cost >= 100 * TAO


def test_metagraph_and_neurons(net) -> None:
    c, d = net
    netuid, uid = d["netuid"], d["uid"]
    mg = c.metagraph(netuid)
    assert mg["netuid"] == netuid and is_int(mg["block"])
    assert [n["uid"] for n in mg["neurons"]] == [0, uid]
    for n in mg["neurons"]:
        assert list(n) == NEURON_KEYS
        assert is_ss58(n["hotkey"]) and is_ss58(n["coldkey"])
        for k in ("stake", "stake_weight", "validator_trust", "consensus", "incentive", "dividends", "emission",
                  "last_update", "registered_at"):
            assert is_int(n[k]), k
        for k in ("stake_weight", "validator_trust", "consensus", "incentive", "dividends"):
            assert 0 <= n[k] <= 65535
    owner, charlie = mg["neurons"]
    assert owner["hotkey"] == BOB.ss58 and owner["coldkey"] == ALICE.ss58 and owner["axon"] is None
    assert charlie["hotkey"] == CHARLIE.ss58 and charlie["coldkey"] == DAVE.ss58
    assert charlie["stake"] >= 15 * TAO
    assert charlie["axon"] == {"ip": "8.8.4.4", "port": 8091, "ip_type": 4, "protocol": 4, "version": 0,
                               "block": charlie["axon"]["block"]}
    lite = c.neurons_lite(netuid)
    assert [n["hotkey"] for n in lite] == [BOB.ss58, CHARLIE.ss58] and all(list(n) == NEURON_KEYS for n in lite)
    full = c.neuron(netuid, uid)
    assert list(full) == [*NEURON_KEYS, "weights", "bonds"]
    assert isinstance(full["weights"], list) and isinstance(full["bonds"], list)


def test_delegates_and_stake_info(net) -> None:
    c, d = net
    dels = c.delegates()
    assert len(dels) == 1
    dg = dels[0]
    assert set(dg) == {"hotkey", "owner", "take", "total_stake", "nominators", "registrations"}
    assert dg["hotkey"] == CHARLIE.ss58 and dg["owner"] == DAVE.ss58 and dg["take"] == 11796
    assert dg["registrations"] == [d["netuid"]]
    assert {n["coldkey"] for n in dg["nominators"]} == {ALICE.ss58, DAVE.ss58}
    assert dg["total_stake"] == sum(n["stake"] for n in dg["nominators"])
    info = c.stake_info(DAVE)
    assert isinstance(info, list) and info[0]["hotkey"] == CHARLIE.ss58 and info[0]["coldkey"] == DAVE.ss58
    assert info[0]["stake"] >= 10 * TAO
    assert c.stake_info(dev_keypair("Ferdie")) == []


def test_pending_commits(net) -> None:
    c, d = net
    netuid = d["netuid"]
    # read at the commit's block: the commit is still pending there whatever happened since
    pc = c.pending_commits(netuid, CHARLIE, at=d["commit_hash"])
    assert len(pc) == 1
    p = pc[0]
    assert p["hash"] == d["record"]["hash"] and p["block"] == d["commit_block"]
    assert p["reveal_epoch"] == p["epoch"] + 1
    assert c.pending_commits(netuid, DAVE) == []


def test_at_reads_an_older_block(net) -> None:
    c, d = net
    genesis = c.block_hash(0)
    assert c.subnets(at=genesis) == []
    assert c.subnet(d["netuid"], at=genesis) is None
    assert c.delegates(at=genesis) == []
    assert c.lock_cost(at=genesis) == 100 * TAO


def test_unknown_netuid_and_uid_answer_null(net) -> None:
    c, d = net
    assert c.subnet(77) is None
    assert c.hyperparameters(77) is None
    assert c.metagraph(77) is None
    assert c.neurons_lite(77) is None
    assert c.neuron(77, 0) is None
    assert c.neuron(d["netuid"], 999) is None
    assert c.pending_commits(77, CHARLIE) is None


@pytest.mark.parametrize(
    ("method", "params", "needle"),
    [
        ("subnetInfo_getSubnetInfo", ["1"], "netuid"),
        ("subnetInfo_getSubnetInfo", [65536], "netuid"),
        ("subnetInfo_getSubnetInfo", [-1], "netuid"),
        ("subnetInfo_getSubnetHyperparams", [True], "netuid"),
        ("subnetInfo_getMetagraph", [1, "0xzz"], "at"),
        ("subnetInfo_getMetagraph", [1, "0x1234"], "block hash"),
        ("neuronInfo_getNeuron", [1, 70000], "uid"),
        ("neuronInfo_getNeuron", [1], ""),
        ("stakeInfo_getStakeInfoForColdkey", ["not-an-account"], "account"),
        ("subnetInfo_getPendingCommits", [1, 5], "hotkey"),
        ("subnetInfo_getLockCost", ["nothex"], "at"),
    ],
)
def test_bad_params_are_invalid_params(net, method: str, params: list, needle: str) -> None:
    c, _ = net
    with pytest.raises(RpcError) as ei:
        c.rpc(method, *params)
    assert ei.value.code == -32602
    assert needle in str(ei.value)


def test_unknown_block_hash(net) -> None:
    c, _ = net
    with pytest.raises(RpcError) as ei:
        c.subnets(at="0x" + "11" * 32)
    assert ei.value.code == 4003


def test_weight_conversion_and_ip_parsing() -> None:
    assert weights_to_u16([1, 2, 3], [0.05, 0.85, 0.1]) == [3855, 65535, 7710]
    assert weights_to_u16([1, 2], [1, 3]) == [21845, 65535]
    assert weights_to_u16([4, 5], [0, 0]) == [0, 0]
    assert weights_to_u16([], []) == []
    with pytest.raises(ValueError, match="non-negative"):
        weights_to_u16([1], [-1.0])
    with pytest.raises(ValueError, match="not a u16"):
        weights_to_u16([70000], [1.0])
    assert parse_ip("1.2.3.4") == (0x01020304, 4)
    assert parse_ip("2001:db8::1") == (0x20010DB8000000000000000000000001, 6)
