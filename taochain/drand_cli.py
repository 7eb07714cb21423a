"""`taochain drand`: the chain's randomness beacon, and offline checks of drand pulses and timelocks.

    taochain drand status [--network local|ws://HOST:PORT] [--json]
    taochain drand verify ROUND SIGNATURE_HEX [--public-key HEX|quicknet] [--backend NAME]
    taochain drand decrypt CIPHERTEXT_HEX (--signature HEX | --round N) [--backend NAME] [--json]

`verify` and `decrypt` run offline when they are given the key or the signature; otherwise they
read it from the connected node (`drand_status`, `drand_getPulse`). Exit codes: 0 done, 1 invalid
(a signature that does not verify, a ciphertext that does not open) or the node refused, 2 malformed
input.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import typer
from rich.table import Table

from taochain.cli_common import NETWORK, console, fail, guard, network_url

app = typer.Typer(
    no_args_is_help=True,
    help="The drand beacon: the chain's pulses, and offline checks of pulse signatures and timelocked commits.",
)

URL = NETWORK
JSON = typer.Option(False, "--json", help="print JSON")
BACKEND = typer.Option(
    None, "--backend", help="BLS12-381 backend: arkworks (native, the default when installed) or py-ecc (pure Python)"
)


def _hex(text: str, what: str, size: int | None = None) -> bytes:
    """Bytes of a hex argument (0x optional); exit 2 with the reason when it is not."""
    t = text.strip()
    t = t[2:] if t[:2].lower() == "0x" else t
    try:
        data = bytes.fromhex(t)
    except ValueError:
        fail(f"{what} is not hex: give the bytes as hex digits (0x optional)", 2)
    if not data:
        fail(f"{what} is empty", 2)
    if size is not None and len(data) != size:
        fail(f"{what} must be {size} bytes ({2 * size} hex digits), got {len(data)}", 2)
    return data


def _backend(name: str | None) -> Any:
    from runtime.support.bls import BlsError, get_backend  # noqa: PLC0415

    try:
        return get_backend(name)
    except BlsError as exc:
        fail(str(exc), 2)


def _round_time(round_: int, genesis: int, period: int) -> int:
    """Unix time at which drand emits `round_` (round 1 at genesis)."""
    return genesis + (round_ - 1) * period


def _age(seconds: float) -> str:
    s = int(max(0, seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h"
    return f"{s // 86400} days"


# ---------------------------------------------------------------------------------------- status


@app.command("status")
@guard
def status(url: str = URL, as_json: bool = JSON) -> None:
    """Show the chain's drand beacon: key, period, last stored round, pending commits.

    The last stored round is shown with its age (and the round drand's clock is at now); pending
    commits are the timelocked weight commits of every subnet still waiting for their round."""
    from taochain.client import Client, drand_round_at  # noqa: PLC0415

    with Client(network_url(url)) as c:
        st = c.drand_status()
        pending: dict[int, list[dict]] = {}
        for s in c.subnets():
            commits = c.timelocked_commits(s["netuid"]) or []
            if commits:
                pending[s["netuid"]] = commits
    now = time.time()
    last = st["lastStoredRound"]
    expected = drand_round_at(now, st["genesisTime"], st["period"])
    age = now - _round_time(last, st["genesisTime"], st["period"]) if last else None
    out = {**st, "clockRound": expected, "lastStoredAge": age,
           "pendingCommits": {str(k): v for k, v in pending.items()}}
    if as_json:
        print(json.dumps(out))
        return
    t = Table(title=f"drand beacon of {url}", show_header=False)
    t.add_column("field")
    t.add_column("value")
    t.add_row("beacon", str(st["beacon"]) + (" (drand's quicknet)" if st["beacon"] == "quicknet" else ""))
    key = st["publicKey"]
    t.add_row("public key", key[:18] + "…" + key[-8:])
    t.add_row("genesis time", f"{st['genesisTime']} ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(st['genesisTime']))})")
    t.add_row("period", f"{st['period']} s")
    if "threshold" in st:
        t.add_row("threshold", f"{st['threshold']} of {st.get('shares', '?')} authorities")
    if last:
        t.add_row("last stored round", f"{last:,} ({_age(age or 0)} old; drand's clock is at round {expected:,})")
        t.add_row("oldest stored round", f"{st['oldestStoredRound']:,}")
    else:
        t.add_row("last stored round", f"none yet (drand's clock is at round {expected:,})")
    kept = f" (at most {st['maxKeptPulses']:,} kept)" if "maxKeptPulses" in st else ""
    t.add_row("stored pulses", f"{st['storedPulses']:,}{kept}")
    shown = {"beacon", "publicKey", "genesisTime", "period", "threshold", "shares", "lastStoredRound",
             "oldestStoredRound", "storedPulses", "maxKeptPulses"}
    node_side = {k: v for k, v in st.items() if k not in shown}
    if node_side:  # what this node's own beacon service reports (shares, partials, pulses loaded)
        t.add_row("this node", ", ".join(f"{k}={v}" for k, v in node_side.items()))
    if pending:
        for netuid, commits in sorted(pending.items()):
            rounds = sorted(x["reveal_round"] for x in commits)
            t.add_row(f"pending commits (subnet {netuid})",
                      f"{len(commits)}, rounds {rounds[0]:,}…{rounds[-1]:,}" if len(rounds) > 1
                      else f"1, round {rounds[0]:,}")
    else:
        t.add_row("pending commits", "none")
    console.print(t)


# ---------------------------------------------------------------------------------------- verify


@app.command("verify")
@guard
def verify(
    round_: int = typer.Argument(..., metavar="ROUND", help="the drand round the signature is for"),
    signature: str = typer.Argument(..., metavar="SIGNATURE_HEX", help="the pulse's signature (48 bytes, hex)"),
    public_key: str | None = typer.Option(
        None, "--public-key",
        help="the beacon's G2 public key (96 bytes, hex), or 'quicknet' for drand's; default: the connected chain's",
    ),
    backend: str | None = BACKEND, url: str = URL, as_json: bool = JSON,
) -> None:
    """Check a drand pulse: is SIGNATURE_HEX the beacon's signature of ROUND?

    drand quicknet scheme (BLS12-381, signatures on G1). Offline with --public-key; otherwise the
    connected node's beacon key is used. Exit 0: valid; 1: invalid; 2: malformed input.

    Example: taochain drand verify 1000 b44679b9…5e39 --public-key quicknet"""
    from runtime.support import bls  # noqa: PLC0415

    if not 0 <= round_ < 1 << 64:
        fail(f"ROUND {round_} is not a u64", 2)
    sig = _hex(signature, "SIGNATURE_HEX", bls.G1_SIZE)
    if public_key is None:
        from taochain.client import Client  # noqa: PLC0415

        with Client(network_url(url)) as c:
            pk_hex = c.drand_status()["publicKey"]
        pk, source = bytes.fromhex(pk_hex[2:]), f"the beacon of {url}"
    elif public_key.strip().lower() == "quicknet":
        pk, source = bls.QUICKNET_PUBLIC_KEY, "drand quicknet"
    else:
        pk, source = _hex(public_key, "--public-key", bls.G2_SIZE), "the given key"
    b = _backend(backend)
    try:
        ok = bls.verify_beacon(pk, round_, sig, b)
    except bls.BlsError as exc:
        fail(f"malformed input: {exc}", 2)
    out = {"round": round_, "valid": ok, "public_key": "0x" + pk.hex(), "backend": b.name,
           "randomness": "0x" + bls.randomness_of(sig).hex() if ok else None}
    if as_json:
        print(json.dumps(out))
    elif ok:
        console.print(f"[green]valid[/green]: the signature of round {round_:,} by {source}\n"
                      f"  randomness {out['randomness']}")
    else:
        console.print(f"[red]invalid[/red]: not the signature of round {round_:,} by {source}")
    if not ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------- decrypt


def _unwrap(data: bytes) -> tuple[bytes, int | None]:
    """The raw ciphertext, and the round when `data` is bittensor-drand's encrypt_at_round output
    (SCALE: Vec<u8> ciphertext, u64 round) rather than the raw ciphertext committed on chain."""
    from runtime.support import tlock  # noqa: PLC0415

    try:
        tlock.parse(data)
        return data, None
    except tlock.TlockError:
        pass
    mode = data[0] & 3
    head = {0: 1, 1: 2, 2: 4}.get(mode)
    if head is None or len(data) < head + 8:
        return data, None
    n = int.from_bytes(data[:head], "little") >> 2
    if head + n + 8 != len(data):
        return data, None
    inner = data[head:head + n]
    try:
        tlock.parse(inner)
    except tlock.TlockError:
        return data, None
    return inner, int.from_bytes(data[-8:], "little")


@app.command("decrypt")
@guard
def decrypt(
    ciphertext: str = typer.Argument(
        ..., metavar="CIPHERTEXT_HEX",
        help="the timelock ciphertext as committed on chain (hex; bittensor-drand's encrypt_at_round output is "
             "unwrapped too), or - to read it from stdin",
    ),
    signature: str | None = typer.Option(None, "--signature", help="the pulse signature of the ciphertext's round (hex)"),
    round_: int | None = typer.Option(
        None, "--round", help="instead of --signature: read that round's pulse from the connected node"
    ),
    backend: str | None = BACKEND, url: str = URL, as_json: bool = JSON,
) -> None:
    """Open a timelock ciphertext (e.g. a timelocked weights commit) with its round's signature.

    Prints the plaintext as hex and, for a weights commit, the hotkey, uids, values and version
    key. Exit 1 when the signature does not open it (wrong round or beacon, tampered ciphertext);
    2 for malformed input."""
    from runtime.support import tlock  # noqa: PLC0415
    from runtime.support.bls import G1_SIZE  # noqa: PLC0415
    from runtime.support.keys import ss58_encode  # noqa: PLC0415

    text = sys.stdin.read() if ciphertext == "-" else ciphertext
    data, wrapped_round = _unwrap(_hex(text, "CIPHERTEXT_HEX"))
    if (signature is None) == (round_ is None):
        fail("give the round's signature with --signature HEX, or --round N to read it from the node", 2)
    if signature is not None:
        sig = _hex(signature, "--signature", G1_SIZE)
    else:
        from taochain.client import Client  # noqa: PLC0415

        with Client(network_url(url)) as c:
            p = c.pulse(round_)
        if p is None:
            fail(f"the node at {url} holds no pulse of round {round_} (not reached yet, or pruned)")
        sig = bytes.fromhex(p["signature"][2:])
    b = _backend(backend)
    try:
        plain = tlock.decrypt(data, sig, b)
    except tlock.TlockError as exc:
        reason = str(exc)
        if as_json:
            print(json.dumps({"decrypted": False, "reason": reason, "round": wrapped_round}))
        else:
            console.print(f"[red]does not decrypt[/red]: {reason}")
        raise typer.Exit(1) from None
    out: dict[str, Any] = {"decrypted": True, "plaintext": "0x" + plain.hex(), "size": len(plain), "backend": b.name}
    try:
        text_form = plain.decode("utf-8")
        out["text"] = text_form if text_form.isprintable() else None
    except UnicodeDecodeError:
        out["text"] = None
    if wrapped_round is not None:
        out["round"] = wrapped_round
    try:
        hot, uids, values, vk = tlock.decode_weights_payload(plain)
    except tlock.TlockError:
        weights = None
    else:
        weights = {"hotkey": ss58_encode(hot) if hot is not None and len(hot) == 32 else (None if hot is None else "0x" + hot.hex()),
                   "uids": list(uids), "values": list(values), "version_key": vk}
    out["weights"] = weights
    if as_json:
        print(json.dumps(out))
        return
    console.print(f"plaintext ({len(plain)} bytes): {out['plaintext']}", soft_wrap=True, highlight=False)
    if out["text"]:
        console.print(f"as text: {out['text']!r}", highlight=False, markup=False)
    if weights is not None:
        console.print("weights payload:")
        console.print(f"  hotkey       {weights['hotkey'] or '(legacy payload without hotkey)'}")
        console.print(f"  version key  {vk}")
        console.print("  uid: value   " + ", ".join(f"{u}: {v}" for u, v in zip(uids, values, strict=True)),
                      soft_wrap=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="drand")
