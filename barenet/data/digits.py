"""The embedded digits: scikit-learn's bundled ``load_digits``, shaped for LeNet-5.

1,797 handwritten digits (UCI "Optical Recognition of Handwritten Digits"), 8x8 pixels with 0-16
ink levels, about 180 per class. They ship inside scikit-learn, so barenet trains a real CNN
with no download. ``Digits`` splits them 80/20 with a fixed seed, stratified by class (1,437
train, 360 test), and resizes them bilinearly to 32x32, LeNet-5's input.

Scaling follows LeCun et al. (1998, section II-B): pixel values are an affine function of the ink,
chosen so that "the mean input [is] roughly 0, and the variance roughly 1, which accelerates
learning". On MNIST, whose digits sit in a 20x20 box of a 32x32 field, that rule gave the paper's
background -0.1 and ink 1.175. These digits fill their whole box, so the paper's constants would
leave a mean of 0.29 and a variance of 0.17 (and, measured, cost about a point of accuracy);
``Digits`` applies the rule itself, with the training part's mean and deviation: background
about -0.94, full ink about 2.15 at 32x32.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import random
from ..autograd import Tensor
from .dataset import TensorDataset

__all__ = ["Digits", "resize_bilinear"]

_MAX_INK = 16.0


def _interpolation_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) weights of 1-D linear interpolation with half-pixel centres.

    Output pixel ``i`` samples the input at ``(i + 0.5) * size_in / size_out - 0.5``, clamped to
    the border: the convention of Pillow's BILINEAR when enlarging and of PyTorch's
    ``interpolate(mode="bilinear", align_corners=False)``.
    """
    pos = np.clip((np.arange(size_out) + 0.5) * size_in / size_out - 0.5, 0, size_in - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, size_in - 1)
    frac = pos - lo
    weights = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    weights[rows, lo] += 1 - frac  # two separate adds: where lo == hi (the border) both halves count
    weights[rows, hi] += frac
    return weights


def resize_bilinear(images: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize a stack of images with bilinear interpolation (separable: rows, then columns).

    Args:
        images: an array of images.
        size: output ``(OH, OW)``, or one int for both.

    Shape:
        - images: ``(..., H, W)``
        - Returns: ``(..., OH, OW)``

    Returns:
        float64 array of the resized images.

    Raises:
        ValueError: fewer than two dimensions, or a non-positive size.

    Example:
        >>> resize_bilinear(np.array([[0.0, 1.0]]), (1, 4)).round(2).tolist()
        [[0.0, 0.25, 0.75, 1.0]]
    """
    out_h, out_w = (size, size) if isinstance(size, (int, np.integer)) else size
    if images.ndim < 2 or min(out_h, out_w) < 1:
        raise ValueError(f"resize_bilinear: expected images of shape (..., H, W) and a positive size. "
                         f"Received: images.shape={images.shape}, size={size!r}.")
    rows = _interpolation_matrix(images.shape[-2], out_h)  # (OH, H)
    cols = _interpolation_matrix(images.shape[-1], out_w)  # (OW, W)
    return rows @ images.astype(np.float64) @ cols.T  # (..., OH, OW)


@functools.lru_cache(maxsize=4)
def _prepared(image_size: int, test_size: float, seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    raw = load_digits()
    ink = resize_bilinear(raw.images / _MAX_INK, image_size)  # (1797, S, S) in [0, 1]
    targets = raw.target.astype(np.int64)
    train, test = train_test_split(np.arange(len(targets)), test_size=test_size, stratify=targets,
                                   random_state=seed)
    mean, std = ink[train].mean(), ink[train].std()
    images = ((ink - mean) / std).astype(np.float32)[:, None]  # (1797, 1, S, S)
    for array in (images, targets):
        array.setflags(write=False)  # shared by every Digits built from this cache
    return images, targets, np.sort(train), np.sort(test), (-mean / std, (1 - mean) / std)


class Digits(TensorDataset):
    """scikit-learn's 8x8 digits as ``(image, label)`` samples for a 32x32 network.

    Args:
        train: the training part (80%) or the test part (20%).
        image_size: side of the square images after bilinear resizing.
        test_size: fraction held out for the test part, stratified by class.
        seed: the split's seed; the same seed always gives the same split.
        max_shift: move each image by a random whole number of pixels in ``[-max_shift,
            max_shift]`` along each axis as it is read, the background filling in (the
            translations among the paper's distortions, section III-C); one vectorised gather
            per batch, drawn from barenet's default generator.
        transform: called on each ``(1, image_size, image_size)`` float32 image after the shift.

    Shape:
        - image: ``(1, image_size, image_size)``, float32 from ``background`` (no ink) to
          ``foreground`` (full ink)
        - label: ``()``, int64 in ``[0, 9]``

    Raises:
        ValueError: ``image_size`` below 8, ``test_size`` outside (0, 1), or a negative ``max_shift``.

    Example:
        >>> test = Digits(train=False)
        >>> len(test), test[0][0].shape
        (360, (1, 32, 32))
    """

    num_classes = 10
    classes = tuple(str(d) for d in range(10))

    def __init__(self, train: bool = True, image_size: int = 32, test_size: float = 0.2, seed: int = 0,
                 max_shift: int = 0, transform=None):
        if not isinstance(image_size, (int, np.integer)) or image_size < 8:
            raise ValueError(f"Digits: image_size must be an integer >= 8 (the images are 8x8). "
                             f"Received: image_size={image_size!r}.")
        if not 0 < test_size < 1:
            raise ValueError(f"Digits: test_size must lie in (0, 1). Received: test_size={test_size!r}.")
        if not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
            raise ValueError(f"Digits: max_shift must be a non-negative integer. Received: max_shift={max_shift!r}.")
        images, targets, train_idx, test_idx, levels = _prepared(int(image_size), float(test_size), int(seed))
        index = train_idx if train else test_idx
        super().__init__(images[index], targets[index])
        self.train, self.max_shift, self.transform = train, int(max_shift), transform
        self.background, self.foreground = (float(v) for v in levels)

    def __getitem__(self, index):
        images, labels = self.__getitems__(np.array([index]))
        return Tensor._wrap(images[0]), Tensor._wrap(labels[0])

    def __getitems__(self, indices):
        images, labels = super().__getitems__(indices)
        images = self._shifted(images)
        if self.transform is not None:
            images = np.stack([self.transform(image) for image in images])  # (B, 1, S, S)
        return images, labels

    def _shifted(self, images: np.ndarray) -> np.ndarray:
        s, n, size = self.max_shift, len(images), images.shape[-1]
        if s == 0:
            return images
        padded = np.pad(images[:, 0], ((0, 0), (s, s), (s, s)), constant_values=self.background)  # (B, S+2s, S+2s)
        top, left = random.default_generator().integers(0, 2 * s + 1, size=(2, n))  # window corners
        rows = top[:, None, None] + np.arange(size)[None, :, None]  # (B, S, 1)
        cols = left[:, None, None] + np.arange(size)[None, None, :]  # (B, 1, S)
        return padded[np.arange(n)[:, None, None], rows, cols][:, None]  # (B, 1, S, S)
