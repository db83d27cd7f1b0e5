"""The comparisons and predicates of ``Tensor`` (``==``, ``<``, ``equal``, ``allclose``,
``logical_and``, ``all``, ``isnan``...): no gradient, boolean tensors or Python bools."""
from __future__ import annotations

from .. import backend
from .tensor_math import _raw, broadcasts_to, expect_tensors


class TensorCompare:
    """Mixin giving ``Tensor`` its comparisons and predicates."""

    __slots__ = ()

    # ----- comparisons (no gradient) -----------------------------------------------------
    def __eq__(self, other):
        return self._wrap(self.data == _raw(other))

    def __ne__(self, other):
        return self._wrap(self.data != _raw(other))

    def __lt__(self, other):
        return self._wrap(self.data < _raw(other))

    def __le__(self, other):
        return self._wrap(self.data <= _raw(other))

    def __gt__(self, other):
        return self._wrap(self.data > _raw(other))

    def __ge__(self, other):
        return self._wrap(self.data >= _raw(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other) -> bool:
        """Whether ``other`` has this shape and these values."""
        expect_tensors("equal", other=other)
        other = _raw(other)
        return self.shape == tuple(other.shape) and bool((self.data == other).all())

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """Whether ``|self - other| <= atol + rtol * |other|`` everywhere (broadcasting)."""
        expect_tensors("allclose", other=other)
        other = _raw(other)
        if not broadcasts_to(other.shape, self.shape):
            raise ValueError(f"allclose: other's shape {other.shape} does not broadcast to {self.shape}.")
        xp = backend.get_array_module(self.data)
        return bool(xp.allclose(self.data, other, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def logical_not(self):
        return self._wrap(backend.get_array_module(self.data).logical_not(self.data))

    def logical_and(self, other):
        return self._logical("logical_and", other)

    def logical_or(self, other):
        return self._logical("logical_or", other)

    def logical_xor(self, other):
        return self._logical("logical_xor", other)

    def _logical(self, op: str, other):
        expect_tensors(op, other=other)
        other = _raw(other)
        try:
            return self._wrap(getattr(backend.get_array_module(self.data), op)(self.data, other))
        except ValueError:
            raise ValueError(f"{op}: shapes {self.shape} and {other.shape} do not broadcast together.") from None

    # ----- predicates (no gradient) --------------------------------------------------------
    def all(self, dim=None, keepdim: bool = False):
        return self._wrap(backend.get_array_module(self.data).all(self.data, axis=dim, keepdims=keepdim))

    def any(self, dim=None, keepdim: bool = False):
        return self._wrap(backend.get_array_module(self.data).any(self.data, axis=dim, keepdims=keepdim))

    def isnan(self):
        return self._wrap(backend.get_array_module(self.data).isnan(self.data))

    def isfinite(self):
        return self._wrap(backend.get_array_module(self.data).isfinite(self.data))

    __hash__ = object.__hash__  # defining __eq__ would otherwise make tensors unhashable
