"""``Conv2d`` and ``ConvTranspose2d``: the layers over ``functional.conv2d``/``conv_transpose2d``."""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..functional.conv import _conv_padding, _pair
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Conv2d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Conv2dBase(Module):
    """Arguments, parameters, init and repr shared by the two layers."""

    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 groups: int, bias: bool, padding_mode: str, output_padding=0):
        super().__init__()
        layer = type(self).__name__
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{layer}: groups must be a positive integer. Received: groups={groups!r}.")
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(channels, int) or channels < 1 or channels % groups:
                raise ValueError(f"{layer}: {name} must be a positive integer divisible by groups. "
                                 f"Received: {name}={channels!r}, groups={groups}.")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{layer}: padding_mode must be one of {_PADDING_MODES}. "
                             f"Received: padding_mode={padding_mode!r}.")
        if padding_mode != "zeros" and self.transposed:
            raise ValueError(f"{layer}: only padding_mode='zeros' is supported. "
                             f"Received: padding_mode={padding_mode!r}.")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", layer)
        self.stride, self.dilation = _pair(stride, "stride", layer), _pair(dilation, "dilation", layer)
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", layer)
        self.output_padding = _pair(output_padding, "output_padding", layer)
        self.padding_mode = padding_mode
        if isinstance(padding, str):  # validated now, as torch does, not at the first forward
            _conv_padding(padding, self.kernel_size, self.stride, self.dilation)
        shape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=np.float32))
        self.bias = Parameter(np.empty(out_channels, dtype=np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def _check_input(self, input) -> None:
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W) or ({self.in_channels}, H, W) "
                             f"with in_channels={self.in_channels}. Received: input.shape={tuple(input.shape)}.")

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_Conv2dBase):
    """2-D convolution layer; see ``functional.conv2d`` for the formulas and gradients.

    Weight and bias start as PyTorch's: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
    fan_in = in_channels/groups * KH * KW.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: KH, KW (an int for both).
        stride: SH, SW.
        padding: PH, PW, or ``"same"``/``"valid"``.
        dilation: DH, DW.
        groups: G; both channel counts must be divisible by it.
        bias: learn an additive bias per output channel.
        padding_mode: ``"zeros"``, or ``"reflect"``, ``"replicate"``, ``"circular"`` (the input is
            padded by ``functional.pad`` in that mode first).

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, OH, OW) with
        OH = (H + 2*PH - DH*(KH-1) - 1)//SH + 1; weight (C_out, C_in/G, KH, KW).

    Raises:
        ValueError: bad channels/groups/padding_mode at construction; an input whose channel
            count is not ``in_channels`` (the message names the layer and both shapes).

    Example:
        >>> import barenet
        >>> Conv2d(3, 8, 3, padding=1)(barenet.zeros(2, 3, 5, 5)).shape
        (2, 8, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode)

    def forward(self, input):
        self._check_input(input)
        if self.padding_mode == "zeros":
            return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        top, bottom, left, right = _conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)
        input = F.pad(input, (left, right, top, bottom), mode=self.padding_mode)
        return F.conv2d(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ConvTranspose2d(_Conv2dBase):
    """2-D transposed convolution layer; see ``functional.conv_transpose2d``.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: KH, KW.
        stride: SH, SW.
        padding: PH, PW removed from each side of the full output.
        output_padding: extra bottom/right rows and columns (smaller than stride or dilation).
        groups: G.
        bias: learn an additive bias per output channel.
        dilation: DH, DW.
        padding_mode: only ``"zeros"``, as in PyTorch.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, OH, OW) with
        OH = (H-1)*SH - 2*PH + DH*(KH-1) + output_padding + 1; weight (C_in, C_out/G, KH, KW).

    Raises:
        ValueError: as ``Conv2d``; an ``output_size`` out of the reachable range.

    Example:
        >>> import barenet
        >>> ConvTranspose2d(4, 2, 2, stride=2)(barenet.zeros(1, 4, 3, 3)).shape
        (1, 2, 6, 6)
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros"):
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or a pair. Received: padding={padding!r}.")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding)

    def _output_padding(self, input, output_size) -> tuple:
        """The output_padding that makes the output ``output_size`` (torch's rule)."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-2:]
        result = []
        for i, (n, s, p, d, k) in enumerate(zip(input.shape[-2:], self.stride, self.padding, self.dilation,
                                                 self.kernel_size)):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= size[i] < smallest + s:
                raise ValueError(f"{self!r}: output_size {size} is not reachable: each dim must lie in "
                                 f"[smallest, smallest + stride). Received: input.shape={tuple(input.shape)}.")
            result.append(size[i] - smallest)
        return tuple(result)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)
