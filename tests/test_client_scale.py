"""The SDK composing calls in SCALE from a dev node's own metadata (AsyncClient.compose_call).

Every call the SDK composes (each `compose_call(` in taochain/: transfers, subnet registration,
burned and PoW registration, staking, weights, hash and timelocked commits, axons, every
hyperparameter setter, Sudo.sudo around one), with the Python arguments the SDK passes there, must
give the bytes of the runtime's own RuntimeCall codec for the same call built in the runtime (accounts
given as SS58, hex, URIs or key pairs converted to their 32 bytes), and decode back with
runtime/scale_types.decode_call to the same arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
from devnode import with_node

from runtime.construct import Runtime
from runtime.scale_types import decode_call, encode_call
from runtime.support.keys import keypair_from_uri, ss58_decode, ss58_encode
from taochain.client import TIMELOCK_VERSION, AsyncClient

ST = "SubtensorModule"


def _sdk_calls(alice: Any, bob: Any) -> list[tuple[str, str, tuple]]:
    """(pallet, call, args) as taochain/'s compose_call sites pass them."""
    return [
        ("Balances", "transfer_all", (bob.public, True)),
        ("Balances", "transfer_keep_alive", (bob.public, 10**9)),
        ("Balances", "transfer_allow_death", (ss58_encode(bob.public), 5)),
        (ST, "start_call", (1,)),
        (ST, "register_network", (bob.public,)),
        (ST, "register_network", ("//Bob",)),
        (ST, "burned_register", (1, bob.public)),
        (ST, "burned_register", (1, bob)),
        (ST, "register", (1, 12, 0, b"\0" * 32, bob.public, alice.public)),
        (ST, "register", (1, 12, 2**63, bytes(range(32)), bob.public, alice.public)),
        (ST, "add_stake", (bob.public, 10**9)),
        (ST, "remove_stake", ("0x" + bob.public.hex(), 1)),
        (ST, "become_delegate", (bob.public,)),
        (ST, "set_weights", (1, [0, 1, 2], [65535, 0, 7], 0)),
        (ST, "commit_weights", (1, bytes(range(32)))),
        (ST, "reveal_weights", (1, [0, 1], [9, 65535], [1, 2, 3, 4, 5, 6, 7, 8], 3)),
        (ST, "commit_timelocked_weights", (1, b"\x01\x02" * 100, 123456, TIMELOCK_VERSION)),
        (ST, "serve_axon", (1, 0, 0x7F000001, 8091, 4, 4, 0, 0)),
        (ST, "serve_axon", (1, 5, (1 << 128) - 1, 65535, 6, 0, 0, 0)),
    ]


def _account(a: Any) -> Any:
    """An SDK account argument (SS58, 0x-hex, //URI, Keypair) as the runtime's 32 bytes."""
    if isinstance(a, str):
        return bytes.fromhex(a[2:]) if a.startswith("0x") else keypair_from_uri(a).public if a.startswith("//") else ss58_decode(a)
    if isinstance(a, list):
        return tuple(a)  # the runtime's Call holds sequences as tuples
    return getattr(a, "public", a)


def test_every_sdk_call_composes_in_scale_from_the_node_metadata() -> None:
    rt = Runtime()
    alice, bob = keypair_from_uri("//Alice"), keypair_from_uri("//Bob")

    async def check(c: AsyncClient, pallet: str, name: str, args: tuple) -> bytes:
        expected = rt.call(pallet, name, *(_account(a) for a in args))
        got = await c.compose_call(pallet, name, *args)
        assert got == encode_call(rt, expected), (pallet, name)
        assert decode_call(rt, got) == expected, (pallet, name)
        return got

    async def main(_rn: Any, c: AsyncClient) -> int:
        assert await c.scale() is await c.scale()  # read once per client
        n = 0
        for pallet, name, args in _sdk_calls(alice, bob):
            await check(c, pallet, name, args)
            n += 1
        setters = [h for h in await c.hyperparameter_table() if h.get("setter")]
        assert setters
        for h in setters:
            value = True if h["type"] == "bool" else h["initial"] if isinstance(h["initial"], int) else 1
            inner = await check(c, "AdminUtils", h["setter"], (1, value))
            # Sudo.sudo around it: the composed bytes, or a (pallet, name, args) triple
            sudo = await c.compose_call("Sudo", "sudo", inner)
            assert sudo == encode_call(rt, rt.call("Sudo", "sudo", rt.call("AdminUtils", h["setter"], 1, value)))
            assert sudo == await c.compose_call("Sudo", "sudo", ("AdminUtils", h["setter"], (1, value)))
            n += 2
        # the one conversion a nested triple needs: its accounts too
        sudo = await c.compose_call("Sudo", "sudo", ("Balances", "transfer_keep_alive", ("//Bob", 3)))
        assert sudo == encode_call(rt, rt.call("Sudo", "sudo", rt.call("Balances", "transfer_keep_alive",
                                                                        bob.public, 3)))
        with pytest.raises(ValueError, match=r"takes 2 arguments \(dest, value\)"):
            await c.compose_call("Balances", "transfer_keep_alive", bob.public)
        with pytest.raises(ValueError, match="argument value"):
            await c.compose_call("Balances", "transfer_keep_alive", bob.public, -1)
        return n

    assert with_node(main) > 40
