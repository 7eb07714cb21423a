"""sr25519 keys (schnorrkel, Substrate's default scheme) beside ed25519, checked against the published
subkey, sp-core and py-substrate-interface vectors in tests/vectors/sr25519.json."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from runtime.support.keys import (
    DEV_ACCOUNTS,
    DEV_PHRASE,
    SR25519_SECRET_LEN,
    InvalidKey,
    Keypair,
    dev_keypair,
    keypair_from_mnemonic,
    keypair_from_seed,
    keypair_from_uri,
    ss58_encode,
    verify,
    verify_multi,
    verify_sr25519,
)
from taochain.cli import app

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "sr25519.json").read_text())
ALICE_SR = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
ALICE_ED = bytes.fromhex("88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee")


def _sr(uri: str) -> Keypair:
    return keypair_from_uri(uri, scheme="sr25519")


# --- published vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["uris"], ids=lambda v: f"{v['uri'][-40:]}@{v['prefix']}")
def test_uri_vectors(vector):
    pair = _sr(vector["uri"])
    assert pair.scheme == "sr25519"
    if vector["public"] is not None:
        assert pair.public.hex() == vector["public"]
    if vector["ss58"] is not None:
        assert ss58_encode(pair.public, vector["prefix"]) == vector["ss58"]


@pytest.mark.parametrize("vector", VECTORS["seeds"], ids=lambda v: v["seed"][:8])
def test_seed_vectors(vector):
    seed = bytes.fromhex(vector["seed"])
    assert keypair_from_seed(seed, scheme="sr25519").public.hex() == vector["public"]
    assert _sr("0x" + vector["seed"]).public.hex() == vector["public"]


@pytest.mark.parametrize("vector", VECTORS["signatures"], ids=lambda v: v["source"][:30])
def test_signature_vectors(vector):
    if vector["public"] is None:
        public = keypair_from_seed(bytes.fromhex(vector["seed"]), scheme="sr25519").public
    else:
        public = bytes.fromhex(vector["public"])
    message = vector["message_text"].encode()
    assert verify_sr25519(public, message, bytes.fromhex(vector["signature"])) is vector["valid"]


def test_dev_accounts_and_defaults():
    assert dev_keypair("Alice", scheme="sr25519").public == ALICE_SR
    assert dev_keypair("Alice", scheme="sr25519").ss58 == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    for name in DEV_ACCOUNTS:
        assert dev_keypair(name, "sr25519") == _sr(f"{DEV_PHRASE}//{name}")
        assert dev_keypair(name, "sr25519").public != dev_keypair(name, "ed25519").public
    # Every default is sr25519, as Substrate's; ed25519 when asked.
    for pair in (keypair_from_uri("//Alice"), dev_keypair("Alice"), keypair_from_mnemonic(DEV_PHRASE)):
        assert pair.scheme == "sr25519"
    assert keypair_from_uri("//Alice").public == ALICE_SR
    assert keypair_from_uri("//Alice", scheme="ed25519").public == ALICE_ED
    assert keypair_from_uri("//Alice") == keypair_from_uri("//Alice", scheme="sr25519")
    assert keypair_from_seed(bytes(32)) == keypair_from_seed(bytes(32), "sr25519")
    assert len(keypair_from_uri("//Alice", scheme="ed25519").seed) == 32


# --- derivation ------------------------------------------------------------------------------------


def test_password_and_mnemonic():
    # sp-core default_phrase_should_be_used: "//Alice///password" == DEV_PHRASE//Alice with password.
    with_password = _sr("//Alice///password")
    assert with_password == _sr(f"{DEV_PHRASE}//Alice///password")
    assert with_password != _sr("//Alice")
    phrase = "soup lyrics media market way crouch elevator put moon useful question wide"
    assert keypair_from_mnemonic(phrase, "extra_secret", scheme="sr25519") == _sr(phrase + "///extra_secret")
    assert _sr("//Alice///") == _sr("//Alice")


def test_soft_derivation():
    # sp-core derive_soft_should_work: the same soft junction gives the same key, another one not
    seed = "0x" + VECTORS["seeds"][0]["seed"]
    base, one, one_again, two = _sr(seed), _sr(seed + "/1"), _sr(seed + "/1"), _sr(seed + "/2")
    assert one.public == one_again.public and one == one_again
    assert one.public not in (two.public, base.public)
    # a soft junction is not a hard one, though both chain codes are SCALE(u64 1)
    assert _sr(seed + "//1").public != one.public
    # sp-core: the dev phrase with soft junction /Alice, with or without the explicit phrase
    assert _sr("/Alice") == _sr(f"{DEV_PHRASE}/Alice")
    # a soft-derived key signs like any other
    message = b"soft"
    assert verify_sr25519(one.public, message, one.sign(message))


def test_secret_key_uri_continues_a_derivation():
    stash = _sr("//Alice//stash")
    alice = _sr("//Alice")
    assert len(alice.seed) == SR25519_SECRET_LEN
    assert _sr("0x" + alice.seed.hex()) == alice
    assert _sr("0x" + alice.seed.hex() + "//stash") == stash
    assert _sr("0x" + alice.seed.hex() + "/1") == _sr("//Alice/1")
    with pytest.raises(InvalidKey, match="hexadecimal"):
        _sr("0x" + "zz" * SR25519_SECRET_LEN)
    with pytest.raises(InvalidKey, match="64 hex digits .a seed. or 128"):
        _sr("0x" + "00" * 40)


def test_soft_derivation_refused_for_ed25519():
    for uri in ("//Alice/1", "/Alice", "//Alice/soft//hard"):
        with pytest.raises(InvalidKey, match="soft derivation .* not possible for ed25519"):
            keypair_from_uri(uri, scheme="ed25519")
        _sr(uri)  # fine for sr25519


def test_unknown_scheme():
    for call in (
        lambda: keypair_from_uri("//Alice", scheme="ecdsa"),
        lambda: keypair_from_seed(bytes(32), scheme="Sr25519"),
        lambda: dev_keypair("Alice", scheme=""),
        lambda: Keypair(ALICE_SR, bytes(64), "sr2519"),
        lambda: verify_multi("ecdsa", ALICE_SR, b"m", bytes(64)),
    ):
        with pytest.raises(InvalidKey, match="unknown signature scheme"):
            call()


def test_keypair_construction():
    alice = _sr("//Alice")
    assert Keypair(alice.public, alice.seed, "sr25519") == alice
    assert alice.seed.hex() not in repr(alice) and "sr25519" in repr(alice)
    with pytest.raises(InvalidKey, match="does not belong"):
        Keypair(_sr("//Bob").public, alice.seed, "sr25519")
    with pytest.raises(InvalidKey, match="64 bytes"):
        Keypair(alice.public, alice.seed[:32], "sr25519")
    with pytest.raises(InvalidKey, match="not an sr25519 secret key"):
        Keypair(alice.public, b"\xff" * 64, "sr25519")  # scalar not canonical
    with pytest.raises(InvalidKey, match="32 bytes"):
        Keypair(alice.public, alice.seed, "ed25519")  # an sr25519 secret is no ed25519 seed
    with pytest.raises(AttributeError):
        alice.scheme = "ed25519"
    # a pair of each scheme with the same bytes are different pairs
    assert keypair_from_seed(bytes(32), "ed25519") != keypair_from_seed(bytes(32), "sr25519")
    assert Keypair(alice.public, alice.seed) == alice  # the dataclass is sr25519 unless told


# --- signatures ------------------------------------------------------------------------------------


def test_sign_verify():
    alice, bob = _sr("//Alice"), _sr("//Bob")
    message = b"transfer 1 TAO"
    signature = alice.sign(message)
    assert len(signature) == 64
    assert verify_sr25519(alice.public, message, signature) is True
    assert verify_sr25519(bytearray(alice.public), memoryview(message), bytearray(signature)) is True
    assert verify_multi("sr25519", alice.public, message, signature) is True
    assert not verify_sr25519(bob.public, message, signature)
    assert not verify_sr25519(alice.public, message + b"!", signature)
    assert not verify_sr25519(alice.public, message, bob.sign(message))
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_sr25519(alice.public, message, flipped)
    # randomized signing: two signatures of one message differ, both verify
    again = alice.sign(message)
    assert again != signature and verify_sr25519(alice.public, message, again)


def test_schemes_do_not_cross():
    message = b"same message"
    ed, sr = keypair_from_uri("//Alice", scheme="ed25519"), _sr("//Alice")
    ed_sig, sr_sig = ed.sign(message), sr.sign(message)
    assert verify_multi("ed25519", ed.public, message, ed_sig)
    assert verify(ed.public, message, ed_sig) and verify_sr25519(sr.public, message, sr_sig)
    for public in (ed.public, sr.public):
        assert not verify_sr25519(public, message, ed_sig)
        assert not verify(public, message, sr_sig)
        assert not verify_multi("sr25519", public, message, ed_sig)
        assert not verify_multi("ed25519", public, message, sr_sig)


@pytest.mark.parametrize(
    ("public", "message", "signature"),
    [
        (bytes(31), b"m", bytes(64)),
        (bytes(33), b"m", bytes(64)),
        (ALICE_SR, b"m", bytes(63)),
        (ALICE_SR, b"m", bytes(65)),
        (ALICE_SR, b"m", bytes(64)),  # no schnorrkel marker bit
        (ALICE_SR, b"m", bytes(63) + b"\x80"),  # marked, zero R and s
        (ALICE_SR, b"m", b"\xff" * 64),  # s not canonical
        (b"\xff" * 32, b"m", bytes(63) + b"\x80"),  # not a Ristretto point
        ("not bytes", b"m", bytes(64)),
        (ALICE_SR, "text", bytes(64)),
        (ALICE_SR, b"m", None),
        (None, None, None),
        (12, 3, 4.5),
    ],
)
def test_verify_returns_false_on_garbage(public, message, signature):
    assert verify_sr25519(public, message, signature) is False
    assert verify_multi("sr25519", public, message, signature) is False


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=31, max_size=33), st.binary(max_size=64), st.binary(min_size=63, max_size=65))
def test_verify_never_raises(public, message, signature):
    assert verify_sr25519(public, message, signature) in (True, False)
    marked = signature[:63] + bytes([signature[63] | 0x80]) if len(signature) == 64 else signature
    assert verify_sr25519(public, message, marked) in (True, False)


# --- CLI -------------------------------------------------------------------------------------------


def test_key_inspect_scheme():
    runner = CliRunner()
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--scheme", "sr25519", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {
        "uri": "//Alice",
        "public_key": "0x" + ALICE_SR.hex(),
        "ss58": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
    }
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--json"])
    assert json.loads(r.output)["public_key"] == "0x" + ALICE_SR.hex()  # sr25519 unless --scheme
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--scheme", "ed25519", "--json"])
    assert json.loads(r.output)["public_key"] == "0x" + ALICE_ED.hex()
    r = runner.invoke(app, ["key", "inspect", "//Alice/soft", "--scheme", "sr25519"])
    assert r.exit_code == 0 and "sr25519" in r.output
    r = runner.invoke(app, ["key", "inspect", "//Alice", "--scheme", "ecdsa"])
    assert r.exit_code == 2 and "unknown signature scheme" in r.output
