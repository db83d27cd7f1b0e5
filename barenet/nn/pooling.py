"""Pooling layers: thin modules over ``barenet.functional``'s pooling ops (PyTorch's ``torch.nn``).

Arguments are stored as given (``stride`` defaults to ``kernel_size``) and checked when the layer
runs, as in torch; ``MaxUnpool2d`` stores pairs, as torch does.
"""
from __future__ import annotations

from .. import functional as F
from ..functional.pool_windows import pair
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "MaxUnpool2d"]


class MaxPool2d(Module):
    """2-D max pooling; see ``functional.max_pool2d`` for the arguments and the backward.

    Args:
        kernel_size: KH, KW (an int or a pair).
        stride: SH, SW; defaults to ``kernel_size``.
        padding: PH, PW of implicit -inf on each side, at most half of the kernel.
        dilation: DH, DW.
        return_indices: also return the flat indices of the maxima (for ``MaxUnpool2d``).
        ceil_mode: round the output size up.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW),
        OH = (H + 2*PH - DH*(KH-1) - 1)//SH + 1 (ceil in ceil mode); OW likewise.

    Example:
        >>> import barenet
        >>> MaxPool2d(3, stride=2)(barenet.zeros(1, 1, 7, 7)).shape
        (1, 1, 3, 3)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """2-D average pooling; see ``functional.avg_pool2d`` for the divisor rules and the backward.

    Args:
        kernel_size: KH, KW (an int or a pair).
        stride: SH, SW; defaults to ``kernel_size``.
        padding: PH, PW of implicit zeros on each side, at most half of the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the divisor.
        divisor_override: divide every window sum by this instead.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW), OH = (H + 2*PH - KH)//SH + 1.

    Example:
        >>> import barenet
        >>> AvgPool2d(2)(barenet.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (1: global average pooling); see
    ``functional.adaptive_avg_pool2d``.

    Args:
        output_size: OH, OW (an int or a pair; None keeps that input size).

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW).

    Example:
        >>> import barenet
        >>> AdaptiveAvgPool2d((1, 1))(barenet.ones(2, 3, 5, 7)).shape
        (2, 3, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size; see ``functional.adaptive_max_pool2d``.

    Args:
        output_size: OH, OW (an int or a pair; None keeps that input size).
        return_indices: also return the flat indices of the maxima.

    Shape:
        input (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW).

    Example:
        >>> import barenet
        >>> AdaptiveMaxPool2d(2)(barenet.ones(1, 1, 5, 5)).shape
        (1, 1, 2, 2)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d``; see ``functional.max_unpool2d``.

    Args:
        kernel_size, stride, padding: those of the max pooling being inverted (stride defaults
            to kernel_size).

    Shape:
        input and indices (N, C, H, W) or (C, H, W) -> output (N, C, OH, OW),
        OH = (H - 1)*SH - 2*PH + KH unless ``output_size`` is passed to ``forward``.

    Example:
        >>> import barenet
        >>> pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
        >>> y, i = pool(barenet.tensor([[[[1.0, 5.0], [4.0, 3.0]]]]))
        >>> unpool(y, i).tolist()
        [[[[0.0, 5.0], [0.0, 0.0]]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair("MaxUnpool2d", "kernel_size", kernel_size)
        self.stride = pair("MaxUnpool2d", "stride", stride if stride is not None else kernel_size)
        self.padding = pair("MaxUnpool2d", "padding", padding)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
