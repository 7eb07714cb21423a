"""The demo subnet's task: classify scikit-learn's 8x8 handwritten digits (1,797 images that ship
with the package: no download).

The data is split once, deterministically: 70 % for the miners to train on, 30 % held out for the
validators' queries (the miners never see it). Miners climb a ladder of models from weak to
strong; validators turn accuracy and latency into a score and the scores into weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

TEST_FRACTION = 0.3
SPLIT_SEED = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Level:
    """One rung of the miners' ladder: a model and the fraction of the training split it learns from."""

    name: str
    model: str  # "tree" | "nb" | "logreg" | "knn" | "svc"
    fraction: float

    @property
    def label(self) -> str:
        return f"{self.name} on {self.fraction:.0%}"


# accuracy on the held-out split, roughly: 0.41, 0.74, 0.88, 0.96, 0.96, 0.99
LADDER: tuple[Level, ...] = (
    Level("depth-4 tree", "tree", 0.05),
    Level("naive Bayes", "nb", 0.10),
    Level("logistic regression", "logreg", 0.05),
    Level("logistic regression", "logreg", 0.20),
    Level("3-nearest neighbours", "knn", 0.30),
    Level("RBF SVC", "svc", 1.0),
)
_PICKS = {1: (5,), 2: (1, 5), 3: (0, 3, 5), 4: (0, 1, 3, 5), 5: (0, 1, 2, 3, 5), 6: (0, 1, 2, 3, 4, 5)}
MAX_MINERS = 16


def miner_levels(n: int) -> list[int]:
    """The ladder rungs of n miners, weakest first; the last miner is always the strongest (SVC)."""
    if not 1 <= n <= MAX_MINERS:
        raise ValueError(f"the demo runs 1 to {MAX_MINERS} miners, got {n}")
    if n in _PICKS:
        return list(_PICKS[n])
    top = len(LADDER) - 1
    return [min(top - 1, i * (top - 1) // (n - 2)) for i in range(n - 1)] + [top]


def load_split() -> tuple[Any, Any, Any, Any]:
    """(X_train, y_train, X_test, y_test): pixels 0..16 as float64 rows of 64, labels 0..9."""
    from sklearn.datasets import load_digits  # noqa: PLC0415
    from sklearn.model_selection import train_test_split  # noqa: PLC0415

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y
    )
    return x_train, y_train, x_test, y_test


def make_model(kind: str) -> Any:
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.naive_bayes import GaussianNB  # noqa: PLC0415
    from sklearn.neighbors import KNeighborsClassifier  # noqa: PLC0415
    from sklearn.svm import SVC  # noqa: PLC0415
    from sklearn.tree import DecisionTreeClassifier  # noqa: PLC0415

    makers = {
        "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
        "nb": GaussianNB,
        "logreg": lambda: LogisticRegression(max_iter=1000),
        "knn": lambda: KNeighborsClassifier(3),
        "svc": lambda: SVC(gamma=0.001),
    }
    if kind not in makers:
        raise ValueError(f"unknown model {kind!r}: one of {', '.join(makers)}")
    return makers[kind]()


def train(level: Level) -> tuple[Any, int]:
    """A fitted model of `level` and the number of training images it saw (the first `fraction` of
    the training split: the split is stratified and shuffled, so every digit is in there)."""
    x_train, y_train, _, _ = load_split()
    n = max(20, math.ceil(level.fraction * len(x_train)))
    model = make_model(level.model)
    model.fit(x_train[:n], y_train[:n])
    return model, n


# --- scoring ----------------------------------------------------------------------------------------

LATENCY_BUDGET_S = 2.0  # answers slower than this score 0
LATENCY_PENALTY = 0.05  # score lost per second of latency
TEMPERATURE = 0.05  # softmax temperature of the scores: 3 points of accuracy ~ x1.8 weight


def score(accuracy: float, latency_s: float) -> float:
    """A miner's score for one query: its accuracy less a small latency penalty (0 past the budget)."""
    if latency_s > LATENCY_BUDGET_S:
        return 0.0
    return max(0.0, accuracy - LATENCY_PENALTY * latency_s)


def weights_from_scores(scores: dict[int, float]) -> dict[int, float]:
    """Sharpened weights (a softmax at TEMPERATURE, summing to 1) of uid -> score; a miner that
    scored 0 (no answer) gets no weight."""
    alive = {uid: s for uid, s in scores.items() if s > 0}
    if not alive:
        return {}
    top = max(alive.values())
    raw = {uid: math.exp((s - top) / TEMPERATURE) for uid, s in alive.items()}
    total = sum(raw.values())
    return {uid: raw[uid] / total for uid in sorted(raw)}


def accuracy(predicted: Sequence[int], truth: Sequence[int]) -> float:
    if not truth:
        return 0.0
    return sum(1 for p, t in zip(predicted, truth, strict=False) if int(p) == int(t)) / len(truth)
