"""Runtime calls in SCALE, as Substrate's `state_call(method, data)`: the runtime APIs a Substrate
client calls at start-up (`Core_version`, `Metadata_metadata`, `Metadata_metadata_versions`,
`Metadata_metadata_at_version`) and after (`AccountNonceApi_account_nonce`, `AuraApi_authorities`,
`AuraApi_slot_duration`, `TransactionPaymentApi_query_info` / `_query_fee_details`,
`TaggedTransactionQueue_validate_transaction`).

Each takes its arguments SCALE-encoded (decoded strictly: the whole input, CodecError otherwise)
and returns its result SCALE-encoded, over the state after a block, in a layer that is thrown away.
The runtime version lists exactly these APIs, with Substrate's ids (blake2-64 of the API's name)
and versions, so a client asks only for what is served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.api_types import FEE_DETAILS, NORMAL, RUNTIME_DISPATCH_INFO
from runtime.metadata import metadata_v14, metadata_v15, metadata_versions
from runtime.support.codec import CodecError
from runtime.support.extrinsic_v4 import MAX_EXTRINSIC_SIZE
from runtime.support.hashing import blake2_64
from runtime.support.scale import (
    BOOL,
    BYTES,
    STRING,
    U8S,
    U32S,
    U64S,
    ByteArrayS,
    OptionS,
    TupleS,
    VecS,
    compact_decode,
)

# the APIs state_call serves: (name, version); Substrate's versions of Core, Metadata, AccountNonceApi, AuraApi
SERVED_APIS: tuple[tuple[str, int], ...] = (
    ("Core", 5), ("Metadata", 2), ("AccountNonceApi", 1), ("AuraApi", 1), ("TransactionPaymentApi", 4),
    ("TaggedTransactionQueue", 3),
)

_ACCOUNT = ByteArrayS(32)
_API_LIST = VecS(TupleS((ByteArrayS(8), U32S)))
_NO_ARGS = TupleS(())


class UnknownRuntimeCall(LookupError):
    """No runtime function of that name (Substrate: "Exported method ... is not found")."""


def api_id(name: str) -> bytes:
    """A runtime API's 8-byte id: blake2-64 of its name (Substrate's `ApiId`)."""
    return blake2_64(name.encode())


def runtime_version_apis() -> list[tuple[bytes, int]]:
    return [(api_id(name), version) for name, version in SERVED_APIS]


def encode_runtime_version(version: Any) -> bytes:
    """`sp_version::RuntimeVersion` in SCALE: spec and impl names, authoring, spec and impl
    versions, the APIs (id, version), transaction version, system (state) version."""
    return b"".join((
        STRING.encode(version.spec_name), STRING.encode(version.impl_name), U32S.encode(version.authoring_version),
        U32S.encode(version.spec_version), U32S.encode(version.impl_version), _API_LIST.encode(runtime_version_apis()),
        U32S.encode(version.transaction_version), U8S.encode(version.state_version),
    ))


class _ExtrinsicArgs:
    """Arguments that start with an extrinsic (its own bytes, length-prefixed): `before` is the
    type of what precedes it (a tuple), `after` of what follows; decoded strictly."""

    def __init__(self, before: TupleS, after: TupleS) -> None:
        self.before, self.after = before, after

    def decode(self, data: bytes) -> tuple:
        head, pos = self.before.decode_from(data, 0)
        n, start = compact_decode(data, pos, 32)
        if n > MAX_EXTRINSIC_SIZE or start + n > len(data):
            raise CodecError(f"extrinsic: the length prefix says {n} bytes, {len(data) - start} follow")
        xt = data[pos : start + n]
        tail = self.after.decode(data[start + n :])
        return (*head, xt, *tail)


def _query_info(rt: Any, _state: Any, _n: int, xt: bytes, length: int) -> bytes:
    """`RuntimeDispatchInfo { weight, class, partial_fee }` of an extrinsic of `length` bytes."""
    from runtime.executive import query_fee

    info = query_fee(rt, xt, length)
    return RUNTIME_DISPATCH_INFO.encode(((info.weight, 0), NORMAL, info.partial_fee))


def _query_fee_details(rt: Any, _state: Any, _n: int, xt: bytes, length: int) -> bytes:
    """`FeeDetails { inclusion_fee: Option<InclusionFee> }` (its tip is not encoded)."""
    from runtime.executive import query_fee

    fee = query_fee(rt, xt, length).fee
    return FEE_DETAILS.encode((None if fee is None else (fee.base, fee.length, fee.weight),))


_VALID = TupleS((U64S, VecS(BYTES), VecS(BYTES), U64S, BOOL))  # priority, requires, provides, longevity, propagate


def _validate_transaction(rt: Any, state: Any, n: int, source: int, xt: bytes, block_hash: bytes) -> bytes:
    """`TransactionValidity`: Ok(ValidTransaction) or Err(Invalid(reason) | Unknown(reason)), for
    inclusion in the block after `block_hash` (the state's block)."""
    from runtime.executive import BlockExecution, InvalidReason, InvalidTransaction, UnknownTransaction

    if source > 2:
        raise CodecError(f"TransactionSource: unknown variant index {source}")
    try:
        v = BlockExecution(rt, state, block_hash, n + 1, (), hooks=False).validate(xt)
    except UnknownTransaction as exc:
        return bytes((1, 1, exc.unknown.value)) + (b"\0" if exc.unknown.name == "Custom" else b"")
    except InvalidTransaction as exc:
        body = bytes((exc.reason.value,)) + (b"\0" if exc.reason == InvalidReason.Custom else b"")
        return bytes((1, 0)) + body
    return b"\0" + _VALID.encode((v.priority, list(v.requires), list(v.provides), v.longevity, True))


def _metadata_at(rt: Any, version: int) -> bytes | None:
    return {14: metadata_v14, 15: metadata_v15}.get(version, lambda _rt: None)(rt)


# method -> (argument type, result type, fn(runtime, state, block number, *args) -> result value)
_CALLS: dict[str, tuple[Any, Any, Callable[..., Any]]] = {
    "Core_version": (_NO_ARGS, None, lambda rt, _s, _n: encode_runtime_version(rt.VERSION)),
    "Metadata_metadata": (_NO_ARGS, BYTES, lambda rt, _s, _n: metadata_v14(rt)),
    "Metadata_metadata_versions": (_NO_ARGS, VecS(U32S), lambda _rt, _s, _n: metadata_versions()),
    "Metadata_metadata_at_version": (TupleS((U32S,)), OptionS(BYTES), lambda rt, _s, _n, v: _metadata_at(rt, v)),
    "AccountNonceApi_account_nonce": (
        TupleS((_ACCOUNT,)), U32S, lambda rt, s, n, who: rt.call_api("AccountNonceApi_account_nonce", s, n, who),
    ),
    "AuraApi_authorities": (_NO_ARGS, VecS(_ACCOUNT), lambda rt, s, n: list(rt.call_api("AuraApi_authorities", s, n))),
    "AuraApi_slot_duration": (_NO_ARGS, U64S, lambda rt, _s, _n: rt.slot_duration_ms),
    "TransactionPaymentApi_query_info": (_ExtrinsicArgs(_NO_ARGS, TupleS((U32S,))), None, _query_info),
    "TransactionPaymentApi_query_fee_details": (_ExtrinsicArgs(_NO_ARGS, TupleS((U32S,))), None, _query_fee_details),
    "TaggedTransactionQueue_validate_transaction": (
        _ExtrinsicArgs(TupleS((U8S,)), TupleS((ByteArrayS(32),))), None, _validate_transaction,
    ),
}


def state_call(runtime: Any, method: str, data: bytes, state: Any, block_number: int) -> bytes:
    """The SCALE result of runtime function `method` with SCALE arguments `data`, over `state`
    (after block `block_number`). UnknownRuntimeCall for a name not served; CodecError for
    arguments that do not decode."""
    entry = _CALLS.get(method)
    if entry is None:
        raise UnknownRuntimeCall(method)
    arg_type, result_type, fn = entry
    args = arg_type.decode(data)
    value = fn(runtime, state, block_number, *args)
    return value if result_type is None else result_type.encode(value)


__all__ = [
    "SERVED_APIS", "UnknownRuntimeCall", "api_id", "encode_runtime_version", "runtime_version_apis", "state_call",
]
