"""Golden vectors: the scripted 100-block chain, encodings, storage keys (tests/vectors/golden.json).

A failure here means a consensus change: regenerate with tests/vectors/generate.py and review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parent / "vectors"
sys.path.insert(0, str(VECTORS))

from generate import build  # noqa: E402


@pytest.fixture(scope="module")
def built() -> dict:
    return build()


GOLDEN = json.loads((VECTORS / "golden.json").read_text())


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(built: dict, name: str) -> None:
    assert built[name] == GOLDEN[name]


def test_outside_vectors() -> None:
    """Numbers from outside the project: Substrate's System.Account prefix (spec/subtensor.md), and
    the account of sr25519 //Alice (0xd43593c7...a27d) at the end of its key (blake2_128concat)."""
    key = GOLDEN["storage_key_system_account_alice"]
    assert key.startswith("0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9")
    assert key.endswith("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    assert GOLDEN["storage_prefix_balances_total_issuance"] == (
        "0xc2261276cc9d1f8598ea4b6a74b15c2f57c875e4cff74148e4628f264b974c80"
    )


def test_scripted_chain_keeps_invariants() -> None:
    from scripted import scripted_chain

    chain = scripted_chain(30)
    chain.try_state()
    assert chain.number == 30


def test_every_wire_type_has_golden_bytes() -> None:
    """Chia's habit: a wire type without committed golden bytes fails here."""
    from generate import import_project, sample_obj

    from runtime.support.codec import WIRE_TYPES, decode_obj

    import_project()  # every module, so every wire type is registered

    golden = GOLDEN["wire_types"]
    for cls in WIRE_TYPES:
        if cls.__module__.split(".")[0] not in ("runtime", "pallets", "node", "p2p", "taochain"):
            continue  # test-local types
        name = f"{cls.__module__}.{cls.__qualname__}"
        assert name in golden, f"{name} has no golden vector: run tests/vectors/generate.py"
        raw = bytes.fromhex(golden[name][2:])
        assert decode_obj(cls, raw) == sample_obj(cls)
