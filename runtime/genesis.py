"""Genesis: the initial state of a chain spec and its block 0.

The genesis state is built by running each pallet's genesis function on an empty overlay; the
genesis header has a zero parent, number 0, the state root of that state, the root of no
extrinsics, and no digest or seal. Its hash is the chain's identity (signed into every transaction).
"""

from __future__ import annotations

import dataclasses

from runtime.block import Block, Header, extrinsics_root
from runtime.construct import Runtime
from runtime.presets import ChainSpec
from runtime.support.dispatch import Ctx
from runtime.support.storage import MemoryBackend, Overlay
from runtime.support.trie import MemoryNodeStore, Trie, TrieUpdate


@dataclasses.dataclass(frozen=True, slots=True)
class Genesis:
    items: dict[bytes, bytes]  # the genesis key-value state
    trie_update: TrieUpdate  # its trie nodes
    block: Block

    @property
    def hash(self) -> bytes:
        return self.block.hash()


def build_genesis_state(runtime: Runtime, spec: ChainSpec) -> dict[bytes, bytes]:
    overlay = Overlay(MemoryBackend())
    ctx = Ctx(overlay, 0, runtime)
    runtime.aura.genesis(ctx, list(spec.authorities))
    runtime.balances.genesis(ctx, list(spec.balances))
    runtime.sudo.genesis(ctx, spec.sudo)
    runtime.subtensor.genesis(ctx)
    runtime.drand.genesis(ctx)
    if spec.genesis_timestamp_ms:
        runtime.timestamp.Now.set(overlay, spec.genesis_timestamp_ms)
    return {k: v for k, v in overlay.changes().items() if v is not None}


def build_genesis(runtime: Runtime, spec: ChainSpec) -> Genesis:
    """Genesis state and block; also tells the runtime its genesis hash."""
    items = build_genesis_state(runtime, spec)
    update = Trie(MemoryNodeStore()).update(items)
    header = Header(b"\0" * 32, 0, update.root, extrinsics_root(()), (), b"")
    genesis = Genesis(items, update, Block(header, ()))
    runtime.genesis_hash = genesis.hash
    return genesis


def new_runtime(
    spec: ChainSpec, yuma_backend: str = "numpy", bls_backend: str | None = None
) -> tuple[Runtime, Genesis]:
    rt = Runtime(
        slot_duration_ms=spec.slot_duration_ms,
        subtensor=spec.subtensor,
        yuma_backend=yuma_backend,
        drand=spec.drand.runtime_config(),
        bls_backend=bls_backend,
    )
    return rt, build_genesis(rt, spec)
