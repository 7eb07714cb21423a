"""Golden JSON of every view record: each runtime API of the runtime's table, called on one scripted
chain, must give exactly the JSON in tests/vectors/views.json (the shapes the RPC, the SDK and the
CLI see). A new API, or a new record type, without a golden entry fails here.

Regenerate after an intended change with `TAOCHAIN_UPDATE_GOLDEN=1 pytest tests/subtensor/test_views_golden.py`
and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import ALICE, BOB, CHARLIE, TAO, ChainBuilder
from st_helpers import S, admin, hk, make_subnet, ok, register, spec_with

from runtime.construct import Pulse
from runtime.presets import quicknet
from runtime.support import bls
from runtime.support.api import view_json

GOLDEN = Path(__file__).resolve().parents[1] / "vectors" / "views.json"
SIG1000 = bytes.fromhex(  # drand quicknet's published round-1000 signature
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
)
OWNER, VAL, M1 = hk("owner"), hk("val"), hk("m1")


def _scripted() -> tuple[ChainBuilder, dict[str, Any]]:
    """Two subnets (hash commits on 1, timelocked on 2), three neurons, a delegate with two
    nominators, an axon, a weight commit of each kind, a stored pulse."""
    spec = dataclasses.replace(spec_with({"max_allowed_validators": 2}), drand=quicknet())
    chain = ChainBuilder(spec)
    chain.author(inherents=[chain.pulse_inherent([Pulse(1000, bls.randomness_of(SIG1000), SIG1000)])])
    hashed = make_subnet(chain, ALICE, OWNER, start=True)
    timelocked = make_subnet(chain, BOB, hk("owner2"), start=True)
    admin(chain, "sudo_set_commit_reveal_version", hashed, 2)
    uid_val = register(chain, hashed, VAL, BOB)
    register(chain, hashed, M1, CHARLIE)
    register(chain, timelocked, VAL, BOB)
    ok(chain, BOB, S, "add_stake", VAL.public, 10 * TAO)
    ok(chain, BOB, S, "become_delegate", VAL.public)
    ok(chain, ALICE, S, "add_stake", VAL.public, 3 * TAO)
    ok(chain, M1, S, "serve_axon", hashed, 4, 0x08080404, 8091, 4, 0, 0, 0)
    ok(chain, VAL, S, "commit_weights", hashed, bytes(range(32)))
    ok(chain, VAL, S, "commit_timelocked_weights", timelocked, bytes(range(200)), 1000, 4)
    args = {
        "netuid": hashed, "uid": uid_val, "hotkey": VAL.public, "coldkey": BOB.public, "account": ALICE.public,
        "round": 1000,
    }
    return chain, {"hashed": hashed, "timelocked": timelocked, "args": args}


# API -> which subnet its netuid argument is (others take none)
_SUBNET_OF = {"SubnetInfoRuntimeApi_get_timelocked_commits": "timelocked"}


def _calls(chain: ChainBuilder, info: dict[str, Any]) -> dict[str, Any]:
    rt = chain.runtime
    out: dict[str, Any] = {}
    for name, (api, _pallet) in sorted(rt.apis.items()):
        args = [info["args"][p] for p, _ in api.params]
        if any(p == "netuid" for p, _ in api.params):
            args[0] = info[_SUBNET_OF.get(name, "hashed")]
        out[name] = rt.call_api(name, chain.backend, chain.number, *args)
    return out


@pytest.fixture(scope="module")
def views() -> dict[str, Any]:
    chain, info = _scripted()
    return _calls(chain, info)


def _records(v: Any, seen: set[type]) -> None:
    if isinstance(v, tuple | list):
        for x in v:
            _records(x, seen)
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        seen.add(type(v))
        for f in dataclasses.fields(v):
            _records(getattr(v, f.name), seen)


def test_every_view_matches_its_golden_json(views: dict[str, Any]) -> None:
    got = {name: view_json(v) for name, v in views.items()}
    if os.environ.get("TAOCHAIN_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(golden), "runtime APIs without a golden entry (or gone)"
    for name in sorted(got):
        assert got[name] == golden[name], name


def test_every_view_record_type_is_covered(views: dict[str, Any]) -> None:
    from pallets.drand import rpc_info as drand_info
    from pallets.subtensor import rpc_info as subtensor_info

    declared = {
        obj for mod in (subtensor_info, drand_info) for obj in vars(mod).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == mod.__name__
    }
    seen: set[type] = set()
    _records(list(views.values()), seen)
    assert declared - seen == set(), "view records no golden view shows"


def test_views_are_not_empty(views: dict[str, Any]) -> None:
    """The scenario fills what the golden file checks: no API answers only None or ()."""
    empty = [name for name, v in views.items() if v in (None, (), 0) and not name.endswith("account_nonce")]
    assert empty == []
