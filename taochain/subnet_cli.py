"""btcli-shaped commands for subnets, stake, weights and the metagraph.

    taochain subnets create|start|list|show|hyperparameters|register|pow-register|burn-cost|set
    taochain stake add|remove|list
    taochain weights set|commit|reveal          (alias: wt)
    taochain metagraph NETUID

`subnet` is an alias of `subnets`; commands that name a subnet take `--netuid N` (btcli) or a
positional NETUID. Keys: `--uri` is the coldkey (pays, owns), `--hotkey-uri` the hotkey (signs
weights, is registered): secret URIs such as //Alice or //Alice//hot; or a wallet with
`--wallet-name/-w`, `--wallet-hotkey/-H`, `--wallet-path`. Every command takes `--network`
(local or ws://HOST:PORT; `--url` is an alias; default $TAOCHAIN_NETWORK), `--json` and
`--no-prompt`. Commands that send a transaction first dry-run the very extrinsic they would submit
(the node's system_dryRun): when the chain would refuse it (balance, burn, free uids, rate limits,
permits...), they say so with the pallet's error name, its cause and its fix, sending nothing; then
commands that spend TAO show amount, from, to and fee and ask (on a terminal).

Weights are given as `--uids 1,2,3 --weights 0.2,0.3,0.5`. `weights commit` follows the subnet's
commit_reveal_version: 4 (the default) encrypts the weights to a drand round and the chain reveals
them itself in the reveal epoch; 2 keeps the salt and values in a local file
(`~/.taochain/commits.json`, or --commit-file) so that `weights reveal --netuid N` needs nothing
more.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from runtime.support.keys import ss58_encode
from taochain.cli_common import (
    COLD_URI,
    HOT_URI,
    JSON,
    NETUID_OPT,
    NETWORK,
    NO_PROMPT,
    WALLET_HOTKEY,
    WALLET_NAME,
    WALLET_PATH,
    client,
    coldkey,
    coldkey_account,
    confirm,
    console,
    dry_run,
    emit,
    epilog,
    fail,
    guard,
    hotkey,
    hotkey_account,
    netuid_of,
    parse_tao,
    report,
    short,
    spinner,
    tau,
)
from taochain.client import POW_SEAL_ERRORS, uid_of, weights_to_u16
from taochain.client import netuid_of as netuid_of_result
from taochain.sudo_cli import need, set_hyperparameter, show_hyperparameters

TAO = 10**9
subnet_app = typer.Typer(no_args_is_help=True, help="Create, inspect and join subnets (alias: subnet).")
stake_app = typer.Typer(no_args_is_help=True, help="Stake TAO on hotkeys, unstake, list your stake.")
weights_app = typer.Typer(no_args_is_help=True, help="Set weights directly or by commit-reveal (alias: wt).")

NETUID_ARG = typer.Argument(None, metavar="[NETUID]", help="subnet id (or --netuid)")
DEFAULT_COMMIT_FILE = Path.home() / ".taochain" / "commits.json"
_fail = fail


def _list(text: str, what: str, conv=int) -> list:
    try:
        out = [conv(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        _fail(f"{what} must be a comma-separated list of numbers, e.g. 1,2,3", 2)
    if not out:
        _fail(f"{what} is empty", 2)
    return out


def _t(rao: int) -> str:
    return f"{rao / TAO:,.4f}"


ST = "SubtensorModule"


def _free(c: Any, acct: bytes) -> int:
    return c.account(acct)["free"]


# ---------------------------------------------------------------------------------------- subnets


@subnet_app.command(
    "create",
    epilog=epilog(
        "taochain subnets create --uri //Alice --hotkey-uri //Alice//owner",
        "taochain subnets create -w owner -H default --network ws://10.0.0.2:9944",
    ),
)
@guard
def subnet_create(
    uri: str | None = COLD_URI, hotkey_uri: str | None = HOT_URI, wallet_name: str | None = WALLET_NAME,
    wallet_hotkey: str | None = WALLET_HOTKEY, wallet_path: str | None = WALLET_PATH, network: str = NETWORK,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Register a new subnet owned by your coldkey; the hotkey becomes its uid 0. Locks the lock cost."""
    cold = coldkey(uri, wallet_name, wallet_path)
    hot = hotkey_account(hotkey_uri, wallet_name, wallet_hotkey, wallet_path, "--hotkey-uri")
    with client(network) as c:
        with spinner("Dry-running the registration…", as_json):
            xt, check = dry_run(c, cold, c.compose_call(ST, "register_network", hot), as_json)
            cost = c.lock_cost()
            before = _free(c, cold.public)
        confirm(f"Register a subnet for {tau(cost)}?", [
            ("lock cost", tau(cost)), ("from (owner coldkey)", cold.ss58), ("owner hotkey", ss58_encode(hot)),
            ("fee", tau(check.fee)), ("network", c.url)], no_prompt, as_json)
        with spinner("Registering the subnet…", as_json):
            r = c.submit_signed(xt)
            netuid = netuid_of_result(r)
            after = _free(c, cold.public)
    report(r, f"Registered subnetwork with netuid: {netuid} (lock {tau(cost)})", as_json,
           {"netuid": netuid, "lock": cost}, (before, after))


@subnet_app.command(
    "start",
    epilog=epilog("taochain subnets start --netuid 1 --uri //Alice", "taochain subnets start 1 -w owner"),
)
@guard
def subnet_start(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, uri: str | None = COLD_URI,
    wallet_name: str | None = WALLET_NAME, wallet_path: str | None = WALLET_PATH, network: str = NETWORK,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Start the subnet's emission (start_call); sign with the owner's coldkey."""
    n = netuid_of(netuid_arg, netuid)
    cold = coldkey(uri, wallet_name, wallet_path)
    with client(network) as c:
        with spinner(f"Dry-running start_call on subnet {n}…", as_json):
            xt, _ = dry_run(c, cold, c.compose_call(ST, "start_call", n), as_json)
        with spinner(f"Starting subnet {n}…", as_json):
            r = c.submit_signed(xt)
    report(r, f"emission of subnet {n} starts next block", as_json, {"netuid": n})


@subnet_app.command("list", epilog=epilog("taochain subnets list", "taochain subnets list --json"))
@guard
def subnet_list(network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT) -> None:
    """List the subnets, with the current lock cost of a new one."""
    with client(network) as c, spinner("Reading the subnets…", as_json):
        subnets = c.subnets()
        cost = c.lock_cost()
    t = Table(title=f"Subnets (a new one locks {tau(cost)})")
    for col in ("netuid", "owner", "n / max", "tempo", "next epoch in", "emission/block (τ)", "burn (τ)",
                "commit-reveal"):
        t.add_column(col, justify="right")
    for s in subnets:
        t.add_row(
            str(s["netuid"]), short(s["owner"]), f"{s['n']} / {s['max_n']}", str(s["tempo"]),
            str(s["blocks_until_next_epoch"]),
            _t(s["emission_share"]) if s["emission_started"] else "not started", _t(s["burn"]),
            "on" if s["commit_reveal_enabled"] else "off",
        )
    emit(as_json, {"lock_cost": cost, "subnets": subnets}, t)


@subnet_app.command("burn-cost", epilog=epilog("taochain subnets burn-cost", "taochain subnets burn-cost --json"))
@guard
def subnet_burn_cost(network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT) -> None:
    """What creating a subnet costs now (the lock cost)."""
    with client(network) as c, spinner("Reading the lock cost…", as_json):
        cost = c.lock_cost()
    if as_json:
        print(json.dumps({"lock_cost": cost}))
    else:
        console.print(f"Subnet burn cost: [green]{tau(cost)}[/green]", highlight=False)


@subnet_app.command(
    "show",
    epilog=epilog("taochain subnets show --netuid 1", "taochain subnets show 1 --json"),
)
@guard
def subnet_show(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, network: str = NETWORK,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """A subnet and its neurons (the metagraph): stake, trust, incentive, dividends, emission, keys."""
    n = netuid_of(netuid_arg, netuid)
    with client(network) as c, spinner(f"Reading subnet {n}…", as_json):
        info = c.subnet(n)
        need(info, n)
        data = _metagraph_data(c, n)
    if as_json:
        print(json.dumps({**data["mg"], "subnet": info, "timelocked_commits": data["commits"],
                          "timelock_outcomes": data["outcomes"]}))
        return
    head = Table(title=f"Subnet {n}", show_header=False, box=None)
    head.add_column(style="bold")
    head.add_column()
    emission = tau(info["emission_share"]) + "/block" if info["emission_started"] else "not started"
    for k, v in (("owner", info["owner"]), ("owner hotkey", info["owner_hotkey"]), ("uids", f"{info['n']} / {info['max_n']}"),
                 ("tempo", f"{info['tempo']} (next epoch in {info['blocks_until_next_epoch']} blocks)"),
                 ("emission", emission), ("registration burn", tau(info["burn"])), ("locked", tau(info["lock"])),
                 ("commit-reveal", "on" if info["commit_reveal_enabled"] else "off")):
        head.add_row(k, str(v))
    console.print(head)
    _print_metagraph(n, data)


@subnet_app.command("hyperparameters", epilog=epilog("taochain subnets hyperparameters --netuid 1"))
@guard
def subnet_hyperparameters(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, network: str = NETWORK,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Show a subnet's hyperparameters (= `sudo get`)."""
    show_hyperparameters(netuid_of(netuid_arg, netuid), network, as_json)


@subnet_app.command(
    "set",
    epilog=epilog("taochain subnets set --netuid 1 --param tempo --value 12 --uri //Alice"),
)
@guard
def subnet_set(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT,
    param: str = typer.Option(..., "--param", help="e.g. tempo, immunity_period, commit_reveal_weights_enabled"),
    value: str = typer.Option(..., "--value", help="an integer, or true/false"),
    sudo: bool | None = typer.Option(
        None, "--sudo/--no-sudo", help="force root through Sudo / the owner call (default: whichever the key may)"
    ),
    uri: str | None = COLD_URI, wallet_name: str | None = WALLET_NAME, wallet_path: str | None = WALLET_PATH,
    network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Set a hyperparameter as the subnet owner or through Sudo (= `sudo set`)."""
    set_hyperparameter(netuid_of(netuid_arg, netuid), param, value, sudo, uri, wallet_name, wallet_path, network,
                       as_json)


@subnet_app.command(
    "register",
    epilog=epilog(
        "taochain subnets register --netuid 1 --uri //Bob --hotkey-uri //Bob//validator",
        "taochain subnets register --netuid 1 -w bob -H validator --no-prompt",
    ),
)
@guard
def subnet_register(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, uri: str | None = COLD_URI,
    hotkey_uri: str | None = HOT_URI, wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Register a hotkey on a subnet by burning the registration cost from your coldkey."""
    n = netuid_of(netuid_arg, netuid)
    cold = coldkey(uri, wallet_name, wallet_path)
    hot = hotkey_account(hotkey_uri, wallet_name, wallet_hotkey, wallet_path, "--hotkey-uri")
    with client(network) as c:
        with spinner(f"Dry-running the registration on subnet {n}…", as_json):
            xt, check = dry_run(c, cold, c.compose_call(ST, "burned_register", n, hot), as_json)
            info = c.subnet(n)
            need(info, n)
            before = _free(c, cold.public)
        confirm(f"Register on subnet {n} for {tau(info['burn'])}?", [
            ("burn", tau(info["burn"])), ("from (coldkey)", cold.ss58), ("hotkey", ss58_encode(hot)),
            ("subnet", str(n)), ("fee", tau(check.fee)), ("network", c.url)], no_prompt, as_json)
        with spinner("Registering…", as_json):
            r = c.submit_signed(xt)
            after = _free(c, cold.public)
    uid = uid_of(r)
    report(r, f"Registered {ss58_encode(hot)} on subnet {n} as uid {uid}", as_json,
           {"netuid": n, "uid": uid, "burn": info["burn"]}, (before, after))


@subnet_app.command(
    "pow-register",
    epilog=epilog("taochain subnets pow-register --netuid 1 --uri //Charlie --hotkey-uri //Charlie//miner"),
)
@guard
def subnet_pow_register(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, uri: str | None = COLD_URI,
    hotkey_uri: str | None = HOT_URI, wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Register a hotkey by solving the subnet's proof of work on the CPU (free; no TAO burned).

    Before solving, an unsolved registration is dry-run: what the chain checks before the seal
    (the subnet, the switches, the rate limits, the hotkey) refuses it then; the checks after the
    seal (the coldkey owning the hotkey, a free uid) come with the result."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    n = netuid_of(netuid_arg, netuid)
    cold_pub = coldkey_account(uri, wallet_name, wallet_path)
    hot = hotkey(hotkey_uri, wallet_name, wallet_hotkey, wallet_path)
    with client(network) as c:
        with spinner(f"Dry-running a registration on subnet {n}…", as_json):
            best, _ = c.best_block()
            unsolved = c.compose_call(ST, "register", n, best, 0, b"\0" * 32, hot.public, cold_pub)
            dry_run(c, hot, unsolved, as_json, allow=POW_SEAL_ERRORS)
            hp = c.hyperparameters(n)
            need(hp, n)
        difficulty = hp["difficulty"]
        start = time.monotonic()
        if as_json:
            r = c.pow_register(hot, n, cold_pub)
        else:
            with Progress(TextColumn("solving PoW (difficulty {task.fields[d]:,})"), BarColumn(),
                          TextColumn("{task.completed:,} hashes"), TimeElapsedColumn(), console=console) as prog:
                task = prog.add_task("pow", total=max(1, difficulty), d=difficulty)
                r = c.pow_register(hot, n, cold_pub, progress=lambda k: prog.update(task, completed=k))
    uid = uid_of(r)
    report(r, f"Registered {hot.ss58} on subnet {n} as uid {uid} by PoW ({time.monotonic() - start:.1f} s)",
           as_json, {"netuid": n, "uid": uid})


# ---------------------------------------------------------------------------------------- stake

HOTKEY_ACCOUNT = typer.Option(
    None, "--hotkey", "--hotkey-uri", "--hotkey-ss58", help="hotkey: SS58, 0x id or secret URI (or -w/-H)"
)
AMOUNT = typer.Option(..., "--amount", "-a", help="TAO")


def _stake(
    add: bool, amount: str, uri: str | None, hot_text: str | None, wallet_name: str | None, wallet_hotkey: str | None,
    wallet_path: str | None, network: str, as_json: bool, no_prompt: bool,
) -> None:
    rao = parse_tao(amount)
    cold = coldkey(uri, wallet_name, wallet_path)
    hot = hotkey_account(hot_text, wallet_name, wallet_hotkey, wallet_path)
    hot_ss58 = ss58_encode(hot)
    with client(network) as c:
        with spinner("Dry-running the staking…" if add else "Dry-running the unstaking…", as_json):
            call = c.compose_call(ST, "add_stake" if add else "remove_stake", hot, rao)
            xt, check = dry_run(c, cold, call, as_json)
            before = _free(c, cold.public)
        verb = "Stake" if add else "Unstake"
        confirm(f"{verb} {tau(rao)}?", [("amount", tau(rao)), ("from", cold.ss58 if add else hot_ss58),
                                        ("to", hot_ss58 if add else cold.ss58), ("fee", tau(check.fee)),
                                        ("network", c.url)], no_prompt, as_json)
        with spinner("Staking…" if add else "Unstaking…", as_json):
            r = c.submit_signed(xt)
            after = _free(c, cold.public)
    what = f"{'staked' if add else 'unstaked'} {tau(rao)} {'on' if add else 'from'} {hot_ss58}"
    report(r, what, as_json, {"amount": rao, "hotkey": hot_ss58}, (before, after))


@stake_app.command(
    "add",
    epilog=epilog("taochain stake add --amount 100 --uri //Bob --hotkey //Bob//validator",
                  "taochain stake add --amount 100 -w bob -H validator --no-prompt"),
)
@guard
def stake_add(
    amount: str = AMOUNT, uri: str | None = COLD_URI, hotkey_: str | None = HOTKEY_ACCOUNT,
    wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Stake TAO from your coldkey on a hotkey (yours, or a delegate's)."""
    _stake(True, amount, uri, hotkey_, wallet_name, wallet_hotkey, wallet_path, network, as_json, no_prompt)


@stake_app.command(
    "remove",
    epilog=epilog("taochain stake remove --amount 10 --uri //Bob --hotkey //Bob//validator"),
)
@guard
def stake_remove(
    amount: str = AMOUNT, uri: str | None = COLD_URI, hotkey_: str | None = HOTKEY_ACCOUNT,
    wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Unstake TAO from a hotkey back to your coldkey's balance."""
    _stake(False, amount, uri, hotkey_, wallet_name, wallet_hotkey, wallet_path, network, as_json, no_prompt)


@stake_app.command("list", epilog=epilog("taochain stake list --uri //Bob", "taochain stake list -w bob --json"))
@guard
def stake_list(
    who: str | None = typer.Option(None, "--uri", "--coldkey", "--ss58", help="coldkey: SS58, 0x id or secret URI"),
    wallet_name: str | None = WALLET_NAME, wallet_path: str | None = WALLET_PATH,
    network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Your coldkey's stake per hotkey."""
    cold = coldkey_account(who, wallet_name, wallet_path)
    with client(network) as c, spinner("Reading the stake…", as_json):
        rows = c.stake_info(cold)
    total = sum(r["stake"] for r in rows)
    t = Table(title=f"Stake of {ss58_encode(cold)}")
    for col in ("hotkey", "stake"):
        t.add_column(col, justify="right")
    for row in rows:
        t.add_row(row["hotkey"], tau(row["stake"]))
    t.add_row("[bold]total[/bold]", f"[bold]{tau(total)}[/bold]")
    emit(as_json, {"coldkey": ss58_encode(cold), "stakes": rows, "total": total}, t)


# ---------------------------------------------------------------------------------------- weights


def _weights(uids: str, weights: str) -> tuple[list[int], list[float]]:
    u = _list(uids, "--uids")
    w = _list(weights, "--weights", float)
    if len(u) != len(w):
        _fail(f"--uids has {len(u)} entries but --weights has {len(w)}", 2)
    if any(x < 0 for x in w) or not any(x > 0 for x in w):
        _fail("--weights must be non-negative with at least one positive", 2)
    return u, w


@weights_app.command(
    "set",
    epilog=epilog("taochain weights set --netuid 1 --uids 1,2 --weights 0.3,0.7 --hotkey-uri //Bob//validator",
                  "taochain wt set --netuid 1 --uids 2 --weights 1 -w bob -H validator --json"),
)
@guard
def weights_set(
    netuid: int = typer.Option(..., "--netuid"), uids: str = typer.Option(..., "--uids", help="e.g. 1,2,3"),
    weights: str = typer.Option(..., "--weights", help="e.g. 0.2,0.3,0.5"),
    version_key: int = typer.Option(0, "--version-key"), hotkey_uri: str | None = HOT_URI,
    wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Set weights directly (subnets with commit-reveal off)."""
    u, w = _weights(uids, weights)
    hot = hotkey(hotkey_uri, wallet_name, wallet_hotkey, wallet_path)
    with client(network) as c:
        with spinner(f"Dry-running set_weights on subnet {netuid}…", as_json):
            call = c.compose_call(ST, "set_weights", netuid, u, weights_to_u16(u, w), version_key)
            xt, _ = dry_run(c, hot, call, as_json)
        with spinner("Setting weights…", as_json):
            r = c.submit_signed(xt)
    report(r, f"weights set on subnet {netuid}", as_json, {"netuid": netuid})


def _load_commits(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the commit file {path}: {exc}")
    return data if isinstance(data, list) else []


def _save_commits(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1))
    os.replace(tmp, path)


COMMIT_FILE = typer.Option(DEFAULT_COMMIT_FILE, "--commit-file", help="where hash commits keep their salt and values")


@weights_app.command(
    "commit",
    epilog=epilog("taochain weights commit --netuid 1 --uids 2 --weights 1 --hotkey-uri //Bob//validator",
                  "taochain wt commit --netuid 1 --uids 1,2 --weights 0.4,0.6 -w bob -H validator --json"),
)
@guard
def weights_commit(
    netuid: int = typer.Option(..., "--netuid"), uids: str = typer.Option(..., "--uids", help="e.g. 1,2,3"),
    weights: str = typer.Option(..., "--weights", help="e.g. 0.2,0.3,0.5"),
    version_key: int = typer.Option(0, "--version-key"), hotkey_uri: str | None = HOT_URI,
    wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK,
    timelock: bool = typer.Option(
        False, "--timelock",
        help="commit encrypted to a drand round (the chain reveals it); default: as the subnet's commit_reveal_version",
    ),
    reveal_round: int | None = typer.Option(
        None, "--reveal-round", help="timelocked: the drand round to encrypt to (default: the reveal epoch's)"
    ),
    commit_file: Path = COMMIT_FILE, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Commit weights: timelocked (commit_reveal_version 4) or by hash (version 2).

    On a subnet with commit_reveal_version 4 they are encrypted to a drand round and the chain
    decrypts and sets them itself in the reveal epoch; with version 2 they are hidden by a salted
    hash kept in the commit file, and `weights reveal` shows them in the reveal epoch."""
    u, w = _weights(uids, weights)
    hot = hotkey(hotkey_uri, wallet_name, wallet_hotkey, wallet_path)
    with client(network) as c:
        hp = c.hyperparameters(netuid)
        need(hp, netuid)
        if timelock or reveal_round is not None or hp.get("commit_reveal_version") == 4:
            with spinner("Encrypting to a drand round…", as_json):
                call, rec = c.timelocked_commit_call(hot, netuid, u, w, version_key, reveal_round)
                xt, _ = dry_run(c, hot, call, as_json)
            with spinner("Committing…", as_json):
                return _commit_timelocked(c, xt, rec, netuid, as_json)
        with spinner(f"Dry-running the commit on subnet {netuid}…", as_json):
            call, record = c.commit_weights_call(hot, netuid, u, w, version_key=version_key)
            xt, _ = dry_run(c, hot, call, as_json)
        with spinner("Committing…", as_json):
            r = c.submit_signed(xt)
            info = c.subnet(netuid) if r.success else None
    if r.success:
        record = {**record, "hotkey": hot.ss58, "url": c.url, "block": r.block_number}
        _save_commits(commit_file, [*_load_commits(commit_file), record])
    extra = {"netuid": netuid, "mode": "hash", "hash": record["hash"]}
    if info is not None:
        extra["reveal"] = f"in the next epoch, in about {info['blocks_until_next_epoch'] + 1} blocks"
    report(r, f"weights committed on subnet {netuid}", as_json, extra)
    return None


def _commit_timelocked(c: Any, xt: bytes, rec: dict, netuid: int, as_json: bool) -> None:
    r = c.submit_signed(xt)
    extra = {
        "netuid": netuid, "mode": "timelock", "hash": rec["hash"], "reveal_round": rec["reveal_round"],
        "reveal_epoch": rec["reveal_epoch"], "values": rec["values"],
    }
    if r.success:
        extra["reveal"] = (f"the chain decrypts and sets these weights itself in epoch {rec['reveal_epoch']}, once "
                           f"drand round {rec['reveal_round']} is stored; nothing to reveal, nothing kept locally")
    report(r, f"weights committed on subnet {netuid} (timelocked to drand round {rec['reveal_round']})", as_json,
           extra)


@weights_app.command(
    "reveal",
    epilog=epilog("taochain weights reveal --netuid 1 --hotkey-uri //Bob//validator"),
)
@guard
def weights_reveal(
    netuid: int = typer.Option(..., "--netuid"), hotkey_uri: str | None = HOT_URI,
    wallet_name: str | None = WALLET_NAME, wallet_hotkey: str | None = WALLET_HOTKEY,
    wallet_path: str | None = WALLET_PATH, network: str = NETWORK,
    commit_file: Path = COMMIT_FILE,
    no_wait: bool = typer.Option(False, "--no-wait", help="submit now even before the reveal epoch"),
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Reveal this hotkey's oldest pending hash commit on the subnet, from the local commit file.

    Waits for the commit's reveal epoch if it has not begun (unless --no-wait). Timelocked commits
    (commit_reveal_version 4) need no reveal: the chain opens them itself."""
    hot = hotkey(hotkey_uri, wallet_name, wallet_hotkey, wallet_path)
    records = _load_commits(commit_file)
    mine = [r for r in records if r.get("netuid") == netuid and r.get("hotkey") == hot.ss58]
    with client(network) as c:
        pending = {p["hash"]: p for p in c.pending_commits(netuid, hot.public) or []}
        live = [r for r in mine if r["hash"] in pending]
        if not live:
            hp = c.hyperparameters(netuid)
            need(hp, netuid)
            if hp.get("commit_reveal_version") == 4:
                tl = [x for x in c.timelocked_commits(netuid) or [] if x["hotkey"] == hot.ss58]
                more = "".join(
                    f"\n  pending: epoch {x['epoch']} -> reveal epoch {x['reveal_epoch']}, drand round {x['reveal_round']}"
                    for x in tl
                )
                _fail(f"subnet {netuid} takes timelocked commits (commit_reveal_version 4): the chain reveals them "
                      f"itself in their reveal epoch, there is nothing to reveal; see `taochain metagraph {netuid}`"
                      + more)
            _fail(f"no pending commit of {hot.ss58} on subnet {netuid} is in {commit_file}; commit first")
        rec = live[0]
        if not no_wait:
            _wait_for_epoch(c, netuid, pending[rec["hash"]]["reveal_epoch"], as_json)
        with spinner("Revealing…", as_json):
            r = c.reveal_weights(hot, netuid, rec["uids"], rec["values"], rec["salt"], rec["version_key"])
    if r.success:
        _save_commits(commit_file, [x for x in records if x is not rec])
    report(r, f"weights revealed on subnet {netuid}", as_json, {"netuid": netuid, "hash": rec["hash"]})


def _wait_for_epoch(c: Any, netuid: int, epoch: int, as_json: bool) -> None:
    """Block until a transaction sent now lands in `epoch` (classic: (b + netuid + 1) // (tempo + 1))."""
    info = c.subnet(netuid)
    need(info, netuid)
    tempo = info["tempo"]
    first_block = epoch * (tempo + 1) - netuid - 1  # the epoch's first block
    status = None if as_json else console.status("")
    if status is not None:
        status.start()
    try:
        while True:
            best, _ = c.best_block()
            if best + 1 >= first_block:
                return
            if status is not None:
                status.update(f"📡 waiting {first_block - best - 1} blocks for the reveal epoch {epoch}…")
            time.sleep(0.2)
    finally:
        if status is not None:
            status.stop()


# ---------------------------------------------------------------------------------------- metagraph


def _metagraph_data(c: Any, netuid: int) -> dict:
    mg = c.metagraph(netuid)
    need(mg, netuid)
    hp = c.hyperparameters(netuid) or {}
    timelocked = hp.get("commit_reveal_version") == 4
    commits = (c.timelocked_commits(netuid) or []) if timelocked else []
    window = min(hp.get("tempo", 0) + 1, 64)
    outcomes = c.timelock_outcomes(netuid, window) if timelocked else []
    last_stored = c.drand_status()["lastStoredRound"] if commits else None
    return {"mg": mg, "timelocked": timelocked, "commits": commits, "outcomes": outcomes, "window": window,
            "last_stored": last_stored}


def _print_metagraph(netuid: int, d: dict) -> None:
    mg = d["mg"]
    uid_of_hot = {n["hotkey"]: n["uid"] for n in mg["neurons"]}
    t = Table(title=f"Metagraph of subnet {netuid} at block #{mg['block']}")
    for col in ("UID", "Stake τ", "VP", "Act", "VTrust", "Cons", "Incentive", "Dividends", "Emission τ", "Upd",
                "Hotkey", "Coldkey", "Axon"):
        t.add_column(col, justify="right")
    top_i = max((n["incentive"] for n in mg["neurons"]), default=0)
    for n in mg["neurons"]:
        ax = n["axon"]
        inc = f"{n['incentive'] / 65535:.4f}"
        t.add_row(
            str(n["uid"]), _t(n["stake"]), "✔" if n["validator_permit"] else "",
            "✔" if n["active"] else "", f"{n['validator_trust'] / 65535:.4f}", f"{n['consensus'] / 65535:.4f}",
            f"[bold green]{inc}[/bold green]" if top_i and n["incentive"] == top_i else inc,
            f"{n['dividends'] / 65535:.4f}", _t(n["emission"]), str(n["last_update"]),
            n["hotkey"][:6] + "…", (n.get("coldkey") or "-")[:6] + "…",
            "-" if ax is None else f"{ax['ip']}:{ax['port']}",
        )
    console.print(t)
    if not d["timelocked"]:
        return
    commits, outcomes = d["commits"], d["outcomes"]
    if commits:
        ct = Table(title=f"Pending timelocked commits (the chain reveals them; last stored drand round "
                         f"{d['last_stored']})")
        for col in ("uid", "hotkey", "commit epoch", "block", "reveal epoch", "drand round", "bytes"):
            ct.add_column(col, justify="right")
        for x in commits:
            ct.add_row(str(uid_of_hot.get(x["hotkey"], "-")), short(x["hotkey"]), str(x["epoch"]), str(x["block"]),
                       str(x["reveal_epoch"]), str(x["reveal_round"]), str(x["size"]))
        console.print(ct)
    else:
        console.print("No pending timelocked commits.")
    if outcomes:
        parts = []
        for o in outcomes:
            who = f"uid {uid_of_hot.get(o['hotkey'], '?')} ({short(o['hotkey'])})"
            parts.append(f"  #{o['block']}: {who} " + ("[green]revealed[/green]" if o["revealed"]
                                                       else f"[red]dropped[/red] ({o['reason']})"))
        console.print(f"Timelocked commits the chain opened in the last {d['window']} blocks:")
        console.print("\n".join(parts))


def metagraph_cmd(
    netuid_arg: int | None = NETUID_ARG, netuid: int | None = NETUID_OPT, network: str = NETWORK,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """The subnet's neurons: stake, permits, trust, consensus, incentive, dividends, emission.

    Below: the subnet's pending timelocked weight commits (hotkey, commit epoch, reveal epoch, drand round) and the
    weights the chain revealed (or dropped) in the last blocks."""
    n = netuid_of(netuid_arg, netuid)
    with client(network) as c, spinner(f"Reading the metagraph of subnet {n}…", as_json):
        d = _metagraph_data(c, n)
    if as_json:
        print(json.dumps({**d["mg"], "timelocked_commits": d["commits"], "timelock_outcomes": d["outcomes"]}))
        return
    _print_metagraph(n, d)


metagraph_cmd = guard(metagraph_cmd)


def register(app: typer.Typer) -> None:
    from taochain.sudo_cli import register as register_sudo

    app.add_typer(subnet_app, name="subnets")
    app.add_typer(subnet_app, name="subnet", hidden=True)
    app.add_typer(subnet_app, name="s", hidden=True)
    app.add_typer(stake_app, name="stake")
    app.add_typer(stake_app, name="st", hidden=True)
    app.add_typer(weights_app, name="weights")
    app.add_typer(weights_app, name="wt", hidden=True)
    app.command("metagraph", epilog=epilog("taochain metagraph 1", "taochain metagraph --netuid 1 --json"))(
        metagraph_cmd)
    subnet_app.command("metagraph", hidden=True)(metagraph_cmd)
    register_sudo(app)
