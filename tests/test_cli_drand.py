"""`taochain drand verify|decrypt` offline, on drand quicknet's round 1000 and timelock ciphertexts
made by bittensor-drand (the library Bittensor's SDK commits weights with)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from runtime.support import bls
from taochain.cli import app

runner = CliRunner()
SIG_1000 = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
RANDOMNESS_1000 = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
SIG_12040883 = "929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec895bb6868e5b9ff13ab289bdb5266b394"
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(b not in bls.available(), reason=f"{b} not installed"))
            for b in bls.BACKENDS]


def run(*args: str, code: int = 0) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # no traceback
    return r.output


def unwrap(scale: bytes) -> bytes:
    """The raw ciphertext of encrypt_at_round's SCALE(Vec<u8>, u64 round)."""
    mode = scale[0] & 3
    head = {0: 1, 1: 2, 2: 4}[mode]
    n = int.from_bytes(scale[:head], "little") >> 2
    assert head + n + 8 == len(scale)
    return scale[head:head + n]


@pytest.fixture(scope="module")
def ciphertext() -> bytes:
    bd = pytest.importorskip("bittensor_drand")
    out = bd.encrypt_at_round(b"taochain drand test", 1000)
    scale = out[0] if isinstance(out, tuple) else out
    return unwrap(bytes(scale))


def test_verify_quicknet_round_1000() -> None:
    out = run("drand", "verify", "1000", SIG_1000, "--public-key", "quicknet")
    assert "valid" in out and RANDOMNESS_1000 in out
    data = json.loads(run("drand", "verify", "1000", "0x" + SIG_1000, "--public-key", "quicknet", "--json"))
    assert data["valid"] is True and data["randomness"] == "0x" + RANDOMNESS_1000
    key = bls.QUICKNET_PUBLIC_KEY.hex()
    assert "valid" in run("drand", "verify", "1000", SIG_1000, "--public-key", key, "--backend", "py-ecc")


def test_verify_refuses_another_round_and_bad_input() -> None:
    out = run("drand", "verify", "1001", SIG_1000, "--public-key", "quicknet", code=1)
    assert "invalid" in out
    assert json.loads(run("drand", "verify", "1001", SIG_1000, "--public-key", "quicknet", "--json", code=1))[
        "valid"] is False
    assert "not hex" in run("drand", "verify", "1000", "xyz", "--public-key", "quicknet", code=2)
    assert "must be 48 bytes" in run("drand", "verify", "1000", SIG_1000[:-2], "--public-key", "quicknet", code=2)
    assert "must be 96 bytes" in run("drand", "verify", "1000", SIG_1000, "--public-key", "abcd", code=2)
    # 48 bytes that are no curve point: malformed, not merely invalid
    assert "malformed" in run("drand", "verify", "1000", "ff" * 48, "--public-key", "quicknet", code=2)
    assert "unknown BLS backend" in run("drand", "verify", "1000", SIG_1000, "--public-key", "quicknet",
                                        "--backend", "nope", code=2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_decrypt_a_bittensor_drand_ciphertext(ciphertext: bytes, backend: str) -> None:
    out = run("drand", "decrypt", ciphertext.hex(), "--signature", SIG_1000, "--backend", backend)
    assert b"taochain drand test".hex() in out and "'taochain drand test'" in out
    data = json.loads(run("drand", "decrypt", "0x" + ciphertext.hex(), "--signature", SIG_1000, "--backend",
                          backend, "--json"))
    assert data["plaintext"] == "0x" + b"taochain drand test".hex() and data["weights"] is None


def test_decrypt_refuses_another_rounds_signature(ciphertext: bytes) -> None:
    out = run("drand", "decrypt", ciphertext.hex(), "--signature", SIG_12040883, code=1)
    assert "does not decrypt" in out and "wrong round" in out
    data = json.loads(run("drand", "decrypt", ciphertext.hex(), "--signature", SIG_12040883, "--json", code=1))
    assert data["decrypted"] is False and data["reason"]
    assert "not hex" in run("drand", "decrypt", "nothex", "--signature", SIG_1000, code=2)
    assert "--signature HEX, or --round N" in run("drand", "decrypt", ciphertext.hex(), code=2)
    assert "does not decrypt" in run("drand", "decrypt", ciphertext[:50].hex(), "--signature", SIG_1000, code=1)


def test_decrypt_a_weights_commit() -> None:
    """A commit as bittensor-drand's get_encrypted_commit_v2 makes it (the raw ciphertext committed
    on chain): the payload's hotkey, uids and values are shown."""
    bd = pytest.importorskip("bittensor_drand")
    from runtime.support import tlock
    from runtime.support.keys import keypair_from_uri

    hot = keypair_from_uri("//Bob//v")
    payload = tlock.encode_weights_payload(hot.public, [0, 3], [65535, 21845], 5)
    ct = tlock.encrypt(bls.QUICKNET_PUBLIC_KEY, 1000, payload, bytes(range(76)))
    data = json.loads(run("drand", "decrypt", ct.hex(), "--signature", SIG_1000, "--json"))
    assert data["weights"] == {"hotkey": hot.ss58, "uids": [0, 3], "values": [65535, 21845], "version_key": 5}
    out = run("drand", "decrypt", ct.hex(), "--signature", SIG_1000)
    assert hot.ss58 in out and "0: 65535, 3: 21845" in out
    assert bd is not None


def test_drop_reasons_reach_the_sdk_through_the_metadata() -> None:
    """The SDK names a dropped commit's reason from the metadata: the event lists the pallet's
    DropReason codes (index, name, doc) under "enums"."""
    from pallets.subtensor.events import DropReason
    from runtime.construct import Runtime

    md = Runtime().metadata()
    sub = next(p for p in md["pallets"] if p["name"] == "SubtensorModule")
    ev = next(e for e in sub["events"] if e["name"] == "TimelockedWeightsDropped")
    codes = ev["enums"]["reason"]
    assert [(c["index"], c["name"]) for c in codes] == [(int(r), r.name) for r in DropReason]
    assert [c["name"] for c in codes] == ["PulseMissing", "Undecryptable", "BadPayload", "HotkeyMismatch",
                                          "SetWeightsFailed"]
    assert all(len(c["doc"].split("\n")) == 2 for c in codes)  # the cause, then the fix
