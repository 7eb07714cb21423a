"""Runtime calls in SCALE, as Substrate's `state_call(method, data)`: the runtime APIs a Substrate
client calls at start-up (`Core_version`, `Metadata_metadata`, `Metadata_metadata_versions`,
`Metadata_metadata_at_version`) and after (`AccountNonceApi_account_nonce`, `AuraApi_authorities`,
`AuraApi_slot_duration`).

Each takes its arguments SCALE-encoded (decoded strictly: the whole input, CodecError otherwise)
and returns its result SCALE-encoded, over the state after a block, in a layer that is thrown away.
The runtime version lists exactly these APIs, with Substrate's ids (blake2-64 of the API's name)
and versions, so a client asks only for what is served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.metadata import metadata_v14, metadata_v15, metadata_versions
from runtime.support.hashing import blake2_64
from runtime.support.scale import BYTES, STRING, U8S, U32S, U64S, ByteArrayS, OptionS, TupleS, VecS

# the APIs state_call serves: (name, version); Substrate's versions of Core, Metadata, AccountNonceApi, AuraApi
SERVED_APIS: tuple[tuple[str, int], ...] = (("Core", 5), ("Metadata", 2), ("AccountNonceApi", 1), ("AuraApi", 1))

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
