"""The op library: ``torch.nn.functional``'s names, arguments and semantics, written by hand.

Each op is a ``Function`` with an explicit forward and backward on raw arrays; its docstring
gives the shapes and the gradient formulas. Ops are grouped by family, one file each.

Notation (used in every docstring and shape comment):
    N   batch size                  C, C_in, C_out   channels
    H, W    input height, width     OH, OW   output height, width
    KH, KW  kernel height, width    SH, SW   strides
    PH, PW  padding                 DH, DW   dilation
    G   groups
"""
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax_ops import *  # noqa: F401,F403
from . import tensor_methods  # noqa: F401,E402  (x.relu(), x.softmax(dim)...: attaches them to Tensor)
