"""taochain: a Substrate-style Bittensor chain in Python.

The SDK (imported lazily, so `taochain` itself stays light):

    import taochain
    c = taochain.Client(network="local")       # or taochain.AsyncClient(...) under asyncio
    mg = c.metagraph(1)                         # taochain.Metagraph: numpy arrays, bittensor's names
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "Client": "taochain.client",
    "AsyncClient": "taochain.client",
    "ExtrinsicResult": "taochain.client",
    "RpcError": "taochain.client",
    "ConnectionFailed": "taochain.client",
    "Metagraph": "taochain.metagraph",
    "AxonInfo": "taochain.metagraph",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'taochain' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value
