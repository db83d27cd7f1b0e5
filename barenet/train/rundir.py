"""The run directory: one folder per training run holding its config, metrics and checkpoints.

Layout (``runs/<model>-<dataset>-<timestamp>/``)::

    config.json                  how the run was started (enough to resume it)
    history.csv                  one row per epoch
    metrics.json                 the final numbers
    curves.png                   loss and accuracy per epoch, train vs held-out
    checkpoints/last.safetensors the state after the latest epoch (resume from it)
    checkpoints/best.safetensors the state at the lowest held-out loss
"""
from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

from .checkpoint import atomic_write

__all__ = ["CHECKPOINT_DIR", "make_run_dir", "read_json", "write_history_csv", "write_json"]

CHECKPOINT_DIR = "checkpoints"


def make_run_dir(root: str | os.PathLike, model: str, dataset: str) -> Path:
    """Create ``root/<model>-<dataset>-<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``... if taken).

    Example:
        >>> import tempfile
        >>> make_run_dir(tempfile.mkdtemp(), "lenet5", "digits").name.startswith("lenet5-digits-")
        True
    """
    stem = f"{model}-{dataset.replace(':', '_').replace('/', '_')}-{time.strftime('%Y%m%d-%H%M%S')}"
    Path(root).mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = Path(root) / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        (path / CHECKPOINT_DIR).mkdir()
        return path
    raise FileExistsError(f"make_run_dir: could not find a free name for {stem!r} in {str(root)!r}.")


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def read_json(path: str | os.PathLike):
    """Read a JSON file.

    Raises:
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_json: no file {str(path)!r}.")
    return json.loads(path.read_text())


def write_history_csv(path: str | os.PathLike, history: list[dict]) -> None:
    """Write one row per epoch; the columns are the union of the rows' keys, in first-seen order."""
    columns = list(dict.fromkeys(key for row in history for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write(path, buffer.getvalue().encode())
