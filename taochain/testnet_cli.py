"""`taochain testnet [--demo]`: the command that launches a local testnet (taochain/testnet.py) and,
with --demo, the live demo subnet on it (taochain/demo_subnet/run.py); `cli.py` registers it."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import typer

from taochain.cli_common import fail
from taochain.demo_subnet.run import DemoOptions, run_demo
from taochain.testnet import MAX_NODES, Testnet, default_config, load_config, plan_from_config, run_testnet


def command_options(app: typer.Typer, name: str) -> frozenset[str]:
    """The option names command `name` of `app` accepts (`taochain testnet` passes its nodes only the
    network flags `taochain node` knows); empty when `app` has no such command."""
    cmd = typer.main.get_command(app)
    sub = getattr(cmd, "commands", {}).get(name)
    if sub is None:
        return frozenset()
    return frozenset(opt for param in sub.params for opt in (*param.opts, *param.secondary_opts))


def register(app: typer.Typer) -> None:
    """Add the `testnet` command to `app` (once)."""
    if any(c.name == "testnet" for c in app.registered_commands):
        return

    @app.command("testnet")
    def testnet_cmd(
        nodes: int | None = typer.Option(None, "--nodes", "-n", min=1, max=MAX_NODES,
                                         help="authorities: Alice, Bob, ... [4; 3 with --demo]"),
        base_dir: str | None = typer.Option(None, "--base-dir", help="databases, logs, chain spec (default: a temp dir)"),
        block_time_ms: int | None = typer.Option(None, "--block-time-ms", help="slot duration (>= 250; default 1000)"),
        rpc_port_base: int | None = typer.Option(None, "--rpc-port-base", help="node i: RPC on base+i [9944]"),
        p2p_port_base: int | None = typer.Option(None, "--p2p-port-base", help="node i: p2p on base+i [30333]"),
        prometheus_port_base: int | None = typer.Option(None, "--prometheus-port-base",
                                                        help="node i: metrics on base+i [9615]"),
        keep: bool = typer.Option(False, "--keep", help="keep the base dir (databases, logs) at exit"),
        config: str | None = typer.Option(None, "--config", help="TOML testnet config ([settings], [[nodes]])"),
        beacon_period: int | None = typer.Option(None, "--beacon-period", help="seconds per beacon round [3]"),
        beacon_threshold: int | None = typer.Option(None, "--beacon-threshold",
                                                    help="partials a beacon round needs [a majority of the nodes]"),
        duration: float | None = typer.Option(None, "--duration", help="stop after SECONDS (default: Ctrl-C)"),
        as_json: bool = typer.Option(False, "--json", help="print the plan and status lines as JSON"),
        demo: bool = typer.Option(False, "--demo", help="run the live demo subnet on the testnet (digits "
                                  "classifiers as miners, validators, Yuma; see taochain.demo_subnet)"),
        miners: int = typer.Option(4, "--miners", help="--demo: miners, weakest to strongest classifier"),
        validators: int = typer.Option(2, "--validators", help="--demo: honest validators"),
        copycat: bool = typer.Option(False, "--copycat", help="--demo: add a validator that copies weights"),
        tempo: int = typer.Option(19, "--tempo", help="--demo: the subnet's tempo (an epoch is tempo+1 blocks)"),
        epochs: int | None = typer.Option(None, "--epochs", help="--demo: stop after N epochs of weights"),
        samples: int = typer.Option(300, "--samples", help="--demo: held-out digits per query (0: all 540)"),
        axon_port_base: int = typer.Option(8091, "--axon-port-base", help="--demo: miner i serves on base+i"),
        commit_reveal: bool = typer.Option(True, "--commit-reveal/--no-commit-reveal",
                                           help="--demo: timelocked commit-reveal (on) or plain set_weights"),
    ) -> None:
        """Launch a local testnet: one `taochain node` process per authority, watched live; Ctrl-C stops all.

        With --demo: also create subnet 1, run miners (digit classifiers) and validators on it and
        show the metagraph per epoch (what `make run` starts)."""
        if duration is not None and duration <= 0:
            fail("--duration must be positive", 2)
        demo_opts = None
        if demo:
            demo_opts = DemoOptions(miners=miners, validators=validators, copycat=copycat, tempo=tempo,
                                    epochs=epochs, samples=samples, axon_port_base=axon_port_base,
                                    commit_reveal=commit_reveal)
            try:
                demo_opts.check()
            except ValueError as exc:
                fail(str(exc), 2)
        try:
            if config is not None:
                cfg = load_config(config)
            else:
                cfg = default_config(nodes if nodes is not None else (3 if demo else 4))
            overrides = {k: v for k, v in (
                ("block_time_ms", block_time_ms), ("rpc_port_base", rpc_port_base),
                ("p2p_port_base", p2p_port_base), ("prometheus_port_base", prometheus_port_base),
                ("beacon_period", beacon_period), ("beacon_threshold", beacon_threshold),
            ) if v is not None}
            cfg = dataclasses.replace(cfg, **overrides)
            own_dir = base_dir is None
            target = Path(tempfile.mkdtemp(prefix="taochain-testnet-")) if own_dir else Path(base_dir).expanduser()
            try:
                spec, plans = plan_from_config(cfg, target)
            except ValueError:
                if own_dir:
                    shutil.rmtree(target, ignore_errors=True)
                raise
        except ValueError as exc:
            fail(str(exc), 2)
        net = Testnet(spec, plans, target, keep=keep, node_flags=command_options(app, "node"), owns_base_dir=own_dir)
        if demo_opts is not None:
            code = run_demo(net, demo_opts, duration, as_json)
        else:
            code = run_testnet(net, duration, as_json)
        if code:
            raise typer.Exit(code)

