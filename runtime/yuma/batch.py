"""Array-native epoch inputs and outputs: what the emission pallet gathers and writes back in bulk.

`EpochArrays` is one subnet's state as NumPy arrays: the scalars of `types.EpochParams` (which
`EpochInput` extends too) plus per-uid arrays; `EpochArraysOutput` is the epoch's result as arrays.
`backend.run_epochs_arrays` runs a batch on any backend (on NumPy/CuPy through
`kernel.compute_epochs_arrays`) without any per-entry Python: validation, packing and unpacking are
vectorized. Results equal the EpochInput path bit for bit (`EpochArrays.from_input`,
`EpochArraysOutput.to_output` convert). This module does not import the kernel (the kernel imports it).

Layout (the same conventions as `EpochInput`, enforced on construction with `EpochInputError`):
- `stake`, `last_update`, `block_at_registration`, `commit_blocks`: int64[n] (`last_update` padded
  with 0 by the caller, `commit_blocks` -1 = no unexpired commit; None = no commits at all);
- `validator_permit`: bool[<= n]; a short vector stays short, its missing uids count as forbidden;
- `weights`, `bonds`: int64[E, 3] rows of (row uid, col uid, u16 value), grouped by row uid
  ascending and, within a row, in stored entry order; a row holds each col uid at most once;
  weight entries with col >= n are dropped (as `get_weights_sparse` does), bond entries with
  col >= n are refused.
Arrays are checked once, at construction: do not modify them afterwards. The dataclasses compare
by identity (`eq=False`): the generated field-wise `==` is meaningless on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from runtime.yuma.types import (
    U16_MAX,
    U63_LIMIT,
    EpochInput,
    EpochInputError,
    EpochOutput,
    EpochParams,
    check_scalars,
)

INT64_MAX = U63_LIMIT - 1
M32 = 0xFFFFFFFF


def _empty_coo() -> np.ndarray:
    return np.zeros((0, 3), dtype=np.int64)


def _check_vector(name: str, arr: object, dtype: Any, n: int, exact: bool) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise EpochInputError(f"{name} must be a numpy array, got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise EpochInputError(f"{name} must have dtype {np.dtype(dtype)}, got {arr.dtype}")
    if arr.ndim != 1:
        raise EpochInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if exact and arr.shape[0] != n:
        raise EpochInputError(f"{name} has {arr.shape[0]} entries, expected n={n}")
    if arr.shape[0] > n:
        raise EpochInputError(f"{name} has {arr.shape[0]} entries, more than n={n}")
    return arr


def _check_range(name: str, arr: np.ndarray, lo: int, hi: int) -> None:
    if arr.shape[0] and (int(arr.min()) < lo or int(arr.max()) > hi):
        i = int(np.flatnonzero((arr < lo) | (arr > hi))[0])
        raise EpochInputError(f"{name}[{i}]={int(arr[i])} is outside {lo}..{hi}")


def _check_coo(name: str, arr: object, n: int, drop_out_of_range: bool) -> None:
    """Vectorized `_check_rows` for (row, col, value) entries."""
    if not isinstance(arr, np.ndarray):
        raise EpochInputError(f"{name} must be a numpy array, got {type(arr).__name__}")
    if arr.dtype != np.int64:
        raise EpochInputError(f"{name} must have dtype int64, got {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise EpochInputError(f"{name} must have shape (entries, 3) of (row, col, value), got {arr.shape}")
    if arr.shape[0] == 0:
        return
    col_hi = U16_MAX if drop_out_of_range else n - 1
    if int(arr.min()) < 0 or any(  # column views: a reduction along axis 0 of (E, 3) is much slower
        int(arr[:, c].max()) > top for c, top in ((0, n - 1), (1, col_hi), (2, U16_MAX))
    ):
        for c, what, top in ((0, "row uid", n - 1), (1, "col uid", col_hi), (2, "value", U16_MAX)):
            v = arr[:, c]
            bad = np.flatnonzero((v < 0) | (v > top))
            if bad.shape[0] == 0:
                continue
            e = int(bad[0])
            row, val = int(arr[e, 0]), int(v[e])
            if c == 0:
                raise EpochInputError(f"{name} entry {e}: row uid {val} is outside 0..{n - 1} (n={n})")
            if c == 1 and not drop_out_of_range and 0 <= val <= U16_MAX:
                raise EpochInputError(f"{name}[{row}] refers to uid {val} >= n={n}")
            raise EpochInputError(f"{name}[{row}] entry {e}: {what}={val} is outside 0..{top}")
    rows, cols = arr[:, 0], arr[:, 1]
    same = rows[1:] == rows[:-1]
    if bool((rows[1:] < rows[:-1]).any()):
        e = int(np.flatnonzero(rows[1:] < rows[:-1])[0]) + 1
        raise EpochInputError(f"{name} entry {e}: rows must be grouped by row uid ascending")
    if bool((same & (cols[1:] <= cols[:-1])).any()):  # some row is not strictly ascending: look for twins
        key = np.sort((rows << 16) | cols)
        twin = key[1:] == key[:-1]
        if bool(twin.any()):
            k = int(key[1:][twin][0])
            raise EpochInputError(f"{name}[{k >> 16}] holds uid {k & U16_MAX} twice")


def _coo_from_rows(rows: tuple[tuple[tuple[int, int], ...], ...]) -> np.ndarray:
    lens = np.array([len(r) for r in rows], dtype=np.int64)
    total = int(lens.sum()) if lens.size else 0
    if total == 0:
        return _empty_coo()
    out = np.empty((total, 3), dtype=np.int64)
    out[:, 0] = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    out[:, 1:] = np.fromiter(
        chain.from_iterable(chain.from_iterable(rows)), dtype=np.int64, count=2 * total
    ).reshape(-1, 2)
    return out


def _rows_from_coo(coo: np.ndarray, n: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    out: list[tuple[tuple[int, int], ...]] = [()] * n
    if coo.shape[0] == 0:
        return tuple(out)
    rows = coo[:, 0]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    ends = np.append(starts[1:], rows.shape[0])
    cols, vals = coo[:, 1].tolist(), coo[:, 2].tolist()
    for r, a, b in zip(rows[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[r] = tuple(zip(cols[a:b], vals[a:b], strict=True))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class EpochArrays(EpochParams):
    """One subnet's state at an epoch: the scalars plus per-uid arrays (see the module docstring)."""

    stake: np.ndarray  # int64[n] rao
    weights: np.ndarray  # int64[E, 3] (row, col, u16); col >= n dropped
    last_update: np.ndarray  # int64[n]
    block_at_registration: np.ndarray  # int64[n]
    validator_permit: np.ndarray  # bool[<= n]
    bonds: np.ndarray = field(default_factory=_empty_coo)  # int64[F, 3] (row, col, u16), col < n
    commit_blocks: np.ndarray | None = None  # int64[n], -1 = none; None = no commits

    def __post_init__(self) -> None:
        n = self.n
        check_scalars(self)
        stake = _check_vector("stake", self.stake, np.int64, n, exact=True)
        _check_range("stake", stake, 0, INT64_MAX)
        total = (int((stake >> 32).sum()) << 32) + int((stake & M32).sum())  # exact: no int64 overflow
        if total >= U63_LIMIT:
            raise EpochInputError(f"total stake {total} does not fit below 2^63 rao")
        for name in ("last_update", "block_at_registration"):
            _check_range(
                name, _check_vector(name, getattr(self, name), np.int64, n, exact=True), 0, INT64_MAX
            )
        if self.commit_blocks is not None:
            commit = _check_vector("commit_blocks", self.commit_blocks, np.int64, n, exact=True)
            _check_range("commit_blocks", commit, -1, U63_LIMIT - 2)
        _check_vector("validator_permit", self.validator_permit, np.bool_, n, exact=False)
        _check_coo("weights", self.weights, n, drop_out_of_range=True)
        _check_coo("bonds", self.bonds, n, drop_out_of_range=False)

    @staticmethod
    def from_input(inp: EpochInput) -> EpochArrays:
        """The arrays of an (already checked) EpochInput; out-of-range weight entries are kept."""
        n = inp.n
        last_update = np.zeros(n, dtype=np.int64)
        last_update[: len(inp.last_update)] = inp.last_update
        commit = np.full(n, -1, dtype=np.int64)
        commit[: len(inp.commit_blocks)] = [-1 if c is None else c for c in inp.commit_blocks]
        return EpochArrays(
            **inp.params(),
            stake=np.array(inp.stake, dtype=np.int64).reshape(n),
            weights=_coo_from_rows(inp.weights),
            last_update=last_update,
            block_at_registration=np.array(inp.block_at_registration, dtype=np.int64).reshape(n),
            validator_permit=np.array(inp.validator_permit, dtype=np.bool_).reshape(
                len(inp.validator_permit)
            ),
            bonds=_coo_from_rows(inp.bonds),
            commit_blocks=commit,
        )

    def to_input(self) -> EpochInput:
        """The equivalent EpochInput (padded vectors, n weight and bond rows; for the reference)."""
        commit = (
            ()
            if self.commit_blocks is None
            else tuple(None if c == -1 else c for c in self.commit_blocks.tolist())
        )
        return EpochInput(
            **self.params(),
            stake=tuple(self.stake.tolist()),
            weights=_rows_from_coo(self.weights, self.n),
            last_update=tuple(self.last_update.tolist()),
            block_at_registration=tuple(self.block_at_registration.tolist()),
            validator_permit=tuple(self.validator_permit.tolist()),
            bonds=_rows_from_coo(self.bonds, self.n),
            commit_blocks=commit,
        )


VECTOR_OUTPUTS = (
    "active",
    "new_validator_permit",
    "stake_weight",
    "consensus",
    "incentive",
    "dividends",
    "validator_trust",
    "server_emission",
    "validator_emission",
    "emission",
)


@dataclass(frozen=True, slots=True, eq=False)
class EpochArraysOutput:
    """What the epoch writes back, as arrays (the fields of EpochOutput)."""

    active: np.ndarray  # bool[n]
    new_validator_permit: np.ndarray  # bool[n]
    stake_weight: np.ndarray  # int64[n] u16
    consensus: np.ndarray  # int64[n] u16
    incentive: np.ndarray  # int64[n] u16
    dividends: np.ndarray  # int64[n] u16
    validator_trust: np.ndarray  # int64[n] u16
    server_emission: np.ndarray  # int64[n] rao
    validator_emission: np.ndarray  # int64[n] rao
    emission: np.ndarray  # int64[n] rao
    bonds: np.ndarray  # int64[F, 3] (row, col, u16): rows ascending, entries in subtensor's order

    def to_output(self) -> EpochOutput:
        """The same result as an EpochOutput (Python ints and bools, n bond rows)."""
        n = self.active.shape[0]
        vec = {name: tuple(getattr(self, name).tolist()) for name in VECTOR_OUTPUTS}
        return EpochOutput(**vec, bonds=_rows_from_coo(self.bonds, n))

    @staticmethod
    def from_output(out: EpochOutput) -> EpochArraysOutput:
        """The arrays of an EpochOutput (the reference backend's result)."""
        vec: dict[str, np.ndarray] = {}
        for name in VECTOR_OUTPUTS:
            dtype = np.bool_ if name in ("active", "new_validator_permit") else np.int64
            values = getattr(out, name)
            vec[name] = np.array(values, dtype=dtype).reshape(len(values))
        return EpochArraysOutput(**vec, bonds=_coo_from_rows(out.bonds))

