"""`taochain wallet`: btcli-style wallets (an encrypted coldkey, plain hotkeys) and what they hold.

    taochain wallet create -w W -H H [--n-words 12..24] [--no-use-password] [--uri alice]
    taochain wallet new-coldkey | new-hotkey | regen-coldkey --mnemonic "..." | regen-hotkey | regen-coldkeypub --ss58
    taochain wallet list
    taochain wallet balance [-w W | --all | --uri //Alice] [--network local|ws://...]
    taochain wallet overview [-w W | --uri //Alice] [--network ...]

Wallets live under `--wallet-path` (default `$TAOCHAIN_WALLET_PATH` or `~/.taochain/wallets`).
The coldkey password comes from `$TAOCHAIN_WALLET_PASSWORD`, `$TAOCHAIN_PW_<WALLET>` or a hidden
prompt. A new key's mnemonic is printed once. Exit codes: 0 done, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.tree import Tree

from runtime.support.keys import Keypair, ss58_encode
from taochain.cli_common import NETWORK, console, fail, guard, network_url
from taochain.wallet import (
    Wallet,
    WalletError,
    default_wallet_path,
    env_password,
    keypair_from_secret,
    list_wallets,
    password_env_name,
    uri_keypair,
)

TAO = 10**9

app = typer.Typer(
    no_args_is_help=True,
    help="Wallets: create and restore coldkeys and hotkeys, list them, show balances and registrations.",
)

WALLET_PATH = typer.Option(
    None, "--wallet-path", "--wallet_path", "-p",
    help="folder of wallets (default: $TAOCHAIN_WALLET_PATH or ~/.taochain/wallets)",
)
WALLET_NAME = typer.Option("default", "--wallet-name", "--wallet_name", "--name", "-w", help="wallet name")
WALLET_HOTKEY = typer.Option("default", "--wallet-hotkey", "--wallet_hotkey", "--hotkey", "-H", help="hotkey name")
N_WORDS = typer.Option(12, "--n-words", "--n_words", help="mnemonic length: 12, 15, 18, 21 or 24 words")
USE_PASSWORD = typer.Option(
    True, "--use-password/--no-use-password", help="encrypt the coldkey with a password (default: yes)"
)
OVERWRITE = typer.Option(False, "--overwrite", help="replace existing key files")
JSON = typer.Option(False, "--json", "--json-output", help="print JSON")
NO_PROMPT = typer.Option(False, "--no-prompt", "-y", help="never ask (fail instead when something is needed)")
URI = typer.Option(None, "--uri", help="a dev or secret-URI key instead of a wallet: alice, //Alice, //Bob//x")
MNEMONIC = typer.Option(None, "--mnemonic", help="the BIP39 phrase to restore from (quoted)")
SEED = typer.Option(None, "--seed", help="the 32-byte secret seed to restore from, 0x + 64 hex digits")


# ------------------------------------------------------------------------------------- helpers


def wallet_guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`guard` plus wallet errors as one-line failures (exit 1)."""

    @functools.wraps(fn)
    def inner(*a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except WalletError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))

    return guard(inner)


def _err_console() -> Any:
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True)


def _is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _wallet(name: str, path: Path | None) -> Wallet:
    try:
        return Wallet(name, path)
    except WalletError as exc:
        fail(str(exc), 2)


def _n_words(n: int) -> int:
    if n not in (12, 15, 18, 21, 24):
        fail(f"--n-words must be 12, 15, 18, 21 or 24 (got {n})", 2)
    return n


def _url(network: str | None) -> str:
    return network_url(network)


def _new_password(w: Wallet, no_prompt: bool) -> str:
    """The password to encrypt a new coldkey: from the environment, else asked twice on a terminal."""
    pw = env_password(w.name)
    if pw is not None:
        if not pw:
            fail("the coldkey password is empty; set a non-empty TAOCHAIN_WALLET_PASSWORD or use --no-use-password")
        return pw
    if no_prompt or not _is_tty():
        fail(
            f"a password is needed to encrypt the coldkey of wallet {w.name}: set TAOCHAIN_WALLET_PASSWORD "
            f"(or {password_env_name(w.name)}), run in a terminal, or pass --no-use-password"
        )
    import getpass  # noqa: PLC0415

    for _ in range(3):
        pw = getpass.getpass(f"Password to encrypt the coldkey of wallet {w.name}: ")
        if not pw:
            console.print("[yellow]the password cannot be empty[/yellow]")
            continue
        if getpass.getpass("Retype the password: ") == pw:
            return pw
        console.print("[yellow]the passwords differ; try again[/yellow]")
    fail("no password set")


def _confirm_overwrite(what: str, exists: bool, overwrite: bool, no_prompt: bool, as_json: bool) -> bool:
    """True when `what` may be (over)written; asks on a terminal, else needs --overwrite."""
    if not exists or overwrite:
        return overwrite or not exists
    if no_prompt or as_json or not _is_tty():
        fail(f"{what} already exists; pass --overwrite to replace it")
    if not typer.confirm(f"{what} already exists. Overwrite it?", default=False):
        raise typer.Exit(1)
    return True


def _show_mnemonic(kind: str, w: Wallet, phrase: str | None, hotkey: str | None = None) -> None:
    if not phrase:
        return
    regen = (
        f"taochain wallet regen-coldkey -w {w.name} --mnemonic \"{phrase}\""
        if hotkey is None
        else f"taochain wallet regen-hotkey -w {w.name} -H {hotkey} --mnemonic \"{phrase}\""
    )
    console.print(
        f"[bold yellow]The mnemonic of the new {kind}[/bold yellow] (shown only now; anyone with it owns the key, "
        f"and it is the only way to restore it):\n  [bold]{phrase}[/bold]\n"
        f"Restore with: [cyan]{regen}[/cyan]",
        soft_wrap=True,  # keep the phrase and the command on one line each, for copying
    )


def _key_entry(w: Wallet, key: Keypair, phrase: str | None, kind: str, hotkey: str | None = None) -> dict:
    out: dict[str, Any] = {"kind": kind, "ss58": key.ss58, "public": "0x" + key.public.hex(), "mnemonic": phrase}
    if hotkey is not None:
        out["hotkey"] = hotkey
        out["file"] = str(w.hotkey_file(hotkey))
    else:
        out["file"] = str(w.coldkey_file)
        out["encrypted"] = w.coldkey_encrypted()
    return out


def _make_coldkey(
    w: Wallet, n_words: int, use_password: bool, overwrite: bool, no_prompt: bool, as_json: bool,
    mnemonic: str | None = None, seed: str | None = None,
) -> tuple[Keypair, str | None]:
    if not use_password:
        _err_console().print(
            "[yellow]warning:[/yellow] the coldkey is stored unencrypted; anyone who can read "
            f"{w.coldkey_file} can spend its funds"
        )
    pw = _new_password(w, no_prompt) if use_password else None
    return w.create_coldkey(
        n_words, password=pw, overwrite=overwrite, mnemonic=mnemonic, seed=seed, use_password=use_password
    )


def _restore_source(mnemonic: str | None, seed: str | None, uri: str | None) -> tuple[str | None, str | None]:
    given = [x for x in (mnemonic, seed, uri) if x]
    if len(given) > 1:
        fail("give only one of --mnemonic, --seed and --uri", 2)
    if uri:
        return None, "0x" + uri_keypair(uri).seed.hex()
    return mnemonic, seed


def _emit(as_json: bool, data: Any) -> None:
    if as_json:
        print(json.dumps(data))


# ------------------------------------------------------------------------------------- create


def _new_keys_start(wallet_name: str, wallet_path: Path, n_words: int, uri: str | None) -> tuple[Wallet, Any]:
    """The wallet and the dev seed (from --uri) of a command that makes new keys."""
    w = _wallet(wallet_name, wallet_path)
    _n_words(n_words)
    _, seed = _restore_source(None, None, uri)
    return w, seed


def _may_replace_coldkey(w: Wallet, overwrite: bool, no_prompt: bool, as_json: bool) -> bool:
    return _confirm_overwrite(f"the coldkey of wallet {w.name}", w.exists(), overwrite, no_prompt, as_json)


def _may_replace_hotkey(w: Wallet, name: str, overwrite: bool, no_prompt: bool, as_json: bool) -> bool:
    exists = w.hotkey_file(name).exists() or w.hotkeypub_file(name).exists()
    return _confirm_overwrite(f"hotkey {name} of wallet {w.name}", exists, overwrite, no_prompt, as_json)


@app.command("create")
@wallet_guard
def create(
    wallet_name: str = WALLET_NAME, wallet_hotkey: str = WALLET_HOTKEY, wallet_path: Path = WALLET_PATH,
    n_words: int = N_WORDS, use_password: bool = USE_PASSWORD, uri: str = URI, overwrite: bool = OVERWRITE,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Create a wallet: a new coldkey (encrypted) and a new hotkey, each from a fresh mnemonic.

    With --uri alice (or //Alice) both keys are that dev key, for local testing."""
    w, seed = _new_keys_start(wallet_name, wallet_path, n_words, uri)
    c_ok = _may_replace_coldkey(w, overwrite, no_prompt, as_json)
    h_ok = _may_replace_hotkey(w, wallet_hotkey, overwrite, no_prompt, as_json)
    cold, cphrase = _make_coldkey(w, n_words, use_password, c_ok, no_prompt, as_json, seed=seed)
    hot, hphrase = w.create_hotkey(wallet_hotkey, n_words, overwrite=h_ok, seed=seed)
    if as_json:
        _emit(True, {"success": True, "name": w.name, "path": str(w.path),
                     "coldkey": _key_entry(w, cold, cphrase, "coldkey"),
                     "hotkey": _key_entry(w, hot, hphrase, "hotkey", wallet_hotkey)})
        return
    console.print(f"[green]✔[/green] Created wallet [bold]{w.name}[/bold] in {w.path}")
    console.print(f"  coldkey {cold.ss58}" + ("" if w.coldkey_encrypted() else " [yellow](unencrypted)[/yellow]"))
    console.print(f"  hotkey {wallet_hotkey} {hot.ss58}")
    _show_mnemonic("coldkey", w, cphrase)
    _show_mnemonic(f"hotkey {wallet_hotkey}", w, hphrase, wallet_hotkey)


@app.command("new-coldkey")
@wallet_guard
def new_coldkey(
    wallet_name: str = WALLET_NAME, wallet_path: Path = WALLET_PATH, n_words: int = N_WORDS,
    use_password: bool = USE_PASSWORD, uri: str = URI, overwrite: bool = OVERWRITE, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Create a new coldkey (encrypted) for a wallet from a fresh mnemonic."""
    w, seed = _new_keys_start(wallet_name, wallet_path, n_words, uri)
    ok = _may_replace_coldkey(w, overwrite, no_prompt, as_json)
    key, phrase = _make_coldkey(w, n_words, use_password, ok, no_prompt, as_json, seed=seed)
    if as_json:
        _emit(True, {"success": True, "name": w.name, "path": str(w.path), "coldkey": _key_entry(w, key, phrase, "coldkey")})
        return
    console.print(f"[green]✔[/green] New coldkey of wallet [bold]{w.name}[/bold]: {key.ss58}")
    _show_mnemonic("coldkey", w, phrase)


@app.command("new-hotkey")
@wallet_guard
def new_hotkey(
    wallet_name: str = WALLET_NAME, wallet_hotkey: str = WALLET_HOTKEY, wallet_path: Path = WALLET_PATH,
    n_words: int = N_WORDS, uri: str = URI, overwrite: bool = OVERWRITE, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Create a new hotkey (a plain keyfile) in a wallet from a fresh mnemonic."""
    w, seed = _new_keys_start(wallet_name, wallet_path, n_words, uri)
    ok = _may_replace_hotkey(w, wallet_hotkey, overwrite, no_prompt, as_json)
    key, phrase = w.create_hotkey(wallet_hotkey, n_words, overwrite=ok, seed=seed)
    if as_json:
        _emit(True, {"success": True, "name": w.name, "path": str(w.path),
                     "hotkey": _key_entry(w, key, phrase, "hotkey", wallet_hotkey)})
        return
    console.print(f"[green]✔[/green] New hotkey [bold]{wallet_hotkey}[/bold] of wallet {w.name}: {key.ss58}")
    _show_mnemonic(f"hotkey {wallet_hotkey}", w, phrase, wallet_hotkey)


# ------------------------------------------------------------------------------------- regen


def _same_public(existing: Callable[[], bytes]) -> bytes | None:
    try:
        return existing()
    except WalletError:
        return None


@app.command("regen-coldkey")
@wallet_guard
def regen_coldkey(
    wallet_name: str = WALLET_NAME, wallet_path: Path = WALLET_PATH, mnemonic: str = MNEMONIC, seed: str = SEED,
    use_password: bool = USE_PASSWORD, overwrite: bool = OVERWRITE, as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Restore a wallet's coldkey from its mnemonic (or seed) and encrypt it again."""
    if not mnemonic and not seed:
        fail("give the key to restore: --mnemonic \"word1 word2 …\" or --seed 0x…", 2)
    w = _wallet(wallet_name, wallet_path)
    mnemonic, seed = _restore_source(mnemonic, seed, None)
    # Restoring the same key over itself needs no --overwrite; a different key does.
    key, _ = keypair_from_secret(mnemonic, seed)
    old = _same_public(w.coldkeypub) if w.exists() else None
    ok = old == key.public or _confirm_overwrite(
        f"a different coldkey of wallet {w.name}", w.exists(), overwrite, no_prompt, as_json
    )
    key, phrase = _make_coldkey(w, 12, use_password, ok, no_prompt, as_json, mnemonic=mnemonic, seed=seed)
    if as_json:
        entry = _key_entry(w, key, None, "coldkey")
        _emit(True, {"success": True, "name": w.name, "path": str(w.path), "coldkey": entry})
        return
    console.print(f"[green]✔[/green] Restored the coldkey of wallet [bold]{w.name}[/bold]: {key.ss58}")


@app.command("regen-coldkeypub")
@wallet_guard
def regen_coldkeypub(
    ss58: str = typer.Option(..., "--ss58", "--ss58-address", help="the coldkey's SS58 address"),
    wallet_name: str = WALLET_NAME, wallet_path: Path = WALLET_PATH, overwrite: bool = OVERWRITE,
    as_json: bool = JSON, no_prompt: bool = NO_PROMPT,
) -> None:
    """Write only a wallet's coldkeypub.txt (a watch-only wallet: balance and overview work, signing does not)."""
    w = _wallet(wallet_name, wallet_path)
    ok = _confirm_overwrite(f"coldkeypub.txt of wallet {w.name}", w.coldkeypub_file.exists(), overwrite,
                            no_prompt, as_json)
    try:
        pub = w.create_coldkeypub(ss58=ss58, overwrite=ok)
    except WalletError as exc:
        fail(str(exc), 2 if "invalid address" in str(exc) else 1)
    if as_json:
        _emit(True, {"success": True, "name": w.name, "path": str(w.path), "ss58": ss58_encode(pub)})
        return
    console.print(f"[green]✔[/green] Wrote coldkeypub.txt of wallet [bold]{w.name}[/bold]: {ss58_encode(pub)}")


@app.command("regen-hotkey")
@wallet_guard
def regen_hotkey(
    wallet_name: str = WALLET_NAME, wallet_hotkey: str = WALLET_HOTKEY, wallet_path: Path = WALLET_PATH,
    mnemonic: str = MNEMONIC, seed: str = SEED, overwrite: bool = OVERWRITE, as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Restore a hotkey from its mnemonic (or seed)."""
    if not mnemonic and not seed:
        fail("give the key to restore: --mnemonic \"word1 word2 …\" or --seed 0x…", 2)
    w = _wallet(wallet_name, wallet_path)
    mnemonic, seed = _restore_source(mnemonic, seed, None)
    key, _ = keypair_from_secret(mnemonic, seed)
    exists = w.hotkey_file(wallet_hotkey).exists() or w.hotkeypub_file(wallet_hotkey).exists()
    old = _same_public(lambda: w.hotkey_public(wallet_hotkey)) if exists else None
    ok = old == key.public or _confirm_overwrite(
        f"a different hotkey {wallet_hotkey} of wallet {w.name}", exists, overwrite, no_prompt, as_json
    )
    key, _ = w.create_hotkey(wallet_hotkey, overwrite=ok, mnemonic=mnemonic, seed=seed)
    if as_json:
        _emit(True, {"success": True, "name": w.name, "path": str(w.path),
                     "hotkey": _key_entry(w, key, None, "hotkey", wallet_hotkey)})
        return
    console.print(f"[green]✔[/green] Restored hotkey [bold]{wallet_hotkey}[/bold] of wallet {w.name}: {key.ss58}")


# ------------------------------------------------------------------------------------- list


def _wallet_view(w: Wallet) -> dict:
    try:
        cold: str | None = w.coldkey_ss58()
    except WalletError:
        cold = None
    hotkeys = []
    for h in w.hotkey_names():
        try:
            hss58: str | None = ss58_encode(w.hotkey_public(h))
        except WalletError:
            hss58 = None
        hotkeys.append({"name": h, "ss58": hss58})
    return {"name": w.name, "path": str(w.path), "coldkey": cold,
            "encrypted": w.coldkey_encrypted(), "watch_only": not w.coldkey_file.exists(), "hotkeys": hotkeys}


@app.command("list")
@wallet_guard
def list_cmd(wallet_path: Path = WALLET_PATH, as_json: bool = JSON) -> None:
    """Show every wallet under the wallet path, with its coldkey and hotkeys (SS58 addresses)."""
    root = Path(wallet_path).expanduser() if wallet_path is not None else default_wallet_path()
    views = [_wallet_view(w) for w in list_wallets(root)]
    if as_json:
        _emit(True, {"path": str(root), "wallets": views})
        return
    if not views:
        console.print(f"No wallets in {root}. Create one with [cyan]taochain wallet create[/cyan].")
        return
    tree = Tree(f"[bold]Wallets[/bold] in {root}")
    for v in views:
        tag = " [yellow](watch-only)[/yellow]" if v["watch_only"] else (
            "" if v["encrypted"] else " [yellow](unencrypted)[/yellow]")
        node = tree.add(f"Coldkey [bold]{v['name']}[/bold]  ss58_address {v['coldkey'] or '?'}{tag}")
        for h in v["hotkeys"]:
            node.add(f"Hotkey [bold]{h['name']}[/bold]  ss58_address {h['ss58'] or '?'}")
    console.print(tree)


# ------------------------------------------------------------------------------------- balance


def _tao(rao: int) -> str:
    return f"τ{rao / TAO:,.9f}".rstrip("0").rstrip(".") if rao % TAO else f"τ{rao // TAO:,}"


def _targets(wallet_name: str, wallet_path: Path | None, uri: str | None, all_wallets: bool) -> list[tuple[str, str]]:
    """(label, coldkey ss58) pairs for balance and overview."""
    if uri:
        if all_wallets:
            fail("give either --uri or --all", 2)
        return [(uri, uri_keypair(uri).ss58)]
    if all_wallets:
        root = Path(wallet_path).expanduser() if wallet_path is not None else default_wallet_path()
        out = []
        for w in list_wallets(root):
            try:
                out.append((w.name, w.coldkey_ss58()))
            except WalletError:
                continue
        if not out:
            fail(f"no wallets with a coldkey in {root}; create one with `taochain wallet create`")
        return out
    w = _wallet(wallet_name, wallet_path)
    return [(w.name, w.coldkey_ss58())]


@app.command("balance")
@wallet_guard
def balance(
    wallet_name: str = WALLET_NAME, wallet_path: Path = WALLET_PATH, uri: str = URI,
    all_wallets: bool = typer.Option(False, "--all", "-a", help="every wallet under the wallet path"),
    network: str = NETWORK, as_json: bool = JSON,
) -> None:
    """Free and reserved TAO of a wallet's coldkey (or of every wallet with --all, or of a --uri key)."""
    from taochain.client import Client  # noqa: PLC0415

    targets = _targets(wallet_name, wallet_path, uri, all_wallets)
    url = _url(network)
    rows = []
    with Client(url) as c:
        for label, ss58 in targets:
            acc = c.account(ss58)
            free, reserved = int(acc.get("free", 0)), int(acc.get("reserved", 0))
            rows.append({"name": label, "ss58": ss58, "free": free, "reserved": reserved,
                         "frozen": int(acc.get("frozen", 0)), "total": free + reserved})
    total = {k: sum(r[k] for r in rows) for k in ("free", "reserved", "total")}
    if as_json:
        _emit(True, {"network": url, "balances": rows, "total": total})
        return
    t = Table(title=f"Wallet balances on {url}")
    t.add_column("Wallet")
    t.add_column("Coldkey address")
    for col in ("Free", "Reserved", "Total"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(r["name"], r["ss58"], _tao(r["free"]), _tao(r["reserved"]), _tao(r["total"]))
    if len(rows) > 1:
        t.add_row("[bold]Total[/bold]", "", _tao(total["free"]), _tao(total["reserved"]), _tao(total["total"]))
    console.print(t)


# ------------------------------------------------------------------------------------- overview


@app.command("overview")
@wallet_guard
def overview(
    wallet_name: str = WALLET_NAME, wallet_path: Path = WALLET_PATH, uri: str = URI, network: str = NETWORK,
    as_json: bool = JSON,
) -> None:
    """A wallet's neurons across subnets: netuid, uid, hotkey, stake, incentive, dividends, emission.

    Shows the neurons of the wallet's hotkeys and any other neuron its coldkey owns; with --uri, the neurons
    that key owns or is the hotkey of."""
    from taochain.client import Client  # noqa: PLC0415

    hot_names: dict[str, str] = {}
    if uri:
        key = uri_keypair(uri)
        label, cold = uri, key.ss58
        hot_names[key.ss58] = uri
    else:
        w = _wallet(wallet_name, wallet_path)
        label, cold = w.name, w.coldkey_ss58()
        for h in w.hotkey_names():
            try:
                hot_names[ss58_encode(w.hotkey_public(h))] = h
            except WalletError:
                continue
    url = _url(network)
    neurons = []
    with Client(url) as c:
        acc = c.account(cold)
        for s in c.subnets():
            netuid = s["netuid"]
            mg = c.metagraph(netuid) or {"neurons": []}
            for n in mg["neurons"]:
                if n["hotkey"] in hot_names or n["coldkey"] == cold:
                    neurons.append({
                        "netuid": netuid, "uid": n["uid"], "hotkey_name": hot_names.get(n["hotkey"]),
                        "hotkey": n["hotkey"], "coldkey": n["coldkey"], "stake": n["stake"],
                        "incentive": n["incentive"] / 65535, "dividends": n["dividends"] / 65535,
                        "emission": n["emission"], "active": n["active"], "validator_permit": n["validator_permit"],
                    })
    free = int(acc.get("free", 0))
    if as_json:
        _emit(True, {"network": url, "wallet": label, "coldkey": cold, "free": free,
                     "reserved": int(acc.get("reserved", 0)), "neurons": neurons})
        return
    console.print(f"Wallet [bold]{label}[/bold]  coldkey {cold}  free {_tao(free)}  on {url}")
    if not neurons:
        console.print("No registered neurons. Register a hotkey with [cyan]taochain subnet register[/cyan].")
        return
    t = Table(title=f"Neurons of wallet {label}")
    for col in ("Netuid", "UID", "Hotkey", "Address", "Stake", "Incentive", "Dividends", "Emission", "VP", "Active"):
        t.add_column(col, justify="right")
    for n in neurons:
        t.add_row(str(n["netuid"]), str(n["uid"]), n["hotkey_name"] or "-", n["hotkey"][:8] + "…", _tao(n["stake"]),
                  f"{n['incentive']:.4f}", f"{n['dividends']:.4f}", _tao(n["emission"]),
                  "✔" if n["validator_permit"] else "", "✔" if n["active"] else "")
    console.print(t)
    console.print(f"Total stake {_tao(sum(n['stake'] for n in neurons))} on {len(neurons)} neuron(s)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="wallet")


__all__ = ["app", "register", "wallet_guard"]
