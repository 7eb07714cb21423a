"""Chain specs for the nodes a launcher starts (Substrate's `build-spec`): a local testnet's spec for
given authorities with a freshly dealt t-of-n threshold beacon, and the JSON file that
`taochain node --chain FILE` reads.

The spec is `runtime.presets.local(n)` (Alice is sudo, the dev accounts are funded, short tempos)
with the authorities' keys, the slot duration and a local beacon whose polynomial coefficients are
random (not the public dev seed): its section lists the group key, each share's public key, t, the
start time and the period; the n secret shares go to the nodes, share i to authority i-1 (each in its
own file, node/beacon.py `write_share_file`).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from runtime.presets import ChainSpec, DrandSpec, default_threshold, local
from runtime.support import bls

__all__ = ["ChainSpec", "DrandSpec", "deal_beacon", "default_threshold", "testnet_spec", "write_chain_spec"]


def deal_beacon(n: int, threshold: int, period: int, genesis_time: int | None = None) -> tuple[DrandSpec, list[int]]:
    """A fresh local t-of-n beacon: its chain-spec section (dev_seed False) and the n secret shares
    (share i belongs to authority i-1), from random coefficients; it starts now unless `genesis_time`."""
    coeffs = [1 + secrets.randbelow(bls.R - 1) for _ in range(threshold)]
    group_pk, shares, share_pks = bls.deal_shares(coeffs, n)
    start = int(time.time()) if genesis_time is None else genesis_time
    return DrandSpec("local", group_pk, start, period, 216_000, threshold, tuple(share_pks), False), shares


def testnet_spec(
    authorities: Sequence[bytes], *, slot_duration_ms: int = 1000, beacon_period: int = 3,
    beacon_threshold: int | None = None,
) -> tuple[ChainSpec, list[int]]:
    """The chain spec of a local testnet of `authorities` (ed25519 public keys, in authority order)
    and the secret beacon shares, one per authority (t = a majority unless `beacon_threshold`)."""
    n = len(authorities)
    threshold = default_threshold(n) if beacon_threshold is None else beacon_threshold
    drand, shares = deal_beacon(n, threshold, beacon_period)
    spec = dataclasses.replace(local(n), authorities=tuple(authorities), drand=drand)
    return spec.with_slot_duration(slot_duration_ms), shares


def write_chain_spec(spec: ChainSpec, path: Path) -> Path:
    """Write `spec` as the JSON file `taochain node --chain PATH` reads; the path."""
    path = Path(path)
    path.write_text(spec.dumps())
    return path
