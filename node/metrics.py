"""Prometheus metrics of the node (default 127.0.0.1:9615/metrics), with Substrate's series names.

Values are read from the node at scrape time (a custom collector), except the block import time,
a histogram fed on every imported block, and the per-subnet epoch series (label `netuid`):

- `taochain_subnet_neurons`: SubnetworkN at the best block (read at scrape time);
- `taochain_subnet_epoch_seconds`: wall time of the Yuma call of the subnet's last epoch run by this
  node (building or importing a block). Subnets due in the same block share one batched Yuma call,
  so each gets that call's time;
- `taochain_subnet_emission_rao`: rao the last EpochRun event paid (incentive + dividends + owner cut);
- `taochain_subnet_epochs_total`: epochs this node saw run since it started.

The epoch time is measured by wrapping the runtime's Yuma runner (`Runtime.wrap_yuma`): the
wrapper returns the runner's output untouched and writes nothing to the chain state, so consensus
results do not depend on it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

if TYPE_CHECKING:
    from node.service import Node


class SubnetEpochStats:
    """Per-subnet epoch observations: times the runtime's Yuma runner and reads EpochRun events."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.epoch_seconds: dict[int, float] = {}
        self.emission_rao: dict[int, int] = {}
        self.epochs: dict[int, int] = {}
        self._last_yuma: float | None = None

        def timed(run: Any) -> Any:
            def timed_yuma(batch: Any) -> Any:
                t0 = time.perf_counter()
                out = run(batch)
                self._last_yuma = time.perf_counter() - t0
                return out

            return timed_yuma

        node.runtime.wrap_yuma(timed)

    def on_block(self, _header: Any, events: tuple) -> None:
        """After a block is committed: its EpochRun events get the Yuma time of that block."""
        seconds, self._last_yuma = self._last_yuma, None
        for rec in events:
            ev = rec.fields
            if self.node.runtime.event_name(ev) != "SubtensorModule.EpochRun":
                continue
            netuid = int(ev.netuid)
            if seconds is not None:
                self.epoch_seconds[netuid] = seconds
            self.emission_rao[netuid] = int(ev.incentive) + int(ev.dividends) + int(ev.owner_cut)
            self.epochs[netuid] = self.epochs.get(netuid, 0) + 1

    def neurons(self) -> dict[int, int]:
        """netuid -> SubnetworkN at the best block."""
        n = self.node
        subnets = n.runtime.call_api("SubnetInfoRuntimeApi_get_subnets_info", n.db.best_state(), n.best.number)
        return {s.netuid: s.n for s in subnets}

    def collect(self) -> Any:
        g = GaugeMetricFamily("taochain_subnet_neurons", "Neurons registered on the subnet (SubnetworkN)",
                              labels=["netuid"])
        for netuid, count in sorted(self.neurons().items()):
            g.add_metric([str(netuid)], count)
        yield g
        g = GaugeMetricFamily("taochain_subnet_epoch_seconds",
                              "Seconds of the Yuma call of the subnet's last epoch (batched subnets share it)",
                              labels=["netuid"])
        for netuid, sec in sorted(self.epoch_seconds.items()):
            g.add_metric([str(netuid)], sec)
        yield g
        g = GaugeMetricFamily("taochain_subnet_emission_rao",
                              "Rao paid by the subnet's last epoch (incentive + dividends + owner cut)",
                              labels=["netuid"])
        for netuid, rao in sorted(self.emission_rao.items()):
            g.add_metric([str(netuid)], rao)
        yield g
        c = CounterMetricFamily("taochain_subnet_epochs", "Epochs run since the node started", labels=["netuid"])
        for netuid, k in sorted(self.epochs.items()):
            c.add_metric([str(netuid)], k)
        yield c


class _NodeCollector:
    def __init__(self, node: Node, version: str) -> None:
        self.node = node
        self.version = version

    def collect(self) -> Any:
        n = self.node
        h = GaugeMetricFamily("substrate_block_height", "Block height info of the chain", labels=["status"])
        h.add_metric(["best"], n.best.number)
        h.add_metric(["finalized"], n.finalized.number)
        yield h
        st = n.pool.status()
        yield GaugeMetricFamily("substrate_ready_transactions_number", "Number of transactions in the ready queue", value=st["ready"])
        yield GaugeMetricFamily("taochain_future_transactions_number", "Number of transactions in the future queue", value=st["future"])
        net = n.network
        yield GaugeMetricFamily(
            "substrate_sub_libp2p_peers_count", "Number of connected peers", value=0 if net is None else len(net.peers.peers)
        )
        io = GaugeMetricFamily("taochain_p2p_bytes_total", "Bytes of p2p messages", labels=["direction"])
        io.add_metric(["in"], 0 if net is None else net.peers.bytes_in)
        io.add_metric(["out"], 0 if net is None else net.peers.bytes_out)
        yield io
        info = GaugeMetricFamily("substrate_build_info", "A metric with a constant '1' value labeled by name, version", labels=["name", "version", "chain"])
        info.add_metric([n.config.name, self.version, n.spec.id], 1)
        yield info
        yield GaugeMetricFamily("taochain_blocks_authored_total", "Blocks this node authored since start", value=n.blocks_authored)
        beacon = getattr(n, "beacon", None)
        if beacon is not None:
            yield CounterMetricFamily(
                "taochain_beacon_partials_received", "Beacon partial signatures received from peers",
                value=beacon.partials_received,
            )
            yield CounterMetricFamily(
                "taochain_beacon_partials_rejected", "Invalid beacon partials (bad share index or signature)",
                value=beacon.partials_rejected,
            )
            yield CounterMetricFamily(
                "taochain_beacon_pulses_combined", "Beacon rounds combined from t partials", value=beacon.pulses_combined,
            )
            yield GaugeMetricFamily(
                "taochain_beacon_last_combined_round", "The last beacon round combined", value=beacon.last_combined_round,
            )
            yield GaugeMetricFamily(
                "taochain_beacon_last_pulse_round", "The highest beacon round this node has a pulse of",
                value=beacon.status()["lastPulseRound"],
            )


class NodeMetrics:
    def __init__(self, node: Node, version: str) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_NodeCollector(node, version))
        self.subnets = SubnetEpochStats(node)
        node.block_listeners.append(self.subnets.on_block)
        self.registry.register(self.subnets)
        self.import_seconds = Histogram(
            "taochain_block_import_seconds", "Time to build or execute a block, seconds",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5), registry=self.registry,
        )
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def start(self, host: str, port: int) -> None:
        app = web.Application()

        async def handle(_req: web.Request) -> web.Response:
            return web.Response(body=self.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

        app.router.add_get("/metrics", handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        socks = getattr(site._server, "sockets", None) or ()
        self.port = socks[0].getsockname()[1] if socks else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
