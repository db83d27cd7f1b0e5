"""``Parameter``: a tensor that a ``Module`` registers as learnable."""
from __future__ import annotations

from ..autograd import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is found by ``Module.parameters()``.

    Example:
        >>> import numpy as np
        >>> p = Parameter(np.zeros((2, 3), dtype=np.float32))
        >>> p.requires_grad, p.shape
        (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = []
        if isinstance(data, Tensor):
            data = data.data  # share storage, as torch.nn.Parameter(t) does
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
