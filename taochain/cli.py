"""The `taochain` command: run a node, move TAO, read blocks and balances, keys, Yuma replay."""

from __future__ import annotations

import json

import typer

from runtime.support.keys import InvalidKey, keypair_from_uri
from taochain.cli_common import console, fail, guard

app = typer.Typer(no_args_is_help=True, add_completion=False, help="taochain: a Bittensor-style chain in Python.")
key_app = typer.Typer(no_args_is_help=True, help="Inspect keys (Substrate secret URIs, SS58 addresses).")
app.add_typer(key_app, name="key")


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


TAO = 10**9
DEV_FLAGS = ("alice", "bob", "charlie", "dave", "eve", "ferdie")


_fail = fail


BOOTNODES = typer.Option([], "--bootnodes", help="peer to dial first: /ip4/127.0.0.1/tcp/30333/p2p/12D3KooW... (repeatable)")


@app.command("node")
def node_cmd(
    dev: bool = typer.Option(False, "--dev", help="single-authority dev chain: --chain dev --alice --tmp"),
    chain: str = typer.Option("dev", help="dev | local | mainnet-like | path of a chain-spec JSON file"),
    base_path: str | None = typer.Option(None, "--base-path", "-d", help="where the database lives"),
    tmp: bool = typer.Option(False, "--tmp", help="a temporary database, removed at exit"),
    name: str = typer.Option("taochain-node", help="the node's name (in logs and metrics)"),
    alice: bool = typer.Option(False, "--alice"),
    bob: bool = typer.Option(False, "--bob"),
    charlie: bool = typer.Option(False, "--charlie"),
    dave: bool = typer.Option(False, "--dave"),
    eve: bool = typer.Option(False, "--eve"),
    ferdie: bool = typer.Option(False, "--ferdie"),
    key_uri: str | None = typer.Option(None, "--key-uri", help="authority key as a secret URI"),
    rpc_port: int = typer.Option(9944, "--rpc-port"),
    rpc_external: bool = typer.Option(False, "--rpc-external", help="listen on all interfaces"),
    rpc_cors: str | None = typer.Option(None, "--rpc-cors", help="'all' or comma-separated origins"),
    rpc_methods: str = typer.Option("auto", "--rpc-methods", help="safe | unsafe | auto"),
    port: int | None = typer.Option(
        None, "--port", help="p2p port (default 30333 on multi-authority chains; a --dev chain has no networking unless given)"
    ),
    bootnodes: list[str] = BOOTNODES,
    node_key: str | None = typer.Option(None, "--node-key", help="network identity: a 32-byte ed25519 seed in hex"),
    listen_host: str = typer.Option("0.0.0.0", "--listen-host", help="interface the p2p port listens on"),
    prometheus_port: int = typer.Option(9615, "--prometheus-port"),
    no_prometheus: bool = typer.Option(False, "--no-prometheus"),
    block_time_ms: int | None = typer.Option(None, "--block-time-ms", help="slot duration override (>= 250)"),
    state_pruning: str = typer.Option("256", "--state-pruning", help="archive | N (finalized states kept)"),
    yuma_backend: str = typer.Option("auto", "--yuma-backend", help="auto | numpy | cupy"),
    pool_limit: int = typer.Option(8192, "--pool-limit", help="ready transactions the pool holds"),
    beacon_share: str | None = typer.Option(
        None, "--beacon-share", help='local beacon: this node\'s share, JSON {"index": i, "secret": "<hex>"}'
    ),
    drand_pulses: str | None = typer.Option(
        None, "--drand-pulses", help="drand pulses to put in blocks: JSON array (or lines) of {round, signature}"
    ),
    drand_url: str | None = typer.Option(
        None, "--drand-url", help="drand HTTP endpoint polled for pulses, e.g. https://api.drand.sh/<chain hash>"
    ),
) -> None:
    """Run a taochain node: author blocks, keep them in LevelDB, serve JSON-RPC and metrics."""
    import asyncio
    from pathlib import Path

    from node.run import RunConfig, serve, setup_logging
    from node.service import NodeConfig

    flags = {n: v for n, v in zip(DEV_FLAGS, (alice, bob, charlie, dave, eve, ferdie), strict=True) if v}
    if len(flags) + (key_uri is not None) > 1:
        _fail("give one authority key: one of --alice ... --ferdie or --key-uri", 2)
    if dev:
        chain, tmp = "dev", tmp or base_path is None
        if not flags and key_uri is None:
            flags = {"alice": True}
    uri = key_uri or (f"//{next(iter(flags)).capitalize()}" if flags else None)
    if state_pruning == "archive":
        pruning = None
    elif state_pruning.isdigit():
        pruning = int(state_pruning)
    else:
        _fail("--state-pruning takes 'archive' or a number of blocks", 2)
    if rpc_methods not in ("safe", "unsafe", "auto"):
        _fail("--rpc-methods takes safe, unsafe or auto", 2)
    if yuma_backend not in ("auto", "numpy", "cupy", "reference"):
        _fail("--yuma-backend takes auto, numpy or cupy", 2)
    nk = None
    if node_key is not None:
        try:
            nk = bytes.fromhex(node_key[2:] if node_key.startswith("0x") else node_key)
        except ValueError:
            _fail("--node-key must be hex", 2)
        if len(nk) != 32:
            _fail("--node-key must be 32 bytes (64 hex digits)", 2)
    from p2p.transport import parse_multiaddr

    for b in bootnodes:
        try:
            parse_multiaddr(b)
        except ValueError as exc:
            _fail(f"--bootnodes {b!r}: {exc}", 2)
    p2p_port = port
    if p2p_port is None and (bootnodes or chain not in ("dev",)):
        p2p_port = 30333
    from node.beacon import BeaconConfigError, load_pulses_file, load_share_file

    try:  # file problems are reported before the node starts
        if beacon_share is not None:
            load_share_file(beacon_share)
        if drand_pulses is not None:
            load_pulses_file(drand_pulses)
    except BeaconConfigError as exc:
        _fail(str(exc), 2)
    if drand_url is not None and not drand_url.startswith(("http://", "https://")):
        _fail("--drand-url must be an http:// or https:// URL", 2)
    cors = None if rpc_cors is None else (("all",) if rpc_cors == "all" else tuple(c.strip() for c in rpc_cors.split(",")))
    setup_logging()
    try:
        cfg = RunConfig(
            node=NodeConfig(
                chain=chain, base_path=None if tmp else Path(base_path or Path.home() / ".taochain"),
                name=name, key_uri=uri, block_time_ms=block_time_ms, state_pruning=pruning,
                pool_limit=pool_limit, yuma_backend=yuma_backend, p2p_port=p2p_port, p2p_host=listen_host,
                bootnodes=tuple(bootnodes), node_key=nk,
                beacon_share=Path(beacon_share) if beacon_share else None,
                drand_pulses=Path(drand_pulses) if drand_pulses else None, drand_url=drand_url,
            ),
            rpc_host="0.0.0.0" if rpc_external else "127.0.0.1",
            rpc_port=rpc_port, rpc_cors=cors, rpc_methods=rpc_methods,
            prometheus_port=None if no_prometheus else prometheus_port,
        )
        asyncio.run(serve(cfg))
    except BeaconConfigError as exc:  # a share that does not belong to this chain
        _fail(str(exc), 2)
    except (ValueError, OSError) as exc:
        _fail(str(exc))


def _client(url: str):
    from taochain.client import Client

    return Client(url)


def _resolve_key(uri: str):
    try:
        return keypair_from_uri(uri)
    except InvalidKey as exc:
        _fail(f"bad --uri: {exc}", 2)


@app.command("transfer")
@guard
def transfer_cmd(
    dest: str = typer.Option(..., "--dest", help="SS58 address, 0x account id or dev URI (//Bob)"),
    amount: float = typer.Option(..., "--amount", help="TAO"),
    uri: str = typer.Option("//Alice", "--uri", help="sender's secret URI"),
    keep_alive: bool = typer.Option(False, "--keep-alive", help="refuse to reap the sender"),
    all_: bool = typer.Option(False, "--all", help="send everything (with --keep-alive: all but the ED)"),
    url: str = typer.Option("ws://127.0.0.1:9944", "--url"),
    wait: str = typer.Option("inblock", "--wait", help="none | inblock | finalized"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Send TAO from --uri to --dest."""
    from decimal import Decimal

    key = _resolve_key(uri)
    if wait not in ("none", "inblock", "finalized"):
        _fail("--wait takes none, inblock or finalized", 2)
    rao = int(Decimal(str(amount)) * TAO)
    if rao <= 0 and not all_:
        _fail("--amount must be positive", 2)
    with _client(url) as c:
        with console.status("submitting…") if not as_json else _nullcontext():
            if all_:
                r = c.transfer_all(key, dest, keep_alive, wait)
            else:
                r = c.transfer(key, dest, rao, keep_alive, wait)
    out = {
        "success": r.success, "message": r.message, "extrinsic_hash": r.extrinsic_hash,
        "block_hash": r.block_hash, "block_number": r.block_number, "fee": r.fee,
    }
    if as_json:
        print(json.dumps(out))
    elif r.success:
        where = f" in block #{r.block_number} ({r.block_hash})" if r.block_hash else ""
        fee = f", fee {r.fee / TAO:.9f} TAO" if r.fee is not None else ""
        console.print(f"[green]✔[/green] transfer {r.message}{where}{fee}")
    else:
        console.print(f"[red]✘[/red] transfer failed: {r.message}")
    if not r.success:
        raise typer.Exit(1)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command("balance")
@guard
def balance_cmd(
    who: str = typer.Argument(..., help="SS58 address, 0x account id or dev URI (//Alice)"),
    url: str = typer.Option("ws://127.0.0.1:9944", "--url"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show an account's balances (TAO) and nonce."""
    from taochain.client import to_account

    acct = to_account(who)
    with _client(url) as c:
        info = c.account(acct)
    if as_json:
        print(json.dumps({"account": "0x" + acct.hex(), **info}))
        return
    from rich.table import Table

    from runtime.support.keys import ss58_encode

    t = Table(title=ss58_encode(acct))
    for col in ("free (TAO)", "reserved (TAO)", "frozen (TAO)", "nonce"):
        t.add_column(col, justify="right")
    t.add_row(*(f"{info[k] / TAO:,.9f}" for k in ("free", "reserved", "frozen")), str(info["nonce"]))
    console.print(t)


@app.command("block")
@guard
def block_cmd(
    at: str | None = typer.Argument(None, help="block number or 0x hash (default: best)"),
    url: str = typer.Option("ws://127.0.0.1:9944", "--url"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show a block: header, extrinsics and events."""
    with _client(url) as c:
        if at is None:
            h = c.block_hash()
        elif at.startswith("0x"):
            h = at
        elif at.isdigit():
            h = c.block_hash(int(at))
        else:
            _fail("give a block number or a 0x hash", 2)
        blk = c.block(h) if h else None
        if blk is None:
            _fail(f"no block {at}")
        events = c.rpc("chain_getEvents", h)
    hdr = blk["block"]["header"]
    out = {"hash": h, "header": hdr, "extrinsics": blk["block"]["extrinsics"], "events": events,
           "justifications": blk["justifications"]}
    if as_json:
        print(json.dumps(out))
        return
    console.print(f"[bold]#{int(hdr['number'], 16)}[/bold] {h}\n  parent {hdr['parentHash']}\n"
                  f"  state root {hdr['stateRoot']}\n  extrinsics {len(out['extrinsics'])}")
    from rich.table import Table

    t = Table(title="events")
    for col in ("phase", "event", "fields"):
        t.add_column(col)
    for e in events:
        t.add_row("init/final" if e["phase"] is None else str(e["phase"]), e["name"], json.dumps(e["fields"])[:100])
    console.print(t)


def _add_optional_groups() -> None:
    from taochain.subnet_cli import register
    from taochain.testnet import register as register_testnet

    register(app)
    register_testnet(app)
    __import__("taochain.drand_cli", fromlist=["register"]).register(app)  # taochain drand
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
