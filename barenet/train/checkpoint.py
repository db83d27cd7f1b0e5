"""Checkpoints without pickle: arrays in a safetensors file, everything else as JSON metadata.

A training state is a nested structure of dicts, lists, tuples, numbers, strings, arrays and
tensors (model and optimizer ``state_dict``s, schedule state, random-generator states...).
``save_checkpoint`` lifts every array into the safetensors table under its path
(``optimizer.state.0.momentum_buffer``) and stores the remaining skeleton as one JSON string;
``load_checkpoint`` puts them back together, with tuples, non-string keys and NumPy scalars
restored exactly. Files are written to a temporary name in the same folder, flushed to disk
and renamed over the target, so a crash leaves either the old file or the new one, never half.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["atomic_write", "load_checkpoint", "save_checkpoint"]

_FORMAT = "barenet-checkpoint-v1"


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Raises:
        OSError: the folder is missing or not writable; no temporary file is left behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file 0600; give it the permissions an ordinary open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lift(obj, path: str, arrays: dict):
    """The JSON skeleton of ``obj``, moving each array into ``arrays`` under its dotted path."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray) or backend.get_array_module(obj) is not np:
        # safetensors ignores strides; asarray(order="C") (unlike ascontiguousarray) keeps 0-d arrays 0-d
        array = np.asarray(backend.to_numpy(obj), order="C")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save_checkpoint: cannot store a {array.dtype} array at {path!r}; safetensors holds "
                            "arrays of numbers or bools (store text as a str or a list of them).")
        arrays[path] = array
        return {"__array__": path}
    if isinstance(obj, np.generic):
        return {"__scalar__": obj.item(), "dtype": obj.dtype.str}
    if isinstance(obj, (list, tuple)):
        items = [_lift(v, f"{path}.{i}", arrays) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _lift(v, f"{path}.{k}", arrays) for k, v in obj.items()}
        return {"__items__": [[_lift(k, f"{path}.key{i}", arrays), _lift(v, f"{path}.{k}", arrays)]
                              for i, (k, v) in enumerate(obj.items())]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save_checkpoint: cannot store a {type(obj).__name__} at {path!r}; "
                    "expected arrays, tensors, numbers, strings, lists, tuples or dicts.")


def _lower(skeleton, arrays: dict):
    """Inverse of ``_lift``."""
    if isinstance(skeleton, list):
        return [_lower(v, arrays) for v in skeleton]
    if not isinstance(skeleton, dict):
        return skeleton
    if "__array__" in skeleton:
        return arrays[skeleton["__array__"]]
    if "__scalar__" in skeleton:
        return np.dtype(skeleton["dtype"]).type(skeleton["__scalar__"])
    if "__tuple__" in skeleton:
        return tuple(_lower(v, arrays) for v in skeleton["__tuple__"])
    if "__items__" in skeleton:
        return {_lower(k, arrays): _lower(v, arrays) for k, v in skeleton["__items__"]}
    return {k: _lower(v, arrays) for k, v in skeleton.items()}


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Save a nested training state to a safetensors file, atomically.

    Args:
        state: a dict of dicts, lists, tuples, numbers, strings, arrays and tensors.
        path: the file to write (conventionally ``*.safetensors``).

    Raises:
        TypeError: the state holds something else (no pickle fallback).

    Example:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "c.safetensors")
        >>> save_checkpoint({"w": np.ones(2, np.float32), "epoch": 3, "betas": (0.9, 0.99)}, path)
        >>> back = load_checkpoint(path)
        >>> back["w"].tolist(), back["epoch"], back["betas"]
        ([1.0, 1.0], 3, (0.9, 0.99))
    """
    from safetensors.numpy import save

    arrays: dict = {}
    skeleton = _lift(state, "state", arrays)
    metadata = {"format": _FORMAT, "state": json.dumps(skeleton, allow_nan=True)}
    atomic_write(path, save(arrays, metadata=metadata))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a state saved by ``save_checkpoint`` (arrays come back as NumPy arrays).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a barenet checkpoint.
    """
    from safetensors import safe_open

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_checkpoint: path must be a str or a path. Received: {type(path).__name__}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {str(path)!r}.")
    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            arrays = {key: f.get_tensor(key) for key in f.keys()}
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise ValueError(f"load_checkpoint: {str(path)!r} is not a readable safetensors file ({exc}).") from None
    if metadata.get("format") != _FORMAT:
        raise ValueError(f"load_checkpoint: {str(path)!r} is not a barenet checkpoint "
                         f"(format {metadata.get('format')!r}, expected {_FORMAT!r}).")
    return _lower(json.loads(metadata["state"]), arrays)
