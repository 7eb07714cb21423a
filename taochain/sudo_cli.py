"""`taochain sudo`: read and set subnet hyperparameters, as btcli's `sudo get` / `sudo set`.

    taochain sudo get --netuid 1
    taochain sudo set --netuid 1 --param tempo --value 400 --uri //Alice

`sudo set` signs as the subnet owner for owner-settable parameters when the key owns the subnet,
else wraps the setter in Sudo.sudo (the key must be the chain's sudo key); `--sudo` / `--no-sudo`
force one way. It dry-runs the very extrinsic first: who may set the parameter, its bounds and rate
limits are the chain's to say (the pallet's error and its fix), before anything is sent. The
parameters, their setters, who may set them and what they mean come from the node
(`subnetInfo_getHyperparameterTable`).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from taochain.cli_common import (
    COLD_URI,
    JSON,
    NETUID_OPT,
    NETWORK,
    WALLET_NAME,
    WALLET_PATH,
    client,
    coldkey,
    dry_run,
    emit,
    epilog,
    fail,
    guard,
    netuid_of,
    report,
    spinner,
)

sudo_app = typer.Typer(
    no_args_is_help=True,
    help="Subnet hyperparameters: read them (get) and set them as the owner or through Sudo (set).",
)


def need(view: Any, netuid: int) -> None:
    """Fail when a netuid view came back null (no such subnet)."""
    if view is None:
        fail(f"there is no subnet {netuid}; see `taochain subnets list`")


def show_hyperparameters(netuid: int, network: str, as_json: bool) -> None:
    """The hyperparameters table (btcli's `sudo get`): HYPERPARAMETER | VALUE | OWNER SETTABLE | DESCRIPTION."""
    with client(network) as c, spinner(f"Reading the hyperparameters of subnet {netuid}…", as_json):
        hp = c.hyperparameters(netuid)
        table = {h["name"]: h for h in c.hyperparameter_table()}
    need(hp, netuid)
    t = Table(title=f"Subnet {netuid} hyperparameters")
    for col in ("HYPERPARAMETER", "VALUE", "OWNER SETTABLE", "DESCRIPTION"):
        t.add_column(col, justify="right" if col == "VALUE" else "left")
    for k, v in hp.items():
        h = table.get(k, {})
        who = "-" if not h.get("setter") else ("[green]yes[/green]" if h["owner"] else "no (root)")
        t.add_row(k, str(v), who, h.get("description", ""))
    emit(as_json, hp, t)


def parse_value(value: str) -> Any:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    fail("--value takes an integer or true/false", 2)


def set_hyperparameter(
    netuid: int, param: str, value: str, sudo: bool | None, uri: str | None, wallet_name: str | None,
    wallet_path: str | None, network: str, as_json: bool,
) -> None:
    """Set one hyperparameter: as the owner or through Sudo (sudo=None: as the owner when the
    parameter is owner-settable and the key owns the subnet, else through Sudo)."""
    v = parse_value(value)
    key = coldkey(uri, wallet_name, wallet_path)
    with client(network) as c:
        h = c.hyperparameter(param)
        if h is None:
            known = sorted(x["name"] for x in c.hyperparameter_table() if x["setter"])
            fail(f"unknown parameter {param!r}; one of: {', '.join(known)}", 2)
        if sudo is False and not h["owner"]:
            fail(f"{param} is root-only: drop --no-sudo and sign with the sudo key", 2)
        with spinner(f"Dry-running {h['setter']} on subnet {netuid}…", as_json):
            if sudo is None:
                info = c.subnet(netuid)
                sudo = not (h["owner"] and info is not None and info["owner"] == key.ss58)
            try:
                call = c.hyperparameter_call(netuid, h["setter"], v, sudo)
            except ValueError as exc:  # the value does not fit the parameter's type
                fail(f"--value {value}: {exc}", 2)
            xt, _ = dry_run(c, key, call, as_json)
        with spinner(f"Setting {param} to {v}…", as_json):
            r = c.submit_signed(xt)
    how = "as root through Sudo" if sudo else "as the subnet owner"
    report(r, f"{param} of subnet {netuid} set to {v} ({how})", as_json, {"netuid": netuid, "param": param,
                                                                       "value": v, "sudo": sudo})


@sudo_app.command(
    "get",
    epilog=epilog("taochain sudo get --netuid 1", "taochain sudo get --netuid 1 --json"),
)
@guard
def sudo_get(
    netuid_arg: int | None = typer.Argument(None, metavar="[NETUID]", help="subnet id (or --netuid)"),
    netuid: int | None = NETUID_OPT, network: str = NETWORK, as_json: bool = JSON,
) -> None:
    """Show a subnet's hyperparameters, whether the owner may set each, and what it means."""
    show_hyperparameters(netuid_of(netuid_arg, netuid), network, as_json)


@sudo_app.command(
    "set",
    epilog=epilog(
        "taochain sudo set --netuid 1 --param immunity_period --value 50 --uri //Alice   # as the owner",
        "taochain sudo set --netuid 1 --param tempo --value 12 --uri //Alice            # root-only: through Sudo",
        "taochain sudo set --netuid 1 --param commit_reveal_version --value 2 -w owner --json",
    ),
)
@guard
def sudo_set(
    netuid_arg: int | None = typer.Argument(None, metavar="[NETUID]", help="subnet id (or --netuid)"),
    netuid: int | None = NETUID_OPT,
    param: str = typer.Option(..., "--param", help="e.g. tempo, immunity_period, commit_reveal_version"),
    value: str = typer.Option(..., "--value", help="an integer, or true/false"),
    sudo: bool | None = typer.Option(
        None, "--sudo/--no-sudo", help="force root through Sudo / the owner call (default: whichever the key may)"
    ),
    uri: str | None = COLD_URI, wallet_name: str | None = WALLET_NAME, wallet_path: str | None = WALLET_PATH,
    network: str = NETWORK, as_json: bool = JSON,
    no_prompt: bool = typer.Option(False, "--no-prompt", "-y", help="accepted for btcli compatibility"),
) -> None:
    """Set a hyperparameter as the subnet owner, or as root through Sudo."""
    set_hyperparameter(netuid_of(netuid_arg, netuid), param, value, sudo, uri, wallet_name, wallet_path, network,
                       as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(sudo_app, name="sudo")
    app.add_typer(sudo_app, name="su", hidden=True)
