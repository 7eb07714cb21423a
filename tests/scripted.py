"""The scripted 100-block dev chain whose genesis hash and final state root are golden vectors.

Deterministic: ed25519 signatures are deterministic and every amount derives from the block number.
Used by tests/test_golden.py and by tests/vectors/generate.py (the only writer of the vectors).
"""

from __future__ import annotations

from node.local import LocalChain
from runtime.support.keys import DEV_ACCOUNTS, dev_keypair

TAO = 10**9


def scripted_chain(blocks: int = 100) -> LocalChain:
    chain = LocalChain()
    keys = [dev_keypair(n) for n in DEV_ACCOUNTS]
    newcomer = dev_keypair("Newcomer")
    for b in range(1, blocks + 1):
        xts = []
        for i, k in enumerate(keys):
            if (b + i) % 3:
                continue
            dest = keys[(i + b) % len(keys)].public
            amount = (b * 7919 + i * 104729) % (5 * TAO) + 1000
            xts.append(chain.sign(k, chain.call("Balances", "transfer_keep_alive", dest, amount)))
        if b % 10 == 0:  # a failing transfer (too much), a new account, and a sudo call
            bob = keys[1]
            xts.append(chain.sign(bob, chain.call("Balances", "transfer_allow_death", newcomer.public, 10**17)))
            xts.append(chain.sign(keys[2], chain.call("Balances", "transfer_allow_death", newcomer.public, b * TAO)))
            inner = chain.call("Balances", "force_set_balance", keys[5].public, (1_000_000 + b) * TAO)
            xts.append(chain.sign(keys[0], chain.call("Sudo", "sudo", inner)))
        chain.author(xts)
    return chain
