"""CuPy kernel == NumPy kernel, bit for bit, on random batches up to the largest sizes (needs a GPU)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_extremes import _big_subnet
from yuma_gen import carry, make_input

from runtime.yuma.kernel import compute_epochs

pytestmark = pytest.mark.gpu
cupy = pytest.importorskip("cupy")
if not cupy.is_available():  # pragma: no cover - depends on the machine
    pytest.skip("CuPy is installed but no CUDA device is available", allow_module_level=True)


@pytest.mark.parametrize("seed", range(6))
def test_cupy_equals_numpy_random_batches(seed: int) -> None:
    inputs = [make_input(seed * 100 + k, n) for k, n in enumerate([1, 7, 33, 64, 64, 20])]
    for _ in range(3):
        cpu = compute_epochs(inputs)
        assert compute_epochs(inputs, xp=cupy) == cpu
        inputs = [carry(inp, out, inp.tempo + 1) for inp, out in zip(inputs, cpu, strict=True)]


@pytest.mark.parametrize("yuma3", [False, True])
def test_cupy_equals_numpy_largest(yuma3: bool) -> None:
    big = replace(_big_subnet(3, yuma3), liquid_alpha=True, bonds_penalty=0)
    inputs = [big] + [make_input(7 + k, n, yuma3=yuma3, liquid_alpha=True) for k, n in enumerate([64, 48, 5])]
    assert compute_epochs(inputs, xp=cupy) == compute_epochs(inputs)


def test_backend_auto_picks_cupy() -> None:
    from runtime.yuma.backend import get_backend

    assert get_backend("auto").name == "cupy"
