"""PyTorch's function spellings of tensor methods: ``barenet.flatten(x, 1)`` is ``x.flatten(1)``.

Code written for PyTorch calls ``torch.flatten``, ``torch.max(x, 1)`` or ``torch.matmul``; each
name here forwards to the method of the same name, which holds the math and the docs. (This
module shadows builtins such as ``sum`` and ``max`` by design, and uses none of them.)
"""
from __future__ import annotations

from .tensor_math import expect_tensors

METHODS = (
    "abs", "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "bmm", "ceil", "chunk",
    "clamp", "cos", "cumsum", "div", "dot", "equal", "exp", "expm1", "flatten", "flip", "floor", "gather",
    "index_select", "isfinite", "isnan", "log", "log1p", "logical_and", "logical_not", "logical_or",
    "logical_xor", "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul",
    "narrow", "neg", "norm", "outer", "permute", "prod", "reciprocal", "reshape", "roll", "round", "rsqrt",
    "sign", "sin", "sort", "split", "sqrt", "square", "squeeze", "std", "sub", "sum", "topk", "transpose",
    "trunc", "unbind", "unsqueeze", "var",
)


def _alias(name: str):
    def function(input, *args, **kwargs):
        expect_tensors(name, input=input)
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}(input, ...)`` is ``input.{name}(...)`` (PyTorch's function spelling)."
    return function


globals().update({name: _alias(name) for name in METHODS})
__all__ = list(METHODS)
