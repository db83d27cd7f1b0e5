"""Loss layers over ``barenet.functional``'s losses (PyTorch's ``torch.nn`` loss modules).

Class weights are registered as buffers, so ``to()`` moves them and ``state_dict()`` saves them,
as in PyTorch. Arguments after ``weight`` are keyword-only: PyTorch's deprecated positional
``size_average``/``reduce`` slots would otherwise silently take a reduction string.
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    # Keyword-only, so a reduction string can't land in torch's old size_average/reduce slots.
    def __init__(self, *, reduction: str = "mean"):
        super().__init__()
        F.loss_pointwise._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or probabilities; see ``functional.cross_entropy``.

    Args:
        weight: per-class weights (C,).
        ignore_index: targets equal to it are skipped.
        reduction: "none", "mean" or "sum".
        label_smoothing: eps in [0, 1].

    Shape:
        input (N, C) or (N, C, *), target (N,) or (N, *) (indices) or input's shape (probabilities).

    Example:
        >>> import barenet
        >>> loss = CrossEntropyLoss()(barenet.zeros(2, 4), barenet.tensor([0, 3]))
        >>> round(loss.item(), 4)
        1.3863
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction=reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities at class indices; see ``functional.nll_loss``.

    Args:
        weight: per-class weights (C,).
        ignore_index: targets equal to it are skipped.
        reduction: "none", "mean" or "sum".

    Shape:
        input (N, C) or (N, C, *), target (N,) or (N, *).

    Example:
        >>> import barenet
        >>> NLLLoss()(barenet.tensor([[-0.5, -2.0]]), barenet.tensor([0])).item()
        0.5
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error; see ``functional.mse_loss``.

    Args:
        reduction: "none", "mean" or "sum".

    Shape:
        input (*), target (*).

    Example:
        >>> import barenet
        >>> MSELoss()(barenet.tensor([2.0]), barenet.tensor([0.0])).item()
        4.0
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see ``functional.l1_loss``.

    Args:
        reduction: "none", "mean" or "sum".

    Shape:
        input (*), target (*).

    Example:
        >>> import barenet
        >>> L1Loss()(barenet.tensor([-2.0]), barenet.tensor([0.0])).item()
        2.0
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above; see ``functional.smooth_l1_loss``.

    Args:
        reduction: "none", "mean" or "sum".
        beta: where the quadratic part ends.

    Shape:
        input (*), target (*).

    Example:
        >>> import barenet
        >>> SmoothL1Loss()(barenet.tensor([3.0]), barenet.tensor([0.0])).item()
        2.5
    """

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction=reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities; see ``functional.binary_cross_entropy``.

    Args:
        weight: rescaling weight broadcast to the input's shape.
        reduction: "none", "mean" or "sum".

    Shape:
        input (*), target (*).

    Example:
        >>> import barenet
        >>> round(BCELoss()(barenet.tensor([0.5]), barenet.tensor([0.0])).item(), 4)
        0.6931
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy, stable; see ``functional.binary_cross_entropy_with_logits``.

    Args:
        weight: rescaling weight broadcast to the input's shape.
        reduction: "none", "mean" or "sum".
        pos_weight: weight of positive examples, broadcast to the input's shape (e.g. (C,)).

    Shape:
        input (*), target (*).

    Example:
        >>> import barenet
        >>> round(BCEWithLogitsLoss()(barenet.tensor([0.0]), barenet.tensor([1.0])).item(), 4)
        0.6931
    """

    def __init__(self, weight=None, *, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction=reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
