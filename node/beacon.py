"""The node's randomness beacon: the pulses a block author puts in the Drand `write_pulse` inherent.

Where pulses come from depends on the chain spec's `drand.beacon`:

- "local": the authorities run their own t-of-n threshold beacon in drand quicknet's scheme. Share
  i (1-based) belongs to the chain spec's authorities[i-1]; a node gets its share from
  `--beacon-share FILE` (JSON {"index": i, "secret": "<hex>"}, dealt by `taochain testnet`) or,
  on chains whose shares derive from the public dev seed (the dev and local presets), from its
  authority key. At the start of every round r (`round_at(now)`, genesis time and period from the
  spec) a node with a share signs sha256(u64be(r)) with it and gossips the partial signature as a
  `BeaconPartial`. Received partials are checked (share index 1..n, round at most
  ROUNDS_BEHIND behind and ROUNDS_AHEAD ahead of the current round, a valid signature under the
  share's public key from the spec), deduplicated per (round, index) and relayed once to the other
  peers; an invalid one costs the sender its connection (see node/network.py) and is counted in
  `partialsRejected`. With t valid partials of a round every node (with a share or not) combines
  them (Lagrange interpolation at 0), checks the result against the group key and keeps it as a
  pulse.
- "quicknet": pulses come from `--drand-pulses FILE` (a JSON array of {"round", "signature",
  optional "randomness"} objects, or one such object per line; re-read when the file changes)
  and/or `--drand-url URL` (drand's HTTP API: GET {URL}/public/latest and {URL}/public/{round},
  polled every period). Every pulse is verified against the spec's beacon key before use; bad
  ones are logged and skipped, and HTTP errors are logged, never fatal. (Both options also work
  on a local chain: the pulses must then verify under the local group key.)

`pulses_for_block(last_stored_round)` gives the author up to 64 kept pulses above the chain's
`Drand.LastStoredRound`, ascending. The pulses are in memory only (a bounded store): a node that
restarts simply includes the rounds that come after.

BLS work runs inline with the arkworks backend (a verification takes ~2 ms) and in a worker
thread with the pure-Python py-ecc backend (~170 ms); state changes happen on the event loop only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from p2p.messages import BeaconPartial
from runtime.construct import MAX_PULSES_PER_BLOCK, DrandConfig, Pulse
from runtime.support import bls

log = logging.getLogger("taochain.beacon")

ROUNDS_BEHIND = 64  # partials of rounds older than this (relative to the current round) are dropped
ROUNDS_AHEAD = 1  # partials at most this many rounds ahead are accepted (clock drift)
MAX_PULSES_KEPT = 4096  # pulses kept in memory (the newest)
MAX_URL_CATCH_UP = 8  # rounds fetched one by one when the HTTP endpoint skipped some
HTTP_TIMEOUT = 5.0
SLOW_BACKENDS = ("py-ecc",)
LOG_EVERY = 20  # a combined round is logged at info level once every this many rounds

# outcomes of a received partial
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
STALE = "stale-round"
FUTURE = "future-round"
IGNORED = "ignored"  # not a local-beacon chain
BAD_INDEX = "bad-index"
BAD_SIGNATURE = "bad-signature"
MALFORMED = "malformed"
INVALID = frozenset({BAD_INDEX, BAD_SIGNATURE, MALFORMED})


class BeaconConfigError(ValueError):
    """A beacon share or pulse file that cannot be used (`taochain node` exits with code 2)."""


# ---------------------------------------------------------------------- files


def _read_text(path: str | Path, where: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise BeaconConfigError(f"{where}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BeaconConfigError(f"{where}: not a text file") from None


def load_share_file(path: str | Path) -> tuple[int, int]:
    """(index, secret) from a share file: JSON {"index": i >= 1, "secret": "<hex scalar>"}."""
    where = f"--beacon-share {path}"
    text = _read_text(path, where)
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BeaconConfigError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(d, dict):
        raise BeaconConfigError(f'{where}: expected a JSON object {{"index": i, "secret": "<hex>"}}')
    index, secret = d.get("index"), d.get("secret")
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise BeaconConfigError(f"{where}: 'index' must be a positive integer (the share's 1-based index)")
    if not isinstance(secret, str):
        raise BeaconConfigError(f"{where}: 'secret' must be a hex string")
    try:
        value = int(secret.removeprefix("0x"), 16)
    except ValueError:
        raise BeaconConfigError(f"{where}: 'secret' is not valid hex") from None
    if not 0 < value < bls.R:
        raise BeaconConfigError(f"{where}: 'secret' is not a BLS12-381 scalar (0 < secret < r)")
    return index, value


def write_share_file(path: str | Path, index: int, secret: int, public_key: bytes | None = None) -> None:
    """Write a share file readable by its owner only (mode 0600)."""
    import os

    d: dict[str, Any] = {"index": index, "secret": f"{secret:064x}"}
    if public_key is not None:
        d["publicKey"] = public_key.hex()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(json.dumps(d) + "\n")


def parse_pulses(text: str, where: str = "pulses") -> list[Any]:
    """The entries of a pulse file: a JSON array, one JSON object, or one JSON value per line."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        v = json.loads(stripped)
    except json.JSONDecodeError:
        out = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise BeaconConfigError(f"{where}: line {n} is not valid JSON ({exc})") from None
        return out
    return v if isinstance(v, list) else [v]


def load_pulses_file(path: str | Path) -> list[Any]:
    """The entries of a `--drand-pulses` file (see parse_pulses); BeaconConfigError when unreadable."""
    where = f"--drand-pulses {path}"
    return parse_pulses(_read_text(path, where), where)


def _hex(v: Any, what: str) -> bytes:
    if not isinstance(v, str):
        raise ValueError(f"{what} must be a hex string")
    try:
        return bytes.fromhex(v.removeprefix("0x"))
    except ValueError:
        raise ValueError(f"{what} is not valid hex") from None


def pulse_from_json(d: Any, public_key: bytes, backend: bls.Backend | None = None) -> Pulse:
    """A verified Pulse from drand's JSON ({"round", "signature", optional "randomness"});
    ValueError with the reason when it is malformed or does not verify under `public_key`."""
    if not isinstance(d, dict):
        raise ValueError("expected an object with round and signature")
    r = d.get("round")
    if isinstance(r, bool) or not isinstance(r, int) or not 0 < r < 1 << 64:
        raise ValueError("round must be a positive u64")
    sig = _hex(d.get("signature"), "signature")
    if len(sig) != bls.G1_SIZE:
        raise ValueError(f"signature must be {bls.G1_SIZE} bytes (got {len(sig)})")
    randomness = bls.randomness_of(sig)
    if d.get("randomness") is not None and _hex(d["randomness"], "randomness") != randomness:
        raise ValueError("randomness is not sha256(signature)")
    try:
        ok = bls.verify_beacon(public_key, r, sig, backend)
    except bls.BlsError as exc:
        raise ValueError(str(exc)) from None
    if not ok:
        raise ValueError(f"the signature of round {r} does not verify under the beacon's key")
    return Pulse(r, randomness, sig)


# ---------------------------------------------------------------------- the service


class BeaconService:
    """A node's beacon (see the module docstring). `run()` is its loop; the network feeds it
    partials with `receive`; the author asks `pulses_for_block`."""

    def __init__(
        self,
        spec: Any,  # runtime.presets.DrandSpec
        authorities: tuple[bytes, ...] = (),
        key_public: bytes | None = None,
        *,
        clock: Callable[[], float] = time.time,
        share_file: str | Path | None = None,
        pulses_file: str | Path | None = None,
        url: str | None = None,
        backend: bls.Backend | None = None,
    ) -> None:
        self.spec = spec
        self.cfg = DrandConfig(spec.public_key, spec.genesis_time, spec.period, spec.max_kept)
        self.local = spec.beacon == "local"
        self.clock = clock
        self.bls = backend or bls.get_backend()
        self.share_pks: tuple[bytes, ...] = tuple(spec.share_public_keys) if self.local else ()
        self.threshold: int = spec.threshold if self.local else 0
        self.share_index: int | None = None
        self._share: int | None = None
        self.share_source = ""
        self.pulses_file = Path(pulses_file) if pulses_file is not None else None
        self.url = url.rstrip("/") if url else None
        self.publish: Callable[[BeaconPartial], Awaitable[Any]] | None = None  # set by the network
        self.chain_round: Callable[[], int] | None = None  # the chain's LastStoredRound (status)
        self._partials: dict[int, dict[int, bytes]] = {}  # round -> share index -> verified signature
        self._pulses: dict[int, Pulse] = {}
        self._signed: set[int] = set()
        self._file_stamp: tuple[int, int] | None = None
        self._file_pending: list[Any] = []
        self._session: Any = None
        self._url_last = 0
        self._url_failing = False
        # counters (RPC drand_status and Prometheus)
        self.partials_received = 0  # partial messages from peers
        self.partials_rejected = 0  # invalid ones (bad index, bad or malformed signature)
        self.partials_ignored = 0  # outside the round window
        self.pulses_combined = 0
        self.last_combined_round = 0
        self.pulses_loaded = 0  # from the file or the HTTP endpoint
        self.pulses_refused = 0  # file or HTTP pulses that did not verify
        if share_file is not None:
            self._load_share(share_file)
        elif self.local and spec.dev_seed and key_public is not None and key_public in authorities:
            self._derive_dev_share(authorities.index(key_public) + 1)
        if self.pulses_file is not None:
            self._file_pending = load_pulses_file(self.pulses_file)
            self._file_stamp = self._stamp()

    # ------------------------------------------------------------------ shares
    def _load_share(self, path: str | Path) -> None:
        index, secret = load_share_file(path)
        where = f"--beacon-share {path}"
        if not self.local:
            raise BeaconConfigError(f"{where}: this chain follows drand's {self.spec.beacon} beacon, not a local one")
        if index > len(self.share_pks):
            raise BeaconConfigError(f"{where}: share {index} does not exist (the chain spec has {len(self.share_pks)})")
        if self.bls.public_key(secret) != self.share_pks[index - 1]:
            raise BeaconConfigError(
                f"{where}: share {index} does not match the chain spec (its public key is not drand.sharePublicKeys[{index - 1}])"
            )
        self.share_index, self._share, self.share_source = index, secret, str(path)

    def _derive_dev_share(self, index: int) -> None:
        from runtime.presets import dev_beacon_coeffs

        if index > len(self.share_pks):
            return
        secret = bls.poly_eval(dev_beacon_coeffs(self.threshold), index)
        if self.bls.public_key(secret) != self.share_pks[index - 1]:
            log.warning("the dev beacon share %d does not match the chain spec: this node signs no partials", index)
            return
        self.share_index, self._share, self.share_source = index, secret, "dev seed"

    @property
    def has_share(self) -> bool:
        return self._share is not None

    def describe(self) -> str:
        if not self.local:
            srcs = [s for s in (self.pulses_file and f"file {self.pulses_file}", self.url and f"url {self.url}") if s]
            return f"drand {self.spec.beacon} (pulses from {', '.join(srcs) if srcs else 'nowhere: none given'})"
        share = f"share {self.share_index} ({self.share_source})" if self.has_share else "no share"
        return f"local {self.threshold}-of-{len(self.share_pks)} every {self.cfg.period} s, {share}"

    # ------------------------------------------------------------------ rounds
    def current_round(self, now: float | None = None) -> int:
        return self.cfg.round_at(int(self.clock() if now is None else now))

    def make_partial(self, round_: int) -> BeaconPartial | None:
        """This node's partial signature of `round_` (None without a share)."""
        if self._share is None or self.share_index is None:
            return None
        return BeaconPartial(round_, self.share_index, self.bls.sign(self._share, bls.round_message(round_)))

    # ------------------------------------------------------------------ partials
    def _precheck(self, p: BeaconPartial) -> str | None:
        if not self.local or not self.share_pks:
            return IGNORED
        if not 1 <= p.index <= len(self.share_pks):
            return BAD_INDEX
        cur = self.current_round()
        if p.round < max(1, cur - ROUNDS_BEHIND):
            return STALE
        if p.round > cur + ROUNDS_AHEAD:
            return FUTURE
        have = self._partials.get(p.round, {}).get(p.index)
        if have is not None:
            # BLS signatures are unique: another signature for a share we hold a valid one of is forged
            return DUPLICATE if have == p.signature else BAD_SIGNATURE
        return None

    def _verify(self, p: BeaconPartial) -> str | None:
        """None when the partial verifies under its share's public key (pure: may run in a thread)."""
        try:
            ok = self.bls.verify(self.share_pks[p.index - 1], bls.round_message(p.round), p.signature)
        except bls.BlsError:
            return MALFORMED
        return None if ok else BAD_SIGNATURE

    def _store(self, p: BeaconPartial) -> tuple[str, bool]:
        """Keep a verified partial; (outcome, whether its round can now be combined)."""
        got = self._partials.setdefault(p.round, {})
        have = got.get(p.index)
        if have is not None:
            return (DUPLICATE if have == p.signature else BAD_SIGNATURE), False
        got[p.index] = p.signature
        ready = p.round not in self._pulses and len(got) >= self.threshold
        return ACCEPTED, ready

    def _combine(self, round_: int, partials: dict[int, bytes]) -> Pulse | None:
        """The pulse of `round_` from t verified partials (pure: may run in a thread)."""
        chosen = {i: partials[i] for i in sorted(partials)[: self.threshold]}
        try:
            sig = bls.combine_partials(chosen, self.bls)
            ok = bls.verify_beacon(self.cfg.public_key, round_, sig, self.bls)
        except bls.BlsError as exc:
            log.error("combining beacon round %d failed: %s", round_, exc)
            return None
        if not ok:
            log.error("the combined signature of beacon round %d does not verify under the group key", round_)
            return None
        return Pulse(round_, bls.randomness_of(sig), sig)

    def _count(self, outcome: str) -> str:
        if outcome in INVALID:
            self.partials_rejected += 1
        elif outcome in (STALE, FUTURE):
            self.partials_ignored += 1
        return outcome

    def on_partial(self, p: BeaconPartial, own: bool = False) -> str:
        """Check and keep a partial (synchronously; `receive` is the loop's version); one of the
        outcomes above. Combines the round's pulse once t partials are in."""
        if not own:
            self.partials_received += 1
        outcome = self._precheck(p) or self._verify(p)
        if outcome is not None:
            return self._count(outcome)
        outcome, ready = self._store(p)
        if ready:
            self._combined(p.round, self._combine(p.round, dict(self._partials[p.round])))
        return self._count(outcome)

    async def receive(self, p: BeaconPartial, own: bool = False) -> str:
        """`on_partial` with the BLS work off the event loop when the backend is slow."""
        if not own:
            self.partials_received += 1
        outcome = self._precheck(p)
        if outcome is None:
            outcome = await self._bls(self._verify, p)
        if outcome is not None:
            return self._count(outcome)
        outcome, ready = self._store(p)
        if ready:
            pulse = await self._bls(self._combine, p.round, dict(self._partials[p.round]))
            self._combined(p.round, pulse)
        return self._count(outcome)

    def _combined(self, round_: int, pulse: Pulse | None) -> None:
        if pulse is None or round_ in self._pulses:
            return
        self._add_pulse(pulse)
        self.pulses_combined += 1
        first = self.last_combined_round == 0
        self.last_combined_round = max(self.last_combined_round, round_)
        n = len(self._partials.get(round_, {}))
        level = logging.INFO if first or round_ % LOG_EVERY == 0 else logging.DEBUG
        log.log(level, "🎲 Beacon round %d combined (%d/%d partials)", round_, n, len(self.share_pks))

    async def _bls(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.bls.name in SLOW_BACKENDS:
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    def recent_partials(self) -> list[BeaconPartial]:
        """The verified partials of the current and the previous round (for a peer that just connected)."""
        cur = self.current_round()
        return [
            BeaconPartial(r, i, sig)
            for r in (cur - 1, cur)
            for i, sig in sorted(self._partials.get(r, {}).items())
        ]

    def prune(self) -> None:
        floor = self.current_round() - ROUNDS_BEHIND
        for r in [r for r in self._partials if r < floor]:
            del self._partials[r]
        self._signed = {r for r in self._signed if r >= floor}

    # ------------------------------------------------------------------ pulses
    def _add_pulse(self, pulse: Pulse) -> None:
        self._pulses[pulse.round] = pulse
        if len(self._pulses) > MAX_PULSES_KEPT + MAX_PULSES_KEPT // 8:
            for r in sorted(self._pulses)[: len(self._pulses) - MAX_PULSES_KEPT]:
                del self._pulses[r]

    def add_pulse(self, pulse: Pulse) -> None:
        """Keep a pulse (already verified by the caller)."""
        self._add_pulse(pulse)

    def pulse(self, round_: int) -> Pulse | None:
        return self._pulses.get(round_)

    def pulses_for_block(self, last_stored_round: int) -> list[Pulse]:
        """Kept pulses above `last_stored_round`, ascending, at most MAX_PULSES_PER_BLOCK."""
        rounds = sorted(r for r in self._pulses if r > last_stored_round)[:MAX_PULSES_PER_BLOCK]
        return [self._pulses[r] for r in rounds]

    def discard(self, rounds: list[int]) -> None:
        """Forget pulses (the runtime refused them)."""
        for r in rounds:
            self._pulses.pop(r, None)

    def verify_entries(self, entries: list[Any], where: str) -> list[Pulse]:
        """The entries (drand JSON) that verify; the others are logged and skipped (pure but for
        the counters: may run in a thread)."""
        out = []
        for n, e in enumerate(entries):
            if isinstance(e, dict) and isinstance(e.get("round"), int) and e["round"] in self._pulses:
                continue
            try:
                out.append(pulse_from_json(e, self.cfg.public_key, self.bls))
            except ValueError as exc:
                self.pulses_refused += 1
                r = e.get("round") if isinstance(e, dict) else None
                log.warning("⚠️  Beacon pulse %s from %s skipped: %s", r if r is not None else f"#{n}", where, exc)
        return out

    def load_file(self) -> int:
        """Verify and keep the pulses read from --drand-pulses (synchronously); how many were new."""
        entries, self._file_pending = self._file_pending, []
        return self._keep(self.verify_entries(entries, str(self.pulses_file)))

    def _keep(self, pulses: list[Pulse]) -> int:
        new = 0
        for p in pulses:
            if p.round not in self._pulses:
                self._add_pulse(p)
                new += 1
        self.pulses_loaded += new
        return new

    def _stamp(self) -> tuple[int, int] | None:
        assert self.pulses_file is not None
        try:
            st = self.pulses_file.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    async def _poll_file(self) -> None:
        stamp = self._stamp()
        if stamp is not None and stamp != self._file_stamp:
            self._file_stamp = stamp
            try:
                self._file_pending = load_pulses_file(self.pulses_file)  # type: ignore[arg-type]
            except BeaconConfigError as exc:
                log.warning("⚠️  %s", exc)
                return
        if self._file_pending:
            entries, self._file_pending = self._file_pending, []
            pulses = await self._bls(self.verify_entries, entries, str(self.pulses_file))
            new = self._keep(pulses)
            if new:
                top = max(p.round for p in pulses)
                log.info("🎲 %d beacon pulses read from %s (up to round %d)", new, self.pulses_file, top)

    async def _fetch(self, what: str) -> Any:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT))
        async with self._session.get(f"{self.url}/public/{what}") as resp:
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
            return await resp.json(content_type=None)

    async def poll_url(self) -> int:
        """Fetch the latest pulse (and a few skipped ones) from --drand-url; how many were new.
        Errors are logged (once until the endpoint answers again), never raised."""
        import aiohttp

        try:
            latest = await self._fetch("latest")
            entries = [latest]
            top = latest.get("round") if isinstance(latest, dict) else None
            if isinstance(top, int) and self._url_last and top > self._url_last + 1:
                for r in range(max(self._url_last + 1, top - MAX_URL_CATCH_UP), top):
                    try:  # best effort: the latest pulse is enough
                        entries.append(await self._fetch(str(r)))
                    except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
                        log.debug("beacon: fetching round %d from %s failed: %s", r, self.url, exc)
                        break
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
            if not self._url_failing:
                log.warning("⚠️  Beacon: fetching pulses from %s failed: %s", self.url, exc or type(exc).__name__)
            self._url_failing = True
            return 0
        if self._url_failing:
            log.info("🎲 Beacon: %s answers again", self.url)
        self._url_failing = False
        pulses = await self._bls(self.verify_entries, entries, str(self.url))
        if pulses:
            self._url_last = max(self._url_last, *(p.round for p in pulses))
        return self._keep(pulses)

    # ------------------------------------------------------------------ the loop
    async def tick(self) -> None:
        """One period's work: sign and gossip this round's partial, read the pulse sources."""
        if self.local and self.has_share:
            r = self.current_round()
            if r >= 1 and r not in self._signed:
                self._signed.add(r)
                partial = await self._bls(self.make_partial, r)
                if partial is not None:
                    await self.receive(partial, own=True)
                    if self.publish is not None:
                        await self.publish(partial)
        self.prune()
        if self.pulses_file is not None:
            await self._poll_file()
        if self.url is not None:
            await self.poll_url()

    async def run(self) -> None:
        """Tick at the start of every round (a little after, so that peers' clocks agree)."""
        log.info("🎲 Beacon: %s", self.describe())
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the beacon must never take the node down
                log.exception("beacon tick failed")
            now = self.clock()
            nxt = self.cfg.time_of(self.current_round(now) + 1)
            await asyncio.sleep(min(self.cfg.period, max(0.05, nxt - now + 0.02)))

    async def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        """Extra fields of the `drand_status` RPC."""
        last = 0
        if self.chain_round is not None:
            with contextlib.suppress(Exception):
                last = self.chain_round()
        return {
            "hasShare": self.has_share,
            "shareIndex": self.share_index,
            "currentRound": self.current_round(),
            "pendingPulses": sum(1 for r in self._pulses if r > last),
            "lastPulseRound": max(self._pulses, default=0),
            "lastCombinedRound": self.last_combined_round,
            "pulsesCombined": self.pulses_combined,
            "partialsReceived": self.partials_received,
            "partialsRejected": self.partials_rejected,
            "partialsIgnored": self.partials_ignored,
            "pulsesLoaded": self.pulses_loaded,
            "pulsesRefused": self.pulses_refused,
        }


__all__ = [
    "BeaconConfigError",
    "BeaconService",
    "load_pulses_file",
    "load_share_file",
    "parse_pulses",
    "pulse_from_json",
    "write_share_file",
]
