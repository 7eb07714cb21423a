"""Choice of the array backend that runs the Yuma kernel.

`get_backend("auto")` picks CuPy when it imports, `cupy.is_available()` is true and a tiny probe
(an int64 multiply-shift and a sort on the device) gives the expected integers; otherwise NumPy.
`numpy`, `cupy` and `reference` force one; forcing `cupy` where it is missing or unusable raises
RuntimeError with the reason. CuPy is imported lazily, so nothing here needs it.

All backends return identical `EpochOutput`s (and `EpochArraysOutput`s); this is the consensus contract the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from runtime.yuma.batch import EpochArrays, EpochArraysOutput
from runtime.yuma.types import EpochInput, EpochOutput

BACKEND_NAMES = ("auto", "numpy", "cupy", "reference")


@dataclass(frozen=True, slots=True)
class Backend:
    """A resolved backend: its name and, for kernel backends, the array module."""

    name: str  # "numpy", "cupy" or "reference"
    xp: ModuleType | None  # array module for the kernel; None for the scalar reference


def _probe_cupy() -> tuple[ModuleType | None, str]:
    try:
        import cupy  # noqa: PLC0415 (lazy on purpose)
    except Exception as exc:  # ImportError, or a CUDA library failing to load
        return None, f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        if not cupy.is_available():
            return None, "CuPy is installed but no CUDA device is available"
        a = cupy.asarray([3 << 40, 5, (1 << 62) + 7], dtype=cupy.int64)
        probe = ((a * 3) >> 2).tolist(), cupy.sort(a[::-1]).tolist()
        expect = ([(3 << 40) * 3 >> 2, 3, ((1 << 62) + 7) * 3 % (1 << 64) >> 2], [5, 3 << 40, (1 << 62) + 7])
        if probe[0][:2] != expect[0][:2] or probe[1] != expect[1]:
            return None, f"CuPy probe returned unexpected integers {probe}"
    except Exception as exc:
        return None, f"CuPy probe failed ({type(exc).__name__}: {exc})"
    return cupy, ""


def get_backend(name: str = "auto") -> Backend:
    """Resolve a backend name; see the module docstring."""
    if name not in BACKEND_NAMES:
        raise ValueError(f"unknown Yuma backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
    if name == "reference":
        return Backend("reference", None)
    if name in ("auto", "cupy"):
        cupy, reason = _probe_cupy()
        if cupy is not None:
            return Backend("cupy", cupy)
        if name == "cupy":
            raise RuntimeError(f"backend 'cupy' was requested but {reason}; use --backend numpy")
    import numpy  # noqa: PLC0415

    return Backend("numpy", numpy)


def run_epochs(inputs: list[EpochInput], backend: str | Backend = "auto") -> list[EpochOutput]:
    """Run the epochs of several subnets on one backend; results are identical on every backend."""
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    if be.xp is None:
        from runtime.yuma.reference import compute_epoch  # noqa: PLC0415

        return [compute_epoch(inp) for inp in inputs]
    from runtime.yuma.kernel import compute_epochs  # noqa: PLC0415

    xp: Any = be.xp
    return compute_epochs(inputs, xp=xp)


def run_epochs_arrays(batch: list[EpochArrays], backend: str | Backend = "auto") -> list[EpochArraysOutput]:
    """`run_epochs` for inputs given as arrays (`runtime.yuma.batch`); identical results on every backend."""
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    if be.xp is None:
        from runtime.yuma.reference import compute_epoch  # noqa: PLC0415

        return [EpochArraysOutput.from_output(compute_epoch(arr.to_input())) for arr in batch]
    from runtime.yuma.kernel import compute_epochs_arrays  # noqa: PLC0415

    xp: Any = be.xp
    return compute_epochs_arrays(batch, xp=xp)
