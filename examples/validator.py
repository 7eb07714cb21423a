"""A minimal taochain validator: each epoch it reads the metagraph, queries the miners' axons with
a trivial task (POST /forward {"task": "sum", "numbers": [...]}), scores the answers (1 for a right
sum, 0 otherwise, less for slow answers) and sends the scores as weights:

- commit-reveal off: set_weights;
- commit_reveal_version 4 (the default): commit_timelocked_weights; the chain reveals them itself
  in the reveal epoch once the drand round's pulse is stored;
- commit_reveal_version 2: commit_weights, then reveal_weights in the reveal epoch.

    python examples/validator.py --url ws://127.0.0.1:9944 --netuid 1 \\
        --coldkey //Bob --hotkey //Bob//validator --stake 100 --epochs 3 --wait-landed 60

The hotkey is registered by burn if it has no uid, and `--stake` TAO are staked on it (a validator
permit goes by stake, at an epoch); the validator waits for its permit before weighting.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import urllib.request
from typing import Any

from runtime.support.keys import keypair_from_uri
from taochain import Client
from taochain.client import epoch_of_block
from taochain.metagraph import AxonInfo

TAO = 10**9


def query(axon: AxonInfo, timeout: float) -> float:
    """Score one miner: 1 for the right sum within the timeout (minus a little per second taken)."""
    numbers = [random.randint(0, 1000) for _ in range(5)]
    body = json.dumps({"task": "sum", "numbers": numbers}).encode()
    req = urllib.request.Request(axon.url + "/forward", body, {"Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            out = json.loads(resp.read())
    except (OSError, ValueError):
        return 0.0
    if out.get("result") != sum(numbers) or out.get("hotkey") != axon.hotkey:
        return 0.0
    return max(0.1, 1.0 - 0.1 * (time.monotonic() - t0))


def best(c: Client) -> int:
    return int(c.header()["number"], 16)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="local", help="node URL or 'local' (default)")
    ap.add_argument("--netuid", type=int, default=1)
    ap.add_argument("--coldkey", default="//Bob", help="URI of the coldkey (pays the burn and the stake)")
    ap.add_argument("--hotkey", default="//Bob//validator", help="URI of the validator's hotkey")
    ap.add_argument("--stake", type=float, default=100.0, help="TAO to have staked on the hotkey")
    ap.add_argument("--epochs", type=int, default=0, help="stop after sending weights this many times (0: never)")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds per axon query")
    ap.add_argument("--wait-landed", type=float, default=0,
                    help="at the end, wait up to this many seconds for the weights to be on chain")
    args = ap.parse_args()

    cold, hot = keypair_from_uri(args.coldkey), keypair_from_uri(args.hotkey)
    netuid = args.netuid
    with Client(args.url) as c:
        mg = c.metagraph(netuid)
        if mg is None:
            raise SystemExit(f"there is no subnet {netuid}")
        if hot.ss58 not in mg.hotkeys:
            ok, msg = c.burned_register(cold, netuid, hot)
            if not ok:
                raise SystemExit(f"registration failed: {msg}")
            mg.sync()
        uid = mg.hotkeys.index(hot.ss58)
        missing = int(args.stake * TAO) - int(mg.S[uid] * TAO)
        if missing > TAO // 1000:
            ok, msg = c.add_stake(cold, hot, missing)
            print(f"staking {missing / TAO:.3f} TAO on uid {uid}: {msg}", flush=True)
        print(f"validator {hot.ss58} has uid {uid} on subnet {netuid}", flush=True)

        sent, last_epoch, reveals = 0, None, []  # reveals: v2 commit records waiting for their epoch
        last_values: dict[int, int] = {}
        while not args.epochs or sent < args.epochs:
            mg.sync()
            hp: dict[str, Any] = mg.hparams
            epoch = epoch_of_block(mg.block, mg.tempo, netuid)
            for rec in list(reveals):  # hash commits (v2): reveal in their reveal epoch
                pend = {p["hash"]: p for p in c.pending_commits(netuid, hot) or []}
                p = pend.get(rec["hash"])
                if p is None:
                    reveals.remove(rec)
                elif p["reveal_epoch"] == epoch:
                    r = c.reveal_weights(hot, netuid, rec["uids"], rec["values"], rec["salt"], rec["version_key"])
                    print(f"epoch {epoch}: reveal: {r}", flush=True)
                    reveals.remove(rec)
            if epoch == last_epoch:
                time.sleep(0.25)
                continue
            last_epoch = epoch
            if not mg.validator_permit[uid]:
                print(f"epoch {epoch}: no validator permit yet (stake {mg.S[uid]:.2f} TAO); waiting", flush=True)
                continue
            miners = [u for u in range(mg.n) if u != uid and mg.axons[u].is_serving]
            scores = {u: query(mg.axons[u], args.timeout) for u in miners}
            if not any(scores.values()):
                print(f"epoch {epoch}: no miner answered ({len(miners)} serving); nothing to weight", flush=True)
                continue
            uids = [u for u, s in scores.items() if s > 0]
            weights = [scores[u] for u in uids]
            version_key = hp.get("weights_version", 0)
            if hp.get("commit_reveal_weights_enabled") and hp.get("commit_reveal_version") == 4:
                r, rec = c.commit_timelocked_weights(hot, netuid, uids, weights, version_key=version_key)
                how = f"timelocked commit (drand round {rec['reveal_round']}, reveal epoch {rec['reveal_epoch']})"
            elif hp.get("commit_reveal_weights_enabled"):
                r, rec = c.commit_weights(hot, netuid, uids, weights, version_key=version_key)
                reveals.append(rec)
                how = "hash commit"
            else:
                r = c.set_weights(hot, netuid, uids, weights, version_key=version_key)
                rec = {"values": [round(w / max(weights) * 0xFFFF) for w in weights]}
                how = "set_weights"
            ok, msg = r
            print(f"epoch {epoch}: scores {scores} -> {how}: {msg}", flush=True)
            if ok:
                sent += 1
                last_values = dict(zip(uids, rec["values"], strict=True))
        deadline = time.monotonic() + args.wait_landed
        while last_values and time.monotonic() < deadline:
            if reveals:  # v2: keep revealing
                time.sleep(0.25)
                mg.sync()
                epoch = epoch_of_block(mg.block, mg.tempo, netuid)
                for rec in list(reveals):
                    r = c.reveal_weights(hot, netuid, rec["uids"], rec["values"], rec["salt"], rec["version_key"])
                    if r.success or r.error != "SubtensorModule.RevealTooEarly":
                        reveals.remove(rec)
                continue
            on_chain = {u: v for u, v in c.neuron(netuid, uid)["weights"]}
            if on_chain == last_values:
                print(f"weights landed on chain: {on_chain}", flush=True)
                break
            time.sleep(0.5)
        else:
            if last_values and args.wait_landed:
                raise SystemExit("the weights did not land in time")


if __name__ == "__main__":
    main()
