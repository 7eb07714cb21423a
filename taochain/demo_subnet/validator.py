"""A demo-subnet validator: query the miners found in the metagraph, score them, commit weights.

    python -m taochain.demo_subnet.validator --url ws://127.0.0.1:9944 --netuid 1 \\
        --hotkey-uri //Demo//validator0//hot --status /tmp/v0.json

Once an epoch (early in it), the validator reads the metagraph, takes every neuron with an axon as
a miner, sends each the same random batch of held-out digits (`--samples`; the miners never trained
on them), and scores accuracy less a small latency penalty (models.score). Scores are smoothed over
epochs (an exponential moving average) and sharpened into weights (models.weights_from_scores),
which it puts on chain the way the subnet asks:

* commit_reveal_version 4 (the default): `commit_timelocked_weights`, encrypted to the beacon round
  of the next epoch; the chain decrypts and sets them itself;
* commit_reveal_version 2: `commit_weights`, revealed by this process in the next epoch;
* commit-reveal off: `set_weights`.

`--copycat` makes it a weight copier instead: it queries nobody and, halfway through each epoch,
commits the stake-weighted average of the weights the other validators have on chain. With
commit-reveal on, those are the weights revealed this epoch, i.e. committed last epoch: this
epoch's commits are ciphertext, so the copier is always an epoch behind (and has nothing to copy
in the first one). With commit-reveal off it copies this epoch's weights as soon as they are set.

The state (scores, weights, commits, notes) is written to `--status` as JSON after each change;
log lines go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ipaddress
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from taochain.demo_subnet.models import LATENCY_BUDGET_S, accuracy, load_split, score, weights_from_scores

EMA_ALPHA = 0.5  # weight of the newest score in the moving average


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": round(time.time(), 3), **fields}), flush=True)


def query_axon(ip: str, port: int, images: list[list[float]], timeout: float = LATENCY_BUDGET_S) -> tuple[list[int], float]:
    """POST the images to the axon at ip:port; (labels, seconds). A 127.x address other than
    127.0.0.1 that refuses falls back to 127.0.0.1 (see the miner's docstring)."""
    body = json.dumps({"images": images}).encode()
    hosts = [ip]
    addr = ipaddress.ip_address(ip)
    if addr.is_loopback and ip != "127.0.0.1":
        hosts.append("127.0.0.1")
    last: Exception | None = None
    for host in hosts:
        h = f"[{host}]" if addr.version == 6 and host == ip else host
        req = urllib.request.Request(f"http://{h}:{port}/predict", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the miners' axons
                labels = json.loads(resp.read())["labels"]
            return [int(v) for v in labels], time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError) as exc:
            last = exc
            if isinstance(exc, urllib.error.HTTPError):
                break
    raise OSError(f"axon {ip}:{port} did not answer: {last}")


class Validator:
    """One validator's loop; `step()` once per tick, `run(stop)` until the event is set."""

    def __init__(
        self, url: str, hotkey_uri: str, netuid: int, *, samples: int = 300, copycat: bool = False,
        status_path: Path | None = None, seed: int | None = None, name: str | None = None,
    ) -> None:
        from runtime.support.keys import keypair_from_uri  # noqa: PLC0415
        from taochain.client import Client  # noqa: PLC0415

        self.client = Client(url, timeout=20)
        self.key = keypair_from_uri(hotkey_uri)
        self.netuid = netuid
        self.samples = samples
        self.copycat = copycat
        self.status_path = status_path
        self.rng = random.Random(seed)
        self.name = name or ("copycat" if copycat else "validator")
        self.ema: dict[tuple[int, str], float] = {}
        self.acted_epoch = -1
        self.pending_reveal: dict | None = None  # commit_reveal_version 2: the record to reveal
        self.status: dict[str, Any] = {
            "name": self.name, "hotkey": self.key.ss58, "uid": None, "copycat": copycat, "epoch": None,
            "block": None, "scores": {}, "weights": {}, "commits": 0, "first_commit_epoch": None,
            "last_commit": None, "copied": None, "note": "starting", "log": [],
        }
        self._test: tuple[list[list[float]], list[int]] | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)

    # ---- state ----

    def _note(self, msg: str, **fields: Any) -> None:
        self.status["note"] = msg
        entry = {"block": self.status["block"], "epoch": self.status["epoch"], "msg": msg}
        self.status["log"] = (self.status["log"] + [entry])[-20:]
        log("note", msg=msg, **fields)

    def _write(self) -> None:
        if self.status_path is None:
            return
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status))
        os.replace(tmp, self.status_path)

    def test_set(self) -> tuple[list[list[float]], list[int]]:
        if self._test is None:
            _, _, x_test, y_test = load_split()
            self._test = (x_test.tolist(), [int(v) for v in y_test])
        return self._test

    # ---- the loop ----

    def run(self, stop: threading.Event, tick: float = 0.5, parent_pid: int | None = None) -> None:
        from taochain.client import ConnectionFailed, RpcError  # noqa: PLC0415

        if not self.copycat:
            self.test_set()  # load the data before the first epoch
        self._write()
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log("orphaned", parent_pid=parent_pid)
                break
            try:
                self.step()
            except (ConnectionFailed, RpcError, OSError, ValueError) as exc:
                self._note(f"error: {exc}")
            self._write()
            stop.wait(tick)

    def step(self) -> None:
        from taochain.client import epoch_of_block  # noqa: PLC0415

        c = self.client
        sub = c.subnet(self.netuid)
        if sub is None:
            self.status["note"] = f"waiting for subnet {self.netuid}"
            return
        head, _ = c.best_block()
        tempo = sub["tempo"]
        epoch = epoch_of_block(head, tempo, self.netuid)
        left = sub["blocks_until_next_epoch"]
        self.status["block"], self.status["epoch"] = head, epoch
        if epoch <= self.acted_epoch:
            return
        if self.pending_reveal is not None and self.pending_reveal["reveal_epoch"] == epoch and left >= 2:
            self._reveal()
        if left < 2:
            return  # too close to the epoch: act in the next one
        if self.copycat and left > tempo // 2:
            return  # the copier waits for the others to put weights on chain
        mg = c.metagraph(self.netuid)
        me = next((n for n in mg["neurons"] if n["hotkey"] == self.key.ss58), None)
        if me is None:
            self.status["note"] = "waiting for the hotkey's registration"
            return
        self.status["uid"] = me["uid"]
        weights = self._copy(mg, me) if self.copycat else self._evaluate(mg, me)
        if weights is None:
            return
        self.acted_epoch = epoch
        if weights:
            self._put_weights(sub, weights, epoch)

    # ---- honest validation ----

    def _evaluate(self, mg: dict, me: dict) -> dict[int, float] | None:
        miners = [n for n in mg["neurons"]
                  if n["axon"] and n["axon"]["port"] and n["hotkey"] != me["hotkey"]]
        if not miners:
            self.status["note"] = "no axon in the metagraph yet"
            return None
        images, labels = self.test_set()
        k = len(labels) if self.samples <= 0 else min(self.samples, len(labels))
        idx = self.rng.sample(range(len(labels)), k)
        batch = [images[i] for i in idx]
        truth = [labels[i] for i in idx]

        def one(n: dict) -> tuple[dict, float, float | None, str | None]:
            try:
                predicted, latency = query_axon(n["axon"]["ip"], n["axon"]["port"], batch)
            except OSError as exc:
                return n, 0.0, None, str(exc)
            return n, accuracy(predicted, truth), latency, None

        scores: dict[str, Any] = {}
        now: dict[int, float] = {}
        for n, acc, latency, err in self._pool.map(one, miners):
            key = (n["uid"], n["hotkey"])
            s = 0.0 if latency is None else score(acc, latency)
            ema = s if key not in self.ema else EMA_ALPHA * s + (1 - EMA_ALPHA) * self.ema[key]
            self.ema[key] = ema
            now[n["uid"]] = ema
            scores[str(n["uid"])] = {
                "hotkey": n["hotkey"], "accuracy": round(acc, 4), "score": round(s, 4), "ema": round(ema, 4),
                "latency_ms": None if latency is None else round(latency * 1000, 1), "error": err,
            }
        self.status["scores"] = scores
        weights = weights_from_scores(now)
        best = max(now, key=lambda u: now[u]) if now else None
        self._note(f"scored {len(miners)} miners on {k} held-out digits; best uid {best}",
                   scores={u: v["accuracy"] for u, v in scores.items()})
        return weights

    # ---- copying ----

    def _copy(self, mg: dict, me: dict) -> dict[int, float] | None:
        """The stake-weighted average of the other permitted validators' weights on chain."""
        c = self.client
        total: dict[int, float] = {}
        sources = []
        for n in mg["neurons"]:
            if n["uid"] == me["uid"] or not n["validator_permit"] or n["stake"] <= 0:
                continue
            row = c.neuron(self.netuid, n["uid"])["weights"]
            if not row:
                continue
            s = sum(v for _, v in row)
            for uid, v in row:
                total[uid] = total.get(uid, 0.0) + n["stake"] * v / s
            sources.append({"uid": n["uid"], "last_update": n["last_update"]})
        if not total:
            self.status["copied"] = None
            self._note("nothing to copy: no validator's weights are visible on chain yet "
                       "(commit-reveal keeps this epoch's commits encrypted)")
            return {}
        s = sum(total.values())
        weights = {uid: v / s for uid, v in sorted(total.items())}
        self.status["copied"] = {"sources": sources, "weights": {str(u): round(w, 4) for u, w in weights.items()}}
        newest = max(x["last_update"] for x in sources)
        self._note(f"copied the weights of {len(sources)} validators, set on chain at block {newest}")
        return weights

    # ---- putting weights on chain ----

    def _put_weights(self, sub: dict, weights: dict[int, float], epoch: int) -> None:
        c = self.client
        uids = list(weights)
        values = [weights[u] for u in uids]
        self.status["weights"] = {str(u): round(w, 4) for u, w in weights.items()}
        hp = c.hyperparameters(self.netuid) or {}
        version = hp.get("commit_reveal_version", 4)
        record: dict[str, Any] = {"epoch": epoch, "uids": uids, "weights": [round(v, 4) for v in values]}
        if not sub["commit_reveal_enabled"]:
            r = c.set_weights(self.key, self.netuid, uids, values)
            record.update(kind="set_weights")
        elif version == 4:
            r, rec = c.commit_timelocked_weights(self.key, self.netuid, uids, values)
            record.update(kind="timelocked", reveal_round=rec["reveal_round"], reveal_epoch=rec["reveal_epoch"])
        else:
            r, rec = c.commit_weights(self.key, self.netuid, uids, values)
            period = hp.get("commit_reveal_period", 1)
            self.pending_reveal = {**rec, "reveal_epoch": epoch + period}
            record.update(kind="hash", reveal_epoch=epoch + period)
        record.update(ok=r.success, message=r.message, block=r.block_number)
        self.status["last_commit"] = record
        if r.success:
            self.status["commits"] += 1
            if self.status["first_commit_epoch"] is None:
                self.status["first_commit_epoch"] = epoch
        what = {"set_weights": "set weights", "timelocked": "committed timelocked weights (revealed in epoch "
                f"{record.get('reveal_epoch')})", "hash": "committed hashed weights"}[record["kind"]]
        self._note(f"{what} for {len(uids)} uids: {r}", commit=record)

    def _reveal(self) -> None:
        rec, self.pending_reveal = self.pending_reveal, None
        assert rec is not None
        r = self.client.reveal_weights(self.key, self.netuid, rec["uids"], rec["values"], rec["salt"],
                                       rec["version_key"])
        self._note(f"revealed the hash commit: {r}")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m taochain.demo_subnet.validator",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="ws://127.0.0.1:9944", help="a node's RPC")
    ap.add_argument("--netuid", type=int, default=1)
    ap.add_argument("--hotkey-uri", required=True, help="the validator's hotkey (registered, with stake)")
    ap.add_argument("--samples", type=int, default=300, help="held-out digits per query (0: all 540)")
    ap.add_argument("--copycat", action="store_true", help="copy the weights on chain instead of validating")
    ap.add_argument("--status", type=Path, default=None, help="write the state here as JSON")
    ap.add_argument("--seed", type=int, default=None, help="seed of the query sampling")
    ap.add_argument("--name", default=None, help="the name in logs")
    ap.add_argument("--parent-pid", type=int, default=None, help="exit when this process (the demo) is gone")
    args = ap.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    v = Validator(args.url, args.hotkey_uri, args.netuid, samples=args.samples, copycat=args.copycat,
                  status_path=args.status, seed=args.seed, name=args.name)
    log("started", name=v.name, hotkey=v.key.ss58, copycat=args.copycat)
    try:
        v.run(stop, parent_pid=args.parent_pid)
    finally:
        v.close()
    log("stopped", name=v.name, commits=v.status["commits"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
