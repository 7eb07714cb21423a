"""Differential tests: the batched kernel (NumPy) equals the scalar reference bit for bit."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yuma_gen import carry, make_input

from runtime.yuma.kernel import compute_epochs
from runtime.yuma.reference import compute_epoch
from runtime.yuma.types import EpochInput

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 64))
def test_kernel_equals_reference(seed: int, n: int) -> None:
    inp = make_input(seed, n)
    assert compute_epochs([inp])[0] == compute_epoch(inp)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), epochs=st.integers(2, 4))
def test_multi_epoch_bonds(seed: int, n: int, epochs: int) -> None:
    inp = make_input(seed, n)
    for _ in range(epochs):
        ref = compute_epoch(inp)
        assert compute_epochs([inp])[0] == ref
        inp = carry(inp, ref, inp.tempo + 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(1, 40), min_size=1, max_size=5))
def test_batch_padding_changes_nothing(seed: int, sizes: list[int]) -> None:
    inputs = [make_input(seed + k, n) for k, n in enumerate(sizes)]
    batch = compute_epochs(inputs)
    assert batch == [compute_epoch(inp) for inp in inputs]
    assert batch == [compute_epochs([inp])[0] for inp in inputs]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40))
def test_yuma3_liquid_alpha_unsorted_rows(seed: int, n: int) -> None:
    inp = make_input(seed, n, yuma3=True, liquid_alpha=True, bonds_penalty=0, kappa=32767)
    unsorted = tuple(tuple(reversed(row)) for row in inp.weights)
    inp2 = make_input(seed, n, yuma3=True, liquid_alpha=True, bonds_penalty=0, weights=unsorted)
    for x in (inp, inp2):
        assert compute_epochs([x])[0] == compute_epoch(x)


def test_zero_stake_and_empty_subnet() -> None:
    empty = EpochInput(n=0, current_block=5, stake=(), weights=(), last_update=(), block_at_registration=(),
                       validator_permit=())
    zero = make_input(2, 5, stake=(0,) * 5)
    assert compute_epochs([empty, zero]) == [compute_epoch(empty), compute_epoch(zero)]


def test_large_batch_takes_the_blocked_paths_and_stays_exact() -> None:
    """Over 2^15 liquid-alpha entries: the kernel works them in cache-sized blocks (CHUNK); the
    result must still equal the reference subnet by subnet."""
    from runtime.yuma.kernel import CHUNK

    inputs = [
        make_input(9000 + k, 96, yuma3=True, liquid_alpha=True, bonds_penalty=0, kappa=32767)
        for k in range(5)
    ]
    assert sum(inp.n * sum(1 for row in inp.weights if row) for inp in inputs) > CHUNK
    assert compute_epochs(inputs) == [compute_epoch(inp) for inp in inputs]
