"""The node's beacon (node/beacon.py): t-of-n partials combined into pulses that verify, forged
partials rejected, drand pulses read from a file or an HTTP endpoint and verified, the author's
write_pulse inherent (and a bad pulse that never stops block production), the node's flags."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node import beacon as bc
from node.beacon import BeaconConfigError, BeaconService, load_share_file, pulse_from_json, write_share_file
from node.service import Node, NodeConfig
from p2p.messages import BeaconPartial, decode_message, encode_message
from pallets.drand import Pulse
from runtime.presets import local, local_beacon, quicknet
from runtime.support import bls
from runtime.support.keys import ED25519, dev_keypair

QUICKNET_1000 = {
    "round": 1000,
    "signature": "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
    "randomness": "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
}
GENESIS, PERIOD, NOW_ROUND = 1_000_000, 3, 100
N, T = 4, 3
B = bls.get_backend()


def flipped(hex_sig: str, bit: int = 0) -> str:
    sig = bytearray(bytes.fromhex(hex_sig))
    sig[-1] ^= 1 << bit
    return sig.hex()


@pytest.fixture(scope="module")
def dealt():
    """A fresh 3-of-4 beacon: its DrandSpec (genesis GENESIS, period PERIOD) and the secret shares."""
    coeffs = [1 + secrets.randbelow(bls.R - 1) for _ in range(T)]
    spec = dataclasses.replace(local_beacon(coeffs, N, dev_seed=False), genesis_time=GENESIS, period=PERIOD)
    return spec, [bls.poly_eval(coeffs, i) for i in range(1, N + 1)]


def clock_at(round_: int):
    return lambda: GENESIS + (round_ - 1) * PERIOD + 1.5


def service(spec, round_: int = NOW_ROUND, **kw) -> BeaconService:
    return BeaconService(spec, clock=clock_at(round_), **kw)


def partial(shares, index: int, round_: int, signer: int | None = None) -> BeaconPartial:
    """Share `index`'s partial of `round_` (signed with share `signer`'s secret when given)."""
    secret = shares[(signer or index) - 1]
    return BeaconPartial(round_, index, B.sign(secret, bls.round_message(round_)))


# ---------------------------------------------------------------------- local beacon


def test_t_of_n_partials_combine_into_a_pulse_that_verifies(dealt) -> None:
    spec, shares = dealt
    s = service(spec)
    r = NOW_ROUND
    assert s.on_partial(partial(shares, 2, r)) == bc.ACCEPTED
    assert s.on_partial(partial(shares, 4, r)) == bc.ACCEPTED
    assert s.pulses_for_block(0) == [] and s.pulses_combined == 0
    assert s.on_partial(partial(shares, 4, r)) == bc.DUPLICATE
    assert s.on_partial(partial(shares, 1, r)) == bc.ACCEPTED  # the third: combined
    (pulse,) = s.pulses_for_block(0)
    assert pulse.round == r and pulse.randomness == bls.randomness_of(pulse.signature)
    assert bls.verify_beacon(spec.public_key, r, pulse.signature)
    # any t shares give the same (unique) signature
    other = bls.combine_partials({i: partial(shares, i, r).signature for i in (1, 3, 4)})
    assert other == pulse.signature
    assert s.on_partial(partial(shares, 3, r)) == bc.ACCEPTED  # a late partial: no second combination
    assert s.pulses_combined == 1 and s.last_combined_round == r
    assert s.pulses_for_block(r) == [] and s.pulses_for_block(r - 1) == [pulse]
    st = s.status()
    assert st["lastCombinedRound"] == r and st["partialsReceived"] == 5 and st["partialsRejected"] == 0
    assert st["hasShare"] is False and st["shareIndex"] is None


def test_pulses_for_block_ascending_above_the_last_round_at_most_64(dealt) -> None:
    spec, _ = dealt
    s = service(spec)
    for r in range(200, 0, -1):
        s.add_pulse(Pulse(r, b"", b""))
    got = [p.round for p in s.pulses_for_block(10)]
    assert got == list(range(11, 75))
    assert s.pulses_for_block(200) == []


def test_forged_partials_are_rejected_and_make_no_pulse(dealt) -> None:
    spec, shares = dealt
    s = service(spec)
    r = NOW_ROUND
    garbage = BeaconPartial(r, 3, b"\x01" * 48)
    forged = [
        (partial(shares, 1, r, signer=2), bc.BAD_SIGNATURE),  # another share's key
        (BeaconPartial(r, 3, partial(shares, 3, r - 1).signature), bc.BAD_SIGNATURE),  # another round's
        (garbage, bc.MALFORMED),  # not a curve point
        (BeaconPartial(r, 0, partial(shares, 1, r).signature), bc.BAD_INDEX),
        (BeaconPartial(r, N + 1, partial(shares, 1, r).signature), bc.BAD_INDEX),
    ]
    for p, outcome in forged:
        assert s.on_partial(p) == outcome, p
    assert s.partials_rejected == len(forged)
    # out of the round window: ignored, not counted as forged
    assert s.on_partial(partial(shares, 1, r + 2)) == bc.FUTURE
    assert s.on_partial(partial(shares, 1, r - bc.ROUNDS_BEHIND - 1)) == bc.STALE
    assert s.partials_rejected == len(forged) and s.partials_ignored == 2
    # two honest partials and every forgery: still below the threshold
    assert s.on_partial(partial(shares, 1, r)) == bc.ACCEPTED
    assert s.on_partial(partial(shares, 2, r)) == bc.ACCEPTED
    # a different signature for a share already held is forged (BLS signatures are unique)
    assert s.on_partial(BeaconPartial(r, 2, partial(shares, 2, r - 1).signature)) == bc.BAD_SIGNATURE
    assert s.pulses_for_block(0) == [] and s.pulses_combined == 0
    assert s.status()["partialsRejected"] == len(forged) + 1
    # the next round's partials are fine (one ahead is allowed)
    for i in (1, 2, 3):
        s.on_partial(partial(shares, i, r + 1))
    assert [p.round for p in s.pulses_for_block(0)] == [r + 1]


def test_the_partial_message_round_trips_and_is_strict() -> None:
    p = BeaconPartial(7, 2, b"\x02" * 48)
    assert decode_message(encode_message(p)) == p
    from runtime.support.codec import CodecError

    with pytest.raises(CodecError):
        encode_message(BeaconPartial(7, 2, b"\x02" * 47))


def test_a_node_signs_with_its_share_file_and_the_dev_seed(dealt, tmp_path: Path) -> None:
    spec, shares = dealt
    path = tmp_path / "share.json"
    write_share_file(path, 3, shares[2])
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_share_file(path) == (3, shares[2])
    s = service(spec, share_file=path)
    assert s.has_share and s.share_index == 3
    p = s.make_partial(NOW_ROUND)
    assert p == partial(shares, 3, NOW_ROUND)
    asyncio.run(s.tick())  # signs the current round and keeps its own partial
    assert s._partials[NOW_ROUND] == {3: p.signature}
    # the dev and local presets: the share comes from the public seed and the authority key
    preset = local(4).drand
    bob = BeaconService(preset, local(4).authorities, dev_keypair("Bob", ED25519).public)
    assert bob.share_index == 2 and bob.has_share
    assert B.public_key(bob._share) == preset.share_public_keys[1]
    assert not BeaconService(preset, local(4).authorities, dev_keypair("Ferdie", ED25519).public).has_share


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"secret": "01"}', "'index'"),
        ('{"index": 1, "secret": "zz"}', "not valid hex"),
        ('{"index": 1, "secret": "00"}', "not a BLS12-381 scalar"),
        ('{"index": 9, "secret": "05"}', "does not exist"),
        ('{"index": 1, "secret": "05"}', "does not match the chain spec"),
    ],
)
def test_bad_share_files(dealt, tmp_path: Path, content: str | None, match: str) -> None:
    spec, _ = dealt
    path = tmp_path / "share.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BeaconConfigError, match=match):
        service(spec, share_file=path)


def test_a_share_on_a_quicknet_chain_is_refused(dealt, tmp_path: Path) -> None:
    _, shares = dealt
    write_share_file(tmp_path / "s.json", 1, shares[0])
    with pytest.raises(BeaconConfigError, match="quicknet"):
        BeaconService(quicknet(), share_file=tmp_path / "s.json")


def test_the_slow_backend_works_off_the_loop(tmp_path: Path) -> None:
    """py-ecc (~170 ms a verification): a 1-of-1 beacon's tick signs, verifies and combines."""
    import sys

    limit = sys.getrecursionlimit()
    try:
        slow = bls.get_backend("py-ecc")
    except bls.BlsError:
        pytest.skip("py-ecc is not installed")
    finally:  # importing py_ecc raises it to 100000, where a deeply nested JSON request crashes the
        sys.setrecursionlimit(limit)  # interpreter instead of raising RecursionError (tests/node/test_rpc.py)
    secret = 1 + secrets.randbelow(bls.R - 1)
    spec = dataclasses.replace(local_beacon([secret], 1, dev_seed=False), genesis_time=GENESIS)
    write_share_file(tmp_path / "s.json", 1, secret)  # share 1 of a degree-0 polynomial: the secret
    s = BeaconService(spec, clock=clock_at(9), share_file=tmp_path / "s.json", backend=slow)
    asyncio.run(s.tick())
    (pulse,) = s.pulses_for_block(0)
    assert pulse.round == 9 and bls.verify_beacon(spec.public_key, 9, pulse.signature)


# ---------------------------------------------------------------------- drand pulses (quicknet)


def test_quicknet_pulse_file_is_verified(tmp_path: Path) -> None:
    good = QUICKNET_1000
    bad_bit = {**good, "round": 1001, "signature": flipped(good["signature"]), "randomness": None}
    wrong_rand = {**good, "round": 1002, "randomness": "00" * 32}
    other_round = {"round": 1003, "signature": good["signature"]}
    entries = [bad_bit, good, wrong_rand, other_round, "nonsense", {"round": -1, "signature": "00"}]
    path = tmp_path / "pulses.json"
    path.write_text(json.dumps(entries))
    s = BeaconService(quicknet(), pulses_file=path)
    assert s.load_file() == 1
    (p,) = s.pulses_for_block(0)
    assert p.round == 1000 and p.randomness.hex() == good["randomness"] and p.signature.hex() == good["signature"]
    assert s.pulses_refused == 5 and s.status()["lastPulseRound"] == 1000
    # JSON lines work too
    lines = tmp_path / "pulses.jsonl"
    lines.write_text(json.dumps(good) + "\n\n" + json.dumps(bad_bit) + "\n")
    s2 = BeaconService(quicknet(), pulses_file=lines)
    assert s2.load_file() == 1
    # a flipped bit anywhere in the signature: refused
    for bit in (0, 3, 7):
        with pytest.raises(ValueError):
            pulse_from_json({**good, "signature": flipped(good["signature"], bit), "randomness": None},
                            bls.QUICKNET_PUBLIC_KEY)


def test_quicknet_pulse_file_is_re_read_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "pulses.json"
    path.write_text("[]")
    s = BeaconService(quicknet(), pulses_file=path)

    async def main() -> None:
        await s.tick()
        assert s.pulses_for_block(0) == []
        path.write_text(json.dumps([QUICKNET_1000]) + " ")  # another size: seen as changed
        await s.tick()

    asyncio.run(main())
    assert [p.round for p in s.pulses_for_block(0)] == [1000]


def test_unreadable_pulse_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BeaconConfigError, match="cannot read"):
        BeaconService(quicknet(), pulses_file=tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('[{"round": 1}\n{oops')
    with pytest.raises(BeaconConfigError, match="not valid JSON"):
        BeaconService(quicknet(), pulses_file=tmp_path / "bad.json")


def test_quicknet_pulses_over_http_and_errors_are_not_fatal() -> None:
    from aiohttp import web

    answers: dict[str, tuple[int, object]] = {"latest": (200, QUICKNET_1000)}

    async def handle(req: web.Request) -> web.Response:
        status, body = answers.get(req.match_info["what"], (404, {"error": "no such round"}))
        return web.json_response(body, status=status)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/chain/public/{what}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        s = BeaconService(quicknet(), url=f"http://127.0.0.1:{port}/chain/")
        try:
            assert await s.poll_url() == 1
            assert [p.round for p in s.pulses_for_block(0)] == [1000]
            answers["latest"] = (500, {"error": "down"})
            assert await s.poll_url() == 0  # logged, not raised
            answers["latest"] = (200, {**QUICKNET_1000, "round": 1004, "randomness": None})  # does not verify
            assert await s.poll_url() == 0 and s.pulses_refused >= 1
            assert [p.round for p in s.pulses_for_block(0)] == [1000]
        finally:
            await s.close()
            await runner.cleanup()
        nowhere = BeaconService(quicknet(), url=f"http://127.0.0.1:{port}/gone")
        await runner.cleanup()
        assert await nowhere.poll_url() == 0
        await nowhere.close()

    asyncio.run(main())


# ---------------------------------------------------------------------- the author


def _dev_node(**kw) -> Node:
    return Node(NodeConfig(in_memory=True, key_uri="//Alice", block_time_ms=250, **kw))


def test_the_author_includes_pulses_and_a_bad_pulse_never_stops_it() -> None:
    async def main() -> None:
        node = _dev_node()
        b = node.beacon
        assert b.has_share and b.threshold == 1  # dev: a 1-of-1 beacon from the public seed
        cur = b.current_round()
        for r in (cur - 2, cur - 1):
            assert b.on_partial(b.make_partial(r), own=True) == bc.ACCEPTED
        block = await node.author_block(node.current_slot())
        assert block is not None and len(block.extrinsics) == 2  # timestamp, write_pulse
        assert node.last_stored_round() == cur - 1
        pulse = node.runtime.drand.Pulses.get(_state(node), cur - 1)
        assert pulse is not None and bls.verify_beacon(node.spec.drand.public_key, cur - 1, pulse.signature)
        assert b.status()["pendingPulses"] == 0
        # nothing new: no write_pulse
        block = await node.author_block(node.current_slot() + 1)
        assert block is not None and len(block.extrinsics) == 1
        # a pulse that does not verify (another round's signature): the block goes without it
        wrong = b.make_partial(cur - 2).signature
        b.add_pulse(Pulse(cur, bls.randomness_of(wrong), wrong))
        block = await node.author_block(node.current_slot() + 2)
        assert block is not None and len(block.extrinsics) == 1
        assert node.last_stored_round() == cur - 1 and b.pulse(cur) is None  # dropped
        # ... and the next good pulse still lands
        b.on_partial(b.make_partial(cur), own=True)
        block = await node.author_block(node.current_slot() + 3)
        assert block is not None and len(block.extrinsics) == 2 and node.last_stored_round() == cur
        await node.stop()

    asyncio.run(main())


def _state(node: Node):
    from runtime.support.storage import Overlay

    return Overlay(node.db.best_state())


def test_a_block_with_a_bad_pulse_does_not_import() -> None:
    """The pallet refuses the inherent: another node's block carrying a bad pulse is invalid."""
    from node.local import LocalChain
    from runtime.executive import BlockError

    chain = LocalChain()
    sig = bytes.fromhex(QUICKNET_1000["signature"])  # not the dev beacon's
    with pytest.raises(BlockError, match="write_pulse"):
        chain.author(inherents=[chain.pulse_inherent([Pulse(5, bls.randomness_of(sig), sig)])])


def test_drand_status_and_metrics_show_the_beacon() -> None:
    from node.metrics import NodeMetrics
    from node.rpc_api import NodeRpc

    node = _dev_node()
    b = node.beacon
    round_ = b.current_round()  # read once: the clock may pass a round boundary during the test
    b.on_partial(b.make_partial(round_), own=True)
    st = NodeRpc(node).drand_status()
    assert st["hasShare"] and st["shareIndex"] == 1 and st["pendingPulses"] == 1 and st["lastStoredRound"] == 0
    assert st["lastCombinedRound"] == round_
    text = NodeMetrics(node, "test").render().decode()
    assert "taochain_beacon_pulses_combined_total 1.0" in text
    (line,) = [x for x in text.splitlines() if x.startswith("taochain_beacon_last_combined_round ")]
    assert float(line.split()[1]) == round_
    asyncio.run(node.stop())


# ---------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("args", "content", "match"),
    [
        (["--beacon-share"], None, "cannot read"),
        (["--beacon-share"], "{oops", "not valid JSON"),
        (["--beacon-share"], '{"index": 0, "secret": "05"}', "'index'"),
        (["--drand-pulses"], None, "cannot read"),
        (["--drand-pulses"], "[1,\n{oops", "not valid JSON"),
    ],
)
def test_node_flags_with_bad_files_exit_2(tmp_path: Path, args: list[str], content: str | None, match: str) -> None:
    from taochain.cli import app

    path = tmp_path / "f.json"
    if content is not None:
        path.write_text(content)
    res = CliRunner().invoke(app, ["node", "--dev", *args, str(path)])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())  # rich wraps long lines
    assert match in out and "Traceback" not in out


def test_a_share_of_another_chain_exits_2(dealt, tmp_path: Path) -> None:
    from taochain.cli import app

    _, shares = dealt
    write_share_file(tmp_path / "s.json", 1, shares[0])  # not the dev beacon's share
    res = CliRunner().invoke(app, ["node", "--dev", "--no-prometheus", "--rpc-port", "0",
                                   "--beacon-share", str(tmp_path / "s.json")])
    assert res.exit_code == 2, res.output
    assert "does not match the chain spec" in " ".join(res.output.split()) and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["node", "--dev", "--drand-url", "ftp://x"])
    assert res.exit_code == 2 and "--drand-url" in res.output


# ---------------------------------------------------------------------- gossip and the testnet


def test_the_network_relays_valid_partials_once_and_penalises_forged_ones() -> None:
    from types import SimpleNamespace

    from node.network import NetworkService
    from p2p.peers import BAD_MESSAGE, PeerConfig
    from runtime.presets import dev_beacon_coeffs

    async def main() -> None:
        node = Node(NodeConfig(chain="local", in_memory=True, key_uri="//Bob"))  # local preset: 2-of-3, dev seed
        net = NetworkService(node, dev_keypair("Bob", ED25519), PeerConfig("127.0.0.1", 0))
        sent: list[tuple[object, str | None]] = []

        async def broadcast(msg, exclude=None):
            sent.append((msg, exclude))
            return 1

        net.peers.broadcast = broadcast  # type: ignore[method-assign]
        node.beacon.publish = broadcast
        peer = SimpleNamespace(peer_id="12D3KooWpeer")
        r = node.beacon.current_round()
        alice_share = bls.poly_eval(dev_beacon_coeffs(2), 1)
        good = BeaconPartial(r, 1, B.sign(alice_share, bls.round_message(r)))
        assert await net._on_beacon_partial(peer, good) == 0
        assert sent == [(good, "12D3KooWpeer")]  # relayed to the others
        assert await net._on_beacon_partial(peer, good) == 0 and len(sent) == 1  # not twice
        forged = BeaconPartial(r, 3, B.sign(alice_share, bls.round_message(r)))
        assert await net._on_beacon_partial(peer, forged) == BAD_MESSAGE and len(sent) == 1
        await node.beacon.tick()  # Bob signs: 2 of 3, combined; its own partial is published
        assert sent[-1][0] == node.beacon.make_partial(r) and sent[-1][1] is None
        assert [p.round for p in node.beacon.pulses_for_block(0)] == [r]
        assert node.beacon.status()["partialsRejected"] == 1
        await node.stop()

    asyncio.run(main())


def test_taochain_testnet_deals_a_fresh_beacon(tmp_path: Path) -> None:
    from runtime.presets import ChainSpec
    from taochain.testnet import node_command, plan_testnet, write_beacon_share

    spec, plans = plan_testnet(4, tmp_path, beacon_period=2)
    d = spec.drand
    assert d.beacon == "local" and not d.dev_seed and d.threshold == 3 and d.period == 2
    assert abs(d.genesis_time - __import__("time").time()) < 60
    assert d.public_key != local(4).drand.public_key  # not the public dev beacon
    assert ChainSpec.from_json(json.loads(spec.dumps())) == spec
    _, again = plan_testnet(4, tmp_path / "x")
    assert again[0].beacon_secret != plans[0].beacon_secret  # fresh every time
    for i, p in enumerate(plans):
        assert p.beacon_index == i + 1 and B.public_key(p.beacon_secret) == d.share_public_keys[i]
        assert str(p.beacon_secret) not in repr(p)
        write_beacon_share(p)
        assert p.beacon_share_path.stat().st_mode & 0o777 == 0o600
        assert load_share_file(p.beacon_share_path) == (i + 1, p.beacon_secret)
        argv = node_command(p, tmp_path / "spec.json")
        assert argv[argv.index("--beacon-share") + 1] == str(p.beacon_share_path)
    # any 3 shares make the group's signature
    sigs = {p.beacon_index: B.sign(p.beacon_secret, bls.round_message(7)) for p in plans[1:]}
    assert bls.verify_beacon(d.public_key, 7, bls.combine_partials(sigs))
    assert plan_testnet(4, tmp_path, beacon_threshold=4)[0].drand.threshold == 4
    with pytest.raises(ValueError, match="beacon_threshold"):
        plan_testnet(4, tmp_path, beacon_threshold=5)
    with pytest.raises(ValueError, match="beacon_period"):
        plan_testnet(4, tmp_path, beacon_period=0)


def test_testnet_config_beacon_settings() -> None:
    from taochain.testnet import parse_config

    nodes = [{"name": "alice"}, {"name": "bob"}, {"name": "charlie"}]
    cfg = parse_config({"settings": {"beacon_period": 2, "beacon_threshold": 3}, "nodes": nodes})
    assert cfg.beacon_period == 2 and cfg.beacon_threshold == 3
    with pytest.raises(ValueError, match="beacon_threshold"):
        parse_config({"settings": {"beacon_threshold": 4}, "nodes": nodes})
    with pytest.raises(ValueError, match="beacon_period"):
        parse_config({"settings": {"beacon_period": 0}, "nodes": nodes})
