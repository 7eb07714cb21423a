"""The array-native path (runtime.yuma.batch): same results as run_epochs and the reference, bit for
bit, and the same refusals as EpochInput, checked without per-entry Python."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yuma_gen import carry, make_input

from runtime.yuma.backend import run_epochs_arrays
from runtime.yuma.batch import VECTOR_OUTPUTS, EpochArrays, EpochArraysOutput
from runtime.yuma.kernel import compute_epochs, compute_epochs_arrays
from runtime.yuma.reference import compute_epoch
from runtime.yuma.types import EpochInput, EpochInputError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same_arrays(a: EpochArraysOutput, b: EpochArraysOutput) -> None:
    for name in (*VECTOR_OUTPUTS, "bonds"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), name


def check_batch(inputs: list[EpochInput]) -> None:
    """Arrays path == EpochInput kernel path == reference, as EpochOutput and as arrays."""
    arrays = [EpochArrays.from_input(inp) for inp in inputs]
    outs = compute_epochs_arrays(arrays)
    ref = [compute_epoch(inp) for inp in inputs]
    assert [o.to_output() for o in outs] == ref
    assert compute_epochs(inputs) == ref
    for out, r in zip(outs, ref, strict=True):
        assert_same_arrays(out, EpochArraysOutput.from_output(r))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(0, 40), min_size=1, max_size=4))
def test_arrays_equal_reference(seed: int, sizes: list[int]) -> None:
    check_batch([make_input(seed + k, n) for k, n in enumerate(sizes)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 32), permit_len=st.integers(0, 32))
def test_short_permits_owner_commits_unsorted_dropped(seed: int, n: int, permit_len: int) -> None:
    """Yuma3 liquid alpha (stored entry order matters), reversed rows with uids >= n, a short permit
    vector with the owner inside or outside it, commit-reveal with commit blocks."""
    base = make_input(seed, n, yuma3=True, liquid_alpha=True, bonds_penalty=0, commit_reveal_enabled=True)
    weights = tuple(
        tuple(reversed(row + ((n + 5, 7),))) if k % 2 else row for k, row in enumerate(base.weights)
    )
    bonds = tuple(tuple(reversed(row)) for row in base.bonds)
    permit = base.validator_permit[: min(permit_len, n)] or (True,) * min(permit_len, n)
    owner = (seed % n) if seed % 3 else None
    commits = tuple(None if (seed >> k) & 1 else max(0, base.current_block - k) for k in range(n))
    inp = replace(
        base, weights=weights, bonds=bonds, validator_permit=permit, owner_uid=owner, commit_blocks=commits
    )
    check_batch([inp, base])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(1, 24), min_size=1, max_size=3))
def test_written_bonds_feed_the_next_epoch(seed: int, sizes: list[int]) -> None:
    """EpochArraysOutput.bonds is a valid EpochArrays.bonds: three epochs stay equal to the reference."""
    inputs = [make_input(seed + k, n) for k, n in enumerate(sizes)]
    arrays = [EpochArrays.from_input(inp) for inp in inputs]
    for _ in range(3):
        outs = compute_epochs_arrays(arrays)
        ref = [compute_epoch(inp) for inp in inputs]
        assert [o.to_output() for o in outs] == ref
        inputs = [carry(inp, r, inp.tempo + 1) for inp, r in zip(inputs, ref, strict=True)]
        arrays = [
            replace(
                a,
                bonds=o.bonds,
                validator_permit=o.new_validator_permit,
                current_block=i.current_block,
                last_mechanism_step_block=i.last_mechanism_step_block,
            )
            for a, o, i in zip(arrays, outs, inputs, strict=True)
        ]


def dense_subnet(seed: int, n: int = 48, validators: int = 12, **force: Any) -> EpochArrays:
    """The pallet's shape, built directly as arrays: full weight rows and bond rows per validator."""
    rng = np.random.default_rng(seed)
    block = 10_000_000
    rows = np.repeat(np.arange(validators, dtype=np.int64), n)
    cols = np.tile(np.arange(n, dtype=np.int64), validators)
    fields: dict[str, Any] = dict(
        n=n,
        current_block=block,
        stake=np.where(np.arange(n) < validators, rng.integers(10**12, 10**14, n), rng.integers(0, 10**9, n)),
        weights=np.stack([rows, cols, rng.integers(0, 65536, rows.shape[0])], axis=1),
        bonds=np.stack([rows, cols, rng.integers(0, 65536, rows.shape[0])], axis=1),
        last_update=block - rng.integers(1, 300, n),
        block_at_registration=rng.integers(0, block - 5000, n),
        validator_permit=np.arange(n) < validators,
        max_allowed_validators=validators,
        owner_uid=0,
        yuma3=True,
        liquid_alpha=True,
        alpha_low=6553,
        alpha_high=19660,
    )
    fields.update(force)
    return EpochArrays(**fields)


@pytest.mark.parametrize("yuma3", [False, True])
def test_dense_arrays_and_backends(yuma3: bool) -> None:
    batch = [dense_subnet(s, yuma3=yuma3, bonds_penalty=[0, 65535, 30000][s % 3]) for s in range(4)]
    outs = compute_epochs_arrays(batch)
    assert [o.to_output() for o in outs] == [compute_epoch(a.to_input()) for a in batch]
    for name in ("numpy", "reference"):
        for a, b in zip(run_epochs_arrays(batch, name), outs, strict=True):
            assert_same_arrays(a, b)
    bonds = outs[0].bonds
    assert bonds.dtype == np.int64 and bonds.shape[1] == 3 and bool((np.diff(bonds[:, 0]) >= 0).all())


def test_empty_batch_and_empty_subnet() -> None:
    assert compute_epochs_arrays([]) == []
    empty = EpochArrays(
        n=0,
        current_block=5,
        stake=np.zeros(0, np.int64),
        weights=np.zeros((0, 3), np.int64),
        last_update=np.zeros(0, np.int64),
        block_at_registration=np.zeros(0, np.int64),
        validator_permit=np.zeros(0, bool),
    )
    (out,) = compute_epochs_arrays([empty])
    assert out.active.shape == (0,) and out.bonds.shape == (0, 3)
    assert out.to_output() == compute_epoch(empty.to_input())


# ---- refusals ------------------------------------------------------------------------------------


def ok_fields() -> dict[str, Any]:
    return dict(
        n=4,
        current_block=100,
        stake=np.array([5, 6, 7, 8], np.int64),
        weights=np.array([[0, 1, 10], [0, 2, 20], [2, 0, 5], [2, 9, 1]], np.int64),
        last_update=np.full(4, 99, np.int64),
        block_at_registration=np.zeros(4, np.int64),
        validator_permit=np.array([True, False, True]),
        bonds=np.array([[0, 3, 7], [1, 0, 1]], np.int64),
        commit_blocks=np.array([-1, 3, -1, 0], np.int64),
    )


def test_valid_fields_are_accepted() -> None:
    arr = EpochArrays(**ok_fields())  # the weight entry (2, 9) is out of range: dropped, not refused
    assert compute_epochs_arrays([arr])[0].to_output() == compute_epoch(arr.to_input())
    assert arr.to_input().weights[2] == ((0, 5), (9, 1))


W = np.array  # shorthand below


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"weights": W([[0, 1, 1], [0, 2, 1], [0, 1, 3]], np.int64)}, "holds uid 1 twice"),
        ({"weights": W([[1, 3, 1], [1, 3, 2]], np.int64)}, "holds uid 3 twice"),
        ({"bonds": W([[2, 1, 1], [2, 0, 1], [2, 1, 1]], np.int64)}, "holds uid 1 twice"),
        ({"weights": W([[4, 0, 1]], np.int64)}, "row uid 4"),
        ({"weights": W([[-1, 0, 1]], np.int64)}, "row uid -1"),
        ({"weights": W([[1, 0, 1], [0, 1, 1]], np.int64)}, "grouped"),
        ({"weights": W([[0, 70000, 1]], np.int64)}, "col uid"),
        ({"weights": W([[0, 1, 65536]], np.int64)}, "value"),
        ({"weights": W([[0, 1, -1]], np.int64)}, "value"),
        ({"bonds": W([[0, 4, 1]], np.int64)}, "refers to uid 4 >= n=4"),
        ({"bonds": W([[0, 1, 65536]], np.int64)}, "value"),
        ({"weights": W([[0, 1, 1]], np.int32)}, "dtype"),
        ({"weights": W([[0, 1]], np.int64)}, "shape"),
        ({"weights": W([0, 1, 1], np.int64)}, "shape"),
        ({"weights": [[0, 1, 1]]}, "numpy array"),
        ({"stake": W([5, 6, 7], np.int64)}, "expected n=4"),
        ({"stake": W([5, 6, 7, 8], np.float64)}, "dtype"),
        ({"stake": W([5, 6, -7, 8], np.int64)}, "stake"),
        ({"stake": W([1 << 62, 1 << 62, 0, 0], np.int64)}, "total stake"),
        ({"last_update": W([1, 2, 3], np.int64)}, "expected n=4"),
        ({"block_at_registration": W([0, 0, 0, -1], np.int64)}, "block_at_registration"),
        ({"validator_permit": W([True] * 5)}, "more than n=4"),
        ({"validator_permit": W([1, 0], np.int64)}, "dtype"),
        ({"validator_permit": W([[True]])}, "one-dimensional"),
        ({"commit_blocks": W([-2, 0, 0, 0], np.int64)}, "commit_blocks"),
        ({"commit_blocks": W([(1 << 63) - 1, 0, 0, 0], np.int64)}, "commit_blocks"),
        ({"n": 4097}, "n=4097"),
        ({"owner_uid": 4}, "owner_uid"),
        ({"alpha_low": 2, "alpha_high": 1}, "alpha_low"),
        ({"bonds_moving_average": 1_000_001}, "bonds_moving_average"),
        ({"rao_emission": 1 << 63}, "rao_emission"),
    ],
)
def test_bad_arrays_are_refused(bad: dict[str, Any], match: str) -> None:
    with pytest.raises(EpochInputError, match=match):
        EpochArrays(**{**ok_fields(), **bad})


def test_refusals_agree_with_epoch_input() -> None:
    """Each refusal above, where EpochInput can express it, is an EpochInput refusal too."""
    base = EpochArrays(**ok_fields()).to_input()
    for bad in (
        {"weights": (((1, 1), (2, 1), (1, 3)),)},
        {"bonds": ((), (), ((4, 1),))},
        {"weights": (((0, 65536),),)},
        {"stake": (1 << 62, 1 << 62, 0, 0)},
    ):
        with pytest.raises(EpochInputError):
            replace(base, **bad)
        with pytest.raises(EpochInputError):
            _arrays_of(base, bad)


def _arrays_of(base: EpochInput, bad: dict[str, Any]) -> EpochArrays:
    """EpochArrays with `bad` (EpochInput-style fields) converted, bypassing EpochInput's own check."""
    good = EpochArrays.from_input(base)
    conv: dict[str, Any] = {}
    for key, value in bad.items():
        if key in ("weights", "bonds"):
            conv[key] = np.array(
                [[i, j, v] for i, row in enumerate(value) for j, v in row], np.int64
            ).reshape(-1, 3)
        else:
            conv[key] = np.array(value, np.int64)
    return replace(good, **conv)


def test_cupy_equals_numpy_on_arrays() -> None:
    cupy = pytest.importorskip("cupy")
    if not cupy.is_available():
        pytest.skip("no CUDA device")
    batch = [EpochArrays.from_input(make_input(k, n)) for k, n in enumerate([1, 9, 33])] + [dense_subnet(5)]
    for a, b in zip(compute_epochs_arrays(batch, xp=cupy), compute_epochs_arrays(batch), strict=True):
        assert_same_arrays(a, b)


def test_bond_entry_order_falls_back_to_a_sort_on_equal_keys() -> None:
    """_bond_entries' slot scatter needs distinct (row, order) keys; equal keys take the sort."""
    from runtime.yuma.kernel import _bond_entries

    rows = np.array([[3, 1]], np.int64)
    present = np.array([[[True, False, True, True], [False, True, False, False]]])
    values = np.arange(8, dtype=np.int64).reshape(1, 2, 4)
    order = np.zeros((1, 2, 4), np.int64)
    sub, bonds = _bond_entries(rows, present, values, order)
    assert sub.tolist() == [0, 0, 0, 0]
    assert bonds.tolist() == [[1, 1, 5], [3, 0, 0], [3, 2, 2], [3, 3, 3]]
