"""The Python SDK against a real dev node process (one per module, with its Prometheus endpoint):
the examples (examples/miner.py, examples/validator.py) run and the validator's weights land; the
Metagraph's arrays equal the node's RPC views; AsyncClient; results unpacking as (success,
message); the events subscription; the per-subnet metrics."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from devnode import dev_node, free_port, wait_for

import taochain
from runtime.support.keys import keypair_from_uri
from taochain.client import ExtrinsicResult, netuid_of, resolve_network
from taochain.metagraph import Metagraph

ROOT = Path(__file__).resolve().parents[1]
TAO = 10**9
U16 = 0xFFFF
ALICE = keypair_from_uri("//Alice")
MINER_HOT = keypair_from_uri("//Charlie//miner")
VALIDATOR_HOT = keypair_from_uri("//Bob//validator")


@contextlib.contextmanager
def node_with_metrics(tmp: Path) -> Iterator[tuple[str, int]]:
    """`taochain node --dev --tmp` (250 ms blocks) with its Prometheus endpoint: (ws url, metrics port)."""
    prom = free_port()
    with dev_node(tmp, prometheus_port=prom) as (url, _proc):
        yield url, prom


def example(name: str, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "examples" / name), *args]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory):
    """A dev node with subnet 1 (emission started) where examples/miner.py serves and
    examples/validator.py ran one epoch: {"url", "c", "netuid", "prom", "validator", "miner"}."""
    tmp = tmp_path_factory.mktemp("sdk")
    with node_with_metrics(tmp) as (url, prom), taochain.Client(url, timeout=20) as c:
        r = c.register_network(ALICE, keypair_from_uri("//Alice//owner"))
        assert r.success, r
        netuid = netuid_of(r)
        assert c.start_call(ALICE, netuid).success
        common = ("--url", url, "--netuid", str(netuid))
        miner = subprocess.Popen(
            example("miner.py", *common, "--coldkey", "//Charlie", "--hotkey", "//Charlie//miner", "--host",
                    "127.0.0.2", "--port", str(free_port()), "--external-ip", "127.0.0.2", "--run-for", "120"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        try:
            wait_for(lambda: miner.poll() is not None or any(a.is_serving for a in c.metagraph(netuid, lite=True).axons),
                     60, "the miner's axon")
            assert miner.poll() is None, miner.stdout.read()
            v = subprocess.run(
                example("validator.py", *common, "--coldkey", "//Bob", "--hotkey", "//Bob//validator",
                        "--stake", "100", "--epochs", "1", "--wait-landed", "60"),
                cwd=ROOT, capture_output=True, text=True, timeout=150,
            )
        finally:
            miner.send_signal(signal.SIGINT)
            try:
                out, _ = miner.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                miner.kill()
                out, _ = miner.communicate()
        yield {"url": url, "c": c, "netuid": netuid, "prom": prom, "validator": v, "miner": out}


def test_examples_run_and_the_validators_weights_land(net) -> None:
    c, netuid, v = net["c"], net["netuid"], net["validator"]
    assert v.returncode == 0, v.stdout + v.stderr
    assert "axon serving" in net["miner"], net["miner"]
    assert "timelocked commit" in v.stdout and "weights landed on chain" in v.stdout, v.stdout
    mg = c.metagraph(netuid)
    m_uid, v_uid = mg.hotkeys.index(MINER_HOT.ss58), mg.hotkeys.index(VALIDATOR_HOT.ss58)
    assert c.neuron(netuid, v_uid)["weights"] == [[m_uid, U16]]
    assert mg.W[v_uid, m_uid] == 1.0 and mg.W[v_uid].sum() == 1.0
    assert mg.axons[m_uid].ip == "127.0.0.2" and mg.axons[m_uid].is_serving
    assert mg.validator_permit[v_uid] and mg.S[v_uid] >= 100.0


def check_equal_to_views(c: taochain.Client, mg: Metagraph, netuid: int, at: str) -> None:
    raw = c.metagraph_json(netuid, at=at)
    assert dict(mg) == raw and mg == raw and mg.to_json() == raw
    assert mg.block == raw["block"] == int(c.header(at)["number"], 16) and mg.netuid == netuid
    neurons = [c.neuron(netuid, x["uid"], at=at) for x in raw["neurons"]]
    n = len(neurons)
    assert mg.n == n and mg.tempo == c.hyperparameters(netuid, at=at)["tempo"]
    assert mg.uids.tolist() == [x["uid"] for x in neurons]
    assert np.array_equal(mg.S, np.array([x["stake"] / TAO for x in neurons])) and mg.stake is mg.S
    assert np.array_equal(mg.E, np.array([x["emission"] / TAO for x in neurons]))
    for short, long_, key in (("I", "incentive", "incentive"), ("C", "consensus", "consensus"),
                              ("Tv", "validator_trust", "validator_trust"), ("D", "dividends", "dividends")):
        arr = getattr(mg, short)
        assert arr is getattr(mg, long_)
        assert np.array_equal(arr, np.array([x[key] / U16 for x in neurons])), short
        assert ((arr >= 0) & (arr <= 1)).all()
    assert mg.validator_permit.tolist() == [x["validator_permit"] for x in neurons]
    assert mg.active.tolist() == [int(x["active"]) for x in neurons]
    assert mg.last_update.tolist() == [x["last_update"] for x in neurons]
    assert mg.block_at_registration.tolist() == [x["registered_at"] for x in neurons]
    assert mg.hotkeys == [x["hotkey"] for x in neurons] and mg.coldkeys == [x["coldkey"] for x in neurons]
    for a, x in zip(mg.axons, neurons, strict=True):
        if x["axon"] is None:
            assert not a.is_serving
        else:
            assert (a.ip, a.port, a.ip_type, a.protocol, a.version, a.block) == tuple(
                x["axon"][k] for k in ("ip", "port", "ip_type", "protocol", "version", "block"))
    assert mg.W.shape == mg.B.shape == (n, n) and mg.weights is mg.W and mg.bonds is mg.B
    for i, x in enumerate(neurons):
        w = np.zeros(n)
        for j, val in x["weights"]:
            w[j] = val
        if w.sum():
            w /= w.sum()
        assert np.array_equal(mg.W[i], w), i
        b = np.zeros(n)
        for j, val in x["bonds"]:
            b[j] = val
        assert np.array_equal(mg.B[i], b), i


def test_metagraph_equals_the_rpc_views(net) -> None:
    c, netuid = net["c"], net["netuid"]
    wait_for(lambda: c.metagraph(netuid, lite=True).I.any(), 20, "an epoch over the validator's weights")
    at = c.block_hash()
    mg = c.metagraph(netuid, at=at)
    check_equal_to_views(c, mg, netuid, at)
    assert mg.W.any() and mg.I.any() and mg.D.any()  # the validator's weights ran through epochs
    by_number = c.metagraph(netuid, block=mg.block)
    assert by_number == mg and np.array_equal(by_number.W, mg.W) and np.array_equal(by_number.B, mg.B)
    lite = c.metagraph(netuid, at=at, lite=True)
    assert lite == mg and not lite.W.any() and np.array_equal(lite.S, mg.S)
    # the old dict access keeps working
    assert mg["neurons"][0]["uid"] == 0 and mg.get("netuid") == netuid and "block" in mg
    old = mg.block
    wait_for(lambda: int(c.header()["number"], 16) > old, 10, "a new block")
    assert mg.sync() is mg and mg.block > old
    check_equal_to_views(c, mg, netuid, c.block_hash(mg.block))
    assert c.metagraph(77) is None


def test_async_client(net) -> None:
    netuid = net["netuid"]

    async def main() -> None:
        async with taochain.AsyncClient(network=net["url"]) as ac:
            at = await ac.block_hash()
            mg = await ac.metagraph(netuid, at=at)
            assert isinstance(mg, Metagraph) and mg == await ac.metagraph_json(netuid, at)
            assert mg.hotkeys == [n["hotkey"] for n in (await ac.neurons(netuid, at))]
            old = mg.block
            while (await ac.header())["number"] == hex(old):
                await asyncio.sleep(0.1)
            assert await mg.sync() is mg and mg.block > old
            r = await ac.transfer(ALICE, "//Ferdie", TAO)
            ok, msg = r
            assert ok and msg == "success"

    asyncio.run(main())


def test_results_unpack_as_success_and_message(net) -> None:
    c = net["c"]
    r = c.transfer(ALICE, "//Dave", 2 * TAO)
    ok, msg = r
    assert isinstance(r, ExtrinsicResult) and ok is True and msg == "success" and r.success
    assert r.extrinsic_fee == r.fee and r.fee > 0 and r.block_number is not None
    r = c.burned_register(ALICE, 77, "//Alice//x")
    ok, msg = r
    assert ok is False and msg == r.error and msg.startswith("SubtensorModule."), msg
    # the hint is the pallet's doc of the error (cause; fix), read from the node's metadata
    cause, fix = c.error_doc(r.error).split("\n")
    assert r.hint == f"{cause}; {fix}" and r.hint in str(r)


def test_dry_run_says_what_the_chain_would_do_without_sending(net) -> None:
    """dry_run of a signed extrinsic: the pallet's error, cause and fix, the fee; nothing sent.
    Submitting the very same extrinsic then fails the same way and pays that fee."""
    import taochain.client as sdk

    c = net["c"]
    for gone in ("ERROR_HINTS", "DROP_REASONS", "HYPERPARAM_SETTERS"):  # they come from the node now
        assert not hasattr(sdk, gone)
    nonce = c.account(ALICE)["nonce"]
    xt = c.sign(ALICE, c.compose_call("SubtensorModule", "burned_register", 77, "//Alice//x"))
    d = c.dry_run(xt)
    assert not d.success and d.included and d.error == "SubtensorModule.SubnetNotExists", d
    assert d.cause == "the netuid names no subnet" and "subnets list" in d.fix and d.fee > 0
    assert [e["name"] for e in d.events][-1] == "System.ExtrinsicFailed"
    assert c.account(ALICE)["nonce"] == nonce  # nothing sent
    assert d.detail == "there is no subnet 77" and d.hint == f"{d.cause} ({d.detail}); {d.fix}"
    r = c.submit_signed(xt)
    assert r.error == d.error and r.fee == d.fee and r.hint == f"{d.cause}; {d.fix}"  # events carry no detail
    ok = c.dry_run(c.sign(ALICE, c.compose_call("Balances", "transfer_keep_alive", "//Dave", TAO)))
    assert ok.success and ok.error is None and ok.hint is None and ok.fee > 0
    assert any(e["name"] == "Balances.Transfer" for e in ok.events)


def test_the_hyperparameter_table_comes_from_the_node(net) -> None:
    c = net["c"]
    table = c.hyperparameter_table()
    assert {"name", "item", "type", "default", "description", "setter", "owner", "bounds"} <= set(table[0])
    h = c.hyperparameter("weights_version")
    assert h["setter"] == "sudo_set_weights_version_key" and h["owner"] is True
    assert c.hyperparameter("weights_version_key") == h == c.hyperparameter("sudo_set_weights_version_key")
    assert c.hyperparameter("tempo")["owner"] is False and c.hyperparameter("bogus") is None
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        c.set_hyperparameter(ALICE, net["netuid"], "bogus", 1)


def test_subscribe_events_yields_each_blocks_events(net) -> None:
    c, netuid = net["c"], net["netuid"]
    it = c.subscribe_events()
    try:
        first = next(it)
        second = next(it)
    finally:
        it.close()
    assert second["block_number"] == first["block_number"] + 1
    assert second["block_hash"] == c.block_hash(second["block_number"])
    assert any(e["name"] == "System.ExtrinsicSuccess" for e in first["events"]), first  # the timestamp inherent
    assert first["events"] == c.events(first["block_hash"])
    it = c.subscribe_events({"SubtensorModule.EpochRun"})
    try:
        blk = next(b for b in it if b["events"])
    finally:
        it.close()
    (ev,) = blk["events"]
    assert ev["fields"]["netuid"] == netuid and ev["fields"]["incentive"] > 0


def scrape(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("taochain_subnet_"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def test_per_subnet_metrics(net) -> None:
    c, netuid, prom = net["c"], net["netuid"], net["prom"]
    label = f'{{netuid="{netuid}"}}'
    for _ in range(3):  # an epoch's event, then the metrics before the next epoch (2.75 s later)
        it = c.subscribe_events({"SubtensorModule.EpochRun"})
        try:
            blk = next(b for b in it if b["events"])
        finally:
            it.close()
        m = scrape(prom)
        f = blk["events"][0]["fields"]
        if m[f"taochain_subnet_emission_rao{label}"] == f["incentive"] + f["dividends"] + f["owner_cut"]:
            break
    else:
        pytest.fail(f"the emission metric never matched the last EpochRun: {m}")
    assert m[f"taochain_subnet_neurons{label}"] == c.subnet(netuid)["n"] == 3
    assert 0 < m[f"taochain_subnet_epoch_seconds{label}"] < 5
    assert m[f"taochain_subnet_epochs_total{label}"] >= 3


def test_network_names_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BT_SUBTENSOR_CHAIN_ENDPOINT", raising=False)
    assert resolve_network("local") == resolve_network(None) == "ws://127.0.0.1:9944"
    assert resolve_network("ws://10.0.0.1:9944") == "ws://10.0.0.1:9944"
    assert resolve_network("10.0.0.1:9944") == "ws://10.0.0.1:9944"
    monkeypatch.setenv("BT_SUBTENSOR_CHAIN_ENDPOINT", "ws://1.2.3.4:1")
    with taochain.Client(network="local") as c:
        assert c.url == "ws://1.2.3.4:1"
    with pytest.raises(ValueError, match="Bittensor network"):
        resolve_network("finney")
