"""barenet: a convolutional-neural-network framework written from first principles on NumPy."""
from .autograd import *  # noqa: F401,F403  (the tensor API: barenet.tensor, barenet.no_grad, ...)
from .autograd import __all__ as _autograd_all
from .random import get_rng_state, manual_seed, set_rng_state

__version__ = "0.1.0"
__all__ = list(_autograd_all) + ["manual_seed", "get_rng_state", "set_rng_state"]

from . import allocator, functional, nn, optim  # noqa: E402  (after the tensor API they build on)
from .functional import log_softmax, relu, sigmoid, softmax, tanh  # noqa: E402  (torch.relu, torch.softmax...)

__all__ += ["log_softmax", "relu", "sigmoid", "softmax", "tanh"]
