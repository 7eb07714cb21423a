"""The demo's orchestration: set the subnet up with the SDK, run the miners and validators as
processes, watch the chain live; `run_demo` is what `taochain testnet --demo` calls.

Keys (all derived from dev URIs, so every run is the same):

    owner        coldkey //Alice               hotkey //Demo//owner         (uid 0)
    miner i      coldkey //Demo//miner<i>      hotkey //Demo//miner<i>//hot
    validator j  coldkey //Demo//validator<j>  hotkey //Demo//validator<j>//hot
    copycat      coldkey //Demo//copycat       hotkey //Demo//copycat//hot

//Alice (the sudo key) funds the coldkeys; each coldkey registers its hotkey by burn, the
validators' coldkeys stake on their hotkeys. Process i talks to node i mod n, so the whole network
carries the demo's transactions.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from runtime.support.keys import keypair_from_uri
from taochain.cli_common import console
from taochain.client import (
    AsyncClient,
    Client,
    ConnectionFailed,
    RpcError,
    epoch_of_block,
    netuid_of,
    to_account,
    uid_of,
)
from taochain.demo_subnet.models import LADDER, MAX_MINERS, miner_levels
from taochain.proc import (
    busy_ports_message,
    child_env,
    log_tail,
    port_is_free,
    spawn,
    stop_processes,
    stop_signals_interrupt,
)
from taochain.testnet import Testnet, emit, launch_table, report_start_error, status_table

TAO = 10**9
U16_MAX = 0xFFFF
MAX_VALIDATORS = 8
DEFAULT_TEMPO = 19  # 20-block epochs: 20 s at 1 s blocks
STAKE_TAO = (1000, 700, 500, 400, 300, 250, 200, 150)  # validator j's stake
COPYCAT_STAKE_TAO = 600
FUND_TAO = 20  # every coldkey's float for the burn and fees (validators also get their stake)


@dataclasses.dataclass(frozen=True, slots=True)
class DemoOptions:
    miners: int = 4
    validators: int = 2
    copycat: bool = False
    tempo: int = DEFAULT_TEMPO
    epochs: int | None = None  # stop after this many epochs since the validators' first commits
    samples: int = 300  # held-out digits per validator query (0: all)
    axon_port_base: int = 8091  # miner i serves on axon_port_base + i
    announce_ip: str = "127.0.0.2"
    commit_reveal: bool = True
    setup_timeout: float = 120.0

    def check(self) -> None:
        if not 1 <= self.miners <= MAX_MINERS:
            raise ValueError(f"--miners must be 1..{MAX_MINERS}, got {self.miners}")
        if not 1 <= self.validators <= MAX_VALIDATORS:
            raise ValueError(f"--validators must be 1..{MAX_VALIDATORS}, got {self.validators}")
        if not 2 <= self.tempo <= 1000:
            raise ValueError(f"--tempo must be 2..1000 blocks, got {self.tempo}")
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"--epochs must be at least 1, got {self.epochs}")
        if not 1 <= self.axon_port_base <= 65535 - self.miners:
            raise ValueError(f"--axon-port-base {self.axon_port_base} leaves no room for {self.miners} ports")


@dataclasses.dataclass(frozen=True, slots=True)
class Role:
    """One neuron of the demo (or the owner)."""

    name: str  # "owner", "miner0", "validator1", "copycat"
    kind: str  # "owner" | "miner" | "validator" | "copycat"
    coldkey_uri: str
    hotkey_uri: str
    level: int | None = None  # miners: the LADDER rung
    port: int | None = None  # miners: the axon port
    stake_tao: int = 0

    @property
    def model(self) -> str | None:
        return None if self.level is None else LADDER[self.level].label


def plan_roles(opts: DemoOptions) -> list[Role]:
    roles = [Role("owner", "owner", "//Alice", "//Demo//owner")]
    for i, level in enumerate(miner_levels(opts.miners)):
        roles.append(Role(f"miner{i}", "miner", f"//Demo//miner{i}", f"//Demo//miner{i}//hot", level=level,
                          port=opts.axon_port_base + i))
    for j in range(opts.validators):
        roles.append(Role(f"validator{j}", "validator", f"//Demo//validator{j}", f"//Demo//validator{j}//hot",
                          stake_tao=STAKE_TAO[j]))
    if opts.copycat:
        roles.append(Role("copycat", "copycat", "//Demo//copycat", "//Demo//copycat//hot",
                          stake_tao=COPYCAT_STAKE_TAO))
    return roles


# --- setting the subnet up --------------------------------------------------------------------------


class SetupFailed(Exception):
    pass


def _ok(r: Any, what: str) -> Any:
    if not r.success:
        raise SetupFailed(f"{what}: {r}")
    return r


async def _wait_for_blocks(c: Any, timeout: float) -> int:
    """Wait until the node answers and has authored a block; its best number."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            hdr = await c.header()
            if hdr and int(hdr["number"], 16) >= 1:
                return int(hdr["number"], 16)
        except (ConnectionFailed, RpcError):
            pass
        await asyncio.sleep(0.25)
    raise SetupFailed(f"the node at {c.url} made no block in {timeout:.0f} s")


async def _batch(c: Any, key: Any, calls: Sequence[tuple[str, list]]) -> list[Any]:
    """Submit `calls` (what, wire call) from one signer with consecutive nonces at once (they can
    share a block) and wait for each to be in a block."""
    nonce = await c.next_nonce(key)
    results = await asyncio.gather(*(c.submit_call(key, call, nonce=nonce + i) for i, (_, call) in enumerate(calls)))
    return [_ok(r, what) for r, (what, _) in zip(results, calls, strict=True)]


async def setup_subnet(url: str, opts: DemoOptions, roles: Sequence[Role], say: Callable[[str], None]) -> dict:
    """Create and start the subnet, set its demo hyperparameters, fund, register and stake; the
    netuid and every role's uid."""
    alice = keypair_from_uri("//Alice")
    owner = next(r for r in roles if r.kind == "owner")
    async with AsyncClient(url, timeout=30) as c:
        head = await _wait_for_blocks(c, opts.setup_timeout)
        say(f"the chain is at block #{head}: creating the subnet (owner //Alice)")
        r = _ok(await c.register_network(alice, keypair_from_uri(owner.hotkey_uri)), "register_network")
        netuid = netuid_of(r)
        calls = [("start_call", await c.compose_call("SubtensorModule", "start_call", netuid))]
        sudo = [("tempo", opts.tempo)]
        if not opts.commit_reveal:
            sudo.append(("commit_reveal_weights_enabled", False))
        for name, value in sudo:
            inner = await c.compose_call("AdminUtils", f"sudo_set_{name}", netuid, value)
            calls.append((f"sudo_set_{name}", await c.compose_call("Sudo", "sudo", inner)))
        for role in roles:
            if role.kind == "owner":
                continue
            amount = (FUND_TAO + role.stake_tao) * TAO
            dest = to_account(keypair_from_uri(role.coldkey_uri))
            calls.append((f"fund {role.name}", await c.compose_call("Balances", "transfer_allow_death", dest, amount)))
        await _batch(c, alice, calls)
        say(f"subnet {netuid} started, tempo {opts.tempo}; registering {len(roles) - 1} neurons by burn")

        async def enroll(role: Role) -> int:
            cold, hot = keypair_from_uri(role.coldkey_uri), keypair_from_uri(role.hotkey_uri)
            seq = [("burned_register " + role.name,
                    await c.compose_call("SubtensorModule", "burned_register", netuid, hot.public))]
            if role.stake_tao:
                seq.append((f"add_stake {role.name}", await c.compose_call(
                    "SubtensorModule", "add_stake", hot.public, role.stake_tao * TAO)))
            results = await _batch(c, cold, seq)
            uid = uid_of(results[0])
            if uid is None:
                raise SetupFailed(f"{role.name}: no NeuronRegistered event")
            return uid

        others = [r for r in roles if r.kind != "owner"]
        uids = dict(zip((r.name for r in others), await asyncio.gather(*(enroll(r) for r in others)), strict=True))
        uids["owner"] = 0
        hp = await c.hyperparameters(netuid)
        say(f"registered {len(others)} neurons; commit-reveal "
            + (f"v{hp['commit_reveal_version']}" if hp["commit_reveal_weights_enabled"] else "off"))
        return {"netuid": netuid, "uids": uids, "tempo": hp["tempo"],
                "commit_reveal": bool(hp["commit_reveal_weights_enabled"]),
                "commit_reveal_version": hp["commit_reveal_version"]}


# --- the processes ----------------------------------------------------------------------------------


class DemoProcesses:
    """The miners and validators as processes (own sessions, own logs); `stop()` ends them all."""

    def __init__(self, work_dir: Path, env: dict[str, str] | None = None) -> None:
        self.work_dir = Path(work_dir)
        self.env = child_env(env)
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        # own session (Ctrl-C reaches the demo only, which stops them), killed with the demo however it dies
        p = spawn(argv, self.work_dir / f"{name}.log", env=self.env)
        self.procs[name] = p
        return p

    def exited(self) -> dict[str, int]:
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def stop(self, timeout: float = 10.0) -> dict[str, int | None]:
        """SIGTERM each, up to `timeout` s in all, then SIGKILL; the exit codes."""
        stop_processes(self.procs.values(), timeout, signal.SIGTERM)
        return {n: p.returncode for n, p in self.procs.items()}


def miner_argv(role: Role, url: str, netuid: int, announce_ip: str) -> list[str]:
    return [sys.executable, "-m", "taochain.demo_subnet.miner", "--url", url, "--netuid", str(netuid),
            "--hotkey-uri", role.hotkey_uri, "--level", str(role.level), "--port", str(role.port),
            "--announce-ip", announce_ip, "--parent-pid", str(os.getpid())]


def validator_argv(role: Role, url: str, netuid: int, samples: int, status: Path, seed: int) -> list[str]:
    argv = [sys.executable, "-m", "taochain.demo_subnet.validator", "--url", url, "--netuid", str(netuid),
            "--hotkey-uri", role.hotkey_uri, "--samples", str(samples), "--status", str(status),
            "--seed", str(seed), "--name", role.name, "--parent-pid", str(os.getpid())]
    return argv + (["--copycat"] if role.kind == "copycat" else [])


# --- reading the state ------------------------------------------------------------------------------


def read_status(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def neuron_rows(mg: dict, roles: Sequence[Role], uids: dict[str, int], statuses: dict[str, dict]) -> list[dict]:
    """The metagraph's neurons with the demo's names, models and the honest validators' mean
    accuracy for each miner."""
    by_uid = {uids[r.name]: r for r in roles if r.name in uids}
    acc: dict[int, list[float]] = collections.defaultdict(list)
    for st in statuses.values():
        if st.get("copycat"):
            continue
        for uid, s in (st.get("scores") or {}).items():
            if s.get("accuracy") is not None and s.get("error") is None:
                acc[int(uid)].append(s["accuracy"])
    rows = []
    for n in mg["neurons"]:
        role = by_uid.get(n["uid"])
        rows.append({
            "uid": n["uid"], "name": role.name if role else "?", "role": role.kind if role else "other",
            "model": role.model if role else None, "hotkey": n["hotkey"],
            "accuracy": round(sum(acc[n["uid"]]) / len(acc[n["uid"]]), 4) if acc.get(n["uid"]) else None,
            "stake": n["stake"], "validator_permit": n["validator_permit"],
            "incentive": n["incentive"] / U16_MAX, "dividends": n["dividends"] / U16_MAX,
            "consensus": n["consensus"] / U16_MAX, "trust": n["consensus"] / U16_MAX,
            "validator_trust": n["validator_trust"] / U16_MAX, "emission": n["emission"],
            "axon": n["axon"],
        })
    return rows


# --- the live view ----------------------------------------------------------------------------------

_ROLE_STYLE = {"owner": "dim", "miner": "cyan", "validator": "magenta", "copycat": "yellow"}


def _frac(v: float) -> str:
    return f"{v:.3f}" if v else "[dim]0[/dim]"


def metagraph_table(rows: Sequence[dict], title: str) -> Any:
    t = Table(title=title, title_justify="left")
    for col, justify in (("uid", "right"), ("neuron", "left"), ("model / role", "left"), ("accuracy", "right"),
                         ("stake τ", "right"), ("permit", "center"), ("incentive", "right"), ("dividends", "right"),
                         ("trust", "right"), ("vtrust", "right"), ("emission τ", "right")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    best_inc = max((r["incentive"] for r in rows), default=0)
    for r in rows:
        style = _ROLE_STYLE.get(r["role"], "white")
        what = r["model"] or {"owner": "subnet owner", "validator": "validator", "copycat": "copies weights"}.get(
            r["role"], r["role"])
        inc = _frac(r["incentive"])
        if best_inc and r["incentive"] == best_inc:
            inc = f"[bold green]{inc}[/]"
        t.add_row(
            str(r["uid"]), f"[{style}]{r['name']}[/]", what,
            "-" if r["accuracy"] is None else f"{r['accuracy']:.1%}",
            f"{r['stake'] / TAO:,.1f}", "✓" if r["validator_permit"] else "", inc, _frac(r["dividends"]),
            _frac(r["trust"]), _frac(r["validator_trust"]), f"{r['emission'] / TAO:,.4f}",
        )
    return t


def chain_line(info: dict) -> str:
    cr = f"commit-reveal v{info['commit_reveal_version']}" if info.get("commit_reveal") else "commit-reveal off"
    return (f"subnet {info['netuid']}  block #{info['block']}  epoch {info['epoch']} "
            f"({info['blocks_left']} blocks to the next)  tempo {info['tempo']}  {cr}  "
            f"pending timelocked commits {info['pending']}  beacon round {info['beacon_round']}")


class DemoState:
    """What the watch loop knows; `poll()` refreshes it from the chain and the status files."""

    def __init__(self, url: str, netuid: int, roles: Sequence[Role], uids: dict[str, int], status_dir: Path,
                 setup: dict) -> None:
        self.client = Client(url, timeout=10)
        self.netuid = netuid
        self.roles = list(roles)
        self.uids = uids
        self.status_dir = status_dir
        self.setup = setup
        self.info: dict[str, Any] = {}
        self.rows: list[dict] = []
        self.epoch_rows: list[dict] = []  # the metagraph as of the last epoch run
        self.last_epoch_run: int | None = None  # the index of the last epoch that ran
        self.statuses: dict[str, dict] = {}
        self.notes: collections.deque[str] = collections.deque(maxlen=10)
        self._seen_notes: set[tuple] = set()

    def poll(self) -> dict | None:
        """Refresh; the epoch summary (for JSON) when an epoch ran since the last poll."""
        c = self.client
        sub = c.subnet(self.netuid)
        mg = c.metagraph(self.netuid)
        head = mg["block"]
        tempo = sub["tempo"]
        epoch = epoch_of_block(head, tempo, self.netuid)
        pending = c.timelocked_commits(self.netuid) or []
        beacon = c.drand_status()
        for r in self.roles:
            if r.kind in ("validator", "copycat"):
                st = read_status(self.status_dir / f"{r.name}.json")
                if st is not None:
                    self.statuses[r.name] = st
                    for entry in st.get("log", []):
                        key = (r.name, entry.get("block"), entry.get("msg"))
                        if key not in self._seen_notes:
                            self._seen_notes.add(key)
                            self.notes.append(f"[{_ROLE_STYLE[r.kind]}]{r.name}[/] #{entry.get('block')}: "
                                              f"{entry.get('msg')}")
        self.info = {"netuid": self.netuid, "block": head, "epoch": epoch, "tempo": tempo,
                     "blocks_left": sub["blocks_until_next_epoch"], "commit_reveal": sub["commit_reveal_enabled"],
                     "commit_reveal_version": self.setup.get("commit_reveal_version"), "pending": len(pending),
                     "beacon_round": beacon.get("lastStoredRound")}
        self.rows = neuron_rows(mg, self.roles, self.uids, self.statuses)
        ran = epoch - 1
        if self.last_epoch_run is None:
            self.last_epoch_run = ran
            self.epoch_rows = self.rows
            return None
        if ran > self.last_epoch_run:
            self.last_epoch_run = ran
            self.epoch_rows = self.rows
            best = max(self.rows, key=lambda r: r["incentive"])
            if best["incentive"] > 0:
                self.notes.append(f"[bold]epoch {ran} ran[/] at #{head}: top incentive {best['name']} "
                                  f"({best['model'] or best['role']}, {best['incentive']:.3f})")
            else:
                self.notes.append(f"[bold]epoch {ran} ran[/] at #{head}: no incentive yet")
            return {"event": "epoch", "epoch": ran, "block": head, "neurons": self.rows,
                    "first_commit_epoch": self.first_commit_epoch(), "validators": self._validator_summary()}
        return None

    def first_commit_epoch(self) -> int | None:
        """The epoch by which every honest validator had committed weights once (None: not yet)."""
        firsts = [self.statuses.get(r.name, {}).get("first_commit_epoch") for r in self.roles if r.kind == "validator"]
        if not firsts or any(f is None for f in firsts):
            return None
        return max(firsts)  # type: ignore[type-var]

    def _validator_summary(self) -> list[dict]:
        out = []
        for r in self.roles:
            if r.kind in ("validator", "copycat"):
                st = self.statuses.get(r.name, {})
                out.append({"name": r.name, "kind": r.kind, "commits": st.get("commits", 0),
                            "first_commit_epoch": st.get("first_commit_epoch"),
                            "last_commit": st.get("last_commit"), "weights": st.get("weights"),
                            "note": st.get("note")})
        return out

    def copycat_line(self) -> str | None:
        st = self.statuses.get("copycat")
        if st is None:
            return None
        if self.setup.get("commit_reveal"):
            return ("copycat: reads only weights already on chain. With commit-reveal the honest validators' "
                    "weights for this epoch are ciphertext until the next one, so it copies last epoch's "
                    f"(and had nothing in the first). Its commits so far: {st.get('commits', 0)}")
        return ("copycat: commit-reveal is off, so it copies this epoch's weights as soon as they are set. "
                f"Its commits so far: {st.get('commits', 0)}")

    def close(self) -> None:
        self.client.close()


def render(node_table: Any, state: DemoState | None, phase: str) -> Any:
    parts: list[Any] = [node_table]
    if state is None or not state.info:
        parts.append(Text(phase))
        return Group(*parts)
    parts.append(Text.from_markup(chain_line(state.info)))
    title = (f"metagraph after epoch {state.last_epoch_run}" if state.last_epoch_run is not None else "metagraph")
    parts.append(metagraph_table(state.rows, title))
    cc = state.copycat_line()
    if cc:
        parts.append(Text(cc, style="yellow"))
    if state.notes:
        parts.append(Text.from_markup("\n".join(state.notes)))
    parts.append(Text(phase, style="dim"))
    return Group(*parts)


# --- the command ------------------------------------------------------------------------------------


def run_demo(net: Testnet, opts: DemoOptions, duration: float | None, as_json: bool) -> int:
    """Start the testnet `net`, set the demo subnet up, run its miners and validators and watch
    until `duration` s, `opts.epochs` epochs or Ctrl-C; stop everything; the exit code."""
    opts.check()
    roles = plan_roles(opts)
    work_dir = net.base_dir / "demo"
    procs = DemoProcesses(work_dir)
    state: DemoState | None = None
    interrupted = False
    failure: str | None = None
    reached = False
    def say(msg: str) -> None:
        if as_json:
            emit({"event": "note", "msg": msg})
        elif state is not None:
            state.notes.append(msg)
        else:
            setup_notes.append(msg)

    setup_notes: collections.deque[str] = collections.deque(maxlen=6)
    restore_signals = stop_signals_interrupt()
    start = time.monotonic()
    deadline = None if duration is None else start + duration
    live_cm: Any = contextlib.nullcontext() if as_json else Live(console=console, refresh_per_second=4)
    try:
        try:
            busy = [(r.port, f"{r.name}'s axon") for r in roles if r.port is not None and not port_is_free(r.port)]
            if busy:
                raise OSError(busy_ports_message(busy, "stop it or pick other ports (--axon-port-base)"))
            net.start()
        except (OSError, ValueError) as exc:
            return report_start_error(exc, as_json)
        urls = [p.rpc_url for p in net.plans]
        if as_json:
            emit({"event": "plan", "base_dir": str(net.base_dir), "chain_spec": str(net.spec_path),
                  "block_time_ms": net.spec.slot_duration_ms,
                  "nodes": [{**p.to_json(), "pid": net.procs[p.name].pid} for p in net.plans],
                  "demo": {**dataclasses.asdict(opts),
                           "roles": [{**dataclasses.asdict(r), "model": r.model} for r in roles]}})
        else:
            console.print(launch_table(net))
        with live_cm as live:
            def show(phase: str) -> None:
                if live is not None:
                    statuses = net.status(timeout=0.8)
                    table = status_table(statuses, time.monotonic() - start)
                    if state is None:
                        live.update(Group(table, Text("\n".join([*setup_notes, phase]))))
                    else:
                        live.update(render(table, state, phase))

            show("waiting for the nodes to author blocks…")
            setup_task = asyncio.run(_with_progress(setup_subnet(urls[0], opts, roles, say), lambda: show(
                "setting the subnet up…")))
            netuid, uids = setup_task["netuid"], setup_task["uids"]
            if as_json:
                emit({"event": "setup", **setup_task,
                      "neurons": [{"name": r.name, "kind": r.kind, "uid": uids.get(r.name), "model": r.model,
                                   "level": r.level, "port": r.port, "hotkey_uri": r.hotkey_uri,
                                   "coldkey_uri": r.coldkey_uri, "stake_tao": r.stake_tao} for r in roles]})
            for i, r in enumerate(x for x in roles if x.kind == "miner"):
                procs.start(r.name, miner_argv(r, urls[i % len(urls)], netuid, opts.announce_ip))
            _wait_for_axons(urls[0], netuid, {uids[r.name] for r in roles if r.kind == "miner"}, procs,
                            opts.setup_timeout, lambda: show("waiting for the miners to train and announce their axons…"))
            say("every miner serves its axon")
            for j, r in enumerate(x for x in roles if x.kind in ("validator", "copycat")):
                procs.start(r.name, validator_argv(r, urls[(j + 1) % len(urls)], netuid, opts.samples,
                                                   work_dir / f"{r.name}.json", seed=j))
            if as_json:
                emit({"event": "processes", "pids": {n: p.pid for n, p in procs.procs.items()},
                      "logs": str(work_dir)})
            state = DemoState(urls[0], netuid, roles, uids, work_dir, setup_task)
            state.notes.extend(setup_notes)
            say(f"started {opts.miners} miners and {len(procs.procs) - opts.miners} validators "
                f"(logs in {work_dir})")
            last_status = 0.0
            while True:
                tick = time.monotonic()
                for e in net.check_exits():
                    failure = f"node {e.name} exited with code {e.returncode}"
                    if as_json:
                        emit({"event": "exited", "name": e.name, "returncode": e.returncode, "log_tail": e.log_tail})
                for name, rc in procs.exited().items():
                    if rc != 0 and failure is None:
                        failure = f"{name} exited with code {rc}"
                        if as_json:
                            emit({"event": "exited", "name": name, "returncode": rc,
                                  "log_tail": log_tail(work_dir / f"{name}.log")})
                        else:
                            console.print(f"[red]{failure}[/red]\n" + log_tail(work_dir / f"{name}.log"))
                if failure:
                    break
                try:
                    summary = state.poll()
                except (ConnectionFailed, RpcError) as exc:
                    summary = None
                    state.notes.append(f"[red]{exc}[/red]")
                if as_json:
                    if summary is not None:
                        emit(summary)
                    if tick - last_status >= 5:
                        last_status = tick
                        emit({"event": "status", "elapsed": round(tick - start, 2), "chain": state.info,
                              "nodes": [s.to_json() for s in net.status(timeout=0.8)]})
                first = state.first_commit_epoch()
                target = None if opts.epochs is None or first is None else first + opts.epochs - 1
                phase = "Ctrl-C stops every process"
                if opts.epochs is not None:
                    phase = (f"waiting for the validators' first commits; then {opts.epochs} epochs"
                             if target is None else f"stopping after epoch {target}") + "; " + phase
                show(phase)
                if target is not None and state.last_epoch_run is not None and state.last_epoch_run >= target:
                    reached = True
                    break
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                wake = tick + 1.0 if deadline is None else min(tick + 1.0, deadline)
                time.sleep(max(0.0, wake - now))
    except KeyboardInterrupt:
        interrupted = True
    except SetupFailed as exc:
        failure = f"setup failed: {exc}"
        if as_json:
            emit({"event": "error", "message": failure})
        else:
            console.print(f"[red]{failure}[/red]")
    finally:
        try:
            proc_codes = procs.stop()
            if state is not None:
                state.close()
            codes = net.stop()
        finally:
            restore_signals()
    final = state.epoch_rows if state is not None else []
    if as_json:
        emit({"event": "stopped", "interrupted": interrupted, "failure": failure, "epochs_reached": reached,
              "returncodes": codes, "processes": proc_codes, "neurons": final,
              "kept": str(net.base_dir) if net.keep else None})
    else:
        if final:
            console.print(metagraph_table(final, f"final metagraph (after epoch {state.last_epoch_run})"))
        why = "Ctrl-C: " if interrupted else ""
        console.print(f"{why}stopped {len(proc_codes)} demo processes and {len(codes)} nodes")
        if net.keep:
            console.print(f"kept {net.base_dir}")
    return 1 if failure or net.exits else 0


def _wait_for_axons(url: str, netuid: int, miner_uids: set[int], procs: DemoProcesses, timeout: float,
                    tick: Callable[[], None]) -> None:
    """Wait until every miner's axon is in the metagraph (SetupFailed when a miner exits or after
    `timeout` s)."""
    deadline = time.monotonic() + timeout
    with Client(url, timeout=10) as c:
        while True:
            with contextlib.suppress(ConnectionFailed, RpcError):
                mg = c.metagraph(netuid)
                served = {n["uid"] for n in mg["neurons"] if n["axon"] and n["axon"]["port"]}
                if miner_uids <= served:
                    return
            bad = {n: rc for n, rc in procs.exited().items() if rc != 0}
            if bad:
                name, rc = next(iter(bad.items()))
                raise SetupFailed(f"{name} exited with code {rc}:\n{log_tail(procs.work_dir / f'{name}.log')}")
            if time.monotonic() > deadline:
                raise SetupFailed(f"the miners' axons did not all appear in {timeout:.0f} s")
            tick()
            time.sleep(0.5)


async def _with_progress(coro: Any, tick: Callable[[], None]) -> Any:
    """Run `coro`, calling `tick` (in a thread) about once a second meanwhile."""
    task = asyncio.ensure_future(coro)
    while True:
        done, _ = await asyncio.wait({task}, timeout=1.0)
        if done:
            return task.result()
        await asyncio.to_thread(tick)
