"""The Python SDK: talk to a taochain node over JSON-RPC (HTTP for calls, WebSocket for watching).

    from taochain.client import Client
    from runtime.support.keys import keypair_from_uri

    c = Client("ws://127.0.0.1:9944")
    alice = keypair_from_uri("//Alice")
    print(c.account(alice.ss58))             # {'nonce': 0, 'free': ..., 'reserved': 0, 'frozen': 0}
    r = c.transfer(alice, "//Bob", 10**9, wait="inblock")
    print(r.success, r.message, r.block_hash)

`AsyncClient` is the asyncio original; `Client` runs it on a private event loop in a background
thread so that scripts and the CLI can call it synchronously. Calls are composed from the node's
JSON metadata (pallet and call indices, argument types), signed locally with runtime.support.tx and
submitted; results carry success and a message (`ExtrinsicResult`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp

from runtime.support import codec, tx
from runtime.support.hashing import blake2_256
from runtime.support.keys import InvalidKey, Keypair, keypair_from_uri, parse_account

DEFAULT_URL = "ws://127.0.0.1:9944"


class RpcError(Exception):
    """An error answered by the node: JSON-RPC code, message and data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} ({code})" + (f": {data}" if data else ""))
        self.code = code
        self.message = message
        self.data = data


class ConnectionFailed(Exception):
    """The node could not be reached."""


@dataclasses.dataclass(frozen=True, slots=True)
class ExtrinsicResult:
    """What happened to a submitted extrinsic."""

    success: bool
    message: str
    extrinsic_hash: str
    block_hash: str | None = None
    block_number: int | None = None
    events: tuple[dict, ...] = ()
    fee: int | None = None


def http_url(url: str) -> str:
    if url.startswith("ws://"):
        return "http://" + url[5:]
    if url.startswith("wss://"):
        return "https://" + url[6:]
    return url


def ws_url(url: str) -> str:
    if url.startswith("http://"):
        return "ws://" + url[7:]
    if url.startswith("https://"):
        return "wss://" + url[8:]
    return url


def to_account(who: str | bytes | Keypair) -> bytes:
    """An account id from an SS58 address, 0x-hex, a dev URI (//Bob) or a Keypair."""
    if isinstance(who, Keypair):
        return who.public
    if isinstance(who, bytes):
        if len(who) != 32:
            raise InvalidKey("an account id is 32 bytes")
        return who
    try:
        if who.startswith("//") or " " in who.strip():
            return keypair_from_uri(who).public
        return parse_account(who)
    except InvalidKey as exc:
        raise InvalidKey(
            f"{who!r} is not an account: give an SS58 address, a 0x account id or a dev URI such as //Bob ({exc})"
        ) from None


class AsyncClient:
    """asyncio JSON-RPC client. Use `async with AsyncClient(url) as c:` or call `close()`."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._metadata: dict | None = None
        self._genesis: bytes | None = None
        self._spec_version: int | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _sess(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    # ------------------------------------------------------------------ raw RPC
    async def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call over HTTP; raises RpcError with the node's code and message."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        try:
            async with self._sess().post(http_url(self.url), json=body) as resp:
                text = await resp.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(
                f"cannot reach a taochain node at {self.url} ({exc.__class__.__name__}); "
                "start one with `taochain node --dev` or pass --url"
            ) from None
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            raise RpcError(-32700, f"the node answered with non-JSON (HTTP {resp.status})", text[:200]) from None
        if "error" in msg:
            e = msg["error"]
            raise RpcError(e.get("code", 0), e.get("message", ""), e.get("data"))
        return msg.get("result")

    async def subscribe(self, method: str, params: list, unsubscribe: str) -> AsyncIterator[Any]:
        """Yield each notification of a subscription (over a WebSocket) until the caller stops."""
        sess = self._sess()
        try:
            ws = await sess.ws_connect(ws_url(self.url), heartbeat=20)
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"cannot open a WebSocket to {self.url}: {exc}") from None
        try:
            await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            sub_id = None
            async for m in ws:
                if m.type != aiohttp.WSMsgType.TEXT:
                    break
                msg = json.loads(m.data)
                if msg.get("id") == 1:
                    if "error" in msg:
                        e = msg["error"]
                        raise RpcError(e.get("code", 0), e.get("message", ""), e.get("data"))
                    sub_id = msg["result"]
                    continue
                p = msg.get("params") or {}
                if sub_id is not None and p.get("subscription") == sub_id:
                    yield p.get("result")
        finally:
            if not ws.closed:
                try:
                    if sub_id is not None:
                        await ws.send_json({"jsonrpc": "2.0", "id": 2, "method": unsubscribe, "params": [sub_id]})
                except (aiohttp.ClientError, ConnectionError, RuntimeError):
                    pass  # the connection is going away anyway: the node drops the subscription
                finally:
                    await ws.close()

    # ------------------------------------------------------------------ chain info
    async def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = await self.rpc("state_getMetadata")
        return self._metadata

    async def genesis_hash(self) -> bytes:
        if self._genesis is None:
            self._genesis = bytes.fromhex((await self.rpc("chain_getBlockHash", 0))[2:])
        return self._genesis

    async def spec_version(self) -> int:
        if self._spec_version is None:
            self._spec_version = (await self.rpc("state_getRuntimeVersion"))["specVersion"]
        return self._spec_version

    async def account(self, who: str | bytes | Keypair) -> dict:
        """{"nonce", "free", "reserved", "frozen"} in rao."""
        return await self.rpc("system_account", "0x" + to_account(who).hex())

    async def balance(self, who: str | bytes | Keypair) -> int:
        return (await self.account(who))["free"]

    async def next_nonce(self, who: str | bytes | Keypair) -> int:
        """The next nonce, counting the sender's transactions still in the node's pool."""
        return await self.rpc("system_accountNextIndex", "0x" + to_account(who).hex())

    async def header(self, block_hash: str | None = None) -> dict | None:
        return await self.rpc("chain_getHeader", *([block_hash] if block_hash else []))

    async def block_hash(self, number: int | None = None) -> str | None:
        return await self.rpc("chain_getBlockHash", *([] if number is None else [number]))

    async def block(self, block_hash: str | None = None) -> dict | None:
        return await self.rpc("chain_getBlock", *([block_hash] if block_hash else []))

    async def finalized_head(self) -> str:
        return await self.rpc("chain_getFinalizedHead")

    async def new_heads(self) -> AsyncIterator[dict]:
        async for h in self.subscribe("chain_subscribeNewHeads", [], "chain_unsubscribeNewHeads"):
            yield h

    async def finalized_heads(self) -> AsyncIterator[dict]:
        async for h in self.subscribe("chain_subscribeFinalizedHeads", [], "chain_unsubscribeFinalizedHeads"):
            yield h

    # ------------------------------------------------------------------ extrinsics
    async def compose_call(self, pallet: str, name: str, *args: Any) -> list:
        """A call's wire form from the node's metadata; accounts may be given as SS58/URIs."""
        md = await self.metadata()
        for p in md["pallets"]:
            if p["name"] != pallet:
                continue
            for c in p["calls"]:
                if c["name"] != name:
                    continue
                if len(args) != len(c["args"]):
                    names = ", ".join(a["name"] for a in c["args"])
                    raise ValueError(f"{pallet}.{name} takes {len(c['args'])} arguments ({names})")
                wire = [_arg_to_wire(a["type"], v) for a, v in zip(c["args"], args, strict=True)]
                return [p["index"], c["index"], wire]
            raise ValueError(f"pallet {pallet} has no call {name!r}")
        raise ValueError(f"the node has no pallet {pallet!r}")

    async def sign(self, key: Keypair, call_wire: list, nonce: int | None = None, tip: int = 0) -> bytes:
        if nonce is None:
            nonce = await self.next_nonce(key)
        return tx.sign_extrinsic(key, call_wire, nonce, await self.genesis_hash(), await self.spec_version(), tip)

    async def submit(self, xt: bytes) -> str:
        """Submit; returns the extrinsic hash. Raises RpcError (1010 with the reason, ...)."""
        return await self.rpc("author_submitExtrinsic", "0x" + xt.hex())

    async def submit_and_watch(self, xt: bytes) -> AsyncIterator[Any]:
        """Yield the pool's status updates: "ready", {"inBlock": h}, {"finalized": h}, ..."""
        async for status in self.subscribe(
            "author_submitAndWatchExtrinsic", ["0x" + xt.hex()], "author_unwatchExtrinsic"
        ):
            yield status

    async def submit_call(
        self, key: Keypair, call_wire: list, wait: str = "inblock", tip: int = 0, nonce: int | None = None
    ) -> ExtrinsicResult:
        """Sign, submit and (unless wait="none") follow an extrinsic to inclusion or finality,
        then read its events to say whether the call succeeded."""
        xt = await self.sign(key, call_wire, nonce, tip)
        xt_hash = "0x" + blake2_256(xt).hex()
        if wait == "none":
            await self.submit(xt)
            return ExtrinsicResult(True, "submitted", xt_hash)
        target = "finalized" if wait == "finalized" else "inBlock"
        async for status in self.submit_and_watch(xt):
            if isinstance(status, dict) and target in status:
                return await self.extrinsic_outcome(xt_hash, status[target])
            if status in ("invalid", "dropped") or (isinstance(status, dict) and "usurped" in status):
                return ExtrinsicResult(False, f"the transaction was {status if isinstance(status, str) else 'usurped'}", xt_hash)
        return ExtrinsicResult(False, "the watch ended before inclusion", xt_hash)

    async def extrinsic_outcome(self, xt_hash: str, block_hash: str) -> ExtrinsicResult:
        blk = await self.block(block_hash)
        number = int(blk["block"]["header"]["number"], 16)
        index = next(
            (i for i, x in enumerate(blk["block"]["extrinsics"]) if "0x" + blake2_256(bytes.fromhex(x[2:])).hex() == xt_hash),
            None,
        )
        events = await self.rpc("chain_getEvents", block_hash)
        mine = tuple(e for e in events if e.get("phase") == index)
        failed = next((e for e in mine if e["name"] == "System.ExtrinsicFailed"), None)
        fee = next((e["fields"]["actual_fee"] for e in mine if e["name"] == "TransactionPayment.TransactionFeePaid"), None)
        if failed is not None:
            return ExtrinsicResult(False, failed["fields"]["error"], xt_hash, block_hash, number, mine, fee)
        return ExtrinsicResult(True, "success", xt_hash, block_hash, number, mine, fee)

    async def transfer(
        self, key: Keypair, dest: str | bytes | Keypair, amount: int, keep_alive: bool = False, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Transfer `amount` rao. wait: "none" | "inblock" | "finalized"."""
        name = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
        call = await self.compose_call("Balances", name, to_account(dest), amount)
        return await self.submit_call(key, call, wait)

    async def transfer_all(self, key: Keypair, dest: str | bytes | Keypair, keep_alive: bool, wait: str = "inblock") -> ExtrinsicResult:
        call = await self.compose_call("Balances", "transfer_all", to_account(dest), keep_alive)
        return await self.submit_call(key, call, wait)


def _arg_to_wire(type_name: str, v: Any) -> Any:
    """Convert a Python argument to the wire form named by the metadata type."""
    if type_name == "bytes32" and isinstance(v, str | Keypair):
        return to_account(v)
    if type_name.startswith("u") and type_name[1:].isdigit():
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"expected an integer for {type_name}, got {v!r}")
        bits = int(type_name[1:])
        if not 0 <= v < 1 << bits:
            raise ValueError(f"{v} does not fit {type_name}")
        return v.to_bytes(16, "big") if bits == 128 else v
    if type_name == "RuntimeCall" and isinstance(v, list):
        return v
    return codec.decode(codec.encode(v))  # plain values pass through (bytes, bool, str, lists)


class Client:
    """Synchronous facade over AsyncClient (its own event loop in a daemon thread)."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = 30.0) -> None:
        self._async = AsyncClient(url, timeout)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="taochain-client", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self._async.url

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        self._run(self._async.close())
        self._loop.call_soon_threadsafe(self._loop.stop)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        attr = getattr(self._async, name)
        if not callable(attr):
            return attr
        if name in ("subscribe", "new_heads", "finalized_heads", "submit_and_watch"):
            return lambda *a, **kw: self._iterate(attr(*a, **kw))
        return lambda *a, **kw: self._run(attr(*a, **kw))

    def _iterate(self, agen: AsyncIterator[Any]) -> Iterator[Any]:
        try:
            while True:
                try:
                    yield self._run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._run(agen.aclose())
