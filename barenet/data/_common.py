"""What the file-format datasets share: uint8 storage converted per item, and where-to-get-it errors."""
from __future__ import annotations

import operator
from pathlib import Path

import numpy as np

from .dataset import Dataset, default_collate

NO_DOWNLOAD = "barenet never downloads anything at run time."


class ImageArrayDataset(Dataset):
    """Images held as one uint8 ``(N, C, H, W)`` array; each item becomes float32 in [0, 1] when read.

    Keeping uint8 storage costs a quarter of float32's memory (CIFAR-10's training set: 150 MB, not 600).

    Args:
        data: the images, uint8 of shape ``(N, C, H, W)``.
        targets: the labels, ``N`` integers.
        transform: called on each float32 ``(C, H, W)`` image in [0, 1]; its result is returned instead.
        target_transform: called on each label (a Python ``int``).
    """

    def __init__(self, data: np.ndarray, targets, transform=None, target_transform=None):
        self.data = data
        self.targets = np.asarray(targets, dtype=np.int64)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index):
        index = operator.index(index)
        image = self.data[index].astype(np.float32) / np.float32(255)
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices):
        """A whole batch in one fancy-indexing call when there is no transform (``DataLoader`` uses it)."""
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[int(i)] for i in indices])
        images = self.data[np.asarray(indices)].astype(np.float32) / np.float32(255)  # (B, C, H, W)
        return images, self.targets[np.asarray(indices)]

    def __repr__(self) -> str:
        n, c, h, w = self.data.shape
        return f"{type(self).__name__}({n} images of {c}x{h}x{w}, {len(self.classes)} classes)"


def check_root(owner: str, root, hint: str) -> Path:
    """``root`` as a ``Path``, or a ``FileNotFoundError`` carrying ``hint``: what belongs there, where it comes from."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"{owner}: '{root}' is not a folder. {hint}")
    return path


def check_labels(owner: str, source, labels: np.ndarray, num_classes: int) -> None:
    """Refuse labels outside ``0..num_classes-1``: they would fail much later, inside the loss."""
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{owner}: labels in '{source}' must lie in 0..{num_classes - 1}. "
                         f"Received: labels in {labels.min()}..{labels.max()}.")
