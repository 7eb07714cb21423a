"""What every `taochain` command shares: the console, one-line failures, and the guard that turns
connection and RPC failures into them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from rich.console import Console

from runtime.support.keys import InvalidKey

console = Console()


def fail(msg: str, code: int = 1) -> NoReturn:
    """Print `error: msg` and exit with `code` (2: bad usage, 1: the operation failed)."""
    console.print(f"[red]error:[/red] {msg}")
    raise typer.Exit(code)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn connection and RPC failures into one-line messages."""

    @functools.wraps(fn)
    def inner(*a: Any, **kw: Any) -> Any:
        from taochain.client import ConnectionFailed, RpcError  # noqa: PLC0415

        try:
            return fn(*a, **kw)
        except ConnectionFailed as exc:
            fail(str(exc))
        except RpcError as exc:
            fail(f"the node refused: {exc}")
        except InvalidKey as exc:
            fail(str(exc), 2)

    return inner
