"""Timelock encryption to a drand round, in the format `bittensor-drand` produces (the `tle` scheme).

Boneh-Franklin FullIdent on BLS12-381 with the beacon's G2 public key, identity = the round's
message sha256(u64be(round)) hashed to G1, and AES-256-GCM for the body. The secret of a round is
the beacon's signature of it, so a ciphertext opens once that round's pulse is public.

Ciphertext bytes (arkworks canonical serialization, lengths as u64 little-endian):
    U (G2, 96 compressed) | len | V (32) | len | W (32) | len | body | len | suite ("AES_GCM_")
    body = len | AES-GCM ciphertext with its 16-byte tag | len | nonce (12)
Decryption: sigma = V xor sha256(ser(e(sig, U))); key = W xor sha256(sigma); check
U == r*G2 with r = sha256(sigma || key) mod R (the Fujisaki-Okamoto check); open the body.

Weights payload (SCALE, as `bittensor-drand`'s commit helpers encode it):
`WeightsTlockPayload{hotkey: Vec<u8>, uids: Vec<u16>, values: Vec<u16>, version_key: u64}`; the
legacy form without the hotkey is accepted on decode.
"""

from __future__ import annotations

import dataclasses
import hashlib

from Crypto.Cipher import AES

from .bls import Backend, BlsError, R, get_backend, round_message
from .keys import scale_compact

SUITE = b"AES_GCM_"
MAX_CIPHERTEXT = 5000  # subtensor's BoundedVec<u8, 5000>
NONCE_LEN, TAG_LEN = 12, 16


class TlockError(ValueError):
    """The ciphertext is malformed, or does not open with the given signature."""


@dataclasses.dataclass(frozen=True, slots=True)
class Ciphertext:
    u: bytes  # 96-byte compressed G2 point
    v: bytes  # sigma xor H2(e(Q_id, P_pub)^r)
    w: bytes  # key xor H4(sigma)
    aes: bytes  # AES-GCM ciphertext and tag
    nonce: bytes

    def to_bytes(self) -> bytes:
        body = _vec(self.aes) + _vec(self.nonce)
        return self.u + _vec(self.v) + _vec(self.w) + _vec(body) + _vec(SUITE)


def _vec(b: bytes) -> bytes:
    return len(b).to_bytes(8, "little") + b


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise TlockError(f"{self.what} is truncated in {field} (needs {n} bytes at offset {self.pos}, "
                             f"{len(self.data) - self.pos} left)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def vec(self, field: str, exact: int | None = None) -> bytes:
        n = int.from_bytes(self.take(8, field + " length"), "little")
        if exact is not None and n != exact:
            raise TlockError(f"{self.what}: {field} must be {exact} bytes (the length says {n})")
        if n > len(self.data):
            raise TlockError(f"{self.what}: {field} length {n} exceeds the ciphertext")
        return self.take(n, field)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise TlockError(f"{self.what} has {len(self.data) - self.pos} trailing bytes")


def parse(data: bytes) -> Ciphertext:
    """Parse a ciphertext strictly (every length checked, no trailing bytes); raises TlockError.
    The point U is not decoded here (see `decrypt`)."""
    if not isinstance(data, (bytes, bytearray)):
        raise TlockError("the ciphertext must be bytes")
    data = bytes(data)
    if len(data) > MAX_CIPHERTEXT:
        raise TlockError(f"the ciphertext is {len(data)} bytes, more than {MAX_CIPHERTEXT}")
    r = _Reader(data, "the ciphertext")
    u = r.take(96, "U")
    v = r.vec("V", 32)
    w = r.vec("W", 32)
    body = r.vec("body")
    suite = r.vec("cipher suite")
    r.end()
    if suite != SUITE:
        raise TlockError(f"unknown cipher suite {suite!r} (expected {SUITE!r})")
    b = _Reader(body, "the AES body")
    aes = b.vec("AES ciphertext")
    nonce = b.vec("nonce", NONCE_LEN)
    b.end()
    if len(aes) < TAG_LEN:
        raise TlockError("the AES ciphertext is shorter than its tag")
    return Ciphertext(u, v, w, aes, nonce)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _h3(sigma: bytes, key: bytes) -> int:
    return int.from_bytes(hashlib.sha256(sigma + key).digest(), "big") % R


def decrypt(data: bytes, signature: bytes, backend: Backend | None = None) -> bytes:
    """Open a ciphertext with the beacon signature of its round; raises TlockError (malformed
    ciphertext or signature, wrong round's signature, tampered body)."""
    b = backend or get_backend()
    ct = parse(data)
    try:
        u = b.g2(ct.u)
        sig = b.g1(signature)
    except BlsError as exc:
        raise TlockError(str(exc)) from None
    sigma = _xor(ct.v, hashlib.sha256(b.pairing_bytes(sig, u)).digest())
    key = _xor(ct.w, hashlib.sha256(sigma).digest())
    if not b.g2_eq(b.g2_generator_mul(_h3(sigma, key)), u):
        raise TlockError("the signature does not open this ciphertext (wrong round or beacon)")
    try:
        return AES.new(key, AES.MODE_GCM, nonce=ct.nonce).decrypt_and_verify(ct.aes[:-TAG_LEN], ct.aes[-TAG_LEN:])
    except ValueError:
        raise TlockError("the AES-GCM body does not authenticate") from None


def encrypt(
    public_key: bytes, round_: int, message: bytes, randomness: bytes, backend: Backend | None = None
) -> bytes:
    """Encrypt `message` to `round_` of the beacon with `public_key`. `randomness` (76 bytes: the
    AES key, the IBE seed and the nonce) must be fresh and secret; os.urandom(76)."""
    if len(randomness) != 76:
        raise TlockError("randomness must be 76 bytes")
    b = backend or get_backend()
    try:
        p_pub = b.g2(public_key)
    except BlsError as exc:
        raise TlockError(f"bad beacon public key: {exc}") from None
    key, seed, nonce = randomness[:32], randomness[32:64], randomness[64:]
    t = int.from_bytes(seed, "little") % R
    sigma = hashlib.sha256(t.to_bytes(32, "little")).digest()
    r = _h3(sigma, key)
    q_id = b.hash_to_g1(round_message(round_))
    g_id = b.pairing_bytes(q_id, b.g2_mul(p_pub, r))
    u = b.g2_bytes(b.g2_generator_mul(r))
    v = _xor(sigma, hashlib.sha256(g_id).digest())
    w = _xor(key, hashlib.sha256(sigma).digest())
    aes, tag = AES.new(key, AES.MODE_GCM, nonce=nonce).encrypt_and_digest(message)
    return Ciphertext(u, v, w, aes + tag, nonce).to_bytes()


# ---------------------------------------------------------------------- weights payload
def _u16_vec(xs) -> bytes:
    return scale_compact(len(xs)) + b"".join(int(x).to_bytes(2, "little") for x in xs)


def encode_weights_payload(hotkey: bytes, uids, values, version_key: int) -> bytes:
    return scale_compact(len(hotkey)) + bytes(hotkey) + _u16_vec(uids) + _u16_vec(values) + version_key.to_bytes(
        8, "little"
    )


def _read_compact(r: _Reader, field: str) -> int:
    first = r.take(1, field)[0]
    mode = first & 3
    if mode == 0:
        return first >> 2
    if mode == 1:
        return int.from_bytes(bytes([first]) + r.take(1, field), "little") >> 2
    if mode == 2:
        return int.from_bytes(bytes([first]) + r.take(3, field), "little") >> 2
    n = (first >> 2) + 4
    return int.from_bytes(r.take(n, field), "little")


def _read_u16s(r: _Reader, field: str) -> tuple[int, ...]:
    n = _read_compact(r, field + " length")
    if 2 * n > len(r.data):
        raise TlockError(f"the payload's {field} length {n} exceeds the payload")
    raw = r.take(2 * n, field)
    return tuple(int.from_bytes(raw[i:i + 2], "little") for i in range(0, 2 * n, 2))


def decode_weights_payload(data: bytes) -> tuple[bytes | None, tuple[int, ...], tuple[int, ...], int]:
    """(hotkey or None for the legacy form, uids, values, version_key); raises TlockError."""
    try:
        r = _Reader(data, "the weights payload")
        n = _read_compact(r, "hotkey length")
        if n == 32:  # an AccountId32; anything else is read as the legacy form
            hot = r.take(n, "hotkey")
            uids = _read_u16s(r, "uids")
            values = _read_u16s(r, "values")
            vk = int.from_bytes(r.take(8, "version_key"), "little")
            r.end()
            return hot, uids, values, vk
    except TlockError:
        pass
    r = _Reader(data, "the weights payload")  # LegacyWeightsTlockPayload{uids, values, version_key}
    uids = _read_u16s(r, "uids")
    values = _read_u16s(r, "values")
    vk = int.from_bytes(r.take(8, "version_key"), "little")
    r.end()
    return None, uids, values, vk
