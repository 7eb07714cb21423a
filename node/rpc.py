"""JSON-RPC 2.0 server of the node: HTTP POST and WebSocket on one port (aiohttp), Substrate-shaped.

This module is the transport only; it knows nothing of the chain. The node fills an `RpcMethods`
registry with handlers and subscription sources, then runs an `RpcServer` (default 127.0.0.1:9944).

Registration
    methods = RpcMethods()
    methods.register("echo_add", lambda a, b: a + b, params=[("a", is_int), ("b", is_int)])
    methods.register("author_rotateKeys", rotate, unsafe=True)
    methods.register_subscription("chain_subscribeNewHeads", "chain_newHead",
                                  "chain_unsubscribeNewHeads", start_fn)

  * A plain handler may be sync or async; it is called with the validated parameters positionally, in
    declared order, a missing optional parameter (or an explicit `null`) given as None. Sync handlers
    run on the event loop: anything slow must be async (or hand itself to an executor).
  * Parameters are `(name, check)` or `(name, check, optional)` tuples (or `Param`). `check` is a
    type / tuple of types (`int` never accepts bool, `float` accepts int) or a predicate returning
    bool; `is_int`, `is_uint`, `is_str`, `is_hex`, `is_hash`, `is_number_or_hex`... are provided.
    Both positional (array) and named (object) params are accepted.
  * `start_fn(params, emit)` (sync or async) sets up a source and returns a cancel callable (sync or
    async, may be None). `emit(result)` queues `{"jsonrpc":"2.0","method":<notification>,"params":
    {"subscription":<id>,"result":result}}` on the WebSocket; it may be called from any thread, before
    the subscribe call has answered (such notifications are held until the subscription id has been
    sent), returns False once the subscription is gone, and raises TypeError/ValueError when the result
    is not JSON-serialisable. Subscription ids are 16 hex digits.
  * `rpc_methods` is built in: `{"methods": [sorted names]}` (unsafe ones left out in safe mode).

Errors (the server keeps serving after every one of them)
  Standard errors carry the standard message, the detail in `data` (as jsonrpsee does):
    -32700 "Parse error"       malformed JSON (id null)
    -32600 "Invalid Request"   not an object/array, missing/wrong "jsonrpc", non-string method, bad id,
                               empty batch, batch over `max_batch` (one error object, not an array)
    -32601 "Method not found"  unknown method
    -32602 "Invalid params"    wrong count or types; `data` names the parameter
    -32603 "Internal error"    a handler raised something other than RpcError (logged with traceback),
                               or returned something that is not JSON-serialisable
  Other errors:
    RpcError(code, message, data) raised by a handler is returned as is (1010 "Invalid Transaction"...)
    -32601 "RPC call is unsafe to be called externally"  unsafe method under `methods_policy="safe"`
           (Substrate's answer; unsafe methods are also left out of `rpc_methods`)
    -32601 "subscriptions need a WebSocket connection"   (un)subscribe over HTTP
    -32006 "Too many subscriptions on the connection"    (jsonrpsee's code), data = the limit
  HTTP: body over `max_body_bytes` -> HTTP 413 with a -32600 error body; GET without upgrade -> 405;
  an Origin not allowed by `cors` -> 403; a WebSocket beyond `max_connections` -> HTTP 429 before
  the upgrade. A WebSocket message over `max_body_bytes` closes that connection with code 1009.
  Notifications (requests without "id") get no response (HTTP: 204, empty body); an invalid request is
  answered with id null even without an id, as JSON-RPC 2.0 says. Batches answer with an array in
  request order (entries run concurrently: async handlers interleave); a batch of notifications only gets no answer.

CORS: `cors=None` adds no headers and checks no origin; a list allows those origins exactly (an entry
ending in ":*" matches any port), "all" (or "*") any. Allowed origins get Access-Control-Allow-Origin
on responses and preflights (OPTIONS).

methods_policy: "unsafe" serves everything, "safe" refuses methods registered unsafe, "auto" (as
Substrate) is safe unless the host is a loopback address.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

__all__ = [
    "PARSE_ERROR",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "INVALID_PARAMS",
    "INTERNAL_ERROR",
    "TOO_MANY_SUBSCRIPTIONS",
    "Param",
    "RpcError",
    "RpcLimits",
    "RpcMethods",
    "RpcServer",
    "is_any",
    "is_bool",
    "is_hash",
    "is_hex",
    "is_int",
    "is_list",
    "is_number_or_hex",
    "is_object",
    "is_str",
    "is_uint",
]

log = logging.getLogger("taochain.rpc")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TOO_MANY_SUBSCRIPTIONS = -32006  # jsonrpsee's TOO_MANY_SUBSCRIPTIONS_CODE

_STANDARD_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
}
UNSAFE_MESSAGE = "RPC call is unsafe to be called externally"
NEED_WS_MESSAGE = "subscriptions need a WebSocket connection"
MAX_INFLIGHT_PER_CONNECTION = 256  # WebSocket requests handled at once per connection (reader waits)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_loads = json.JSONDecoder(parse_constant=_reject_constant).decode


class RpcError(Exception):
    """An error answer: raise it from a handler (or start_fn) to return `code`, `message`, `data`."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}" + ("" if data is None else f" ({data})"))
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def _std_error(code: int, data: Any = None) -> RpcError:
    return RpcError(code, _STANDARD_MESSAGES[code], data)


# --------------------------------------------------------------------------------------------------
# boundary data


@dataclass(frozen=True)
class RpcLimits:
    """Server limits. Defaults are Substrate's (`--rpc-max-request-size 10`, `--rpc-max-connections 100`,
    `--rpc-max-subscriptions-per-connection 1024`, batches capped at 100 here)."""

    max_body_bytes: int = 10 * 1024 * 1024
    max_batch: int = 100
    max_connections: int = 100
    max_subscriptions_per_connection: int = 1024
    max_pending_messages: int = 4096  # queued outgoing WS messages before a subscription is dropped


@dataclass(frozen=True)
class Param:
    """One declared parameter: `check` is a type (tuple of types) or a predicate returning bool."""

    name: str
    check: Any
    optional: bool = False

    def describe(self) -> str:
        return _describe(self.check)

    def accepts(self, value: Any) -> bool:
        check = self.check
        if isinstance(check, type) or isinstance(check, tuple):
            types = check if isinstance(check, tuple) else (check,)
            if isinstance(value, bool) and bool not in types:
                return False
            if float in types and isinstance(value, int):
                return True
            return isinstance(value, types)
        try:
            return bool(check(value))
        except (TypeError, ValueError):
            return False


def _describe(check: Any) -> str:
    if isinstance(check, type):
        return check.__name__
    if isinstance(check, tuple):
        return " | ".join(_describe(c) for c in check)
    return getattr(check, "description", None) or getattr(check, "__name__", repr(check))


@dataclass(frozen=True)
class MethodSpec:
    """A registered plain method."""

    name: str
    handler: Callable[..., Any]
    params: tuple[Param, ...]
    unsafe: bool
    is_coroutine: bool


@dataclass(frozen=True)
class SubscriptionSpec:
    """A registered subscription: its subscribe and unsubscribe method names and its source."""

    subscribe_name: str
    notification_method: str
    unsubscribe_name: str
    start_fn: Callable[[tuple[Any, ...], Callable[[Any], bool]], Any]
    params: tuple[Param, ...]
    unsafe: bool


# --------------------------------------------------------------------------------------------------
# parameter checks


def _named(description: str) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    def deco(fn: Callable[[Any], bool]) -> Callable[[Any], bool]:
        fn.description = description  # type: ignore[attr-defined]
        return fn

    return deco


@_named("any")
def is_any(_v: Any) -> bool:
    return True


@_named("int")
def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@_named("unsigned int")
def is_uint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


@_named("string")
def is_str(v: Any) -> bool:
    return isinstance(v, str)


@_named("bool")
def is_bool(v: Any) -> bool:
    return isinstance(v, bool)


@_named("array")
def is_list(v: Any) -> bool:
    return isinstance(v, list)


@_named("object")
def is_object(v: Any) -> bool:
    return isinstance(v, dict)


_HEX = frozenset("0123456789abcdefABCDEF")


@_named("0x-prefixed hex bytes")
def is_hex(v: Any) -> bool:
    return isinstance(v, str) and v[:2] == "0x" and len(v) % 2 == 0 and _HEX.issuperset(v[2:])


@_named("0x-prefixed 32-byte hash")
def is_hash(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 66 and is_hex(v)


@_named("unsigned int or 0x hex number")
def is_number_or_hex(v: Any) -> bool:
    if is_uint(v):
        return True
    return isinstance(v, str) and v[:2] == "0x" and len(v) > 2 and _HEX.issuperset(v[2:])


def _to_params(params: Iterable[Any] | None) -> tuple[Param, ...]:
    out: list[Param] = []
    seen_optional = False
    for p in params or ():
        if not isinstance(p, Param):
            p = Param(*p)
        if seen_optional and not p.optional:
            raise ValueError(f"required parameter {p.name!r} after an optional one")
        seen_optional = seen_optional or p.optional
        out.append(p)
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate parameter names in {names}")
    return tuple(out)


def _bind(spec: tuple[Param, ...], raw: Any) -> tuple[Any, ...]:
    """Validate `raw` (None, list or dict) against `spec`; return the positional arguments."""
    if not spec:
        if raw is None or not raw:
            return ()
        if isinstance(raw, list):
            raise _std_error(INVALID_PARAMS, f"expected no parameters, got {len(raw)}")
        raise _std_error(INVALID_PARAMS, f"unknown parameter `{next(iter(raw))}` (expected no parameters)")
    if raw is None:
        raw = []
    if isinstance(raw, list):
        if len(raw) > len(spec):
            raise _std_error(INVALID_PARAMS, f"expected at most {len(spec)} parameters, got {len(raw)}")
        missing = object()
        given = raw + [missing] * (len(spec) - len(raw))
    else:  # dict
        for key in raw:
            if not any(p.name == key for p in spec):
                raise _std_error(INVALID_PARAMS, f"unknown parameter `{key}`")
        missing = object()
        given = [raw.get(p.name, missing) for p in spec]
    args: list[Any] = []
    for i, (p, v) in enumerate(zip(spec, given, strict=True)):
        if v is missing:
            if not p.optional:
                raise _std_error(INVALID_PARAMS, f"missing required parameter `{p.name}` (position {i})")
            v = None
        elif v is None and p.optional:
            pass
        elif not p.accepts(v):
            raise _std_error(
                INVALID_PARAMS,
                f"invalid type for parameter `{p.name}` (position {i}): expected {p.describe()}, "
                f"got {type(v).__name__} {_short(v)}",
            )
        args.append(v)
    return tuple(args)


def _short(v: Any) -> str:
    s = json.dumps(v) if isinstance(v, str | int | float | bool | type(None)) else type(v).__name__
    return s if len(s) <= 40 else s[:37] + "..."


# --------------------------------------------------------------------------------------------------
# registry


class RpcMethods:
    """Registry of plain methods and subscriptions; `rpc_methods` is built in."""

    def __init__(self) -> None:
        self._plain: dict[str, MethodSpec] = {}
        self._subs: dict[str, SubscriptionSpec] = {}  # by subscribe name
        self._unsubs: dict[str, SubscriptionSpec] = {}  # by unsubscribe name

    def _check_free(self, *names: str) -> None:
        for name in names:
            if not isinstance(name, str) or not name:
                raise ValueError(f"bad method name {name!r}")
            if name == "rpc_methods" or name in self._plain or name in self._subs or name in self._unsubs:
                raise ValueError(f"method {name!r} is already registered")

    def register(
        self,
        name: str,
        handler: Callable[..., Any],
        params: Sequence[Any] | None = None,
        unsafe: bool = False,
    ) -> None:
        self._check_free(name)
        self._plain[name] = MethodSpec(
            name, handler, _to_params(params), unsafe, inspect.iscoroutinefunction(handler)
        )

    def register_subscription(
        self,
        subscribe_name: str,
        notification_method: str,
        unsubscribe_name: str,
        start_fn: Callable[[tuple[Any, ...], Callable[[Any], bool]], Any],
        params: Sequence[Any] | None = None,
        unsafe: bool = False,
    ) -> None:
        if subscribe_name == unsubscribe_name:
            raise ValueError("subscribe and unsubscribe names must differ")
        self._check_free(subscribe_name, unsubscribe_name)
        spec = SubscriptionSpec(
            subscribe_name, notification_method, unsubscribe_name, start_fn, _to_params(params), unsafe
        )
        self._subs[subscribe_name] = spec
        self._unsubs[unsubscribe_name] = spec

    def names(self, include_unsafe: bool = True) -> list[str]:
        out = ["rpc_methods"]
        out += [n for n, s in self._plain.items() if include_unsafe or not s.unsafe]
        for s in self._subs.values():
            if include_unsafe or not s.unsafe:
                out += [s.subscribe_name, s.unsubscribe_name]
        return sorted(out)

    def __contains__(self, name: str) -> bool:
        return name == "rpc_methods" or name in self._plain or name in self._subs or name in self._unsubs


# --------------------------------------------------------------------------------------------------
# connections and subscriptions


class _Subscription:
    __slots__ = ("id", "spec", "conn", "cancel", "active", "closed", "held")

    def __init__(self, sub_id: str, spec: SubscriptionSpec, conn: _Connection) -> None:
        self.id = sub_id
        self.spec = spec
        self.conn = conn
        self.cancel: Callable[[], Any] | None = None
        self.active = False  # the subscribe answer has been queued
        self.closed = False
        self.held: list[str] = []  # notifications emitted before the answer

    def emit(self, result: Any) -> bool:
        if self.closed:
            return False
        msg = _dumps(
            {
                "jsonrpc": "2.0",
                "method": self.spec.notification_method,
                "params": {"subscription": self.id, "result": result},
            }
        )
        conn = self.conn
        if threading.get_ident() == conn.server._thread_id:
            self._deliver(msg)
            return True
        try:
            conn.server._loop.call_soon_threadsafe(self._deliver, msg)
        except RuntimeError:  # the loop is closed
            return False
        return True

    def _deliver(self, msg: str) -> None:
        if self.closed:
            return
        if not self.active:
            self.held.append(msg)
            return
        if not self.conn.send(msg, droppable=True):
            log.warning(
                "rpc: subscription %s (%s) dropped: client too slow", self.id, self.spec.subscribe_name
            )
            self.conn.drop_subscription(self.id)

    def activate(self) -> None:
        self.active = True
        held, self.held = self.held, []
        for msg in held:
            self._deliver(msg)


async def _call_cancel(cancel: Callable[[], Any] | None, what: str) -> None:
    if cancel is None:
        return
    try:
        r = cancel()
        if inspect.isawaitable(r):
            await r
    except Exception:
        log.exception("rpc: cancelling subscription %s failed", what)


class _Connection:
    """One WebSocket: an outgoing queue drained by a writer task, and the subscriptions it holds."""

    def __init__(self, server: RpcServer, ws: web.WebSocketResponse) -> None:
        self.server = server
        self.ws = ws
        self.subs: dict[str, _Subscription] = {}
        self.out: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False
        self.tasks: set[asyncio.Task[None]] = set()
        self.inflight = asyncio.Semaphore(MAX_INFLIGHT_PER_CONNECTION)
        self.writer = asyncio.get_running_loop().create_task(self._write_loop())

    def send(self, msg: str, droppable: bool = False) -> bool:
        if self.closed:
            return False
        if droppable and self.out.qsize() >= self.server.limits.max_pending_messages:
            return False
        self.out.put_nowait(msg)
        return True

    async def _write_loop(self) -> None:
        ws = self.ws
        out = self.out
        try:
            while True:
                msg = await out.get()
                if msg is None or ws.closed:
                    return
                await ws.send_str(msg)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return
        except Exception:
            log.exception("rpc: websocket writer failed")

    def drop_subscription(self, sub_id: str) -> None:
        sub = self.subs.pop(sub_id, None)
        if sub is not None:
            sub.closed = True
            asyncio.get_running_loop().create_task(_call_cancel(sub.cancel, sub.id))

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        subs, self.subs = self.subs, {}
        for sub in subs.values():
            sub.closed = True
        for sub in subs.values():
            await _call_cancel(sub.cancel, sub.id)
        for t in list(self.tasks):
            t.cancel()
        self.out.put_nowait(None)
        try:
            await asyncio.wait_for(self.writer, 1.0)
        except (TimeoutError, asyncio.CancelledError):
            self.writer.cancel()


# --------------------------------------------------------------------------------------------------
# server


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern in ("all", "*") or pattern == origin:
        return True
    if pattern.endswith(":*"):
        base = pattern[:-2]
        head, sep, port = origin.rpartition(":")
        return bool(sep) and head == base and port.isdigit()
    return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RpcServer:
    """JSON-RPC 2.0 over HTTP POST and WebSocket on one port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9944,
        methods: RpcMethods | None = None,
        limits: RpcLimits | None = None,
        cors: list[str] | None = None,
        methods_policy: str = "auto",
    ) -> None:
        if methods_policy not in ("safe", "unsafe", "auto"):
            raise ValueError(f"methods_policy must be safe, unsafe or auto, not {methods_policy!r}")
        self.host = host
        self._requested_port = port
        self.methods = methods if methods is not None else RpcMethods()
        self.limits = limits or RpcLimits()
        self.cors = list(cors) if cors is not None else None
        self.allow_unsafe = methods_policy == "unsafe" or (methods_policy == "auto" and _is_loopback(host))
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._conns: set[_Connection] = set()
        self._ws_count = 0
        self._loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._thread_id = 0

    # ---- lifecycle ----

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        app = web.Application(client_max_size=self.limits.max_body_bytes)
        app.router.add_route("*", "/{tail:.*}", self._handle_http)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, backlog=1024)
        await site.start()
        self._runner = runner
        server = site._server
        socks = getattr(server, "sockets", None) or ()
        self._port = socks[0].getsockname()[1] if socks else self._requested_port
        log.info(
            "rpc: listening on %s:%d (%s methods)",
            self.host,
            self._port,
            "all" if self.allow_unsafe else "safe",
        )

    async def stop(self) -> None:
        conns = list(self._conns)
        for conn in conns:
            await conn.close()
            try:
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"server shutting down"), 1.0)
            except (TimeoutError, ConnectionError, RuntimeError):
                pass
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> RpcServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- HTTP ----

    def _cors_headers(self, request: web.Request) -> dict[str, str] | None:
        """None: origin refused. {}: no CORS headers needed."""
        origin = request.headers.get("Origin")
        if self.cors is None or origin is None:
            return {}
        if any(_origin_matches(p, origin) for p in self.cors):
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return None

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        cors = self._cors_headers(request)
        if cors is None:
            return web.Response(status=403, text="Origin of the request is not allowed\n")
        method = request.method
        if method == "POST":
            return await self._handle_post(request, cors)
        if method == "OPTIONS":
            headers = dict(cors)
            headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "content-type"
            )
            headers["Access-Control-Max-Age"] = "86400"
            return web.Response(status=200, headers=headers)
        if method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._handle_ws(request)
        return web.Response(
            status=405, text="Used HTTP Method is not allowed. POST or OPTIONS is required\n", headers=cors
        )

    def _too_large(self, size: str, cors: dict[str, str]) -> web.Response:
        body = _dumps(
            {
                "jsonrpc": "2.0",
                "error": _std_error(
                    INVALID_REQUEST,
                    f"request body of {size} bytes exceeds the limit of {self.limits.max_body_bytes} bytes",
                ).to_json(),
                "id": None,
            }
        )
        return web.Response(status=413, text=body, content_type="application/json", headers=cors)

    async def _handle_post(self, request: web.Request, cors: dict[str, str]) -> web.Response:
        length = request.content_length
        if length is not None and length > self.limits.max_body_bytes:
            return self._too_large(str(length), cors)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large("more than that", cors)
        out = await self.handle_raw(body, None)
        if out is None:
            return web.Response(status=204, headers=cors)
        return web.Response(body=out.encode(), content_type="application/json", headers=cors)

    # ---- WebSocket ----

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        if self._ws_count >= self.limits.max_connections:
            return web.Response(status=429, text="Too many connections. Please try again later.\n")
        self._ws_count += 1
        try:
            ws = web.WebSocketResponse(max_msg_size=self.limits.max_body_bytes, autoping=True)
            await ws.prepare(request)
            conn = _Connection(self, ws)
            self._conns.add(conn)
            try:
                async for msg in ws:
                    if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                        await conn.inflight.acquire()
                        task = asyncio.get_running_loop().create_task(self._ws_request(conn, msg.data))
                        conn.tasks.add(task)
                        task.add_done_callback(conn.tasks.discard)
                    elif msg.type == WSMsgType.ERROR:
                        log.info("rpc: websocket closed: %s", ws.exception())
                        break
            finally:
                self._conns.discard(conn)
                await conn.close()
            return ws
        finally:
            self._ws_count -= 1

    async def _ws_request(self, conn: _Connection, data: str | bytes) -> None:
        try:
            activations: list[_Subscription] = []
            out = await self.handle_raw(data, conn, activations)
            if out is not None:
                conn.send(out)
            for sub in activations:
                if not sub.closed:
                    sub.activate()
        except Exception:
            log.exception("rpc: websocket request failed")
        finally:
            conn.inflight.release()

    # ---- dispatch ----

    async def handle_raw(
        self,
        data: str | bytes,
        conn: _Connection | None,
        activations: list[_Subscription] | None = None,
    ) -> str | None:
        """Answer one HTTP body / WebSocket message; None when nothing is to be sent."""
        try:
            req = _loads(data if isinstance(data, str) else data.decode())
        except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, too deep
            return _dumps({"jsonrpc": "2.0", "error": _std_error(PARSE_ERROR, str(e)).to_json(), "id": None})
        if activations is None:
            activations = []
        if isinstance(req, dict):
            resp = await self._handle_one(req, conn, activations)
            return None if resp is None else self._encode(resp)
        if isinstance(req, list):
            if not req:
                return self._encode(_error_response(None, _std_error(INVALID_REQUEST, "empty batch")))
            if len(req) > self.limits.max_batch:
                err = _std_error(
                    INVALID_REQUEST,
                    f"batch of {len(req)} requests exceeds the limit of {self.limits.max_batch}",
                )
                return self._encode(_error_response(None, err))
            # entries run concurrently (async handlers interleave; answers keep request order)
            answers = await asyncio.gather(*[self._handle_one(item, conn, activations) for item in req])
            out = [resp for resp in answers if resp is not None]
            return self._encode(out) if out else None
        return self._encode(
            _error_response(None, _std_error(INVALID_REQUEST, "request must be an object or an array"))
        )

    def _encode(self, resp: Any) -> str:
        try:
            return _dumps(resp)
        except (TypeError, ValueError):
            pass
        # a result that is not JSON: replace the offending responses by internal errors
        items = resp if isinstance(resp, list) else [resp]
        fixed = []
        for r in items:
            try:
                _dumps(r)
                fixed.append(r)
            except (TypeError, ValueError) as e:
                log.error("rpc: result of request id %r is not JSON-serialisable: %s", r.get("id"), e)
                fixed.append(_error_response(r.get("id"), _std_error(INTERNAL_ERROR, "result is not JSON")))
        return _dumps(fixed if isinstance(resp, list) else fixed[0])

    async def _handle_one(
        self, req: Any, conn: _Connection | None, activations: list[_Subscription]
    ) -> dict[str, Any] | None:
        if not isinstance(req, dict):
            return _error_response(None, _std_error(INVALID_REQUEST, "request must be an object"))
        has_id = "id" in req
        rid = req.get("id")
        if has_id and rid is not None and (isinstance(rid, bool) or not isinstance(rid, str | int | float)):
            return _error_response(None, _std_error(INVALID_REQUEST, "id must be a string, a number or null"))
        if req.get("jsonrpc") != "2.0":
            return _error_response(
                rid, _std_error(INVALID_REQUEST, 'missing or wrong "jsonrpc" (must be "2.0")')
            )
        name = req.get("method")
        if not isinstance(name, str):
            return _error_response(rid, _std_error(INVALID_REQUEST, '"method" must be a string'))
        params = req.get("params")
        try:
            if params is not None and not isinstance(params, list | dict):
                raise _std_error(INVALID_PARAMS, "params must be an array or an object")
            result = await self._call(name, params, conn, activations, has_id)
        except RpcError as e:
            return _error_response(rid, e) if has_id else None
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("rpc: method %s failed", name)
            return _error_response(rid, _std_error(INTERNAL_ERROR)) if has_id else None
        if not has_id:
            return None
        return {"jsonrpc": "2.0", "result": result, "id": rid}

    async def _call(
        self,
        name: str,
        params: Any,
        conn: _Connection | None,
        activations: list[_Subscription],
        has_id: bool,
    ) -> Any:
        methods = self.methods
        spec = methods._plain.get(name)
        if spec is not None:
            if spec.unsafe and not self.allow_unsafe:
                raise RpcError(METHOD_NOT_FOUND, UNSAFE_MESSAGE, name)
            args = _bind(spec.params, params)
            if spec.is_coroutine:
                return await spec.handler(*args)
            result = spec.handler(*args)
            if inspect.isawaitable(result):
                result = await result
            return result
        if name == "rpc_methods":
            _bind((), params)
            return {"methods": methods.names(include_unsafe=self.allow_unsafe)}
        sub_spec = methods._subs.get(name)
        if sub_spec is not None:
            self._check_sub_access(sub_spec, conn)
            args = _bind(sub_spec.params, params)
            if not has_id:
                return None  # a subscription nobody could address: ignored
            return await self._subscribe(sub_spec, args, conn, activations)  # type: ignore[arg-type]
        sub_spec = methods._unsubs.get(name)
        if sub_spec is not None:
            self._check_sub_access(sub_spec, conn)
            (sub_id,) = _bind((Param("subscription", (str, int)),), params)
            return await self._unsubscribe(sub_spec, str(sub_id), conn)  # type: ignore[arg-type]
        raise _std_error(METHOD_NOT_FOUND, name)

    def _check_sub_access(self, spec: SubscriptionSpec, conn: _Connection | None) -> None:
        if spec.unsafe and not self.allow_unsafe:
            raise RpcError(METHOD_NOT_FOUND, UNSAFE_MESSAGE, spec.subscribe_name)
        if conn is None:
            raise RpcError(METHOD_NOT_FOUND, NEED_WS_MESSAGE, spec.subscribe_name)

    async def _subscribe(
        self,
        spec: SubscriptionSpec,
        args: tuple[Any, ...],
        conn: _Connection,
        activations: list[_Subscription],
    ) -> str:
        limit = self.limits.max_subscriptions_per_connection
        if len(conn.subs) >= limit:
            raise RpcError(TOO_MANY_SUBSCRIPTIONS, "Too many subscriptions on the connection", limit)
        sub_id = secrets.token_hex(8)
        while sub_id in conn.subs:
            sub_id = secrets.token_hex(8)
        sub = _Subscription(sub_id, spec, conn)
        conn.subs[sub_id] = sub
        try:
            cancel = spec.start_fn(args, sub.emit)
            if inspect.isawaitable(cancel):
                cancel = await cancel
        except BaseException:
            conn.subs.pop(sub_id, None)
            sub.closed = True
            raise
        sub.cancel = cancel
        if sub.closed or conn.closed:  # connection went away while starting
            conn.subs.pop(sub_id, None)
            await _call_cancel(cancel, sub_id)
        else:
            activations.append(sub)
        return sub_id

    async def _unsubscribe(self, spec: SubscriptionSpec, sub_id: str, conn: _Connection) -> bool:
        sub = conn.subs.get(sub_id)
        if sub is None or sub.spec is not spec:
            return False
        del conn.subs[sub_id]
        sub.closed = True
        await _call_cancel(sub.cancel, sub_id)
        return True

    # ---- introspection ----

    @property
    def connection_count(self) -> int:
        return self._ws_count

    def subscription_count(self) -> int:
        return sum(len(c.subs) for c in self._conns)


def _error_response(rid: Any, err: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": err.to_json(), "id": rid}


Emit = Callable[[Any], bool]
StartFn = Callable[[tuple[Any, ...], Emit], "Callable[[], Any] | Awaitable[Callable[[], Any] | None] | None"]
