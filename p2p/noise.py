"""The Noise Protocol Framework (revision 34), the one protocol taochain speaks:
`Noise_XX_25519_ChaChaPoly_BLAKE2b`.

    XX:
      -> e
      <- e, ee, s, es
      -> s, se

Building blocks, as the specification names them (§4, §5):
- DH: X25519 (libsodium through pynacl); an all-zero shared secret (a low-order point) is refused.
- Cipher: ChaCha20-Poly1305 (IETF), 32-byte key, 16-byte tag; the 96-bit nonce is 32 zero bits
  followed by the 64-bit little-endian counter `n`.
- Hash: BLAKE2b with 64-byte digests (HASHLEN 64, BLOCKLEN 128); HMAC-BLAKE2b and the spec's HKDF.

A CipherState never reuses a nonce: `n` grows by one per successful encryption/decryption, a failed
decryption leaves it as it was, and n = 2^64-1 is reserved, so a state that reaches it refuses to go on.
Every failure is a `NoiseError`.

The identity binding (ed25519 keys, signatures, Hello) is the transport's business (p2p/transport.py);
this module only carries payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from nacl import bindings as _sodium

PROTOCOL_NAME = b"Noise_XX_25519_ChaChaPoly_BLAKE2b"
DHLEN = 32
HASHLEN = 64
BLOCKLEN = 128
KEYLEN = 32
TAGLEN = 16
MAX_NONCE = (1 << 64) - 1  # reserved: never used as a nonce
MAX_MESSAGE = 65535  # a Noise message, handshake or transport (§3)

# XX: (tokens of each message), initiator writes the even-indexed ones.
XX_PATTERN: tuple[tuple[str, ...], ...] = (("e",), ("e", "ee", "s", "es"), ("s", "se"))

_ZERO_NONCE_PREFIX = b"\x00\x00\x00\x00"


class NoiseError(Exception):
    """A Noise failure: bad key material, failed authentication, exhausted nonce, misuse."""


# --------------------------------------------------------------------------- primitives


def hash_(data: bytes) -> bytes:
    """HASH(data): BLAKE2b, 64-byte digest."""
    return hashlib.blake2b(data, digest_size=HASHLEN).digest()


def hmac_hash(key: bytes, data: bytes) -> bytes:
    """HMAC-HASH(key, data) (RFC 2104 with BLAKE2b: 128-byte block, 64-byte output)."""
    return hmac.digest(key, data, hashlib.blake2b)


def hkdf(chaining_key: bytes, input_key_material: bytes, num_outputs: int) -> tuple[bytes, ...]:
    """HKDF(chaining_key, input_key_material, num_outputs) of the Noise specification (§4.3)."""
    if num_outputs not in (2, 3):
        raise NoiseError("HKDF gives 2 or 3 outputs")
    temp_key = hmac_hash(chaining_key, input_key_material)
    out1 = hmac_hash(temp_key, b"\x01")
    out2 = hmac_hash(temp_key, out1 + b"\x02")
    if num_outputs == 2:
        return out1, out2
    return out1, out2, hmac_hash(temp_key, out2 + b"\x03")


def nonce_bytes(n: int) -> bytes:
    """The 12-byte ChaChaPoly nonce of counter n: 4 zero bytes, then n as 8 little-endian bytes."""
    return _ZERO_NONCE_PREFIX + n.to_bytes(8, "little")


def encrypt(k: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
    """ENCRYPT(k, n, ad, plaintext): ChaCha20-Poly1305 IETF, ciphertext || 16-byte tag."""
    return _sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, nonce_bytes(n), k)


def decrypt(k: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:
    """DECRYPT(k, n, ad, ciphertext); NoiseError when authentication fails."""
    try:
        return _sodium.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, ad, nonce_bytes(n), k)
    except Exception as exc:  # nacl raises CryptoError (or ValueError/TypeError on a bad length)
        raise NoiseError("decryption failed") from exc


def generate_keypair() -> tuple[bytes, bytes]:
    """GENERATE_KEYPAIR(): a fresh X25519 (secret, public) pair."""
    secret = os.urandom(DHLEN)
    return secret, _sodium.crypto_scalarmult_base(secret)


def public_key(secret: bytes) -> bytes:
    """The X25519 public key of a 32-byte secret."""
    if type(secret) is not bytes or len(secret) != DHLEN:
        raise NoiseError(f"an X25519 secret key is {DHLEN} bytes")
    return _sodium.crypto_scalarmult_base(secret)


def dh(secret: bytes, public: bytes) -> bytes:
    """DH(key_pair, public_key): X25519; a low-order public key (all-zero result) is refused."""
    if len(public) != DHLEN:
        raise NoiseError(f"an X25519 public key is {DHLEN} bytes")
    try:
        out = _sodium.crypto_scalarmult(secret, public)
    except Exception as exc:  # libsodium refuses an all-zero output (a low-order point)
        raise NoiseError("invalid X25519 public key") from exc
    if not any(out):
        raise NoiseError("invalid X25519 public key")
    return out


# --------------------------------------------------------------------------- CipherState (§5.1)


class CipherState:
    """k (32 bytes, or None when empty) and the 64-bit nonce counter n."""

    __slots__ = ("k", "n")

    def __init__(self, k: bytes | None = None) -> None:
        self.initialize_key(k)

    def initialize_key(self, k: bytes | None) -> None:
        if k is not None and (type(k) is not bytes or len(k) != KEYLEN):
            raise NoiseError(f"a cipher key is {KEYLEN} bytes")
        self.k = k
        self.n = 0

    def has_key(self) -> bool:
        return self.k is not None

    def set_nonce(self, n: int) -> None:
        if type(n) is not int or not 0 <= n <= MAX_NONCE:
            raise NoiseError("nonce out of range")
        self.n = n

    def _next_nonce(self) -> int:
        n = self.n
        if n >= MAX_NONCE:
            raise NoiseError("nonce exhausted: this cipher state can no longer be used")
        return n

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return bytes(plaintext)
        n = self._next_nonce()
        out = encrypt(self.k, n, ad, plaintext)
        self.n = n + 1
        return out

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        if self.k is None:
            return bytes(ciphertext)
        n = self._next_nonce()
        out = decrypt(self.k, n, ad, ciphertext)  # raises before n moves on a failure
        self.n = n + 1
        return out

    def rekey(self) -> None:
        """REKEY(k) (§4.2): the first 32 bytes of ENCRYPT(k, maxnonce, zerolen, zeros)."""
        if self.k is None:
            raise NoiseError("no key to rekey")
        self.k = encrypt(self.k, MAX_NONCE, b"", bytes(KEYLEN))[:KEYLEN]


# --------------------------------------------------------------------------- SymmetricState (§5.2)


class SymmetricState:
    __slots__ = ("cs", "ck", "h")

    def __init__(self, protocol_name: bytes = PROTOCOL_NAME) -> None:
        if len(protocol_name) <= HASHLEN:
            self.h = protocol_name + bytes(HASHLEN - len(protocol_name))
        else:
            self.h = hash_(protocol_name)
        self.ck = self.h
        self.cs = CipherState()

    def mix_key(self, input_key_material: bytes) -> None:
        self.ck, temp_k = hkdf(self.ck, input_key_material, 2)
        self.cs.initialize_key(temp_k[:KEYLEN])  # HASHLEN 64: truncate to 32

    def mix_hash(self, data: bytes) -> None:
        self.h = hash_(self.h + data)

    def mix_key_and_hash(self, input_key_material: bytes) -> None:
        self.ck, temp_h, temp_k = hkdf(self.ck, input_key_material, 3)
        self.mix_hash(temp_h)
        self.cs.initialize_key(temp_k[:KEYLEN])

    def get_handshake_hash(self) -> bytes:
        return self.h

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ciphertext = self.cs.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        plaintext = self.cs.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self) -> tuple[CipherState, CipherState]:
        temp_k1, temp_k2 = hkdf(self.ck, b"", 2)
        return CipherState(temp_k1[:KEYLEN]), CipherState(temp_k2[:KEYLEN])


# --------------------------------------------------------------------------- HandshakeState (§5.3)


class HandshakeState:
    """The XX handshake of one side. `s` is the local static (secret, public) X25519 pair; `e` may be
    given (a fixed ephemeral, for test vectors only), else a fresh one is made when needed.

    Initiator: write_message, read_message, write_message; responder: the reverse. After the last
    message `complete` is True and `split()` gives (send, recv) cipher states for this side."""

    def __init__(
        self,
        initiator: bool,
        s: tuple[bytes, bytes],
        prologue: bytes = b"",
        e: tuple[bytes, bytes] | None = None,
        protocol_name: bytes = PROTOCOL_NAME,
    ) -> None:
        if protocol_name != PROTOCOL_NAME:
            raise NoiseError(f"only {PROTOCOL_NAME.decode()} is supported")
        self.initiator = initiator
        self.ss = SymmetricState(protocol_name)
        self.s = s
        self.e = e
        self.rs: bytes | None = None
        self.re: bytes | None = None
        self._step = 0  # index of the next message pattern
        self._failed = False
        self.ss.mix_hash(prologue)  # XX has no pre-messages

    @property
    def complete(self) -> bool:
        return self._step == len(XX_PATTERN)

    @property
    def handshake_hash(self) -> bytes:
        return self.ss.h

    def _my_turn(self) -> bool:
        return (self._step % 2 == 0) == self.initiator

    def _dh_token(self, token: str) -> None:
        assert self.e is not None and self.re is not None
        if token == "ee":
            self.ss.mix_key(dh(self.e[0], self.re))
        elif token == "es":  # initiator's e with responder's s
            if self.initiator:
                assert self.rs is not None
                self.ss.mix_key(dh(self.e[0], self.rs))
            else:
                self.ss.mix_key(dh(self.s[0], self.re))
        elif token == "se":  # initiator's s with responder's e
            if self.initiator:
                self.ss.mix_key(dh(self.s[0], self.re))
            else:
                assert self.rs is not None
                self.ss.mix_key(dh(self.e[0], self.rs))
        else:  # pragma: no cover - XX has no other tokens
            raise NoiseError(f"unknown token {token}")

    def _check(self, writing: bool) -> None:
        if self._failed:
            raise NoiseError("handshake already failed")
        if self.complete:
            raise NoiseError("handshake already complete")
        if self._my_turn() != writing:
            raise NoiseError("not this side's turn to " + ("write" if writing else "read"))

    def write_message(self, payload: bytes = b"") -> bytes:
        self._check(writing=True)
        try:
            out = bytearray()
            for token in XX_PATTERN[self._step]:
                if token == "e":
                    if self.e is None:
                        self.e = generate_keypair()
                    out += self.e[1]
                    self.ss.mix_hash(self.e[1])
                elif token == "s":
                    out += self.ss.encrypt_and_hash(self.s[1])
                else:
                    self._dh_token(token)
            out += self.ss.encrypt_and_hash(payload)
        except Exception:
            self._failed = True
            raise
        if len(out) > MAX_MESSAGE:
            self._failed = True
            raise NoiseError(f"handshake message of {len(out)} bytes exceeds {MAX_MESSAGE}")
        self._step += 1
        return bytes(out)

    def read_message(self, message: bytes) -> bytes:
        """The payload of the peer's next handshake message; NoiseError on any problem (the state
        is then dead: a handshake cannot recover)."""
        self._check(writing=False)
        try:
            message = bytes(message)
            if len(message) > MAX_MESSAGE:
                raise NoiseError("handshake message too long")
            pos = 0
            for token in XX_PATTERN[self._step]:
                if token == "e":
                    if len(message) - pos < DHLEN:
                        raise NoiseError("handshake message too short")
                    self.re = message[pos : pos + DHLEN]
                    pos += DHLEN
                    self.ss.mix_hash(self.re)
                elif token == "s":
                    n = DHLEN + TAGLEN if self.ss.cs.has_key() else DHLEN
                    if len(message) - pos < n:
                        raise NoiseError("handshake message too short")
                    self.rs = self.ss.decrypt_and_hash(message[pos : pos + n])
                    pos += n
                else:
                    self._dh_token(token)
            rest = message[pos:]
            if self.ss.cs.has_key() and len(rest) < TAGLEN:
                raise NoiseError("handshake message too short")
            payload = self.ss.decrypt_and_hash(rest)
        except NoiseError:
            self._failed = True
            raise
        except Exception as exc:  # defensive: nothing but NoiseError leaves here
            self._failed = True
            raise NoiseError(f"malformed handshake message: {exc}") from exc
        self._step += 1
        return payload

    def split(self) -> tuple[CipherState, CipherState]:
        """(send, recv) cipher states of this side once the handshake is complete."""
        if not self.complete:
            raise NoiseError("handshake not complete")
        c1, c2 = self.ss.split()
        return (c1, c2) if self.initiator else (c2, c1)
