"""CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) in their binary or their python version.

Binary version: fixed-size records of label byte(s) then 3072 pixel bytes (1024 red, 1024 green,
1024 blue, each 32x32 row-major) — CIFAR-10 ``<label><pixels>`` in ``data_batch_1.bin`` ...
``data_batch_5.bin`` and ``test_batch.bin``; CIFAR-100 ``<coarse><fine><pixels>`` in ``train.bin`` and
``test.bin``. Python version: pickled dicts (``data_batch_1`` ... ``test_batch``; ``train``, ``test``),
read with ``safe_unpickle.safe_load`` so a tampered file cannot run code.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._common import NO_DOWNLOAD, ImageArrayDataset, check_labels, check_root
from .safe_unpickle import safe_load

__all__ = ["CIFAR10", "CIFAR100"]

_PIXELS = 3 * 32 * 32
_SOURCE = "https://www.cs.toronto.edu/~kriz/cifar.html"


@dataclass(frozen=True)
class _Layout:
    folder: str  # what the official archive extracts to; looked for inside root as well
    train: tuple[str, ...]
    test: tuple[str, ...]
    binary: bool


class CIFAR10(ImageArrayDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10 classes.

    ``root`` is the extracted archive's folder (``cifar-10-batches-bin`` or ``cifar-10-batches-py``)
    or the folder above it; the binary version is used when both are there.

    Args:
        root: the folder holding the batch files.
        train: the training split (5 batches) if true, else the test batch.
        transform: called on each float32 ``(3, 32, 32)`` image in [0, 1].
        target_transform: called on each label (an ``int``).

    Shape:
        - image: ``(3, 32, 32)`` float32 in [0, 1]; ``data``: ``(N, 3, 32, 32)`` uint8; ``targets``: ``(N,)``.

    Raises:
        FileNotFoundError: ``root`` or a batch file is missing; the message says where they come from.
        ValueError: a file has the wrong size or content (a CIFAR-100 file, say), or a pickle that
            could run code (``safe_unpickle.UnsafePickleError``).

    Example:
        >>> train = CIFAR10("~/data/cifar-10-batches-bin")  # doctest: +SKIP
        >>> image, label = train[0]  # doctest: +SKIP
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _layouts = (
        _Layout("cifar-10-batches-bin", tuple(f"data_batch_{i}.bin" for i in range(1, 6)), ("test_batch.bin",), True),
        _Layout("cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), False),
    )
    _label_bytes = 1

    def __init__(self, root, train: bool = True, transform=None, target_transform=None):
        self._load(root, train, self._label_field(), transform, target_transform)

    def _label_field(self) -> tuple[int, str]:
        """(label byte within a binary record, label key of a python batch)."""
        return 0, "labels"

    def _load(self, root, train: bool, label_field: tuple[int, str], transform, target_transform) -> None:
        owner = type(self).__name__
        folder, layout = self._find(root, train)
        parts = [_read_binary(owner, folder / name, self._label_bytes, label_field[0]) if layout.binary
                 else _read_python(owner, folder / name, label_field[1])
                 for name in (layout.train if train else layout.test)]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        check_labels(owner, folder, labels, len(self.classes))
        super().__init__(images, labels, transform, target_transform)

    def _hint(self) -> str:
        names = " or ".join(f"'{layout.folder}' ({', '.join(layout.train + layout.test)})" for layout in self._layouts)
        return (f"Expected the extracted archive {names}; download it from {_SOURCE}, extract it and pass "
                f"the folder. {NO_DOWNLOAD}")

    def _find(self, root, train: bool) -> tuple[Path, _Layout]:
        owner, hint = type(self).__name__, self._hint()
        root = check_root(owner, root, hint)
        for layout in self._layouts:
            for folder in (root, root / layout.folder):
                names = layout.train if train else layout.test
                if (folder / names[0]).is_file():
                    missing = [n for n in names if not (folder / n).is_file()]
                    if missing:
                        raise FileNotFoundError(f"{owner}: '{folder}' lacks {', '.join(missing)}. {hint}")
                    return folder, layout
        wanted = " or ".join(layout.train[0] if train else layout.test[0] for layout in self._layouts)
        raise FileNotFoundError(f"{owner}: no {wanted} in '{root}' or the archive folders inside it. {hint}")


class CIFAR100(CIFAR10):
    """CIFAR-100: CIFAR-10's sizes, 100 fine classes grouped into 20 coarse superclasses.

    ``root`` is the extracted ``cifar-100-binary`` or ``cifar-100-python`` folder, or the folder above.
    Class names are read from the archive's meta file when it is there.

    Args:
        root: the folder holding ``train``/``test`` (``.bin``).
        train: the training split if true, else the test split.
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
        transform: called on each float32 ``(3, 32, 32)`` image in [0, 1].
        target_transform: called on each label (an ``int``).

    Shape:
        - image: ``(3, 32, 32)`` float32 in [0, 1]; ``data``: ``(N, 3, 32, 32)`` uint8; ``targets``: ``(N,)``.

    Raises:
        FileNotFoundError: ``root`` or a file is missing.
        ValueError: an unknown ``label_mode``, or a file of the wrong size or content.

    Example:
        >>> test = CIFAR100("~/data/cifar-100-binary", train=False, label_mode="coarse")  # doctest: +SKIP
    """

    _layouts = (_Layout("cifar-100-binary", ("train.bin",), ("test.bin",), True),
                _Layout("cifar-100-python", ("train",), ("test",), False))
    _label_bytes = 2

    def __init__(self, root, train: bool = True, label_mode: str = "fine", transform=None, target_transform=None):
        if label_mode not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100: label_mode must be 'fine' or 'coarse'. Received: label_mode={label_mode!r}.")
        self.label_mode = label_mode
        count = 100 if label_mode == "fine" else 20
        self.classes = _class_names(self._find(root, train), label_mode) or [str(i) for i in range(count)]
        self._load(root, train, self._label_field(), transform, target_transform)

    def _label_field(self) -> tuple[int, str]:
        return (1, "fine_labels") if self.label_mode == "fine" else (0, "coarse_labels")


def _read_binary(owner: str, path: Path, label_bytes: int, label_byte: int) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + _PIXELS
    if raw.size == 0 or raw.size % record:
        other = {1: "CIFAR-100's are 3074 bytes", 2: "CIFAR-10's are 3073 bytes"}[label_bytes]
        raise ValueError(f"{owner}: '{path}' must hold whole {record}-byte records ({label_bytes} label byte(s) + "
                         f"3072 pixel bytes; {other}). Received: {raw.size} bytes.")
    records = raw.reshape(-1, record)  # (n, label_bytes + 3072)
    return records[:, label_bytes:].reshape(-1, 3, 32, 32), records[:, label_byte].astype(np.int64)


def _read_python(owner: str, path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    batch = _str_keys(safe_load(path))
    data, labels = (batch.get("data"), batch.get(label_key)) if isinstance(batch, dict) else (None, None)
    ok = (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == _PIXELS
          and isinstance(labels, list) and len(labels) == len(data) and all(type(t) is int for t in labels))
    if not ok:
        found = sorted(map(str, batch)) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(f"{owner}: '{path}' is not a CIFAR python batch: expected a dict with 'data' (uint8 array "
                         f"of shape (n, 3072)) and '{label_key}' (a list of n ints). Received: {found}.")
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def _class_names(found: tuple[Path, _Layout], label_mode: str) -> list[str] | None:
    """The archive's own class names (``*_label_names.txt`` or the pickled ``meta``), if present."""
    folder, layout = found
    if layout.binary:
        path = folder / f"{label_mode}_label_names.txt"
        return [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.is_file() else None
    path = folder / "meta"
    meta = _str_keys(safe_load(path)) if path.is_file() else None
    names = meta.get(f"{label_mode}_label_names") if isinstance(meta, dict) else None
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names] if isinstance(names, list) else None


def _str_keys(obj):
    """A dict with its bytes keys decoded: Python 2 wrote them as str, which arrive as bytes."""
    if not isinstance(obj, dict):
        return obj
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
