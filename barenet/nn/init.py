"""Weight initialisation (PyTorch's ``torch.nn.init``): fills tensors in place, no graph.

Fan-in of a weight of shape (C_out, C_in/groups, KH, KW) is C_in/groups * KH * KW; fan-out is
C_out * KH * KW. The random numbers come from ``barenet.random`` (seeded by ``manual_seed``).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _args, backend, random
from ..autograd.function import mark_changed
from ..autograd.tensor_math import expect_tensors

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended std gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}. "
                         f"Valid: {', '.join(sorted(_GAINS) + ['leaky_relu'])}.")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    expect_tensors("init", tensor=tensor)
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a tensor with >= 2 dimensions. Received: shape={shape}.")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor, values: np.ndarray):
    tensor.data[...] = backend.to_device(values.astype(tensor.dtype), tensor.device)
    mark_changed(tensor)  # an in-place change: a graph that saved the tensor can no longer go backward
    return tensor


def _rng(generator):
    return generator or random.default_generator()


def _draw_dtype(tensor):
    # Drawing float32 directly is 3-6x faster than drawing float64 and casting, which
    # matters for VGG's 140M parameters; float64 tensors still get float64 draws.
    return np.float32 if tensor.dtype == np.float32 else np.float64


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    expect_tensors("uniform_", tensor=tensor)
    a, b = _args.number("uniform_", "a", a), _args.number("uniform_", "b", b)
    if a > b:
        raise ValueError(f"uniform_: a must not exceed b. Received: a={a}, b={b}.")
    values = _rng(generator).random(tensor.shape, dtype=_draw_dtype(tensor))
    values *= b - a
    values += a
    return _fill(tensor, values)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    expect_tensors("normal_", tensor=tensor)
    mean, std = _args.number("normal_", "mean", mean), _args.number("normal_", "std", std, minimum=0)
    values = _rng(generator).standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    values *= std
    values += mean
    return _fill(tensor, values)


def constant_(tensor, val: float):
    expect_tensors("constant_", tensor=tensor)
    return _fill(tensor, np.asarray(_args.number("constant_", "val", val, finite=False)))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None):
    """Normal samples redrawn until they fall in ``[a, b]``."""
    expect_tensors("trunc_normal_", tensor=tensor)
    mean, std = _args.number("trunc_normal_", "mean", mean), _args.number("trunc_normal_", "std", std, minimum=0)
    a, b = _args.number("trunc_normal_", "a", a), _args.number("trunc_normal_", "b", b)
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be below b. Received: a={a}, b={b}.")
    rng = _rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def _fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out'. Received: mode={mode!r}.")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He et al. 2015: U(-b, b), b = gain * sqrt(3 / fan). A tensor with no elements is left as is."""
    expect_tensors("kaiming_uniform_", tensor=tensor)
    if tensor.numel() == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He et al. 2015: N(0, std^2), std = gain / sqrt(fan). A tensor with no elements is left as is."""
    expect_tensors("kaiming_normal_", tensor=tensor)
    if tensor.numel() == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio 2010: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). A tensor with no
    elements is left as is."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio 2010: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). A tensor with
    no elements is left as is."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def default_layer_init_(weight, bias=None):
    """PyTorch's default for Linear and Conv layers: kaiming_uniform_(a=sqrt(5)) on the weight
    (i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
