"""btcli-shaped commands for subnets, stake, weights and the metagraph.

    taochain subnet create|start|list|show NETUID|hyperparameters NETUID|set NETUID|register NETUID
                   |pow-register NETUID
    taochain stake add|remove|list
    taochain weights set|commit|reveal
    taochain metagraph NETUID

Keys: `--uri` is the coldkey (pays, owns), `--hotkey-uri` the hotkey (signs weights, is registered);
both take secret URIs such as //Alice or //Alice//hot. Every command takes `--url`, `--json` and
`--no-prompt` (commands that spend TAO ask before they do, on a terminal). Weights are given as
`--uids 1,2,3 --weights 0.2,0.3,0.5`. `weights commit` follows the subnet's commit_reveal_version:
4 (the default) encrypts the weights to a drand round and the chain reveals them itself in the reveal
epoch; 2 keeps the salt and values in a local file (`~/.taochain/commits.json`, or --commit-file) so
that `weights reveal --netuid N` needs nothing more. `metagraph` lists the pending timelocked commits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from runtime.support.keys import InvalidKey, Keypair, keypair_from_uri, ss58_encode
from taochain.cli_common import console, fail, guard
from taochain.client import Client, netuid_of, uid_of

TAO = 10**9
subnet_app = typer.Typer(no_args_is_help=True, help="Create, inspect and join subnets.")
stake_app = typer.Typer(no_args_is_help=True, help="Stake TAO on hotkeys.")
weights_app = typer.Typer(no_args_is_help=True, help="Set weights directly or by commit-reveal.")

URL = typer.Option("ws://127.0.0.1:9944", "--url", help="node RPC endpoint")
JSON = typer.Option(False, "--json", help="print JSON")
NO_PROMPT = typer.Option(False, "--no-prompt", help="do not ask for confirmation")
COLDKEY = typer.Option("//Alice", "--uri", help="coldkey secret URI (pays and owns)")
HOTKEY = typer.Option(..., "--hotkey-uri", help="hotkey secret URI (e.g. //Alice//miner1)")
DEFAULT_COMMIT_FILE = Path.home() / ".taochain" / "commits.json"



_fail = fail


def _key(uri: str, what: str) -> Keypair:
    try:
        return keypair_from_uri(uri)
    except InvalidKey as exc:
        _fail(f"bad {what}: {exc}", 2)
        raise  # unreachable


def _client(url: str):
    return Client(url)


def _tao(amount: str) -> int:
    try:
        rao = int(Decimal(amount) * TAO)
    except (InvalidOperation, ValueError):
        _fail(f"--amount {amount!r} is not a number of TAO", 2)
    if rao <= 0:
        _fail("--amount must be positive", 2)
    return rao


def _list(text: str, what: str, conv=int) -> list:
    try:
        out = [conv(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        _fail(f"{what} must be a comma-separated list of numbers, e.g. 1,2,3", 2)
    if not out:
        _fail(f"{what} is empty", 2)
    return out


def _confirm(question: str, no_prompt: bool, as_json: bool) -> None:
    if no_prompt or as_json or not sys.stdin.isatty():
        return
    if not typer.confirm(question, default=True):
        raise typer.Exit(1)


def _report(r: Any, what: str, as_json: bool, extra: dict | None = None) -> None:
    """Print an ExtrinsicResult; exit 1 when the call failed, naming the cause and the fix."""
    hint = r.hint
    out = {
        "success": r.success, "message": r.message, "hint": hint, "extrinsic_hash": r.extrinsic_hash,
        "block_hash": r.block_hash, "block_number": r.block_number, "fee": r.fee, **(extra or {}),
    }
    if as_json:
        print(json.dumps(out))
    elif r.success:
        where = f" in block #{r.block_number}" if r.block_number is not None else ""
        console.print(f"[green]✔[/green] {what}{where}")
        for k, v in (extra or {}).items():
            console.print(f"  {k}: {v}")
    else:
        console.print(f"[red]✘[/red] {what} failed: {r.message}" + (f"\n  {hint}" if hint else ""))
    if not r.success:
        raise typer.Exit(1)


def _need(view: Any, netuid: int) -> None:
    """Fail when a netuid view came back null (no such subnet)."""
    if view is None:
        _fail(f"there is no subnet {netuid}; see `taochain subnet list`")


def _setters(c: Any) -> dict[str, tuple[str, bool]]:
    """AdminUtils setters from the node's metadata: name -> (storage item, owner may set)."""
    import re

    meta = c.metadata()
    admin = next((p for p in meta["pallets"] if p["name"] == "AdminUtils"), None)
    out = {}
    for call in admin["calls"] if admin else []:
        m = re.match(r"Set (\w+) of a subnet", call["doc"])
        if call["name"].startswith("sudo_set_") and m:
            out[call["name"][len("sudo_set_"):]] = (m.group(1), "(O)" in call["doc"])
    return out


def _emit(as_json: bool, data: Any, table: Table | None) -> None:
    if as_json:
        print(json.dumps(data))
    elif table is not None:
        console.print(table)


def _ss58(x: str | None) -> str:
    return "-" if x is None else x[:8] + "…" + x[-6:]


def _t(rao: int) -> str:
    return f"{rao / TAO:,.4f}"


# ---------------------------------------------------------------------------------------- subnet


@subnet_app.command("create")
@guard
def subnet_create(
    uri: str = COLDKEY, hotkey_uri: str = HOTKEY, url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT
) -> None:
    """Register a new subnet owned by --uri; --hotkey-uri becomes its uid 0. Pays the lock cost."""
    cold, hot = _key(uri, "--uri"), _key(hotkey_uri, "--hotkey-uri")
    with _client(url) as c:
        cost = c.lock_cost()
        _confirm(f"Lock {cost / TAO:,.4f} TAO to create a subnet?", no_prompt, as_json)
        r = c.register_network(cold, hot.public)
        netuid = netuid_of(r)
    _report(r, f"subnet {netuid} created (lock {cost / TAO:,.4f} TAO)", as_json, {"netuid": netuid, "lock": cost})


@subnet_app.command("start")
@guard
def subnet_start(
    netuid: int = typer.Argument(..., help="subnet id"), uri: str = COLDKEY, url: str = URL, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Start the subnet's emission (start_call); --uri must be the owner."""
    with _client(url) as c:
        r = c.start_call(_key(uri, "--uri"), netuid)
    _report(r, f"emission of subnet {netuid} starts next block", as_json)


@subnet_app.command("list")
@guard
def subnet_list(url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT) -> None:
    """List the subnets, with the current lock cost of a new one."""
    with _client(url) as c:
        subnets = c.subnets()
        cost = c.lock_cost()
    t = Table(title=f"Subnets (a new one locks {cost / TAO:,.4f} TAO)")
    for col in ("netuid", "owner", "n / max", "tempo", "next epoch in", "emission/block (TAO)", "burn (TAO)",
                "commit-reveal"):
        t.add_column(col, justify="right")
    for s in subnets:
        t.add_row(
            str(s["netuid"]), _ss58(s["owner"]), f"{s['n']} / {s['max_n']}", str(s["tempo"]),
            str(s["blocks_until_next_epoch"]),
            _t(s["emission_share"]) if s["emission_started"] else "not started", _t(s["burn"]),
            "on" if s["commit_reveal_enabled"] else "off",
        )
    _emit(as_json, {"lock_cost": cost, "subnets": subnets}, t)


@subnet_app.command("show")
@guard
def subnet_show(netuid: int = typer.Argument(...), url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT) -> None:
    """Show one subnet."""
    with _client(url) as c:
        info = c.subnet(netuid)
    _need(info, netuid)
    t = Table(title=f"Subnet {netuid}", show_header=False)
    t.add_column("field")
    t.add_column("value", justify="right")
    for k, v in info.items():
        t.add_row(k, json.dumps(v) if isinstance(v, dict) else str(v))
    _emit(as_json, info, t)


@subnet_app.command("hyperparameters")
@guard
def subnet_hyperparameters(
    netuid: int = typer.Argument(...), url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT
) -> None:
    """Show a subnet's hyperparameters (with who may set each: owner or root)."""
    field_item = _HPARAM_ITEMS
    with _client(url) as c:
        hp = c.hyperparameters(netuid)
        setters = {item: ("owner/root" if owner else "root", name) for name, (item, owner) in _setters(c).items()}
    _need(hp, netuid)
    t = Table(title=f"Subnet {netuid} hyperparameters")
    for col in ("parameter", "value", "set by", "set with"):
        t.add_column(col)
    for k, v in hp.items():
        who, name = setters.get(field_item.get(k, ""), ("-", "-"))
        t.add_row(k, str(v), who, "-" if name == "-" else f"subnet set {netuid} --param {name}")
    _emit(as_json, hp, t)


# RPC hyperparameter field -> SubtensorModule storage item (to show who may set it)
_HPARAM_ITEMS = {
    "rho": "Rho", "kappa": "Kappa", "immunity_period": "ImmunityPeriod", "min_allowed_weights": "MinAllowedWeights",
    "tempo": "Tempo", "min_difficulty": "MinDifficulty", "max_difficulty": "MaxDifficulty",
    "weights_version": "WeightsVersionKey", "weights_rate_limit": "WeightsSetRateLimit",
    "adjustment_interval": "AdjustmentInterval", "activity_cutoff": "ActivityCutoff",
    "registration_allowed": "NetworkRegistrationAllowed", "target_regs_per_interval": "TargetRegistrationsPerInterval",
    "min_burn": "MinBurn", "max_burn": "MaxBurn", "bonds_moving_avg": "BondsMovingAverage",
    "max_regs_per_block": "MaxRegistrationsPerBlock", "serving_rate_limit": "ServingRateLimit",
    "max_validators": "MaxAllowedValidators", "adjustment_alpha": "AdjustmentAlpha", "difficulty": "Difficulty",
    "commit_reveal_period": "RevealPeriodEpochs", "commit_reveal_weights_enabled": "CommitRevealWeightsEnabled",
    "liquid_alpha_enabled": "LiquidAlphaOn", "bonds_penalty": "BondsPenalty", "yuma3_enabled": "Yuma3On",
    "pow_registration_allowed": "NetworkPowRegistrationAllowed", "max_n": "MaxAllowedUids",
    "commit_reveal_version": "CommitRevealVersion",
}


@subnet_app.command("set")
@guard
def subnet_set(
    netuid: int = typer.Argument(...),
    param: str = typer.Option(..., "--param", help="e.g. tempo, kappa, immunity_period, commit_reveal_weights_enabled"),
    value: str = typer.Option(..., "--value", help="an integer, or true/false"),
    sudo: bool = typer.Option(False, "--sudo", help="dispatch as root through Sudo (root-only parameters)"),
    uri: str = COLDKEY, url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Set a hyperparameter as the subnet owner (or as root with --sudo)."""
    if value.lower() in ("true", "false"):
        v: Any = value.lower() == "true"
    elif value.isdigit():
        v = int(value)
    else:
        _fail("--value takes an integer or true/false", 2)
    with _client(url) as c:
        by_name = _setters(c)
        if param not in by_name:
            _fail(f"unknown parameter {param!r}; one of: {', '.join(sorted(by_name))}", 2)
        if not by_name[param][1] and not sudo:
            _fail(f"{param} is root-only: add --sudo and the sudo key as --uri", 2)
        r = c.set_hyperparameter(_key(uri, "--uri"), netuid, param, v, sudo=sudo)
    _report(r, f"{param} of subnet {netuid} set to {v}", as_json)


@subnet_app.command("register")
@guard
def subnet_register(
    netuid: int = typer.Argument(...), uri: str = COLDKEY, hotkey_uri: str = HOTKEY, url: str = URL,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Register --hotkey-uri on the subnet by burning its registration cost from --uri."""
    cold, hot = _key(uri, "--uri"), _key(hotkey_uri, "--hotkey-uri")
    with _client(url) as c:
        info = c.subnet(netuid)
        _need(info, netuid)
        _confirm(f"Burn {info['burn'] / TAO:,.4f} TAO to register {hot.ss58} on subnet {netuid}?", no_prompt, as_json)
        r = c.burned_register(cold, netuid, hot.public)
    uid = uid_of(r)
    _report(r, f"{hot.ss58} registered on subnet {netuid} as uid {uid}", as_json, {"uid": uid})


@subnet_app.command("pow-register")
@guard
def subnet_pow_register(
    netuid: int = typer.Argument(...), uri: str = COLDKEY, hotkey_uri: str = HOTKEY, url: str = URL,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Register --hotkey-uri (owned by --uri) by solving the subnet's proof of work on the CPU."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    cold, hot = _key(uri, "--uri"), _key(hotkey_uri, "--hotkey-uri")
    with _client(url) as c:
        hp = c.hyperparameters(netuid)
        _need(hp, netuid)
        difficulty = hp["difficulty"]
        expected = max(1, difficulty)
        start = time.monotonic()
        if as_json:
            r = c.pow_register(hot, netuid, cold.public)
        else:
            with Progress(TextColumn("solving PoW (difficulty {task.fields[d]:,})"), BarColumn(),
                          TextColumn("{task.completed:,} hashes"), TimeElapsedColumn(), console=console) as prog:
                task = prog.add_task("pow", total=expected, d=difficulty)
                r = c.pow_register(hot, netuid, cold.public, progress=lambda n: prog.update(task, completed=n))
    uid = uid_of(r)
    _report(r, f"{hot.ss58} registered on subnet {netuid} as uid {uid} by PoW ({time.monotonic() - start:.1f} s)",
            as_json, {"uid": uid})


# ---------------------------------------------------------------------------------------- stake


def _stake(add: bool, amount: str, uri: str, hotkey: str, url: str, as_json: bool, no_prompt: bool) -> None:
    from taochain.client import to_account

    rao = _tao(amount)
    hot = to_account(hotkey)
    what = f"{rao / TAO:,.4f} TAO {'on' if add else 'from'} {ss58_encode(hot)}"
    if add:
        _confirm(f"Stake {what}?", no_prompt, as_json)
    with _client(url) as c:
        call = c.add_stake if add else c.remove_stake
        r = call(_key(uri, "--uri"), hot, rao)
    _report(r, f"{'staked' if add else 'unstaked'} {what}", as_json)


HOTKEY_ACCOUNT = typer.Option(..., "--hotkey", "--hotkey-uri", help="hotkey: secret URI, SS58 or 0x id")
AMOUNT = typer.Option(..., "--amount", help="TAO")


@stake_app.command("add")
@guard
def stake_add(
    amount: str = AMOUNT, uri: str = COLDKEY, hotkey: str = HOTKEY_ACCOUNT, url: str = URL, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Stake --amount TAO from --uri on a hotkey (yours, or a delegate's)."""
    _stake(True, amount, uri, hotkey, url, as_json, no_prompt)


@stake_app.command("remove")
@guard
def stake_remove(
    amount: str = AMOUNT, uri: str = COLDKEY, hotkey: str = HOTKEY_ACCOUNT, url: str = URL, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Unstake --amount TAO from a hotkey back to --uri's balance."""
    _stake(False, amount, uri, hotkey, url, as_json, no_prompt)


@stake_app.command("list")
@guard
def stake_list(
    coldkey: str = typer.Option("//Alice", "--uri", "--coldkey", help="coldkey: secret URI, SS58 or 0x id"),
    url: str = URL, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """The coldkey's stake per hotkey."""
    from taochain.client import to_account

    cold = to_account(coldkey)
    with _client(url) as c:
        rows = c.stake_info(cold)
    t = Table(title=f"Stake of {ss58_encode(cold)}")
    for col in ("hotkey", "stake (TAO)"):
        t.add_column(col, justify="right")
    for row in rows:
        t.add_row(row["hotkey"], _t(row["stake"]))
    t.add_row("[bold]total[/bold]", f"[bold]{_t(sum(r['stake'] for r in rows))}[/bold]")
    _emit(as_json, rows, t)


# ---------------------------------------------------------------------------------------- weights


def _weights(uids: str, weights: str) -> tuple[list[int], list[float]]:
    u = _list(uids, "--uids")
    w = _list(weights, "--weights", float)
    if len(u) != len(w):
        _fail(f"--uids has {len(u)} entries but --weights has {len(w)}", 2)
    if any(x < 0 for x in w) or not any(x > 0 for x in w):
        _fail("--weights must be non-negative with at least one positive", 2)
    return u, w


@weights_app.command("set")
@guard
def weights_set(
    netuid: int = typer.Option(..., "--netuid"), uids: str = typer.Option(..., "--uids", help="e.g. 1,2,3"),
    weights: str = typer.Option(..., "--weights", help="e.g. 0.2,0.3,0.5"),
    version_key: int = typer.Option(0, "--version-key"), hotkey_uri: str = HOTKEY, url: str = URL,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Set weights directly (subnets with commit-reveal off)."""
    u, w = _weights(uids, weights)
    with _client(url) as c:
        r = c.set_weights(_key(hotkey_uri, "--hotkey-uri"), netuid, u, w, version_key)
    _report(r, f"weights set on subnet {netuid}", as_json)


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


COMMIT_FILE = typer.Option(DEFAULT_COMMIT_FILE, "--commit-file", help="where commits keep their salt and values")


@weights_app.command("commit")
@guard
def weights_commit(
    netuid: int = typer.Option(..., "--netuid"), uids: str = typer.Option(..., "--uids", help="e.g. 1,2,3"),
    weights: str = typer.Option(..., "--weights", help="e.g. 0.2,0.3,0.5"),
    version_key: int = typer.Option(0, "--version-key"), hotkey_uri: str = HOTKEY, url: str = URL,
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

    On a subnet with commit_reveal_version 4 (or with --timelock) they are encrypted to a drand round and the chain decrypts and sets them itself in the reveal epoch;
    with version 2 they are hidden by a salted hash kept in the commit file, and `weights reveal`
    shows them in the reveal epoch."""
    u, w = _weights(uids, weights)
    hot = _key(hotkey_uri, "--hotkey-uri")
    with _client(url) as c:
        hp = c.hyperparameters(netuid)
        _need(hp, netuid)
        if timelock or reveal_round is not None or hp.get("commit_reveal_version") == 4:
            return _commit_timelocked(c, hot, netuid, u, w, version_key, reveal_round, as_json)
        r, record = c.commit_weights(hot, netuid, u, w, version_key=version_key)
        info = c.subnet(netuid) if r.success else None
    if r.success:
        record = {**record, "hotkey": hot.ss58, "url": url, "block": r.block_number}
        _save_commits(commit_file, [*_load_commits(commit_file), record])
    extra = {"mode": "hash", "hash": record["hash"]}
    if info is not None:
        extra["reveal"] = f"in the next epoch, in about {info['blocks_until_next_epoch'] + 1} blocks"
    _report(r, f"weights committed on subnet {netuid}", as_json, extra)
    return None


def _commit_timelocked(
    c: Any, hot: Keypair, netuid: int, u: list[int], w: list[float], version_key: int, reveal_round: int | None,
    as_json: bool,
) -> None:
    r, rec = c.commit_timelocked_weights(hot, netuid, u, w, version_key=version_key, reveal_round=reveal_round)
    extra = {
        "mode": "timelock", "hash": rec["hash"], "reveal_round": rec["reveal_round"],
        "reveal_epoch": rec["reveal_epoch"], "values": rec["values"],
    }
    if r.success:
        extra["reveal"] = (f"the chain decrypts and sets these weights itself in epoch {rec['reveal_epoch']}, once "
                           f"drand round {rec['reveal_round']} is stored; nothing to reveal, nothing kept locally")
    _report(r, f"weights committed on subnet {netuid} (timelocked to drand round {rec['reveal_round']})", as_json,
            extra)


@weights_app.command("reveal")
@guard
def weights_reveal(
    netuid: int = typer.Option(..., "--netuid"), hotkey_uri: str = HOTKEY, url: str = URL,
    commit_file: Path = COMMIT_FILE,
    no_wait: bool = typer.Option(False, "--no-wait", help="submit now even before the reveal epoch"),
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Reveal this hotkey's oldest pending hash commit on the subnet, from the local commit file.

    Waits for the commit's reveal epoch if it has not begun (unless --no-wait). Timelocked commits
    (commit_reveal_version 4) need no reveal: the chain opens them itself."""
    hot = _key(hotkey_uri, "--hotkey-uri")
    records = _load_commits(commit_file)
    mine = [r for r in records if r.get("netuid") == netuid and r.get("hotkey") == hot.ss58]
    with _client(url) as c:
        pending = {p["hash"]: p for p in c.pending_commits(netuid, hot.public) or []}
        live = [r for r in mine if r["hash"] in pending]
        if not live:
            hp = c.hyperparameters(netuid)
            _need(hp, netuid)
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
        r = c.reveal_weights(hot, netuid, rec["uids"], rec["values"], rec["salt"], rec["version_key"])
    if r.success:
        _save_commits(commit_file, [x for x in records if x is not rec])
    _report(r, f"weights revealed on subnet {netuid}", as_json, {"hash": rec["hash"]})


def _wait_for_epoch(c: Any, netuid: int, epoch: int, as_json: bool) -> None:
    """Block until a transaction sent now lands in `epoch` (classic: (b + netuid + 1) // (tempo + 1))."""
    info = c.subnet(netuid)
    _need(info, netuid)
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
                status.update(f"waiting {first_block - best - 1} blocks for the reveal epoch {epoch}…")
            time.sleep(0.2)
    finally:
        if status is not None:
            status.stop()


# ---------------------------------------------------------------------------------------- metagraph


def metagraph_cmd(
    netuid: int = typer.Argument(..., help="subnet id"), url: str = URL, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """The subnet's neurons: stake, permits, trust, consensus, incentive, dividends, emission.

    Below: the subnet's pending timelocked weight commits (hotkey, commit epoch, reveal epoch, drand round) and the
    weights the chain revealed (or dropped) in the last blocks."""
    with _client(url) as c:
        mg = c.metagraph(netuid)
        _need(mg, netuid)
        hp = c.hyperparameters(netuid) or {}
        timelocked = hp.get("commit_reveal_version") == 4
        commits = (c.timelocked_commits(netuid) or []) if timelocked else []
        window = min(hp.get("tempo", 0) + 1, 64)
        outcomes = c.timelock_outcomes(netuid, window) if timelocked else []
        last_stored = c.drand_status()["lastStoredRound"] if commits else None
    uid_of_hot = {n["hotkey"]: n["uid"] for n in mg["neurons"]}
    t = Table(title=f"Metagraph of subnet {netuid} at block #{mg['block']}")
    for col in ("uid", "hotkey", "stake τ", "VP", "act", "vtrust", "cons", "incent", "divs", "emis τ", "upd",
                "axon"):
        t.add_column(col, justify="right")
    top_i = max((n["incentive"] for n in mg["neurons"]), default=0)
    for n in mg["neurons"]:
        ax = n["axon"]
        inc = f"{n['incentive'] / 65535:.4f}"
        t.add_row(
            str(n["uid"]), n["hotkey"][:6] + "…", _t(n["stake"]), "✔" if n["validator_permit"] else "",
            "✔" if n["active"] else "", f"{n['validator_trust'] / 65535:.4f}", f"{n['consensus'] / 65535:.4f}",
            f"[bold green]{inc}[/bold green]" if top_i and n["incentive"] == top_i else inc,
            f"{n['dividends'] / 65535:.4f}", _t(n["emission"]), str(n["last_update"]),
            "-" if ax is None else f"{ax['ip']}:{ax['port']}",
        )
    if as_json:
        print(json.dumps({**mg, "timelocked_commits": commits, "timelock_outcomes": outcomes}))
        return
    console.print(t)
    if not timelocked:
        return
    if commits:
        ct = Table(title=f"Pending timelocked commits (the chain reveals them; last stored drand round {last_stored})")
        for col in ("uid", "hotkey", "commit epoch", "block", "reveal epoch", "drand round", "bytes"):
            ct.add_column(col, justify="right")
        for x in commits:
            ct.add_row(str(uid_of_hot.get(x["hotkey"], "-")), _ss58(x["hotkey"]), str(x["epoch"]), str(x["block"]),
                       str(x["reveal_epoch"]), str(x["reveal_round"]), str(x["size"]))
        console.print(ct)
    else:
        console.print("No pending timelocked commits.")
    if outcomes:
        parts = []
        for o in outcomes:
            who = f"uid {uid_of_hot.get(o['hotkey'], '?')} ({_ss58(o['hotkey'])})"
            parts.append(f"  #{o['block']}: {who} " + ("[green]revealed[/green]" if o["revealed"]
                                                       else f"[red]dropped[/red] ({o['reason']})"))
        console.print(f"Timelocked commits the chain opened in the last {window} blocks:")
        console.print("\n".join(parts))


metagraph_cmd = guard(metagraph_cmd)


def register(app: typer.Typer) -> None:
    app.add_typer(subnet_app, name="subnet")
    app.add_typer(stake_app, name="stake")
    app.add_typer(weights_app, name="weights")
    app.command("metagraph")(metagraph_cmd)
