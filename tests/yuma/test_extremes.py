"""The kernel at the bounds its docstring promises: N = 4096 uids, 21e6 TAO of stake, u64 rao."""

from __future__ import annotations

import random

import pytest
from yuma_gen import carry, make_input

from runtime.yuma.kernel import compute_epochs
from runtime.yuma.reference import compute_epoch
from runtime.yuma.types import EpochInput, EpochInputError

TOTAL = 21_000_000 * 10**9
N = 4096


def _big_subnet(seed: int, yuma3: bool, validators: int = 64, per_row: int = 40) -> EpochInput:
    rng = random.Random(seed)
    stake = [1] * N
    stake[0] = TOTAL - (N - 1) - 10**6  # a whale holding almost everything
    for i in range(1, validators):
        stake[i] = rng.choice([10**13, 10**13 + 1, 2**44])
    stake[0] = TOTAL - sum(stake[1:])
    weights = tuple(
        tuple((j, rng.choice([0, 1, 65535, rng.randint(0, 65535)])) for j in sorted(rng.sample(range(N), per_row)))
        for _ in range(validators)
    )
    bonds = tuple(
        tuple((j, rng.randint(0, 65535)) for j in sorted(rng.sample(range(N), per_row // 2)))
        for _ in range(validators)
    )
    return EpochInput(
        n=N, current_block=10**7, stake=tuple(stake), weights=weights, bonds=bonds,
        last_update=(10**7 - 1,) * N, block_at_registration=(5,) * N,
        validator_permit=tuple(i < validators for i in range(N)), max_allowed_validators=64,
        yuma3=yuma3, liquid_alpha=False, rao_emission=(1 << 63) - 1, owner_uid=N - 1,
    )


@pytest.mark.parametrize("yuma3", [False, True])
def test_4096_uids_max_stake_matches_reference(yuma3: bool) -> None:
    inp = _big_subnet(7, yuma3)
    out = compute_epochs([inp])[0]
    assert out == compute_epoch(inp)
    assert sum(out.emission) <= inp.rao_emission
    assert sum(out.new_validator_permit) == 65  # top 64 by stake plus the owner


def test_extreme_liquid_alpha_and_stake() -> None:
    """Steepness at the i16 bounds (exponent clamped at +-20), whale stake, u63 rao."""
    for steep in (-32768, 32767, 1, 0):
        for seed in range(3):
            inp = make_input(seed, 48, yuma3=True, liquid_alpha=True, alpha_sigmoid_steepness=steep,
                             alpha_low=0, alpha_high=65535, rao_emission=(1 << 63) - 1,
                             stake=tuple([TOTAL - 47] + [1] * 47), bonds_penalty=0)
            for _ in range(2):
                ref = compute_epoch(inp)
                assert compute_epochs([inp])[0] == ref
                inp = carry(inp, ref, 361)


def test_input_bounds_are_refused() -> None:
    ok = dict(n=1, current_block=1, stake=(1,), weights=(), last_update=(1,), block_at_registration=(0,),
              validator_permit=(True,))
    EpochInput(**ok)
    for bad in ({"stake": (1 << 63,)}, {"n": 4097}, {"bonds_moving_average": 1_000_001},
                {"alpha_low": 2, "alpha_high": 1}, {"weights": (((0, 1), (0, 2)),)},
                {"bonds": (((5, 1),),)}, {"rao_emission": 1 << 63}):
        with pytest.raises(EpochInputError):
            EpochInput(**{**ok, **bad})
