"""Images in a folder tree, one sub-folder per class (torchvision's ``ImageFolder`` layout).

``root/cat/001.jpg``, ``root/dog/x/002.png`` ...: class names are the sub-folder names, sorted, and
their positions are the labels. Files are decoded with Pillow only when an item is read.
"""
from __future__ import annotations

import operator
import os
import warnings
from pathlib import Path

import numpy as np

from ._common import check_root
from .dataset import Dataset
from .transforms._functional import pil_to_chw

__all__ = ["IMG_EXTENSIONS", "ImageFolder"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".bmp", ".tif", ".tiff", ".webp", ".gif")
_HINT = ("Expected one sub-folder per class holding its images, e.g. ROOT/cat/001.jpg and ROOT/dog/002.png "
         "(any of {exts}).")


class ImageFolder(Dataset):
    """A labelled image folder: one sub-folder per class, images in it (nested folders allowed).

    Args:
        root: the folder holding the class folders.
        transform: called on each float32 ``(C, H, W)`` image in [0, 1] (images keep their own sizes,
            so batching needs e.g. ``Compose([Resize(256), CenterCrop(224)])``).
        target_transform: called on each label (an ``int``).
        mode: ``"RGB"`` (3 channels) or ``"L"`` (1 grey channel); every image is converted to it.
        on_error: ``"raise"``: an unreadable image raises an error naming the file when it is read;
            ``"skip"``: files Pillow cannot identify are left out when the dataset is built, with a
            warning naming each, and one that still fails to decode later (a truncated JPEG) is
            replaced by the next readable item, with a warning.
        extensions: the file suffixes taken as images (case-insensitive); hidden files are ignored.

    Shape:
        - image: ``(3, H, W)`` (``mode="RGB"``) or ``(1, H, W)`` (``mode="L"``) float32 in [0, 1].

    Raises:
        FileNotFoundError: ``root`` is missing, has no class folders, or a class folder has no images.
        ValueError: a bad ``mode`` or ``on_error``; an unreadable image under ``on_error="raise"``.

    Example:
        >>> data = ImageFolder("~/data/flowers", mode="RGB", on_error="skip")  # doctest: +SKIP
        >>> image, label = data[0]; data.classes[label]  # doctest: +SKIP
    """

    def __init__(self, root, transform=None, target_transform=None, mode: str = "RGB", on_error: str = "raise",
                 extensions=IMG_EXTENSIONS):
        if mode not in ("RGB", "L"):
            raise ValueError(f"ImageFolder: mode must be 'RGB' or 'L'. Received: mode={mode!r}.")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"ImageFolder: on_error must be 'raise' or 'skip'. Received: on_error={on_error!r}.")
        self.extensions = tuple(e.lower() for e in extensions)
        hint = _HINT.format(exts=", ".join(self.extensions))
        self.root = check_root("ImageFolder", root, hint)
        self.classes = sorted(d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith("."))
        if not self.classes:
            raise FileNotFoundError(f"ImageFolder: no class folders in '{root}'. {hint}")
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        samples = [(path, i) for i, name in enumerate(self.classes) for path in _image_files(self.root / name,
                                                                                           self.extensions)]
        if on_error == "skip":
            samples = _identifiable(samples)
        empty = sorted(set(self.classes) - {self.classes[i] for _, i in samples})
        if empty:
            raise FileNotFoundError(f"ImageFolder: no readable images in the class folder(s) {empty} of '{root}'. "
                                    f"{hint}")
        self.samples = samples
        self.targets = np.array([i for _, i in samples], dtype=np.int64)
        self.transform, self.target_transform = transform, target_transform
        self.mode, self.on_error = mode, on_error

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index):
        index = operator.index(index)
        n = len(self.samples)
        if not -n <= index < n:
            raise IndexError(f"ImageFolder: index out of range. Received: index={index}, len={n}.")
        for offset in range(n):  # under on_error="skip", walk on to the next readable file
            path, target = self.samples[(index + offset) % n]
            try:
                image = self._decode(path)
                break
            except (OSError, ValueError, SyntaxError) as exc:  # what Pillow raises for broken files
                if self.on_error == "raise":
                    raise ValueError(f"ImageFolder: cannot read the image '{path}' ({type(exc).__name__}: {exc}). "
                                     "Pass on_error='skip' to leave unreadable files out.") from exc
                warnings.warn(f"ImageFolder: skipping '{path}', which cannot be read ({exc}).", stacklevel=2)
        else:
            raise ValueError(f"ImageFolder: none of the {n} images in '{self.root}' can be read.")
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _decode(self, path: Path) -> np.ndarray:
        from PIL import Image

        with Image.open(path) as img:
            return pil_to_chw(img.convert(self.mode))

    def __repr__(self) -> str:
        return f"ImageFolder('{self.root}', {len(self)} images, {len(self.classes)} classes, mode={self.mode!r})"


def _image_files(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    """Image files under ``folder`` at any depth, sorted; symlinked folders are followed."""
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(parent, f) for f in files if not f.startswith(".") and f.lower().endswith(extensions)]
    return sorted(found)


def _identifiable(samples: list) -> list:
    """The samples whose files Pillow recognises and whose structure checks out (cheap: no full decode)."""
    from PIL import Image

    kept = []
    for path, target in samples:
        try:
            with Image.open(path) as img:
                img.verify()
            kept.append((path, target))
        except (OSError, ValueError, SyntaxError) as exc:
            warnings.warn(f"ImageFolder: skipping '{path}', which cannot be read ({exc}).", stacklevel=3)
    return kept
