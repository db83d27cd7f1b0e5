"""The array module behind every tensor: NumPy, or CuPy when installed and asked for.

Ops never branch on the device. They ask their inputs which module holds them
(``xp = get_array_module(x)``) and write the math once against ``xp``, so the same
code runs on a CPU through NumPy and on a GPU through CuPy.
"""
from __future__ import annotations

import numpy as np

try:  # CuPy is optional: barenet[cuda]
    import cupy as _cupy
except Exception:  # ImportError, or a CUDA runtime that fails to load
    _cupy = None

DEVICES = ("cpu", "cuda")


def cupy_available() -> bool:
    """Whether CuPy imported and sees at least one GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def get_array_module(*arrays):
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def check_dtype(op: str, dtype) -> np.dtype:
    """``dtype`` (``barenet.float32``, ``np.float64``, ``"float16"``...) as a NumPy dtype, or a
    TypeError naming ``op`` (NumPy would take None as float64 and say only "Cannot interpret")."""
    try:
        if dtype is None or isinstance(dtype, bool):
            raise TypeError
        return np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: expected a dtype such as barenet.float32 or 'float64'. Received: {dtype!r:.80}.") from None


def check_device(device) -> str:
    """Normalise a device name (``"cpu"``, ``"cuda"``, ``"cuda:0"``) to ``"cpu"`` or ``"cuda"``.

    Raises:
        ValueError: the name is not a device barenet knows.
        RuntimeError: ``"cuda"`` was asked for but CuPy or a GPU is missing.
    """
    name = str(device).split(":")[0]
    if name not in DEVICES:
        raise ValueError(f"device: expected one of {DEVICES}. Received: device={device!r}.")
    if name == "cuda" and not cupy_available():
        raise RuntimeError(
            "device: 'cuda' needs CuPy and a GPU. Install the extra with "
            "`pip install barenet[cuda]`, or use device='cpu'."
        )
    return name


def device_of(array) -> str:
    """``"cuda"`` for a CuPy array, ``"cpu"`` otherwise."""
    return "cuda" if get_array_module(array) is not np else "cpu"


def to_device(array, device: str):
    """Move ``array`` to ``device`` (a no-op when it is already there)."""
    device = check_device(device)
    if device == device_of(array):
        return array
    if device == "cuda":
        return _cupy.asarray(array)
    return _cupy.asnumpy(array)


def to_numpy(array) -> np.ndarray:
    """A NumPy array holding ``array``'s values, copying from the GPU if needed."""
    if get_array_module(array) is np:
        return np.asarray(array)
    return _cupy.asnumpy(array)
