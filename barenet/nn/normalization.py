"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LocalResponseNorm``."""
from __future__ import annotations

import numpy as np

from .. import _args, functional as F
from ..autograd import Tensor
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LocalResponseNorm"]


class _BatchNorm(Module):
    """Shared state and forward of the batch-norm layers; subclasses name the accepted ranks."""

    _ranks: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True):
        super().__init__()
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive integer. "
                             f"Received: num_features={num_features!r}.")
        owner = type(self).__name__
        self.num_features, self.eps = num_features, _args.number(owner, "eps", eps, minimum=0)
        self.momentum = None if momentum is None else _args.number(owner, "momentum", momentum)
        self.affine, self.track_running_stats, self.has_bias = affine, track_running_stats, affine and bias
        # Registration order fixes the state-dict order: weight, bias, running_mean, running_var,
        # num_batches_tracked, as in torchvision's checkpoints.
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype=np.float32)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dtype=np.float32)) if self.has_bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input(self, input) -> None:
        name = type(self).__name__
        if input.ndim not in self._ranks:
            raise ValueError(f"{name}: expected {self._layout} input. Received: input.shape={tuple(input.shape)}.")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): input channels (dim 1) must equal num_features. "
                             f"Received: input.shape={tuple(input.shape)}, num_features={self.num_features}.")

    def forward(self, input):
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average over all batches seen
                factor = 1.0 / int(self.num_batches_tracked.data)
        # Without running statistics the batch's own are used in eval mode too (as PyTorch).
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.has_bias}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a 2-D or 3-D input (see ``functional.batch_norm``).

    In training it normalises with the batch statistics and updates ``running_mean`` and
    ``running_var`` (``momentum=None``: cumulative average, weight 1/num_batches_tracked); in
    eval it uses them.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of each batch in the running statistics, or None for a cumulative average.
        affine: learn a per-channel scale ``weight`` (init 1) and shift ``bias`` (init 0).
        track_running_stats: keep running statistics; without them eval uses batch statistics.
        bias: with ``affine``, learn the shift too (keyword only, as in PyTorch); ``bias=False``
            keeps the scale alone, for a layer followed by one that adds its own bias.

    Shape:
        - input: (N, C) or (N, C, L)
        - output: the shape of input

    Raises:
        ValueError: the input is not 2-D or 3-D, or its channels differ from num_features.

    Example:
        >>> import barenet
        >>> bn = BatchNorm1d(3)
        >>> bn(barenet.randn(4, 3)).shape
        (4, 3)
    """

    _ranks = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a 4-D input, per channel over (N, H, W) (see ``functional.batch_norm``).

    In training it normalises with the batch statistics and updates ``running_mean`` and
    ``running_var`` (``momentum=None``: cumulative average, weight 1/num_batches_tracked); in
    eval it uses them.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of each batch in the running statistics, or None for a cumulative average.
        affine: learn a per-channel scale ``weight`` (init 1) and shift ``bias`` (init 0).
        track_running_stats: keep running statistics; without them eval uses batch statistics.
        bias: with ``affine``, learn the shift too (keyword only, as in PyTorch); ``bias=False``
            keeps the scale alone, for a layer followed by one that adds its own bias.

    Shape:
        - input: (N, C, H, W)
        - output: (N, C, H, W)

    Raises:
        ValueError: the input is not 4-D, or its channels differ from num_features.

    Example:
        >>> import barenet
        >>> bn = BatchNorm2d(8)
        >>> list(bn.state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _ranks = (4,)
    _layout = "4-D (N, C, H, W)"


class LocalResponseNorm(Module):
    """Local response normalisation across channels (see ``functional.local_response_norm``).

    ``b_c = a_c / (k + alpha/size * sum of a^2 over the size channels around c)^beta``. AlexNet's
    LRN (k=2, n=5, alpha=1e-4, beta=0.75 in the paper, whose alpha is not divided by n) is
    ``LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)``.

    Args:
        size: number of neighbouring channels in the window.
        alpha: scale of the windowed sum of squares (divided by size).
        beta: exponent.
        k: additive constant.

    Shape:
        - input: (N, C, *) with at least 3 dims
        - output: the shape of input

    Raises:
        ValueError: the input has fewer than 3 dims.

    Example:
        >>> import barenet
        >>> LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(barenet.randn(2, 7, 3, 3)).shape
        (2, 7, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
