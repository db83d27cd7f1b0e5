"""Tensors and reverse-mode automatic differentiation (define-by-run, PyTorch semantics)."""
from . import aliases
from .aliases import *  # noqa: F401,F403  (barenet.flatten, barenet.max... as torch.flatten, torch.max)
from .creation import (arange, cat, empty, from_numpy, full, ones, ones_like, rand, randint, randn, stack,
                       where, zeros, zeros_like)
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .gradients import grad
from .tensor import Tensor, bool_, float16, float32, float64, int32, int64, is_tensor, tensor, uint8

__all__ = [
    "Function", "GradcheckError", "Tensor", "arange", "bool_", "cat", "empty", "enable_grad", "float16",
    "float32", "float64", "from_numpy", "full", "gradcheck", "int32", "int64", "is_grad_enabled", "is_tensor",
    "no_grad", "ones", "ones_like", "rand", "randint", "randn", "set_grad_enabled", "stack", "tensor", "uint8",
    "where", "zeros", "zeros_like",
] + aliases.__all__
