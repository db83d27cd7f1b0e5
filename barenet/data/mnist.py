"""MNIST and Fashion-MNIST from their IDX files (raw or gzipped), as LeNet-5 was trained on them.

IDX format (LeCun): a 4-byte magic ``0x0000TTDD`` — two zero bytes, a type byte ``TT`` and the number
of dimensions ``DD`` — then ``DD`` big-endian uint32 sizes, then the values, big-endian, row-major.
Images are ``0x00000803`` (uint8, 3 dims: N, H, W), labels ``0x00000801`` (uint8, 1 dim: N).
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ._common import NO_DOWNLOAD, ImageArrayDataset, check_labels, check_root

__all__ = ["FashionMNIST", "MNIST", "read_idx"]

# IDX type byte -> big-endian NumPy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path) -> np.ndarray:
    """Read one IDX file, raw or gzipped (recognised by its content, not its name).

    Args:
        path: the file.

    Returns:
        An array of the file's shape and type, in native byte order (read-only for uint8 files).

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not IDX (wrong magic number), or its size disagrees with its header.

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "labels-idx1-ubyte")
        ...     _ = open(path, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        ...     print(read_idx(path))
        [7 2 1]
    """
    blob = _read_maybe_gzipped(path)
    if len(blob) < 4 or blob[:2] != b"\0\0" or blob[2] not in _IDX_DTYPES:
        magic = blob[:4].hex().upper() or "(empty file)"
        raise ValueError(
            f"read_idx: '{path}' is not an IDX file: its magic number must be 0x0000TTDD with a type byte TT "
            "in 08, 09, 0B, 0C, 0D, 0E and DD dimensions (MNIST images: 0x00000803, labels: 0x00000801). "
            f"Received: 0x{magic}.")
    ndim, dtype = blob[3], np.dtype(_IDX_DTYPES[blob[2]])
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", blob[4:header]) if len(blob) >= header else None
    expected = None if dims is None else header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(blob) != expected:
        raise ValueError(
            f"read_idx: '{path}' is truncated or not an IDX file: its header (magic 0x{blob[:4].hex().upper()}, "
            f"dims {dims}) promises {expected} bytes in all. Received: {len(blob)} bytes.")
    array = np.frombuffer(blob, dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_maybe_gzipped(path) -> bytes:
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:2] != _GZIP_MAGIC:
        return blob
    try:
        return gzip.decompress(blob)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"read_idx: '{path}' starts like a gzip file but does not decompress "
                         f"({type(exc).__name__}: {exc}). Received: {len(blob)} bytes.") from exc


class MNIST(ImageArrayDataset):
    """The MNIST digits: 60,000 training and 10,000 test images of 28x28 grey pixels, labels 0-9.

    ``root`` holds the four IDX files under their standard names, raw or ``.gz``:
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``. torchvision's layout (``root/MNIST/raw/``) is found as well.

    Args:
        root: the folder holding the IDX files.
        train: the training split if true, else the test split.
        transform: called on each float32 ``(1, 28, 28)`` image in [0, 1].
        target_transform: called on each label (an ``int``).

    Shape:
        - image: ``(1, H, W)`` float32 in [0, 1]; ``data``: ``(N, 1, H, W)`` uint8; ``targets``: ``(N,)`` int64.

    Raises:
        FileNotFoundError: ``root`` or one of the split's two files is missing; the message says where
            the files come from.
        ValueError: a file is not IDX, or images and labels disagree.

    Example:
        >>> train = MNIST("~/data/mnist", train=True)  # doctest: +SKIP
        >>> image, label = train[0]  # doctest: +SKIP
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    _subfolder = "MNIST"  # torchvision downloads into root/MNIST/raw
    _source = "Yann LeCun's MNIST page (http://yann.lecun.com/exdb/mnist/) or a mirror"

    def __init__(self, root, train: bool = True, transform=None, target_transform=None):
        owner = type(self).__name__
        prefix = "train" if train else "t10k"
        hint = (f"Expected the IDX files {', '.join(_all_files())} (raw or .gz); download them from "
                f"{self._source} and pass their folder. {NO_DOWNLOAD}")
        root = check_root(owner, root, hint)
        folders = (root, root / self._subfolder / "raw")
        images_path = _find_file(owner, folders, f"{prefix}-images-idx3-ubyte", hint)
        labels_path = _find_file(owner, folders, f"{prefix}-labels-idx1-ubyte", hint)
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{owner}: '{images_path}' must hold uint8 images of shape (N, H, W). "
                             f"Received: {images.dtype} of shape {images.shape}.")
        if labels.shape != images.shape[:1] or labels.dtype != np.uint8:
            raise ValueError(f"{owner}: '{labels_path}' must hold one uint8 label per image of "
                             f"'{images_path.name}' ({len(images)}). Received: {labels.dtype} of shape {labels.shape}.")
        check_labels(owner, labels_path, labels, len(self.classes))
        super().__init__(images[:, None], labels, transform, target_transform)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format, sizes and file names, ten kinds of clothing.

    Args, Shape and Raises as ``MNIST``; torchvision's layout is ``root/FashionMNIST/raw/``.

    Example:
        >>> test = FashionMNIST("~/data/fashion-mnist", train=False)  # doctest: +SKIP
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    _subfolder = "FashionMNIST"
    _source = "https://github.com/zalandoresearch/fashion-mnist (the data/fashion folder)"


def _all_files() -> list[str]:
    return [f"{p}-{kind}" for p in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]


def _find_file(owner: str, folders, name: str, hint: str) -> Path:
    """The raw file if present (no decompression), else the gzipped one."""
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    also = f" (nor in '{folders[1]}')" if len(folders) > 1 else ""
    raise FileNotFoundError(f"{owner}: no {name}[.gz] in '{folders[0]}'{also}. {hint}")
