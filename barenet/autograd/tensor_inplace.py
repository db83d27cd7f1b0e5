"""The in-place methods of ``Tensor``: ``x[...] = v``, ``fill_``, ``zero_``, ``copy_``, ``add_``,
``sub_``, ``mul_``, ``div_`` and ``clamp_``.

They write into the tensor's array and record nothing, so they are allowed where no gradient can
be corrupted, as in PyTorch: on tensors that don't require grad, and on leaves under
``no_grad()`` (initialisation, optimizer steps). Each change is stamped on the tensor
(``function.mark_changed``, by the memory, so views count): a backward pass through an op that
saved an array on that memory before the change raises (``function._check_saved_arrays``). The result keeps the tensor's shape and dtype: the other
operand must broadcast to it, and an int tensor takes no float result.
"""
from __future__ import annotations

from .. import backend
from .function import mark_changed
from .grad_mode import is_grad_enabled
from .tensor_math import _raw, clamp_bounds, method_operand
from .tensor_shape import _integers_first, _raw_index


_KINDS = {"f": "floating-point", "c": "complex", "i": "a signed integer", "u": "an unsigned integer", "b": "bool"}


class TensorInPlace:
    """Mixin giving ``Tensor`` its in-place methods."""

    __slots__ = ()

    def _check_in_place(self, op: str) -> None:
        """Refuse where PyTorch does; otherwise stamp the change, so a backward pass through an op
        that saved this tensor's array before it raises instead of using it."""
        if self.requires_grad and (self._ctx is not None or is_grad_enabled()):
            raise RuntimeError(
                f"{op}: an in-place change of a tensor that requires grad would corrupt its gradient; "
                "do it under barenet.no_grad() (leaves only) or build a new tensor."
            )
        mark_changed(self)

    def __setitem__(self, index, value):
        self._check_in_place("setitem")
        first, then = _integers_first(_raw_index(index))
        if then is None:
            self.data[first] = _raw(value)
        else:  # the integers' basic index is a view, so the array index writes through it
            self.data[first][then] = _raw(value)

    def fill_(self, value):
        self._check_in_place("fill_")
        self.data[...] = _raw(value)
        return self

    def zero_(self):
        return self.fill_(0)

    def copy_(self, src):
        """Copy ``src`` (broadcast to this tensor's shape, cast to its dtype, moved to its device) in."""
        self._check_in_place("copy_")
        self.data[...] = backend.to_device(_raw(src), self.device)
        return self

    def _update(self, op: str, ufunc: str, other, alpha=1):
        other = _raw(method_operand(op, other))
        if alpha != 1:
            other = other * alpha
        self._check_in_place(op)
        xp = backend.get_array_module(self.data)
        try:
            getattr(xp, ufunc)(self.data, other, out=self.data)
        except TypeError:  # NumPy's casting error (UFuncTypeError): an int tensor and a float result
            kind = getattr(xp, ufunc)(self.data, other).dtype.kind
            raise TypeError(f"{op}: the result is {_KINDS.get(kind, kind)}, which this {self.dtype} tensor "
                            f"can't hold (PyTorch refuses it too).") from None
        except ValueError:
            raise ValueError(f"{op}: the other operand's shape {getattr(other, 'shape', ())} does not broadcast to "
                             f"this tensor's shape {self.shape}.") from None
        return self

    def add_(self, other, *, alpha=1):
        """``self += alpha * other``."""
        return self._update("add_", "add", other, alpha)

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other``."""
        return self._update("sub_", "subtract", other, alpha)

    def mul_(self, other):
        return self._update("mul_", "multiply", other)

    def div_(self, other):
        """``self /= other`` (true division: an int tensor can't hold it, as in PyTorch)."""
        return self._update("div_", "true_divide", other)

    def clamp_(self, min=None, max=None):
        lo, hi = clamp_bounds("clamp_", self, min, max)
        self._check_in_place("clamp_")
        backend.get_array_module(self.data).clip(self.data, lo, hi, out=self.data)
        return self

    clip_ = clamp_
