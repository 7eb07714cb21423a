"""JSON-RPC server framework (node/rpc.py) against a real server on 127.0.0.1, port 0.

Every test runs its own event loop (`asyncio.run`) and talks to the server with aiohttp's client over
HTTP POST and WebSocket: example methods, every error case (and the server still answering after each),
batches, notifications, subscriptions (ordering, unsubscribe, limits, cancel on disconnect), method
policy, CORS and the size / connection limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from node.rpc import (
    Param,
    RpcError,
    RpcLimits,
    RpcMethods,
    RpcServer,
    is_int,
    is_str,
    is_uint,
)

TIMEOUT = 3.0


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


class Ticks:
    """A subscription source emitting `count` ticks (0, 1, 2...) from a task; records cancels."""

    def __init__(self) -> None:
        self.cancelled: list[int] = []
        self.started = 0

    def start(self, params: tuple[Any, ...], emit: Callable[[Any], bool]) -> Callable[[], None]:
        (count,) = params
        count = 3 if count is None else count
        self.started += 1
        n = self.started

        async def tick() -> None:
            for i in range(count):
                await asyncio.sleep(0.005)
                emit({"tick": i})

        task = asyncio.get_running_loop().create_task(tick())

        def cancel() -> None:
            task.cancel()
            self.cancelled.append(n)

        return cancel


def make_methods(ticks: Ticks | None = None) -> RpcMethods:
    m = RpcMethods()
    m.register("system_name", lambda: "taochain")
    m.register("echo_add", lambda a, b: a + b, params=[("a", is_int), ("b", is_int)])

    async def greet(name: str, punct: str | None) -> str:
        await asyncio.sleep(0)
        return f"hello {name}{punct or '!'}"

    m.register("echo_greet", greet, params=[("name", is_str), Param("punct", str, optional=True)])

    def bad_tx(_xt: str) -> None:
        raise RpcError(1010, "Invalid Transaction", "Transaction is outdated")

    m.register("author_submitExtrinsic", bad_tx, params=[("extrinsic", is_str)])

    def boom() -> None:
        raise ValueError("kaboom")

    m.register("test_boom", boom)
    m.register("test_notJson", lambda: object())
    m.register("author_rotateKeys", lambda: "0xkeys", unsafe=True)
    ticks = ticks or Ticks()
    m.register_subscription(
        "test_subscribeTicks",
        "test_tick",
        "test_unsubscribeTicks",
        ticks.start,
        params=[("count", is_uint, True)],
    )

    def start_now(_params: tuple[Any, ...], emit: Callable[[Any], bool]) -> None:
        emit("first")  # before the subscribe call has been answered
        threading.Thread(target=emit, args=("from a thread",)).start()
        return None

    m.register_subscription("test_subscribeNow", "test_now", "test_unsubscribeNow", start_now)
    return m


@contextlib.asynccontextmanager
async def served(
    methods: RpcMethods | None = None, **kw: Any
) -> AsyncIterator[tuple[RpcServer, aiohttp.ClientSession]]:
    kw.setdefault("methods_policy", "unsafe")
    server = RpcServer("127.0.0.1", 0, methods if methods is not None else make_methods(), **kw)
    await server.start()
    assert server.port != 0
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
            yield server, session
    finally:
        await server.stop()


async def post(session: aiohttp.ClientSession, server: RpcServer, body: Any, raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    async with session.post(server.url, data=data, headers={"Content-Type": "application/json"}) as r:
        assert r.status == 200, r.status
        return await r.json()


async def call(session: aiohttp.ClientSession, server: RpcServer, method: str, params: Any = None) -> Any:
    req: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        req["params"] = params
    return await post(session, server, req)


async def still_serving(session: aiohttp.ClientSession, server: RpcServer) -> None:
    assert await call(session, server, "system_name") == {"jsonrpc": "2.0", "result": "taochain", "id": 1}


def error_of(resp: dict[str, Any]) -> tuple[int, str]:
    assert "result" not in resp, resp
    return resp["error"]["code"], resp["error"]["message"]


# ------------------------------------------------------------------------------------------------


def test_http_methods_positional_and_named() -> None:
    async def main() -> None:
        async with served() as (server, s):
            await still_serving(s, server)
            assert (await call(s, server, "echo_add", [2, 40]))["result"] == 42
            assert (await call(s, server, "echo_add", {"b": 1, "a": 2}))["result"] == 3
            assert (await call(s, server, "echo_greet", ["bob"]))["result"] == "hello bob!"
            assert (await call(s, server, "echo_greet", ["bob", None]))["result"] == "hello bob!"
            assert (await call(s, server, "echo_greet", {"name": "al", "punct": "?"}))[
                "result"
            ] == "hello al?"
            # ids: string, number, null are echoed back
            for rid in ("abc", 7, None):
                r = await post(s, server, {"jsonrpc": "2.0", "id": rid, "method": "system_name"})
                assert r == {"jsonrpc": "2.0", "result": "taochain", "id": rid}
            methods = (await call(s, server, "rpc_methods"))["result"]["methods"]
            assert methods == sorted(methods)
            assert {
                "system_name",
                "echo_add",
                "rpc_methods",
                "test_subscribeTicks",
                "test_unsubscribeTicks",
            } <= set(methods)
            assert "author_rotateKeys" in methods  # unsafe policy

    run(main())


def test_errors_each_answered_and_server_keeps_serving(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with served() as (server, s):
            r = await post(s, server, '{"jsonrpc": "2.0", "method": "system_name", "id": 1', raw=True)
            assert error_of(r) == (-32700, "Parse error") and r["id"] is None
            await still_serving(s, server)
            for raw in (
                b"\xff\xfe",
                b'{"jsonrpc": "2.0", "id": NaN, "method": "system_name"}',
                b"[" * 100_000,
            ):
                r = await post(s, server, raw, raw=True)
                assert error_of(r) == (-32700, "Parse error"), raw[:20]
            for bad in (5, "x", None, True):
                r = await post(s, server, bad)
                assert error_of(r) == (-32600, "Invalid Request"), bad
            for bad in (
                {"id": 1, "method": "system_name"},  # no jsonrpc
                {"jsonrpc": "1.0", "id": 1, "method": "system_name"},
                {"jsonrpc": "2.0", "id": 1},  # no method
                {"jsonrpc": "2.0", "id": 1, "method": 5},
                {"jsonrpc": "2.0", "id": [1], "method": "system_name"},
            ):
                r = await post(s, server, bad)
                assert error_of(r) == (-32600, "Invalid Request"), bad
            await still_serving(s, server)
            r = await call(s, server, "no_suchMethod")
            assert error_of(r) == (-32601, "Method not found") and r["id"] == 1
            await still_serving(s, server)
            cases = [
                (["x", 1], "`a`"),
                ([1, "y"], "`b`"),
                ([True, 1], "`a`"),  # a bool is not an int
                ([1], "`b`"),  # missing
                ([1, 2, 3], "at most 2"),
                ({"a": 1, "c": 2}, "`c`"),
                ({"a": 1}, "`b`"),
                ("notalist", "array or an object"),
            ]
            for params, named in cases:
                r = await call(s, server, "echo_add", params)
                assert error_of(r) == (-32602, "Invalid params"), params
                assert named in r["error"]["data"], (params, r)
            r = await call(s, server, "system_name", [1])
            assert error_of(r) == (-32602, "Invalid params")
            await still_serving(s, server)
            r = await call(s, server, "author_submitExtrinsic", ["0x00"])
            assert r["error"] == {
                "code": 1010,
                "message": "Invalid Transaction",
                "data": "Transaction is outdated",
            }
            with caplog.at_level(logging.ERROR, logger="taochain.rpc"):
                r = await call(s, server, "test_boom")
                assert error_of(r) == (-32603, "Internal error")
                assert any("test_boom" in rec.getMessage() and rec.exc_info for rec in caplog.records)
                r = await call(s, server, "test_notJson")
                assert error_of(r) == (-32603, "Internal error")
            await still_serving(s, server)
            async with s.get(server.url) as resp:
                assert resp.status == 405
            await still_serving(s, server)

    run(main())


def test_notifications_get_no_response() -> None:
    async def main() -> None:
        async with served() as (server, s):
            for body in (
                {"jsonrpc": "2.0", "method": "echo_add", "params": [1, 2]},
                {"jsonrpc": "2.0", "method": "no_such"},  # errors of notifications are silent too
                {"jsonrpc": "2.0", "method": "test_boom"},
                [{"jsonrpc": "2.0", "method": "system_name"}, {"jsonrpc": "2.0", "method": "echo_add"}],
            ):
                async with s.post(server.url, json=body) as r:
                    assert r.status == 204
                    assert await r.read() == b""
            await still_serving(s, server)

    run(main())


def test_batches() -> None:
    async def main() -> None:
        async with served(limits=RpcLimits(max_batch=5)) as (server, s):
            batch = [
                {"jsonrpc": "2.0", "id": 1, "method": "system_name"},
                {"jsonrpc": "2.0", "method": "system_name"},  # notification: no entry
                {"jsonrpc": "2.0", "id": "b", "method": "echo_add", "params": [1, 2]},
                {"jsonrpc": "2.0", "id": 3, "method": "nope"},
                7,
            ]
            r = await post(s, server, batch)
            assert isinstance(r, list) and len(r) == 4
            assert r[0] == {"jsonrpc": "2.0", "result": "taochain", "id": 1}
            assert r[1] == {"jsonrpc": "2.0", "result": 3, "id": "b"}
            assert error_of(r[2])[0] == -32601 and r[2]["id"] == 3
            assert error_of(r[3])[0] == -32600 and r[3]["id"] is None
            r = await post(s, server, [])
            assert isinstance(r, dict) and error_of(r) == (-32600, "Invalid Request")
            r = await post(
                s, server, [{"jsonrpc": "2.0", "id": i, "method": "system_name"} for i in range(6)]
            )
            assert isinstance(r, dict) and error_of(r) == (-32600, "Invalid Request")
            assert "limit of 5" in r["error"]["data"]
            r = await post(
                s, server, [{"jsonrpc": "2.0", "id": i, "method": "system_name"} for i in range(5)]
            )
            assert [x["id"] for x in r] == list(range(5))
            await still_serving(s, server)

    run(main())


def test_body_size_limit_http_and_ws() -> None:
    async def main() -> None:
        async with served(limits=RpcLimits(max_body_bytes=1024)) as (server, s):
            big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "echo_greet", "params": ["x" * 2000]})
            async with s.post(server.url, data=big) as r:
                assert r.status == 413
                body = await r.json(content_type=None)
                assert error_of(body) == (-32600, "Invalid Request") and "1024" in body["error"]["data"]

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: caught while reading
                for _ in range(4):
                    yield b" " * 500
                yield b'{"jsonrpc": "2.0", "id": 1, "method": "system_name"}'

            async with s.post(server.url, data=chunks()) as r:
                assert r.status == 413
            await still_serving(s, server)
            async with s.ws_connect(server.ws_url) as ws:
                await ws.send_str(big)
                msg = await ws.receive(timeout=TIMEOUT)
                assert msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                )
                assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            await still_serving(s, server)

    run(main())


async def ws_call(ws: aiohttp.ClientWebSocketResponse, rid: int, method: str, params: Any = None) -> Any:
    req: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        req["params"] = params
    await ws.send_str(json.dumps(req))
    return await ws.receive_json(timeout=TIMEOUT)


def test_ws_requests_and_subscription() -> None:
    ticks = Ticks()

    async def main() -> None:
        async with served(make_methods(ticks)) as (server, s):
            async with s.ws_connect(server.ws_url) as ws:
                assert (await ws_call(ws, 1, "system_name"))["result"] == "taochain"
                assert (await ws_call(ws, 2, "echo_add", [20, 22]))["result"] == 42
                assert error_of(await ws_call(ws, 3, "echo_add", ["a", 1]))[0] == -32602
                await ws.send_str("{not json")
                assert error_of(await ws.receive_json(timeout=TIMEOUT))[0] == -32700
                await ws.send_str(json.dumps([{"jsonrpc": "2.0", "id": 9, "method": "system_name"}]))
                assert await ws.receive_json(timeout=TIMEOUT) == [
                    {"jsonrpc": "2.0", "result": "taochain", "id": 9}
                ]

                r = await ws_call(ws, 4, "test_subscribeTicks", [3])
                sub_id = r["result"]
                assert isinstance(sub_id, str) and r["id"] == 4
                for i in range(3):
                    n = await ws.receive_json(timeout=TIMEOUT)
                    assert n == {
                        "jsonrpc": "2.0",
                        "method": "test_tick",
                        "params": {"subscription": sub_id, "result": {"tick": i}},
                    }
                assert (await ws_call(ws, 5, "test_unsubscribeTicks", [sub_id]))["result"] is True
                assert ticks.cancelled == [1]
                assert (await ws_call(ws, 6, "test_unsubscribeTicks", [sub_id]))["result"] is False
                assert (await ws_call(ws, 7, "test_unsubscribeTicks", ["nope"]))["result"] is False
                # the wrong unsubscribe method does not cancel another kind of subscription
                sub2 = (await ws_call(ws, 8, "test_subscribeTicks", [0]))["result"]
                assert (await ws_call(ws, 9, "test_unsubscribeNow", [sub2]))["result"] is False
                assert (await ws_call(ws, 10, "test_unsubscribeTicks", {"subscription": sub2}))[
                    "result"
                ] is True
                assert server.subscription_count() == 0
                assert (await ws_call(ws, 11, "system_name"))["result"] == "taochain"

    run(main())


def test_notifications_emitted_before_answer_come_after_it() -> None:
    async def main() -> None:
        async with served() as (server, s):
            async with s.ws_connect(server.ws_url) as ws:
                r = await ws_call(ws, 1, "test_subscribeNow")
                sub_id = r["result"]
                got = [await ws.receive_json(timeout=TIMEOUT) for _ in range(2)]
                assert {n["params"]["result"] for n in got} == {"first", "from a thread"}
                assert all(n["params"]["subscription"] == sub_id and n["method"] == "test_now" for n in got)

    run(main())


def test_subscription_over_http_refused() -> None:
    async def main() -> None:
        async with served() as (server, s):
            for method, params in (("test_subscribeTicks", [3]), ("test_unsubscribeTicks", ["abc"])):
                r = await call(s, server, method, params)
                code, message = error_of(r)
                assert code == -32601 and "WebSocket" in message
            await still_serving(s, server)

    run(main())


def test_subscription_limit_and_cancel_on_disconnect() -> None:
    ticks = Ticks()

    async def main() -> None:
        limits = RpcLimits(max_subscriptions_per_connection=2)
        async with served(make_methods(ticks), limits=limits) as (server, s):
            async with s.ws_connect(server.ws_url) as ws:
                a = (await ws_call(ws, 1, "test_subscribeTicks", [0]))["result"]
                (await ws_call(ws, 2, "test_subscribeTicks", [0]))["result"]
                r = await ws_call(ws, 3, "test_subscribeTicks", [0])
                assert error_of(r) == (-32006, "Too many subscriptions on the connection")
                assert r["error"]["data"] == 2
                assert (await ws_call(ws, 4, "test_unsubscribeTicks", [a]))["result"] is True
                assert isinstance((await ws_call(ws, 5, "test_subscribeTicks", [0]))["result"], str)
                assert server.subscription_count() == 2
                # another connection has its own budget
                async with s.ws_connect(server.ws_url) as ws2:
                    assert isinstance((await ws_call(ws2, 1, "test_subscribeTicks", [0]))["result"], str)
                    assert server.subscription_count() == 3
            for _ in range(100):  # closing cancels what the connections held
                if len(ticks.cancelled) == 4:
                    break
                await asyncio.sleep(0.01)
            assert sorted(ticks.cancelled) == [1, 2, 3, 4]
            assert server.subscription_count() == 0

    run(main())


def test_connection_limit() -> None:
    async def main() -> None:
        async with served(limits=RpcLimits(max_connections=2)) as (server, s):
            ws1 = await s.ws_connect(server.ws_url)
            ws2 = await s.ws_connect(server.ws_url)
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await s.ws_connect(server.ws_url)
            assert e.value.status == 429
            await still_serving(s, server)  # HTTP is not counted
            assert (await ws_call(ws2, 1, "system_name"))["result"] == "taochain"
            await ws1.close()
            for _ in range(100):
                if server.connection_count < 2:
                    break
                await asyncio.sleep(0.01)
            ws3 = await s.ws_connect(server.ws_url)
            assert (await ws_call(ws3, 1, "system_name"))["result"] == "taochain"
            await ws2.close()
            await ws3.close()

    run(main())


def test_safe_methods_policy() -> None:
    async def main() -> None:
        async with served(methods_policy="safe") as (server, s):
            r = await call(s, server, "author_rotateKeys")
            code, message = error_of(r)
            assert code == -32601 and "unsafe" in message
            assert "author_rotateKeys" not in (await call(s, server, "rpc_methods"))["result"]["methods"]
            await still_serving(s, server)
        async with served(methods_policy="unsafe") as (server, s):
            assert (await call(s, server, "author_rotateKeys"))["result"] == "0xkeys"
        # auto: unsafe allowed on loopback only
        assert RpcServer("127.0.0.1", 0, RpcMethods(), methods_policy="auto").allow_unsafe
        assert not RpcServer("0.0.0.0", 0, RpcMethods(), methods_policy="auto").allow_unsafe
        with pytest.raises(ValueError):
            RpcServer("127.0.0.1", 0, RpcMethods(), methods_policy="maybe")

    run(main())


def test_cors() -> None:
    async def main() -> None:
        async with served(cors=["http://localhost:*", "https://polkadot.js.org"]) as (server, s):
            pre = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
            async with s.options(server.url, headers=pre) as r:
                assert r.status == 200
                assert r.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
                assert "POST" in r.headers["Access-Control-Allow-Methods"]
            req = {"jsonrpc": "2.0", "id": 1, "method": "system_name"}
            async with s.post(server.url, json=req, headers={"Origin": "https://polkadot.js.org"}) as r:
                assert r.status == 200
                assert r.headers["Access-Control-Allow-Origin"] == "https://polkadot.js.org"
            async with s.post(server.url, json=req, headers={"Origin": "https://evil.example"}) as r:
                assert r.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await s.ws_connect(server.ws_url, origin="https://evil.example")
            async with s.post(server.url, json=req) as r:  # no Origin: not a browser, served
                assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
        async with served(cors=["all"]) as (server, s):
            async with s.post(server.url, json=req, headers={"Origin": "https://any.example"}) as r:
                assert r.headers["Access-Control-Allow-Origin"] == "https://any.example"

    run(main())


def test_registry_rejects_duplicates_and_bad_params() -> None:
    m = RpcMethods()
    m.register("a_b", lambda: 1)
    with pytest.raises(ValueError):
        m.register("a_b", lambda: 2)
    with pytest.raises(ValueError):
        m.register("rpc_methods", lambda: 2)
    with pytest.raises(ValueError):
        m.register("c_d", lambda x, y: 1, params=[("x", int, True), ("y", int)])
    with pytest.raises(ValueError):
        m.register_subscription("s_sub", "s_n", "a_b", lambda p, e: None)
    assert m.names() == ["a_b", "rpc_methods"]


def test_stop_closes_websockets_and_cancels_subscriptions() -> None:
    ticks = Ticks()

    async def main() -> None:
        server = RpcServer("127.0.0.1", 0, make_methods(ticks), methods_policy="safe")
        await server.start()
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(server.ws_url)
            assert isinstance((await ws_call(ws, 1, "test_subscribeTicks", [0]))["result"], str)
            await server.stop()
            msg = await ws.receive(timeout=TIMEOUT)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ticks.cancelled == [1]
            await ws.close()

    run(main())


# ------------------------------------------------------------------------------------------------
# bounded work (hardening issue #13): response size, nesting, rate limit, idle and dead WebSockets


def big_methods() -> RpcMethods:
    m = make_methods()
    m.register("test_big", lambda n: "x" * n, params=[("n", is_uint)])

    def recurse(_v: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    m.register("test_recurse", recurse, params=[("v", lambda _v: True)])
    return m


def test_response_over_the_limit_is_refused_as_jsonrpsee_does() -> None:
    async def main() -> None:
        async with served(big_methods(), limits=RpcLimits(max_response_bytes=1000)) as (server, s):
            r = await call(s, server, "test_big", [2000])
            assert r == {
                "jsonrpc": "2.0",
                "error": {"code": -32008, "message": "Response is too big", "data": "Exceeded max limit of 1000"},
                "id": 1,
            }
            assert (await call(s, server, "test_big", [10]))["result"] == "x" * 10
            # a batch: each answer fits, together they do not
            batch = [{"jsonrpc": "2.0", "id": i, "method": "test_big", "params": [400]} for i in range(3)]
            r = await post(s, server, batch)
            assert error_of(r) == (-32011, "The batch response was too large") and r["id"] is None
            # one answer too big in a batch that otherwise fits: only that one is refused
            batch = [{"jsonrpc": "2.0", "id": 1, "method": "test_big", "params": [2000]},
                     {"jsonrpc": "2.0", "id": 2, "method": "system_name"}]
            r = await post(s, server, batch)
            assert [x.get("error", {}).get("code") for x in r] == [-32008, None] and r[1]["result"] == "taochain"
            async with s.ws_connect(server.ws_url) as ws:
                assert (await ws_call(ws, 7, "test_big", [2000]))["error"]["code"] == -32008
                assert (await ws_call(ws, 8, "system_name"))["result"] == "taochain"
            await still_serving(s, server)

    run(main())


def test_deep_nesting_is_a_parse_error_and_logs_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    # the request of the issue: 900 nested arrays in chain_getBlockHash's params, 1,866 bytes
    body = '{"jsonrpc":"2.0","id":1,"method":"test_recurse","params":[' + "[" * 900 + "]" * 900 + "]}"
    assert len(body) < 1900

    async def main() -> None:
        async with served(big_methods()) as (server, s):
            with caplog.at_level(logging.INFO, logger="taochain.rpc"):
                r = await post(s, server, body, raw=True)
                assert error_of(r) == (-32700, "Parse error") and "128" in r["error"]["data"]
                # 128 levels are served (and a handler's own RecursionError is Invalid params, quietly)
                ok = '{"jsonrpc":"2.0","id":1,"method":"test_recurse","params":[' + "[" * 126 + "]" * 126 + "]}"
                r = await post(s, server, ok, raw=True)
                assert error_of(r) == (-32602, "Invalid params")
                async with s.ws_connect(server.ws_url) as ws:
                    await ws.send_str(body)
                    assert (await ws.receive_json(timeout=TIMEOUT))["error"]["code"] == -32700
            assert not [rec for rec in caplog.records if rec.exc_info or rec.levelno >= logging.ERROR]
            assert sum(len(rec.getMessage()) for rec in caplog.records) < 2000
            await still_serving(s, server)

    run(main())


def test_rate_limit_per_connection_waits_then_refuses() -> None:
    async def main() -> None:
        # 600 calls a minute: a burst of 600, then one every 0.1 s; a call waits up to 10 times
        limits = RpcLimits(rate_limit_per_minute=600, max_batch=1000)
        async with served(limits=limits) as (server, s), s.ws_connect(server.ws_url) as ws:
            batch = [{"jsonrpc": "2.0", "id": i, "method": "system_name"} for i in range(650)]
            await ws.send_str(json.dumps(batch))
            answers = await ws.receive_json(timeout=20)
            codes = [a.get("error", {}).get("code") for a in answers]
            assert codes.count(None) >= 600
            refused = [a for a in answers if "error" in a]
            assert refused and {(a["error"]["code"], a["error"]["message"]) for a in refused} == {
                (-32999, "RPC rate limit exceeded")
            }
            # a new connection has its own allowance; this one gets calls again once refilled
            await still_serving(s, server)
            for _ in range(100):
                r = await ws_call(ws, 1, "system_name")
                if "result" in r:
                    break
            assert r["result"] == "taochain"

    run(main())


def test_idle_websockets_are_closed_and_their_slots_freed() -> None:
    async def main() -> None:
        limits = RpcLimits(max_connections=2, idle_timeout=0.5)
        async with served(limits=limits) as (server, s):
            subscribed = await s.ws_connect(server.ws_url)
            assert isinstance((await ws_call(subscribed, 1, "test_subscribeTicks", [0]))["result"], str)
            idle = await s.ws_connect(server.ws_url)
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await s.ws_connect(server.ws_url)
            assert e.value.status == 429
            msg = await idle.receive(timeout=10)  # closed by the server after 0.5 s without a request
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
            for _ in range(200):
                if server.connection_count < 2:
                    break
                await asyncio.sleep(0.01)
            fresh = await s.ws_connect(server.ws_url)  # the slot is free again
            assert (await ws_call(fresh, 2, "system_name"))["result"] == "taochain"
            # the subscribed one was idle as long, but it holds a subscription: still served
            assert (await ws_call(subscribed, 3, "system_name"))["result"] == "taochain"
            await fresh.close()
            await subscribed.close()

    run(main())


def test_websocket_that_answers_no_ping_is_closed() -> None:
    async def main() -> None:
        limits = RpcLimits(ping_interval=0.2, idle_timeout=None)
        async with served(limits=limits) as (server, s):
            ws = await s.ws_connect(server.ws_url, autoping=False)
            kinds = []
            for _ in range(50):  # pings arrive and go unanswered; then the server closes
                msg = await ws.receive(timeout=10)
                kinds.append(msg.type)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    break
            assert aiohttp.WSMsgType.PING in kinds and kinds[-1] != aiohttp.WSMsgType.PING, kinds
            await ws.close()
            for _ in range(200):
                if server.connection_count == 0:
                    break
                await asyncio.sleep(0.01)
            assert server.connection_count == 0

    run(main())


def test_origins_checked_on_websocket_upgrades_and_posts() -> None:
    req = {"jsonrpc": "2.0", "id": 1, "method": "system_name"}

    async def main() -> None:
        async with served(cors=["http://localhost:*", "https://polkadot.js.org"]) as (server, s):
            # a cross-origin "simple" request (text/plain, no preflight) is refused, not executed
            hdr = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
            async with s.post(server.url, data=json.dumps(req), headers=hdr) as r:
                assert r.status == 403
            async with s.ws_connect(server.ws_url, origin="http://localhost:3000") as ws:
                assert (await ws_call(ws, 1, "system_name"))["result"] == "taochain"
            async with s.ws_connect(server.ws_url) as ws:  # no Origin (a CLI, an SDK): served
                assert (await ws_call(ws, 1, "system_name"))["result"] == "taochain"
            for bad in ("https://evil.example", "http://localhost.evil.example:80", "null"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                    await s.ws_connect(server.ws_url, origin=bad)
                assert e.value.status == 403, bad
        async with served(cors=[]) as (server, s):  # --rpc-cors none: no browser page at all
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await s.ws_connect(server.ws_url, origin="http://localhost:3000")
            await still_serving(s, server)

    run(main())


def test_limits_refuse_nonsense() -> None:
    for bad in ({"max_response_bytes": 0}, {"rate_limit_per_minute": 0}, {"idle_timeout": -1}, {"max_depth": 0}):
        with pytest.raises(ValueError):
            RpcLimits(**bad)
