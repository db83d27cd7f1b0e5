"""Metrics of a classifier: top-k accuracy and running means over an epoch."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["MeanMeter", "accuracy", "topk_correct"]


def topk_correct(logits, target, topk: tuple[int, ...] = (1,)) -> dict[int, int]:
    """How many rows have their target among the ``k`` largest logits, for each ``k``.

    ``k`` larger than the number of classes counts every row as correct. Ties go to the lower
    class index, as with ``argsort``.

    Args:
        logits: scores, higher is better.
        target: class indices.
        topk: the ``k`` values.

    Shape:
        - logits: ``(N, C)``
        - target: ``(N,)``

    Returns:
        ``{k: count}``.

    Raises:
        ValueError: the shapes do not match.

    Example:
        >>> import numpy as np
        >>> topk_correct(np.array([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]]), np.array([2, 2]), (1, 2))
        {1: 0, 2: 2}
    """
    scores = backend.to_numpy(logits.data if isinstance(logits, Tensor) else logits)
    labels = backend.to_numpy(target.data if isinstance(target, Tensor) else target)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"topk_correct: expected logits (N, C) and target (N,). "
                         f"Received: logits.shape={scores.shape}, target.shape={labels.shape}.")
    target_score = np.take_along_axis(scores, labels[:, None], axis=1)  # (N, 1)
    # The target's rank: classes scoring higher, plus equal scores at lower indices.
    classes = np.arange(scores.shape[1])
    ahead = (scores > target_score) | ((scores == target_score) & (classes < labels[:, None]))
    rank = ahead.sum(axis=1)  # (N,)
    return {k: int((rank < k).sum()) for k in topk}


def accuracy(logits, target, topk: tuple[int, ...] = (1,)) -> list[float]:
    """Top-k accuracies in percent (the PyTorch ImageNet example's ``accuracy``).

    Example:
        >>> import numpy as np
        >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
        [50.0]
    """
    counts = topk_correct(logits, target, topk)
    n = max(len(target), 1)
    return [100.0 * counts[k] / n for k in topk]


class MeanMeter:
    """A running mean weighted by sample counts (an epoch's loss and accuracy).

    Example:
        >>> m = MeanMeter()
        >>> m.update(1.0, 3); m.update(3.0, 1)
        >>> m.mean
        1.5
    """

    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value: float, n: int = 1) -> None:
        self.total += float(value) * n
        self.count += n

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")
