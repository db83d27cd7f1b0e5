"""The fully connected layer's op: ``y = x W^T + b``, one GEMM forward and one per gradient."""
from __future__ import annotations

from ..autograd import Function
from ..autograd.tensor_math import expect_tensors

__all__ = ["linear"]


class Linear(Function):
    def forward(self, x, weight, bias=None):
        self.x_shape = x.shape
        x2 = x.reshape(-1, x.shape[-1])  # (M, in), M = product of the leading dims; a view when contiguous
        y = x2 @ weight.T  # (M, out); BLAS reads W^T in place, no copy
        if bias is not None:
            y += bias
        nx, nw = self.needs_input_grad[:2]
        self.x2 = x2 if nw else None
        self.weight = weight if nx else None
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, gy):
        gy2 = gy.reshape(-1, gy.shape[-1])  # (M, out)
        nx, nw = self.needs_input_grad[:2]
        nb = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        gx = (gy2 @ self.weight).reshape(self.x_shape) if nx else None  # dL/dx = gy W
        gw = gy2.T @ self.x2 if nw else None  # dL/dW = gy^T x, summed over the leading dims
        gb = gy2.sum(axis=0) if nb else None  # dL/db = sum gy
        return gx, gw, gb


def linear(input, weight, bias=None):
    """Affine map ``y = x W^T + b`` over the last dim, for any leading dims.

    Args:
        input: features in the last dim.
        weight: (out_features, in_features).
        bias: (out_features,) or None.

    Shape:
        input (*, in_features), weight (out_features, in_features), bias (out_features,),
        output (*, out_features).

    Returns:
        The output. Backward: ``gx = gy W``, ``gW = gy^T x`` and ``gb = sum gy``, summed over
        the leading dims (one GEMM each).

    Raises:
        ValueError: the shapes do not fit. TypeError: a non-Tensor operand, or the dtypes differ.

    Example:
        >>> import barenet
        >>> linear(barenet.ones(2, 3), barenet.ones(4, 3), barenet.zeros(4)).shape
        (2, 4)
    """
    expect_tensors("linear", ("bias",), input=input, weight=weight, bias=bias)
    received = f"Received: input.shape={tuple(input.shape)}, weight.shape={tuple(weight.shape)}"
    if bias is not None:
        received += f", bias.shape={tuple(bias.shape)}"
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input.shape[-1] must equal weight.shape[1] (in_features) and weight must "
                         f"be 2-D. {received}.")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape (out_features,) = ({weight.shape[0]},). {received}.")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(f"linear: input, weight and bias must have the same dtype. Received: input.dtype="
                        f"{input.dtype}, weight.dtype={weight.dtype}, bias.dtype={getattr(bias, 'dtype', None)}.")
    return Linear()(input, weight) if bias is None else Linear()(input, weight, bias)
