"""A restricted unpickler for data files that only exist as pickles (CIFAR's "python version").

A pickle is a small program: every global it names is imported and may be called while it loads,
so ``pickle.load`` on a downloaded file runs whatever the file's author chose (``os.system`` via
``__reduce__`` is the classic). ``safe_load`` builds plain containers (dicts, lists, tuples, bytes,
str, numbers — these need no global) and NumPy arrays, whose pickles name exactly three globals:
``numpy.core.multiarray._reconstruct`` (``numpy._core.multiarray`` since NumPy 2), ``numpy.ndarray``
and ``numpy.dtype``. Any other global is refused before it is imported.

Not accepted: NumPy's protocol-5 form (``numpy._core.numeric._frombuffer``), Python 3's protocol-2
encoding of bytes (``_codecs.encode``) and NumPy scalars. CIFAR's files, written by Python 2, use none
of them.
"""
from __future__ import annotations

import io
import os
import pickle

import numpy as np

__all__ = ["UnsafePickleError", "safe_load"]

try:  # NumPy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy 1.x
    from numpy.core.multiarray import _reconstruct

# Both module paths map to the object itself, so loading never imports the deprecated numpy.core.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle named a global outside the allowed set; nothing it names was imported or called."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str, encoding: str):
        super().__init__(file, encoding=encoding)
        self._source = source

    def find_class(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"safe_load: refused to load '{self._source}': only dicts, lists, tuples, bytes, str, numbers "
                "and NumPy arrays are allowed, and a pickle that names other globals can run arbitrary code. "
                f"Received: global '{module}.{name}'.")
        return allowed

    def persistent_load(self, pid):
        raise UnsafePickleError(f"safe_load: refused to load '{self._source}': it uses persistent ids, "
                                f"which plain data never needs. Received: pid={pid!r}.")


def safe_load(file, encoding: str = "bytes"):
    """Unpickle plain data and NumPy arrays, refusing any pickle that could run code.

    Args:
        file: a path, or a binary file object positioned at the pickle.
        encoding: how to decode Python 2 ``str`` objects; ``"bytes"`` (the default) keeps them as
            ``bytes``, which is what NumPy's array state and CIFAR's keys need.

    Returns:
        The unpickled object.

    Raises:
        UnsafePickleError: the pickle names a global other than the three NumPy arrays need.
        ValueError: the data is not a valid pickle (truncated, or another format).
        FileNotFoundError: ``file`` is a path that does not exist.

    Example:
        >>> import pickle, numpy as np
        >>> blob = pickle.dumps({"x": np.arange(3, dtype=np.uint8), "y": [1, 2]}, protocol=4)
        >>> safe_load(io.BytesIO(blob))["x"]
        array([0, 1, 2], dtype=uint8)
    """
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return _load(f, os.fspath(file), encoding)
    return _load(file, getattr(file, "name", "<stream>"), encoding)


def _load(f, source: str, encoding: str):
    try:
        return _RestrictedUnpickler(f, source, encoding).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"safe_load: '{source}' is not a valid pickle ({type(exc).__name__}: {exc}). "
                         f"Received: a {_size(f)}-byte file.") from exc


def _size(f) -> str:
    try:
        return str(f.seek(0, io.SEEK_END))
    except (OSError, ValueError):
        return "?"
