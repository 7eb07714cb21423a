"""Runtime APIs: the typed views a pallet offers to the node, and their JSON form.

A pallet declares its views as `RuntimeApi` entries (as subtensor's `rpc_info/` and its
`SubnetInfoRuntimeApi`, `NeuronInfoRuntimeApi`, ... declare theirs): an API and method name (the
`state_call` name is `<Api>_<method>`), the JSON-RPC method that serves it (if any), typed
parameters, a reader `(pallet, ctx, *args) -> record` and a one-line doc. The runtime collects the
entries of every pallet into one table (`Runtime.apis`); the node serves that table generically and
never reads pallet storage itself.

Results are frozen view records (dataclasses) built from `AccountId`, ints, bools, bytes, tuples and
other records; `view_json` turns one into JSON for the RPC: accounts as SS58, bytes as 0x-hex,
tuples as lists, records as objects (or a record's own `to_json()`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .keys import ss58_encode


class AccountId(bytes):
    """A 32-byte account in a view record: shown as SS58 in JSON."""

    __slots__ = ()


def account(b: bytes | None) -> AccountId | None:
    return None if b is None else AccountId(b)


class AccountParam:
    """Parameter type of an API taking an account (SS58 or 0x-hex in JSON)."""

    def __repr__(self) -> str:
        return "AccountId"


ACCOUNT = AccountParam()


@dataclasses.dataclass(frozen=True, slots=True)
class RuntimeApi:
    """One view: `reader(pallet, ctx, *args)`; `ahead` numbers the context one block past `at`
    (values the next block would see, e.g. a lock cost)."""

    api: str  # e.g. "SubnetInfoRuntimeApi"
    method: str  # e.g. "get_subnet_info"
    reader: Callable[..., Any]
    params: tuple[tuple[str, Any], ...] = ()  # (name, wire type: U16, U64, ACCOUNT)
    result: str = ""  # what it returns, for humans (metadata)
    rpc: str | None = None  # the JSON-RPC method serving it, e.g. "subnetInfo_getSubnetInfo"
    doc: str = ""
    ahead: int = 0

    @property
    def name(self) -> str:
        return f"{self.api}_{self.method}"

    def metadata(self) -> dict[str, Any]:
        return {
            "name": self.name, "rpc": self.rpc, "doc": self.doc, "result": self.result,
            "params": [{"name": n, "type": repr(t)} for n, t in self.params],
        }


def view_json(v: Any) -> Any:
    """A view record (or a value inside one) as JSON."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, AccountId):
        return ss58_encode(bytes(v))
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, tuple | list):
        return [view_json(x) for x in v]
    to_json = getattr(v, "to_json", None)
    if to_json is not None:
        return to_json()
    if dataclasses.is_dataclass(v):
        return {f.name.rstrip("_"): view_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    raise TypeError(f"not a view value: {type(v).__name__}")


__all__ = ["ACCOUNT", "AccountId", "AccountParam", "RuntimeApi", "account", "view_json"]
