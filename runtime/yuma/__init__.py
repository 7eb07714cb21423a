"""Yuma consensus epoch math: exact scalar reference, batched int64 kernel, numpy/cupy backend.

Inputs: `EpochParams` (the per-subnet scalars, declared once) extended by `EpochInput` (tuples and
sparse rows) or `EpochArrays` (NumPy arrays); outputs `EpochOutput` / `EpochArraysOutput`. Run them
with `run_epochs(inputs, backend="auto")` or `run_epochs_arrays(batch, backend)` (backend);
underneath are `compute_epoch` (reference) and `kernel.compute_epochs(_arrays)(…, xp)`. Module
order, one way: types <- batch <- kernel <- backend (the reference imports types and fixed).
Imports nothing else of this project.
"""

from runtime.yuma.backend import get_backend, run_epochs, run_epochs_arrays
from runtime.yuma.batch import EpochArrays, EpochArraysOutput
from runtime.yuma.types import EpochInput, EpochInputError, EpochOutput, EpochParams

__all__ = [
    "EpochArrays",
    "EpochArraysOutput",
    "EpochInput",
    "EpochInputError",
    "EpochOutput",
    "EpochParams",
    "get_backend",
    "run_epochs",
    "run_epochs_arrays",
]
