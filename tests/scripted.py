"""The scripted 100-block dev chain whose genesis hash and final state root are golden vectors.

Deterministic: every amount derives from the block number, and the accounts are the ed25519 keys
of the dev URIs (funded, Alice sudo, in place of the dev preset's sr25519 accounts), because ed25519
signatures are deterministic while sr25519's are randomized: with sr25519 signers the extrinsics
root, so every block hash and (through System's BlockHash) every state root, would change on each
run. Used by tests/test_golden.py and by tests/vectors/generate.py (the only writer of the vectors).
"""

from __future__ import annotations

import dataclasses

from node.local import LocalChain
from runtime.presets import DEV_ENDOWMENT, dev
from runtime.support.hashing import commit_hash
from runtime.support.keys import DEV_ACCOUNTS, ED25519, dev_keypair, keypair_from_uri

TAO = 10**9


def _ed(uri: str):
    return keypair_from_uri(uri, ED25519)


def scripted_spec():
    """The dev preset with the ed25519 dev accounts funded and ed25519 Alice sudo (module doc)."""
    keys = [dev_keypair(n, ED25519) for n in DEV_ACCOUNTS]
    return dataclasses.replace(
        dev(), balances=tuple((k.public, DEV_ENDOWMENT) for k in keys), sudo=keys[0].public
    )


def scripted_chain(blocks: int = 100) -> LocalChain:
    chain = LocalChain(scripted_spec())
    keys = [dev_keypair(n, ED25519) for n in DEV_ACCOUNTS]
    newcomer = dev_keypair("Newcomer", ED25519)
    for b in range(1, blocks + 1):
        xts = []
        for i, k in enumerate(keys):
            if (b + i) % 3:
                continue
            dest = keys[(i + b) % len(keys)].public
            amount = (b * 7919 + i * 104729) % (5 * TAO) + 1000
            xts.append((k, chain.call("Balances", "transfer_keep_alive", dest, amount)))
        if b % 10 == 0:  # a failing transfer (too much), a new account, and a sudo call
            bob = keys[1]
            xts.append((bob, chain.call("Balances", "transfer_allow_death", newcomer.public, 10**17)))
            xts.append((keys[2], chain.call("Balances", "transfer_allow_death", newcomer.public, b * TAO)))
            inner = chain.call("Balances", "force_set_balance", keys[5].public, (1_000_000 + b) * TAO)
            xts.append((keys[0], chain.call("Sudo", "sudo", inner)))
        xts += _subtensor_script(chain, b, keys)
        chain.author(_sign_all(chain, xts))
    return chain


def _sign_all(chain: LocalChain, calls: list) -> list[bytes]:
    """Sign (key, call) pairs in order, each signer's nonces counting up within the block."""
    used: dict[bytes, int] = {}
    out = []
    for key, call in calls:
        nonce = used.get(key.public, chain.account(key.public).nonce)
        used[key.public] = nonce + 1
        out.append(chain.sign(key, call, nonce=nonce))
    return out


def _subtensor_script(chain: LocalChain, b: int, keys: list) -> list:
    """A subnet's life: created, started, neurons registered, stake, weights by commit-reveal on
    subnet 1 and directly on subnet 2 (commit-reveal off), epochs paying emission."""
    alice, bob = keys[0], keys[1]
    owner_hot = _ed("//Alice//owner")
    val = _ed("//Bob//validator")
    miners = [_ed(f"//Bob//miner{i}") for i in range(3)]
    sub = "SubtensorModule"
    xts = []
    if b == 2:
        xts.append((alice, chain.call(sub, "register_network", owner_hot.public)))
        xts.append((bob, chain.call(sub, "register_network", val.public)))
    elif b == 3:
        xts.append((alice, chain.call(sub, "start_call", 1)))
        xts.append((bob, chain.call(sub, "start_call", 2)))
        inner = chain.call("AdminUtils", "sudo_set_commit_reveal_weights_enabled", 2, False)
        xts.append((alice, chain.call("Sudo", "sudo", inner)))
    elif 4 <= b <= 6:
        hot = val if b == 4 else miners[b - 5]
        xts.append((bob, chain.call(sub, "burned_register", 1, hot.public)))
        xts.append((bob, chain.call(sub, "burned_register", 2, miners[b - 4].public)))
    elif b == 7:
        xts.append((bob, chain.call(sub, "add_stake", val.public, 500 * TAO)))
        xts.append((bob, chain.call(sub, "become_delegate", val.public)))
    elif b == 8:
        xts.append((keys[3], chain.call(sub, "add_stake", val.public, 100 * TAO)))
    elif b >= 20 and b % 11 == 0:
        uids, values, salt = [1, 2, 3], [b % 7 + 1, 65535, 100], [b, 1]
        digest = commit_hash(val.public, 1, uids, values, salt, 0)
        xts.append((val, chain.call(sub, "commit_weights", 1, digest)))
        xts.append((val, chain.call(sub, "set_weights", 2, [1, 2, 3], [b, 2 * b, 65535], 0)))
    elif b >= 20 and b % 11 == 10:  # the reveal of the commit 10 blocks earlier (next epoch)
        uids, values, salt = [1, 2, 3], [(b - 10) % 7 + 1, 65535, 100], [b - 10, 1]
        xts.append((val, chain.call(sub, "reveal_weights", 1, uids, values, salt, 0)))
    return xts
