"""The `taochain` command."""
import typer

app = typer.Typer(no_args_is_help=True, help="taochain: a Bittensor-style chain in Python.")


def main() -> None:
    app()
