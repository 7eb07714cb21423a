"""What every `taochain` client command shares: the console, one-line failures, the guard that turns
connection and RPC failures into them, the common options (`--network`, `--json`, `--no-prompt`,
wallet and URI keys), btcli-style confirmations, spinners and results, and refusals: the dry run of
the very extrinsic a command would submit (`dry_run`), shown with the pallet's error name, its cause
and its fix (the pallet's doc) before anything is sent."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from runtime.support.keys import InvalidKey, Keypair

console = Console()
TAO = 10**9
LOCAL_URL = "ws://127.0.0.1:9944"
NETWORKS = {"local": LOCAL_URL}
DEV_COLDKEY = "//Alice"  # the coldkey when neither --uri nor --wallet-name is given (dev chains)
NETWORK_ENV = ["TAOCHAIN_NETWORK", "TAOCHAIN_URL"]


def fail(msg: str, code: int = 1) -> NoReturn:
    """Print `error: msg` and exit with `code` (2: bad usage, 1: the operation failed)."""
    console.print(f"[red]error:[/red] {msg}", soft_wrap=True)
    raise typer.Exit(code)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn connection and RPC failures into one-line messages."""

    @functools.wraps(fn)
    def inner(*a: Any, **kw: Any) -> Any:
        from taochain.client import ConnectionFailed, RpcError  # noqa: PLC0415
        from taochain.wallet import WalletError  # noqa: PLC0415

        try:
            return fn(*a, **kw)
        except ConnectionFailed as exc:
            fail(str(exc))
        except RpcError as exc:
            fail(f"the node refused: {exc}")
        except InvalidKey as exc:
            fail(str(exc), 2)
        except WalletError as exc:  # a missing wallet or a wrong password: the operation failed
            fail(str(exc))

    return inner


# ------------------------------------------------------------------------------------ options

NETWORK = typer.Option(
    "local", "--network", "--url", envvar=NETWORK_ENV, show_envvar=False,
    help="local (= ws://127.0.0.1:9944) or ws://HOST:PORT; default from $TAOCHAIN_NETWORK",
)
JSON = typer.Option(False, "--json", "--json-output", help="print one JSON object (on the last line)")
NO_PROMPT = typer.Option(False, "--no-prompt", "-y", help="do not ask for confirmation")
WALLET_NAME = typer.Option(None, "--wallet-name", "-w", help="wallet (see `taochain wallet list`)")
WALLET_HOTKEY = typer.Option(None, "--wallet-hotkey", "-H", help="hotkey name in the wallet")
WALLET_PATH = typer.Option(None, "--wallet-path", help="wallets folder (default ~/.taochain/wallets)")
COLD_URI = typer.Option(None, "--uri", help="coldkey as a secret URI (//Alice) or dev name (alice); wins over -w")
HOT_URI = typer.Option(None, "--hotkey-uri", help="hotkey as a secret URI (//Alice//miner1); wins over -w/-H")
NETUID_OPT = typer.Option(None, "--netuid", help="subnet id")


def netuid_of(positional: int | None, option: int | None) -> int:
    """The netuid from `NETUID` or `--netuid` (btcli's spelling); one of them is needed."""
    if positional is not None and option is not None and positional != option:
        fail(f"NETUID {positional} and --netuid {option} differ; give one", 2)
    n = option if option is not None else positional
    if n is None:
        fail("give the subnet: --netuid N", 2)
    return n


def network_url(network: str | None) -> str:
    """`local` -> ws://127.0.0.1:9944; ws://, wss://, http(s):// URLs and HOST:PORT as they are."""
    n = (network or "local").strip()
    if n in NETWORKS:
        return NETWORKS[n]
    if n.startswith(("ws://", "wss://", "http://", "https://")):
        return n
    if re.fullmatch(r"[\w.-]+:\d+", n):
        return "ws://" + n
    fail(f"--network {n!r}: give local or a URL such as ws://127.0.0.1:9944", 2)


def client(network: str | None):
    from taochain.client import Client  # noqa: PLC0415

    return Client(network_url(network))


def _bad_uri(flag: str, exc: Exception) -> NoReturn:
    text = str(exc).removeprefix("invalid --uri: ")
    fail(f"bad {flag}: {text}", 2)


def coldkey(uri: str | None, wallet_name: str | None, wallet_path: str | None, flag: str = "--uri") -> Keypair:
    """The signing coldkey: --uri, else the wallet's coldkey, else the dev account //Alice."""
    from taochain.wallet import WalletError, resolve_coldkey  # noqa: PLC0415

    if uri is None and not wallet_name:
        uri = DEV_COLDKEY
    try:
        return resolve_coldkey(wallet_name, wallet_path, uri)
    except (WalletError, InvalidKey) as exc:
        if uri is not None:
            _bad_uri(flag, exc)
        fail(str(exc))


def coldkey_account(who: str | None, wallet_name: str | None, wallet_path: str | None, flag: str = "--uri") -> bytes:
    """A coldkey's account id (no secret needed): SS58, 0x id or URI, else the wallet's
    coldkeypub, else the dev account //Alice."""
    if who is None and wallet_name:
        from taochain.wallet import Wallet, WalletError  # noqa: PLC0415

        try:
            return Wallet(wallet_name, wallet_path).coldkeypub()
        except WalletError as exc:
            fail(str(exc))
    return hotkey_account(who or DEV_COLDKEY, None, None, None, flag)


def hotkey(
    uri: str | None, wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
    flag: str = "--hotkey-uri",
) -> Keypair:
    """The signing hotkey: --hotkey-uri, else hotkey -H of wallet -w."""
    from taochain.wallet import WalletError, resolve_hotkey  # noqa: PLC0415

    if uri is None and not wallet_name:
        fail(f"give the hotkey: {flag} //Alice//miner, or --wallet-name W --wallet-hotkey H", 2)
    try:
        return resolve_hotkey(wallet_name, wallet_hotkey, wallet_path, uri)
    except (WalletError, InvalidKey) as exc:
        if uri is not None:
            _bad_uri(flag, exc)
        fail(str(exc))


def hotkey_account(
    who: str | None, wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None,
    flag: str = "--hotkey",
) -> bytes:
    """A hotkey's account id (no secret needed): SS58, 0x id or URI, else the wallet's hotkey."""
    from taochain.client import to_account  # noqa: PLC0415
    from taochain.wallet import WalletError, resolve_hotkey_public  # noqa: PLC0415

    if who is None and not wallet_name:
        fail(f"give the hotkey: {flag} ADDRESS_OR_URI, or --wallet-name W --wallet-hotkey H", 2)
    try:
        if who is not None:
            if not who.startswith(("/", "0x")) and len(who) < 40 and " " not in who:
                return resolve_hotkey_public(None, None, None, who)  # a dev name such as "bob"
            return to_account(who)
        return resolve_hotkey_public(wallet_name, wallet_hotkey, wallet_path, None)
    except (WalletError, InvalidKey) as exc:
        if who is not None:
            _bad_uri(flag, exc)
        fail(str(exc))


# ------------------------------------------------------------------------------------ output


def tau(rao: int | None) -> str:
    """τ1,000.5 (up to 9 decimals, trailing zeros dropped)."""
    if rao is None:
        return "τ?"
    s = f"{Decimal(rao) / TAO:,.9f}".rstrip("0").rstrip(".")
    return "τ" + s


def short(ss58: str | None) -> str:
    return "-" if ss58 is None else ss58[:8] + "…" + ss58[-6:]


def parse_tao(amount: str, flag: str = "--amount") -> int:
    """TAO text -> rao (positive)."""
    from decimal import InvalidOperation  # noqa: PLC0415

    try:
        rao = int(Decimal(str(amount)) * TAO)
    except (InvalidOperation, ValueError):
        fail(f"{flag} {amount!r} is not a number of TAO", 2)
    if rao <= 0:
        fail(f"{flag} must be positive", 2)
    return rao


@contextlib.contextmanager
def spinner(msg: str, as_json: bool) -> Iterator[None]:
    """btcli's "📡 ..." status line while waiting (nothing with --json)."""
    if as_json:
        yield
        return
    with console.status(f"📡 {msg}"):
        yield


def confirm(title: str, rows: list[tuple[str, str]], no_prompt: bool, as_json: bool) -> None:
    """Show what will be spent (amount, from, to, fee) and ask; skipped with --no-prompt, --json or
    when stdin is not a terminal. No: exit 1, nothing sent."""
    if no_prompt or as_json or not sys.stdin.isatty():
        return
    t = Table(title=title, show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    if not typer.confirm("Do you want to proceed?", default=True):
        console.print("Not sent.")
        raise typer.Exit(1)


def refuse(as_json: bool, error: str, cause: str, fix: str, extra: dict | None = None) -> NoReturn:
    """The chain would refuse: name the error, say why and how to fix it in one line, send nothing,
    exit 1. JSON: {"success": false, "sent": false, "message": error, "hint": "cause; fix", ...}."""
    hint = f"{cause}; {fix}" if fix else cause
    if as_json:
        print(json.dumps({"success": False, "sent": False, "message": error, "error": error, "hint": hint,
                          **(extra or {})}))
    else:
        console.print(f"[red]❌ not sent:[/red] {error}: {hint}", soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def dry_run(c: Any, key: Keypair, call: list, as_json: bool, allow: tuple[str, ...] = ()) -> tuple[bytes, Any]:
    """Sign `call` with `key` and dry-run that very extrinsic (the node's system_dryRun: applied as
    the next block would, then thrown away). When the chain would refuse it, `refuse` with the
    error's name, the pallet's doc of it (cause, then fix) and what the runtime said about this
    case; errors named in `allow` pass. Returns (the signed extrinsic, to submit with
    `c.submit_signed` after the confirmation; the DryRunResult, with the fee)."""
    xt = c.sign(key, call)
    d = c.dry_run(xt)
    if d.error == "InvalidTransaction.Future":
        # the sender's earlier transactions still wait in the pool (the pool keeps this one until
        # they land): judge the call on the current state with the account's nonce instead
        d = c.dry_run(c.sign(key, call, nonce=c.account(key.public)["nonce"]))
    if not d.checked and not as_json:
        console.print("[dim]not checked beforehand: the node serves no dry run here (system_dryRun is unsafe on "
                      "a public RPC); the chain checks the call when it is sent[/dim]", highlight=False)
    if not d.success and d.error not in allow:
        cause = d.cause or "the chain refuses it"
        if d.detail:
            cause = f"{cause} ({d.detail})"
        refuse(as_json, d.error, cause, d.fix or "")
    return xt, d


def report(
    r: Any, what: str, as_json: bool, extra: dict | None = None, balance: tuple[int, int] | None = None,
) -> None:
    """Print an ExtrinsicResult as btcli does ("✅ Finalized …", "Balance: τX ➡ τY"); exit 1 when the
    call failed, naming the cause and the fix."""
    hint = r.hint
    out = {
        "success": r.success, "sent": True, "message": r.message, "hint": hint, "extrinsic_hash": r.extrinsic_hash,
        "block_hash": r.block_hash, "block_number": r.block_number, "fee": r.fee, **(extra or {}),
    }
    if balance is not None:
        out["balance_before"], out["balance_after"] = balance
    if as_json:
        print(json.dumps(out))
    elif r.success:
        if r.block_number is not None:
            h = r.block_hash or ""
            console.print(f"[green]✅ In block #{r.block_number}[/green] [dim]({h[:10]}…{h[-8:]})[/dim]", highlight=False)
        console.print(f"[green]✅[/green] {what}", soft_wrap=True)
        for k, v in (extra or {}).items():
            if isinstance(v, str):  # numbers are in the message; --json has them all
                console.print(f"  {k}: {v}", soft_wrap=True, highlight=False)
        if r.fee is not None:
            console.print(f"  fee: {tau(r.fee)}", highlight=False)
        if balance is not None:
            console.print(f"  Balance: [blue]{tau(balance[0])}[/blue] ➡ [green]{tau(balance[1])}[/green]",
                          highlight=False)
    else:
        console.print(f"[red]❌ {what} failed:[/red] {r.message}" + (f"\n  {hint}" if hint else ""), soft_wrap=True)
    if not r.success:
        raise typer.Exit(1)


def emit(as_json: bool, data: Any, *renderables: Any) -> None:
    """--json: one JSON object; else the tables."""
    if as_json:
        print(json.dumps(data))
        return
    for x in renderables:
        console.print(x)


EXAMPLES = "[bold]Examples[/bold]\n\n"


def epilog(*lines: str) -> str:
    """An epilog of example command lines (kept one per line in --help)."""
    return EXAMPLES + "\n\n".join(f"  [cyan]{x}[/cyan]" for x in lines)
