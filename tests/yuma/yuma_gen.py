"""Random subnet states for the Yuma differential tests (seeded, so hypothesis can replay them)."""

from __future__ import annotations

import random
from dataclasses import replace

from runtime.yuma.types import EpochInput, EpochOutput

TOTAL_STAKE_MAX = 21_000_000 * 10**9  # 21e6 TAO in rao


def _row(rng: random.Random, n: int, density: float, zero_share: float, shuffle: bool) -> tuple:
    uids = [j for j in range(n) if rng.random() < density]
    if shuffle:
        rng.shuffle(uids)
    pick = rng.choice([lambda: rng.randint(0, 65535), lambda: 65535, lambda: rng.choice([1, 2, 32767])])
    return tuple((j, 0 if rng.random() < zero_share else pick()) for j in uids)


def make_input(seed: int, n: int, **force: object) -> EpochInput:
    """A random but well-formed subnet state exercising every mask of the epoch."""
    rng = random.Random(seed)
    current_block = rng.choice([rng.randint(0, 50), rng.randint(20_000, 40_000), rng.randint(10**6, 10**7)] + [rng.randint(10**6, 10**7)] * 3)
    tempo = rng.choice([1, 10, 360])
    cutoff = rng.choice([1, 100, 5000])
    per = TOTAL_STAKE_MAX // max(n, 1)
    tie_value = rng.randint(1, per)
    stake = tuple(
        rng.choice([0, tie_value, tie_value, rng.randint(0, 1000), rng.randint(0, per)]) for _ in range(n)
    )
    density = rng.choice([0.1, 0.5, 0.8, 1.0, 1.0])
    zero_share = rng.choice([0.0, 0.1, 0.5])
    shuffle = rng.random() < 0.3
    weights = tuple(
        () if rng.random() < 0.2 else _row(rng, n + rng.choice([0, 0, 2]), density, zero_share, shuffle)
        for _ in range(rng.choice([n, n, rng.randint(0, n)]))
    )
    yuma3 = rng.random() < 0.6
    bonds = tuple(
        () if rng.random() < 0.3 else _row(rng, n, density, 0.05, shuffle and yuma3) for _ in range(rng.randint(0, n))
    )

    healthy = rng.random() < 0.7

    def block() -> int:
        return max(0, current_block + rng.randint(-cutoff - 20, 5))

    def recent() -> int:
        return max(0, current_block - rng.randint(0, cutoff))

    def old() -> int:
        return max(0, current_block - cutoff - rng.randint(1, 3 * cutoff + 10))

    if healthy:
        last_update = tuple(recent() if rng.random() < 0.9 else block() for _ in range(n))
        registered = tuple(old() if rng.random() < 0.9 else block() for _ in range(n))
        permit = tuple(rng.random() < 0.9 for _ in range(n))
    else:
        last_update = tuple(block() for _ in range(rng.randint(max(0, n - 2), n)))
        registered = tuple(block() if rng.random() < 0.7 else 0 for _ in range(n))
        permit = tuple(rng.random() < 0.6 for _ in range(rng.choice([n, n, n, max(0, n - 1), 0])))
    low = rng.randint(0, 65535)
    high = rng.randint(low, 65535)
    fields: dict[str, object] = dict(
        n=n,
        current_block=current_block,
        stake=stake,
        weights=weights,
        bonds=bonds,
        last_update=last_update,
        block_at_registration=registered,
        validator_permit=permit,
        tempo=tempo,
        activity_cutoff=cutoff,
        kappa=rng.choice([32767, 32767, 32768, 0, 65535, rng.randint(0, 65535)]),
        bonds_penalty=rng.choice([0, 65535, rng.randint(1, 65534)]),
        bonds_moving_average=rng.choice([900_000, 975_000, 0, 1_000_000, rng.randint(0, 1_000_000)]),
        max_allowed_validators=rng.choice([n, max(1, n // 2), 3, 64, 0]),
        stake_threshold=rng.choice([0, 0, rng.randint(0, per)]),
        yuma3=yuma3,
        liquid_alpha=rng.random() < 0.6,
        alpha_low=low,
        alpha_high=high,
        alpha_sigmoid_steepness=rng.choice([1000, -1000, 32767, -32768, rng.randint(-32768, 32767)]),
        owner_uid=rng.choice([None, rng.randrange(n)]) if n else None,
        last_mechanism_step_block=rng.choice([0, max(0, current_block - tempo - 1), current_block]),
        commit_reveal_enabled=rng.random() < 0.2,
        commit_blocks=tuple(rng.choice([None, block()]) for _ in range(rng.randint(0, n))),
        rao_emission=rng.choice([1_000_000_000, 0, rng.randint(0, (1 << 63) - 1)]),
    )
    fields.update(force)
    return EpochInput(**fields)  # type: ignore[arg-type]


def carry(inp: EpochInput, out: EpochOutput, blocks: int) -> EpochInput:
    """The next epoch's input: bonds and permits written back, time moved on."""
    return replace(
        inp,
        bonds=out.bonds,
        validator_permit=out.new_validator_permit,
        current_block=inp.current_block + blocks,
        last_mechanism_step_block=inp.current_block if inp.last_mechanism_step_block else 0,
    )
