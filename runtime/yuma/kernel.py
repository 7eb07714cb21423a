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
division in 16-bit steps, or 1-bit steps with a uint64 remainder for stake, so no intermediate
leaves 63 bits. No float appears in the consensus path and no Python loop runs over neurons or
matrix entries (only fixed loops over bits, digits or Taylor terms).

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
from itertools import chain
from typing import Any

import numpy as np

from runtime.yuma.fixed import E_I32F32
from runtime.yuma.types import EpochInput, EpochOutput

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
    b: Any  # [S, K, N] int64 bond u16 values
    b_present: Any  # [S, K, N] bool
    b_pos: Any  # [S, K, N] int64
    rows_sorted: bool  # every weight and bond row is stored in ascending uid order
    scalars: dict[str, Any]  # name -> [S] int64 (per-subnet parameters)


SCALAR_FIELDS = (
    "current_block", "tempo", "activity_cutoff", "kappa", "bonds_penalty", "bonds_moving_average",
    "max_allowed_validators", "stake_threshold", "yuma3", "liquid_alpha", "alpha_low", "alpha_high",
    "alpha_sigmoid_steepness", "last_mechanism_step_block", "commit_reveal_enabled", "rao_emission",
)


def compute_packed(inputs: list[EpochInput], xp: Any = np) -> PackedEpochs:
    """Pad and stack the subnets' inputs into arrays on `xp` (the only per-entry Python work)."""
    s_count = len(inputs)
    n_max = max([1] + [inp.n for inp in inputs])
    selected: list[list[int]] = []
    for inp in inputs:
        rows_with = {i for i, row in enumerate(inp.weights[: inp.n]) if any(j < inp.n for j, _ in row)}
        rows_with.update(i for i, row in enumerate(inp.bonds) if row)
        rows_with.update(i for i, p in enumerate(inp.validator_permit) if p)
        if inp.owner_uid is not None and inp.owner_uid < len(inp.validator_permit):
            rows_with.add(inp.owner_uid)
        selected.append(sorted(rows_with))
    k_max = max([1] + [len(sel) for sel in selected])

    rows = np.zeros((s_count, k_max), dtype=np.int64)
    vec = {name: np.zeros((s_count, n_max), dtype=np.int64) for name in ("stake", "lu", "reg")}
    commit = np.full((s_count, n_max), NO_COMMIT, dtype=np.int64)
    permit = np.zeros((s_count, n_max), dtype=bool)
    permit_len = np.zeros(s_count, dtype=np.int64)
    n_arr = np.array([inp.n for inp in inputs], dtype=np.int64)
    shape = (s_count, k_max, n_max)
    w, w_present, w_pos = np.zeros(shape, np.int64), np.zeros(shape, bool), np.zeros(shape, np.int64)
    b, b_present, b_pos = np.zeros(shape, np.int64), np.zeros(shape, bool), np.zeros(shape, np.int64)
    rows_sorted = True
    for s, inp in enumerate(inputs):
        sel = selected[s]
        sel_set = set(sel)
        rest = [i for i in range(n_max) if i not in sel_set][: k_max - len(sel)]
        rows[s] = sel + rest
        vec["stake"][s, : inp.n] = inp.stake
        vec["lu"][s, : len(inp.last_update)] = inp.last_update
        vec["reg"][s, : inp.n] = inp.block_at_registration
        permit[s, : len(inp.validator_permit)] = inp.validator_permit
        permit_len[s] = len(inp.validator_permit)
        for i, c in enumerate(inp.commit_blocks):
            if c is not None:
                commit[s, i] = c
        for mat_v, mat_p, mat_pos, stored, drop in ((w, w_present, w_pos, inp.weights, True),
                                                    (b, b_present, b_pos, inp.bonds, False)):
            ks = [k for k, i in enumerate(sel) if i < len(stored) and stored[i]]
            if not ks:
                continue
            lens = np.array([len(stored[sel[k]]) for k in ks], dtype=np.int64)
            flat = np.fromiter(
                chain.from_iterable(chain.from_iterable(stored[sel[k]] for k in ks)),
                dtype=np.int64, count=2 * int(lens.sum()),
            ).reshape(-1, 2)
            kk = np.repeat(np.array(ks, dtype=np.int64), lens)
            js, vs = flat[:, 0], flat[:, 1]
            if drop:  # weight entries with uid >= n are dropped before positions are counted
                keep_e = js < inp.n
                js, vs, kk = js[keep_e], vs[keep_e], kk[keep_e]
            if js.size == 0:
                continue
            starts = np.flatnonzero(np.concatenate(([True], kk[1:] != kk[:-1])))
            pos = np.arange(js.size, dtype=np.int64) - np.repeat(starts, np.diff(np.append(starts, js.size)))
            mat_v[s, kk, js] = vs
            mat_p[s, kk, js] = True
            mat_pos[s, kk, js] = pos
            rows_sorted = rows_sorted and bool(np.all((js[1:] > js[:-1]) | (kk[1:] != kk[:-1])))
    scalars = {
        name: np.array([int(getattr(inp, name)) for inp in inputs], dtype=np.int64) for name in SCALAR_FIELDS
    }
    scalars["owner_uid"] = np.array(
        [-1 if inp.owner_uid is None else inp.owner_uid for inp in inputs], dtype=np.int64
    )
    put = xp.asarray
    return PackedEpochs(
        n=put(n_arr), rows=put(rows), stake=put(vec["stake"]), last_update=put(vec["lu"]),
        registered=put(vec["reg"]), permit=put(permit), permit_len=put(permit_len), commit=put(commit),
        w=put(w), w_present=put(w_present), w_pos=put(w_pos), b=put(b), b_present=put(b_present),
        b_pos=put(b_pos), rows_sorted=rows_sorted, scalars={k: put(v) for k, v in scalars.items()},
    )


# ---- limb arithmetic -----------------------------------------------------------------------------


def compute_mul(a: Any, b: Any) -> Any:
    """floor(a*b / 2^32) for 0 <= a < 2^46, 0 <= b < 2^48 (16-bit limbs of b)."""
    return (a * (b >> 16) + ((a * (b & M16)) >> 16)) >> 16


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
    """floor((a << 32) / d) for 0 <= a <= d < 2^63 (bitwise, uint64 remainder); 0 where d == 0."""
    dd = xp.where(d > 0, d, 1)
    q = a // dd
    r = (a - q * dd).astype(xp.uint64)
    du = dd.astype(xp.uint64)
    for _ in range(32):
        r = r << 1
        bit = r >= du
        r = r - xp.where(bit, du, xp.zeros_like(du))
        q = (q << 1) + bit.astype(xp.int64)
    return xp.where(d > 0, q, 0)


def compute_recip64(xp: Any, x: Any) -> Any:
    """trunc(2^64 / x) for 2^32 <= x < 2^63 (I32F32 1/x), via (2^64 - 1) on uint64."""
    xu = x.astype(xp.uint64)
    umax = xp.asarray(np.iinfo(np.uint64).max, dtype=xp.uint64)
    q = (umax // xu).astype(xp.int64)
    # (2^64 - 1) // x falls one short of 2^64 // x exactly when x divides 2^64: a power of two
    return q + ((x & (x - 1)) == 0)


def compute_normalize(xp: Any, x: Any) -> Any:
    """inplace_normalize on the last axis (values in [0, 2^34))."""
    total = x.sum(axis=-1, keepdims=True)
    return xp.where(total != 0, compute_shl32_div(xp, x, total), x)


def compute_to_u16(xp: Any, x: Any) -> Any:
    """fixed_proportion_to_u16 for 0 <= x < 2^47."""
    return xp.clip((x * U16_MAX) >> 32, 0, U16_MAX)


def compute_u16_proportion(x: Any) -> Any:
    """I32F32(x) / I32F32(65535) for a u16 x: floor((x << 32) / 65535)."""
    return (x << 32) // U16_MAX


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


def compute_taylor_sum(xp: Any, op: Any) -> Any:
    """substrate_fixed's 30-term Taylor exp sum on raw I32F32 0 <= op <= 20 << 32, as uint64.

    term_i = floor(floor(term_{i-1} * op / 2^32) / i). With op = oh * 2^32 + ol the product is
    term*oh + (term >> 32)*ol + ((term & M32)*ol >> 32) (every piece below 2^64). Once i > oh for
    every element no later term grows, so after a check of the largest term the cheaper forms
    stay exact: term*oh + (term*ol >> 32) once every term is below 2^32, and (term*op) >> 32 once
    term * op < 2^64 everywhere. Stops when every term is 0: all later terms are then 0 too.
    """
    oh = op >> 32
    ol = op & M32
    result = op + ONE
    term = op.copy()
    b1 = xp.empty_like(op)
    b2 = xp.empty_like(op)
    op_max = int(op.max())
    oh_max = op_max >> 32
    mode = 0  # 0: wide, 1: term < 2^32, 2: term * op < 2^64
    for i in range(2, 32):
        if mode == 2:
            xp.multiply(term, op, out=term)
            xp.right_shift(term, 32, out=term)
        else:
            if mode == 0:
                xp.bitwise_and(term, M32, out=b1)
                xp.multiply(b1, ol, out=b1)
                xp.right_shift(b1, 32, out=b1)
                xp.right_shift(term, 32, out=b2)
                xp.multiply(b2, ol, out=b2)
                xp.add(b1, b2, out=b1)
            else:
                xp.multiply(term, ol, out=b1)
                xp.right_shift(b1, 32, out=b1)
            xp.multiply(term, oh, out=term)
            xp.add(term, b1, out=term)
        xp.floor_divide(term, i, out=term)
        xp.add(result, term, out=result)
        if i % 2 == 0 or mode == 0:
            t_max = int(term.max())
            if t_max == 0:
                break  # every later term is 0 as well
            if oh_max <= i:  # term_{j} <= term_{j-1} for every j > i
                if t_max * op_max < (1 << 64):
                    mode = 2
                elif t_max < ONE:
                    mode = max(mode, 1)
    return result


def compute_exp_safe(xp: Any, y: Any) -> Any:
    """subtensor exp_safe (clamp to [-20, 20], substrate_fixed Taylor exp) on raw I32F32."""
    lim = 20 << 32
    y = xp.clip(y, -lim, lim)
    op = xp.abs(y).astype(xp.uint64).ravel()
    size = op.shape[0]
    if size == 0:
        return xp.zeros(y.shape, dtype=xp.int64)
    if xp is np and size > CHUNK:
        parts = [compute_taylor_sum(xp, op[s : s + CHUNK]) for s in range(0, size, CHUNK)]
        result = xp.concatenate(parts)
    else:
        result = compute_taylor_sum(xp, op)
    result = result.astype(xp.int64).reshape(y.shape)
    result = xp.where(y < 0, compute_recip64(xp, result), result)
    result = xp.where(y == ONE, E_I32F32, result)
    return xp.where(y == 0, ONE, result)


def compute_liquid_alpha(xp: Any, c: Any, weight: Any, bond: Any, low: Any, high: Any, steep: Any) -> Any:
    """run_epoch.rs liquid_alpha_sigmoid, element-wise; `steep` is the plain i16 steepness."""
    diff_buy = xp.clip(weight - c, 0, ONE)
    diff_sell = xp.clip(bond - weight, 0, ONE)
    x = xp.where(weight >= bond, diff_buy, diff_sell)
    # steepness / -100, truncated toward zero
    mag = (xp.abs(steep) << 32) // 100
    a = xp.where(steep > 0, -mag, mag)
    # floor(a * d / 2^32) with a = ah * 2^32 + al (ah signed, 0 <= al < 2^32) and |d| <= 2^31:
    # ah*d + floor(al*d / 2^32), where |al*d| < 2^63 and >> is the floor
    d = x - HALF
    exponent = (a >> 32) * d + (((a & M32) * d) >> 32)
    sigmoid = compute_recip64(xp, ONE + compute_exp_safe(xp, exponent))
    alpha = low + compute_mul(sigmoid, high - low)
    return xp.maximum(xp.minimum(alpha, high), low)


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
    cr = mat(sc["commit_reveal_enabled"] != 0)
    wp = wp & ~(cr & (commit_r[:, :, None] < reg_c))
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
    ranks = compute_mul(as_r[:, :, None], clipped).sum(axis=1)
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
    bp = p.b_present & ~(mat(last_tempo) <= reg_c)
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
        b3 = xp.where(bp, compute_u16_proportion(p.b), 0)
        liquid_val, liquid_p = zeros_m, xp.zeros_like(bp)
        if bool(liquid.any()):
            if p.rows_sorted:
                w_seen, b_seen = wb_p, bp
            else:
                w_seen = xp.where(wb_in_stored_order, compute_seen(xp, wb_p, p.w_pos), wb_p)
                b_seen = compute_seen(xp, bp, p.b_pos)
            low = compute_u16_proportion(sc["alpha_low"])
            high = compute_u16_proportion(sc["alpha_high"])
            alpha = compute_liquid_alpha(
                xp, c3, xp.where(w_seen, wb, 0), xp.where(b_seen, b3, 0), mat(low), mat(high),
                mat(sc["alpha_sigmoid_steepness"]),
            )
            decayed = compute_mul(ONE - alpha, b3)
            liquid_val = xp.minimum(decayed + compute_mul(alpha, wb), ONE)
            liquid_p = wb_p & (liquid_val > 0)
        const_val = zeros_m
        if bool((yuma3 & ~liquid).any()):
            const_val = compute_mul(ema_alpha3, xp.where(wb_p, wb, 0)) + compute_mul(ONE - ema_alpha3, b3)
        liq3 = mat(liquid)
        ema3 = xp.where(liq3, liquid_val, const_val)
        ema3_p = xp.where(liq3, liquid_p, const_val > 0)
        ema3 = xp.where(ema3_p, ema3, 0)
        ema3_sum = ema3.sum(axis=1, keepdims=True)
        ema3_norm = xp.where(ema3_sum != 0, compute_shl32_div(xp, ema3, ema3_sum), ema3)
        bonds_per_validator = compute_mul(ema3_norm, incentive[:, None, :]).sum(axis=2)
        div3 = compute_normalize(xp, compute_mul(bonds_per_validator, as_r))
        store3 = compute_to_u16(xp, ema3)

    divc, storec, emac_p = zeros_v, zeros_m, xp.zeros_like(bp)
    if bool((~yuma3).any()):
        # Classic: integer u16 bonds, column-normalised; delta = W_b * S column-normalised; EMA; upscale
        bc = xp.where(bp, p.b, 0)
        bc_sum = bc.sum(axis=1, keepdims=True)
        bc_norm = xp.where(bc_sum != 0, (bc << 32) // xp.where(bc_sum != 0, bc_sum, 1), bc << 32)
        delta = xp.where(wb_p, compute_mul(wb, as_r[:, :, None]), 0)
        delta_sum = delta.sum(axis=1, keepdims=True)
        delta = xp.where(delta_sum != 0, compute_shl32_div(xp, delta, delta_sum), delta)
        emac = compute_mul(ema_alpha3, delta) + compute_mul(ONE - ema_alpha3, bc_norm)
        emac_p = emac > 0
        emac_sum = emac.sum(axis=1, keepdims=True)
        emac = xp.where(emac_sum != 0, compute_shl32_div(xp, emac, emac_sum), emac)
        divc = compute_normalize(xp, compute_mul(emac, incentive[:, None, :]).sum(axis=2))
        emac_max = emac.max(axis=1, keepdims=True)
        storec = compute_to_u16(xp, xp.where(emac_max != 0, compute_shl32_div(xp, emac, emac_max), emac))

    y3 = yuma3[:, None]
    div_r = xp.where(y3, div3, divc)
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
    server = xp.where(e_sum != 0, compute_shl32_div(xp, incentive, e_sum), incentive)
    validator = xp.where(e_sum != 0, compute_shl32_div(xp, dividends, e_sum), dividends)
    combined_n = compute_normalize(xp, combined)
    fallback = xp.where(active_stake.sum(axis=1, keepdims=True) == 0, stake, active_stake)
    validator = xp.where(e_sum == 0, fallback, validator)
    combined_n = xp.where(e_sum == 0, fallback, combined_n)
    rao = col(sc["rao_emission"])

    order_key = xp.where(mat(liquid) & wb_in_stored_order, p.w_pos, jj)
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


def compute_unpacked(inputs: list[EpochInput], packed: PackedEpochs, res: dict[str, Any]) -> list[EpochOutput]:
    """Cut the padded output arrays back into one EpochOutput per subnet."""
    host = {k: _to_host(v) for k, v in res.items()}
    rows = _to_host(packed.rows)
    outputs = []
    for s, inp in enumerate(inputs):
        n = inp.n
        vec = {k: host[k][s, :n].tolist() for k in (
            "active", "new_permit", "stake_weight", "consensus", "incentive", "dividends",
            "validator_trust", "server_emission", "validator_emission", "emission")}
        bonds: list[tuple[tuple[int, int], ...]] = [()] * n
        present, values, order = host["bonds_present"][s], host["bonds"][s], host["bonds_order"][s]
        for k in np.flatnonzero(present.any(axis=1)).tolist():
            js = np.flatnonzero(present[k])
            js = js[np.argsort(order[k, js], kind="stable")]
            bonds[int(rows[s, k])] = tuple(zip(js.tolist(), values[k, js].tolist(), strict=True))
        outputs.append(EpochOutput(
            active=tuple(vec["active"]), new_validator_permit=tuple(vec["new_permit"]),
            stake_weight=tuple(vec["stake_weight"]), consensus=tuple(vec["consensus"]),
            incentive=tuple(vec["incentive"]), dividends=tuple(vec["dividends"]),
            validator_trust=tuple(vec["validator_trust"]), server_emission=tuple(vec["server_emission"]),
            validator_emission=tuple(vec["validator_emission"]), emission=tuple(vec["emission"]),
            bonds=tuple(bonds),
        ))
    return outputs


def run_epochs(inputs: list[EpochInput], xp: Any = np) -> list[EpochOutput]:
    """Run the epochs of several subnets in one batched kernel call on array module `xp`."""
    if not inputs:
        return []
    packed = compute_packed(inputs, xp)
    return compute_unpacked(inputs, packed, compute_epochs_packed(packed, xp))
