"""`taochain testnet`: planning, TOML configs, and a real 2-node launch through the CLI."""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.presets import ChainSpec, local
from runtime.support.hashing import blake2_256
from runtime.support.keys import ED25519, b58decode, keypair_from_seed, keypair_from_uri
from taochain.cli import node_cli_flags
from taochain.proc import port_is_free
from taochain.testnet import (
    NodeConfig,
    TestnetConfig,
    load_config,
    node_command,
    peer_id_of,
    plan_from_config,
    plan_testnet,
)

ROOT = Path(__file__).resolve().parents[1]


# --- planning ------------------------------------------------------------------------------------


def test_plan_ports_names_and_paths(tmp_path: Path) -> None:
    spec, plans = plan_testnet(4, tmp_path, rpc_port_base=20000, p2p_port_base=21000, prometheus_port_base=22000)
    assert [p.name for p in plans] == ["Alice", "Bob", "Charlie", "Dave"]
    assert [p.key_uri for p in plans] == ["//Alice", "//Bob", "//Charlie", "//Dave"]
    assert [p.rpc_port for p in plans] == [20000, 20001, 20002, 20003]
    assert [p.p2p_port for p in plans] == [21000, 21001, 21002, 21003]
    assert [p.prometheus_port for p in plans] == [22000, 22001, 22002, 22003]
    assert plans[1].base_path == tmp_path / "bob"
    assert plans[1].log_path == tmp_path / "Bob.log"
    assert spec.authorities == local(4).authorities
    assert spec.slot_duration_ms == 1000
    assert [keypair_from_uri(p.key_uri, ED25519).public for p in plans] == list(spec.authorities)
    assert ChainSpec.from_json(json.loads(spec.dumps())) == spec


def test_plan_beyond_the_dev_accounts(tmp_path: Path) -> None:
    spec, plans = plan_testnet(8, tmp_path, block_time_ms=500)
    assert [p.name for p in plans][5:] == ["Ferdie", "Node6", "Node7"]
    assert spec.authorities == local(8).authorities
    assert spec.slot_duration_ms == 500


def test_node_keys_and_peer_ids_are_distinct_and_deterministic(tmp_path: Path) -> None:
    _, a = plan_testnet(6, tmp_path)
    _, b = plan_testnet(6, tmp_path / "elsewhere", rpc_port_base=1000)
    assert [p.node_key_seed for p in a] == [p.node_key_seed for p in b]
    assert [p.peer_id for p in a] == [p.peer_id for p in b]
    assert len({p.node_key_seed for p in a}) == 6 and len({p.peer_id for p in a}) == 6
    for p in a:
        assert p.node_key_seed == blake2_256(b"taochain-testnet-node-key" + p.name.encode())
        assert len(p.node_key_seed) == 32
        public = keypair_from_seed(p.node_key_seed, ED25519).public
        assert p.peer_id == peer_id_of(public)
        assert p.peer_id.startswith("12D3KooW")
        assert b58decode(p.peer_id) == bytes([0, 0x24, 8, 1, 0x12, 0x20]) + public


def test_every_node_bootnodes_to_the_others(tmp_path: Path) -> None:
    _, plans = plan_testnet(3, tmp_path, p2p_port_base=40000)
    for p in plans:
        assert p.multiaddr == f"/ip4/127.0.0.1/tcp/{p.p2p_port}/p2p/{p.peer_id}"
        assert set(p.bootnodes) == {q.multiaddr for q in plans if q is not p}
    assert plan_testnet(1, tmp_path)[1][0].bootnodes == ()


def test_plan_rejects_bad_sizes_and_colliding_ports(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nodes"):
        plan_testnet(0, tmp_path)
    with pytest.raises(ValueError, match="nodes"):
        plan_testnet(33, tmp_path)
    with pytest.raises(ValueError, match="block_time_ms"):
        plan_testnet(2, tmp_path, block_time_ms=100)
    with pytest.raises(ValueError, match="9945"):
        plan_testnet(3, tmp_path, rpc_port_base=9944, p2p_port_base=9945)
    with pytest.raises(ValueError, match="rpc_port_base"):
        plan_testnet(3, tmp_path, rpc_port_base=65534)


def test_node_command_passes_network_flags_only_when_known(tmp_path: Path) -> None:
    _, plans = plan_testnet(2, tmp_path, rpc_port_base=20000, p2p_port_base=21000, prometheus_port_base=22000)
    spec_path = tmp_path / "chain-spec.json"
    argv = node_command(plans[0], spec_path)
    assert argv[:4] == [sys.executable, "-m", "taochain.cli", "node"]
    opts = dict(zip(argv[4::2], argv[5::2], strict=False))
    assert opts["--chain"] == str(spec_path) and opts["--key-uri"] == "//Alice" and opts["--name"] == "Alice"
    assert opts["--rpc-port"] == "20000" and opts["--prometheus-port"] == "22000" and opts["--port"] == "21000"
    assert opts["--node-key-file"] == str(plans[0].node_key_path)  # by file (0600), never the secret itself
    assert "--node-key" not in opts and not any(plans[0].node_key_hex in a for a in argv)
    assert opts["--bootnodes"] == plans[1].multiaddr
    old = node_command(plans[0], spec_path, frozenset({"--chain", "--rpc-port"}))
    assert not {"--port", "--node-key-file", "--bootnodes"} & set(old)
    # every flag the testnet always passes is one `taochain node` knows
    known = node_cli_flags()
    assert {"--chain", "--name", "--key-uri", "--base-path", "--rpc-port", "--prometheus-port"} <= known
    assert {"--port", "--bootnodes", "--node-key-file", "--listen-host", "--beacon-share"} <= known


def test_node_key_file_is_written_0600(tmp_path: Path) -> None:
    from taochain.testnet import write_node_key

    _, plans = plan_testnet(1, tmp_path)
    plans[0].base_path.mkdir(parents=True)
    plans[0].node_key_path.write_text("old")
    plans[0].node_key_path.chmod(0o644)
    write_node_key(plans[0])
    assert plans[0].node_key_path.stat().st_mode & 0o777 == 0o600
    assert plans[0].node_key_path.read_text().strip() == plans[0].node_key_hex
    assert plans[0].to_json()["node_key_file"] == str(plans[0].node_key_path)


def test_busy_ports_message_names_the_command_that_shows_the_holder() -> None:
    from taochain.proc import busy_ports_message

    one = busy_ports_message([(9944, "Alice's rpc port")], "stop it")
    assert one == ("port 9944 (Alice's rpc port) is in use; see what holds it: `ss -ltnp 'sport = :9944'` "
                   "(or `lsof -i :9944`); stop it")
    two = busy_ports_message([(9615, "Alice's prometheus port"), (9616, "Bob's prometheus port")], "stop it")
    assert two.startswith("ports 9615 (Alice's prometheus port), 9616 (Bob's prometheus port) are in use")
    assert "`ss -ltnp '( sport = :9615 or sport = :9616 )'` (or `lsof -i :9615 -i :9616`)" in two


# --- config files --------------------------------------------------------------------------------

GOOD = """
[settings]
block_time_ms = 500
rpc_port_base = 19944
p2p_port_base = 31333

[[nodes]]
name = "alice"
key_uri = "//Alice"

[[nodes]]
name = "bob"
rpc_port = 18000
p2p_port = 18001

[[nodes]]
name = "validator-x"
key_uri = "//Xavier"
"""


def test_load_config_good(tmp_path: Path) -> None:
    path = tmp_path / "net.toml"
    path.write_text(GOOD)
    cfg = load_config(path)
    assert cfg == TestnetConfig(
        nodes=(NodeConfig("alice", "//Alice"), NodeConfig("bob", "//Bob", rpc_port=18000, p2p_port=18001),
               NodeConfig("validator-x", "//Xavier")),
        block_time_ms=500, rpc_port_base=19944, p2p_port_base=31333,
    )
    spec, plans = plan_from_config(cfg, tmp_path / "net")
    assert [p.rpc_port for p in plans] == [19944, 18000, 19946]
    assert [p.p2p_port for p in plans] == [31333, 18001, 31335]
    assert [p.prometheus_port for p in plans] == [9615, 9616, 9617]
    assert spec.authorities == tuple(keypair_from_uri(u, ED25519).public for u in ("//Alice", "//Bob", "//Xavier"))
    assert spec.slot_duration_ms == 500
    assert plans[2].base_path == tmp_path / "net" / "validator-x"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[settings]\nblock_time_ms = 500\n", "nodes"),
        ("[settings]\nblock_time_ms = 'fast'\n[[nodes]]\nname='a'\n", "settings.block_time_ms"),
        ("[settings]\nblock_time_ms = 100\n[[nodes]]\nname='a'\n", "settings.block_time_ms"),
        ("[settings]\nrpc_port_bse = 1\n[[nodes]]\nname='a'\n", "settings.rpc_port_bse"),
        ("[settings]\np2p_port_base = 70000\n[[nodes]]\nname='a'\n", "settings.p2p_port_base"),
        ("[[nodes]]\nkey_uri='//Alice'\n", "nodes[0].name"),
        ("[[nodes]]\nname='alice'\n[[nodes]]\nname='Alice'\n", "nodes[1].name"),
        ("[[nodes]]\nname='alice'\nkey_uri='//Alice/soft'\n", "nodes[0].key_uri"),
        ("[[nodes]]\nname='alice'\nkey_uri=7\n", "nodes[0].key_uri"),
        ("[[nodes]]\nname='alice'\nrpc_port='x'\n", "nodes[0].rpc_port"),
        ("[[nodes]]\nname='alice'\nrpc_port=0\n", "nodes[0].rpc_port"),
        ("[[nodes]]\nname='alice'\ncolour='red'\n", "nodes[0].colour"),
        ("[network]\nx=1\n[[nodes]]\nname='a'\n", "network"),
        ("nodes = 3\n", "nodes"),
        ("[[nodes]]\nname = \n", "not valid TOML"),
    ],
)
def test_load_config_bad(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "net.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_config(path)
    assert field in str(info.value) and str(path) in str(info.value)


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


# --- a real launch -------------------------------------------------------------------------------

TESTNET_RUNNER = (
    "import sys\n"
    "from taochain.cli import app\n"
    "from taochain.testnet_cli import register\n"
    "register(app)  # a no-op once cli.py registers the command itself\n"
    "app(sys.argv[1:], prog_name='taochain')\n"
)


def free_port_bases(n: int, count: int = 3) -> list[int]:
    """`count` bases, each with `n` consecutive free ports, none overlapping."""
    rng = random.Random()
    bases: list[int] = []
    while len(bases) < count:
        base = rng.randrange(20000, 60000 - n)
        if any(abs(base - b) < n for b in bases):
            continue
        if all(port_is_free(base + i) for i in range(n)):
            bases.append(base)
    return bases


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/status").exists() and "zombie" in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.integration
def test_launch_two_nodes_through_the_cli(tmp_path: Path) -> None:
    if "--bootnodes" in node_cli_flags():  # networking is wired into the node: is all of it there yet?
        try:
            for module in ("p2p.transport", "node.network"):
                importlib.import_module(module)
        except ImportError as exc:
            pytest.skip(f"`taochain node` takes the network flags but its networking is incomplete: {exc}")
    rpc, p2p, prom = free_port_bases(2)
    base_dir = tmp_path / "net"
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", TESTNET_RUNNER, "testnet", "--nodes", "2", "--duration", "6", "--json",
         "--block-time-ms", "500", "--rpc-port-base", str(rpc), "--p2p-port-base", str(p2p),
         "--prometheus-port-base", str(prom), "--base-dir", str(base_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    elapsed = time.monotonic() - t0
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    plan = next(e for e in events if e["event"] == "plan")
    assert [n["name"] for n in plan["nodes"]] == ["Alice", "Bob"]
    assert [n["rpc_port"] for n in plan["nodes"]] == [rpc, rpc + 1]
    assert plan["base_dir"] == str(base_dir)
    pids = [n["pid"] for n in plan["nodes"]]
    best: dict[str, int] = {}
    for e in events:
        if e["event"] == "status":
            for n in e["nodes"]:
                if n["best"] is not None:
                    best[n["name"]] = max(best.get(n["name"], 0), n["best"])
    assert best.get("Alice", 0) > 0 and best.get("Bob", 0) > 0, events
    assert not [e for e in events if e["event"] == "exited"]
    stopped = events[-1]
    assert stopped["event"] == "stopped" and stopped["failed"] == []
    assert stopped["returncodes"] == {"Alice": 0, "Bob": 0}  # stopped by SIGINT, not killed
    assert all(_pid_gone(pid) for pid in pids)
    assert not base_dir.exists()
    assert elapsed < 30


@pytest.mark.integration
def test_a_node_that_exits_early_is_reported_with_its_log(tmp_path: Path) -> None:
    import dataclasses

    from taochain.testnet import Testnet

    rpc, p2p, prom = free_port_bases(1)
    spec, plans = plan_testnet(1, tmp_path / "net", rpc_port_base=rpc, p2p_port_base=p2p, prometheus_port_base=prom)
    broken = [dataclasses.replace(plans[0], key_uri="//Alice/soft")]  # the node refuses this key
    net = Testnet(spec, broken, tmp_path / "net", node_flags=node_cli_flags())
    net.start()
    try:
        deadline = time.monotonic() + 20
        exits = []
        while not exits and time.monotonic() < deadline:
            exits = net.check_exits()
            time.sleep(0.1)
        assert [e.name for e in exits] == ["Alice"]
        assert exits[0].returncode != 0 and exits[0].log_tail.strip()
        assert [s.state for s in net.status()] == ["exited"]
        assert net.check_exits() == []  # reported once
    finally:
        net.stop()
    assert not (tmp_path / "net").exists()
