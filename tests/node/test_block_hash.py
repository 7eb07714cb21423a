"""The block hash is Substrate's: what a client computes from chain_getHeader's JSON alone.

A Substrate client (py-substrate-interface, @polkadot/api) hashes a header it receives as
blake2-256 of its SCALE encoding: parentHash, number (compact u32), stateRoot, extrinsicsRoot, and
the digest's logs (each already a SCALE DigestItem in the JSON, the Seal(aura) item last). This test
does that with its own few lines (no project code) and with scalecodec's Header type, and gets the
hash the node reports; a tampered seal gives another hash and the node refuses the block."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from devnode import with_node
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.block import Block
from runtime.executive import BlockError
from runtime.support.keys import ED25519, dev_keypair, verify


def _compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def _unhex(s: str) -> bytes:
    assert s.startswith("0x")
    return bytes.fromhex(s[2:])


def scale_header(j: dict, drop_seal: bool = False) -> bytes:
    """SCALE of a header from its RPC JSON fields alone."""
    logs = [_unhex(x) for x in j["digest"]["logs"]]
    if drop_seal:
        assert logs[-1][0] == 5 and logs[-1][1:5] == b"aura"  # DigestItem::Seal(aura, ..)
        logs = logs[:-1]
    return b"".join((
        _unhex(j["parentHash"]), _compact(int(j["number"], 16)), _unhex(j["stateRoot"]),
        _unhex(j["extrinsicsRoot"]), _compact(len(logs)), *logs,
    ))


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def test_a_client_hashes_chain_getheader_json_to_the_nodes_block_hash() -> None:
    async def t(rn, c):
        await wait_for_number(rn, 3)
        genesis = await c.rpc("chain_getHeader", await c.rpc("chain_getBlockHash", 0))
        assert genesis["digest"]["logs"] == []  # the genesis has no seal: its hash is its plain SCALE's
        assert "0x" + blake2_256(scale_header(genesis)).hex() == await c.rpc("chain_getBlockHash", 0)
        rc = RuntimeConfigurationObject()
        rc.update_type_registry(load_type_registry_preset("legacy"))
        for n in (1, 2, 3):
            h = await c.rpc("chain_getBlockHash", n)
            j = await c.rpc("chain_getHeader", h)
            raw = scale_header(j)
            assert "0x" + blake2_256(raw).hex() == h
            assert (await c.rpc("chain_getBlock", h))["block"]["header"] == j
            # an outside SCALE implementation reads the same bytes as the same header
            got = rc.create_scale_object("Header", data=ScaleBytes(raw)).decode()
            assert got["number"] == n and got["parent_hash"] == j["parentHash"]
            assert list(got["digest"]["logs"][-1]) == ["Seal"]
            # the seal is Alice's (ed25519 authority key) signature over the pre-hash, as Aura's
            block = rn.node.db.block(_unhex(h))
            assert block.header.pre_hash() == blake2_256(scale_header(j, drop_seal=True))
            assert verify(dev_keypair("Alice", ED25519).public, block.header.pre_hash(), block.header.seal)
            assert j["parentHash"] == await c.rpc("chain_getBlockHash", n - 1)

        # a tampered seal: another hash, and refused on import
        h = await c.rpc("chain_getBlockHash", 2)
        good = rn.node.db.block(_unhex(h))
        seal = bytearray(good.header.seal)
        seal[0] ^= 1
        bad = Block(dataclasses.replace(good.header, seal=bytes(seal)), good.extrinsics)
        assert bad.hash() != good.hash() and bad.header.pre_hash() == good.header.pre_hash()
        with pytest.raises(BlockError, match="bad seal"):
            rn.node.check_seal(bad.header)  # what import_block checks of a block on top of finality
        with pytest.raises(BlockError):
            await rn.node.import_block(bad)
        assert not rn.node.db.has_block(bad.hash())

    with_node(t)


async def wait_for_number(rn, n: int) -> None:
    import asyncio

    for _ in range(400):
        if rn.node.best.number >= n:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"no block #{n} in 10 s")
