"""The Python SDK: talk to a taochain node over JSON-RPC (HTTP for calls, WebSocket for watching).

    from taochain.client import Client
    from runtime.support.keys import keypair_from_uri

    c = Client("ws://127.0.0.1:9944")
    alice = keypair_from_uri("//Alice")
    print(c.account(alice.ss58))             # {'nonce': 0, 'free': ..., 'reserved': 0, 'frozen': 0}
    r = c.transfer(alice, "//Bob", 10**9, wait="inblock")
    print(r.success, r.message, r.block_hash)

`AsyncClient` is the asyncio original; `Client` runs it on a private event loop in a background
thread so that scripts and the CLI can call it synchronously. Calls are composed into SCALE call bytes from
the node's SCALE metadata (`scale()`: state_getMetadata as a codec, runtime/support/scale_portable.py,
the declared argument types), signed locally as Substrate v4 extrinsics (runtime.support.tx) and
submitted; results carry success and a message (`ExtrinsicResult`). `dry_run` says what a signed
extrinsic would do (the node's system_dryRun) without sending it. Error hints, the reasons a
timelocked commit is dropped and the hyperparameter table come from the node (its metadata and
views), never from copies here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import itertools
import json
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from runtime.support import codec, tx
from runtime.support.digest import DIGEST_ITEM, aura_slot
from runtime.support.hashing import blake2_256, commit_hash, storage_prefix
from runtime.support.keys import InvalidKey, Keypair, keypair_from_uri, parse_account
from runtime.support.scale import U64S
from runtime.support.scale_portable import PortableCodec

if TYPE_CHECKING:
    from taochain.metagraph import Metagraph

DEFAULT_URL = "ws://127.0.0.1:9944"
DEFAULT_BLOCK_TIME_MS = 12_000  # Bittensor's slot, when the chain's cannot be read (no block yet)
TIMELOCK_VERSION = 4  # commit_reveal_version of timelocked commits (2: hash commits)
# what a dry run of an unsolved PoW registration may answer once every check before the seal passed
POW_SEAL_ERRORS = tuple(
    f"SubtensorModule.{e}" for e in ("InvalidWorkBlock", "WorkAlreadyUsed", "InvalidDifficulty", "InvalidSeal")
)


UNSAFE_REFUSED = -32601  # the node's answer to an unsafe method (Substrate's), as to an unknown one


class RpcError(Exception):
    """An error answered by the node: JSON-RPC code, message and data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} ({code})" + (f": {data}" if data else ""))
        self.code = code
        self.message = message
        self.data = data


class ConnectionFailed(Exception):
    """The node could not be reached, or refused the connection."""


_REFUSALS = {429: "too many connections", 403: "origin not allowed", 413: "request too large"}


def _refused(url: str, status: int) -> ConnectionFailed:
    """A node that is up but turned the connection away: say so, not "start a node"."""
    why = _REFUSALS.get(status, "HTTP error")
    return ConnectionFailed(f"the node at {url} refused the connection: {why} ({status})")


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
    hint: str | None = None  # what the error means and how to fix it: the pallet's doc ("cause; fix")

    @property
    def error(self) -> str | None:
        """The dispatch error's name ("SubtensorModule.NotEnoughBalanceToStake") when the call
        failed on chain (for a Sudo call: the inner call's error), else None."""
        if self.success or "." not in self.message or " " in self.message:
            return None
        return self.message

    @property
    def extrinsic_fee(self) -> int | None:
        """The fee paid in rao (bittensor's ExtrinsicResponse name for `fee`)."""
        return self.fee

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as (success, message), like bittensor's ExtrinsicResponse:

            ok, msg = c.transfer(alice, "//Bob", 10**9)
        """
        return iter((self.success, self.message))

    def __str__(self) -> str:
        if self.success:
            return f"success in block #{self.block_number}" if self.block_number is not None else self.message
        return self.message + (f" ({self.hint})" if self.hint else "")


def hint_of(doc: str | None, detail: str | None = None) -> str | None:
    """A runtime doc ("cause\nfix", as the metadata and system_dryRun give it) as one line:
    "cause (detail); fix"."""
    if not doc:
        return None
    cause, _, fix = doc.partition("\n")
    if detail:
        cause = f"{cause} ({detail})"
    return f"{cause}; {fix}" if fix else cause


@dataclasses.dataclass(frozen=True, slots=True)
class DryRunResult:
    """What a signed extrinsic would do if submitted now (the node's system_dryRun); nothing was
    sent.

    `success`: it would be included and its call succeed. Else `error` names what refuses it: the
    call's dispatch error ("SubtensorModule.NotSubnetOwner"; for a sudo call, the inner call's),
    the extrinsic then still being included and paying its fee (`included`), or a transaction
    validity error ("InvalidTransaction.Payment", "InvalidTransaction.Stale", ...): not included,
    nothing paid. `cause` and `fix` are the runtime's doc of that error (the pallet's own words),
    `detail` what the runtime said about this case; `hint` is them in one line. `events` are the
    events it would emit (as events() shows them), `fee` the fee in rao; `raw` the RPC answer.
    `checked` is False when the node refuses dry runs to this client (system_dryRun is unsafe, as
    Substrate's: a node with public RPC serves it only with --rpc-methods unsafe): then nothing was
    judged, `success` is True and `fee` is payment_queryInfo's; the chain checks the call when it
    is submitted."""

    success: bool
    included: bool
    error: str | None = None
    cause: str | None = None
    fix: str | None = None
    detail: str | None = None
    events: tuple[dict, ...] = ()
    fee: int | None = None
    raw: dict = dataclasses.field(default_factory=dict, repr=False)
    checked: bool = True  # False: the node serves no dry run to this client (unsafe method); not judged

    @property
    def hint(self) -> str | None:
        if self.cause is None:
            return None
        return hint_of(self.cause + (f"\n{self.fix}" if self.fix else ""), self.detail)

    def __str__(self) -> str:
        if self.success:
            return "the call would succeed" + ("" if self.fee is None else f" (fee {self.fee} rao)")
        return f"{self.error}" + (f" ({self.hint})" if self.hint else "")


U16_MAX = 0xFFFF


def weights_to_u16(uids: list[int], weights: list[float] | list[int]) -> list[int]:
    """Weights (floats or ints, non-negative) as u16 values scaled so the largest is 65535, as
    bittensor's convert_weights_and_uids_for_emit (the given uids are kept, zeros included)."""
    if len(uids) != len(weights):
        raise ValueError(f"{len(uids)} uids but {len(weights)} weights: give one weight per uid")
    for u in uids:
        if isinstance(u, bool) or not isinstance(u, int) or not 0 <= u <= U16_MAX:
            raise ValueError(f"uid {u!r} is not a u16")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    m = max(weights, default=0)
    if m == 0:
        return [0] * len(weights)
    return [round(float(w) / float(m) * U16_MAX) for w in weights]


def drand_round_at(t: float, genesis_time: int, period: int) -> int:
    """drand's round at Unix time `t` (seconds): round 1 is emitted at genesis, then one every
    `period` seconds, so the round of t is the last one emitted by then (at least 1)."""
    if t < genesis_time:
        return 1
    return int((t - genesis_time) // period) + 1


def epoch_first_block(epoch: int, tempo: int, netuid: int) -> int:
    """The first block of a subnet's (classic) epoch: epoch(b) = (b + netuid + 1) // (tempo + 1)."""
    return max(0, epoch * (tempo + 1) - netuid - 1)


def epoch_of_block(block: int, tempo: int, netuid: int) -> int:
    return (block + netuid + 1) // (tempo + 1)


def parse_ip(ip: str) -> tuple[int, int]:
    """(ip as an integer, ip_type 4 or 6) of a dotted IPv4 or an IPv6 address."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        raise ValueError(f"{ip!r} is not an IPv4 or IPv6 address") from None
    return int(addr), addr.version


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


NETWORKS = {"local": DEFAULT_URL}


def resolve_network(network: str | None) -> str:
    """A node URL from bittensor-style `network`: "local" ($BT_SUBTENSOR_CHAIN_ENDPOINT, else
    ws://127.0.0.1:9944), a ws://, wss://, http:// or https:// URL, or host:port. None: "local"."""
    if network is None or network == "local":
        return os.environ.get("BT_SUBTENSOR_CHAIN_ENDPOINT") or DEFAULT_URL
    if network in NETWORKS:
        return NETWORKS[network]
    if network.startswith(("ws://", "wss://", "http://", "https://")):
        return network
    if network in ("finney", "test", "archive", "latent-lite"):
        raise ValueError(f"{network!r} is a Bittensor network, not a taochain one: give a node URL or 'local'")
    if ":" in network:
        return "ws://" + network
    raise ValueError(f"unknown network {network!r}: give 'local' or a ws:// URL")


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
    """asyncio JSON-RPC client. Use `async with AsyncClient(url) as c:` or call `close()`.

        async with AsyncClient(network="local") as c:
            mg = await c.metagraph(1)
            ok, msg = await c.transfer(keypair_from_uri("//Alice"), "//Bob", 10**9)
            async for blk in c.subscribe_events():
                print(blk["block_number"], [e["name"] for e in blk["events"]])

    `url` (or bittensor's `network=`): "local", a ws:// or http:// URL (see resolve_network).
    """

    def __init__(self, url: str | None = None, timeout: float = 30.0, *, network: str | None = None) -> None:
        self.url = resolve_network(url if url is not None else network)
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._metadata: dict | None = None
        self._scale: PortableCodec | None = None
        self._docs: dict[str, str] | None = None  # "Pallet.Error" -> its doc, from the metadata
        self._hp_table: list[dict] | None = None
        self._genesis: bytes | None = None
        self._spec_version: int | None = None
        self._tx_version: int | None = None

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
                if resp.status in (403, 429):
                    raise _refused(self.url, resp.status)
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
        except aiohttp.WSServerHandshakeError as exc:  # the node answered, with a refusal
            raise _refused(self.url, exc.status) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(
                f"cannot open a WebSocket to {self.url} ({exc}); start a node with `taochain node --dev` or pass --url"
            ) from None
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
            self._metadata = await self.rpc("taochain_getMetadataJson")
        return self._metadata

    async def error_doc(self, error: str) -> str | None:
        """The doc of a dispatch error ("SubtensorModule.NotSubnetOwner"), from the node's
        metadata (read once per client): its cause, then on a second line its fix. None: unknown."""
        if self._docs is None:
            md = await self.metadata()
            self._docs = {f"{p['name']}.{e['name']}": e.get("doc", "") for p in md["pallets"] for e in p["errors"]}
        return self._docs.get(error) or None

    async def error_hint(self, error: str | None) -> str | None:
        """What a dispatch error means and how to fix it, in one line ("cause; fix"), from the metadata."""
        return None if error is None else hint_of(await self.error_doc(error))

    async def event_codes(self, event: str, field: str) -> dict[int, str]:
        """The documented codes of an event's field, code -> name, from the metadata (e.g.
        ("SubtensorModule.TimelockedWeightsDropped", "reason") -> {0: "PulseMissing", ...})."""
        pallet, _, name = event.partition(".")
        md = await self.metadata()
        for p in md["pallets"]:
            if p["name"] != pallet:
                continue
            for e in p["events"]:
                if e["name"] == name:
                    return {c["index"]: c["name"] for c in e.get("enums", {}).get(field, [])}
        return {}

    async def genesis_hash(self) -> bytes:
        if self._genesis is None:
            self._genesis = bytes.fromhex((await self.rpc("chain_getBlockHash", 0))[2:])
        return self._genesis

    async def spec_version(self) -> int:
        if self._spec_version is None:
            await self._runtime_version()
        return self._spec_version  # type: ignore[return-value]

    async def transaction_version(self) -> int:
        if self._tx_version is None:
            await self._runtime_version()
        return self._tx_version  # type: ignore[return-value]

    async def _runtime_version(self) -> None:
        v = await self.rpc("state_getRuntimeVersion")
        self._spec_version, self._tx_version = v["specVersion"], v["transactionVersion"]

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
    async def scale(self) -> PortableCodec:
        """The node's SCALE codec: its V14 metadata (`state_getMetadata`, read once per client)
        driving encoding and decoding of calls, storage, events and errors by their declared types."""
        if self._scale is None:
            raw = await self.rpc("state_getMetadata")
            self._scale = PortableCodec(bytes.fromhex(raw.removeprefix("0x")))
        return self._scale

    async def compose_call(self, pallet: str, name: str, *args: Any) -> bytes:
        """A call's SCALE bytes (RuntimeCall: pallet index, call index, arguments) from the node's
        metadata types (`scale()`). Takes Python arguments: accounts as SS58, 0x-hex, dev URIs
        (//Bob), Keypairs or 32 bytes; integers; lists of integers; bytes; booleans. A nested call
        (Sudo.sudo's `call`) is the bytes of a call composed here, or a (pallet, name, args) triple
        composed with the same conversions."""
        return _compose_scale(await self.scale(), pallet, name, args)

    async def sign(self, key: Keypair, call: bytes, nonce: int | None = None, tip: int = 0) -> bytes:
        """A signed v4 extrinsic of `call` (compose_call's bytes), immortal, by `key` (sr25519 or
        ed25519, its own scheme), with the sender's next nonce unless given."""
        if nonce is None:
            nonce = await self.next_nonce(key)
        return tx.sign_extrinsic(
            key, call, nonce=nonce, genesis_hash=await self.genesis_hash(), spec_version=await self.spec_version(),
            tx_version=await self.transaction_version(), tip=tip,
        )

    async def submit(self, xt: bytes) -> str:
        """Submit; returns the extrinsic hash. Raises RpcError (1010 with the reason, ...)."""
        return await self.rpc("author_submitExtrinsic", "0x" + xt.hex())

    async def submit_and_watch(self, xt: bytes) -> AsyncIterator[Any]:
        """Yield the pool's status updates: "ready", {"inBlock": h}, {"finalized": h}, ..."""
        async for status in self.subscribe(
            "author_submitAndWatchExtrinsic", ["0x" + xt.hex()], "author_unwatchExtrinsic"
        ):
            yield status

    async def dry_run(self, xt: bytes | str, at: str | None = None) -> DryRunResult:
        """What the signed extrinsic `xt` would do if submitted now (on top of the best block, or
        of block `at`), without sending it: the node's system_dryRun, which applies it as the next
        block would and throws the result away. Refusals carry the pallet's error name, its cause
        and its fix (see DryRunResult).

            xt = c.sign(alice, c.compose_call("SubtensorModule", "start_call", 1))
            d = c.dry_run(xt)
            if not d.success: print(d.error, d.hint)
            else: c.submit_signed(xt)
        """
        text = xt if isinstance(xt, str) else "0x" + xt.hex()
        try:
            raw = await self.rpc("system_dryRun", text, *self._at(at))
        except RpcError as exc:
            if exc.code != UNSAFE_REFUSED:
                raise
            info = await self.rpc("payment_queryInfo", text, *self._at(at))
            return DryRunResult(True, True, fee=int(info["partialFee"]), checked=False,
                                detail="the node serves no dry run to this client (system_dryRun is unsafe)")
        events = tuple(raw.get("events") or ())
        fee = raw.get("fee")
        if "err" in raw:  # a transaction-validity error: not includable
            e = raw["err"]
            cause, _, fix = (e.get("doc") or e.get("message") or "").partition("\n")
            kind = (f"InvalidTransaction.{e['invalid']}" if "invalid" in e
                    else f"UnknownTransaction.{e.get('unknown')}")
            return DryRunResult(False, False, kind, cause, fix or None,
                                e.get("detail") or None, events, fee, raw)
        result = raw["ok"]
        if "err" in result:
            m = result["err"].get("module", {})
            cause, _, fix = (m.get("doc") or "").partition("\n")
            return DryRunResult(False, True, f"{m.get('pallet')}.{m.get('error')}", cause or None, fix or None,
                                m.get("detail") or None, events, fee, raw)
        sudid = next((e for e in events if e["name"] == "Sudo.Sudid" and not e["fields"]["ok"]), None)
        if sudid is not None:  # sudo itself succeeds; its inner call's error is in Sudid
            error = sudid["fields"]["error"]
            cause, _, fix = (await self.error_doc(error) or "").partition("\n")
            return DryRunResult(False, True, error, cause or None, fix or None, None, events, fee, raw)
        return DryRunResult(True, True, None, None, None, None, events, fee, raw)

    async def submit_call(
        self, key: Keypair, call: bytes, wait: str = "inblock", tip: int = 0, nonce: int | None = None
    ) -> ExtrinsicResult:
        """Sign, submit and (unless wait="none") follow an extrinsic to inclusion or finality,
        then read its events to say whether the call succeeded."""
        return await self.submit_signed(await self.sign(key, call, nonce, tip), wait)

    async def submit_signed(self, xt: bytes, wait: str = "inblock") -> ExtrinsicResult:
        """Submit an extrinsic signed already (e.g. the one dry_run checked) and follow it as
        submit_call does."""
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
            error = failed["fields"]["error"]
            return ExtrinsicResult(False, error, xt_hash, block_hash, number, mine, fee, await self.error_hint(error))
        sudid = next((e for e in mine if e["name"] == "Sudo.Sudid" and not e["fields"]["ok"]), None)
        if sudid is not None:  # sudo itself succeeds; the inner call's error is in Sudid
            error = sudid["fields"]["error"]
            return ExtrinsicResult(False, error, xt_hash, block_hash, number, mine, fee, await self.error_hint(error))
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

    # ------------------------------------------------------------------ subnets (SubtensorModule)
    async def _subtensor(self, key: Keypair, name: str, *args: Any, wait: str = "inblock") -> ExtrinsicResult:
        call = await self.compose_call("SubtensorModule", name, *args)
        return await self.submit_call(key, call, wait)

    async def register_network(
        self, coldkey: Keypair, hotkey: str | bytes | Keypair, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Create a subnet owned by `coldkey` (it pays lock_cost()); `hotkey` becomes its uid 0.
        The new netuid is in the NetworkAdded event (`netuid_of(result)`)."""
        return await self._subtensor(coldkey, "register_network", to_account(hotkey), wait=wait)

    async def start_call(self, coldkey: Keypair, netuid: int, wait: str = "inblock") -> ExtrinsicResult:
        """Start the subnet's emission (the owner's coldkey signs)."""
        return await self._subtensor(coldkey, "start_call", netuid, wait=wait)

    async def burned_register(
        self, coldkey: Keypair, netuid: int, hotkey: str | bytes | Keypair, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Register `hotkey` on `netuid`, burning the subnet's burn from `coldkey` (which then owns
        the hotkey)."""
        return await self._subtensor(coldkey, "burned_register", netuid, to_account(hotkey), wait=wait)

    async def best_block(self) -> tuple[int, bytes]:
        """(number, hash) of the node's best block."""
        h = await self.block_hash()
        hdr = await self.header(h)
        return int(hdr["number"], 16), bytes.fromhex(h[2:])

    async def pow_register(
        self,
        hotkey_key: Keypair,
        netuid: int,
        coldkey: str | bytes | Keypair,
        progress: Callable[[int], None] | None = None,
        wait: str = "inblock",
        max_tries: int = 1 << 40,
    ) -> ExtrinsicResult:
        """Register `hotkey_key` on `netuid` (owned by `coldkey`) by solving the subnet's proof of
        work on the CPU (in a thread; the block it works over is refreshed from the node every
        chunk), then submitting SubtensorModule.register signed by the hotkey (free). A seal that
        went stale before inclusion (InvalidWorkBlock) is solved again, up to 3 times. Before
        solving, an unsolved registration is dry-run: when the chain refuses it before looking at
        the seal (no subnet, registration or PoW switched off, rate limits, the hotkey registered
        already), nothing is solved or sent and the result names that error (with its hint)."""
        from taochain.pow import solve  # noqa: PLC0415

        cold = to_account(coldkey)
        best, _ = await self.best_block()
        unsolved = await self.compose_call(
            "SubtensorModule", "register", netuid, best, 0, b"\0" * 32, hotkey_key.public, cold
        )
        nonce = (await self.account(hotkey_key))["nonce"]  # the call is judged, whatever waits in the pool
        d = await self.dry_run(await self.sign(hotkey_key, unsolved, nonce))
        if not d.success and d.error not in POW_SEAL_ERRORS:
            return ExtrinsicResult(False, d.error or "refused", "", hint=d.hint)
        hp = await self.hyperparameters(netuid)
        if hp is None:
            raise ValueError(f"there is no subnet {netuid}: list the subnets with subnets()")
        loop = asyncio.get_running_loop()

        def latest() -> tuple[int, bytes]:
            return asyncio.run_coroutine_threadsafe(self.best_block(), loop).result(self.timeout)

        r = ExtrinsicResult(False, "not submitted", "")
        for _ in range(4):
            difficulty = (await self.hyperparameters(netuid) or hp)["difficulty"]
            sol = await asyncio.to_thread(solve, latest, hotkey_key.public, difficulty, progress, 20_000, max_tries)
            r = await self._subtensor(
                hotkey_key, "register", netuid, sol.block_number, sol.nonce, sol.seal, hotkey_key.public, cold,
                wait=wait,
            )
            if r.error not in ("SubtensorModule.InvalidWorkBlock", "SubtensorModule.InvalidDifficulty"):
                return r
        return r

    async def add_stake(
        self, coldkey: Keypair, hotkey: str | bytes | Keypair, amount_rao: int, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Stake `amount_rao` of the coldkey's free balance on `hotkey` (its own, or a delegate)."""
        return await self._subtensor(coldkey, "add_stake", to_account(hotkey), amount_rao, wait=wait)

    async def remove_stake(
        self, coldkey: Keypair, hotkey: str | bytes | Keypair, amount_rao: int, wait: str = "inblock"
    ) -> ExtrinsicResult:
        return await self._subtensor(coldkey, "remove_stake", to_account(hotkey), amount_rao, wait=wait)

    async def become_delegate(
        self, coldkey: Keypair, hotkey: str | bytes | Keypair, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Let other coldkeys stake on `hotkey` (owned by `coldkey`)."""
        return await self._subtensor(coldkey, "become_delegate", to_account(hotkey), wait=wait)

    async def set_weights(
        self,
        hotkey_key: Keypair,
        netuid: int,
        uids: list[int],
        weights: list[float] | list[int],
        version_key: int = 0,
        wait: str = "inblock",
    ) -> ExtrinsicResult:
        """Set weights directly (subnets with commit-reveal off); weights are scaled to u16."""
        values = weights_to_u16(list(uids), list(weights))
        return await self._subtensor(hotkey_key, "set_weights", netuid, list(uids), values, version_key, wait=wait)

    async def commit_weights(
        self,
        hotkey_key: Keypair,
        netuid: int,
        uids: list[int],
        weights: list[float] | list[int],
        salt: list[int] | None = None,
        version_key: int = 0,
        wait: str = "inblock",
    ) -> tuple[ExtrinsicResult, dict]:
        """Commit to weights by their hash. Returns (result, record): keep the record
        {"netuid", "uids", "values", "salt", "version_key", "hash"} to reveal in the reveal epoch
        (see pending_commits())."""
        call, record = await self.commit_weights_call(hotkey_key, netuid, uids, weights, salt, version_key)
        return await self.submit_call(hotkey_key, call, wait), record

    async def commit_weights_call(
        self,
        hotkey: str | bytes | Keypair,
        netuid: int,
        uids: list[int],
        weights: list[float] | list[int],
        salt: list[int] | None = None,
        version_key: int = 0,
    ) -> tuple[list, dict]:
        """commit_weights' call (to sign, dry-run or submit) and its record; nothing is sent."""
        uids = list(uids)
        values = weights_to_u16(uids, list(weights))
        salt = [secrets.randbelow(U16_MAX + 1) for _ in range(8)] if salt is None else list(salt)
        digest = commit_hash(to_account(hotkey), netuid, uids, values, salt, version_key)
        record = {"netuid": netuid, "uids": uids, "values": values, "salt": salt, "version_key": version_key,
                  "hash": "0x" + digest.hex()}
        return await self.compose_call("SubtensorModule", "commit_weights", netuid, digest), record

    async def reveal_weights(
        self,
        hotkey_key: Keypair,
        netuid: int,
        uids: list[int],
        values: list[int],
        salt: list[int],
        version_key: int = 0,
        wait: str = "inblock",
    ) -> ExtrinsicResult:
        """Reveal a commit: the record's uids, (u16) values, salt and version_key."""
        return await self._subtensor(
            hotkey_key, "reveal_weights", netuid, list(uids), list(values), list(salt), version_key, wait=wait
        )

    async def chain_clock(self) -> tuple[int, int, int]:
        """(head block number, head timestamp in ms, block time in ms) read from the chain: the
        head's Timestamp.Now and its Aura slot (blocks are stamped slot * slot duration, so the
        slot duration is their quotient). Before the first block the timestamp is the local
        clock's and the block time DEFAULT_BLOCK_TIME_MS."""
        h = await self.block_hash()
        hdr = await self.header(h)
        number = int(hdr["number"], 16)
        items = []
        for log in hdr["digest"]["logs"]:
            try:
                items.append(DIGEST_ITEM.decode(bytes.fromhex(log[2:])))
            except (codec.CodecError, ValueError):
                continue
        slot = aura_slot(items)
        raw = await self.rpc("state_getStorage", "0x" + storage_prefix("Timestamp", "Now").hex(), h)
        now_ms = U64S.decode(bytes.fromhex(raw[2:])) if raw else 0  # Timestamp.Now: SCALE u64
        if not now_ms or not slot:
            return number, int(time.time() * 1000), DEFAULT_BLOCK_TIME_MS
        return number, now_ms, max(1, now_ms // slot)

    async def reveal_plan(self, netuid: int, block_time_ms: int | None = None) -> dict:
        """When a timelocked commit sent now would be revealed: {"commit_epoch", "reveal_epoch",
        "reveal_block" (the reveal epoch's first block), "reveal_time" (Unix s, estimated),
        "reveal_round", "block_time_ms", "last_stored_round"}. The reveal round is drand's round at
        the estimated time of the reveal epoch's first block (head timestamp + the blocks until
        then times the block time), never below the chain's last stored round. Blocks can come
        later than their slot but never earlier, so the round's pulse is due by that block."""
        hp = await self.hyperparameters(netuid)
        if hp is None:
            raise ValueError(f"there is no subnet {netuid}: list the subnets with subnets()")
        st = await self.drand_status()
        head, now_ms, slot_ms = await self.chain_clock()
        block_ms = block_time_ms or slot_ms
        tempo = hp["tempo"]
        commit_epoch = epoch_of_block(head + 1, tempo, netuid)  # the block the commit lands in
        reveal_epoch = commit_epoch + hp["commit_reveal_period"]
        reveal_block = epoch_first_block(reveal_epoch, tempo, netuid)
        reveal_time = (now_ms + max(0, reveal_block - head) * block_ms) / 1000
        round_ = max(drand_round_at(reveal_time, st["genesisTime"], st["period"]), st["lastStoredRound"])
        return {"commit_epoch": commit_epoch, "reveal_epoch": reveal_epoch, "reveal_block": reveal_block,
                "reveal_time": reveal_time, "reveal_round": round_, "block_time_ms": block_ms,
                "last_stored_round": st["lastStoredRound"]}

    async def commit_timelocked_weights(
        self,
        hotkey_key: Keypair,
        netuid: int,
        uids: list[int],
        weights: list[float] | list[int],
        version_key: int = 0,
        reveal_round: int | None = None,
        wait: str = "inblock",
        block_time_ms: int | None = None,
    ) -> tuple[ExtrinsicResult, dict]:
        """Commit weights encrypted to a drand round (subnets with commit_reveal_version 4); the
        chain decrypts and sets them itself in the reveal epoch (commit epoch + the subnet's
        commit_reveal_period) once that round's pulse is stored: there is nothing to reveal.

        Weights are scaled to u16 as in commit_weights; the payload (hotkey, uids, values,
        version_key: bittensor-drand's format) is encrypted to the chain's beacon key
        (drand_status()["publicKey"]). `reveal_round` defaults to reveal_plan()'s; `block_time_ms`
        overrides the block time read from the chain. Returns (result, record) with record
        {"netuid", "reveal_round", "reveal_epoch", "uids", "values", "version_key", "hash"} (hash:
        blake2_256 of the ciphertext, as in the TimelockedWeightsCommitted event).

            r, rec = c.commit_timelocked_weights(keypair_from_uri("//Bob//v"), 1, [0, 2], [0.25, 0.75])
            print(r.success, rec["reveal_round"], rec["reveal_epoch"])
        """
        call, record = await self.timelocked_commit_call(
            hotkey_key, netuid, uids, weights, version_key, reveal_round, block_time_ms
        )
        return await self.submit_call(hotkey_key, call, wait), record

    async def timelocked_commit_call(
        self,
        hotkey: str | bytes | Keypair,
        netuid: int,
        uids: list[int],
        weights: list[float] | list[int],
        version_key: int = 0,
        reveal_round: int | None = None,
        block_time_ms: int | None = None,
    ) -> tuple[list, dict]:
        """commit_timelocked_weights' call (the weights encrypted, to sign, dry-run or submit) and
        its record; nothing is sent."""
        from runtime.support import tlock  # noqa: PLC0415

        uids = list(uids)
        values = weights_to_u16(uids, list(weights))
        plan = await self.reveal_plan(netuid, block_time_ms)
        if reveal_round is None:
            reveal_round = plan["reveal_round"]
        st = await self.drand_status()
        payload = tlock.encode_weights_payload(to_account(hotkey), uids, values, version_key)
        commit = await asyncio.to_thread(
            tlock.encrypt, bytes.fromhex(st["publicKey"][2:]), reveal_round, payload, os.urandom(76)
        )
        record = {"netuid": netuid, "reveal_round": reveal_round, "reveal_epoch": plan["reveal_epoch"],
                  "uids": uids, "values": values, "version_key": version_key,
                  "hash": "0x" + blake2_256(commit).hex()}
        call = await self.compose_call(
            "SubtensorModule", "commit_timelocked_weights", netuid, commit, reveal_round, TIMELOCK_VERSION
        )
        return call, record

    async def serve_axon(
        self,
        hotkey_key: Keypair,
        netuid: int,
        ip: str,
        port: int,
        protocol: int = 4,
        version: int = 0,
        wait: str = "inblock",
    ) -> ExtrinsicResult:
        """Announce the hotkey's axon (IPv4 or IPv6 address text, port)."""
        ip_int, ip_type = parse_ip(ip)
        return await self._subtensor(
            hotkey_key, "serve_axon", netuid, version, ip_int, port, ip_type, protocol, 0, 0, wait=wait
        )

    async def set_hyperparameter(
        self, key: Keypair, netuid: int, name: str, value: Any, sudo: bool = False, wait: str = "inblock"
    ) -> ExtrinsicResult:
        """Set a subnet hyperparameter with its AdminUtils setter (from hyperparameter_table());
        `name` is the hyperparameters() field name ("tempo", "immunity_period", ...) or the
        setter's (its sudo_set_ suffix). Parameters the owner may set are signed by the subnet
        owner's coldkey; root ones need sudo=True (the call is wrapped in Sudo.sudo and signed by
        the sudo key)."""
        return await self.submit_call(key, await self.hyperparameter_call(netuid, name, value, sudo), wait)

    async def hyperparameter_table(self) -> list[dict]:
        """The node's hyperparameter table (subnetInfo_getHyperparameterTable, read once per
        client): per hyperparameter its "name" (as hyperparameters() shows it), storage "item",
        "type", "default", "initial", "description", "setter" (the AdminUtils call, or None),
        "owner" (the subnet owner may set it; else root only), "rate_limited", "bounds", "event"."""
        if self._hp_table is None:
            self._hp_table = await self.rpc("subnetInfo_getHyperparameterTable")
        return self._hp_table

    async def hyperparameter(self, name: str) -> dict | None:
        """The table entry of a settable hyperparameter by its name, its setter's name or the
        setter's sudo_set_ suffix; None when no setter has that name."""
        for h in await self.hyperparameter_table():
            setter = h.get("setter")
            if setter and name in (h["name"], setter, setter.removeprefix("sudo_set_")):
                return h
        return None

    async def hyperparameter_call(self, netuid: int, name: str, value: Any, sudo: bool = False) -> list:
        """The call that sets a hyperparameter (wrapped in Sudo.sudo when `sudo`); nothing is sent.
        Raises ValueError for a name no setter has."""
        h = await self.hyperparameter(name)
        if h is None:
            known = ", ".join(sorted(x["name"] for x in await self.hyperparameter_table() if x.get("setter")))
            raise ValueError(f"unknown hyperparameter {name!r}; settable: {known}")
        inner = await self.compose_call("AdminUtils", h["setter"], netuid, value)
        return await self.compose_call("Sudo", "sudo", inner) if sudo else inner

    # ------------------------------------------------------------------ subnet reads (JSON views)
    @staticmethod
    def _at(at: str | None) -> list:
        return [] if at is None else [at]

    async def subnets(self, at: str | None = None) -> list[dict]:
        return await self.rpc("subnetInfo_getSubnetsInfo", *self._at(at))

    async def subnet(self, netuid: int, at: str | None = None) -> dict | None:
        return await self.rpc("subnetInfo_getSubnetInfo", netuid, *self._at(at))

    async def hyperparameters(self, netuid: int, at: str | None = None) -> dict | None:
        return await self.rpc("subnetInfo_getSubnetHyperparams", netuid, *self._at(at))

    async def lock_cost(self, at: str | None = None) -> int:
        """Rao a register_network in the next block locks."""
        return await self.rpc("subnetInfo_getLockCost", *self._at(at))

    async def metagraph(
        self, netuid: int, block: int | None = None, at: str | None = None, lite: bool = False
    ) -> Metagraph | None:
        """The subnet's metagraph (numpy arrays, bittensor's names; see taochain.metagraph) at the
        best block, at block number `block` or at block hash `at`; None: no such subnet. Every part
        (neurons, weights, bonds, hyperparameters) is read at the same block. `lite=True` skips the
        weights and bonds (W, B zero). The result is also a Mapping over the subnetInfo_getMetagraph
        JSON (`mg["neurons"]`), see metagraph_json().

            mg = await c.metagraph(1)
            print(mg.n, mg.S, mg.I, mg.W[0], mg.axons[0].ip_str())
        """
        from taochain.metagraph import Metagraph  # noqa: PLC0415

        parts = await self._metagraph_parts(netuid, block, at, lite)
        return None if parts is None else Metagraph(netuid, parts, client=self, lite=lite)

    async def _metagraph_parts(self, netuid: int, block: int | None, at: str | None, lite: bool) -> dict | None:
        if at is None:
            at = await self.block_hash(block)
            if at is None:
                raise ValueError(f"there is no block {block}")
        if lite:
            mg, hp, sn = await asyncio.gather(
                self.metagraph_json(netuid, at), self.hyperparameters(netuid, at), self.subnet(netuid, at)
            )
            full = None
        else:
            full, hdr, hp, sn = await asyncio.gather(
                self.neurons(netuid, at), self.header(at), self.hyperparameters(netuid, at), self.subnet(netuid, at)
            )
            mg = None if full is None else {
                "netuid": netuid, "block": int(hdr["number"], 16),
                "neurons": [{k: v for k, v in x.items() if k not in ("weights", "bonds")} for x in full],
            }
        if mg is None:
            return None
        return {"metagraph": mg, "full": full, "hparams": hp, "subnet": sn}

    async def metagraph_json(self, netuid: int, at: str | None = None) -> dict | None:
        """The node's subnetInfo_getMetagraph view: {"netuid", "block", "neurons": [...]} (raw u16 and rao)."""
        return await self.rpc("subnetInfo_getMetagraph", netuid, *self._at(at))

    async def neurons(self, netuid: int, at: str | None = None) -> list[dict] | None:
        """Every neuron with its weights and bonds ([uid, u16] pairs): neuronInfo_getNeurons."""
        return await self.rpc("neuronInfo_getNeurons", netuid, *self._at(at))

    async def neurons_lite(self, netuid: int, at: str | None = None) -> list[dict] | None:
        return await self.rpc("neuronInfo_getNeuronsLite", netuid, *self._at(at))

    async def neuron(self, netuid: int, uid: int, at: str | None = None) -> dict | None:
        return await self.rpc("neuronInfo_getNeuron", netuid, uid, *self._at(at))

    async def delegates(self, at: str | None = None) -> list[dict]:
        return await self.rpc("delegateInfo_getDelegates", *self._at(at))

    async def stake_info(self, coldkey: str | bytes | Keypair, at: str | None = None) -> list[dict]:
        return await self.rpc("stakeInfo_getStakeInfoForColdkey", "0x" + to_account(coldkey).hex(), *self._at(at))

    async def pending_commits(
        self, netuid: int, hotkey: str | bytes | Keypair, at: str | None = None
    ) -> list[dict] | None:
        return await self.rpc("subnetInfo_getPendingCommits", netuid, "0x" + to_account(hotkey).hex(), *self._at(at))

    async def timelocked_commits(self, netuid: int, at: str | None = None) -> list[dict] | None:
        """The subnet's pending timelocked commits: [{"hotkey", "epoch", "block", "reveal_epoch",
        "reveal_round", "hash", "size"}] (None: no such subnet)."""
        return await self.rpc("subnetInfo_getTimelockedCommits", netuid, *self._at(at))

    async def timelock_outcomes(self, netuid: int, last_blocks: int = 32) -> list[dict]:
        """What the chain did with timelocked commits on `netuid` in the last `last_blocks` blocks
        (from the TimelockedWeightsRevealed / TimelockedWeightsDropped events), oldest first:
        [{"block", "hotkey" (SS58), "revealed": bool, "reason": None or the drop reason's name}]."""
        from runtime.support.keys import ss58_encode  # noqa: PLC0415

        head, _ = await self.best_block()
        numbers = range(max(1, head - last_blocks + 1), head + 1)
        reasons = await self.event_codes("SubtensorModule.TimelockedWeightsDropped", "reason")

        async def one(n: int) -> list[dict]:
            h = await self.block_hash(n)
            out = []
            for e in await self.events(h) if h else []:
                name, f = e["name"], e["fields"]
                if name not in ("SubtensorModule.TimelockedWeightsRevealed", "SubtensorModule.TimelockedWeightsDropped"):
                    continue
                if f.get("netuid") != netuid:
                    continue
                who = f["who"]
                hot = ss58_encode(bytes.fromhex(who[2:])) if isinstance(who, str) and who.startswith("0x") else who
                revealed = name.endswith("Revealed")
                reason = None
                if not revealed:
                    code = f.get("reason", -1)
                    reason = reasons.get(code, str(code))
                out.append({"block": n, "hotkey": hot, "revealed": revealed, "reason": reason})
            return out

        found = await asyncio.gather(*(one(n) for n in numbers))
        return [x for xs in found for x in xs]

    # ------------------------------------------------------------------ drand
    async def drand_status(self, at: str | None = None) -> dict:
        """The chain's beacon: {"beacon", "publicKey", "genesisTime", "period", "lastStoredRound",
        "oldestStoredRound", "storedPulses", ...}.

            st = c.drand_status(); print(st["beacon"], st["lastStoredRound"])
        """
        return await self.rpc("drand_status", *self._at(at))

    async def pulse(self, round_: int, at: str | None = None) -> dict | None:
        """A stored pulse {"round", "randomness", "signature"} (hex), or None when the chain does
        not hold that round."""
        return await self.rpc("drand_getPulse", round_, *self._at(at))

    async def events(self, block_hash: str | None = None) -> list[dict]:
        """The decoded events of a block (default: the best): [{"phase", "pallet", "index", "name",
        "fields"}]; phase is the extrinsic's index, None for block initialization/finalization."""
        return await self.rpc("chain_getEvents", *self._at(block_hash))

    async def subscribe_events(self, names: Iterable[str] | None = None) -> AsyncIterator[dict]:
        """Yield the events of every new best block, in order: {"block_number", "block_hash",
        "events"} (events as events() gives them, kept to `names` when given, e.g.
        {"SubtensorModule.EpochRun"}). Blocks the head subscription skipped are filled in; a block
        whose events are all filtered out is still yielded (with an empty list).

            for blk in c.subscribe_events({"SubtensorModule.EpochRun"}):
                for e in blk["events"]:
                    print(blk["block_number"], e["fields"])
        """
        wanted = None if names is None else set(names)
        last: int | None = None
        async for head in self.new_heads():
            number = int(head["number"], 16)
            start = number if last is None or number <= last else last + 1
            for n in range(start, number + 1):
                h = await self.block_hash(n)
                if h is None:
                    continue
                evs = await self.events(h)
                if wanted is not None:
                    evs = [e for e in evs if e["name"] in wanted]
                yield {"block_number": n, "block_hash": h, "events": evs}
            last = number

    events_stream = subscribe_events


def netuid_of(r: ExtrinsicResult) -> int | None:
    """The netuid a register_network result created (from its NetworkAdded event)."""
    return next((e["fields"]["netuid"] for e in r.events if e["name"] == "SubtensorModule.NetworkAdded"), None)


def uid_of(r: ExtrinsicResult) -> int | None:
    """The uid a registration result gave (from its NeuronRegistered event)."""
    return next((e["fields"]["uid"] for e in r.events if e["name"] == "SubtensorModule.NeuronRegistered"), None)


def _compose_scale(pc: PortableCodec, pallet: str, name: str, args: Sequence[Any]) -> bytes:
    """SCALE RuntimeCall bytes of `pallet.name(*args)`, the SDK's Python arguments converted by
    the declared argument types (see AsyncClient.compose_call)."""
    _, var = pc.call_variant(pallet, name)
    if len(args) != len(var.fields):
        names = ", ".join(f.name or "_" for f in var.fields)
        raise ValueError(f"{pallet}.{name} takes {len(var.fields)} arguments ({names})")
    return pc.call(pallet, name, *(_arg_to_scale(pc, f.type, v) for f, v in zip(var.fields, args, strict=True)))


def _arg_to_scale(pc: PortableCodec, type_id: int, v: Any) -> Any:
    """A Python argument in the form the metadata codec encodes for type `type_id`: accounts given
    as a Keypair, SS58, hex or dev URI become their 32 bytes; a (pallet, name, args) call triple
    becomes its composed bytes; everything else passes as it is (the codec checks it)."""
    if type_id == pc.call_type and isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], str):
        return _compose_scale(pc, v[0], v[1], v[2])
    if isinstance(v, Keypair) or (isinstance(v, str) and pc.is_account(type_id)):
        return to_account(v)
    return v


class Client:
    """Synchronous facade over AsyncClient (its own event loop in a daemon thread): every
    AsyncClient method, called without await; subscriptions become plain iterators.

        from taochain import Client
        c = Client(network="local")          # or Client("ws://127.0.0.1:9944")
        mg = c.metagraph(1)
        ok, msg = c.burned_register(keypair_from_uri("//Alice"), 1, "//Alice//miner")
        for head in c.new_heads(): ...
    """

    def __init__(self, url: str | None = None, timeout: float = 30.0, *, network: str | None = None) -> None:
        self._async = AsyncClient(url, timeout, network=network)
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
        if name in ("subscribe", "new_heads", "finalized_heads", "submit_and_watch", "subscribe_events",
                    "events_stream"):
            return lambda *a, **kw: self._iterate(attr(*a, **kw))
        return lambda *a, **kw: self._run(attr(*a, **kw))

    def metagraph(
        self, netuid: int, block: int | None = None, at: str | None = None, lite: bool = False
    ) -> Metagraph | None:
        """See AsyncClient.metagraph; `mg.sync()` refreshes it synchronously.

            mg = c.metagraph(1); print(mg.S, mg.W)
        """
        mg = self._run(self._async.metagraph(netuid, block, at, lite))
        if mg is not None:
            mg._runner = self._run
        return mg

    def _iterate(self, agen: AsyncIterator[Any]) -> Iterator[Any]:
        try:
            while True:
                try:
                    yield self._run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._run(agen.aclose())
