"""``Tensor``: an array (NumPy or CuPy) that remembers the op that made it."""
from __future__ import annotations

from numbers import Number

import numpy as np

from .. import _args, backend
from . import function, shape_ops
from .function import run_backward
from .tensor_compare import TensorCompare
from .tensor_inplace import TensorInPlace
from .tensor_math import TensorMath
from .tensor_shape import TensorShape

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")


def _as_array(data, dtype, device):
    """Convert user data to an array: Python floats become float32 (PyTorch's default dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    if dtype is None and not hasattr(data, "dtype"):
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError(
                f"tensor: could not make an array of numbers from {type(data).__name__}. "
                "Expected a number, a nested list of numbers, or an array."
            )
        dtype = float32 if arr.dtype.kind == "f" else arr.dtype
        data = arr
    arr = xp.asarray(data, dtype=dtype)
    if device is not None:
        arr = backend.to_device(arr, device)
    return arr


class Tensor(TensorMath, TensorCompare, TensorShape, TensorInPlace):
    """An n-dimensional array with autograd, following PyTorch's semantics.

    Args:
        data: a number, nested list, NumPy/CuPy array or Tensor.
        requires_grad: record operations on it so ``backward`` can fill ``.grad``.
        dtype: NumPy dtype; by default float32 for Python floats, the array's own otherwise.
        device: ``"cpu"`` or ``"cuda"``.

    Example:
        >>> import barenet
        >>> x = barenet.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad.numpy()
        array([[2., 4.],
               [6., 8.]], dtype=float32)
    """

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "_hooks", "_retains_grad", "__weakref__")
    # Make NumPy defer to Tensor's reflected operators (``array + tensor`` gives a Tensor).
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None):
        self.data = _as_array(data, dtype, device)
        self._grad = None
        self._ctx = None
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array, ctx=None) -> "Tensor":
        """Wrap an op's output in a plain Tensor without copying (the hot path).

        NumPy returns scalars (``np.float32``) from 0-d results; they become 0-d arrays so
        every tensor's ``data`` supports in-place writes and array methods.
        """
        if isinstance(array, np.generic):
            array = np.asarray(array)
        t = object.__new__(Tensor)
        t.data = array
        t._grad = None
        t._ctx = ctx
        t._hooks = None
        t._retains_grad = False
        t.requires_grad = ctx is not None
        return t

    # ----- attributes -------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def grad(self) -> "Tensor | None":
        """The gradient ``backward`` accumulated (in place, as PyTorch does), or None."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: expected a Tensor or None. Received: {type(value).__name__}.")
            if (value.shape, value.dtype, value.device) != (self.shape, self.dtype, self.device):
                raise ValueError(f"grad: the gradient must match the tensor's shape, dtype and device, "
                                 f"for it is accumulated in place. Received: gradient {value.shape} "
                                 f"{value.dtype} on {value.device}, tensor {self.shape} {self.dtype} "
                                 f"on {self.device}.")
            if not getattr(value.data.flags, "writeable", True):  # CuPy arrays have no such flag
                raise ValueError("grad: the gradient's array must be writeable, for it is accumulated "
                                 "in place. Received: a read-only array; pass a copy.")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ----- conversion -------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; no graph)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None:
            arr = arr.astype(dtype, copy=bool(copy))
        return arr.copy() if copy and arr is self.data else arr

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a number. "
                f"Received: shape={self.shape}."
            )
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        return bool(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"index: only integer tensors can be used as an index. Received: dtype={self.dtype}.")
        return int(self.item())

    def detach(self) -> "Tensor":
        """A tensor sharing the data, cut from the graph."""
        return Tensor._wrap(self.data)

    def clone(self) -> "Tensor":
        return shape_ops.Clone()(self)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: expects a bool. Received: {type(requires_grad).__name__}.")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad: only floating-point tensors can require gradients. "
                f"Received: dtype={self.dtype}."
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: only a leaf tensor can stop requiring grad; use detach().")
        self.requires_grad = bool(requires_grad)
        return self

    def to(self, *args, device=None, dtype=None) -> "Tensor":
        """``to("cuda")``/``to("cpu")`` moves the data; ``to(barenet.float64)`` casts it.

        Also ``to(device, dtype)``, ``to(device=..., dtype=...)`` and ``to(other_tensor)``
        (its device and dtype). Returns ``self`` when nothing changes.

        Raises:
            ValueError: an unknown device name.
            RuntimeError: ``"cuda"`` without CuPy and a GPU.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, str):
                device = arg
            else:
                dtype = arg
        out = self
        if device is not None:
            device = backend.check_device(device)
            if device != self.device:
                out = shape_ops.ToDevice(device)(out)
        return out if dtype is None else out.type(dtype)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def type(self, dtype) -> "Tensor":
        """Cast to ``dtype``; a cast to an integer or bool dtype leaves the graph, as in PyTorch."""
        dtype = backend.check_dtype("type", dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":
            return Tensor._wrap(self.data.astype(dtype))
        return shape_ops.Cast(dtype)(self)

    def float(self) -> "Tensor":
        return self.type(float32)

    def double(self) -> "Tensor":
        return self.type(float64)

    def long(self) -> "Tensor":
        return self.type(int64)

    def int(self) -> "Tensor":
        return self.type(int32)

    def bool(self) -> "Tensor":
        return self.type(bool_)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.type(other.dtype)

    # ----- autograd ---------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self), shaped like ``self``; may be omitted for a scalar.
            retain_graph: keep the graph so ``backward`` can be called through it again.
            create_graph: unsupported (barenet computes first derivatives only); must be False.

        Raises:
            RuntimeError: no graph to go through, a non-scalar without ``gradient``, a graph
                already freed by an earlier backward, or ``create_graph=True``.
            ValueError: ``gradient`` has another shape.
        """
        if create_graph:
            raise RuntimeError("backward: create_graph=True needs higher-order gradients, which barenet "
                               "does not compute (backward works on raw arrays; see docs/design.md).")
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn; make an input "
                "with requires_grad=True (and not under no_grad())."
            )
        xp = backend.get_array_module(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: gradient can be omitted only for a scalar output. "
                    f"Received: shape={self.shape}; pass gradient= shaped like it."
                )
            g = xp.ones_like(self.data)
        else:
            g = xp.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
            if g.shape != self.shape:
                raise ValueError(
                    f"backward: gradient must have the tensor's shape. "
                    f"Received: gradient.shape={g.shape}, tensor.shape={self.shape}."
                )
        run_backward([self], [g], retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after ``backward``."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain the gradient of a tensor that doesn't require grad.")
        self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require grad.")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # ----- new tensors like this one (its dtype and device unless given) -----------------------
    def _new_dtype(self, op: str, dtype):
        # not ``dtype or self.dtype``: NumPy 1.x takes a dtype without fields as falsy
        return self.dtype if dtype is None else backend.check_dtype(op, dtype)

    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        """``data`` copied into a new tensor with this one's dtype and device."""
        data = data.data if isinstance(data, Tensor) else data
        dtype = self._new_dtype("new_tensor", dtype)
        try:
            array = backend.get_array_module(data).array(data, dtype=dtype)
        except (TypeError, ValueError):
            raise TypeError(f"new_tensor: could not make {dtype} numbers of {type(data).__name__} "
                            f"{data!r:.60}.") from None
        return Tensor(array, requires_grad=requires_grad, device=self.device)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> "Tensor":
        xp = backend.get_array_module(self.data)
        shape = _args.sizes("new_full", (size,))
        if not isinstance(fill_value, (Number, np.generic)):
            raise TypeError(f"new_full: fill_value must be a number. Received: {type(fill_value).__name__}.")
        return Tensor(xp.full(shape, fill_value, dtype=self._new_dtype("new_full", dtype)), requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return self.new_full(_args.sizes("new_zeros", size), 0, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return self.new_full(_args.sizes("new_ones", size), 1, dtype, requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        xp = backend.get_array_module(self.data)
        dtype = self._new_dtype("new_empty", dtype)
        return Tensor(xp.empty(_args.sizes("new_empty", size), dtype=dtype), requires_grad=requires_grad)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", precision=4, prefix="tensor(")
        extra = ""
        if self.dtype != float32:
            extra += f", dtype={self.dtype}"
        if self.device != "cpu":
            extra += f", device='{self.device}'"
        if self._ctx is not None:
            extra += f", grad_fn={self._ctx!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"


class _HookHandle:
    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


function.Tensor = Tensor


def tensor(data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """Make a new leaf tensor from data (PyTorch's ``torch.tensor``); always copies."""
    if isinstance(data, Tensor):
        data = data.data.copy()
    elif hasattr(data, "copy") and hasattr(data, "dtype"):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)
