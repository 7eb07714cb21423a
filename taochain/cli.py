"""The `taochain` command: run a node, move TAO, read blocks and balances, keys, Yuma replay.

The top of the user layer: the command groups (subnet_cli, testnet_cli, drand_cli, wallet_cli,
bench_cli, yuma_cli) are registered here and import nothing of this module."""

from __future__ import annotations

import json

import typer

from runtime.support.keys import InvalidKey, keypair_from_uri, ss58_encode
from taochain import bench_cli, drand_cli, subnet_cli, testnet_cli, wallet_cli, yuma_cli
from taochain.cli_common import (
    COLD_URI,
    JSON,
    NETWORK,
    NO_PROMPT,
    WALLET_NAME,
    WALLET_PATH,
    client,
    coldkey,
    confirm,
    console,
    dry_run,
    epilog,
    fail,
    guard,
    parse_tao,
    report,
    spinner,
    tau,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    help=(
        "taochain: a Bittensor-style chain in Python, and a btcli-shaped client for it.\n\n"
        "Client commands take --network local|ws://HOST:PORT (default $TAOCHAIN_NETWORK, else local = "
        "ws://127.0.0.1:9944), --json (one JSON object on the last line) and --no-prompt; keys come from "
        "--uri/--hotkey-uri (//Alice, //Alice//miner) or a wallet (-w NAME -H HOTKEY)."
    ),
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  [cyan]taochain node --dev[/cyan]                 a dev chain on ws://127.0.0.1:9944\n\n"
        "  [cyan]taochain subnets create --uri //Alice --hotkey-uri //Alice//owner[/cyan]\n\n"
        "  [cyan]taochain subnets register --netuid 1 --uri //Bob --hotkey-uri //Bob//validator[/cyan]\n\n"
        "  [cyan]taochain subnets show --netuid 1[/cyan]\n\n"
        "  [cyan]taochain sudo set --netuid 1 --param tempo --value 100 --uri //Alice[/cyan]\n\n"
        "Aliases: subnet = subnets, wt = weights, st = stake, su = sudo."
    ),
)
key_app = typer.Typer(no_args_is_help=True, help="Inspect keys (Substrate secret URIs, SS58 addresses).")
app.add_typer(key_app, name="key")


@key_app.command("inspect")
def key_inspect(
    uri: str = typer.Argument(..., help="secret URI: //Alice, '<mnemonic>//hard///password', 0x<seed>"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    scheme: str = typer.Option(
        "sr25519", "--scheme", help="sr25519 | ed25519 (sr25519: what accounts, subkey and Substrate clients use)"
    ),
) -> None:
    """Show the public key and SS58 address (prefix 42) of a secret URI (sr25519 unless --scheme)."""
    try:
        kp = keypair_from_uri(uri, scheme=scheme)
    except InvalidKey as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    out = {"uri": uri, "public_key": "0x" + kp.public.hex(), "ss58": kp.ss58}
    if as_json:
        print(json.dumps(out))
    else:
        console.print(
            f"Secret URI  [bold]{uri}[/bold]\nScheme      {kp.scheme}\nPublic key  {out['public_key']}\nSS58        {out['ss58']}"
        )


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
    rpc_cors: str | None = typer.Option(
        None, "--rpc-cors",
        help="browser origins allowed: 'all', 'none' or comma-separated origins (an entry ending in ':*' "
        "matches any port); default localhost/127.0.0.1 and https://polkadot.js.org, 'all' with --dev",
    ),
    rpc_methods: str = typer.Option("auto", "--rpc-methods", help="safe | unsafe | auto"),
    rpc_max_request_size: int = typer.Option(10, "--rpc-max-request-size", help="MiB, a request's largest size"),
    rpc_max_response_size: int = typer.Option(10, "--rpc-max-response-size", help="MiB, an answer's largest size"),
    rpc_max_connections: int = typer.Option(100, "--rpc-max-connections", help="WebSockets served at once"),
    rpc_max_subscriptions_per_connection: int = typer.Option(1024, "--rpc-max-subscriptions-per-connection"),
    rpc_rate_limit: int | None = typer.Option(
        None, "--rpc-rate-limit", help="calls per minute per connection (default: no limit)"
    ),
    rpc_idle_timeout: float = typer.Option(
        60.0, "--rpc-idle-timeout", help="seconds a WebSocket with no request and no subscription stays open (0: forever)"
    ),
    port: int | None = typer.Option(
        None, "--port", help="p2p port (default 30333 on multi-authority chains; a --dev chain has no networking unless given)"
    ),
    bootnodes: list[str] = BOOTNODES,
    node_key: str | None = typer.Option(
        None, "--node-key", help="network identity: a 32-byte ed25519 seed in hex (visible in `ps`: prefer --node-key-file)"
    ),
    node_key_file: str | None = typer.Option(
        None, "--node-key-file",
        help="network identity from a file: the ed25519 secret in hex or raw 32 bytes (created, mode 0600, if missing)",
    ),
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
    import logging
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
    if node_key is not None and node_key_file is not None:
        _fail("give one of --node-key and --node-key-file", 2)
    if node_key_file is not None:
        from node.run import load_node_key_file

        try:
            nk = load_node_key_file(Path(node_key_file).expanduser())
        except (ValueError, OSError) as exc:
            _fail(f"--node-key-file: {exc}", 2)
    if node_key is not None:
        try:
            nk = bytes.fromhex(node_key[2:] if node_key.startswith("0x") else node_key)
        except ValueError:
            _fail("--node-key must be hex", 2)
        if len(nk) != 32:
            _fail("--node-key must be 32 bytes (64 hex digits)", 2)
    from node.run import check_bootnode

    for b in bootnodes:
        try:
            check_bootnode(b)
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
    from node.rpc import DEFAULT_CORS, RpcLimits

    if rpc_cors is None:
        cors = ("all",) if dev else DEFAULT_CORS
    elif rpc_cors.strip() in ("all", "*"):
        cors = ("all",)
    elif rpc_cors.strip() == "none":
        cors = ()
    else:
        cors = tuple(c.strip() for c in rpc_cors.split(",") if c.strip())
    for flag, value in (
        ("--rpc-max-request-size", rpc_max_request_size), ("--rpc-max-response-size", rpc_max_response_size),
        ("--rpc-max-connections", rpc_max_connections), ("--rpc-rate-limit", 1 if rpc_rate_limit is None else rpc_rate_limit),
    ):
        if value < 1:
            _fail(f"{flag} must be at least 1", 2)
    if rpc_max_subscriptions_per_connection < 0 or rpc_idle_timeout < 0:
        _fail("--rpc-max-subscriptions-per-connection and --rpc-idle-timeout must not be negative", 2)
    limits = RpcLimits(
        max_body_bytes=rpc_max_request_size * 1024 * 1024,
        max_response_bytes=rpc_max_response_size * 1024 * 1024,
        max_connections=rpc_max_connections,
        max_subscriptions_per_connection=rpc_max_subscriptions_per_connection,
        rate_limit_per_minute=rpc_rate_limit,
        idle_timeout=rpc_idle_timeout or None,
    )
    setup_logging()
    if dev and rpc_cors is None:
        logging.getLogger("taochain").warning("Running in --dev mode, RPC CORS has been disabled.")
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
            rpc_port=rpc_port, rpc_cors=cors, rpc_methods=rpc_methods, rpc_limits=limits,
            prometheus_port=None if no_prometheus else prometheus_port,
        )
        asyncio.run(serve(cfg))
    except BeaconConfigError as exc:  # a share that does not belong to this chain
        _fail(str(exc), 2)
    except (ValueError, OSError) as exc:
        _fail(str(exc))


def _resolve_key(uri: str):
    try:
        return keypair_from_uri(uri)
    except InvalidKey as exc:
        _fail(f"bad --uri: {exc}", 2)


@app.command(
    "transfer",
    epilog=epilog(
        "taochain transfer --dest //Bob --amount 10 --uri //Alice",
        "taochain transfer --dest 5FHneW46… --amount 1.5 -w mywallet --network ws://10.0.0.2:9944",
        "taochain transfer --dest //Bob --all --keep-alive -w mywallet --no-prompt --json",
    ),
)
@guard
def transfer_cmd(
    dest: str = typer.Option(..., "--dest", "--destination", help="SS58 address, 0x account id or dev URI (//Bob)"),
    amount: str | None = typer.Option(None, "--amount", "-a", help="TAO to send"),
    uri: str | None = COLD_URI,
    wallet_name: str | None = WALLET_NAME,
    wallet_path: str | None = WALLET_PATH,
    keep_alive: bool = typer.Option(False, "--keep-alive", help="refuse to reap the sender"),
    all_: bool = typer.Option(False, "--all", help="send everything (with --keep-alive: all but the ED)"),
    network: str = NETWORK,
    wait: str = typer.Option("inblock", "--wait", help="none | inblock | finalized"),
    as_json: bool = JSON,
    no_prompt: bool = NO_PROMPT,
) -> None:
    """Send TAO from your coldkey (--uri or -w) to --dest."""
    from taochain.client import to_account

    if wait not in ("none", "inblock", "finalized"):
        _fail("--wait takes none, inblock or finalized", 2)
    if amount is None and not all_:
        _fail("give --amount TAO or --all", 2)
    rao = 0 if all_ else parse_tao(amount or "0")
    key = coldkey(uri, wallet_name, wallet_path)
    dest_acct = to_account(dest)
    with client(network) as c:
        with spinner("Dry-running the transfer…", as_json):
            if all_:
                call = c.compose_call("Balances", "transfer_all", dest_acct, keep_alive)
            else:
                name = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
                call = c.compose_call("Balances", name, dest_acct, rao)
            xt, check = dry_run(c, key, call, as_json)
            before = c.account(key.public)["free"]
        confirm("Transfer", [("amount", "everything" if all_ else tau(rao)), ("from", key.ss58),
                             ("to", ss58_encode(dest_acct)), ("fee", tau(check.fee)), ("network", c.url)],
                no_prompt, as_json)
        with spinner("Transferring…", as_json):
            r = c.submit_signed(xt, wait)
            after = c.account(key.public)["free"] if r.success and wait != "none" else None
    what = f"sent {'everything' if all_ else tau(rao)} to {ss58_encode(dest_acct)}"
    report(r, what, as_json, balance=None if after is None else (before, after))


@app.command(
    "balance",
    epilog=epilog("taochain balance //Alice", "taochain balance -w mywallet --json",
                  "taochain balance 5FA9nQDV… --network ws://127.0.0.1:9944"),
)
@guard
def balance_cmd(
    who: str | None = typer.Argument(None, help="SS58 address, 0x account id or dev URI (//Alice)"),
    wallet_name: str | None = WALLET_NAME,
    wallet_path: str | None = WALLET_PATH,
    network: str = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Show an account's balances (TAO) and nonce."""
    from taochain.client import to_account

    if who is None and not wallet_name:
        _fail("give an ADDRESS_OR_URI or --wallet-name W", 2)
    if who is not None:
        acct = to_account(who)
    else:
        from taochain.wallet import Wallet

        acct = Wallet(wallet_name, wallet_path).coldkeypub()
    with client(network) as c, spinner("Reading the balance…", as_json):
        info = c.account(acct)
    if as_json:
        print(json.dumps({"account": "0x" + acct.hex(), "ss58": ss58_encode(acct), **info}))
        return
    from rich.table import Table

    t = Table(title=ss58_encode(acct))
    for col in ("free", "reserved", "frozen", "nonce"):
        t.add_column(col, justify="right")
    t.add_row(*(tau(info[k]) for k in ("free", "reserved", "frozen")), str(info["nonce"]))
    console.print(t)


@app.command("block", epilog=epilog("taochain block", "taochain block 12 --json", "taochain block 0xabc…"))
@guard
def block_cmd(
    at: str | None = typer.Argument(None, help="block number or 0x hash (default: best)"),
    network: str = NETWORK,
    as_json: bool = JSON,
) -> None:
    """Show a block: header, extrinsics and events."""
    with client(network) as c:
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


def _add_groups() -> None:
    subnet_cli.register(app)  # taochain subnets, stake, weights, metagraph, sudo
    testnet_cli.register(app)  # taochain testnet [--demo]
    drand_cli.register(app)  # taochain drand
    wallet_cli.register(app)  # taochain wallet
    bench_cli.register(app)  # taochain bench
    app.add_typer(yuma_cli.app, name="yuma", help="Yuma consensus: replay epochs from JSON cases.")


_add_groups()


def node_cli_flags() -> frozenset[str]:
    """The option names `taochain node` accepts (the flags `taochain testnet` may pass its nodes)."""
    return testnet_cli.command_options(app, "node")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
