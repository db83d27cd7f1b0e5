"""Metrics of a classifier: top-k accuracy and running means over an epoch."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["MeanMeter", "accuracy", "confusion_matrix", "topk_correct"]


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


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    """Counts of each (true class, predicted class) pair.

    Args:
        labels: the true classes.
        predictions: the predicted classes.
        num_classes: the number of classes ``C``.

    Shape:
        - labels: ``(N,)``
        - predictions: ``(N,)``
        - Returns: ``(C, C)``, row ``i`` the samples of class ``i``, column ``j`` those predicted ``j``

    Returns:
        int64 counts; the trace over ``N`` is the accuracy.

    Raises:
        ValueError: shapes that differ, or a class outside ``[0, num_classes)``.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
        [[1, 0], [1, 1]]
    """
    labels, predictions = np.asarray(labels).astype(np.int64), np.asarray(predictions).astype(np.int64)
    if labels.ndim != 1 or labels.shape != predictions.shape:
        raise ValueError(f"confusion_matrix: expected labels and predictions of the same shape (N,). "
                         f"Received: labels.shape={labels.shape}, predictions.shape={predictions.shape}.")
    both = np.concatenate([labels, predictions])
    if both.size and (both.min() < 0 or both.max() >= num_classes):
        raise ValueError(f"confusion_matrix: classes must lie in [0, {num_classes}). "
                         f"Received: classes from {both.min()} to {both.max()}.")
    flat = labels * num_classes + predictions  # (N,) cell index
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
