"""The node's JSON-RPC methods (Substrate's names and shapes; spec/subtensor.md §1f).

Bytes are 0x-hex; header numbers are hex strings; `system_account` answers JSON in rao; storage
values are the canonical MessagePack bytes (hex); `state_getMetadata` answers Substrate's SCALE
Metadata V14 (hex) and `taochain_getMetadataJson` the same declarations as JSON. `chain_getEvents`
(taochain's own) decodes a block's events to JSON, which is what the SDK uses to tell whether an
extrinsic succeeded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from typing import TYPE_CHECKING, Any

from node.chain_db import StatePrunedError
from node.rpc import (
    OVERSIZED_RESPONSE,
    OVERSIZED_RESPONSE_MESSAGE,
    RpcError,
    RpcMethods,
    _named,
    _short,
    is_any,
    is_hex,
    is_number_or_hex,
    is_str,
    is_uint,
)
from node.txpool import BAD_FORMAT, OTHER_ERR, PoolError
from runtime.block import AURA_ENGINE, DIGEST_SEAL, DigestItem, Header
from runtime.dry_run import dry_run
from runtime.executive import BlockError, query_fee
from runtime.metadata import metadata_v14
from runtime.state_call import UnknownRuntimeCall, state_call
from runtime.support import codec, tx
from runtime.support.api import ACCOUNT, RuntimeApi, view_json
from runtime.support.codec import U16, U64
from runtime.support.digest import DIGEST_ITEM
from runtime.support.hashing import blake2_256
from runtime.support.keys import InvalidKey, parse_account, ss58_encode
from runtime.support.scale import compact_decode
from runtime.support.trie import Trie

if TYPE_CHECKING:
    from node.service import Node

VERSION = "0.1.0"
MAX_KEYS_PAGE = 1000  # state_getKeysPaged's largest `count` (Substrate's STORAGE_KEYS_PAGED_MAX_COUNT)
MAX_LIST_PARAM = 10_000  # items in a list parameter (block numbers, storage keys): ~690 KB of hashes
_HEAVY = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="rpc-heavy")
_HEAVY_ITEMS = 64  # list parameters longer than this are served off the event loop
UNKNOWN_BLOCK = 4003  # taochain's code for a block hash the node does not have


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def opaque_error(data: bytes) -> str | None:
    """Why `data` is not a length-prefixed byte string (what a Substrate node decodes an
    extrinsic as before the runtime sees it, `OpaqueExtrinsic`), or None."""
    try:
        n, pos = compact_decode(data, 0, 32)
    except codec.CodecError:
        return "Could not decode `OpaqueExtrinsic`: the length prefix is not a compact u32"
    if pos + n > len(data):
        return "Not enough data to fill buffer"
    return None


def opt_hx(b: bytes | None) -> str | None:
    return None if b is None else hx(b)


def unhex(s: str, what: str, size: int | None = None) -> bytes:
    try:
        b = bytes.fromhex(s[2:] if s.startswith("0x") else s)
    except ValueError:
        raise RpcError(-32602, "Invalid params", f"{what} is not valid hex") from None
    if size is not None and len(b) != size:
        raise RpcError(-32602, "Invalid params", f"{what} must be {size} bytes, got {len(b)}")
    return b


def header_json(h: Header) -> dict[str, Any]:
    """A header as Substrate's RPC shows it; each digest log is Substrate's SCALE DigestItem (the
    seal is the last one, Seal(aura, signature)), as clients decode them."""
    logs = [hx(DIGEST_ITEM.encode(d)) for d in h.digest]
    if h.seal:
        logs.append(hx(DIGEST_ITEM.encode(DigestItem(DIGEST_SEAL, AURA_ENGINE, h.seal))))
    return {
        "parentHash": hx(h.parent_hash),
        "number": hex(h.number),
        "stateRoot": hx(h.state_root),
        "extrinsicsRoot": hx(h.extrinsics_root),
        "digest": {"logs": logs},
    }


def header_from_json(j: dict[str, Any]) -> Header:
    """Rebuild a Header from its RPC JSON (the seal travels as the last digest log)."""
    items = [DIGEST_ITEM.decode(bytes.fromhex(x[2:])) for x in j["digest"]["logs"]]
    seal = b""
    if items and items[-1].kind == DIGEST_SEAL and items[-1].engine == AURA_ENGINE and items[-1].data:
        seal = items.pop().data
    return Header(
        bytes.fromhex(j["parentHash"][2:]), int(j["number"], 16), bytes.fromhex(j["stateRoot"][2:]),
        bytes.fromhex(j["extrinsicsRoot"][2:]), tuple(items), seal,
    )


def value_json(v: Any) -> Any:
    """A decoded wire value as JSON: bytes as hex, dataclasses as objects."""
    if isinstance(v, bytes):
        return hx(v)
    if isinstance(v, tuple | list):
        return [value_json(x) for x in v]
    if dataclasses.is_dataclass(v):
        return {f.name.rstrip("_"): value_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    return v


@_named("array of 0x-prefixed hex storage keys")
def is_hex_list(v: Any) -> bool:
    return isinstance(v, list) and all(is_hex(x) for x in v)


@_named("u16 (unsigned int below 65536)")
def is_u16(v: Any) -> bool:
    return is_uint(v) and v <= 0xFFFF


@_named("u64 (unsigned int below 2^64)")
def is_u64(v: Any) -> bool:
    return is_uint(v) and v < 1 << 64


# a runtime API parameter's wire type -> the JSON check of its RPC parameter
_PARAM_CHECKS: dict[Any, Any] = {U16: is_u16, U64: is_u64, ACCOUNT: is_str}


class NodeRpc:
    """Binds the RPC methods to a Node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._metadata_hex: str | None = None  # state_getMetadata's answer, built at the first call

    # ------------------------------------------------------------------ helpers
    def block_hash_param(self, h: str | None) -> bytes:
        if h is None:
            return self.node.db.best_hash
        b = unhex(h, "block hash", 32)
        if not self.node.db.has_block(b):
            raise RpcError(UNKNOWN_BLOCK, "Unknown block", h)
        return b

    def state(self, h: str | None):
        block = self.block_hash_param(h)
        db = self.node.db
        if block == db.best_hash:
            return db.best_state()
        try:
            return db.state_at(block)
        except StatePrunedError as exc:
            raise RpcError(4003, "State already discarded", str(exc)) from None

    def api(self, name: str, at: str | None, *args: Any) -> Any:
        """Runtime API `name` over the state after block `at` (default: best), numbered as that block."""
        block = self.block_hash_param(at)
        return self.node.runtime.call_api(name, self.state(at), self.node.db.header(block).number, *args)

    def serve_api(self, api: RuntimeApi) -> Any:
        """The JSON-RPC handler of a runtime API: its parameters, then an optional block hash."""
        accounts = [t is ACCOUNT for _, t in api.params]

        def handler(*params: Any) -> Any:
            *args, at = params
            args = [self.account_param(a) if is_acct else a for a, is_acct in zip(args, accounts, strict=True)]
            return view_json(self.api(api.name, at, *args))

        return handler

    def account_param(self, who: str) -> bytes:
        try:
            return parse_account(who)
        except InvalidKey as exc:
            raise RpcError(-32602, "Invalid params", f"account: {exc}") from None

    def drand_status(self, at: str | None = None) -> dict[str, Any]:
        """The chain's beacon view (DrandApi_info) plus this node's: the spec's beacon kind and, for a
        local beacon, its threshold and shares and what its signer has done."""
        node = self.node
        spec = node.spec.drand
        out = {"beacon": spec.beacon, **view_json(self.api("DrandApi_info", at))}
        if spec.beacon == "local":
            out["threshold"] = spec.threshold
            out["shares"] = len(spec.share_public_keys)
        beacon = getattr(node, "beacon", None)
        if beacon is not None:
            out.update(beacon.status())
        return out

    # ------------------------------------------------------------------ system
    def system_health(self) -> dict[str, Any]:
        net = self.node.network
        return {
            "peers": 0 if net is None else len(net.peers.peers),
            "isSyncing": False if net is None else net.is_syncing,
            "shouldHavePeers": len(self.node.authorities()) > 1,
        }

    def system_peers(self) -> list[dict[str, Any]]:
        net = self.node.network
        return [] if net is None else net.peers.peer_info()

    def system_ban_peer(self, peer_id: str, seconds: int) -> bool:
        """Unsafe: refuse a peer for `seconds` (0 lifts the ban), dropping it if connected; whether
        it was connected."""
        net = self.node.network
        if net is None:
            raise RpcError(-32602, "Invalid params", "this node has no networking")
        if seconds > 86_400:
            raise RpcError(-32602, "Invalid params", "seconds: at most 86400 (a day)")
        return net.peers.ban(peer_id, seconds, "by the operator (system_banPeer)")

    def grandpa_round_state(self) -> dict[str, Any]:
        """Substrate's grandpa_roundState: the finality gadget's current (best) round and the one
        before (background), with the weight of the votes seen and the authorities missing."""
        net = self.node.network
        gadget = None if net is None else net.gadget
        if gadget is None:
            # Substrate's answer before its voter runs (code 1); here: a chain of one authority
            raise RpcError(1, "GRANDPA RPC endpoint not ready", "no finality gadget runs on this node")

        state = gadget.round_state()
        for r in [state["best"], *state["background"]]:
            for kind in ("prevotes", "precommits"):
                r[kind]["missing"] = [ss58_encode(a) for a in r[kind]["missing"]]
        return state

    def system_local_peer_id(self) -> str | None:
        net = self.node.network
        return None if net is None else net.peers.peer_id

    def system_local_listen_addresses(self) -> list[str]:
        net = self.node.network
        if net is None:
            return []
        from p2p.transport import multiaddr

        host = net.peers.config.listen_host
        return [multiaddr("127.0.0.1" if host == "0.0.0.0" else host, net.peers.port, net.peers.peer_id)]

    def system_account(self, who: str, at: str | None = None) -> dict[str, int]:
        return view_json(self.api("SystemApi_account", at, self.account_param(who)))

    def system_account_next_index(self, who: str) -> int:
        acct = self.account_param(who)
        nonce = self.api("AccountNonceApi_account_nonce", None, acct)
        pending = sorted(
            t.valid.nonce for h in self.node.pool.ready_hashes() if (t := self.node.pool.get(h)) and t.valid.signer == acct
        )
        for n in pending:
            if n == nonce:
                nonce += 1
        return nonce

    # ------------------------------------------------------------------ chain
    def chain_get_header(self, h: str | None = None) -> dict | None:
        if h is None:
            return header_json(self.node.best)
        hdr = self.node.db.header(unhex(h, "block hash", 32))
        return None if hdr is None else header_json(hdr)

    def chain_get_block(self, h: str | None = None) -> dict | None:
        b = self.node.best.hash() if h is None else unhex(h, "block hash", 32)
        blk = self.node.db.block(b)
        if blk is None:
            return None
        just = self.node.db.justification(b)
        return {
            "block": {"header": header_json(blk.header), "extrinsics": [hx(x) for x in blk.extrinsics]},
            "justifications": None if just is None else [["FRNK", hx(just)]],
        }

    async def chain_get_block_hash(self, n: Any = None) -> Any:
        """A number (or 0x hex), a flat list of them (Substrate's ListOrValue<NumberOrHex>), or
        nothing (the best block). Long lists are looked up off the event loop."""
        if n is None:
            return hx(self.node.db.best_hash)
        if not isinstance(n, list):
            return self._block_hash_at(self._block_number(n))
        if len(n) > MAX_LIST_PARAM:
            raise RpcError(
                -32602, "Invalid params", f"at most {MAX_LIST_PARAM} block numbers in one call, got {len(n)}"
            )
        numbers = [self._block_number(x) for x in n]
        if len(numbers) <= _HEAVY_ITEMS:
            return [self._block_hash_at(x) for x in numbers]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_HEAVY, lambda: [self._block_hash_at(x) for x in numbers])

    @staticmethod
    def _block_number(n: Any) -> int:
        if isinstance(n, str) and is_number_or_hex(n) and len(n) <= 66:  # at most U256, as Substrate's
            return int(n[2:], 16)
        if not is_uint(n):
            raise RpcError(
                -32602, "Invalid params", f"block number must be a non-negative integer or 0x hex, got {_short(n)}"
            )
        return n

    def _block_hash_at(self, n: int) -> str | None:
        h = self.node.db.hash_at(n)
        return None if h is None else hx(h)

    def chain_get_events(self, h: str | None = None) -> list[dict]:
        return [
            {"phase": phase, "pallet": pallet, "index": index, "name": name, "fields": self.event_fields_json(fields)}
            for phase, pallet, index, name, fields in self.node.runtime.stored_events(self.state(h))
        ]

    def event_fields_json(self, fields: Any) -> dict[str, Any]:
        """An event's fields as JSON, a dispatch error it carries also named "Pallet.Error"."""
        return {**value_json(fields), **self.node.runtime.event_errors(fields)}

    # ------------------------------------------------------------------ state
    def state_get_storage(self, key: str, at: str | None = None) -> str | None:
        v = self.state(at).get(unhex(key, "storage key"))
        return None if v is None else hx(v)

    def state_get_storage_hash(self, key: str, at: str | None = None) -> str | None:
        """Substrate's state_getStorageHash: blake2-256 of the stored bytes, null when absent."""
        v = self.state(at).get(unhex(key, "storage key"))
        return None if v is None else hx(blake2_256(v))

    def state_get_storage_size(self, key: str, at: str | None = None) -> int | None:
        """The stored value's length in bytes, null when absent (Substrate then sums the values
        under `key` as a prefix; here a prefix's keys are read with state_getKeysPaged)."""
        v = self.state(at).get(unhex(key, "storage key"))
        return None if v is None else len(v)

    def state_get_keys(self, prefix: str, at: str | None = None) -> list[str]:
        """Every key starting with `prefix`, in key order. Substrate answers them all, bounded only by
        its response size (-32008 "Response is too big"); here more than MAX_LIST_PARAM keys get
        that error before the answer is built, pointing to state_getKeysPaged."""
        p = unhex(prefix, "prefix")
        out: list[str] = []
        for k, _ in self.state(at).iter_prefix(p):
            if len(out) == MAX_LIST_PARAM:
                raise RpcError(
                    OVERSIZED_RESPONSE, OVERSIZED_RESPONSE_MESSAGE,
                    f"more than {MAX_LIST_PARAM} keys start with {prefix}: page through them with state_getKeysPaged",
                )
            out.append(hx(k))
        return out

    def keys_param(self, keys: list[str]) -> list[bytes]:
        """A list parameter of storage keys: at most MAX_LIST_PARAM, decoded, repeats dropped."""
        if len(keys) > MAX_LIST_PARAM:
            raise RpcError(-32602, "Invalid params", f"at most {MAX_LIST_PARAM} keys in one call, got {len(keys)}")
        return list(dict.fromkeys(unhex(k, "storage key") for k in keys))

    def state_query_storage_at(self, keys: list[str], at: str | None = None) -> list[dict[str, Any]]:
        """Substrate's state_queryStorageAt: the keys' values after block `at` (default: the best),
        as one change set `[{"block": hash, "changes": [[key, value or null], ...]}]` (none for no keys)."""
        ks = self.keys_param(keys)
        block = self.block_hash_param(at)
        state = self.state(at)
        if not ks:
            return []
        return [{"block": hx(block), "changes": [[hx(k), opt_hx(state.get(k))] for k in ks]}]

    def state_get_keys_paged(self, prefix: str, count: int, start: str | None = None, at: str | None = None) -> list[str]:
        if count > MAX_KEYS_PAGE:
            raise RpcError(-32602, "Invalid params", f"count must be at most {MAX_KEYS_PAGE}, got {count}")
        p = unhex(prefix, "prefix")
        s = unhex(start, "start key") if start else b""
        state = self.state(at)  # an unknown block is refused even for count 0
        out: list[str] = []
        if count == 0:
            return out
        for k, _ in state.iter_prefix(p):
            if k <= s:
                continue
            out.append(hx(k))
            if len(out) >= count:
                break
        return out

    async def state_get_read_proof(self, keys: list, at: str | None = None) -> dict[str, Any]:
        """Long key lists are proved off the event loop (trie nodes are immutable: reads only)."""
        if len(keys) > MAX_LIST_PARAM:
            raise RpcError(-32602, "Invalid params", f"at most {MAX_LIST_PARAM} keys in one proof, got {len(keys)}")
        b = self.block_hash_param(at)
        root = self.node.db.header(b).state_root
        ks = [unhex(k, "storage key") for k in keys]
        trie = Trie(self.node.db, root)
        try:
            if len(ks) <= _HEAVY_ITEMS:
                proof = trie.prove(ks)
            else:
                proof = await asyncio.get_running_loop().run_in_executor(_HEAVY, trie.prove, ks)
        except LookupError as exc:
            raise RpcError(4003, "State already discarded", str(exc)) from None
        return {"at": hx(b), "proof": [hx(n) for n in proof]}

    def state_call(self, method: str, data: str, at: str | None = None) -> str:
        """Substrate's state_call: a runtime function (runtime/state_call.py: Core_version,
        Metadata_*, AccountNonceApi_account_nonce, AuraApi_*) with SCALE arguments, over the state
        after `at` (default: the best block); its SCALE result as hex. Unknown function or
        arguments that do not decode: -32000 with Substrate's "Client error: Execution failed" text."""
        args = unhex(data, "call data")
        block = self.block_hash_param(at)
        state = self.state(at)
        try:
            out = state_call(self.node.runtime, method, args, state, self.node.db.header(block).number)
        except UnknownRuntimeCall:
            raise RpcError(-32000, f"Client error: Execution failed: Other: Exported method {method} is not found") from None
        except codec.CodecError as exc:
            raise RpcError(
                -32000, f"Client error: Execution failed: Other: the arguments of {method} do not decode: {exc}"
            ) from None
        return hx(out)

    # ------------------------------------------------------------------ author
    async def author_submit(self, xt: str) -> str:
        """Through the node's intake: signature checked off the loop (batched), then the pool.
        Returns the blake2-256 of the bytes; a refusal is Substrate's error (1010 with the
        reason's text, 1011, 1012, 1013, 1014, 1016; 1002 for bytes that are not an extrinsic of
        this runtime; 1040 "Client error" when they are not even a length-prefixed byte string)."""
        data = unhex(xt, "extrinsic")
        bad = opaque_error(data)
        if bad is not None:
            raise RpcError(OTHER_ERR, f"Client error: {bad}")
        try:
            return hx(await self.node.intake.submit(data))
        except PoolError as exc:
            raise RpcError(exc.code, exc.message, exc.data) from None

    async def author_submit_and_watch(self, params: tuple, emit: Any) -> Any:
        """As author_submit; the subscription exists only once the pool accepted the extrinsic
        (a refusal is the subscribe call's error; bytes that are not a length-prefixed byte string:
        1001 "Extrinsic has invalid format", as Substrate). The updates are Substrate's
        `author_extrinsicUpdate` values (node/txpool.py)."""
        data = unhex(params[0], "extrinsic")
        bad = opaque_error(data)
        if bad is not None:
            raise RpcError(BAD_FORMAT, f"Extrinsic has invalid format: {bad}")

        def on_event(ev: Any) -> None:
            emit(ev)

        try:
            h = await self.node.intake.submit_and_watch(data, on_event)
        except PoolError as exc:
            raise RpcError(exc.code, exc.message, exc.data) from None
        return lambda: self.node.pool.unwatch(h, on_event)

    def payment_query_info(self, xt: str, at: str | None = None) -> dict[str, Any]:
        """Substrate's payment_queryInfo: the extrinsic's RuntimeDispatchInfo as JSON,
        `{"weight": {"ref_time", "proof_size"}, "class": "normal", "partialFee": "<rao>"}` (the fee
        without a tip; 0 unsigned). Not an extrinsic of this runtime: -32602."""
        data = unhex(xt, "extrinsic")
        try:
            info = query_fee(self.node.runtime, data)
        except codec.CodecError as exc:
            raise RpcError(-32602, "Invalid params", f"extrinsic: {exc}") from None
        return {"weight": {"ref_time": info.weight, "proof_size": 0}, "class": "normal",
                "partialFee": str(info.partial_fee)}

    async def system_dry_run(self, xt: str, at: str | None = None) -> dict[str, Any]:
        """Substrate's system_dryRun: apply the signed extrinsic `xt` as the first transaction of
        the block after `at` (default: the best block), in a layer that is thrown away
        (runtime/dry_run.py: the block's initialization and hooks run, then the executive's own
        checks and dispatch). Nothing is stored or sent. Shaped as Substrate's
        ApplyExtrinsicResult, plus the events and the fee:

            {"ok": {"ok": null}, "events": [...], "fee": 125000}          included, the call succeeds
            {"ok": {"err": {"module": {"pallet": "SubtensorModule", "palletIndex": 7,
                                       "error": "NotSubnetOwner", "index": 9,
                                       "doc": "cause\nfix", "detail": ""}}},
             "events": [...], "fee": 125000}                                included (fee paid), the call fails
            {"err": {"invalid": "Stale", "message": "Transaction is outdated",
                     "detail": "nonce 0 < account nonce 3", "doc": "cause\nfix"},
             "events": [], "fee": null}                                     may not be included

        `events` are the extrinsic's own, as chain_getEvents shows them (a sudo call's inner error
        is in its Sudo.Sudid event, as on chain); `fee` is in rao; a `doc`'s first line is the
        cause, its second the fix (the pallet's, as in state_getMetadata). Not hex, or not an
        extrinsic: -32602; an unknown `at`: 4003; a block that cannot be built on `at`: 1. It runs
        off the event loop (a block's hooks may run an epoch or open timelocked commits), on the
        state of `at` pinned when the call came."""
        data = unhex(xt, "extrinsic")
        try:
            tx.decode_extrinsic(data)
        except codec.CodecError as exc:
            raise RpcError(-32602, "Invalid params", f"extrinsic: {exc}") from None
        block = self.block_hash_param(at)
        db = self.node.db
        try:
            state = db.state_at(block)  # a snapshot: blocks committed meanwhile do not change it
        except StatePrunedError as exc:
            raise RpcError(4003, "State already discarded", str(exc)) from None
        parent = db.header(block)
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(
                _HEAVY, dry_run, self.node.runtime, state, parent, data
            )
        except BlockError as exc:
            raise RpcError(1, "Unable to dry run extrinsic", str(exc)) from None
        return outcome.to_json(self.event_fields_json)

    # ------------------------------------------------------------------ subscriptions
    def _head_sub(self, listeners: list, current: Any) -> Any:
        """The current header, then each header the listeners are called with (a listener's
        arguments after the header, as block_listeners' events, are ignored)."""

        def start(_params: tuple, emit: Any) -> Any:
            def on_head(h: Header, *_rest: Any) -> None:
                emit(header_json(h))

            emit(header_json(current()))
            listeners.append(on_head)
            return lambda: listeners.remove(on_head) if on_head in listeners else None

        return start

    def storage_sub(self, params: tuple, emit: Any) -> Any:
        """Substrate's state_subscribeStorage: the keys' values at the best block, then, for each new
        best block, the keys whose value it changed, as `{"block": hash, "changes": [[key, value or
        null], ...]}` (a block that changes none of them sends nothing). A block on another fork than
        the last one seen (a reorg) is compared key by key with the values last sent. Without keys
        (every key: Substrate's unsafe-only form) the subscription is refused."""
        (keys,) = params
        if keys is None:
            raise RpcError(
                -32602, "Invalid params", "keys: list the storage keys to watch (subscribing to every key is not served)"
            )
        ks = self.keys_param(keys)
        node = self.node
        if not ks:
            return None
        wanted = frozenset(ks)
        state = node.db.best_state()
        last = {k: state.get(k) for k in ks}
        seen = [node.db.best_hash]
        emit({"block": hx(seen[0]), "changes": [[hx(k), opt_hx(v)] for k, v in last.items()]})

        def on_best(header: Header, changes: Any) -> None:
            if header.parent_hash == seen[0]:
                small, big = (changes, wanted) if len(changes) < len(wanted) else (wanted, changes)
                now = {k: changes[k] for k in small if k in big}
            else:
                best = node.db.best_state()
                now = {k: best.get(k) for k in ks}
            seen[0] = header.hash()
            moved = [(k, v) for k, v in now.items() if last[k] != v]
            if moved:
                last.update(moved)
                emit({"block": hx(seen[0]), "changes": [[hx(k), opt_hx(v)] for k, v in moved]})

        listeners = node.best_block_listeners
        listeners.append(on_best)
        return lambda: listeners.remove(on_best) if on_best in listeners else None

    def runtime_version_sub(self, _params: tuple, emit: Any) -> Any:
        """The runtime version now; nothing after (this node's runtime never changes)."""
        emit(self.node.runtime.VERSION.to_json())
        return None

    # ------------------------------------------------------------------ registry
    def methods(self) -> RpcMethods:
        n = self.node
        m = RpcMethods()
        opt_hash = ("at", is_hex, True)
        m.register("system_name", lambda: "taochain")
        m.register("system_version", lambda: VERSION)
        m.register("system_chain", lambda: n.spec.name)
        m.register("system_chainType", lambda: n.spec.chain_type)
        m.register("system_properties", lambda: dict(n.spec.properties))
        m.register("system_health", self.system_health)
        m.register("system_peers", self.system_peers)
        m.register("system_localPeerId", self.system_local_peer_id)
        m.register("system_banPeer", self.system_ban_peer, [("peerId", is_str), ("seconds", is_uint)], unsafe=True)
        m.register("grandpa_roundState", self.grandpa_round_state)
        m.register("system_localListenAddresses", self.system_local_listen_addresses)
        for name in ("system_accountNextIndex", "account_nextIndex"):  # Substrate's alias (async-substrate-interface)
            m.register(name, self.system_account_next_index, [("account", is_str)])
        m.register("system_account", self.system_account, [("account", is_str), opt_hash])
        m.register("chain_getHeader", self.chain_get_header, [("hash", is_hex, True)])
        m.register("chain_getBlock", self.chain_get_block, [("hash", is_hex, True)])
        m.register("chain_getBlockHash", self.chain_get_block_hash, [("number", is_any, True)])
        m.register("chain_getHead", self.chain_get_block_hash, [("number", is_any, True)])  # Substrate's alias
        m.register("chain_getFinalizedHead", lambda: hx(n.db.finalized_hash))
        m.register("chain_getEvents", self.chain_get_events, [("hash", is_hex, True)])
        m.register("state_getStorage", self.state_get_storage, [("key", is_hex), opt_hash])
        m.register("state_getStorageAt", self.state_get_storage, [("key", is_hex), opt_hash])  # Substrate's alias
        # Substrate's names: the block parameter is `hash` (and `at` for state_queryStorageAt)
        by_hash = ("hash", is_hex, True)
        for name in ("state_getStorageHash", "state_getStorageHashAt"):
            m.register(name, self.state_get_storage_hash, [("key", is_hex), by_hash])
        for name in ("state_getStorageSize", "state_getStorageSizeAt"):
            m.register(name, self.state_get_storage_size, [("key", is_hex), by_hash])
        m.register("state_getKeys", self.state_get_keys, [("prefix", is_hex), by_hash])
        m.register("state_queryStorageAt", self.state_query_storage_at, [("keys", is_hex_list), opt_hash])
        m.register(
            "state_getKeysPaged",
            self.state_get_keys_paged,
            [("prefix", is_hex), ("count", is_uint), ("startKey", is_hex, True), opt_hash],
        )
        m.register("state_getReadProof", self.state_get_read_proof, [("keys", is_hex_list), opt_hash])
        # the runtime is the same at every block this node has; an unknown `at` is refused (4003)
        def runtime_version(at: str | None = None) -> dict[str, Any]:
            self.block_hash_param(at)
            return n.runtime.VERSION.to_json()

        def metadata(at: str | None = None) -> str:
            """Substrate's: the SCALE Metadata V14 (RuntimeMetadataPrefixed) as hex, built once."""
            self.block_hash_param(at)
            if self._metadata_hex is None:
                self._metadata_hex = hx(metadata_v14(n.runtime))
            return self._metadata_hex

        def metadata_json(at: str | None = None) -> Any:
            """taochain's: the same declarations as JSON (calls, storage, events, errors with
            their docs, runtime APIs), which the SDK and the CLI read."""
            self.block_hash_param(at)
            return n.runtime.metadata()

        m.register("state_call", self.state_call, [("name", is_str), ("bytes", is_hex), opt_hash])
        m.register("state_getRuntimeVersion", runtime_version, [opt_hash])
        m.register("chain_getRuntimeVersion", runtime_version, [opt_hash])  # Substrate's alias
        m.register("state_getMetadata", metadata, [opt_hash])
        m.register("taochain_getMetadataJson", metadata_json, [opt_hash])
        m.register("author_submitExtrinsic", self.author_submit, [("extrinsic", is_hex)])
        m.register("author_pendingExtrinsics", lambda: [hx(x) for x in n.pool.ready()])  # Substrate's: the ready ones
        m.register("payment_queryInfo", self.payment_query_info, [("extrinsic", is_hex), opt_hash])
        # the runtime's APIs that have a JSON-RPC method, served generically (pallets own the views)
        for api, _pallet in n.runtime.apis.values():
            if api.rpc is not None:
                m.register(api.rpc, self.serve_api(api), [*((p, _PARAM_CHECKS[t]) for p, t in api.params), opt_hash])
        m.register("drand_status", self.drand_status, [opt_hash])
        # unsafe, as Substrate's: a dry run executes a block's initialization (possibly an epoch)
        m.register("system_dryRun", self.system_dry_run, [("extrinsic", is_hex), opt_hash], unsafe=True)
        m.register_subscription(
            "author_submitAndWatchExtrinsic", "author_extrinsicUpdate", "author_unwatchExtrinsic",
            self.author_submit_and_watch, [("extrinsic", is_hex)],
        )
        for sub, unsub in (("chain_subscribeNewHeads", "chain_unsubscribeNewHeads"),
                           # Substrate's aliases (what @polkadot/api calls)
                           ("chain_subscribeNewHead", "chain_unsubscribeNewHead")):
            m.register_subscription(sub, "chain_newHead", unsub, self._head_sub(n.head_listeners, lambda: n.best))
        m.register_subscription(
            "chain_subscribeFinalizedHeads", "chain_finalizedHead", "chain_unsubscribeFinalizedHeads",
            self._head_sub(n.finality_listeners, lambda: n.finalized),
        )
        m.register_subscription(  # every imported header, best or not
            "chain_subscribeAllHeads", "chain_allHead", "chain_unsubscribeAllHeads",
            self._head_sub(n.block_listeners, lambda: n.best),
        )
        m.register_subscription(
            "state_subscribeRuntimeVersion", "state_runtimeVersion", "state_unsubscribeRuntimeVersion",
            self.runtime_version_sub,
        )
        m.register_subscription(
            "state_subscribeStorage", "state_storage", "state_unsubscribeStorage",
            self.storage_sub, [("keys", is_hex_list, True)],
        )
        return m


__all__ = ["NodeRpc", "header_from_json", "header_json", "value_json"]
