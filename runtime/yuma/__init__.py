"""Yuma consensus epoch math: exact scalar reference, batched int64 kernel, numpy/cupy backend.

Public entry points: `EpochInput`, `EpochOutput` (types), `run_epochs(inputs, backend="auto")`
(backend), `compute_epoch` (reference) and `kernel.run_epochs(inputs, xp)`. Imports nothing else
of this project.
"""

from runtime.yuma.backend import get_backend, run_epochs
from runtime.yuma.types import EpochInput, EpochInputError, EpochOutput

__all__ = ["EpochInput", "EpochInputError", "EpochOutput", "get_backend", "run_epochs"]
