"""The Yuma epoch for S subnets at once, as dense int64 arrays, on NumPy or CuPy (`xp`).

Same results as `runtime.yuma.reference` bit for bit; the reference is the specification, this is
the fast path. Layout: subnets are padded to N = the largest n; the weight and bond matrices are
[S, K, N] where the K rows of subnet s are the uids that hold any weight or bond entry or a
validator permit (every other row provably contributes nothing: no entries, zero active stake),
listed first, then the remaining uids to fill K. Sparse semantics are kept with presence masks
(an explicit 0 weight is present), and entry order inside stored rows (which subtensor's liquid
alpha cursor depends on) with position arrays. Padding uids have no stake, no entries and no
permit, and are excluded from the top-k ranking, so they change no subnet's result.

Arithmetic: raw I32F32 values in int64. Products `floor(a*b / 2^32)` are split into 16- or
32-bit limbs (the 32x32 limb product in uint64); divisions `floor((a << 32) / d)` run as a long
division in 16-bit steps, or for stake in k-bit steps with a uint64 remainder (k = 64 - bitlen of
the largest total), so no intermediate leaves 63 bits (64 in uint64). Where a cheap bound (a
Python int from a max, or a proved range) shows it exact, the same floor is taken in one uint64
step instead: a product whose factor bounds multiply below 2^64, or (a << 32) // d with every a
below 2^32; the chosen form changes no bit. No float appears in the consensus path and no Python
loop runs over neurons or matrix entries (only fixed loops over bits, digits or Taylor terms).

Bounds that rule out overflow (checked by `EpochInput` and tested at the extremes):
- N <= 4096 uids, so K <= 2^12 and column sums of values <= 1 (2^32 raw) stay below 2^45;
- total stake < 2^63 rao (21e6 TAO = 2.1e16 rao ~ 2^54.2 is far inside): normalised stake is a
  32-bit long division with a remainder below 2^63, shifted in uint64;
- normalised quantities (stake, weights, consensus, incentive, dividends, bonds) lie in
  [0, 2^32], so 16-bit-limb products stay below 2^49 and 16-bit division steps below 2^61;
- u16 inputs: weights are row-normalised as (w << 32) // sum_w with w << 32 < 2^48;
- liquid alpha: |steepness / 100| <= 327.68 (< 2^41 raw), the exponent is clamped to [-20, 20]
  (< 2^36.4 raw) and every Taylor term, partial sum and exp(20) (< 2^60.9 raw) fits int64; the
  two 1/x divisions use 2^64 // x on uint64 with x >= 2^32;
- rao_emission < 2^63 and each share x <= 2^32: floor(x * rao / 2^32) = x*hi + (x*lo >> 32),
  with x*hi < 2^63;
- bonds_moving_average <= 1e6, alpha_low <= alpha_high (EpochInput), so every EMA coefficient
  is in [0, 1] and every product is of non-negative values; the only signed products (bonds
  penalty interpolation and the sigmoid exponent) use sign and magnitude with an exact floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from runtime.yuma.batch import EpochArrays, EpochArraysOutput
from runtime.yuma.fixed import E_I32F32
from runtime.yuma.types import PARAM_NAMES, EpochInput, EpochOutput

ONE = 1 << 32
HALF = 1 << 31
M16 = 0xFFFF
M32 = 0xFFFFFFFF
U16_MAX = 0xFFFF
NO_COMMIT = (1 << 63) - 1  # stands for u64::MAX (no unexpired commit); every block is below it
BIG = 1 << 62


@dataclass(frozen=True, slots=True)
class PackedEpochs:
    """S subnets' inputs as arrays (host NumPy or device CuPy); see the module docstring."""

    n: Any  # [S] int64 subnet sizes
    rows: Any  # [S, K] int64 uid of each compact matrix row
    stake: Any  # [S, N] int64 rao
    last_update: Any  # [S, N] int64
    registered: Any  # [S, N] int64 block_at_registration (padding: 0)
    permit: Any  # [S, N] bool stored validator permits
    permit_len: Any  # [S] int64 length of the stored permit vector
    commit: Any  # [S, N] int64 earliest unexpired commit block (NO_COMMIT = none)
    w: Any  # [S, K, N] int64 weight u16 values
    w_present: Any  # [S, K, N] bool
    w_pos: Any  # [S, K, N] int64 entry position inside the stored row
    b: Any  # [S, K, N] int64 bond u16 values (0 where absent)
    b_present: Any  # [S, K, N] bool
    b_pos: Any  # [S, K, N] int64
    rows_sorted: bool  # every weight and bond row is stored in ascending uid order
    scalars: dict[str, Any]  # name -> [S] int64 (per-subnet parameters)


# the scalars packed as int64[S] as they are (n and owner_uid, which may be None, are packed apart)
SCALAR_FIELDS = tuple(name for name in PARAM_NAMES if name not in ("n", "owner_uid"))


def _coo_groups(coos: list[np.ndarray], n_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All subnets' (row, col, value) entries concatenated, cut into stored rows: the key
    subnet * N + row uid, first entry index and entry count of each stored row, and the entries."""
    lens = np.array([c.shape[0] for c in coos], dtype=np.int64)
    if int(lens.sum()) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros((0, 3), dtype=np.int64)
    entries = np.concatenate(coos)
    row_uid = entries[:, 0] + np.repeat(np.arange(len(coos), dtype=np.int64) * n_max, lens)
    first = np.empty(row_uid.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(row_uid[1:], row_uid[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=row_uid.shape[0])
    return row_uid[starts], starts, counts, entries


def compute_packed_arrays(batch: list[EpochArrays], xp: Any = np) -> PackedEpochs:
    """Pad and stack the subnets' arrays into a PackedEpochs on `xp` (vectorized; per-subnet slices only).

    The K rows of subnet s are the uids with an in-range weight entry, a bond entry or a stored
    permit, and the owner if it is inside the permit vector, ascending; then the other uids below
    N, ascending, to fill K. Entry positions count a stored row's entries after weight entries
    with col >= n are dropped.
    """
    s_count = len(batch)
    n_arr = np.array([a.n for a in batch], dtype=np.int64)
    n_max = max([1] + n_arr.tolist())
    stake = np.zeros((s_count, n_max), dtype=np.int64)
    last_update = np.zeros((s_count, n_max), dtype=np.int64)
    registered = np.zeros((s_count, n_max), dtype=np.int64)
    commit = np.full((s_count, n_max), NO_COMMIT, dtype=np.int64)
    permit = np.zeros((s_count, n_max), dtype=bool)
    permit_len = np.zeros(s_count, dtype=np.int64)
    selected = np.zeros((s_count, n_max), dtype=bool)
    for s, a in enumerate(batch):
        n, p_len = a.n, a.validator_permit.shape[0]
        stake[s, :n] = a.stake
        last_update[s, :n] = a.last_update
        registered[s, :n] = a.block_at_registration
        if a.commit_blocks is not None:
            commit[s, :n] = np.where(a.commit_blocks < 0, NO_COMMIT, a.commit_blocks)
        permit[s, :p_len] = a.validator_permit
        permit_len[s] = p_len
        if a.owner_uid is not None and a.owner_uid < p_len:
            selected[s, a.owner_uid] = True

    weights = []
    for a in batch:  # weight entries with uid >= n are dropped (get_weights_sparse)
        wa = a.weights
        if wa.shape[0] and int(wa[:, 1].max()) >= a.n:
            wa = wa[wa[:, 1] < a.n]
        weights.append(wa)
    groups = [_coo_groups(weights, n_max), _coo_groups([a.bonds for a in batch], n_max)]
    selected_flat = selected.reshape(-1)
    for g in groups:
        selected_flat[g[0]] = True  # every row with an entry
    selected |= permit
    k_max = max(1, int(selected.sum(axis=1).max())) if s_count else 1
    order = np.argsort(~selected, axis=1, kind="stable")  # selected uids ascending, then the rest
    rows = np.ascontiguousarray(order[:, :k_max])
    row_of = np.empty((s_count, n_max), dtype=np.int64)  # subnet * K + compact row, by subnet * N + uid
    row_of[np.arange(s_count)[:, None], order] = np.arange(n_max, dtype=np.int64)
    row_of += np.arange(s_count, dtype=np.int64)[:, None] * k_max

    shape = (s_count, k_max, n_max)
    rows_sorted = True
    mats = []
    for key, starts, counts, entries in groups:
        values, present, pos = np.zeros(shape, np.int64), np.zeros(shape, bool), np.zeros(shape, np.int64)
        size = entries.shape[0]
        if size:
            col_uid = entries[:, 1]
            flat = np.repeat(row_of.reshape(-1)[key] * n_max, counts)
            flat += col_uid
            # entry position inside its stored row: index minus the index of the row's first entry
            entry_pos = np.arange(size, dtype=np.int64)
            entry_pos -= np.repeat(starts, counts)
            values.reshape(-1)[flat] = entries[:, 2]
            present.reshape(-1)[flat] = True
            pos.reshape(-1)[flat] = entry_pos
            # sorted: the uid rises from each entry to the next one of its row (position > 0)
            rows_sorted = rows_sorted and bool(((entry_pos[1:] == 0) | (col_uid[1:] > col_uid[:-1])).all())
        mats.append((values, present, pos))
    (w, w_present, w_pos), (b, b_present, b_pos) = mats
    scalars = {name: np.array([int(getattr(a, name)) for a in batch], dtype=np.int64) for name in SCALAR_FIELDS}
    scalars["owner_uid"] = np.array([-1 if a.owner_uid is None else a.owner_uid for a in batch], dtype=np.int64)
    put = xp.asarray
    return PackedEpochs(
        n=put(n_arr), rows=put(rows), stake=put(stake), last_update=put(last_update),
        registered=put(registered), permit=put(permit), permit_len=put(permit_len), commit=put(commit),
        w=put(w), w_present=put(w_present), w_pos=put(w_pos), b=put(b), b_present=put(b_present),
        b_pos=put(b_pos), rows_sorted=rows_sorted, scalars={k: put(v) for k, v in scalars.items()},
    )


def compute_packed(inputs: list[EpochInput], xp: Any = np) -> PackedEpochs:
    """Pad and stack EpochInputs: `compute_packed_arrays` of their `EpochArrays.from_input`."""
    return compute_packed_arrays([EpochArrays.from_input(inp) for inp in inputs], xp)


# ---- limb arithmetic -----------------------------------------------------------------------------


def compute_mul(a: Any, b: Any) -> Any:
    """floor(a*b / 2^32) for 0 <= a < 2^46, 0 <= b < 2^48 (16-bit limbs of b)."""
    return (a * (b >> 16) + ((a * (b & M16)) >> 16)) >> 16


def compute_mul_bounded(xp: Any, a: Any, b: Any, a_max: int, b_max: int) -> Any:
    """compute_mul for 0 <= a <= a_max, 0 <= b <= b_max: one uint64 product when a_max*b_max < 2^64."""
    if a_max * b_max < (1 << 64):
        return ((a.view(xp.uint64) * b.view(xp.uint64)) >> 32).view(xp.int64)
    return compute_mul(a, b)


def compute_mul_wide(xp: Any, a: Any, b: Any) -> Any:
    """floor(a*b / 2^32) for 0 <= a, b < 2^63 whose result fits int64 (32-bit limbs, uint64 low)."""
    ah, al = a >> 32, a & M32
    bh, bl = b >> 32, b & M32
    low = ((al.astype(xp.uint64) * bl.astype(xp.uint64)) >> 32).astype(xp.int64)
    return ((ah * bh) << 32) + ah * bl + al * bh + low


def compute_mul_signed(xp: Any, a: Any, b: Any) -> Any:
    """floor(a*b / 2^32) for signed |a| < 2^46, |b| < 2^34 (exact floor toward -inf)."""
    neg = (a < 0) ^ (b < 0)
    ma, mb = xp.abs(a), xp.abs(b)
    m = compute_mul(ma, mb)
    inexact = ((ma.astype(xp.uint64) * mb.astype(xp.uint64)) & M32) != 0
    return xp.where(neg, -m - inexact.astype(xp.int64), m)


def compute_shl32_div(xp: Any, a: Any, d: Any) -> Any:
    """floor((a << 32) / d) for a >= 0, 0 < d < 2^47 and a // d < 2^31; 0 where d == 0."""
    dd = xp.where(d > 0, d, 1)
    q = a // dd
    r = a - q * dd
    for _ in range(2):
        r = r << 16
        qq = r // dd
        r = r - qq * dd
        q = (q << 16) + qq
    return xp.where(d > 0, q, 0)


def compute_shl32_div_wide(xp: Any, a: Any, d: Any) -> Any:
    """floor((a << 32) / d) for 0 <= a <= d < 2^63 (long division, uint64 remainder); 0 where d == 0.

    Digits of k bits, k = 64 - bitlen(max d): the remainder r < d, so r << k < 2^64 (k >= 1).
    """
    dd = xp.where(d > 0, d, 1)
    q = a // dd
    r = (a - q * dd).astype(xp.uint64)
    du = dd.astype(xp.uint64)
    k = 64 - int(dd.max()).bit_length()
    bits = 32
    while bits > 0:
        step = min(k, bits)
        r <<= step
        qq = r // du
        r -= qq * du
        q = (q << step) + qq.view(xp.int64)
        bits -= step
    return xp.where(d > 0, q, 0)


def compute_recip64(xp: Any, x: Any) -> Any:
    """trunc(2^64 / x) for 2^32 <= x < 2^63 (I32F32 1/x): (2^64 - x) // x + 1 on uint64."""
    xu = x.view(xp.uint64)
    q = xp.negative(x).view(xp.uint64)  # 2^64 - x (two's complement of 0 < x < 2^63)
    xp.floor_divide(q, xu, out=q)
    xp.add(q, 1, out=q)
    return q.view(xp.int64)


def compute_shl32_div_part(xp: Any, a: Any, d: Any) -> Any:
    """where(d != 0, floor((a << 32) / d), a) for 0 <= a <= d < 2^47, d a sum of non-negative values
    that include a (so a == 0 where d == 0). With every a below ONE, a << 32 fits uint64 and one
    uint64 division is exact; otherwise the 16-bit long division."""
    if int(a.max()) < ONE:
        return ((a.view(xp.uint64) << 32) // xp.maximum(d, 1).view(xp.uint64)).view(xp.int64)
    return xp.where(d != 0, compute_shl32_div(xp, a, d), a)


def compute_normalize(xp: Any, x: Any) -> Any:
    """inplace_normalize on the last axis (values in [0, 2^34))."""
    return compute_shl32_div_part(xp, x, x.sum(axis=-1, keepdims=True))


def compute_to_u16(xp: Any, x: Any) -> Any:
    """fixed_proportion_to_u16 for 0 <= x < 2^47."""
    return xp.clip((x * U16_MAX) >> 32, 0, U16_MAX)


def compute_u16_proportion(x: Any) -> Any:
    """I32F32(x) / I32F32(65535) for a u16 x: floor((x << 32) / 65535)."""
    return ((x.view(np.uint64) << 32) // U16_MAX).view(np.int64)  # x >= 0: uint64 is exact, and faster


def compute_rao(xp: Any, x: Any, rao: Any) -> Any:
    """floor(x * rao / 2^32) for 0 <= x <= 2^32, 0 <= rao < 2^63."""
    return x * (rao >> 32) + compute_mul(x, rao & M32)


def compute_seen(xp: Any, present: Any, pos: Any) -> Any:
    """Entries a forward-only cursor over the stored row finds: strict running maxima of uid."""
    m = xp.where(present, pos, BIG)
    n = m.shape[-1]
    step = 1
    while step < n:
        nxt = m.copy()
        nxt[..., : n - step] = xp.minimum(m[..., : n - step], m[..., step:])
        m = nxt
        step *= 2
    after = xp.concatenate([m[..., 1:], xp.full(m.shape[:-1] + (1,), BIG, dtype=m.dtype)], axis=-1)
    return present & (pos < after)


CHUNK = 1 << 15  # NumPy works the Taylor series in cache-sized chunks (a fixed split, no data dependence)


def compute_taylor_sum(xp: Any, op: Any, out: Any = None) -> Any:
    """substrate_fixed's 30-term Taylor exp sum on raw I32F32 0 <= op <= 20 << 32 (uint64).

    term_i = floor(floor(term_{i-1} * op / 2^32) / i) = floor(term_{i-1} * op / (i * 2^32)) (nested
    floors of positive divisors merge). Every term is a non-decreasing function of op, so the
    largest term of step i is the term of op_max, tracked exactly with Python ints (`t`): it picks
    the cheapest exact product form (every piece below 2^64) and stops when every term is 0 (all
    later terms are then 0 too). Forms, with op = oh*2^32 + ol = oh16*2^16 + ol16:
    term*op if t*op_max < 2^64; term*oh16 + (term*ol16 >> 16) over i*2^16 if t*(oh16_max + 1) and
    t*2^16 are below 2^64; otherwise term*oh + (term >> 32)*ol + ((term & M32)*ol >> 32), then / i.
    """
    op_max = int(op.max())
    result = xp.add(op, ONE, out=out)
    if op_max == 0:
        return result
    term = xp.empty_like(op)
    b1 = xp.empty_like(op)
    src = op  # term_1 = op: the first step reads op itself
    limbs: dict[str, Any] = {}
    t = op_max
    wide16 = max((op_max >> 16) + 1, 1 << 16)
    for i in range(2, 32):
        if t * op_max < (1 << 64):
            xp.multiply(src, op, out=term)
            xp.floor_divide(term, i << 32, out=term)
        elif t * wide16 < (1 << 64):
            if "oh16" not in limbs:
                limbs["oh16"], limbs["ol16"] = op >> 16, op & M16
            xp.multiply(src, limbs["ol16"], out=b1)
            xp.right_shift(b1, 16, out=b1)
            xp.multiply(src, limbs["oh16"], out=term)
            xp.add(term, b1, out=term)
            xp.floor_divide(term, i << 16, out=term)
        else:
            if "oh" not in limbs:
                limbs["oh"], limbs["ol"], limbs["b2"] = op >> 32, op & M32, xp.empty_like(op)
            b2 = limbs["b2"]
            xp.bitwise_and(src, M32, out=b1)
            xp.multiply(b1, limbs["ol"], out=b1)
            xp.right_shift(b1, 32, out=b1)
            xp.right_shift(src, 32, out=b2)
            xp.multiply(b2, limbs["ol"], out=b2)
            xp.add(b1, b2, out=b1)
            xp.multiply(src, limbs["oh"], out=term)
            xp.add(term, b1, out=term)
            xp.floor_divide(term, i, out=term)
        xp.add(result, term, out=result)
        src = term
        t = (t * op_max >> 32) // i
        if t == 0:
            break  # every term is 0 from here on
    return result


def compute_exp_chunk(xp: Any, y: Any, out: Any, sigmoid: bool) -> None:
    """exp_safe(y) (or 1 / (1 + exp_safe(y)) if `sigmoid`) of a flat chunk y into `out` (int64)."""
    op = xp.abs(y)
    xp.minimum(op, 20 << 32, out=op)  # exp_safe's clamp to [-20, 20] (sign kept in y)
    result = compute_taylor_sum(xp, op.view(xp.uint64), out.view(xp.uint64)).view(xp.int64)
    # y == 0 needs no case of its own: the sum is then exactly ONE
    if int(y.min()) < 0:
        xp.copyto(result, compute_recip64(xp, result), where=y < 0)
    one = y == ONE
    if bool(one.any()):
        xp.copyto(result, E_I32F32, where=one)
    if sigmoid:  # trunc(2^64 / (ONE + e)) in place, as compute_recip64
        result += ONE
        q = xp.negative(result).view(xp.uint64)
        xp.floor_divide(q, result.view(xp.uint64), out=out.view(xp.uint64))
        out += 1


def compute_exp_safe(xp: Any, y: Any, sigmoid: bool = False) -> Any:
    """subtensor exp_safe (clamp to [-20, 20], substrate_fixed Taylor exp) on raw I32F32.

    With `sigmoid`, 1 / (1 + exp_safe(y)) (I32F32 division, as liquid alpha's sigmoid). NumPy
    works in cache-sized chunks (a fixed split, no data dependence).
    """
    flat = y.ravel()
    size = flat.shape[0]
    out = xp.empty(size, dtype=xp.int64)
    step = CHUNK if xp is np else max(size, 1)
    for s in range(0, size, step):
        compute_exp_chunk(xp, flat[s : s + step], out[s : s + step], sigmoid)
    return out.reshape(y.shape)


def compute_liquid_alpha(xp: Any, c: Any, weight: Any, bond: Any, low: Any, high: Any, steep: Any) -> Any:
    """run_epoch.rs liquid_alpha_sigmoid, element-wise; `steep` is the plain i16 steepness."""
    # weight, bond, c in [0, ONE]: weight - c and bond - weight are at most ONE, and bond - weight
    # is positive where weight < bond, so only the lower clip of diff_buy is needed
    x = xp.where(weight >= bond, xp.maximum(weight - c, 0), bond - weight)
    # steepness / -100, truncated toward zero
    mag = (xp.abs(steep) << 32) // 100
    a = xp.where(steep > 0, -mag, mag)
    # floor(a * d / 2^32) with a = ah * 2^32 + al (ah signed, 0 <= al < 2^32) and |d| <= 2^31:
    # ah*d + floor(al*d / 2^32), where |al*d| < 2^63 and >> is the floor
    x -= HALF
    exponent = (a >> 32) * x
    al = a & M32
    if bool((al != 0).any()):
        exponent += (al * x) >> 32
    sigmoid = compute_exp_safe(xp, exponent, sigmoid=True)
    # 0 < exp_safe, so sigmoid < ONE and low <= alpha <= high (low <= high): no clamp needed
    return low + compute_mul_bounded(xp, sigmoid, high - low, ONE - 1, ONE)


def compute_liquid_ema(
    xp: Any, c: Any, weight: Any, bond: Any, b3: Any, wb: Any, low: Any, high: Any, steep: Any
) -> Any:
    """min((1 - alpha) * b3 + alpha * wb, 1) with alpha = liquid alpha (c [S, 1, N], the matrices
    [S, K, N], low/high/steep [S]). Element-wise, so NumPy runs it in cache-sized blocks of whole
    subnets, or of rows of one subnet (a fixed split of the shape, no data dependence)."""
    s_count, k_rows, n = weight.shape
    # alpha in [low, high] (low <= high), b3 and wb in [0, ONE]: bounds for the products
    one_minus_max, alpha_max = ONE - int(low.min()), int(high.max())
    low3, high3, steep3 = low[:, None, None], high[:, None, None], steep[:, None, None]
    blocks: list[tuple[slice, slice]] = [(slice(None), slice(None))]
    if xp is np and s_count * k_rows * n > CHUNK:
        if k_rows * n <= CHUNK:
            step = CHUNK // (k_rows * n)
            blocks = [(slice(s, s + step), slice(None)) for s in range(0, s_count, step)]
        else:
            step = max(1, CHUNK // n)
            blocks = [(slice(s, s + 1), slice(k, k + step)) for s in range(s_count) for k in range(0, k_rows, step)]
    out = xp.empty(weight.shape, dtype=xp.int64)
    for bs, bk in blocks:
        alpha = compute_liquid_alpha(xp, c[bs], weight[bs, bk], bond[bs, bk], low3[bs], high3[bs], steep3[bs])
        val = compute_mul_bounded(xp, ONE - alpha, b3[bs, bk], one_minus_max, ONE)
        val += compute_mul_bounded(xp, alpha, wb[bs, bk], alpha_max, ONE)
        xp.minimum(val, ONE, out=out[bs, bk])
    return out


# ---- the epoch ---------------------------------------------------------------------------------


def compute_epochs_packed(p: PackedEpochs, xp: Any = np) -> dict[str, Any]:
    """Run the epoch on packed arrays; returns the output arrays (see `compute_unpacked`)."""
    sc = p.scalars
    s_count, n_max = p.stake.shape
    k_rows = p.rows.shape[1]
    col = lambda v: v[:, None]  # noqa: E731  [S] -> [S, 1]
    mat = lambda v: v[:, None, None]  # noqa: E731  [S] -> [S, 1, 1]
    uid = xp.arange(n_max, dtype=xp.int64)[None, :]
    valid = uid < col(p.n)
    owner = sc["owner_uid"]
    is_owner = uid == col(owner)

    # --- 1. activity
    cb, cutoff = sc["current_block"], sc["activity_cutoff"]
    inactive = valid & col(cb > cutoff) & (p.last_update < col(cb - cutoff))
    active = valid & ~inactive

    # --- 2. stake: threshold (owner exempt), normalise, truncate to I32F32
    keep = valid & (is_owner | (p.stake >= col(sc["stake_threshold"])))
    filtered = xp.where(keep, p.stake, 0)
    stake = compute_shl32_div_wide(xp, filtered, filtered.sum(axis=1, keepdims=True))

    # --- 3. permits: stored (owner forced) and new = top-k nonzero stake, ties drop lower uids
    in_len = uid < col(p.permit_len)
    permit = (p.permit | (is_owner & in_len)) & in_len
    forbid = ~permit
    key = xp.where(valid, stake * n_max + uid, BIG)
    rank = xp.argsort(xp.argsort(key, axis=1), axis=1)
    k_val = sc["max_allowed_validators"]
    cut = xp.where(p.n >= k_val, p.n - k_val, 0)
    new_permit = valid & (stake != 0) & (rank >= col(cut))
    new_permit = new_permit | (is_owner & valid)

    # --- 4. active stake
    active_stake = xp.where(inactive, 0, stake)
    active_stake = xp.where(forbid & col(p.permit_len > 0), 0, active_stake)
    active_stake = compute_normalize(xp, active_stake)

    # --- per-row views of the compact matrices
    rows = p.rows
    take = lambda v: xp.take_along_axis(v, rows, axis=1)  # noqa: E731
    forbid_r, lu_r, commit_r, as_r = take(forbid), take(p.last_update), take(p.commit), take(active_stake)
    row_is_owner = rows == col(owner)
    reg_c = p.registered[:, None, :]
    jj = uid[:, None, :]

    # --- 5. weights: permit rows, diagonal (owner exempt), outdated, commit-reveal, row-normalise
    wp = p.w_present & ~forbid_r[:, :, None]
    wp = wp & ~((rows[:, :, None] == jj) & ~row_is_owner[:, :, None])
    wp = wp & ~(lu_r[:, :, None] <= reg_c)
    cr_on = sc["commit_reveal_enabled"] != 0
    if bool(cr_on.any()):
        wp = wp & ~(mat(cr_on) & (commit_r[:, :, None] < reg_c))
    w = xp.where(wp, p.w, 0)
    w_sum = w.sum(axis=2, keepdims=True)
    wn = (w << 32) // xp.where(w_sum > 0, w_sum, 1)

    # --- 6. consensus: closed-form weighted median over positive active stake rows
    use = compute_normalize(xp, as_r)
    minority = use.sum(axis=1) - compute_u16_proportion(sc["kappa"])
    # rows without positive stake are not in the median: they sort last with a sentinel score
    voter = (use > 0)[:, :, None]
    scores_t = xp.where(voter, wn, ONE << 1).transpose(0, 2, 1)  # [S, N, K]
    kbits = max(1, (k_rows - 1).bit_length())
    keys = xp.sort((scores_t << kbits) + xp.arange(k_rows, dtype=xp.int64), axis=2)
    sorted_scores = keys >> kbits
    sorted_stake = xp.take_along_axis(
        xp.broadcast_to(use[:, None, :], keys.shape), keys & ((1 << kbits) - 1), axis=2
    )
    qualifies = xp.cumsum(sorted_stake, axis=2) > minority[:, None, None]
    first = xp.argmax(qualifies, axis=2)
    median = xp.take_along_axis(sorted_scores, first[:, :, None], axis=2)[:, :, 0]
    max_score = xp.where(voter, wn, 0).max(axis=1)
    consensus = xp.where(qualifies.any(axis=2), median, max_score)
    consensus = xp.where(valid & (consensus <= ONE), consensus, 0)

    # --- 7. clip; 8. validator trust
    c3 = consensus[:, None, :]
    clip_p = wp & ((wn <= c3) | (c3 > 0))
    clipped = xp.where(clip_p, xp.minimum(wn, c3), 0)
    vtrust_r = clipped.sum(axis=2)

    # --- 9. ranks, incentive
    ranks = compute_mul_bounded(xp, as_r[:, :, None], clipped, int(as_r.max()), ONE).sum(axis=1)
    incentive = compute_normalize(xp, ranks)

    # --- 10. weights for bonds (bonds penalty interpolation)
    beta = compute_u16_proportion(sc["bonds_penalty"])
    beta0, beta1 = mat(beta == 0), mat(beta == ONE)
    if bool(((beta != 0) & (beta != ONE)).any()):  # interpolation only where some subnet needs it
        mixed = wn + compute_mul_signed(xp, mat(beta), clipped - wn)
        wb = xp.where(beta0, wn, xp.where(beta1, clipped, xp.maximum(mixed, 0)))
        wb_p = xp.where(beta0, wp, xp.where(beta1, clip_p, mixed > 0))
    else:
        wb = xp.where(beta0, wn, clipped)
        wb_p = xp.where(beta0, wp, clip_p)
    wb_in_stored_order = beta0 | beta1

    # --- 11. bonds of uids registered since the last epoch are dropped
    lmsb = sc["last_mechanism_step_block"]
    last_tempo = xp.where(lmsb == 0, xp.maximum(cb - sc["tempo"], 0), lmsb + 1)
    dropped = col(last_tempo) <= p.registered  # [S, N]
    b_kept = p.b  # bond values, 0 off bp (packing leaves absent entries at 0)
    if bool(dropped.any()):
        bp = p.b_present & ~dropped[:, None, :]
        b_kept = xp.where(bp, p.b, 0)
    else:
        bp = p.b_present
    bma = sc["bonds_moving_average"]
    ema_alpha = ONE - ((bma << 32) // 1_000_000)  # I32F32(I64F64(bma) / 1e6), bma <= 1e6
    ema_alpha3 = mat(ema_alpha)

    yuma3 = sc["yuma3"] != 0
    zeros_m = xp.zeros_like(p.b)
    zeros_v = xp.zeros((s_count, k_rows), dtype=xp.int64)
    any_c = (consensus != 0).any(axis=1)
    liquid = (sc["liquid_alpha"] != 0) & any_c & yuma3
    # each branch runs only when some subnet of the batch needs it (a deterministic, data-only choice)
    div3, store3, ema3_p = zeros_v, zeros_m, xp.zeros_like(bp)
    if bool(yuma3.any()):
        # Yuma3: u16 proportions; EMA (liquid alpha or constant alpha), column-normalised for dividends
        b3 = compute_u16_proportion(b_kept)
        liquid_val, liquid_p = zeros_m, xp.zeros_like(bp)
        if bool(liquid.any()):
            # wb is 0 outside wb_p and b3 outside bp, so with sorted rows (every entry seen) both pass as is
            w_in, b_in = wb, b3
            if not p.rows_sorted:
                w_seen = xp.where(wb_in_stored_order, compute_seen(xp, wb_p, p.w_pos), wb_p)
                w_in, b_in = xp.where(w_seen, wb, 0), xp.where(compute_seen(xp, bp, p.b_pos), b3, 0)
            low = compute_u16_proportion(sc["alpha_low"])
            high = compute_u16_proportion(sc["alpha_high"])
            liquid_val = compute_liquid_ema(xp, c3, w_in, b_in, b3, wb, low, high, sc["alpha_sigmoid_steepness"])
            liquid_p = wb_p & (liquid_val > 0)
        if bool((yuma3 == liquid).all()):  # every Yuma3 subnet uses liquid alpha
            ema3_p = liquid_p
            ema3 = xp.where(wb_p, liquid_val, 0)  # 0 as well where liquid_val is 0
        else:
            const_val = compute_mul(ema_alpha3, wb) + compute_mul(ONE - ema_alpha3, b3)  # wb is 0 off wb_p
            liq3 = mat(liquid)
            ema3_p = xp.where(liq3, liquid_p, const_val > 0)
            ema3 = xp.where(ema3_p, xp.where(liq3, liquid_val, const_val), 0)
        # 0 <= ema3 <= ONE (liquid: capped; constant: a convex mix of values <= ONE), ema3 <= column sum
        ema3_sum = ema3.sum(axis=1, keepdims=True)
        ema3_norm = compute_shl32_div_part(xp, ema3, ema3_sum)
        bonds_per_validator = compute_mul_bounded(
            xp, ema3_norm, incentive[:, None, :], ONE, int(incentive.max())
        ).sum(axis=2)
        div3 = compute_normalize(xp, compute_mul(bonds_per_validator, as_r))
        store3 = (ema3 * U16_MAX) >> 32  # compute_to_u16 without the clip: 0 <= ema3 <= ONE

    divc, storec, emac_p = zeros_v, zeros_m, xp.zeros_like(bp)
    if bool((~yuma3).any()):
        # Classic: integer u16 bonds, column-normalised; delta = W_b * S column-normalised; EMA; upscale
        bc = b_kept
        bc_sum = bc.sum(axis=1, keepdims=True)
        bc_norm = xp.where(bc_sum != 0, (bc << 32) // xp.where(bc_sum != 0, bc_sum, 1), bc << 32)
        delta = xp.where(wb_p, compute_mul(wb, as_r[:, :, None]), 0)
        delta_sum = delta.sum(axis=1, keepdims=True)
        delta = compute_shl32_div_part(xp, delta, delta_sum)
        emac = compute_mul(ema_alpha3, delta) + compute_mul(ONE - ema_alpha3, bc_norm)
        emac_p = emac > 0
        emac_sum = emac.sum(axis=1, keepdims=True)
        emac = compute_shl32_div_part(xp, emac, emac_sum)
        divc = compute_normalize(xp, compute_mul(emac, incentive[:, None, :]).sum(axis=2))
        emac_max = emac.max(axis=1, keepdims=True)
        storec = compute_to_u16(xp, compute_shl32_div_part(xp, emac, emac_max))

    y3 = yuma3[:, None]
    div_r = xp.where(y3, div3, divc)
    if bool(yuma3.all()):
        bonds_u16, bonds_p = store3, ema3_p
    elif not bool(yuma3.any()):
        bonds_u16, bonds_p = storec, emac_p
    else:
        bonds_u16 = xp.where(mat(yuma3), store3, storec)
        bonds_p = xp.where(mat(yuma3), ema3_p, emac_p)

    # --- scatter per-row results back to uids (rows are distinct uids)
    s_idx = xp.arange(s_count, dtype=xp.int64)[:, None]
    dividends = xp.zeros((s_count, n_max), dtype=xp.int64)
    dividends[s_idx, rows] = div_r
    vtrust = xp.zeros((s_count, n_max), dtype=xp.int64)
    vtrust[s_idx, rows] = vtrust_r

    # --- 4c. emission split
    combined = incentive + dividends
    e_sum = combined.sum(axis=1, keepdims=True)
    server = compute_shl32_div_part(xp, incentive, e_sum)
    validator = compute_shl32_div_part(xp, dividends, e_sum)
    combined_n = compute_normalize(xp, combined)
    fallback = xp.where(active_stake.sum(axis=1, keepdims=True) == 0, stake, active_stake)
    validator = xp.where(e_sum == 0, fallback, validator)
    combined_n = xp.where(e_sum == 0, fallback, combined_n)
    rao = col(sc["rao_emission"])

    stored_order = liquid & ((beta == 0) | (beta == ONE))  # [S] form of mat(liquid) & wb_in_stored_order
    if bool(stored_order.all()):
        order_key = p.w_pos  # read only
    else:
        order_key = xp.where(mat(stored_order), p.w_pos, jj)
    return {
        "active": active,
        "new_permit": new_permit,
        "stake_weight": compute_to_u16(xp, stake),
        "consensus": compute_to_u16(xp, consensus),
        "incentive": compute_to_u16(xp, incentive),
        "dividends": compute_to_u16(xp, dividends),
        "validator_trust": compute_to_u16(xp, vtrust),
        "server_emission": compute_rao(xp, server, rao),
        "validator_emission": compute_rao(xp, validator, rao),
        "emission": compute_rao(xp, combined_n, rao),
        "bonds": bonds_u16,
        "bonds_present": bonds_p & take(new_permit)[:, :, None] & valid[:, None, :],
        "bonds_order": order_key,
    }


def _to_host(x: Any) -> np.ndarray:
    get = getattr(x, "get", None)
    return np.asarray(get() if callable(get) else x)


def _bond_entries(
    rows: np.ndarray, present: np.ndarray, values: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The present bond entries of all subnets: their subnet index and (row uid, col uid, value)
    rows, by subnet, then row uid ascending, then `order` (the entry order inside the written row),
    then col uid. Vectorized: one scatter into [S*K*N] slots instead of a sort."""
    s_count, k_rows, n_max = present.shape
    sk, col_uid = np.nonzero(present.reshape(-1, n_max))  # compact row (subnet * K + k), uid
    size = sk.shape[0]
    out = np.empty((size, 3), dtype=np.int64)
    if size == 0:
        return np.zeros(0, dtype=np.int64), out
    flat = sk * n_max + col_uid
    # subnet * K + rank of each compact row among its subnet's rows by uid (distinct uids):
    # ascending row_key = by subnet, then by row uid
    s_idx = np.arange(s_count, dtype=np.int64)[:, None]
    rank = np.empty((s_count, k_rows), dtype=np.int64)
    rank[s_idx, np.argsort(rows, axis=1)] = np.arange(k_rows, dtype=np.int64) + s_idx * k_rows
    row_key = rank.reshape(-1)[sk]
    key = order.reshape(-1)[flat]
    if not (bool((row_key[1:] >= row_key[:-1]).all()) and np.array_equal(key, col_uid)):
        # reorder: the keys (row, order) are distinct (written entries sit at distinct stored
        # positions, or are keyed by uid), so one scatter into [S*K*N] slots sorts them
        slot = np.full(s_count * k_rows * n_max, -1, dtype=np.int64)
        slot[row_key * n_max + key] = np.arange(size, dtype=np.int64)
        perm = slot[slot >= 0]
        if perm.shape[0] != size:  # two entries on one slot: fall back to a full sort
            perm = np.lexsort((col_uid, key, row_key))
        flat, sk, col_uid = flat[perm], sk[perm], col_uid[perm]
    out[:, 0] = rows.reshape(-1)[sk]
    out[:, 1] = col_uid
    out[:, 2] = values.reshape(-1)[flat]
    return np.repeat(np.arange(s_count, dtype=np.int64), k_rows)[sk], out


def compute_unpacked_arrays(packed: PackedEpochs, res: dict[str, Any]) -> list[EpochArraysOutput]:
    """Cut the padded output arrays back into one EpochArraysOutput per subnet (vectorized)."""
    host = {k: _to_host(v) for k, v in res.items()}
    ns = _to_host(packed.n).tolist()
    sub, bonds = _bond_entries(_to_host(packed.rows), host["bonds_present"], host["bonds"], host["bonds_order"])
    bounds = np.searchsorted(sub, np.arange(len(ns) + 1, dtype=np.int64)).tolist()
    outputs = []
    for s, n in enumerate(ns):
        outputs.append(EpochArraysOutput(
            active=host["active"][s, :n], new_validator_permit=host["new_permit"][s, :n],
            stake_weight=host["stake_weight"][s, :n], consensus=host["consensus"][s, :n],
            incentive=host["incentive"][s, :n], dividends=host["dividends"][s, :n],
            validator_trust=host["validator_trust"][s, :n], server_emission=host["server_emission"][s, :n],
            validator_emission=host["validator_emission"][s, :n], emission=host["emission"][s, :n],
            bonds=bonds[bounds[s] : bounds[s + 1]],
        ))
    return outputs


def compute_unpacked(inputs: list[EpochInput], packed: PackedEpochs, res: dict[str, Any]) -> list[EpochOutput]:
    """Cut the padded output arrays back into one EpochOutput per subnet (`inputs` as packed)."""
    return [out.to_output() for out in compute_unpacked_arrays(packed, res)]


def compute_epochs_arrays(batch: list[EpochArrays], xp: Any = np) -> list[EpochArraysOutput]:
    """The epochs of several subnets, given as arrays, in one batched kernel call on `xp`.

    (`backend.run_epochs_arrays` is the entry point that also offers the scalar reference.)"""
    if not batch:
        return []
    packed = compute_packed_arrays(batch, xp)
    return compute_unpacked_arrays(packed, compute_epochs_packed(packed, xp))


def compute_epochs(inputs: list[EpochInput], xp: Any = np) -> list[EpochOutput]:
    """The epochs of several subnets, given as EpochInputs, in one batched kernel call on `xp`."""
    return [out.to_output() for out in compute_epochs_arrays([EpochArrays.from_input(inp) for inp in inputs], xp)]
