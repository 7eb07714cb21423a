"""Ed25519 and sr25519 accounts with Substrate semantics: secret URIs, derivation, BIP39 phrases, SS58.

`keypair_from_uri("//Alice")` gives the same key as `subkey inspect //Alice` (sr25519, the default
of Substrate and of every Substrate client, and the default here: accounts are sr25519), and
`keypair_from_uri("//Alice", scheme="ed25519")` the same as `subkey inspect --scheme ed25519 //Alice`.
Node keys ask for ed25519 explicitly: the Aura block seal, finality votes, the beacon share and the
p2p identity are ed25519, like Substrate's GRANDPA session keys (deterministic signatures, fast
verification); an authority's fees go to the account of that ed25519 key.

- A secret URI is `[phrase-or-0xseed][//hard | /soft ...][///password]`, parsed like sp-core's
  `AddressUri`; a missing phrase means `DEV_PHRASE`.
- A phrase is a BIP39 English mnemonic. As in substrate-bip39, the seed is
  PBKDF2-HMAC-SHA512(password=entropy, salt="mnemonic"+password, 2048 rounds)[:32] where `entropy`
  is the mnemonic's entropy bytes (not the phrase text, unlike plain BIP39).
- A junction's chain code is the SCALE encoding of its text (or of a u64 when the text is a
  number), zero-padded to 32 bytes, or blake2b-256 of it when longer. An ed25519 hard junction maps
  seed -> blake2b-256(SCALE(("Ed25519HDKD", seed, chain_code))). Ed25519 has no soft derivation.
- sr25519 (schnorrkel, through the `sr25519` binding of py-sr25519-bindings) as sp-core's
  `sr25519::Pair`: a 32-byte seed is a schnorrkel mini secret, expanded in Ed25519 mode to the
  64-byte secret key (scalar ++ nonce); a hard junction is schnorrkel's `hard_derive_mini_secret_key`
  with the junction's chain code and an empty message, a soft junction `derived_key_simple` likewise.
  Signatures use the signing context b"substrate"; verification is schnorrkel's `verify_simple`
  (a signature must carry schnorrkel's marker bit; the pre-2019 unmarked ones are refused).
- SS58: base58(prefix ++ public ++ blake2b-512(b"SS58PRE" ++ prefix ++ public)[:2]).

Signatures verify with libsodium's rules (strict: canonical S, no small-order keys). Substrate uses
ed25519-zebra (ZIP-215), which accepts a few edge-case signatures libsodium rejects; every taochain
node uses the same rules, so consensus is unaffected.

Pure and deterministic: no I/O, no clock, no randomness, with two exceptions inside schnorrkel that
no result depends on: an sr25519 signature mixes fresh randomness into its nonce (so signing the same
message twice gives two different, equally valid signatures, as with `subkey sign`), and an sr25519
soft junction draws the derived secret key's nonce half at random (its scalar and public key are
deterministic). Verification is deterministic. The `mnemonic` package (which reads its wordlist file
on import) is imported lazily, only when a phrase is parsed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing
import sr25519 as _schnorrkel

from .scale import compact_encode

DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
DEV_ACCOUNTS = ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
SS58_DEFAULT_PREFIX = 42

PUBLIC_KEY_LEN = 32
SEED_LEN = 32
SIGNATURE_LEN = 64
SR25519_SECRET_LEN = 64
ED25519 = "ed25519"
SR25519 = "sr25519"
SCHEMES = (ED25519, SR25519)

_JUNCTION_ID_LEN = 32
_BIP39_WORD_COUNTS = (12, 15, 18, 21, 24)
_U64_MAX = (1 << 64) - 1
# Rust's `str::parse::<u64>` accepts an optional leading '+' and ASCII digits only.
_U64_TEXT = re.compile(r"\+?[0-9]+", re.ASCII)
_PHRASE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_SS58_PRE = b"SS58PRE"
_SS58_CHECKSUM_LEN = 2
_SS58_MAX_PREFIX = 16383


class InvalidKey(ValueError):
    """A secret URI, phrase, seed, public key or address that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Keypair:
    """A key pair of one signature scheme (`scheme`, "sr25519" unless told): the 32-byte public key
    and its secret. For ed25519, `seed` is the 32-byte secret seed; for sr25519 it is schnorrkel's
    64-byte secret key (32-byte scalar ++ 32-byte nonce), which a soft junction derives without any
    seed. Two key pairs are equal when scheme and public key are: the public key fixes the secret
    scalar (ed25519: the seed, short of a SHA-512 collision), while the nonce half of a soft-derived
    sr25519 secret is random (module doc)."""

    public: bytes
    seed: bytes = field(repr=False, compare=False)
    scheme: str = SR25519
    _signer: nacl.signing.SigningKey | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.scheme == SR25519:
            if type(self.seed) is not bytes or len(self.seed) != SR25519_SECRET_LEN:
                raise InvalidKey(f"an sr25519 secret key is {SR25519_SECRET_LEN} bytes")
            try:
                public = _schnorrkel.public_from_secret_key(self.seed)
            except ValueError as exc:
                raise InvalidKey(f"not an sr25519 secret key: {exc}") from None
            if self.public != public:
                raise InvalidKey("public key does not belong to this secret key")
            object.__setattr__(self, "_signer", None)
            return
        if self.scheme != ED25519:
            raise InvalidKey(_unknown_scheme(self.scheme))
        if type(self.seed) is not bytes or len(self.seed) != SEED_LEN:
            raise InvalidKey(f"an ed25519 seed is {SEED_LEN} bytes")
        signer = nacl.signing.SigningKey(self.seed)
        if self.public != bytes(signer.verify_key):
            raise InvalidKey("public key does not belong to this seed")
        # Frozen dataclass: the cached signer is set once, here.
        object.__setattr__(self, "_signer", signer)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte signature of `message` in this pair's scheme (sr25519: randomized, module doc)."""
        if self._signer is None:
            return _schnorrkel.sign((self.public, self.seed), bytes(message))
        return self._signer.sign(bytes(message)).signature

    @property
    def ss58(self) -> str:
        """The public key as an SS58 address with the default prefix (42)."""
        return ss58_encode(self.public)


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public`'s signature of `message`; False on anything else, never raises."""
    if not _is_well_formed(public, message, signature):
        return False
    try:
        nacl.signing.VerifyKey(bytes(public)).verify(bytes(message), bytes(signature))
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False
    return True


def verify_sr25519(public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public`'s sr25519 signature of `message` (context b"substrate");
    False on anything else, never raises."""
    if not _is_well_formed(public, message, signature):
        return False
    try:
        return _schnorrkel.verify(bytes(signature), bytes(message), bytes(public)) is True
    except (ValueError, TypeError):  # not a point, or a signature without schnorrkel's marker bit
        return False


def verify_multi(scheme: str, public: bytes, message: bytes, signature: bytes) -> bool:
    """`verify` or `verify_sr25519` by scheme name (a MultiSignature's variant); False on bad input.

    An unknown scheme name is a programming error, not bad input: it raises InvalidKey."""
    if scheme == ED25519:
        return verify(public, message, signature)
    if scheme == SR25519:
        return verify_sr25519(public, message, signature)
    raise InvalidKey(_unknown_scheme(scheme))


def _is_well_formed(public: bytes, message: bytes, signature: bytes) -> bool:
    if not all(isinstance(x, bytes | bytearray | memoryview) for x in (public, message, signature)):
        return False
    return len(public) == PUBLIC_KEY_LEN and len(signature) == SIGNATURE_LEN


# --- key construction --------------------------------------------------------------------------


def keypair_from_seed(seed: bytes, scheme: str = SR25519) -> Keypair:
    """The key pair whose secret seed ("mini secret") is `seed` (32 bytes), sr25519 unless told."""
    if scheme not in SCHEMES:
        raise InvalidKey(_unknown_scheme(scheme))
    if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_LEN:
        raise InvalidKey(f"an {scheme} seed is {SEED_LEN} bytes, got {_describe_len(seed)}")
    seed = bytes(seed)
    if scheme == SR25519:
        public, secret = _schnorrkel.pair_from_seed(seed)
        return Keypair(public, secret, SR25519)
    return Keypair(bytes(nacl.signing.SigningKey(seed).verify_key), seed, ED25519)


def keypair_from_mnemonic(phrase: str, password: str = "", scheme: str = SR25519) -> Keypair:
    """The key pair of a BIP39 English phrase, as Substrate derives it (substrate-bip39)."""
    return keypair_from_seed(mini_secret_from_mnemonic(phrase, password), scheme)


def keypair_from_uri(uri: str, scheme: str = SR25519) -> Keypair:
    """The key pair of a Substrate secret URI: `//Alice`, `phrase//hard//0///password`, `0x<seed>//x`;
    sr25519 unless told.

    sr25519 also takes soft junctions (`//Alice/1`) and, as sp-core does, a 64-byte secret key in
    place of the seed (`0x` followed by 128 hex digits)."""
    if scheme == SR25519:
        return _sr25519_keypair_from_uri(uri)
    if scheme != ED25519:
        raise InvalidKey(_unknown_scheme(scheme))
    phrase, junctions, password = parse_secret_uri(uri)
    if phrase.startswith("0x"):
        seed = _seed_from_hex(phrase[2:])
    else:
        seed = mini_secret_from_mnemonic(phrase, password or "")
    for text, hard in junctions:
        if not hard:
            raise InvalidKey(
                f"soft derivation '/{text}' is not possible for ed25519 keys; use a hard junction '//{text}'"
            )
        seed = derive_hard(seed, junction_chain_code(text))
    return keypair_from_seed(seed, ED25519)


def dev_keypair(name: str, scheme: str = SR25519) -> Keypair:
    """The well-known development key `//<name>` (e.g. "Alice"); sr25519 unless told."""
    return keypair_from_uri("//" + name, scheme)


def _sr25519_keypair_from_uri(uri: str) -> Keypair:
    phrase, junctions, password = parse_secret_uri(uri)
    if phrase.startswith("0x") and len(phrase) - 2 not in (2 * SEED_LEN, 2 * SR25519_SECRET_LEN):
        raise InvalidKey(
            f"an sr25519 raw secret is 0x followed by {2 * SEED_LEN} hex digits (a seed) or "
            f"{2 * SR25519_SECRET_LEN} (a secret key), got {len(phrase) - 2} digits"
        )
    if phrase.startswith("0x") and len(phrase) == 2 + 2 * SR25519_SECRET_LEN:
        secret = _hex_bytes(phrase[2:], "an sr25519 secret key")
        try:
            public = _schnorrkel.public_from_secret_key(secret)
        except ValueError as exc:
            raise InvalidKey(f"not an sr25519 secret key: {exc}") from None
    else:
        if phrase.startswith("0x"):
            seed = _seed_from_hex(phrase[2:])
        else:
            seed = mini_secret_from_mnemonic(phrase, password or "")
        public, secret = _schnorrkel.pair_from_seed(seed)
    for text, hard in junctions:
        derive = _schnorrkel.hard_derive_keypair if hard else _schnorrkel.derive_keypair
        # sp-core derives with the junction's chain code and an empty message, and drops the
        # chain code schnorrkel returns.
        _, public, secret = derive((junction_chain_code(text), public, secret), b"")
    return Keypair(public, secret, SR25519)


def _unknown_scheme(scheme: object) -> str:
    return f"unknown signature scheme {scheme!r}; use one of {', '.join(SCHEMES)}"


# --- secret URIs and derivation ------------------------------------------------------------------


def parse_secret_uri(uri: str) -> tuple[str, tuple[tuple[str, bool], ...], str | None]:
    """Split a secret URI into (phrase, ((junction, is_hard), ...), password or None).

    Mirrors sp-core's `AddressUri::parse`: the phrase is `[a-zA-Z0-9 ]*` (empty means
    `DEV_PHRASE`), then `//hard` and `/soft` junctions (each non-empty, without '/'), then
    optionally `///password` (anything but a newline).
    """
    if not isinstance(uri, str):
        raise InvalidKey(f"a secret URI is a string, got {type(uri).__name__}")
    i, n = 0, len(uri)
    while i < n and uri[i] in _PHRASE_CHARS:
        i += 1
    phrase = uri[:i] or DEV_PHRASE
    junctions: list[tuple[str, bool]] = []
    password: str | None = None
    while i < n:
        if uri.startswith("///", i):
            password = uri[i + 3 :]
            if "\n" in password:
                raise InvalidKey("invalid character (newline) in the password of the secret URI")
            break
        if uri[i] != "/":
            raise InvalidKey(f"invalid character {uri[i]!r} in the phrase of the secret URI")
        hard = uri.startswith("//", i)
        i += 2 if hard else 1
        j = uri.find("/", i)
        j = n if j < 0 else j
        if j == i:
            raise InvalidKey(f"empty derivation junction at position {i} of the secret URI")
        junctions.append((uri[i:j], hard))
        i = j
    return phrase, tuple(junctions), password


def junction_chain_code(text: str) -> bytes:
    """The 32-byte chain code of a junction: SCALE(u64) for numbers, else SCALE(str); hashed if > 32."""
    if _U64_TEXT.fullmatch(text) and int(text) <= _U64_MAX:
        data = int(text).to_bytes(8, "little")
    else:
        raw = text.encode("utf-8")
        data = scale_compact(len(raw)) + raw
    if len(data) > _JUNCTION_ID_LEN:
        return _blake2b_256(data)
    return data.ljust(_JUNCTION_ID_LEN, b"\0")


def derive_hard(seed: bytes, chain_code: bytes) -> bytes:
    """Ed25519 hard derivation: blake2b-256(SCALE(("Ed25519HDKD", seed, chain_code)))."""
    tag = b"Ed25519HDKD"
    return _blake2b_256(scale_compact(len(tag)) + tag + seed + chain_code)


def scale_compact(n: int) -> bytes:
    """SCALE compact encoding of a non-negative integer (used for string length prefixes)."""
    return compact_encode(n)


def mini_secret_from_mnemonic(phrase: str, password: str = "") -> bytes:
    """The 32-byte ed25519 seed of a BIP39 phrase: PBKDF2-SHA512(entropy, "mnemonic"+password)[:32]."""
    entropy = mnemonic_entropy(phrase)
    salt = ("mnemonic" + password).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha512", entropy, salt, 2048)[:SEED_LEN]


def mnemonic_entropy(phrase: str) -> bytes:
    """The entropy bytes of a BIP39 English phrase, with the word list and checksum checked."""
    from mnemonic import Mnemonic  # lazy: reads its word list file on first use

    if not isinstance(phrase, str):
        raise InvalidKey(f"a mnemonic phrase is a string, got {type(phrase).__name__}")
    words = phrase.split()
    if len(words) not in _BIP39_WORD_COUNTS:
        raise InvalidKey(f"a BIP39 phrase has 12, 15, 18, 21 or 24 words, got {len(words)}")
    index = _bip39_index(Mnemonic)
    bits = 0
    for position, word in enumerate(words, 1):
        value = index.get(word)
        if value is None:
            raise InvalidKey(f"word {position} ({word!r}) is not in the BIP39 English word list")
        bits = (bits << 11) | value
    checksum_bits = len(words) // 3
    entropy_len = (len(words) * 11 - checksum_bits) // 8
    entropy = (bits >> checksum_bits).to_bytes(entropy_len, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    if bits & ((1 << checksum_bits) - 1) != expected:
        raise InvalidKey("the BIP39 phrase has a bad checksum (a word is wrong or out of order)")
    return entropy


_BIP39_INDEX: dict[str, int] = {}


def _bip39_index(mnemonic_class: type) -> dict[str, int]:
    if not _BIP39_INDEX:
        wordlist = mnemonic_class("english").wordlist
        _BIP39_INDEX.update((word, i) for i, word in enumerate(wordlist))
    return _BIP39_INDEX


def _seed_from_hex(digits: str) -> bytes:
    if len(digits) != 2 * SEED_LEN:
        raise InvalidKey(f"a raw seed is 0x followed by {2 * SEED_LEN} hex digits, got {len(digits)} digits")
    return _hex_bytes(digits, "a raw seed")


def _hex_bytes(digits: str, what: str) -> bytes:
    if not set(digits) <= _HEX_CHARS:
        raise InvalidKey(f"{what} must be hexadecimal (0-9, a-f) after 0x")
    return bytes.fromhex(digits)


# --- SS58 ----------------------------------------------------------------------------------------


def ss58_encode(public: bytes, prefix: int = SS58_DEFAULT_PREFIX) -> str:
    """The SS58 address of a 32-byte public key for network `prefix` (0..16383)."""
    if not isinstance(public, bytes | bytearray) or len(public) != PUBLIC_KEY_LEN:
        raise InvalidKey(f"a public key is {PUBLIC_KEY_LEN} bytes, got {_describe_len(public)}")
    if type(prefix) is not int or not 0 <= prefix <= _SS58_MAX_PREFIX:
        raise InvalidKey(f"an SS58 prefix is an integer in 0..{_SS58_MAX_PREFIX}, got {prefix!r}")
    if prefix < 64:
        head = bytes([prefix])
    else:
        head = bytes([((prefix & 0b1111_1100) >> 2) | 0b0100_0000, (prefix >> 8) | ((prefix & 0b11) << 6)])
    data = head + bytes(public)
    return b58encode(data + _ss58_checksum(data))


def ss58_decode(address: str, expected_prefix: int | None = SS58_DEFAULT_PREFIX) -> bytes:
    """The public key of an SS58 address; its prefix must equal `expected_prefix` unless that is None."""
    prefix, public = ss58_decode_with_prefix(address)
    if expected_prefix is not None and prefix != expected_prefix:
        raise InvalidKey(f"address {address} is for network prefix {prefix}, expected {expected_prefix}")
    return public


def ss58_decode_with_prefix(address: str) -> tuple[int, bytes]:
    """(network prefix, 32-byte public key) of an SS58 address."""
    data = b58decode(address)
    if not data:
        raise InvalidKey("an SS58 address cannot be empty")
    first = data[0]
    if first < 64:
        prefix, head_len = first, 1
    elif first < 128:
        if len(data) < 2:
            raise InvalidKey("SS58 address is too short")
        second = data[1]
        prefix, head_len = (((first << 2) & 0xFF) | (second >> 6)) | ((second & 0b0011_1111) << 8), 2
        if prefix < 64:
            raise InvalidKey(f"SS58 address uses a two-byte form for the one-byte prefix {prefix}")
    else:
        raise InvalidKey(f"SS58 address starts with the reserved prefix byte {first}")
    if len(data) != head_len + PUBLIC_KEY_LEN + _SS58_CHECKSUM_LEN:
        raise InvalidKey(
            f"SS58 address decodes to {len(data)} bytes; an account address is "
            f"{head_len + PUBLIC_KEY_LEN + _SS58_CHECKSUM_LEN}"
        )
    body, checksum = data[:-_SS58_CHECKSUM_LEN], data[-_SS58_CHECKSUM_LEN:]
    if _ss58_checksum(body) != checksum:
        raise InvalidKey(f"SS58 address {address} has a bad checksum (mistyped?)")
    return prefix, body[head_len:]


def parse_account(text: str, prefix: int | None = SS58_DEFAULT_PREFIX) -> bytes:
    """A 32-byte account id from an SS58 address or from 0x followed by 64 hex digits."""
    if not isinstance(text, str):
        raise InvalidKey(f"an account is an SS58 address or 0x-hex string, got {type(text).__name__}")
    if text.startswith("0x"):
        digits = text[2:]
        if len(digits) != 2 * PUBLIC_KEY_LEN or not set(digits) <= _HEX_CHARS:
            raise InvalidKey(f"a hex account id is 0x followed by {2 * PUBLIC_KEY_LEN} hex digits")
        return bytes.fromhex(digits)
    return ss58_decode(text, prefix)


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 of `data`; each leading zero byte becomes '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58_ALPHABET[r])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of `b58encode`; InvalidKey names the first character outside the alphabet."""
    if not isinstance(text, str):
        raise InvalidKey(f"an address is a string, got {type(text).__name__}")
    n = 0
    for position, char in enumerate(text):
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise InvalidKey(f"invalid base58 character {char!r} at position {position} of the address")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


def _ss58_checksum(data: bytes) -> bytes:
    return hashlib.blake2b(_SS58_PRE + data, digest_size=64).digest()[:_SS58_CHECKSUM_LEN]


def _blake2b_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def _describe_len(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{len(value)} bytes"
    return type(value).__name__
