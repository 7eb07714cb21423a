"""Bad RPC inputs against a running node (hardening issue #13, items 2 and 7): every one gets a clear
error (no traceback, no -32603) and the node keeps serving and authoring.

One in-process node (in-memory database, 250 ms blocks) for the module; raw JSON-RPC over HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from devnode import BackgroundNode

from node.rpc_api import MAX_KEYS_PAGE, MAX_LIST_PARAM
from node.run import RunConfig, RunningNode
from node.service import NodeConfig
from taochain.proc import rpc_post, rpc_request


@pytest.fixture(scope="module")
def node() -> Iterator[BackgroundNode]:
    n = BackgroundNode()
    try:
        yield n
    finally:
        n.stop()


def post(url: str, body: str) -> Any:
    return rpc_post(url, body, 20)


def rpc(url: str, method: str, *params: Any) -> dict[str, Any]:
    """The whole answer (result or error) to one request."""
    return rpc_post(url, rpc_request(method, params), 20)


def error(resp: dict[str, Any]) -> tuple[int, str, Any]:
    assert "error" in resp, resp
    e = resp["error"]
    return e["code"], e["message"], e.get("data")


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The test's requests log no traceback and no error."""
    with caplog.at_level(logging.INFO):
        yield
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


def test_block_hash_of_900_nested_arrays_is_a_clean_error(node: BackgroundNode, quiet: None) -> None:
    body = '{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":[' + "[" * 900 + "]" * 900 + "]}"
    code, message, _ = error(post(node.url, body))
    assert (code, message) == (-32700, "Parse error")
    for nested in ([[1]], [[0, 1], 2], [{"n": 1}]):  # under the depth limit: a flat list is required
        code, message, data = error(rpc(node.url, "chain_getBlockHash", nested))
        assert (code, message) == (-32602, "Invalid params") and "block number" in data, nested
    assert rpc(node.url, "chain_getBlockHash", 0)["result"].startswith("0x")


def test_block_hash_lists_are_bounded(node: BackgroundNode, quiet: None) -> None:
    code, message, data = error(rpc(node.url, "chain_getBlockHash", list(range(MAX_LIST_PARAM + 1))))
    assert (code, message) == (-32602, "Invalid params") and str(MAX_LIST_PARAM) in data
    hashes = rpc(node.url, "chain_getBlockHash", list(range(200)))["result"]  # served off the loop
    assert len(hashes) == 200 and hashes[0] == rpc(node.url, "chain_getBlockHash", 0)["result"]
    assert hashes[-1] is None  # not authored yet
    assert rpc(node.url, "chain_getBlockHash", ["0x0", 2**70])["result"] == [hashes[0], None]
    for bad in (-1, "0x", "0xzz", "0x" + "f" * 65, 1.5, True):
        code, message, _ = error(rpc(node.url, "chain_getBlockHash", bad))
        assert (code, message) == (-32602, "Invalid params"), bad


def test_drand_pulse_round_beyond_u64_is_invalid_params(node: BackgroundNode, quiet: None) -> None:
    code, message, data = error(rpc(node.url, "drand_getPulse", 2**64))
    assert (code, message) == (-32602, "Invalid params") and "u64" in data and "`round`" in data
    assert rpc(node.url, "drand_getPulse", 2**64 - 1)["result"] is None


def test_keys_paged_count_zero_and_the_1000_bound(node: BackgroundNode, quiet: None) -> None:
    assert rpc(node.url, "state_getKeysPaged", "0x", 0)["result"] == []
    assert len(rpc(node.url, "state_getKeysPaged", "0x", 1)["result"]) == 1
    assert len(rpc(node.url, "state_getKeysPaged", "0x", 3)["result"]) == 3
    code, message, data = error(rpc(node.url, "state_getKeysPaged", "0x", MAX_KEYS_PAGE + 1))
    assert (code, message) == (-32602, "Invalid params") and str(MAX_KEYS_PAGE) in data


def test_runtime_version_and_metadata_refuse_an_unknown_block(node: BackgroundNode, quiet: None) -> None:
    unknown = "0x" + "ab" * 32
    # the node's answer for an unknown `at` elsewhere
    expected = error(rpc(node.url, "state_getStorage", "0x00", unknown))
    assert expected[:2] == (4003, "Unknown block")
    genesis = rpc(node.url, "chain_getBlockHash", 0)["result"]
    for method in ("state_getRuntimeVersion", "chain_getRuntimeVersion", "state_getMetadata"):
        assert error(rpc(node.url, method, unknown)) == expected, method
        assert "result" in rpc(node.url, method, genesis), method
        assert "result" in rpc(node.url, method), method
    assert rpc(node.url, "chain_getRuntimeVersion")["result"] == rpc(node.url, "state_getRuntimeVersion")["result"]
    assert error(rpc(node.url, "state_getKeysPaged", "0x", 0, None, unknown)) == expected


def test_unsafe_methods_on_an_external_address_print_substrates_warning(caplog: pytest.LogCaptureFixture) -> None:
    from node.rpc import UNSAFE_EXTERNAL_WARNING

    def construct(host: str, methods: str) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="taochain"):
            RunningNode(RunConfig(node=NodeConfig(chain="dev", in_memory=True), rpc_host=host, rpc_methods=methods))
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    assert UNSAFE_EXTERNAL_WARNING in construct("0.0.0.0", "unsafe")
    assert "isn't safe to expose RPC publicly" in UNSAFE_EXTERNAL_WARNING
    assert UNSAFE_EXTERNAL_WARNING not in construct("0.0.0.0", "auto")  # auto is safe when external
    assert UNSAFE_EXTERNAL_WARNING not in construct("127.0.0.1", "unsafe")


def test_node_command_rpc_defaults_and_flags(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from devnode import cli_runner

    import node.run
    from node.rpc import DEFAULT_CORS
    from taochain.cli import app

    seen: list[RunConfig] = []

    async def fake_serve(cfg: RunConfig) -> None:
        seen.append(cfg)

    monkeypatch.setattr(node.run, "serve", fake_serve)
    run = cli_runner(app)
    run("node", "--chain", "dev", "--alice", "--tmp")
    cfg = seen[-1]
    assert cfg.rpc_cors == DEFAULT_CORS == (
        "http://localhost:*", "http://127.0.0.1:*", "https://localhost:*", "https://127.0.0.1:*",
        "https://polkadot.js.org",
    )
    lim = cfg.rpc_limits
    assert (lim.max_body_bytes, lim.max_response_bytes) == (10 * 1024 * 1024, 10 * 1024 * 1024)
    assert (lim.max_connections, lim.max_subscriptions_per_connection, lim.rate_limit_per_minute) == (100, 1024, None)
    with caplog.at_level(logging.WARNING, logger="taochain"):
        run("node", "--dev")
    assert seen[-1].rpc_cors == ("all",)
    assert "Running in --dev mode, RPC CORS has been disabled." in caplog.messages
    run("node", "--dev", "--rpc-cors", "none")
    assert seen[-1].rpc_cors == ()
    run("node", "--dev", "--rpc-cors", "http://a.example, https://b.example:*")
    assert seen[-1].rpc_cors == ("http://a.example", "https://b.example:*")
    run("node", "--dev", "--rpc-max-request-size", "2", "--rpc-max-response-size", "3", "--rpc-max-connections", "5",
        "--rpc-max-subscriptions-per-connection", "7", "--rpc-rate-limit", "60", "--rpc-idle-timeout", "0")
    lim = seen[-1].rpc_limits
    assert (lim.max_body_bytes, lim.max_response_bytes, lim.max_connections) == (2 << 20, 3 << 20, 5)
    assert (lim.max_subscriptions_per_connection, lim.rate_limit_per_minute, lim.idle_timeout) == (7, 60, None)
    for flag in ("--rpc-max-request-size", "--rpc-max-response-size", "--rpc-max-connections", "--rpc-rate-limit"):
        assert f"{flag} must be at least 1" in run("node", "--dev", flag, "0", code=2)


def test_read_proof_key_lists_are_bounded(node: BackgroundNode, quiet: None) -> None:
    keys = rpc(node.url, "state_getKeysPaged", "0x", 100)["result"]
    code, message, data = error(rpc(node.url, "state_getReadProof", ["0x00"] * (MAX_LIST_PARAM + 1)))
    assert (code, message) == (-32602, "Invalid params") and str(MAX_LIST_PARAM) in data
    few = rpc(node.url, "state_getReadProof", keys[:3])["result"]
    many = rpc(node.url, "state_getReadProof", keys * 2)["result"]  # 200 keys: proved off the loop
    assert few["proof"][0] == many["proof"][0] and set(few["proof"]) <= set(many["proof"])


HOSTILE = [None, 0, -1, 2**64, 2**300, 1.5, True, "", "0x", "0xzz", "0x" + "00" * 32, "0x" + "ff" * 33, "x" * 1000,
           [], [1], [[[]]], {}, {"a": 1}, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"]


def test_every_method_answers_hostile_params_with_a_clear_error(node: BackgroundNode, quiet: None) -> None:
    """Each method, each of its first three positions given each hostile value: an answer or an error
    that is not -32603, and nothing logged at ERROR (the `quiet` fixture)."""
    methods = rpc(node.url, "rpc_methods")["result"]["methods"]
    plain = [m for m in methods if not any(w in m for w in ("subscribe", "Subscribe", "unwatch", "AndWatch"))]
    assert "chain_getBlockHash" in plain and "drand_getPulse" in plain
    for m in plain:
        batch = []
        for pos in range(3):
            for v in HOSTILE:
                params = [None] * pos + [v]
                batch.append({"jsonrpc": "2.0", "id": len(batch), "method": m, "params": params})
        answers = post(node.url, json.dumps(batch))
        assert len(answers) == len(batch), m
        internal = [batch[a["id"]]["params"] for a in answers if a.get("error", {}).get("code") == -32603]
        assert not internal, (m, internal)
