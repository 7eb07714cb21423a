"""Scalar fixed-point arithmetic with substrate_fixed's semantics, on plain Python ints.

Every value is the raw two's-complement integer of a fixed-point number:
- I32F32: raw in [-2^63, 2^63 - 1], value = raw / 2^32 (subtensor's epoch vectors);
- I64F64: raw in [-2^127, 2^127 - 1], value = raw / 2^64 (stake normalisation);
- I96F32: raw in [-2^127, 2^127 - 1], value = raw / 2^32 (rao emission).

Semantics reproduced (substrate_fixed, a fork of the `fixed` crate):
- multiply: the exact wide product shifted right by the fraction bits, i.e. floor;
- divide: (a << frac) / b with Rust integer division, i.e. truncation toward zero;
- `saturating_*` clamp to the type's bounds; `checked_*` return None on overflow;
- `safe_div` (subtensor's safe_math) returns 0 when the divisor is 0 *or* the quotient overflows;
- conversion to an integer (`saturating_to_num`) is floor, clamped to the target's range;
- `exp` is substrate_fixed's 30-term Taylor series (negative inputs through 1/exp(-x)).

Only integers: no float is ever produced or consumed.
"""

from __future__ import annotations

from decimal import Decimal, getcontext

FRAC32 = 32
ONE32 = 1 << FRAC32
HALF32 = 1 << (FRAC32 - 1)
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
I128_MIN = -(1 << 127)
I128_MAX = (1 << 127) - 1
U16_MAX = 0xFFFF
U64_MAX = (1 << 64) - 1


def _clamp(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else hi if x > hi else x


def _trunc_div(a: int, b: int) -> int:
    """Rust integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _compute_e_i9f23_bits() -> int:
    getcontext().prec = 60
    e = Decimal(1).exp()
    return int(e * (1 << 126)) >> 103  # consts::E (U2F126) >> 103 == I9F23 bits


# substrate_fixed's `exp(1)` shortcut returns the I9F23 constant E widened to I32F32.
E_I32F32 = _compute_e_i9f23_bits() << (FRAC32 - 23)


# ---- I32F32 ----------------------------------------------------------------------------------


def compute_from_int(x: int) -> int:
    """I32F32::saturating_from_num(integer)."""
    return _clamp(x << FRAC32, I64_MIN, I64_MAX)


def compute_sat_add(a: int, b: int) -> int:
    return _clamp(a + b, I64_MIN, I64_MAX)


def compute_sat_sub(a: int, b: int) -> int:
    return _clamp(a - b, I64_MIN, I64_MAX)


def compute_sat_mul(a: int, b: int) -> int:
    """I32F32 saturating_mul: floor((a*b) / 2^32), clamped."""
    return _clamp((a * b) >> FRAC32, I64_MIN, I64_MAX)


def compute_checked_mul(a: int, b: int) -> int | None:
    r = (a * b) >> FRAC32
    return r if I64_MIN <= r <= I64_MAX else None


def compute_checked_div(a: int, b: int) -> int | None:
    if b == 0:
        return None
    q = _trunc_div(a << FRAC32, b)
    return q if I64_MIN <= q <= I64_MAX else None


def compute_safe_div(a: int, b: int) -> int:
    """subtensor safe_div on I32F32: 0 on division by zero and on overflow."""
    q = compute_checked_div(a, b)
    return 0 if q is None else q


def compute_sat_div(a: int, b: int) -> int:
    """I32F32 saturating_div (b != 0 in every use)."""
    return _clamp(_trunc_div(a << FRAC32, b), I64_MIN, I64_MAX)


def compute_to_u16(x: int) -> int:
    """saturating_to_num::<u16>(): floor, clamped to 0..65535."""
    return _clamp(x >> FRAC32, 0, U16_MAX)


def compute_to_u64(x: int) -> int:
    return _clamp(x >> FRAC32, 0, U64_MAX)


def compute_proportion_to_u16(x: int) -> int:
    """fixed_proportion_to_u16: floor(x * 65535) as u16, saturating."""
    return compute_to_u16(compute_sat_mul(x, compute_from_int(U16_MAX)))


def compute_u16_proportion(x: int) -> int:
    """fixed_to_fixed_u16_proportion / u16_proportion_to_fixed: I32F32(x) / I32F32(65535)."""
    return compute_safe_div(x, compute_from_int(U16_MAX))


# ---- I64F64 ----------------------------------------------------------------------------------


def compute_safe_div_64(a: int, b: int) -> int:
    """safe_div on I64F64 raw values."""
    if b == 0:
        return 0
    q = _trunc_div(a << 64, b)
    return q if I128_MIN <= q <= I128_MAX else 0


def compute_fixed64_to_fixed32(x: int) -> int:
    """I32F32::saturating_from_num(I64F64): drop 32 fraction bits (floor), clamp."""
    return _clamp(x >> 32, I64_MIN, I64_MAX)


# ---- I96F32 ----------------------------------------------------------------------------------


def compute_rao_share(x: int, rao: int) -> int:
    """floor(I96F32(x) * I96F32(rao)) as u64, both saturating (x is I32F32 raw)."""
    prod = _clamp((x * (rao << FRAC32)) >> FRAC32, I128_MIN, I128_MAX)
    return _clamp(prod >> FRAC32, 0, U64_MAX)


# ---- exp ---------------------------------------------------------------------------------------


def compute_exp(x: int) -> int | None:
    """substrate_fixed::transcendental::exp on I32F32; None where the Rust code returns Err."""
    if x == 0:
        return ONE32
    if x == ONE32:
        return E_I32F32
    neg = x < 0
    op = -x if neg else x
    result = op + ONE32
    term = op
    for i in range(2, FRAC32):
        term = compute_checked_mul(term, op)
        if term is None:
            return None
        term = compute_checked_div(term, compute_from_int(i))
        if term is None:
            return None
        result = result + term
        if result > I64_MAX:
            return None
    if neg:
        return compute_checked_div(ONE32, result)
    return result


def compute_exp_safe(x: int) -> int:
    """subtensor exp_safe: clamp to [-20, 20], exp, and on error 0 (x <= 0) or I32F32::MAX."""
    lo, hi = compute_from_int(-20), compute_from_int(20)
    x = lo if x < lo else hi if x > hi else x
    r = compute_exp(x)
    if r is None:
        return 0 if x <= 0 else I64_MAX
    return r
