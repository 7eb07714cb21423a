"""The exact Yuma epoch, one subnet at a time, in plain Python integers.

A step-by-step transcription of subtensor's production (sparse) epoch, `epoch_mechanism` in
`pallets/subtensor/src/epoch/run_epoch.rs`, with the helpers of `epoch/math.rs`
(spec/yuma.md §4). It is the yardstick the batched kernel is tested against, so it favours
readability over speed: sparse rows are lists of `(uid, raw)` pairs in stored order and every
fixed-point operation goes through `runtime.yuma.fixed`.

Values are raw I32F32 integers unless a name says otherwise. Nothing here uses floats, clocks,
randomness or unordered iteration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runtime.yuma.fixed import (
    HALF32,
    ONE32,
    U64_MAX,
    compute_checked_mul,
    compute_exp_safe,
    compute_fixed64_to_fixed32,
    compute_from_int,
    compute_proportion_to_u16,
    compute_rao_share,
    compute_safe_div,
    compute_safe_div_64,
    compute_sat_add,
    compute_sat_div,
    compute_sat_mul,
    compute_sat_sub,
    compute_u16_proportion,
)
from runtime.yuma.types import EpochInput, EpochOutput

Row = list[tuple[int, int]]
Matrix = list[Row]


# ---- vector helpers (math.rs) ----------------------------------------------------------------


def compute_normalize(x: list[int]) -> list[int]:
    """inplace_normalize: divide by the (plain) sum unless it is 0."""
    total = sum(x)
    if total == 0:
        return list(x)
    return [compute_safe_div(v, total) for v in x]


def compute_normalize_using_sum(x: list[int], total: int) -> list[int]:
    if total == 0:
        return list(x)
    return [compute_safe_div(v, total) for v in x]


def compute_mask_vector(mask: Sequence[bool], x: list[int]) -> list[int]:
    """inplace_mask_vector: an empty mask is a no-op, a missing mask entry masks."""
    if len(mask) == 0:
        return list(x)
    return [0 if (mask[i] if i < len(mask) else True) else v for i, v in enumerate(x)]


def compute_is_topk_nonzero(x: list[int], k: int) -> list[bool]:
    result = [v != 0 for v in x]
    n = len(x)
    if n < k:
        return result
    order = sorted(range(n), key=lambda i: x[i])  # stable ascending
    for i in order[: n - k]:
        result[i] = False
    return result


# ---- sparse matrix helpers (math.rs) ---------------------------------------------------------


def compute_mask_rows_sparse(mask: Sequence[bool], m: Matrix) -> Matrix:
    return [[] if (mask[i] if i < len(mask) else True) else list(row) for i, row in enumerate(m)]


def compute_mask_diag_sparse(m: Matrix, except_index: int | None) -> Matrix:
    return [[(j, v) for (j, v) in row if i != j or (except_index is not None and i == except_index)]
            for i, row in enumerate(m)]


def compute_vec_mask_sparse(
    m: Matrix, first: Sequence[int], second: Sequence[int], mask_fn: Callable[[int, int], bool]
) -> Matrix:
    out: Matrix = []
    for i, row in enumerate(m):
        fv = first[i] if i < len(first) else 0
        out.append([(j, v) for (j, v) in row if not mask_fn(fv, second[j] if j < len(second) else 0)])
    return out


def compute_scalar_vec_mask_sparse(
    m: Matrix, scalar: int, vector: Sequence[int], mask_fn: Callable[[int, int], bool]
) -> Matrix:
    return [[(j, v) for (j, v) in row if not mask_fn(scalar, vector[j] if j < len(vector) else 0)]
            for row in m]


def compute_row_normalize_sparse(m: Matrix) -> Matrix:
    out: Matrix = []
    for row in m:
        total = sum(v for _, v in row)
        out.append([(j, compute_safe_div(v, total)) for j, v in row] if total > 0 else list(row))
    return out


def compute_col_normalize_sparse(m: Matrix, columns: int) -> Matrix:
    col_sum = [0] * columns
    for row in m:
        for j, v in row:
            if j < columns:
                col_sum[j] = compute_sat_add(col_sum[j], v)
    out: Matrix = []
    for row in m:
        new_row = []
        for j, v in row:
            d = col_sum[j] if j < columns else 0
            new_row.append((j, compute_safe_div(v, d) if d != 0 else v))
        out.append(new_row)
    return out


def compute_col_max_upscale_sparse(m: Matrix, columns: int) -> Matrix:
    col_max = [0] * columns
    for row in m:
        for j, v in row:
            if j < columns and col_max[j] < v:
                col_max[j] = v
    out: Matrix = []
    for row in m:
        new_row = []
        for j, v in row:
            mx = col_max[j] if j < columns else 0
            new_row.append((j, compute_safe_div(v, mx) if mx != 0 else v))
        out.append(new_row)
    return out


def compute_row_sum_sparse(m: Matrix) -> list[int]:
    return [sum(v for _, v in row) for row in m]


def compute_matmul_sparse(m: Matrix, vector: list[int], columns: int) -> list[int]:
    """result_j = sum_i vector_i * m_ij (saturating mul and add)."""
    result = [0] * columns
    for i, row in enumerate(m):
        scale = vector[i] if i < len(vector) else 0
        for j, v in row:
            if j < columns:
                result[j] = compute_sat_add(result[j], compute_sat_mul(scale, v))
    return result


def compute_matmul_transpose_sparse(m: Matrix, vector: list[int]) -> list[int]:
    """result_i = sum_j vector_j * m_ij."""
    out = []
    for row in m:
        acc = 0
        for j, v in row:
            acc = compute_sat_add(acc, compute_sat_mul(vector[j] if j < len(vector) else 0, v))
        out.append(acc)
    return out


def compute_col_clip_sparse(m: Matrix, threshold: list[int]) -> Matrix:
    out: Matrix = []
    for row in m:
        new_row = []
        for j, v in row:
            th = threshold[j] if j < len(threshold) else 0
            if th < v:
                if th > 0:
                    new_row.append((j, th))
            else:
                new_row.append((j, v))
        out.append(new_row)
    return out


def compute_interpolate_sparse(m1: Matrix, m2: Matrix, columns: int, ratio: int) -> Matrix:
    """A + ratio * (B - A); ratio 0 / 1 return A / B as they are (order and zeros kept)."""
    if ratio == 0:
        return [list(r) for r in m1]
    if ratio == ONE32:
        return [list(r) for r in m2]
    out: Matrix = []
    for r1, r2 in zip(m1, m2, strict=True):
        d1 = [0] * columns
        d2 = [0] * columns
        for j, v in r1:
            d1[j] = v
        for j, v in r2:
            d2[j] = v
        row = []
        for j in range(columns):
            x = compute_sat_add(d1[j], compute_sat_mul(ratio, compute_sat_sub(d2[j], d1[j])))
            if x > 0:
                row.append((j, x))
        out.append(row)
    return out


def compute_row_hadamard_sparse(m: Matrix, vector: list[int]) -> Matrix:
    return [[(j, compute_sat_mul(v, vector[i])) for j, v in row] for i, row in enumerate(m)]


def compute_mat_ema_sparse(new: Matrix, old: Matrix, alpha: int) -> Matrix:
    """Dense per row alpha*new + (1-alpha)*old; entries > 0 kept, ascending uid."""
    n = len(new)
    one_minus = compute_sat_sub(ONE32, alpha)
    out: Matrix = []
    for i, new_row in enumerate(new):
        acc = [0] * n
        for j, v in new_row:
            if j < n:
                acc[j] = compute_sat_add(acc[j], compute_sat_mul(alpha, v))
        if i < len(old):
            for j, v in old[i]:
                if j < n:
                    acc[j] = compute_sat_add(acc[j], compute_sat_mul(one_minus, v))
        out.append([(j, v) for j, v in enumerate(acc) if v > 0])
    return out


def compute_mat_ema_alpha_sparse(new: Matrix, old: Matrix, alpha: list[list[int]]) -> Matrix:
    """min(1, (1-a_ij)*old_ij + max(0, a_ij*new_ij)), only for j present in the new row."""
    out: Matrix = []
    for new_row, old_row, alpha_row in zip(new, old, alpha, strict=True):
        decayed = [0] * len(alpha_row)
        for j, v in old_row:
            if j < len(alpha_row):
                decayed[j] = compute_sat_mul(compute_sat_sub(ONE32, alpha_row[j]), v)
        row = []
        for j, v in new_row:
            if j < len(alpha_row):
                inc = max(compute_sat_mul(alpha_row[j], v), 0)
                val = min(compute_sat_add(decayed[j], inc), ONE32)
                if val > 0:
                    row.append((j, val))
        out.append(row)
    return out


def compute_mat_vec_mul_sparse(m: Matrix, vector: list[int]) -> Matrix:
    out: Matrix = []
    for row in m:
        new_row = []
        for j, v in row:
            if j < len(vector):
                x = compute_sat_mul(v, vector[j])
                if x != 0:
                    new_row.append((j, x))
        out.append(new_row)
    return out


def compute_vec_mul(a: list[int], b: list[int]) -> list[int]:
    out = []
    for x, y in zip(a, b, strict=False):
        r = compute_checked_mul(x, y)
        out.append(0 if r is None else r)
    return out


# ---- weighted median (math.rs weighted_median, mid-pivot quickselect) ------------------------


def compute_weighted_median(stake: list[int], score: list[int], minority: int, lo: int, hi: int) -> int:
    current = list(range(len(stake)))
    limit = len(current)
    iterations = 0
    while True:
        n = len(current)
        if n == 0:
            return 0
        if n == 1:
            return score[current[0]]
        pivot = score[current[n // 2]]
        lo_stake = hi_stake = 0
        lower: list[int] = []
        upper: list[int] = []
        for idx in current:
            if score[idx] == pivot:
                continue
            if score[idx] < pivot:
                lo_stake = compute_sat_add(lo_stake, stake[idx])
                lower.append(idx)
            else:
                hi_stake = compute_sat_add(hi_stake, stake[idx])
                upper.append(idx)
        if minority < compute_sat_add(lo, lo_stake) and lower:
            current = lower
            hi = compute_sat_add(lo, lo_stake)
        elif compute_sat_sub(hi, hi_stake) <= minority and upper:
            current = upper
            lo = compute_sat_sub(hi, hi_stake)
        else:
            return pivot
        iterations += 1
        if iterations > limit:
            return 0


def compute_weighted_median_col_sparse(stake: list[int], score: Matrix, columns: int, majority: int) -> list[int]:
    use_stake = compute_normalize([s for s in stake if s > 0])
    stake_sum = sum(use_stake)
    minority = compute_sat_sub(stake_sum, majority)
    use_score = [[0] * len(use_stake) for _ in range(columns)]
    k = 0
    for s, row in zip(stake, score, strict=False):
        if s > 0:
            for j, v in row:
                if j < columns:
                    use_score[j][k] = v
            k += 1
    return [compute_weighted_median(use_stake, col, minority, 0, stake_sum) for col in use_score]


# ---- liquid alpha (run_epoch.rs) ---------------------------------------------------------------


def compute_alpha_sigmoid(consensus: int, weight: int, bond: int, low: int, high: int, steepness: int) -> int:
    diff_buy = min(max(compute_sat_sub(weight, consensus), 0), ONE32)
    diff_sell = min(max(compute_sat_sub(bond, weight), 0), ONE32)
    combined = diff_buy if weight >= bond else diff_sell
    exponent = compute_sat_mul(compute_sat_div(steepness, compute_from_int(-100)), compute_sat_sub(combined, HALF32))
    sigmoid = compute_sat_div(ONE32, compute_sat_add(ONE32, compute_exp_safe(exponent)))
    alpha = compute_sat_add(low, compute_sat_mul(sigmoid, compute_sat_sub(high, low)))
    return max(min(alpha, high), low)


def compute_liquid_alpha_matrix_sparse(
    weights: Matrix, bonds: Matrix, consensus: list[int], low: int, high: int, steepness: int
) -> list[list[int]]:
    """Dense alpha per (i, j), looking weights and bonds up with forward-only cursors."""
    alphas = []
    for w_row, b_row in zip(weights, bonds, strict=True):
        row_alphas = []
        wp = bp = 0
        for j, c in enumerate(consensus):
            weight = 0
            while wp < len(w_row):
                uid, val = w_row[wp]
                if uid < j:
                    wp += 1
                else:
                    if uid == j:
                        weight = val
                    break
            bond = 0
            while bp < len(b_row):
                uid, val = b_row[bp]
                if uid < j:
                    bp += 1
                else:
                    if uid == j:
                        bond = val
                    break
            row_alphas.append(compute_alpha_sigmoid(c, weight, bond, low, high, steepness))
        alphas.append(row_alphas)
    return alphas


# ---- the epoch ---------------------------------------------------------------------------------


def compute_epoch(inp: EpochInput) -> EpochOutput:
    """Run one subnet's epoch exactly as subtensor's sparse `epoch_mechanism` does."""
    n = inp.n
    current_block = inp.current_block
    last_update = list(inp.last_update) + [0] * (n - len(inp.last_update))
    registered = list(inp.block_at_registration)
    owner = inp.owner_uid

    # --- 1. activity: inactive if last_update + activity_cutoff < current_block (strict)
    inactive = [min(lu + inp.activity_cutoff, U64_MAX) < current_block for lu in last_update]
    active = [not x for x in inactive]

    # --- 2. stake: threshold filter (owner exempt), I64F64 normalisation, truncation to I32F32
    filtered = [
        0 if (i != owner and s < inp.stake_threshold) else s << 64 for i, s in enumerate(inp.stake)
    ]
    total64 = sum(filtered)
    if total64 != 0:
        filtered = [compute_safe_div_64(v, total64) for v in filtered]
    stake = [compute_fixed64_to_fixed32(v) for v in filtered]

    # --- 3. validator permits: stored permits (owner forced), new permits = top-k nonzero stake
    permits = list(inp.validator_permit)
    if owner is not None and owner < len(permits):
        permits[owner] = True
    forbids = [not p for p in permits]
    new_permits = compute_is_topk_nonzero(stake, inp.max_allowed_validators)
    if owner is not None:
        new_permits[owner] = True

    # --- 4. active stake: mask inactive and forbidden, renormalise
    active_stake = compute_mask_vector(inactive, stake)
    active_stake = compute_mask_vector(forbids, active_stake)
    active_stake = compute_normalize(active_stake)

    # --- 5. weights: u16 as integer I32F32, masks in order, row normalisation
    weights: Matrix = [
        [(j, compute_from_int(w)) for j, w in row if j < n] for row in inp.weights[:n]
    ] + [[] for _ in range(n - len(inp.weights))]
    weights = compute_mask_rows_sparse(forbids, weights)
    weights = compute_mask_diag_sparse(weights, owner)
    weights = compute_vec_mask_sparse(weights, last_update, registered, lambda u, r: u <= r)
    if inp.commit_reveal_enabled:
        commit_blocks = [U64_MAX if c is None else c for c in inp.commit_blocks]
        commit_blocks += [U64_MAX] * (n - len(commit_blocks))
        weights = compute_vec_mask_sparse(weights, commit_blocks, registered, lambda c, r: c < r)
    weights = compute_row_normalize_sparse(weights)

    # --- 6. consensus: stake-weighted median per column
    kappa = compute_u16_proportion(compute_from_int(inp.kappa))
    consensus = compute_weighted_median_col_sparse(active_stake, weights, n, kappa)

    # --- 7. clip at consensus; 8. validator trust
    clipped = compute_col_clip_sparse(weights, consensus)
    validator_trust = compute_row_sum_sparse(clipped)

    # --- 9. ranks and incentive
    ranks = compute_matmul_sparse(clipped, active_stake, n)
    incentive = compute_normalize(ranks)

    # --- 10. weights for bonds
    bonds_penalty = compute_u16_proportion(compute_from_int(inp.bonds_penalty))
    weights_for_bonds = compute_interpolate_sparse(weights, clipped, n, bonds_penalty)

    # --- 11. bond columns of uids registered since the last epoch are dropped
    if inp.last_mechanism_step_block == 0:
        last_tempo = max(current_block - inp.tempo, 0)
    else:
        last_tempo = inp.last_mechanism_step_block + 1
    stored_bonds = [list(row) for row in inp.bonds] + [[] for _ in range(n - len(inp.bonds))]

    bma64 = compute_safe_div_64(inp.bonds_moving_average << 64, 1_000_000 << 64)
    ema_alpha = compute_sat_sub(ONE32, compute_fixed64_to_fixed32(bma64))

    if inp.yuma3:
        # --- 4b. Yuma3: bonds as u16 proportions, no normalisation on read
        bonds = [[(j, compute_u16_proportion(compute_from_int(b))) for j, b in row] for row in stored_bonds]
        bonds = compute_scalar_vec_mask_sparse(bonds, last_tempo, registered, lambda t, r: t <= r)
        if inp.liquid_alpha and any(c != 0 for c in consensus):
            low = compute_u16_proportion(compute_from_int(inp.alpha_low))
            high = compute_u16_proportion(compute_from_int(inp.alpha_high))
            steepness = compute_from_int(inp.alpha_sigmoid_steepness)
            alphas = compute_liquid_alpha_matrix_sparse(weights_for_bonds, bonds, consensus, low, high, steepness)
            ema_bonds = compute_mat_ema_alpha_sparse(weights_for_bonds, bonds, alphas)
        else:
            ema_bonds = compute_mat_ema_sparse(weights_for_bonds, bonds, ema_alpha)
        ema_norm = compute_col_normalize_sparse(ema_bonds, n)
        bonds_per_validator = compute_row_sum_sparse(compute_mat_vec_mul_sparse(ema_norm, incentive))
        dividends = compute_normalize(compute_vec_mul(bonds_per_validator, active_stake))
        bonds_to_store = ema_bonds
    else:
        # --- 4a. classic Yuma: column-max-upscaled u16 read as integers, column-normalised
        bonds = [[(j, compute_from_int(b)) for j, b in row] for row in stored_bonds]
        bonds = compute_scalar_vec_mask_sparse(bonds, last_tempo, registered, lambda t, r: t <= r)
        bonds = compute_col_normalize_sparse(bonds, n)
        bonds_delta = compute_row_hadamard_sparse(weights_for_bonds, active_stake)
        bonds_delta = compute_col_normalize_sparse(bonds_delta, n)
        ema_bonds = compute_mat_ema_sparse(bonds_delta, bonds, ema_alpha)
        ema_bonds = compute_col_normalize_sparse(ema_bonds, n)
        dividends = compute_normalize(compute_matmul_transpose_sparse(ema_bonds, incentive))
        bonds_to_store = compute_col_max_upscale_sparse(ema_bonds, n)

    # --- 4c. emission split
    combined = [compute_sat_add(i, d) for i, d in zip(incentive, dividends, strict=True)]
    emission_sum = sum(combined)
    server = compute_normalize_using_sum(incentive, emission_sum)
    validator = compute_normalize_using_sum(dividends, emission_sum)
    combined_norm = compute_normalize(combined)
    if emission_sum == 0:
        fallback = stake if sum(active_stake) == 0 else active_stake
        validator = list(fallback)
        combined_norm = list(fallback)

    rao = inp.rao_emission
    new_bonds = tuple(
        tuple((j, compute_proportion_to_u16(v)) for j, v in bonds_to_store[i]) if new_permits[i] else ()
        for i in range(n)
    )
    return EpochOutput(
        active=tuple(active),
        new_validator_permit=tuple(new_permits),
        stake_weight=tuple(compute_proportion_to_u16(x) for x in stake),
        consensus=tuple(compute_proportion_to_u16(x) for x in consensus),
        incentive=tuple(compute_proportion_to_u16(x) for x in incentive),
        dividends=tuple(compute_proportion_to_u16(x) for x in dividends),
        validator_trust=tuple(compute_proportion_to_u16(x) for x in validator_trust),
        server_emission=tuple(compute_rao_share(x, rao) for x in server),
        validator_emission=tuple(compute_rao_share(x, rao) for x in validator),
        emission=tuple(compute_rao_share(x, rao) for x in combined_norm),
        bonds=new_bonds,
    )
