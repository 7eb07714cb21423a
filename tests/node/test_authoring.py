"""The shared authoring rules (node/authoring.py): the slot author, the seal check the node runs on
imported and announced headers, and that the node and the in-process chain build the same blocks."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from node import authoring
from node.authoring import MAX_FUTURE_SLOTS, FutureBlock
from node.local import LocalChain
from node.service import FutureBlock as ServiceFutureBlock
from node.service import Node, NodeConfig
from runtime.block import Block
from runtime.executive import BlockError
from runtime.presets import dev, local
from runtime.support.keys import ED25519, dev_keypair

ALICE, BOB, CHARLIE = (dev_keypair(n, ED25519) for n in ("Alice", "Bob", "Charlie"))  # authority keys
THREE = (ALICE.public, BOB.public, CHARLIE.public)


def _node(chain: str, now_slot: int | None = None, key_uri: str | None = None) -> Node:
    """An in-memory node (not started); `now_slot` fixes its clock inside that slot (1 s slots)."""
    clock = (lambda: now_slot + 0.5) if now_slot is not None else None
    cfg = NodeConfig(chain=chain, in_memory=True, key_uri=key_uri)
    return Node(cfg, clock) if clock is not None else Node(cfg)


def test_the_slot_author_goes_round_the_authority_set() -> None:
    assert [authoring.slot_author(THREE, s) for s in range(7)] == [
        ALICE.public, BOB.public, CHARLIE.public, ALICE.public, BOB.public, CHARLIE.public, ALICE.public,
    ]
    assert authoring.slot_author(THREE, 3 * 10**6 + 2) == CHARLIE.public
    assert authoring.slot_author((BOB.public,), 41) == BOB.public
    assert authoring.slot_author((), 5) is None


def test_slots_strictly_increase_after_the_genesis_block() -> None:
    chain = LocalChain(local())
    genesis = chain.head
    assert authoring.slot_follows(genesis, 0) and authoring.slot_follows(genesis, 9)
    chain.author(slot=4)
    assert not authoring.slot_follows(chain.head, 3) and not authoring.slot_follows(chain.head, 4)
    assert authoring.slot_follows(chain.head, 5)


def test_the_seal_check_wants_the_slot_author_and_no_future_slot() -> None:
    chain = LocalChain(local())
    for slot in (1, 2, 3):  # Bob, Charlie, Alice
        chain.author(slot=slot)
    headers = [chain.blocks[h].header for h in chain.by_number[1:]]
    for h in headers:
        authoring.check_seal(h, THREE, now_slot=3)
    h = headers[0]  # slot 1: Bob's
    assert h.seal and authoring.slot_author(THREE, 1) == BOB.public
    # sealed by another authority, or by nobody: refused, and not as a future block
    for seal in (ALICE.sign(h.pre_hash()), CHARLIE.sign(h.pre_hash()), b"", b"\x00" * 64):
        with pytest.raises(BlockError, match="bad seal") as err:
            authoring.check_seal(h.with_seal(seal), THREE, now_slot=3)
        assert not isinstance(err.value, FutureBlock)
    # Bob's seal is wrong where the set makes another authority the slot's author
    with pytest.raises(BlockError, match="bad seal"):
        authoring.check_seal(h, (ALICE.public, CHARLIE.public, BOB.public), now_slot=3)
    with pytest.raises(BlockError, match="bad seal"):
        authoring.check_seal(h, (), now_slot=3)
    # a changed header no longer matches its seal
    with pytest.raises(BlockError, match="bad seal"):
        authoring.check_seal(dataclasses.replace(h, state_root=b"\x01" * 32), THREE, now_slot=3)
    # up to MAX_FUTURE_SLOTS early is clock drift; one more is a future block
    assert MAX_FUTURE_SLOTS == 2
    authoring.check_seal(h, THREE, now_slot=1 - MAX_FUTURE_SLOTS)
    with pytest.raises(FutureBlock, match="block from the future"):
        authoring.check_seal(h, THREE, now_slot=1 - MAX_FUTURE_SLOTS - 1)
    # the future check comes before the seal's: a future header with a bad seal may become valid later
    with pytest.raises(FutureBlock):
        authoring.check_seal(h.with_seal(b""), THREE, now_slot=-5)
    with pytest.raises(BlockError, match="no Aura slot digest"):
        authoring.check_seal(dataclasses.replace(h, digest=()), THREE, now_slot=3)


def test_node_check_seal_is_the_shared_rule() -> None:
    """What node/network.py runs on announced headers: Node.check_seal, FutureBlock from node.service."""
    assert ServiceFutureBlock is FutureBlock

    async def main() -> None:
        chain = LocalChain(local())
        chain.author(slot=7)  # Bob's
        h = chain.head
        node = _node("local", now_slot=7)
        node.check_seal(h)  # the best block's authorities (genesis)
        node.check_seal(h, THREE)
        with pytest.raises(BlockError, match="bad seal") as err:
            node.check_seal(h.with_seal(ALICE.sign(h.pre_hash())), THREE)
        assert not isinstance(err.value, FutureBlock)
        with pytest.raises(BlockError, match="bad seal"):
            node.check_seal(h, (BOB.public, ALICE.public, CHARLIE.public))  # slot 7 is Alice's there
        early = _node("local", now_slot=7 - MAX_FUTURE_SLOTS - 1)
        with pytest.raises(FutureBlock, match="slot 7, now 4"):
            early.check_seal(h, THREE)
        with pytest.raises(FutureBlock):
            await early.import_block(chain.blocks[h.hash()])
        assert early.best.number == 0
        await node.stop()
        await early.stop()

    asyncio.run(main())


def test_local_chain_blocks_import_into_a_node_and_node_blocks_into_a_local_chain() -> None:
    async def main() -> None:
        # three authorities: LocalChain seals each slot with that slot's author; a keyless node imports them
        chain = LocalChain(local())
        for slot in (2, 3, 4, 6):
            chain.author(slot=slot)
        node = _node("local", now_slot=6)
        for h in chain.by_number[1:]:
            assert await node.import_block(chain.blocks[h])
        assert node.best.hash() == chain.head.hash() and node.best.state_root == chain.state_root()
        # a block whose slot belongs to an authority whose key LocalChain lacks goes unsealed: refused
        partial = LocalChain(local(), authority_keys=[ALICE, BOB])
        partial.author(slot=2)  # Charlie's slot
        assert partial.head.seal == b""
        other = _node("local", now_slot=6)
        with pytest.raises(BlockError, match="bad seal"):
            await other.import_block(partial.blocks[partial.head.hash()])
        # a slot that does not increase: refused (before the seal)
        stale = dataclasses.replace(chain.blocks[chain.by_number[2]].header, parent_hash=chain.head.hash(), number=5)
        with pytest.raises(BlockError, match="slot does not increase"):
            node.verify_header(authoring.seal(stale, CHARLIE))
        await node.stop()
        await other.stop()

    asyncio.run(main())


def test_the_node_and_local_chain_author_the_same_block() -> None:
    """Same parent, slot and inherents (timestamp, a beacon pulse): the node's author_block and
    LocalChain.author give the same sealed block, and each imports the other's."""

    async def main() -> None:
        node = _node("dev", key_uri="//Alice")
        beacon = node.beacon
        rnd = beacon.current_round() - 1
        beacon.on_partial(beacon.make_partial(rnd), own=True)
        pulses = beacon.pulses_for_block(node.last_stored_round())
        assert [p.round for p in pulses] == [rnd]
        slot = node.current_slot()
        block = await node.author_block(slot)
        assert block is not None and len(block.extrinsics) == 2  # timestamp, write_pulse
        assert await node.author_block(slot) is None  # the slot is taken: no second block

        chain = LocalChain(dev())
        result, rejected = chain.author(slot=slot, inherents=[chain.pulse_inherent(pulses)])
        assert not rejected
        mine = chain.blocks[chain.head.hash()]
        assert list(mine.extrinsics) == list(block.extrinsics)
        assert mine.header == block.header and mine.hash() == block.hash()
        assert result.header == dataclasses.replace(block.header, seal=b"")  # the result's header is unsealed
        assert mine.extrinsics[0] == authoring.timestamp_inherent(chain.runtime, slot, dev().slot_duration_ms)
        assert list(mine.extrinsics) == authoring.block_inherents(chain.runtime, slot, 1000, pulses)

        # the node's block into a fresh LocalChain, LocalChain's block into a fresh node
        again = LocalChain(dev())
        again.import_block(block)
        assert again.head == block.header and again.state_root() == node.best.state_root
        keyless = _node("dev")
        assert await keyless.import_block(Block(mine.header, mine.extrinsics))
        assert keyless.best.hash() == mine.hash()
        # the node does not author a slot another key owns
        bob = _node("dev", key_uri="//Bob")
        assert await bob.author_block(slot + 1) is None and bob.best.number == 0
        for n in (node, keyless, bob):
            await n.stop()

    asyncio.run(main())
