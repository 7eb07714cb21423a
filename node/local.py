"""An in-process chain driver: genesis, authoring, import, state queries, all in memory.

Used by tests (as the `ChainBuilder`), by the scripted demo and by the import benchmark. It runs
exactly the runtime's `build_block` / `execute_block`, and builds and seals blocks through
node/authoring.py as the node does (so its blocks import into a node and the other way round); only
persistence and networking are left out (the node proper adds LevelDB, the pool, RPC and peers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from node import authoring
from node.precheck import ParallelPrecheck, Payloads
from runtime import scale_types
from runtime.block import Block, Header
from runtime.construct import Runtime
from runtime.executive import BlockError, BlockResult, execute_block, validate_transaction
from runtime.genesis import Genesis, new_runtime
from runtime.presets import ChainSpec, dev
from runtime.support import tx
from runtime.support.dispatch import Call, Ctx
from runtime.support.keys import ED25519, Keypair, dev_keypair, keypair_from_uri
from runtime.support.storage import MemoryBackend, Overlay
from runtime.support.trie import MemoryNodeStore, Trie


class LocalChain:
    """A single-authority-set chain held in memory. Blocks are authored in consecutive slots."""

    def __init__(
        self,
        spec: ChainSpec | None = None,
        authority_keys: Iterable[Keypair] | None = None,
        bls_backend: str | None = None,
    ) -> None:
        """`bls_backend`: the runtime's BLS12-381 backend ("arkworks", "py-ecc"; None: the default)."""
        self.spec = spec or dev()
        self.runtime: Runtime
        self.genesis: Genesis
        self.runtime, self.genesis = new_runtime(self.spec, bls_backend=bls_backend)
        self.backend = MemoryBackend(self.genesis.items)
        self.nodes = MemoryNodeStore()
        self.nodes.put_nodes(self.genesis.trie_update.new_nodes)
        self.head: Header = self.genesis.block.header
        self.blocks: dict[bytes, Block] = {self.head.hash(): self.genesis.block}
        self.by_number: list[bytes] = [self.head.hash()]
        self.last: BlockResult | None = None
        keys = list(authority_keys) if authority_keys is not None else [
            dev_keypair(n, ED25519) for n in ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
        ]
        self.authority_keys = {k.public: k for k in keys}
        self.slot = 0

    # ------------------------------------------------------------------ helpers
    @property
    def genesis_hash(self) -> bytes:
        return self.genesis.hash

    @property
    def number(self) -> int:
        return self.head.number

    def ctx(self) -> Ctx:
        """A read context over the head state (writes go to a throwaway overlay)."""
        return Ctx(Overlay(self.backend), self.head.number, self.runtime)

    def account(self, who: bytes | str) -> Any:
        if isinstance(who, str):
            who = keypair_from_uri(who).public
        return self.runtime.call_api("SystemApi_account", self.backend, self.head.number, who)

    def free(self, who: bytes | str) -> int:
        return self.account(who).free

    def state_root(self) -> bytes:
        return self.head.state_root

    def call(self, pallet: str, name: str, *args: Any) -> Call:
        return self.runtime.call(pallet, name, *args)

    def sign(
        self,
        key: Keypair | str,
        call: Call,
        nonce: int | None = None,
        tip: int = 0,
        era: tx.Era = tx.IMMORTAL,
        birth_hash: bytes | None = None,
    ) -> bytes:
        """Sign `call` (a v4 extrinsic) with the next nonce of `key` (unless given); a mortal era's
        birth block hash is this chain's unless given."""
        if isinstance(key, str):
            key = keypair_from_uri(key)
        if nonce is None:
            nonce = self.account(key.public).nonce
        if not era.is_immortal and birth_hash is None:
            birth_hash = self.by_number[era.birth(self.number + 1)]
        v = self.runtime.VERSION
        return tx.sign_extrinsic(
            key, self.encode_call(call), nonce=nonce, genesis_hash=self.genesis_hash, spec_version=v.spec_version,
            tx_version=v.transaction_version, tip=tip, era=era, birth_hash=birth_hash,
        )

    def encode_call(self, call: Call) -> bytes:
        """The SCALE bytes of `call` (RuntimeCall)."""
        return scale_types.encode_call(self.runtime, call)

    def validate(self, xt: bytes) -> Any:
        return validate_transaction(self.runtime, self.backend, self.head, xt)

    def next_slot(self) -> int:
        head_slot = self.head.slot() or 0
        return max(head_slot + 1, self.slot + 1)

    def payloads(self) -> Payloads:
        """Signed payloads as this chain knows them (its blocks by number), for pre-checking."""
        return Payloads.of(self.runtime, lambda n: self.by_number[n] if 0 <= n < len(self.by_number) else None)

    # ------------------------------------------------------------------ blocks
    def timestamp_inherent(self, slot: int) -> bytes:
        return authoring.timestamp_inherent(self.runtime, slot, self.spec.slot_duration_ms)

    def pulse_inherent(self, pulses: Iterable[Any]) -> bytes:
        """The Drand `write_pulse` inherent for these pulses (pallets.drand.Pulse)."""
        return authoring.pulse_inherent(self.runtime, pulses)

    def author(
        self,
        extrinsics: Iterable[bytes] = (),
        slot: int | None = None,
        parallel: bool = False,
        inherents: Iterable[bytes] = (),
    ) -> tuple[BlockResult, list]:
        """Author a block in the next slot with the given extrinsics; the invalid ones are left out
        and returned with their reasons. The block is sealed (by the slot's author, when its key is
        one of `authority_keys`; else left unsealed) and applied. `parallel` checks signatures in a
        worker thread while the runtime executes."""
        slot = self.next_slot() if slot is None else slot
        extrinsics = list(extrinsics)
        pre = ParallelPrecheck([(self.number + 1, extrinsics)], self.payloads()) if parallel else None
        result, rejected = authoring.build_on(
            self.runtime, self.backend, Trie(self.nodes, self.head.state_root), self.head, slot,
            [self.timestamp_inherent(slot), *inherents], extrinsics, pre,
        )
        auths = self.runtime.call_api("AuraApi_authorities", self.backend, self.head.number)
        author = authoring.slot_author(auths, slot)
        key = self.authority_keys.get(author) if author is not None else None
        self._apply(authoring.seal(result.header, key), result)
        self.slot = slot
        return result, rejected

    def import_block(self, block: Block, parallel: bool = False) -> BlockResult:
        """Re-execute a block built elsewhere on the head state; raises BlockError."""
        trie = Trie(self.nodes, self.head.state_root)
        if block.header.parent_hash != self.head.hash():
            raise BlockError("block does not extend the head")
        pre = ParallelPrecheck([(block.header.number, block.extrinsics)], self.payloads()) if parallel else None
        result = execute_block(self.runtime, self.backend, trie, block, prechecked=pre)
        self._apply(block.header, result)
        return result

    def _apply(self, header: Header, result: BlockResult) -> None:
        self.backend.apply(result.changes)
        self.nodes.put_nodes(result.trie_update.new_nodes)
        self.head = header
        h = header.hash()
        self.blocks[h] = Block(header, result.extrinsics)
        self.by_number.append(h)
        self.last = result

    def run_to_block(self, n: int) -> None:
        while self.head.number < n:
            self.author()

    def events(self, result: BlockResult | None = None) -> list[tuple[str, Any, int | None]]:
        """(name, fields, phase) of the last (or given) block's events."""
        r = result or self.last
        return [] if r is None else [(e.name, e.fields, e.phase) for e in r.events]

    def try_state(self) -> None:
        self.runtime.try_state(self.ctx())
