"""The `taochain` command: keys, the scripted STF demo, Yuma replay (more groups arrive with the node)."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from runtime.support.keys import InvalidKey, keypair_from_uri

app = typer.Typer(no_args_is_help=True, add_completion=False, help="taochain: a Bittensor-style chain in Python.")
key_app = typer.Typer(no_args_is_help=True, help="Inspect keys (Substrate secret URIs, SS58 addresses).")
app.add_typer(key_app, name="key")
console = Console()


@key_app.command("inspect")
def key_inspect(
    uri: str = typer.Argument(..., help="secret URI: //Alice, '<mnemonic>//hard///password', 0x<seed>"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show the ed25519 public key and SS58 address (prefix 42) of a secret URI."""
    try:
        kp = keypair_from_uri(uri)
    except InvalidKey as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    out = {"uri": uri, "public_key": "0x" + kp.public.hex(), "ss58": kp.ss58}
    if as_json:
        print(json.dumps(out))
    else:
        console.print(f"Secret URI  [bold]{uri}[/bold]\nScheme      ed25519\nPublic key  {out['public_key']}\nSS58        {out['ss58']}")


@app.command("demo")
def demo(blocks: int = typer.Option(5, help="blocks of transfers to author")) -> None:
    """Run the state-transition function in memory: genesis, blocks of transfers, roots, balances."""
    from taochain.demo import run_demo

    run_demo(blocks, console)


def _add_optional_groups() -> None:
    try:
        from taochain.yuma_cli import app as yuma_app
    except ImportError:  # pragma: no cover - the Yuma package is optional during development
        return
    app.add_typer(yuma_app, name="yuma", help="Yuma consensus: replay epochs from JSON cases.")


_add_optional_groups()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
