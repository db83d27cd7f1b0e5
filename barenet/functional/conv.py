"""2-D convolution and transposed convolution (``torch.nn.functional.conv2d``/``conv_transpose2d``).

The array work lives in ``conv_kernels.py`` (which strategy a shape takes), ``conv_rows.py`` and
``im2col.py`` (the strategies and their machinery); this file checks arguments, works out the
geometry and wires the two ops into autograd. A transposed
convolution is the adjoint of a convolution, so it is built from the same three halves:

    conv2d:            y = x (*) W          dL/dx = backward_input    dL/dW = backward_weight(x, gy)
    conv_transpose2d:  y = backward_input   dL/dx = gy (*) W          dL/dW = backward_weight(gy, x)
"""
from __future__ import annotations

from ..autograd import Function
from ..autograd.tensor_math import expect_tensors
from . import conv_kernels
from .im2col import Geometry

__all__ = ["conv2d", "conv_transpose2d"]


def _pair(value, name: str, op: str) -> tuple:
    """``3`` -> ``(3, 3)``; ``(1, 2)`` stays; anything else is a TypeError."""
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints. Received: {name}={value!r}.")
    return pair


def _positive(value, name: str, op: str) -> tuple:
    pair = _pair(value, name, op)
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be positive. Received: {name}={value!r}.")
    return pair


def _check_operands(op: str, x, weight, bias, groups, in_axis: int, out_axis: int):
    """Ranks, dtypes, groups and channel counts shared by both ops; returns (x, unbatched)."""
    expect_tensors(op, ("bias",), input=x, weight=weight, bias=bias)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W) or a 3-D unbatched one (C, H, W). "
                         f"Received: input.shape={tuple(x.shape)}.")
    if weight.ndim != 4 or 0 in weight.shape[2:] or weight.shape[out_axis] == 0:
        raise ValueError(f"{op}: weight must be 4-D with a kernel of at least 1x1 and at least one output "
                         f"channel. Received: weight.shape={tuple(weight.shape)}.")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(f"{op}: input, weight and bias must share one dtype. Received: input.dtype={x.dtype}, "
                        f"weight.dtype={weight.dtype}, bias.dtype={None if bias is None else bias.dtype}.")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int. Received: groups={groups!r}.")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    c_in = x.shape[1]
    expected = weight.shape[in_axis] * (groups if in_axis == 1 else 1)
    if c_in != expected or c_in % groups:
        what = "weight.shape[1] * groups" if in_axis == 1 else "weight.shape[0] and be divisible by groups"
        raise ValueError(f"{op}: input channels must equal {what}. Received: input.shape={tuple(x.shape)}, "
                         f"weight.shape={tuple(weight.shape)}, groups={groups}.")
    c_out = weight.shape[out_axis] * (groups if out_axis == 1 else 1)
    if c_out % groups:
        raise ValueError(f"{op}: output channels must be divisible by groups. Received: "
                         f"weight.shape={tuple(weight.shape)}, groups={groups}.")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},), one value per output channel. "
                         f"Received: bias.shape={tuple(bias.shape)}.")
    return x, unbatched


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """(top, bottom, left, right); "same" puts an odd extra pixel at the bottom/right, as torch."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid'. "
                             f"Received: padding={padding!r}.")
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' is not supported for strided convolutions. "
                             f"Received: stride={stride}.")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2
    ph, pw = _pair(padding, "padding", "conv2d")
    if min(ph, pw) < 0:
        raise ValueError(f"conv2d: padding must be non-negative. Received: padding={padding!r}.")
    return ph, ph, pw, pw


def _check_not_empty(op: str, g: Geometry, x_shape: tuple, what: str) -> None:
    if g.oh < 1 or g.ow < 1:
        raise ValueError(f"{op}: {what}; the output would be empty ({g.oh}x{g.ow}). Received: "
                         f"input.shape={x_shape}, kernel_size={(g.kh, g.kw)}, stride={(g.sh, g.sw)}, "
                         f"padding={(g.pt, g.pl)}, dilation={(g.dh, g.dw)}.")


class Conv2d(Function):
    """y = x (*) W + b on raw arrays; see ``conv2d``."""

    def __init__(self, geometry: Geometry, groups: int):
        self.g, self.groups = geometry, groups

    def forward(self, x, weight, bias=None):
        need_x, need_w = self.needs_input_grad[:2]
        self.x = x if need_w else None  # dL/dW needs x; dL/dx needs only W
        self.w = weight if need_x else None
        self.shapes = (x.shape, weight.shape)
        return conv_kernels.forward(x, weight, bias, self.g, self.groups)

    def backward(self, gy):
        gx, gw = conv_kernels.backward(gy, self.g, self.groups, *self.shapes, x=self.x, w=self.w)
        gb = gy.sum(axis=(0, 2, 3)) if self.needs_input_grad[2:] == (True,) else None  # dL/db = sum dL/dy
        return gx, gw, gb


class ConvTranspose2d(Function):
    """y = W^T-convolution of x + b on raw arrays; see ``conv_transpose2d``.

    ``geometry`` is that of the adjoint convolution, which maps y's shape back to x's.
    """

    def __init__(self, geometry: Geometry, groups: int):
        self.g, self.groups = geometry, groups

    def forward(self, x, weight, bias=None):
        need_x, need_w = self.needs_input_grad[:2]
        self.x = x if need_w else None
        self.w = weight if need_x else None
        n, c_out = x.shape[0], weight.shape[1] * self.groups
        self.y_shape, self.w_shape = (n, c_out, self.g.h, self.g.w), weight.shape
        y, _ = conv_kernels.backward(x, self.g, self.groups, self.y_shape, weight.shape, w=weight)
        if bias is not None:
            y += bias.reshape(-1, 1, 1)
        return y

    def backward(self, gy):
        # y = A^T x with A the convolution by W, so dL/dx = A dL/dy and dL/dW = dconv(dL/dy, x)/dW.
        gx = None if self.w is None else conv_kernels.forward(gy, self.w, None, self.g, self.groups)
        gw = None
        if self.x is not None:
            gw = conv_kernels.backward(self.x, self.g, self.groups, gy.shape, self.w_shape, x=gy)[1]
        gb = gy.sum(axis=(0, 2, 3)) if self.needs_input_grad[2:] == (True,) else None
        return gx, gw, gb


def _apply(fn, x, weight, bias, unbatched: bool):
    y = fn(x, weight) if bias is None else fn(x, weight, bias)
    return y.squeeze(0) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D cross-correlation of a batch of images with a bank of filters (``torch.nn.functional.conv2d``).

    y[n, o, i, j] = b[o] + sum_(c, u, v) W[o, c, u, v] * x[n, g(o)*C_in/G + c, i*SH + u*DH - PH, j*SW + v*DW - PW],
    x being zero outside the image. Gradients: dL/dx is the transposed convolution of dL/dy by W,
    dL/dW[o, c, u, v] = sum_(n, i, j) dL/dy[n, o, i, j] * x[n, c, i*SH + u*DH - PH, j*SW + v*DW - PW],
    dL/db = sum_(n, i, j) dL/dy.

    Args:
        input: the images.
        weight: the filters.
        bias: one value per output channel, or None.
        stride: SH, SW (an int for both).
        padding: PH, PW of zeros on each side; ``"valid"`` (0) or ``"same"`` (output size = input
            size, stride 1 only; an odd total puts the extra pixel at the bottom/right as torch does).
        dilation: DH, DW, the spacing between kernel taps.
        groups: G; input and output channels split into G groups convolved separately
            (G = C_in gives a depthwise convolution).

    Shape:
        - input: (N, C_in, H, W) or unbatched (C_in, H, W)
        - weight: (C_out, C_in/G, KH, KW); bias: (C_out,)
        - output: (N, C_out, OH, OW), OH = (H + 2*PH - DH*(KH-1) - 1)//SH + 1, OW likewise.

    Returns:
        The output tensor.

    Raises:
        ValueError: a wrong rank; channels that do not match ``weight`` and ``groups``; a
            non-positive stride/dilation/groups or negative padding; ``"same"`` with a stride; a
            kernel larger than the padded input (an empty output).
        TypeError: a non-Tensor operand, mixed dtypes, or a stride/padding/dilation that is not an
            int or a pair.

    Example:
        >>> import barenet, numpy as np
        >>> x = barenet.tensor(np.ones((1, 1, 3, 3), dtype=np.float32))
        >>> conv2d(x, barenet.tensor(np.ones((1, 1, 2, 2), dtype=np.float32)), padding=1).shape
        (1, 1, 4, 4)
    """
    x, unbatched = _check_operands("conv2d", input, weight, bias, groups, in_axis=1, out_axis=0)
    g = conv2d_geometry(x.shape, weight.shape, stride, padding, dilation)
    _check_not_empty("conv2d", g, tuple(x.shape), "the dilated kernel is larger than the padded input")
    return _apply(Conv2d(g, groups), x, weight, bias, unbatched)


def conv2d_geometry(input_shape: tuple, weight_shape: tuple, stride=1, padding=0, dilation=1) -> Geometry:
    """The sizes of ``conv2d(input, weight, stride=..., padding=..., dilation=...)``: the input's
    last two dimensions, the kernel's, and the per-side paddings ``"same"``/``"valid"`` stand for.

    Raises:
        ValueError, TypeError: an argument ``conv2d`` would refuse.
    """
    kernel = tuple(weight_shape[2:])
    stride = _positive(stride, "stride", "conv2d")
    dilation = _positive(dilation, "dilation", "conv2d")
    pads = _conv_padding(padding, kernel, stride, dilation)
    return Geometry(*input_shape[-2:], *kernel, *stride, *dilation, *pads)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1):
    """2-D transposed convolution (``torch.nn.functional.conv_transpose2d``), the adjoint of ``conv2d``.

    Each input pixel scatters W-weighted copies of itself into the output: y = A^T x + b with A
    the convolution by W of the same stride, padding and dilation. Gradients: dL/dx = A dL/dy
    (a convolution), dL/dW = the convolution weight gradient with the roles of x and dL/dy swapped,
    dL/db = sum_(n, i, j) dL/dy.

    Args:
        input: the feature maps.
        weight: the filters, input channels first.
        bias: one value per output channel, or None.
        stride: SH, SW.
        padding: PH, PW removed from each side of the full output (dilation * (K-1) - padding zeros
            are added around the input).
        output_padding: extra rows/columns added at the bottom/right, to pick among the output sizes
            a strided convolution maps to the same input size; smaller than stride or dilation.
        groups: G, as in ``conv2d``.
        dilation: DH, DW.

    Shape:
        - input: (N, C_in, H, W) or unbatched (C_in, H, W)
        - weight: (C_in, C_out/G, KH, KW); bias: (C_out,)
        - output: (N, C_out, OH, OW), OH = (H-1)*SH - 2*PH + DH*(KH-1) + output_padding + 1.

    Returns:
        The output tensor.

    Raises:
        ValueError: as ``conv2d``, plus an output_padding not smaller than stride or dilation.
        TypeError: a non-Tensor operand, mixed dtypes, or a stride/padding/dilation that is not an
            int or a pair.

    Example:
        >>> import barenet, numpy as np
        >>> x = barenet.tensor(np.ones((1, 2, 3, 3), dtype=np.float32))
        >>> conv_transpose2d(x, barenet.tensor(np.ones((2, 4, 3, 3), dtype=np.float32)), stride=2).shape
        (1, 4, 7, 7)
    """
    op = "conv_transpose2d"
    x, unbatched = _check_operands(op, input, weight, bias, groups, in_axis=0, out_axis=1)
    kernel = tuple(weight.shape[2:])
    stride, dilation = _positive(stride, "stride", op), _positive(dilation, "dilation", op)
    padding, out_pad = _pair(padding, "padding", op), _pair(output_padding, "output_padding", op)
    if min(padding) < 0 or min(out_pad) < 0:
        raise ValueError(f"{op}: padding and output_padding must be non-negative. "
                         f"Received: padding={padding}, output_padding={out_pad}.")
    if any(p >= s and p >= d for p, s, d in zip(out_pad, stride, dilation)):
        raise ValueError(f"{op}: output_padding must be smaller than either stride or dilation. "
                         f"Received: output_padding={out_pad}, stride={stride}, dilation={dilation}.")
    size = [(i - 1) * s - 2 * p + d * (k - 1) + q + 1
            for i, s, p, d, k, q in zip(x.shape[2:], stride, padding, dilation, kernel, out_pad)]
    # The adjoint convolution maps the output (size) back to the input; its bottom/right padding
    # is reduced by output_padding so that its output is exactly the input's size.
    g = Geometry(*size, *kernel, *stride, *dilation, padding[0], padding[0] - out_pad[0],
                 padding[1], padding[1] - out_pad[1])
    if min(size) < 1:
        raise ValueError(f"{op}: the output would be empty ({size[0]}x{size[1]}): the padding removes more "
                         f"than the full output. Received: input.shape={tuple(x.shape)}, kernel_size={kernel}, "
                         f"stride={stride}, padding={padding}, dilation={dilation}.")
    return _apply(ConvTranspose2d(g, groups), x, weight, bias, unbatched)
