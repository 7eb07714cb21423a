"""Shared helpers for the SubtensorModule / AdminUtils tests (tests/subtensor).

A helper module rather than a second conftest.py: the test modules import `conftest` by name (the
rootdir conftest), and a second file of that name would shadow it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conftest import ALICE, BOB, TAO, ChainBuilder, assert_noop, check_only_fee_and_nonce

from pallets.subtensor.config import SubnetDefaults, SubtensorConfig
from runtime.presets import dev
from runtime.support.dispatch import Ctx
from runtime.support.hashing import storage_prefix
from runtime.support.keys import Keypair, dev_keypair, keypair_from_uri
from runtime.support.storage import Overlay

S = "SubtensorModule"
A = "AdminUtils"
NEWBIE = dev_keypair("Newbie")  # not funded at genesis


def hk(name: str) -> Keypair:
    """A hotkey (never funded)."""
    return keypair_from_uri(f"//{name}//hot")


def spec_with(subnet: dict[str, Any] | None = None, **top: Any):
    """The dev spec with SubtensorConfig.fast() overridden (top-level and new-subnet fields)."""
    cfg = SubtensorConfig.fast()
    if subnet:
        cfg = dataclasses.replace(cfg, subnet=dataclasses.replace(cfg.subnet, **subnet))
    if top:
        cfg = dataclasses.replace(cfg, **top)
    return dataclasses.replace(dev(), subtensor=cfg)


def builder(subnet: dict[str, Any] | None = None, **top: Any) -> ChainBuilder:
    return ChainBuilder(spec_with(subnet, **top))


def sub(chain: ChainBuilder):
    return chain.runtime.subtensor


def get(chain: ChainBuilder, item: str, *keys: Any) -> Any:
    return getattr(sub(chain), item).get(chain.ctx().state, *keys)


def ctx_at(chain: ChainBuilder, block: int | None = None) -> Ctx:
    """A throwaway context over the head state, as if executing block `block` (default head+1)."""
    return Ctx(Overlay(chain.backend), chain.number + 1 if block is None else block, chain.runtime)


def events(chain: ChainBuilder, result, name: str) -> list[Any]:
    return [f for n, f, _ in chain.events(result) if n == name]


def ok(chain: ChainBuilder, key: Keypair, pallet: str, name: str, *args: Any):
    r = chain.submit(key, pallet, name, *args)
    err = chain.outcome(r).error
    assert err is None, err.name
    return r


def sudo(chain: ChainBuilder, pallet: str, name: str, *args: Any):
    """Alice (sudo) dispatches a call as root; it must succeed."""
    r = chain.submit(ALICE, "Sudo", "sudo", chain.call(pallet, name, *args))
    sudid = events(chain, r, "Sudo.Sudid")
    assert sudid and sudid[0].sudo_result is None, chain.runtime.event_errors(sudid[0])
    return r


def admin(chain: ChainBuilder, name: str, *args: Any):
    return sudo(chain, A, name, *args)


def submit_block(chain: ChainBuilder, calls: list[tuple[Keypair, str, str, tuple]]):
    """One block with several signed calls (nonces counted up per signer). Returns the result."""
    used: dict[bytes, int] = {}
    xts = []
    for key, pallet, name, args in calls:
        nonce = used.get(key.public, chain.account(key.public).nonce)
        used[key.public] = nonce + 1
        xts.append(chain.sign(key, chain.call(pallet, name, *args), nonce=nonce))
    result, rejected = chain.author(xts)
    assert not rejected, rejected
    return result


def make_subnet(
    chain: ChainBuilder, owner: Keypair = ALICE, owner_hot: Keypair | None = None, start: bool = False,
    cr: bool | None = None,
) -> int:
    owner_hot = owner_hot or hk(f"owner{chain.number}")
    r = ok(chain, owner, S, "register_network", owner_hot.public)
    netuid = events(chain, r, "SubtensorModule.NetworkAdded")[0].netuid
    if start:
        ok(chain, owner, S, "start_call", netuid)
    if cr is not None:
        admin(chain, "sudo_set_commit_reveal_weights_enabled", netuid, cr)
    return netuid


def register(chain: ChainBuilder, netuid: int, hot: Keypair, cold: Keypair = BOB) -> int:
    r = ok(chain, cold, S, "burned_register", netuid, hot.public)
    return events(chain, r, "SubtensorModule.NeuronRegistered")[0].uid


def advance_to(chain: ChainBuilder, block: int) -> None:
    """Author empty blocks until the head is `block`."""
    chain.run_to_block(block)


def next_epoch_block(chain: ChainBuilder, netuid: int, after: int | None = None) -> int:
    """The first block > `after` (default: the head) at which netuid's epoch runs."""
    b = (chain.number if after is None else after) + 1
    tempo = get(chain, "Tempo", netuid)
    return b + sub(chain).blocks_until_next_epoch(netuid, tempo, b)


def epoch_of(chain: ChainBuilder, netuid: int, block: int) -> int:
    return sub(chain).epoch_index(netuid, get(chain, "Tempo", netuid), block)


# Items an *empty* block may rewrite on a subnet whose emission started or whose epoch is due:
# pending emission accrues every block, an epoch rewrites its output vectors, bonds and
# LastMechansimStepBlock (same values when nothing changed, but not always), and on_initialize
# clears RegistrationsThisBlock. None of them is touched by a failing call, so `noop` may ignore them.
EPOCH_ITEMS = (
    "PendingServerEmission", "PendingValidatorEmission", "PendingOwnerCut", "LastMechansimStepBlock",
    "Active", "Emission", "Incentive", "Consensus", "Dividends", "ValidatorTrust", "ValidatorPermit",
    "StakeWeight", "Bonds", "RegistrationsThisBlock",
)


def _prefixes(ignore: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(storage_prefix(S, item) for item in ignore)


def noop(chain: ChainBuilder, key: Keypair, pallet: str, name: str, *args: Any, error: str,
         ignore: tuple[str, ...] = EPOCH_ITEMS):
    """conftest.assert_noop, also ignoring the per-block SubtensorModule items above (documented
    there); for a subnet in emission, call it on a non-epoch block (stake moves at epochs and is
    not ignored)."""
    return assert_noop(chain, key, pallet, name, *args, error=error, ignore=_prefixes(ignore))


def sudo_noop(chain: ChainBuilder, pallet: str, name: str, *args: Any, error: str,
              ignore: tuple[str, ...] = EPOCH_ITEMS):
    """A root call via sudo that must fail with `error`: Sudid(ok=False) and nothing else changed."""
    before = dict(chain.backend.items)
    signer_before = chain.account(ALICE.public)
    result = chain.submit(ALICE, "Sudo", "sudo", chain.call(pallet, name, *args))
    sudid = events(chain, result, "Sudo.Sudid")
    named = chain.runtime.event_errors(sudid[0]) if sudid else {}
    assert named.get("ok") is False and named["error"].endswith(error), named
    check_only_fee_and_nonce(chain, result, before, ALICE, signer_before, chain.outcome(result).fee, _prefixes(ignore))
    return result


def fund(chain: ChainBuilder, who: bytes, amount: int) -> None:
    ok(chain, BOB, "Balances", "transfer_allow_death", who, amount)


__all__ = [
    "A", "NEWBIE", "S", "SubnetDefaults", "TAO", "admin", "advance_to", "builder", "ctx_at", "epoch_of",
    "events", "fund", "get", "hk", "make_subnet", "next_epoch_block", "noop", "ok", "register",
    "spec_with", "sub", "submit_block", "sudo", "sudo_noop",
]
