"""BLS12-381 for drand beacons and timelock decryption, with two interchangeable backends.

drand's quicknet scheme (`bls-unchained-g1-rfc9380`, "min-sig"): signatures are G1 points (48
bytes compressed), public keys G2 points (96 bytes), the message of round r is sha256(u64be(r)),
hashed to G1 by RFC 9380 with the DST below. Compressed points use the zcash encoding (big-endian,
flag bits in the top three bits), as drand and arkworks do.

Backends (same bytes for every input; tests/support/test_bls.py runs both on the same inputs):
- `py-ecc`: pure Python, the reference. Pairings are computed as Miller loops multiplied together
  and exponentiated once (py-ecc's plain `pairing()` does a slow final exponentiation per call).
- `arkworks`: py-arkworks-bls12381 (native); the default when it is installed.

Every decoder checks the encoding, that the point is on the curve and in the prime-order subgroup,
and refuses the point at infinity; a failure raises `BlsError` with the reason.

Pairing values are serialized as arkworks serializes an Fp12 (Fp2 = c0 + c1*u, Fp6 over Fp2 with
v^3 = u + 1, Fp12 = c0 + c1*w with w^2 = v; each Fp as 48 little-endian bytes; 576 bytes), which is
what the timelock scheme of `bittensor-drand` hashes. Note arkworks' pairing equals py-ecc's
raised to the power -3 (arkworks' final exponentiation computes a multiple of the exponent, and its
Miller loop is conjugated for BLS12-381's negative parameter); the py-ecc backend converts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
QUICKNET_PUBLIC_KEY = bytes.fromhex(
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d106451"
    "0d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
)
QUICKNET_GENESIS_TIME = 1692803367
QUICKNET_PERIOD = 3
# the order of G1, G2 and GT
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
G1_SIZE, G2_SIZE, GT_SIZE = 48, 96, 576


class BlsError(ValueError):
    """A malformed point or scalar (wrong length, not on the curve, not in the subgroup...)."""


def round_message(round_: int) -> bytes:
    """The message drand signs for a round: sha256 of the round as a big-endian u64."""
    if not 0 <= round_ < 1 << 64:
        raise BlsError(f"round {round_} is not a u64")
    return hashlib.sha256(round_.to_bytes(8, "big")).digest()


def randomness_of(signature: bytes) -> bytes:
    """drand's randomness of a pulse: sha256 of its signature."""
    return hashlib.sha256(signature).digest()


def _check_len(data: bytes, n: int, what: str) -> None:
    if not isinstance(data, (bytes, bytearray)) or len(data) != n:
        got = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
        raise BlsError(f"{what} must be {n} bytes (got {got})")


class Backend:
    """One BLS12-381 implementation. Points are backend objects; bytes in and out are canonical."""

    name = ""

    # --- points
    def g1(self, data: bytes) -> Any:
        """Decode a compressed G1 point (checked: curve, subgroup, not infinity)."""
        raise NotImplementedError

    def g2(self, data: bytes) -> Any:
        raise NotImplementedError

    def g1_bytes(self, p: Any) -> bytes:
        raise NotImplementedError

    def g2_bytes(self, p: Any) -> bytes:
        raise NotImplementedError

    def hash_to_g1(self, msg: bytes, dst: bytes = DST_G1) -> Any:
        raise NotImplementedError

    def g1_mul(self, p: Any, k: int) -> Any:
        raise NotImplementedError

    def g2_mul(self, p: Any, k: int) -> Any:
        raise NotImplementedError

    def g2_generator_mul(self, k: int) -> Any:
        raise NotImplementedError

    def g1_sum(self, points: Sequence[Any]) -> Any:
        raise NotImplementedError

    def g2_eq(self, a: Any, b: Any) -> bool:
        raise NotImplementedError

    # --- pairings
    def pairing_bytes(self, p1: Any, q2: Any) -> bytes:
        """e(p1, q2) serialized as arkworks serializes Fp12 (576 bytes)."""
        raise NotImplementedError

    def pairing_check(self, pairs: Sequence[tuple[Any, Any]]) -> bool:
        """Whether the product of e(p1, q2) over `pairs` is one."""
        raise NotImplementedError

    # --- BLS (min-sig)
    def verify(self, public_key: bytes, msg: bytes, signature: bytes, dst: bytes = DST_G1) -> bool:
        """BLS min-sig verification: e(sig, G2) == e(H(msg), pk). Raises BlsError for a malformed
        key or signature; False for a well-formed one that does not verify."""
        pk = self.g2(public_key)
        sig = self.g1(signature)
        return self.pairing_check([(sig, self.g2_neg_generator()), (self.hash_to_g1(msg, dst), pk)])

    def g2_neg_generator(self) -> Any:
        raise NotImplementedError

    def sign(self, secret: int, msg: bytes, dst: bytes = DST_G1) -> bytes:
        return self.g1_bytes(self.g1_mul(self.hash_to_g1(msg, dst), secret % R))

    def public_key(self, secret: int) -> bytes:
        return self.g2_bytes(self.g2_generator_mul(secret % R))


# ---------------------------------------------------------------------- py-ecc
class PyEccBackend(Backend):
    name = "py-ecc"

    def __init__(self) -> None:
        import sys

        limit = sys.getrecursionlimit()
        try:
            from py_ecc import optimized_bls12_381 as o
            from py_ecc.bls import point_compression as pc
            from py_ecc.bls.hash_to_curve import hash_to_G1
        finally:
            # py-ecc sets it to 100000, at which deep recursion (a deeply nested JSON request to
            # the RPC) overflows the C stack instead of raising RecursionError
            sys.setrecursionlimit(limit)

        self.o, self.pc, self._h2c = o, pc, hash_to_G1
        self.q = o.field_modulus

    def _in_subgroup(self, p: Any) -> bool:
        return self.o.is_inf(self.o.multiply(p, R))

    def g1(self, data: bytes) -> Any:
        _check_len(data, G1_SIZE, "a G1 point")
        try:
            p = self.pc.decompress_G1(int.from_bytes(data, "big"))
        except (ValueError, ZeroDivisionError) as exc:
            raise BlsError(f"not a G1 point: {exc}") from None
        if self.o.is_inf(p):
            raise BlsError("the G1 point at infinity is not allowed")
        if not self._in_subgroup(p):
            raise BlsError("the G1 point is not in the prime-order subgroup")
        return p

    def g2(self, data: bytes) -> Any:
        _check_len(data, G2_SIZE, "a G2 point")
        try:
            p = self.pc.decompress_G2((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))
        except (ValueError, ZeroDivisionError) as exc:
            raise BlsError(f"not a G2 point: {exc}") from None
        if self.o.is_inf(p):
            raise BlsError("the G2 point at infinity is not allowed")
        if not self._in_subgroup(p):
            raise BlsError("the G2 point is not in the prime-order subgroup")
        return p

    def g1_bytes(self, p: Any) -> bytes:
        return self.pc.compress_G1(p).to_bytes(48, "big")

    def g2_bytes(self, p: Any) -> bytes:
        z1, z2 = self.pc.compress_G2(p)
        return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")

    def hash_to_g1(self, msg: bytes, dst: bytes = DST_G1) -> Any:
        return self._h2c(msg, dst, hashlib.sha256)

    def g1_mul(self, p: Any, k: int) -> Any:
        return self.o.multiply(p, k % R)

    g2_mul = g1_mul

    def g2_generator_mul(self, k: int) -> Any:
        return self.o.multiply(self.o.G2, k % R)

    def g1_sum(self, points: Sequence[Any]) -> Any:
        acc = self.o.Z1
        for p in points:
            acc = self.o.add(acc, p)
        return acc

    def g2_eq(self, a: Any, b: Any) -> bool:
        return self.o.eq(a, b)

    def g2_neg_generator(self) -> Any:
        return self.o.neg(self.o.G2)

    def _miller(self, p1: Any, q2: Any) -> Any:
        return self.o.pairing(q2, p1, final_exponentiate=False)

    def pairing_check(self, pairs: Sequence[tuple[Any, Any]]) -> bool:
        f = self.o.FQ12.one()
        for p1, q2 in pairs:
            f = f * self._miller(p1, q2)
        return self.o.final_exponentiate(f) == self.o.FQ12.one()

    def pairing_bytes(self, p1: Any, q2: Any) -> bytes:
        g = self.o.final_exponentiate(self._miller(p1, q2))
        g = g * g * g
        q = self.q
        # py-ecc's Fp12 is Fp[w]/(w^12 - 2w^6 + 2) with u = w^6 - 1, v = w^2; arkworks' value is the
        # conjugate (w -> -w) of the cube
        co = [int(c) if k % 2 == 0 else (-int(c)) % q for k, c in enumerate(g.coeffs)]
        out = bytearray()
        for i in (0, 1):  # Fp12 = c0 + c1 w
            for j in (0, 1, 2):  # Fp6 = c0 + c1 v + c2 v^2
                k = 2 * j + i
                hi = co[k + 6]
                out += ((co[k] + hi) % q).to_bytes(48, "little") + hi.to_bytes(48, "little")
        return bytes(out)


# ---------------------------------------------------------------------- arkworks
class ArkworksBackend(Backend):
    name = "arkworks"

    def __init__(self) -> None:
        import py_arkworks_bls12381 as ark

        self.a = ark
        self._neg_g2 = -ark.G2Point()

    def _scalar(self, k: int) -> Any:
        return self.a.Scalar.from_le_bytes((k % R).to_bytes(32, "little"))

    def g1(self, data: bytes) -> Any:
        _check_len(data, G1_SIZE, "a G1 point")
        try:
            p = self.a.G1Point.from_compressed_bytes(bytes(data))
        except Exception as exc:  # the binding raises ValueError or its own exception types
            raise BlsError(f"not a G1 point in the subgroup: {exc}") from None
        if p == self.a.G1Point.identity():
            raise BlsError("the G1 point at infinity is not allowed")
        if not p.is_in_subgroup():
            raise BlsError("the G1 point is not in the prime-order subgroup")
        return p

    def g2(self, data: bytes) -> Any:
        _check_len(data, G2_SIZE, "a G2 point")
        try:
            p = self.a.G2Point.from_compressed_bytes(bytes(data))
        except Exception as exc:
            raise BlsError(f"not a G2 point in the subgroup: {exc}") from None
        if p == self.a.G2Point.identity():
            raise BlsError("the G2 point at infinity is not allowed")
        if not p.is_in_subgroup():
            raise BlsError("the G2 point is not in the prime-order subgroup")
        return p

    def g1_bytes(self, p: Any) -> bytes:
        return bytes(p.to_compressed_bytes())

    def g2_bytes(self, p: Any) -> bytes:
        return bytes(p.to_compressed_bytes())

    def hash_to_g1(self, msg: bytes, dst: bytes = DST_G1) -> Any:
        return self.a.G1Point.hash_to_curve(bytes(msg), bytes(dst))

    def g1_mul(self, p: Any, k: int) -> Any:
        return p * self._scalar(k)

    g2_mul = g1_mul

    def g2_generator_mul(self, k: int) -> Any:
        return self.a.G2Point() * self._scalar(k)

    def g1_sum(self, points: Sequence[Any]) -> Any:
        acc = self.a.G1Point.identity()
        for p in points:
            acc = acc + p
        return acc

    def g2_eq(self, a: Any, b: Any) -> bool:
        return a == b

    def g2_neg_generator(self) -> Any:
        return self._neg_g2

    def pairing_check(self, pairs: Sequence[tuple[Any, Any]]) -> bool:
        return bool(self.a.GT.pairing_check([p for p, _ in pairs], [q for _, q in pairs]))

    def pairing_bytes(self, p1: Any, q2: Any) -> bytes:
        return bytes.fromhex(str(self.a.GT.pairing(p1, q2)))


# ---------------------------------------------------------------------- selection
BACKENDS = ("arkworks", "py-ecc")
_cache: dict[str, Backend] = {}


def available() -> list[str]:
    """The backends that can be loaded here, the default first."""
    out = []
    for name in BACKENDS:
        try:
            get_backend(name)
        except BlsError:
            continue
        out.append(name)
    return out


def get_backend(name: str | None = None) -> Backend:
    """A backend by name; None picks arkworks when installed, else py-ecc."""
    if name is None:
        try:
            return get_backend("arkworks")
        except BlsError:
            return get_backend("py-ecc")
    if name in _cache:
        return _cache[name]
    if name not in BACKENDS:
        raise BlsError(f"unknown BLS backend {name!r}: use one of {', '.join(BACKENDS)}")
    try:
        backend: Backend = ArkworksBackend() if name == "arkworks" else PyEccBackend()
    except ImportError as exc:
        raise BlsError(f"the {name} BLS backend is not installed ({exc})") from None
    _cache[name] = backend
    return backend


def verify_beacon(public_key: bytes, round_: int, signature: bytes, backend: Backend | None = None) -> bool:
    """Whether `signature` is the beacon's (quicknet scheme) signature of `round_`. Raises BlsError
    for a malformed key or signature."""
    return (backend or get_backend()).verify(public_key, round_message(round_), signature)


# ---------------------------------------------------------------------- threshold
def lagrange_at_zero(indices: Sequence[int]) -> list[int]:
    """Lagrange coefficients at x = 0 for the share indices (distinct, 1-based), mod R."""
    if len(set(indices)) != len(indices) or any(i <= 0 for i in indices):
        raise BlsError("share indices must be distinct and positive")
    out = []
    for i in indices:
        num, den = 1, 1
        for j in indices:
            if j != i:
                num = num * j % R
                den = den * (j - i) % R
        out.append(num * pow(den, -1, R) % R)
    return out


def combine_partials(partials: dict[int, bytes], backend: Backend | None = None) -> bytes:
    """The group signature from t partial signatures {share index: 48-byte G1 signature}."""
    b = backend or get_backend()
    idx = sorted(partials)
    coeffs = lagrange_at_zero(idx)
    return b.g1_bytes(b.g1_sum([b.g1_mul(b.g1(partials[i]), c) for i, c in zip(idx, coeffs, strict=True)]))


def poly_eval(coeffs: Sequence[int], x: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % R
    return acc


def deal_shares(coeffs: Sequence[int], n: int, backend: Backend | None = None) -> tuple[bytes, list[int], list[bytes]]:
    """Shamir-deal the secret coeffs[0] with a degree len(coeffs)-1 polynomial to shares 1..n.
    Returns (group public key, secret shares, share public keys); threshold t = len(coeffs)."""
    b = backend or get_backend()
    if not 1 <= len(coeffs) <= n:
        raise BlsError(f"threshold {len(coeffs)} must be between 1 and {n}")
    shares = [poly_eval(coeffs, i) for i in range(1, n + 1)]
    return b.public_key(coeffs[0]), shares, [b.public_key(s) for s in shares]
