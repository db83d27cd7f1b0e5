"""The ops PyTorch also offers as ``Tensor`` methods: ``x.relu()``, ``x.sigmoid()``, ``x.tanh()``,
``x.softmax(dim)`` and ``x.log_softmax(dim)``.

``Tensor`` lives in ``autograd``, which cannot import the op library built on it, so the op
library attaches these to ``Tensor`` itself, here, when barenet is imported. Each method is the
op of the same name with the tensor as its input; the math and the docs are the op's.
"""
from __future__ import annotations

from ..autograd.tensor import Tensor
from .activation import relu, sigmoid, tanh
from .softmax_ops import log_softmax, softmax

METHODS = (log_softmax, relu, sigmoid, softmax, tanh)


def _method(op):
    def method(self, *args, **kwargs):
        return op(self, *args, **kwargs)

    name = op.__name__
    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    method.__doc__ = f"``x.{name}(...)`` is ``barenet.functional.{name}(x, ...)``."
    return method


for _op in METHODS:
    setattr(Tensor, _op.__name__, _method(_op))
