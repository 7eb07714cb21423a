"""`taochain sudo`: read and set subnet hyperparameters, as btcli's `sudo get` / `sudo set`.

    taochain sudo get --netuid 1
    taochain sudo set --netuid 1 --param tempo --value 400 --uri //Alice

`sudo set` signs as the subnet owner for owner-settable parameters when the key owns the subnet,
else wraps the setter in Sudo.sudo (the key must be the chain's sudo key); `--sudo` / `--no-sudo`
force one way. Both check who may set the parameter before sending anything.
"""

from __future__ import annotations

import re
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
    emit,
    epilog,
    fail,
    guard,
    netuid_of,
    read_storage,
    refuse,
    report,
    short,
    spinner,
)

sudo_app = typer.Typer(
    no_args_is_help=True,
    help="Subnet hyperparameters: read them (get) and set them as the owner or through Sudo (set).",
)

# RPC hyperparameter field -> (SubtensorModule storage item, what it means)
HYPERPARAMS: dict[str, tuple[str, str]] = {
    "rho": ("Rho", "steepness of the incentive sigmoid (Yuma)"),
    "kappa": ("Kappa", "stake share that defines consensus (u16 of 1)"),
    "immunity_period": ("ImmunityPeriod", "blocks a new neuron cannot be pruned"),
    "min_allowed_weights": ("MinAllowedWeights", "fewest uids a validator must weight"),
    "max_weights_limit": ("MaxWeightsLimit", "largest share one weight may take (u16 of 1)"),
    "tempo": ("Tempo", "blocks between epochs"),
    "min_difficulty": ("MinDifficulty", "lowest PoW difficulty"),
    "max_difficulty": ("MaxDifficulty", "highest PoW difficulty"),
    "weights_version": ("WeightsVersionKey", "lowest version_key weights must carry"),
    "weights_rate_limit": ("WeightsSetRateLimit", "blocks between weight updates of a hotkey"),
    "adjustment_interval": ("AdjustmentInterval", "blocks between burn/difficulty adjustments"),
    "activity_cutoff": ("ActivityCutoff", "blocks without updates before a validator is inactive"),
    "registration_allowed": ("NetworkRegistrationAllowed", "burned registration is open"),
    "target_regs_per_interval": ("TargetRegistrationsPerInterval", "registrations the adjustment aims at"),
    "min_burn": ("MinBurn", "lowest registration burn (rao)"),
    "max_burn": ("MaxBurn", "highest registration burn (rao)"),
    "bonds_moving_avg": ("BondsMovingAverage", "bonds EMA factor (of 1,000,000)"),
    "max_regs_per_block": ("MaxRegistrationsPerBlock", "registrations allowed in one block"),
    "serving_rate_limit": ("ServingRateLimit", "blocks between axon announcements"),
    "max_validators": ("MaxAllowedValidators", "validator permits given at an epoch"),
    "adjustment_alpha": ("AdjustmentAlpha", "smoothing of burn/difficulty adjustments (u64 of 1)"),
    "difficulty": ("Difficulty", "current PoW difficulty"),
    "commit_reveal_period": ("RevealPeriodEpochs", "epochs between a commit and its reveal"),
    "commit_reveal_weights_enabled": ("CommitRevealWeightsEnabled", "weights must be committed, then revealed"),
    "alpha_high": ("AlphaHigh", "liquid alpha upper bound (u16 of 1)"),
    "alpha_low": ("AlphaLow", "liquid alpha lower bound (u16 of 1)"),
    "liquid_alpha_enabled": ("LiquidAlphaOn", "bonds use liquid alpha"),
    "bonds_penalty": ("BondsPenalty", "penalty on bonds above consensus (u16 of 1)"),
    "yuma3_enabled": ("Yuma3On", "the epoch runs Yuma3"),
    "pow_registration_allowed": ("NetworkPowRegistrationAllowed", "proof-of-work registration is open"),
    "burn": ("Burn", "current registration burn (rao)"),
    "commit_reveal_version": ("CommitRevealVersion", "4: timelocked commits (drand), 2: hash commits"),
    "max_n": ("MaxAllowedUids", "most uids the subnet holds"),
}


def setters(c: Any) -> dict[str, tuple[str, bool]]:
    """AdminUtils setters from the node's metadata: setter suffix -> (storage item, owner may set)."""
    meta = c.metadata()
    admin = next((p for p in meta["pallets"] if p["name"] == "AdminUtils"), None)
    out = {}
    for call in admin["calls"] if admin else []:
        m = re.match(r"Set (\w+) of a subnet", call["doc"])
        if call["name"].startswith("sudo_set_") and m:
            out[call["name"][len("sudo_set_"):]] = (m.group(1), "(O)" in call["doc"])
    return out


def _by_item(c: Any) -> dict[str, tuple[str, bool]]:
    """storage item -> (setter suffix, owner may set)."""
    return {item: (name, owner) for name, (item, owner) in setters(c).items()}


def need(view: Any, netuid: int) -> None:
    """Fail when a netuid view came back null (no such subnet)."""
    if view is None:
        fail(f"there is no subnet {netuid}; see `taochain subnets list`")


def show_hyperparameters(netuid: int, network: str, as_json: bool) -> None:
    """The hyperparameters table (btcli's `sudo get`): HYPERPARAMETER | VALUE | OWNER SETTABLE | DESCRIPTION."""
    with client(network) as c, spinner(f"Reading the hyperparameters of subnet {netuid}…", as_json):
        hp = c.hyperparameters(netuid)
        by_item = _by_item(c)
    need(hp, netuid)
    t = Table(title=f"Subnet {netuid} hyperparameters")
    for col in ("HYPERPARAMETER", "VALUE", "OWNER SETTABLE", "DESCRIPTION"):
        t.add_column(col, justify="right" if col == "VALUE" else "left")
    for k, v in hp.items():
        item, desc = HYPERPARAMS.get(k, ("", ""))
        setter = by_item.get(item)
        who = "-" if setter is None else ("[green]yes[/green]" if setter[1] else "no (root)")
        t.add_row(k, str(v), who, desc)
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
    """Set one hyperparameter: as the owner or through Sudo (sudo=None: whichever the key may)."""
    from taochain.client import HYPERPARAM_SETTERS  # noqa: PLC0415

    v = parse_value(value)
    key = coldkey(uri, wallet_name, wallet_path)
    with client(network) as c:
        by_name = setters(c)
        name = HYPERPARAM_SETTERS.get(param, param)
        if name not in by_name:
            fail(f"unknown parameter {param!r}; one of: {', '.join(sorted(by_name))}", 2)
        owner_settable = by_name[name][1]
        with spinner(f"Checking who may set {param} on subnet {netuid}…", as_json):
            info = c.subnet(netuid)
            need(info, netuid)
            sudo_key = read_storage(c, "Sudo", "Key")
        is_owner, is_root = info["owner"] == key.ss58, sudo_key == key.public
        if sudo is None:
            sudo = not (owner_settable and is_owner)
        if sudo and not is_root:
            if owner_settable:
                refuse(as_json, "Sudo.RequireSudo",
                       f"{key.ss58} is neither the owner of subnet {netuid} ({short(info['owner'])}) nor the sudo key",
                       "sign with the owner's coldkey, or with the sudo key")
            refuse(as_json, "Sudo.RequireSudo", f"{param} is root-only and {key.ss58} is not the sudo key",
                   "sign with the sudo key (//Alice on a dev chain)")
        if not sudo and not owner_settable:
            fail(f"{param} is root-only: drop --no-sudo and sign with the sudo key", 2)
        if not sudo and not is_owner:
            refuse(as_json, "SubtensorModule.NotSubnetOwner",
                   f"{key.ss58} does not own subnet {netuid} (its owner is {short(info['owner'])})",
                   "sign with the owner's coldkey, or with --sudo and the sudo key")
        with spinner(f"Setting {param} to {v}…", as_json):
            r = c.set_hyperparameter(key, netuid, name, v, sudo=sudo)
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
    param: str = typer.Option(..., "--param", help="e.g. tempo, kappa, immunity_period, commit_reveal_version"),
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
