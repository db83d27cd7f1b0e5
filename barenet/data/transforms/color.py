"""Pixel-value transforms: conversion, normalisation, colour jitter and AlexNet's PCA lighting noise.

They work on float ``(C, H, W)`` arrays (``ToTensor`` makes one from a PIL image or an HWC uint8 array).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _functional as F

__all__ = ["IMAGENET_MEAN", "IMAGENET_PCA_EIGVAL", "IMAGENET_PCA_EIGVEC", "IMAGENET_STD", "ColorJitter", "Lighting",
           "Normalize", "ToTensor", "pca_lighting"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The eigenvalues and eigenvectors (columns) of the covariance of ImageNet's RGB pixels in [0, 1], as
# published with fb.resnet.torch and used by torchvision's reference scripts for AlexNet-style lighting.
IMAGENET_PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_PCA_EIGVEC = ((-0.5675, 0.7192, 0.4009),
                       (-0.5808, -0.0045, -0.8140),
                       (-0.5836, -0.6948, 0.4203))
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, torchvision's rgb_to_grayscale


class ToTensor:
    """A PIL image or an HWC uint8 array -> a float32 ``(C, H, W)`` array in [0, 1].

    The result is a NumPy array, not a ``Tensor``: the ``DataLoader`` makes the batch a tensor.
    barenet's datasets already give float ``(C, H, W)`` images, so their pipelines need no ``ToTensor``.

    Raises:
        TypeError: the input is neither a PIL image nor a uint8 ``(H, W, C)`` / ``(H, W)`` array.

    Example:
        >>> import numpy as np
        >>> ToTensor()(np.full((2, 2, 3), 255, np.uint8)).shape
        (3, 2, 2)
    """

    def __call__(self, img) -> np.ndarray:
        return F.pil_to_chw(img)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Per channel ``(x - mean[c]) / std[c]``.

    Args:
        mean: one value per channel.
        std: one positive value per channel.
        inplace: write into the input array instead of a new one.

    Raises:
        ValueError: a zero std, or a channel count that differs from the input's.

    Example:
        >>> import numpy as np
        >>> Normalize((0.5,), (0.25,))(np.ones((1, 1, 2), np.float32))
        array([[[2., 2.]]], dtype=float32)
    """

    def __init__(self, mean, std, inplace: bool = False):
        try:
            self.mean, self.std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Normalize: mean and std must be sequences of numbers. Received: mean={mean!r}, "
                            f"std={std!r}.") from None
        if self.mean.ndim != 1 or self.mean.shape != self.std.shape or np.any(self.std <= 0):
            raise ValueError(f"Normalize: mean and std must be sequences of equal length with std > 0. "
                             f"Received: mean={mean!r}, std={std!r}.")
        self.inplace = inplace

    def _stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        F.check_image("Normalize", x, float_arrays=True, pil=False)
        if len(self.mean) != x.shape[0]:
            raise ValueError(f"Normalize: mean and std need one value per channel. "
                             f"Received: {len(self.mean)} values, input shape {x.shape}.")
        return self.mean.astype(x.dtype)[:, None, None], self.std.astype(x.dtype)[:, None, None]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean, std = self._stats(x)
        if self.inplace:
            x -= mean
            x /= std
            return x
        return (x - mean) / std

    def inverse(self, x: np.ndarray) -> np.ndarray:
        """Undo the normalisation: ``x * std[c] + mean[c]`` (to show a normalised image)."""
        mean, std = self._stats(x)
        return x * std + mean

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class ColorJitter:
    """Random brightness, contrast and saturation changes, applied in a random order (torchvision's).

    Each factor is drawn uniformly from ``[max(0, 1 - v), 1 + v]`` for a number ``v``, or from
    ``(min, max)``; 0 leaves the property alone. Brightness scales the pixels; contrast blends with the
    image's mean grey level; saturation blends with the grey image. Results are clipped to [0, 1].

    Args:
        brightness: the brightness spread.
        contrast: the contrast spread.
        saturation: the saturation spread (no effect on one-channel images).
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Raises:
        ValueError: a negative spread, or a range outside ``[0, inf)``.

    Example:
        >>> import numpy as np
        >>> ColorJitter(0.4, 0.4, 0.4)(np.full((3, 2, 2), 0.5, np.float32)).shape
        (3, 2, 2)
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, generator: np.random.Generator | None = None):
        self.brightness = _factor_range("brightness", brightness)
        self.contrast = _factor_range("contrast", contrast)
        self.saturation = _factor_range("saturation", saturation)
        self.generator = generator

    def __call__(self, x: np.ndarray) -> np.ndarray:
        F.check_image("ColorJitter", x, float_arrays=True, pil=False)
        rng = F.generator(self.generator)
        ops = (_adjust_brightness, _adjust_contrast, _adjust_saturation)
        ranges = (self.brightness, self.contrast, self.saturation)
        for i in rng.permutation(3):
            if ranges[i] is not None:
                x = ops[i](x, x.dtype.type(rng.uniform(*ranges[i])))
        return x

    def __repr__(self) -> str:
        return f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation})"


def _factor_range(name: str, value) -> tuple[float, float] | None:
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} must be non-negative. Received: {name}={value!r}.")
        return (max(0.0, 1.0 - value), 1.0 + value) if value else None
    lo, hi = value
    if not 0 <= lo <= hi:
        raise ValueError(f"ColorJitter: {name} as a range must be (min, max) with 0 <= min <= max. "
                         f"Received: {name}={value!r}.")
    return (float(lo), float(hi))


def _grey(x: np.ndarray) -> np.ndarray:
    """``(1, H, W)`` luminance of an RGB image; a one-channel image is its own grey."""
    if x.shape[0] != 3:
        return x[:1]
    return np.tensordot(np.asarray(_LUMA, dtype=x.dtype), x, axes=1)[None]


def _blend(x: np.ndarray, other, factor) -> np.ndarray:
    return np.clip(factor * x + (1 - factor) * other, 0, 1).astype(x.dtype, copy=False)


def _adjust_brightness(x, factor):
    return _blend(x, 0, factor)


def _adjust_contrast(x, factor):
    return _blend(x, _grey(x).mean(), factor)


def _adjust_saturation(x, factor):
    return x if x.shape[0] != 3 else _blend(x, _grey(x), factor)


class Lighting:
    """AlexNet's PCA colour augmentation: add ``eigvec @ (alpha * eigval)`` to every pixel, ``alpha ~ N(0, alphastd)``.

    "To each RGB image pixel we add [p1, p2, p3][a1 l1, a2 l2, a3 l3]^T, where p_i and l_i are the i-th
    eigenvector and eigenvalue of the 3x3 covariance matrix of RGB pixel values" (Krizhevsky et al., 2012).
    One ``alpha`` is drawn per image, so the whole image shifts along the principal colour directions.

    Args:
        alphastd: the standard deviation of ``alpha`` (0.1 in the paper).
        eigval: the three eigenvalues; ImageNet's by default (for pixels in [0, 1]).
        eigvec: 3x3, the eigenvectors as columns; ImageNet's by default. ``pca_lighting`` computes both
            for another dataset.
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Shape:
        - Input: ``(3, H, W)`` float array, before ``Normalize``. Output: the same.

    Raises:
        ValueError: eigval/eigvec of the wrong shape, or an input without three channels.

    Example:
        >>> import numpy as np
        >>> Lighting(0.1)(np.full((3, 2, 2), 0.5, np.float32)).shape
        (3, 2, 2)
    """

    def __init__(self, alphastd: float = 0.1, eigval=IMAGENET_PCA_EIGVAL, eigvec=IMAGENET_PCA_EIGVEC,
                 generator: np.random.Generator | None = None):
        self.eigval, self.eigvec = np.asarray(eigval, dtype=np.float64), np.asarray(eigvec, dtype=np.float64)
        if self.eigval.shape != (3,) or self.eigvec.shape != (3, 3) or alphastd < 0:
            raise ValueError(f"Lighting: need alphastd >= 0, eigval of shape (3,) and eigvec of shape (3, 3). "
                             f"Received: alphastd={alphastd!r}, eigval shape {self.eigval.shape}, "
                             f"eigvec shape {self.eigvec.shape}.")
        self.alphastd, self.generator = alphastd, generator

    def __call__(self, x: np.ndarray) -> np.ndarray:
        F.check_image("Lighting", x, float_arrays=True, pil=False)
        if x.shape[0] != 3:
            raise ValueError(f"Lighting: expected an RGB (3, H, W) image. Received: shape {x.shape}.")
        if self.alphastd == 0:
            return x
        alpha = F.generator(self.generator).normal(0.0, self.alphastd, size=3)
        rgb = self.eigvec @ (alpha * self.eigval)  # (3,) one shift for every pixel
        return x + rgb.astype(x.dtype)[:, None, None]

    def __repr__(self) -> str:
        return f"Lighting(alphastd={self.alphastd})"


def pca_lighting(images, max_images: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors of the covariance of RGB pixel values, for ``Lighting``.

    Accumulates the 3x3 second moments image by image, so a whole dataset never sits in memory.

    Args:
        images: a ``(N, 3, H, W)`` array, or a dataset whose items are ``(image, label)`` with ``(3, H, W)``
            float images (as barenet's datasets give them, in [0, 1]).
        max_images: use only the first ``max_images`` images.

    Returns:
        ``(eigval, eigvec)``: float64 ``(3,)`` in decreasing order and ``(3, 3)`` with the eigenvectors as columns.

    Raises:
        ValueError: no images, or images without three channels.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((4, 3, 8, 8))
        >>> eigval, eigvec = pca_lighting(x)
        >>> eigval.shape, eigvec.shape
        ((3,), (3, 3))
    """
    count, total, outer = 0, np.zeros(3), np.zeros((3, 3))
    for i in range(len(images) if max_images is None else min(max_images, len(images))):
        image = images[i] if isinstance(images, np.ndarray) else images[i][0]
        pixels = np.asarray(image, dtype=np.float64).reshape(image.shape[0], -1)  # (3, H*W)
        if pixels.shape[0] != 3:
            raise ValueError(f"pca_lighting: expected RGB (3, H, W) images. "
                             f"Received: image {i} of shape {image.shape}.")
        count, total, outer = count + pixels.shape[1], total + pixels.sum(axis=1), outer + pixels @ pixels.T
    if count == 0:
        raise ValueError("pca_lighting: expected at least one image. Received: none.")
    mean = total / count
    eigval, eigvec = np.linalg.eigh(outer / count - np.outer(mean, mean))
    return eigval[::-1].copy(), eigvec[:, ::-1].copy()
