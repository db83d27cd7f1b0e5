"""Layers and models: ``Module``, ``Parameter``, containers, and layers over the functional ops."""
import sys as _sys

from .. import functional
from . import init
from .activation import *  # noqa: F401,F403
from .containers import ModuleDict, ModuleList, Sequential
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module
from .normalization import *  # noqa: F401,F403
from .parameter import Parameter
from .pooling import *  # noqa: F401,F403

# ``import barenet.nn.functional as F`` works as in PyTorch, naming the same module.
_sys.modules[__name__ + ".functional"] = functional
