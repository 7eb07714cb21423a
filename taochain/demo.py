"""The scripted STF demo behind `make run` (until the node exists): genesis, transfers, roots."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from node.local import LocalChain
from runtime.support.keys import DEV_ACCOUNTS, dev_keypair

TAO = 10**9


def run_demo(blocks: int, console: Console) -> LocalChain:
    chain = LocalChain()
    console.print(f"[bold]taochain[/bold] dev chain, genesis [cyan]0x{chain.genesis_hash.hex()}[/cyan]")
    names = list(DEV_ACCOUNTS)
    keys = {n: dev_keypair(n) for n in names}
    for b in range(blocks):
        xts = []
        for i, n in enumerate(names):
            dest = keys[names[(i + b + 1) % len(names)]].public
            call = chain.call("Balances", "transfer_keep_alive", dest, (i + 1) * (b + 1) * TAO)
            xts.append(chain.sign(keys[n], call))
        result, rejected = chain.author(xts)
        ok = sum(1 for o in result.outcomes if o.error is None) - 1
        console.print(
            f"#{chain.number}  state root 0x{chain.head.state_root.hex()[:16]}…  "
            f"extrinsics {len(result.extrinsics)} ({ok} transfers ok, {len(rejected)} rejected)"
        )
    chain.try_state()
    table = Table(title=f"Balances after block #{chain.number}")
    table.add_column("account")
    table.add_column("address")
    table.add_column("free (TAO)", justify="right")
    table.add_column("nonce", justify="right")
    for n in names:
        acct = chain.account(keys[n].public)
        table.add_row(n, keys[n].ss58, f"{acct.free / TAO:,.6f}", str(acct.nonce))
    console.print(table)
    console.print(f"total issuance: {chain.runtime.balances.total_issuance(chain.ctx()) / TAO:,.6f} TAO")
    return chain
