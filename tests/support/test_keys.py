"""Ed25519 keys, Substrate secret URIs and SS58, checked against published subkey/sp-core vectors."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.support import keys
from runtime.support.keys import (
    DEV_ACCOUNTS,
    DEV_PHRASE,
    ED25519,
    SR25519,
    InvalidKey,
    b58decode,
    b58encode,
    derive_hard,
    dev_keypair,
    junction_chain_code,
    mini_secret_from_mnemonic,
    mnemonic_entropy,
    parse_account,
    parse_secret_uri,
    scale_compact,
    ss58_decode,
    ss58_decode_with_prefix,
    ss58_encode,
    verify,
)

# This file is about ed25519 keys, so its constructors ask for ed25519 (sr25519, the default, is
# tests/support/test_sr25519.py).


def keypair_from_uri(uri, scheme=ED25519):
    return keys.keypair_from_uri(uri, scheme)


def keypair_from_seed(seed, scheme=ED25519):
    return keys.keypair_from_seed(seed, scheme)


def keypair_from_mnemonic(phrase, password="", scheme=ED25519):
    return keys.keypair_from_mnemonic(phrase, password, scheme)


def Keypair(public, seed, scheme=ED25519):  # noqa: N802 - the dataclass, ed25519 here
    return keys.Keypair(public, seed, scheme)


def test_accounts_are_sr25519_unless_told():
    """Substrate's default: `//Alice` is 5GrwvaEF... (sr25519), as `subkey inspect //Alice`."""
    alice = keys.keypair_from_uri("//Alice")
    assert alice.scheme == SR25519 and alice == dev_keypair("Alice")
    assert alice.ss58 == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert alice.public.hex() == "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
    assert keys.keypair_from_seed(bytes(32)).scheme == SR25519
    assert keys.keypair_from_mnemonic(DEV_PHRASE).scheme == SR25519
    assert dev_keypair("Alice", ED25519).ss58 == "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"

# `subkey inspect --scheme ed25519 //<Name>`: (secret seed, SS58 address). Published in many places,
# e.g. polkadot-js keyring fixtures (edAccount), Substrate dev chain specs (grandpa keys), gossamer's
# keyring (ed25519PrivateKeys), ChainX docs.
DEV_VECTORS = {
    "Alice": (
        "abf8e5bdbe30c65656c0a3cbd181ff8a56294a69dfedd27982aace4a76909115",
        "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
    ),
    "Bob": (
        "3b7b60af2abcd57ba401ab398f84f4ca54bd6b2140d2503fbcf3286535fe3ff1",
        "5GoNkf6WdbxCFnPdAnYYQyCjAKPJgLNxXwPjwTh6DGg6gN3E",
    ),
    "Charlie": (
        "072c02fa1409dc37e03a4ed01703d4a9e6bba9c228a49a00366e9630a97cba7c",
        "5DbKjhNLpqX3zqZdNBc9BGb4fHU1cRBaDhJUskrvkwfraDi6",
    ),
    "Dave": (
        "771f47d3caf8a2ee40b0719e1c1ecbc01d73ada220cf08df12a00453ab703738",
        "5ECTwv6cZ5nJQPk6tWfaTrEk8YH2L7X1VT4EL5Tx2ikfFwb7",
    ),
    "Eve": (
        "bef5a3cd63dd36ab9792364536140e5a0cce6925969940c431934de056398556",
        "5Ck2miBfCe1JQ4cY3NDsXyBaD6EcsgiVmEFTWwqNSs25XDEq",
    ),
    "Ferdie": (None, "5E2BmpVFzYGd386XRCZ76cDePMB3sfbZp5ZKGUsrG1m6gomN"),
}

ALICE_PUBLIC = bytes.fromhex("88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee")
ALICE_SS58 = "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"
RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"


# --- golden vectors --------------------------------------------------------------------------------


def test_alice_golden():
    alice = keypair_from_uri("//Alice")
    assert alice.public == ALICE_PUBLIC
    assert alice.ss58 == ALICE_SS58
    assert ss58_encode(ALICE_PUBLIC) == ALICE_SS58


@pytest.mark.parametrize("name", DEV_ACCOUNTS)
def test_dev_accounts_golden(name):
    seed, address = DEV_VECTORS[name]
    pair = keypair_from_uri("//" + name)
    assert pair.ss58 == address
    if seed is not None:
        assert pair.seed.hex() == seed
    # The default phrase is the dev phrase.
    assert keypair_from_uri(f"{DEV_PHRASE}//{name}") == pair


def test_dev_phrase_without_junction_golden():
    # `subkey inspect --scheme ed25519 "bottom drive ... walk"`
    pair = keypair_from_uri(DEV_PHRASE)
    assert pair.seed.hex() == "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
    assert pair.public.hex() == "345071da55e5dccefaaa440339415ef9f2663338a38f7da0df21be5ab4e055ef"
    assert pair.ss58 == "5DFJF7tY4bpbpcKPJcBTQaKuCDEPCpiz8TRjpmLeTtweqmXL"
    assert keypair_from_mnemonic(DEV_PHRASE) == pair


def test_sp_core_seed_vectors():
    # sp-core ed25519.rs: test_vector_should_work / test_vector_by_string_should_work (RFC 8032 test 1).
    pair = keypair_from_uri("0x" + RFC8032_SEED)
    assert pair.public.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert pair.sign(b"") == signature
    assert verify(pair.public, b"", signature)
    # seeded_pair_should_work
    assert (
        keypair_from_seed(b"12345678901234567890123456789012").public.hex()
        == "2f8c6129d816cf51c374bc7f08c3e63ed156cf78aefb4a6550d97b87997977ee"
    )
    # seed_and_derive_should_work: a hard junction with an all-zero chain code.
    derived = derive_hard(bytes.fromhex(RFC8032_SEED), bytes(32))
    assert derived.hex() == "ede3354e133f9c8e337ddd6ee5415ed4b4ffe5fc7d21e933f4930a3730e5b21c"
    # The URI form: upper-case hex is accepted too.
    assert keypair_from_uri("0x" + RFC8032_SEED.upper()) == pair


# substrate-bip39 `vectors_are_correct` (password "Substrate"): phrase, entropy, first 32 seed bytes.
BIP39_VECTORS = [
    (
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        "4313249608fe8ac10fd5886c92c4579007272cb77c21551ee5b8d60b78041685",
    ),
    (
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
        "ffffffffffffffffffffffffffffffff",
        "227d6256fd4f9ccaf06c45eaa4b2345969640462bbb00c5f51f43cb43418c7a7",
    ),
    (
        "gravity machine north sort system female filter attitude volume fold club stay feature office ecology stable narrow fog",
        "6610b25967cdcca9d59875f5cb50b0ea75433311869e930b",
        "fbcc5229ade0c0ff018cb7a329c5459f91876e4dde2a97ddf03c832eab7f2612",
    ),
    (
        "panda eyebrow bullet gorilla call smoke muffin taste mesh discover soft ostrich alcohol speed nation flash devote level hobby quick inner drive ghost inside",
        "9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863",
        "f4c83c86617cb014d35cd87d38b5ef1c5d5c3d58a73ab779114438a7b358f457",
    ),
    (
        "horn tenant knee talent sponsor spell gate clip pulse soap slush warm silver nephew swap uncle crack brave",
        "6d9be1ee6ebd27a258115aad99b7317b9c8d28b6d76431c3",
        "23766723e970e6b79dec4d5e4fdd627fd27d1ee026eb898feb9f653af01ad220",
    ),
]


@pytest.mark.parametrize(("phrase", "entropy", "seed"), BIP39_VECTORS)
def test_substrate_bip39_vectors(phrase, entropy, seed):
    assert mnemonic_entropy(phrase).hex() == entropy
    assert mini_secret_from_mnemonic(phrase, "Substrate").hex() == seed
    assert keypair_from_mnemonic(phrase, "Substrate").seed.hex() == seed
    assert keypair_from_uri(phrase + "///Substrate").seed.hex() == seed


# --- URI structure -------------------------------------------------------------------------------


def test_default_phrase_and_password():
    # sp-core default_phrase_should_be_used
    assert keypair_from_uri("//Alice///password") == keypair_from_uri(f"{DEV_PHRASE}//Alice///password")
    with_password = keypair_from_mnemonic(DEV_PHRASE, "password")
    derived = derive_hard(with_password.seed, junction_chain_code("Alice"))
    assert keypair_from_uri("//Alice///password").seed == derived
    assert keypair_from_uri("//Alice///password") != keypair_from_uri("//Alice")
    # An empty password is no password.
    assert keypair_from_uri("//Alice///") == keypair_from_uri("//Alice")


def test_derivation_chain():
    stash = keypair_from_uri("//Alice//stash")
    alice_seed = keypair_from_uri("//Alice").seed
    assert stash.seed == derive_hard(alice_seed, junction_chain_code("stash"))
    assert stash != keypair_from_uri("//Alice")
    assert keypair_from_uri("0x" + alice_seed.hex() + "//stash") == stash


def test_junction_chain_codes():
    # Numbers encode as u64 little endian; leading zeros and a '+' are accepted, like Rust's parse.
    assert junction_chain_code("0") == bytes(32)
    assert junction_chain_code("1") == b"\x01" + bytes(31)
    assert junction_chain_code("007") == junction_chain_code("7") == junction_chain_code("+7")
    assert junction_chain_code("18446744073709551615") == b"\xff" * 8 + bytes(24)
    # Past u64 it is text: compact length then UTF-8.
    big = "18446744073709551616"
    assert junction_chain_code(big) == (bytes([len(big) << 2]) + big.encode()).ljust(32, b"\0")
    assert junction_chain_code("stash") == b"\x14stash" + bytes(26)
    assert junction_chain_code("-1") == b"\x08-1" + bytes(29)
    # Longer than 32 bytes: blake2b-256 of the encoding.
    long = "x" * 40
    assert junction_chain_code(long) == hashlib.blake2b(b"\xa0" + long.encode(), digest_size=32).digest()
    assert keypair_from_uri("//0") != keypair_from_uri("//00a")
    assert keypair_from_uri("//0") == keypair_from_uri("//000")


def test_scale_compact():
    assert scale_compact(0) == b"\x00"
    assert scale_compact(63) == b"\xfc"
    assert scale_compact(64) == b"\x01\x01"
    assert scale_compact(16383) == b"\xfd\xff"
    assert scale_compact(16384) == b"\x02\x00\x01\x00"
    assert scale_compact(1 << 30) == b"\x03\x00\x00\x00\x40"
    with pytest.raises(ValueError):
        scale_compact(-1)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sdasd///asda", ("sdasd", (), "asda")),
        ("sdasd//asda", ("sdasd", (("asda", True),), None)),
        (
            "sdasd/xx//a/b//c///pass",
            ("sdasd", (("xx", False), ("a", True), ("b", False), ("c", True)), "pass"),
        ),
        ("sdasd/asd.a", ("sdasd", (("asd.a", False),), None)),
        ("///", (DEV_PHRASE, (), "")),
        ("////////", (DEV_PHRASE, (), "/////")),
        ("", (DEV_PHRASE, (), None)),
    ],
)
def test_parse_secret_uri_matches_sp_core(uri, expected):
    # Cases from sp-core address_uri.rs tests.
    assert parse_secret_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("sdasd//", "empty derivation junction"),
        ("sdasd/xx//", "empty derivation junction"),
        ("sdasd/", "empty derivation junction"),
        ("sd.asd", "invalid character '.' in the phrase"),
        ("sd.asd//asd.a", "invalid character '.' in the phrase"),
        ("///a\n", "newline"),
    ],
)
def test_parse_secret_uri_errors(uri, message):
    with pytest.raises(InvalidKey, match=message):
        parse_secret_uri(uri)


# --- every InvalidKey path of key construction ---------------------------------------------------


def test_soft_junction_is_rejected():
    with pytest.raises(InvalidKey, match="soft derivation '/x' is not possible for ed25519"):
        keypair_from_uri("//Alice/x")
    with pytest.raises(InvalidKey, match="soft derivation"):
        keypair_from_uri("/Alice")


def test_bad_hex_seed():
    with pytest.raises(InvalidKey, match="64 hex digits, got 62"):
        keypair_from_uri("0x" + "00" * 31)
    with pytest.raises(InvalidKey, match="hexadecimal"):
        keypair_from_uri("0x" + "zz" * 32)


def test_bad_phrases():
    with pytest.raises(InvalidKey, match="12, 15, 18, 21 or 24 words, got 11"):
        keypair_from_mnemonic(" ".join(DEV_PHRASE.split()[:11]))
    with pytest.raises(InvalidKey, match=r"word 3 \('obeyy'\) is not in the BIP39 English word list"):
        keypair_from_mnemonic(DEV_PHRASE.replace("obey", "obeyy"))
    swapped = DEV_PHRASE.split()
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(InvalidKey, match="bad checksum"):
        keypair_from_mnemonic(" ".join(swapped))
    with pytest.raises(InvalidKey, match="not in the BIP39"):
        keypair_from_uri(DEV_PHRASE.upper())  # the word list is lower case, as in the bip39 crate
    with pytest.raises(InvalidKey, match="string"):
        mnemonic_entropy(b"abandon")
    # Extra whitespace between words is fine.
    assert keypair_from_mnemonic("  " + DEV_PHRASE.replace(" ", "   ") + " ") == keypair_from_uri(DEV_PHRASE)


def test_bad_seed_and_keypair():
    with pytest.raises(InvalidKey, match="32 bytes, got 31 bytes"):
        keypair_from_seed(bytes(31))
    with pytest.raises(InvalidKey, match="32 bytes, got str"):
        keypair_from_seed("00" * 32)
    alice = keypair_from_uri("//Alice")
    with pytest.raises(InvalidKey, match="does not belong"):
        Keypair(bytes(32), alice.seed)
    with pytest.raises(InvalidKey, match="32 bytes"):
        Keypair(alice.public, alice.seed[:5])
    with pytest.raises(InvalidKey, match="string"):
        keypair_from_uri(b"//Alice")


def test_keypair_is_frozen_and_hides_seed():
    alice = keypair_from_uri("//Alice")
    with pytest.raises(AttributeError):
        alice.public = bytes(32)
    assert alice.seed.hex() not in repr(alice)


# --- signatures ----------------------------------------------------------------------------------


def test_sign_verify():
    alice, bob = keypair_from_uri("//Alice"), keypair_from_uri("//Bob")
    message = b"transfer 1 TAO"
    signature = alice.sign(message)
    assert len(signature) == 64
    assert verify(alice.public, message, signature)
    assert verify(bytearray(alice.public), memoryview(message), bytes(signature))
    assert not verify(bob.public, message, signature)
    assert not verify(alice.public, message + b"!", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify(alice.public, message, flipped)


@pytest.mark.parametrize(
    ("public", "message", "signature"),
    [
        (bytes(31), b"m", bytes(64)),
        (bytes(33), b"m", bytes(64)),
        (ALICE_PUBLIC, b"m", bytes(63)),
        (ALICE_PUBLIC, b"m", bytes(65)),
        (ALICE_PUBLIC, b"m", bytes(64)),
        (ALICE_PUBLIC, b"m", b"\xff" * 64),  # S not canonical
        (b"\xff" * 32, b"m", bytes(64)),  # not a curve point
        (bytes(32), b"m", bytes(64)),  # small-order point
        ("not bytes", b"m", bytes(64)),
        (ALICE_PUBLIC, "text", bytes(64)),
        (ALICE_PUBLIC, b"m", None),
        (None, None, None),
        (12, 3, 4.5),
    ],
)
def test_verify_returns_false_on_garbage(public, message, signature):
    assert verify(public, message, signature) is False


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=64), st.binary(min_size=64, max_size=64))
def test_verify_never_raises(public, message, signature):
    assert verify(public, message, signature) in (True, False)


# --- SS58 ----------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(min_value=0, max_value=16383))
def test_ss58_round_trip(public, prefix):
    address = ss58_encode(public, prefix)
    assert ss58_decode(address, prefix) == public
    assert ss58_decode(address, None) == public
    assert ss58_decode_with_prefix(address) == (prefix, public)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40))
def test_base58_round_trip(data):
    assert b58decode(b58encode(data)) == data


def test_ss58_known_prefixes():
    # Polkadot (0) and Kusama (2) addresses of //Alice's ed25519 key start with 1 and a capital letter.
    assert ss58_encode(ALICE_PUBLIC, 0).startswith("1")
    assert ss58_decode(ss58_encode(ALICE_PUBLIC, 2), 2) == ALICE_PUBLIC
    # Two-byte prefix: the first byte is in 64..127.
    assert b58decode(ss58_encode(ALICE_PUBLIC, 64))[0] & 0b1100_0000 == 0b0100_0000


def test_ss58_bad_checksum():
    corrupted = ALICE_SS58[:-1] + ("v" if ALICE_SS58[-1] != "v" else "w")
    with pytest.raises(InvalidKey, match="bad checksum"):
        ss58_decode(corrupted)


def test_ss58_bad_characters():
    with pytest.raises(InvalidKey, match=r"invalid base58 character '0' at position 1"):
        ss58_decode("50" + ALICE_SS58[2:])
    for bad in "OIl+/":
        with pytest.raises(InvalidKey, match="invalid base58 character"):
            ss58_decode(ALICE_SS58[:5] + bad + ALICE_SS58[6:])


def test_ss58_bad_prefix_and_length():
    with pytest.raises(InvalidKey, match="network prefix 0, expected 42"):
        ss58_decode(ss58_encode(ALICE_PUBLIC, 0))
    with pytest.raises(InvalidKey, match="decodes to 34 bytes"):
        ss58_decode(b58encode(b"\x2a" + ALICE_PUBLIC + b"\x00"))
    with pytest.raises(InvalidKey, match="empty"):
        ss58_decode("")
    with pytest.raises(InvalidKey, match="too short"):
        ss58_decode(b58encode(b"\x40"))
    with pytest.raises(InvalidKey, match="reserved prefix byte 128"):
        ss58_decode(b58encode(b"\x80" + bytes(35)))
    # A two-byte form of a one-byte prefix (here 42) is not canonical.
    body = bytes([0b0100_0000 | (42 >> 2), (42 & 3) << 6]) + ALICE_PUBLIC
    checksum = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    with pytest.raises(InvalidKey, match="two-byte form"):
        ss58_decode(b58encode(body + checksum), None)
    with pytest.raises(InvalidKey, match="public key is 32 bytes"):
        ss58_encode(bytes(31))
    with pytest.raises(InvalidKey, match="prefix is an integer"):
        ss58_encode(ALICE_PUBLIC, 16384)
    with pytest.raises(InvalidKey, match="prefix is an integer"):
        ss58_encode(ALICE_PUBLIC, -1)
    with pytest.raises(InvalidKey, match="string"):
        ss58_decode(b"5FA9")


def test_parse_account():
    assert parse_account(ALICE_SS58) == ALICE_PUBLIC
    assert parse_account("0x" + ALICE_PUBLIC.hex()) == ALICE_PUBLIC
    assert parse_account("0x" + ALICE_PUBLIC.hex().upper()) == ALICE_PUBLIC
    assert parse_account(ss58_encode(ALICE_PUBLIC, 0), prefix=None) == ALICE_PUBLIC
    with pytest.raises(InvalidKey, match="64 hex digits"):
        parse_account("0x" + ALICE_PUBLIC.hex()[:-2])
    with pytest.raises(InvalidKey, match="64 hex digits"):
        parse_account("0x" + "g" * 64)
    with pytest.raises(InvalidKey, match="SS58 address or 0x-hex"):
        parse_account(ALICE_PUBLIC)
    with pytest.raises(InvalidKey, match="network prefix 0"):
        parse_account(ss58_encode(ALICE_PUBLIC, 0))
