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
    -32700 "Parse error"       malformed JSON, or arrays/objects nested deeper than `max_depth` (128,
                               serde_json's limit) (id null)
    -32600 "Invalid Request"   not an object/array, missing/wrong "jsonrpc", non-string method, bad id,
                               empty batch, batch over `max_batch` (one error object, not an array)
    -32601 "Method not found"  unknown method
    -32602 "Invalid params"    wrong count or types; `data` names the parameter (also a handler's
                               RecursionError on a hostile parameter: answered, not logged)
    -32603 "Internal error"    a handler raised something other than RpcError (logged with traceback),
                               or returned something that is not JSON-serialisable
  Other errors:
    RpcError(code, message, data) raised by a handler is returned as is (1010 "Invalid Transaction"...)
    -32601 "RPC call is unsafe to be called externally"  unsafe method under `methods_policy="safe"`
           (Substrate's answer; unsafe methods are also left out of `rpc_methods`)
    -32601 "subscriptions need a WebSocket connection"   (un)subscribe over HTTP
    -32006 "Too many subscriptions on the connection"    (jsonrpsee's code), data = the limit
    -32008 "Response is too big"   an answer over `max_response_bytes` (jsonrpsee's code and message),
           data "Exceeded max limit of N"; the other answers of its batch are kept
    -32011 "The batch response was too large"   a batch whose answers together pass the limit
    -32999 "RPC rate limit exceeded"   (Substrate's) a call that found no free slot of its connection's
           `rate_limit_per_minute` after 10 waits (each the time to the next slot, plus up to 50 ms)
  HTTP: body over `max_body_bytes` -> HTTP 413 with a -32600 error body; GET without upgrade -> 405;
  an Origin not allowed by `cors` -> 403 (WebSocket upgrades and POSTs alike); a WebSocket beyond
  `max_connections`, or an HTTP request beyond `max_connections` being read or served at once -> HTTP
  429 (before the upgrade). A WebSocket message over `max_body_bytes` closes that connection (1009).
  Notifications (requests without "id") get no response (HTTP: 204, empty body); an invalid request is
  answered with id null even without an id, as JSON-RPC 2.0 says. Batches answer with an array in
  request order (entries run concurrently: async handlers interleave); a batch of notifications only gets no answer.

Bounded work (`RpcLimits`; the node's flags in parentheses, defaults as Substrate's but where noted)
  * request size `max_body_bytes` (--rpc-max-request-size, 10 MiB) and answer size
    `max_response_bytes` (--rpc-max-response-size, 10 MiB); handlers bound their list parameters
    themselves so that no answer over the limit is ever computed (node/rpc_api.py: 10,000 items);
  * `max_connections` WebSockets (--rpc-max-connections, 100) and as many HTTP requests in flight;
    `max_subscriptions_per_connection` (--rpc-max-subscriptions-per-connection, 1024); at most 256
    requests of one WebSocket handled at once (its reader waits);
  * `rate_limit_per_minute` calls per connection (--rpc-rate-limit, off): a token bucket with a burst
    of one minute's calls, as governor's quota in Substrate; each call of a batch counts; an HTTP
    connection is its TCP connection (keep-alive), as in Substrate;
  * `ping_interval` (30 s): a WebSocket that answers no ping within half the interval is closed;
    `idle_timeout` (--rpc-idle-timeout, 60 s, taochain's own): a WebSocket with no request in flight
    and no subscription for that long is closed (code 1000), which frees its slot;
  * JSON nested deeper than `max_depth` is refused before any handler sees it.
  Slow handlers belong off the event loop (an executor) so block authoring never waits on a client.

CORS: `cors=None` adds no headers and checks no origin; a list allows those origins exactly (an entry
ending in ":*" matches any port; an empty list: none), "all" (or "*") any. A request without an Origin
header (a CLI, an SDK, curl) is always served. Allowed origins get Access-Control-Allow-Origin on
responses and preflights (OPTIONS). `DEFAULT_CORS` is Substrate's default off --dev (http(s)://
localhost:*, http(s)://127.0.0.1:*, https://polkadot.js.org); `taochain node --dev` allows all, as
Substrate does.

methods_policy: "unsafe" serves everything, "safe" refuses methods registered unsafe, "auto" (as
Substrate) is safe unless the host is a loopback address. The node warns (UNSAFE_EXTERNAL_WARNING,
Substrate's words) when it serves unsafe methods on a non-loopback address.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import random
import secrets
import threading
import time
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
    "OVERSIZED_RESPONSE",
    "TOO_BIG_BATCH_RESPONSE",
    "RATE_LIMITED",
    "DEFAULT_CORS",
    "UNSAFE_EXTERNAL_WARNING",
    "Param",
    "RpcError",
    "RpcLimits",
    "RpcMethods",
    "RpcServer",
    "is_any",
    "is_loopback",
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
OVERSIZED_RESPONSE = -32008  # jsonrpsee's OVERSIZED_RESPONSE_CODE
TOO_BIG_BATCH_RESPONSE = -32011  # jsonrpsee's TOO_BIG_BATCH_RESPONSE_CODE
RATE_LIMITED = -32999  # Substrate's rate-limit middleware (sc-rpc-server)

_STANDARD_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
}
UNSAFE_MESSAGE = "RPC call is unsafe to be called externally"
NEED_WS_MESSAGE = "subscriptions need a WebSocket connection"
OVERSIZED_RESPONSE_MESSAGE = "Response is too big"
TOO_BIG_BATCH_RESPONSE_MESSAGE = "The batch response was too large"
RATE_LIMITED_MESSAGE = "RPC rate limit exceeded"
RATE_LIMIT_RETRIES = 10  # waits for a free call before refusing (Substrate's MAX_RETRIES)
RATE_LIMIT_JITTER = 0.05  # seconds of random delay added to each wait (Substrate's MAX_JITTER)
# Substrate's `--rpc-cors` default off --dev: browser pages on this machine and polkadot.js apps
DEFAULT_CORS = (
    "http://localhost:*",
    "http://127.0.0.1:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://polkadot.js.org",
)
UNSAFE_EXTERNAL_WARNING = (
    "It isn't safe to expose RPC publicly without a proxy server that filters available set of RPC methods."
)
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


def _too_deep(obj: Any, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        v, depth = stack.pop()
        children = v.values() if isinstance(v, dict) else v
        for c in children:
            if isinstance(c, list | dict):
                if depth >= limit:
                    return True
                if c:
                    stack.append((c, depth + 1))
    return False


class _RateLimiter:
    """`per_minute` calls a minute, in bursts of up to `per_minute` (a token bucket, as governor's
    `Quota::per_minute` in Substrate's middleware)."""

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.stamp = time.monotonic()

    def wait_time(self) -> float:
        """Take one call and answer 0, or answer how long until one is free (taking nothing)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    async def acquire(self) -> bool:
        """Wait for a free call (at most RATE_LIMIT_RETRIES waits, as Substrate); False: refuse it."""
        for _ in range(RATE_LIMIT_RETRIES):
            wait = self.wait_time()
            if wait == 0.0:
                return True
            await asyncio.sleep(wait + random.uniform(0, RATE_LIMIT_JITTER))
        return self.wait_time() == 0.0


# --------------------------------------------------------------------------------------------------
# boundary data


@dataclass(frozen=True)
class RpcLimits:
    """Server limits, as Substrate's flags: `--rpc-max-request-size` / `--rpc-max-response-size` (10 MiB
    each here), `--rpc-max-connections 100`, `--rpc-max-subscriptions-per-connection 1024`,
    `--rpc-rate-limit` (calls per minute per connection, off by default); batches capped at 100."""

    max_body_bytes: int = 10 * 1024 * 1024  # a request (HTTP body or WebSocket message)
    max_response_bytes: int = 10 * 1024 * 1024  # one answer (a batch: all its answers together)
    max_batch: int = 100
    max_connections: int = 100  # WebSockets open at once
    max_subscriptions_per_connection: int = 1024
    max_pending_messages: int = 4096  # queued outgoing WS messages before a subscription is dropped
    rate_limit_per_minute: int | None = None  # calls per minute per connection; None: no limit
    max_depth: int = 128  # nesting of arrays/objects in a request (serde_json's recursion limit)
    ping_interval: float | None = 30.0  # WebSocket ping every this many seconds; no pong: closed
    idle_timeout: float | None = 60.0  # a WebSocket with no request and no subscription this long: closed

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_response_bytes", "max_batch", "max_connections", "max_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_subscriptions_per_connection < 0:
            raise ValueError("max_subscriptions_per_connection must not be negative")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1 (or None: no limit)")
        for name in ("ping_interval", "idle_timeout"):
            v = getattr(self, name)
            if v is not None and v <= 0:
                raise ValueError(f"{name} must be positive (or None: off)")


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
        per_minute = server.limits.rate_limit_per_minute
        self.limiter = _RateLimiter(per_minute) if per_minute is not None else None
        self.last_active = time.monotonic()  # the last request received (for the idle timeout)
        self.writer = asyncio.get_running_loop().create_task(self._write_loop())

    def is_idle(self, now: float, timeout: float) -> bool:
        """No request for `timeout` seconds, none in flight, no subscription: holding a slot for nothing."""
        return not self.subs and not self.tasks and now - self.last_active >= timeout

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


def is_loopback(host: str) -> bool:
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
        self.allow_unsafe = methods_policy == "unsafe" or (methods_policy == "auto" and is_loopback(host))
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._conns: set[_Connection] = set()
        self._ws_count = 0
        self._http_count = 0  # HTTP requests being read or served
        self._http_limiters: dict[Any, _RateLimiter] = {}  # by peer (ip, port): one per TCP connection
        self._reaper: asyncio.Task[None] | None = None
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
        if self.limits.idle_timeout is not None:
            self._reaper = self._loop.create_task(self._reap_idle(self.limits.idle_timeout))
        log.info(
            "rpc: listening on %s:%d (%s methods)",
            self.host,
            self._port,
            "all" if self.allow_unsafe else "safe",
        )

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
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
        # requests read and served at once are bounded as WebSockets are (memory: bodies in flight)
        if self._http_count >= self.limits.max_connections:
            return web.Response(status=429, text="Too many connections. Please try again later.\n", headers=cors)
        self._http_count += 1
        try:
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return self._too_large("more than that", cors)
            out = await self.handle_raw(body, None, limiter=self._http_limiter(request))
        finally:
            self._http_count -= 1
        if out is None:
            return web.Response(status=204, headers=cors)
        return web.Response(body=out.encode(), content_type="application/json", headers=cors)

    def _http_limiter(self, request: web.Request) -> _RateLimiter | None:
        per_minute = self.limits.rate_limit_per_minute
        if per_minute is None:
            return None
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        limiter = self._http_limiters.get(peer)
        if limiter is None:
            if len(self._http_limiters) >= 4096:  # forget the oldest connections' buckets
                for key in list(self._http_limiters)[:1024]:
                    del self._http_limiters[key]
            limiter = self._http_limiters[peer] = _RateLimiter(per_minute)
        return limiter

    # ---- WebSocket ----

    async def _reap_idle(self, timeout: float) -> None:
        """Close WebSockets that hold a slot without using it (no request, no subscription)."""
        period = min(timeout / 4, 5.0)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for conn in [c for c in self._conns if c.is_idle(now, timeout)]:
                log.info("rpc: closing a WebSocket idle for %.0f s", now - conn.last_active)
                try:
                    await asyncio.wait_for(conn.ws.close(code=1000, message=b"idle timeout"), 1.0)
                except (TimeoutError, ConnectionError, RuntimeError):
                    pass

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        if self._ws_count >= self.limits.max_connections:
            return web.Response(status=429, text="Too many connections. Please try again later.\n")
        self._ws_count += 1
        try:
            ws = web.WebSocketResponse(
                max_msg_size=self.limits.max_body_bytes, autoping=True, heartbeat=self.limits.ping_interval
            )
            await ws.prepare(request)
            conn = _Connection(self, ws)
            self._conns.add(conn)
            try:
                async for msg in ws:
                    if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                        conn.last_active = time.monotonic()
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
            out = await self.handle_raw(data, conn, activations, conn.limiter)
            if out is not None:
                conn.send(out)
            for sub in activations:
                if not sub.closed:
                    sub.activate()
        except Exception:
            log.exception("rpc: websocket request failed")
        finally:
            conn.last_active = time.monotonic()
            conn.inflight.release()

    # ---- dispatch ----

    async def handle_raw(
        self,
        data: str | bytes,
        conn: _Connection | None,
        activations: list[_Subscription] | None = None,
        limiter: _RateLimiter | None = None,
    ) -> str | None:
        """Answer one HTTP body / WebSocket message; None when nothing is to be sent. `limiter`: the
        connection's rate limit (each call of a batch counts)."""
        try:
            text = data if isinstance(data, str) else data.decode()
            req = _loads(text)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, too deep
            return _dumps({"jsonrpc": "2.0", "error": _std_error(PARSE_ERROR, str(e)).to_json(), "id": None})
        max_depth = self.limits.max_depth
        if (
            isinstance(req, list | dict)
            and text.count("[") + text.count("{") > max_depth
            and _too_deep(req, max_depth)
        ):
            err = _std_error(PARSE_ERROR, f"arrays and objects nest deeper than {max_depth} levels")
            return _dumps({"jsonrpc": "2.0", "error": err.to_json(), "id": None})
        if activations is None:
            activations = []
        if isinstance(req, dict):
            resp = await self._handle_one(req, conn, activations, limiter)
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
            answers = await asyncio.gather(
                *[self._handle_one(item, conn, activations, limiter) for item in req]
            )
            out = [resp for resp in answers if resp is not None]
            return self._encode_batch(out) if out else None
        return self._encode(
            _error_response(None, _std_error(INVALID_REQUEST, "request must be an object or an array"))
        )

    def _over_limit(self, out: str) -> bool:
        limit = self.limits.max_response_bytes
        return len(out) > limit or (len(out) * 4 > limit and len(out.encode()) > limit)

    def _encode(self, resp: dict[str, Any]) -> str:
        """One response as JSON: a result that is not JSON becomes an internal error, one over
        `max_response_bytes` a -32008 "Response is too big" (as jsonrpsee)."""
        try:
            out = _dumps(resp)
        except (TypeError, ValueError, RecursionError) as e:
            log.error("rpc: result of request id %r is not JSON-serialisable: %s", resp.get("id"), e)
            return _dumps(_error_response(resp.get("id"), _std_error(INTERNAL_ERROR, "result is not JSON")))
        if self._over_limit(out):
            limit = self.limits.max_response_bytes
            log.info("rpc: answer to request id %r refused: over %d bytes", resp.get("id"), limit)
            err = RpcError(OVERSIZED_RESPONSE, OVERSIZED_RESPONSE_MESSAGE, f"Exceeded max limit of {limit}")
            return _dumps(_error_response(resp.get("id"), err))
        return out

    def _encode_batch(self, resps: list[dict[str, Any]]) -> str:
        out = "[" + ",".join(self._encode(r) for r in resps) + "]"
        if self._over_limit(out):
            limit = self.limits.max_response_bytes
            err = RpcError(TOO_BIG_BATCH_RESPONSE, TOO_BIG_BATCH_RESPONSE_MESSAGE, f"Exceeded max limit of {limit}")
            return _dumps(_error_response(None, err))
        return out

    async def _handle_one(
        self,
        req: Any,
        conn: _Connection | None,
        activations: list[_Subscription],
        limiter: _RateLimiter | None = None,
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
            if limiter is not None and not await limiter.acquire():
                raise RpcError(RATE_LIMITED, RATE_LIMITED_MESSAGE)
            if params is not None and not isinstance(params, list | dict):
                raise _std_error(INVALID_PARAMS, "params must be an array or an object")
            result = await self._call(name, params, conn, activations, has_id)
        except RpcError as e:
            return _error_response(rid, e) if has_id else None
        except asyncio.CancelledError:
            raise
        except RecursionError:  # a parameter nested too deep for a handler: the client's fault
            err = _std_error(INVALID_PARAMS, "parameters nest too deep")
            return _error_response(rid, err) if has_id else None
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
