"""Synthetic labelled shapes: a seeded, download-free dataset with boxes and masks for every image.

Each image holds one shape — its class — of random position, size and colour on a random background
with Gaussian noise. Item ``i`` is drawn from its own seeded stream, so it is the same on every read and
in every process, and the dataset costs no memory.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from .dataset import Dataset

__all__ = ["SHAPES", "ShapeSample", "Shapes"]


def _circle(dx, dy, r):
    return dx ** 2 + dy ** 2 <= r ** 2


def _square(dx, dy, r):
    return np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r


def _triangle(dx, dy, r):  # equilateral, apex up, inscribed in the circle of radius r
    return (dy <= r / 2) & (np.abs(dx) * np.sqrt(3) <= dy + r)


def _diamond(dx, dy, r):
    return np.abs(dx) + np.abs(dy) <= r


def _cross(dx, dy, r):
    ax, ay = np.abs(dx), np.abs(dy)
    return ((ax <= r / 3) & (ay <= r)) | ((ay <= r / 3) & (ax <= r))


def _ring(dx, dy, r):
    d2 = dx ** 2 + dy ** 2
    return (d2 <= r ** 2) & (d2 >= (r / 2) ** 2)


_MASKS = {"circle": _circle, "square": _square, "triangle": _triangle, "diamond": _diamond, "cross": _cross,
          "ring": _ring}
SHAPES = tuple(_MASKS)
_TARGET_TYPES = ("label", "box", "mask", "segmentation")


class ShapeSample(NamedTuple):
    """One drawn image with everything known about it."""

    image: np.ndarray  # (C, S, S) float32 in [0, 1]
    label: int  # index into the dataset's classes
    box: np.ndarray  # (4,) float32: x1, y1, x2, y2 in pixels, x2 and y2 exclusive
    mask: np.ndarray  # (S, S) bool: the shape's pixels


class Shapes(Dataset):
    """Seeded synthetic shapes (circle, square, triangle, diamond, cross, ring), one per image.

    Args:
        num_samples: the dataset's length; 10,000 for ``train``, 2,000 otherwise, when None.
        image_size: the side ``S`` of the square images (at least 8).
        train: the training split if true, else the test split (drawn from a different stream).
        classes: the shape names to use, a subset of ``SHAPES``; label ``i`` is ``classes[i]``.
        scale: range of the shape's diameter as a fraction of ``S``, within (0, 1].
        noise: the standard deviation of the Gaussian pixel noise.
        channels: 3 (colour) or 1 (grey).
        seed: the dataset's seed; the same seed gives the same images.
        target_type: what an item's target is — ``"label"`` (int), ``"box"`` (``(4,)`` float32 x1, y1, x2,
            y2), ``"mask"`` (``(S, S)`` bool), ``"segmentation"`` (``(S, S)`` int64: 0 background,
            ``label + 1`` on the shape), or a tuple of these for a tuple of targets.
        transform: called on each float32 ``(C, S, S)`` image.
        target_transform: called on each target.

    Shape:
        - image: ``(C, S, S)`` float32 in [0, 1].

    Raises:
        ValueError: an unknown class or target type, or a size, scale, noise or channel count out of range.

    Example:
        >>> data = Shapes(num_samples=4, image_size=16, target_type=("label", "box"))
        >>> image, (label, box) = data[0]
        >>> image.shape, data.classes[label] in SHAPES, box.shape
        ((3, 16, 16), True, (4,))
    """

    def __init__(self, num_samples: int | None = None, image_size: int = 32, train: bool = True, classes=SHAPES,
                 scale=(0.3, 0.9), noise: float = 0.05, channels: int = 3, seed: int = 0, target_type="label",
                 transform=None, target_transform=None):
        self.num_samples = (10_000 if train else 2_000) if num_samples is None else num_samples
        self.classes = list(classes)
        self.target_type = target_type
        _check_settings(self.num_samples, image_size, self.classes, scale, noise, channels, target_type, seed)
        self.image_size, self.train, self.scale, self.noise = image_size, train, tuple(scale), noise
        self.channels, self.seed = channels, seed
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return self.num_samples

    def sample(self, index: int) -> ShapeSample:
        """Item ``index`` with its image, label, box and mask (no transforms applied)."""
        index = operator.index(index)
        if not -self.num_samples <= index < self.num_samples:
            raise IndexError(f"Shapes: index out of range. Received: index={index}, len={self.num_samples}.")
        rng = np.random.default_rng([self.seed, int(not self.train), index % self.num_samples])
        label = int(rng.integers(len(self.classes)))
        size = self.image_size
        radius = max(rng.uniform(*self.scale) * size / 2, 2.0)  # at least 4 pixels across
        cy, cx = rng.uniform(radius, size - radius, size=2)
        centres = np.arange(size) + 0.5  # pixel centres
        mask = _MASKS[self.classes[label]](centres[None, :] - cx, centres[:, None] - cy, radius)  # (S, S)
        background = rng.random(self.channels)
        colour = (background + rng.uniform(0.3, 0.7, self.channels)) % 1  # >= 0.3 from the background
        image = np.where(mask, colour[:, None, None], background[:, None, None])  # (C, S, S)
        image = np.clip(image + rng.normal(0.0, self.noise, image.shape), 0, 1).astype(np.float32)
        return ShapeSample(image, label, _box(mask), mask)

    def __getitem__(self, index):
        sample = self.sample(index)
        image = sample.image
        target = _target(sample, self.target_type) if isinstance(self.target_type, str) \
            else tuple(_target(sample, t) for t in self.target_type)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (f"Shapes({self.num_samples} {split} images of {self.channels}x{self.image_size}x{self.image_size}, "
                f"classes={self.classes}, seed={self.seed})")


def _target(sample: ShapeSample, kind: str):
    if kind == "segmentation":
        return np.where(sample.mask, sample.label + 1, 0).astype(np.int64)
    return getattr(sample, kind)


def _box(mask: np.ndarray) -> np.ndarray:
    """The tight box around the mask's pixels: x1, y1, x2, y2 with x2, y2 one past the last pixel."""
    rows, cols = mask.any(axis=1), mask.any(axis=0)
    y1, y2 = rows.argmax(), len(rows) - rows[::-1].argmax()
    x1, x2 = cols.argmax(), len(cols) - cols[::-1].argmax()
    return np.array([x1, y1, x2, y2], dtype=np.float32)


def _check_settings(num_samples, image_size, classes, scale, noise, channels, target_type, seed) -> None:
    unknown = [c for c in classes if c not in _MASKS]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise ValueError(f"Shapes: classes must be distinct names among {', '.join(SHAPES)}. Received: {classes}.")
    types = (target_type,) if isinstance(target_type, str) else tuple(target_type)
    if not types or any(t not in _TARGET_TYPES for t in types):
        raise ValueError(f"Shapes: target_type must be one of {', '.join(_TARGET_TYPES)} or a tuple of them. "
                         f"Received: target_type={target_type!r}.")
    checks = [(isinstance(num_samples, (int, np.integer)) and num_samples >= 0, f"num_samples={num_samples!r}",
               "num_samples must be a non-negative int"),
              (isinstance(image_size, (int, np.integer)) and image_size >= 8, f"image_size={image_size!r}",
               "image_size must be an int >= 8"),
              (len(scale) == 2 and 0 < scale[0] <= scale[1] <= 1, f"scale={scale!r}",
               "scale must be (min, max) with 0 < min <= max <= 1"),
              (noise >= 0, f"noise={noise!r}", "noise must be >= 0"),
              (channels in (1, 3), f"channels={channels!r}", "channels must be 1 or 3"),
              (isinstance(seed, (int, np.integer)) and seed >= 0, f"seed={seed!r}", "seed must be a non-negative int")]
    for ok, received, rule in checks:
        if not ok:
            raise ValueError(f"Shapes: {rule}. Received: {received}.")
