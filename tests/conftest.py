"""Shared test helpers: a chain builder over the in-memory chain driver, and `assert_noop`."""

from __future__ import annotations

from typing import Any

import pytest

from node.local import LocalChain
from runtime.executive import BlockResult
from runtime.support.keys import Keypair, dev_keypair

TAO = 10**9
ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE = (dev_keypair(n) for n in ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"))

# keys every block writes whatever it contains
BLOCK_KEYS = (
    ("System", "Number"),
    ("System", "ParentHash"),
    ("System", "BlockHash"),
    ("System", "Events"),
    ("System", "ExtrinsicCount"),
    ("Timestamp", "Now"),
    ("Timestamp", "DidUpdate"),
    ("Aura", "CurrentSlot"),
)


class ChainBuilder(LocalChain):
    """LocalChain that checks every pallet's try_state after each block."""

    def author(self, extrinsics=(), slot=None, parallel=False, inherents=()):  # type: ignore[override]
        result, rejected = super().author(extrinsics, slot, parallel, inherents)
        self.try_state()
        return result, rejected

    def submit(self, key: Keypair, pallet: str, name: str, *args: Any, **kw: Any) -> BlockResult:
        """Author a block with one signed call; it must be included (valid)."""
        xt = self.sign(key, self.call(pallet, name, *args), **kw)
        result, rejected = self.author([xt])
        assert not rejected, rejected[0][1].message
        return result

    def event_names(self, result: BlockResult | None = None) -> list[str]:
        return [n for n, _, _ in self.events(result)]

    def outcome(self, result: BlockResult):
        return result.outcomes[-1]


@pytest.fixture
def chain() -> ChainBuilder:
    return ChainBuilder()


def block_key(chain: LocalChain, key: bytes) -> bool:
    from runtime.support.hashing import storage_prefix

    return any(key.startswith(storage_prefix(p, i)) for p, i in BLOCK_KEYS)


def assert_noop(
    chain: ChainBuilder, key: Keypair, pallet: str, name: str, *args: Any, error: str, ignore: tuple[bytes, ...] = ()
) -> BlockResult:
    """Submit a call that must fail with `error`; prove that only the nonce and the fee moved:
    every changed key is a per-block key, the signer's account (nonce + 1, free - fee), the
    author's account (+ fee), or rewritten with its old value. Keys under an `ignore` prefix are
    left out (items that empty blocks rewrite too)."""
    before = dict(chain.backend.items)
    signer_before = chain.account(key.public)
    result = chain.submit(key, pallet, name, *args)
    outcome = chain.outcome(result)
    assert outcome.error is not None, "the call succeeded"
    assert outcome.error.name.endswith(error), outcome.error.name
    assert "System.ExtrinsicFailed" in chain.event_names(result)
    check_only_fee_and_nonce(chain, result, before, key, signer_before, outcome.fee, ignore)
    return result


def check_only_fee_and_nonce(chain, result, before, key, signer_before, fee, ignore: tuple[bytes, ...] = ()) -> None:
    """Every key `result` changed is a per-block key, under an `ignore` prefix, the signer's account
    (nonce + 1, free - fee), the author's account, or rewritten with its value from `before`."""
    auths = chain.runtime.aura.authorities(chain.ctx())
    author = auths[(chain.head.slot() or 0) % len(auths)]
    sys_acct = chain.runtime.system.Account
    for k, v in result.changes.items():
        if block_key(chain, k) or k.startswith(ignore):
            continue
        if k == sys_acct.key(key.public):
            after = chain.account(key.public)
            expect_free = signer_before.free - fee + (fee if key.public == author else 0)
            assert (after.nonce, after.free) == (signer_before.nonce + 1, expect_free)
        elif k == sys_acct.key(author):
            pass
        else:
            assert v == before.get(k), f"key 0x{k.hex()} changed"
