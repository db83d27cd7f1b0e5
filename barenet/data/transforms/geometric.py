"""Resizing, cropping and flipping: the augmentations of AlexNet, VGG, GoogLeNet and ResNet.

Each transform takes a float ``(C, H, W)`` array or a PIL image and returns the same kind. Random ones
draw from their ``generator``, or from ``barenet.random.default_generator()`` at call time.
"""
from __future__ import annotations

import math

import numpy as np

from . import _functional as F

__all__ = ["CenterCrop", "Compose", "Pad", "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop",
           "RandomScaleJitter", "Resize"]


class Compose:
    """Apply transforms one after the other.

    Example:
        >>> import numpy as np
        >>> t = Compose([CenterCrop(4), Resize(2)])
        >>> t(np.ones((3, 6, 6), np.float32)).shape
        (3, 2, 2)
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class Resize:
    """Bilinear resize, antialiased like Pillow (torchvision's ``Resize`` on PIL images).

    Args:
        size: an int resizes the shorter side to ``size`` and keeps the aspect ratio (the longer side
            becomes ``int(size * long / short)``); a pair ``(h, w)`` gives the output size.

    Shape:
        - Input: ``(C, H, W)`` float array or a PIL image.
        - Output: ``(C, OH, OW)``, or a PIL image of that size.

    Raises:
        ValueError: ``size`` is not a positive int or pair.
        TypeError: the input is neither a float ``(C, H, W)`` array nor a PIL image.

    Example:
        >>> import numpy as np
        >>> Resize(16)(np.zeros((3, 32, 48), np.float32)).shape
        (3, 16, 24)
    """

    def __init__(self, size):
        pair = F.parse_size("Resize", size)  # validates an int as well
        self.size = int(size) if isinstance(size, (int, np.integer)) else pair

    def __call__(self, img):
        F.check_image("Resize", img, float_arrays=True)
        return F.resize(img, *output_size(img, self.size))

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


def output_size(img, size) -> tuple[int, int]:
    """``Resize``'s rule: an int sets the shorter side, a pair sets both."""
    if not isinstance(size, (int, np.integer)):
        return size
    h, w = F.image_size(img)
    if h <= w:
        return int(size), int(size * w / h)
    return int(size * h / w), int(size)


class CenterCrop:
    """Crop the centre (zero-padded first where the image is smaller than ``size``, as torchvision does).

    Args:
        size: an int for a square crop, or ``(h, w)``.

    Shape:
        - Input: ``(C, H, W)`` or a PIL image. Output: ``(C, h, w)``.

    Example:
        >>> import numpy as np
        >>> CenterCrop(2)(np.arange(16.0).reshape(1, 4, 4))[0]
        array([[ 5.,  6.],
               [ 9., 10.]])
    """

    def __init__(self, size):
        self.size = F.parse_size("CenterCrop", size)

    def __call__(self, img):
        F.check_image("CenterCrop", img)
        return center_crop(img, *self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


def center_crop(img, height: int, width: int):
    h, w = F.image_size(img)
    if height > h or width > w:
        dh, dw = max(height - h, 0), max(width - w, 0)
        img = F.pad(img, dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2)
        h, w = F.image_size(img)
    return F.crop(img, int(round((h - height) / 2)), int(round((w - width) / 2)), height, width)


class Pad:
    """Pad every side by ``padding`` pixels (an int, or (left, top, right, bottom)) with ``fill``.

    Example:
        >>> Pad(2)(np.zeros((1, 28, 28), dtype=np.float32)).shape
        (1, 32, 32)
    """

    def __init__(self, padding, fill: float = 0.0):
        self.padding = _parse_padding("Pad", padding)
        self.fill = fill

    def __call__(self, img):
        F.check_image("Pad", img)
        return F.pad(img, *self.padding, fill=self.fill)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill})"


class RandomCrop:
    """Crop at a random position, after optional padding (the CIFAR recipe: 32 with ``padding=4``).

    Args:
        size: an int for a square crop, or ``(h, w)``.
        padding: added to the borders first: an int for all four, ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``.
        pad_if_needed: pad an image smaller than ``size`` up to it instead of raising.
        fill: the constant for ``padding_mode="constant"``.
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Shape:
        - Input: ``(C, H, W)`` or a PIL image. Output: ``(C, h, w)``.

    Raises:
        ValueError: a bad size, padding or mode, or an image smaller than ``size`` (after padding).

    Example:
        >>> import numpy as np
        >>> RandomCrop(32, padding=4)(np.zeros((3, 32, 32), np.float32)).shape
        (3, 32, 32)
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0, padding_mode: str = "constant",
                 generator: np.random.Generator | None = None):
        self.size = F.parse_size("RandomCrop", size)
        self.padding = _parse_padding("RandomCrop", padding)
        if padding_mode not in F.PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {', '.join(F.PADDING_MODES)}. "
                             f"Received: padding_mode={padding_mode!r}.")
        self.pad_if_needed, self.fill, self.padding_mode, self.generator = pad_if_needed, fill, padding_mode, generator

    def __call__(self, img):
        F.check_image("RandomCrop", img)
        if any(self.padding):
            img = F.pad(img, *self.padding, fill=self.fill, padding_mode=self.padding_mode)
        (h, w), (th, tw) = F.image_size(img), self.size
        if self.pad_if_needed and (h < th or w < tw):
            dh, dw = max(th - h, 0), max(tw - w, 0)
            img = F.pad(img, dw, dh, dw, dh, fill=self.fill, padding_mode=self.padding_mode)
            h, w = F.image_size(img)
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: the crop must fit inside the (padded) image. "
                             f"Received: size={self.size}, image size={(h, w)}.")
        rng = F.generator(self.generator)
        top, left = int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1))
        return F.crop(img, top, left, th, tw)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, padding_mode={self.padding_mode!r})"


def _parse_padding(owner: str, padding) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` from torchvision's three spellings."""
    if padding is None and owner == "RandomCrop":
        return (0, 0, 0, 0)
    values = (padding,) if isinstance(padding, (int, np.integer)) else tuple(padding) if isinstance(padding, (tuple, list)) else ()
    if len(values) not in (1, 2, 4) or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in values):
        raise ValueError(f"{owner}: padding must be a non-negative int, (left/right, top/bottom) or "
                         f"(left, top, right, bottom). Received: padding={padding!r}.")
    return tuple(int(v) for v in (values * 4 if len(values) == 1 else values * 2 if len(values) == 2 else values))


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (AlexNet's "horizontal reflections").

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.array([[[1.0, 2.0, 3.0]]]))
        array([[[3., 2., 1.]]])
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must lie in [0, 1]. Received: p={p!r}.")
        self.p, self.generator = p, generator

    def __call__(self, img):
        F.check_image("RandomHorizontalFlip", img)
        return F.hflip(img) if F.generator(self.generator).random() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomResizedCrop:
    """A crop of random area and aspect ratio, resized to ``size`` (GoogLeNet's "Inception" augmentation).

    The crop covers a fraction of the image's area drawn from ``scale`` and has an aspect ratio drawn
    log-uniformly from ``ratio``; after ten failed draws it falls back to a centre crop (torchvision's rule).

    Args:
        size: output size, an int or ``(h, w)``.
        scale: range of the crop's area as a fraction of the image's.
        ratio: range of the crop's width / height.
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Shape:
        - Input: ``(C, H, W)`` float array or a PIL image. Output: ``(C, h, w)``.

    Example:
        >>> import numpy as np
        >>> RandomResizedCrop(8)(np.zeros((3, 20, 30), np.float32)).shape
        (3, 8, 8)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), generator: np.random.Generator | None = None):
        self.size = F.parse_size("RandomResizedCrop", size)
        for name, (lo, hi) in (("scale", scale), ("ratio", ratio)):
            if not 0 < lo <= hi:
                raise ValueError(f"RandomResizedCrop: {name} must be (min, max) with 0 < min <= max. "
                                 f"Received: {name}={(lo, hi)}.")
        self.scale, self.ratio, self.generator = tuple(scale), tuple(ratio), generator

    def get_params(self, img) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the crop."""
        h, w = F.image_size(img)
        rng, log_ratio = F.generator(self.generator), np.log(self.ratio)
        for _ in range(10):
            area = h * w * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(*log_ratio))
            cw, ch = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
        cw, ch = w, h
        if w / h < self.ratio[0]:
            ch = int(round(w / self.ratio[0]))
        elif w / h > self.ratio[1]:
            cw = int(round(h * self.ratio[1]))
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        F.check_image("RandomResizedCrop", img, float_arrays=True)
        return F.resize(F.crop(img, *self.get_params(img)), *self.size)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class RandomScaleJitter:
    """VGG's scale jittering: resize the shorter side to ``S`` drawn uniformly from ``[smin, smax]``.

    Follow it with ``RandomCrop(224)`` (and a flip) for VGG's training crops (Simonyan & Zisserman, 2014).

    Args:
        smin: the smallest training scale.
        smax: the largest training scale.
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Shape:
        - Input: ``(C, H, W)`` float array or a PIL image. Output: ``(C, OH, OW)``, ``min(OH, OW) = S``.

    Example:
        >>> import numpy as np
        >>> t = Compose([RandomScaleJitter(12, 16), RandomCrop(10)])
        >>> t(np.zeros((3, 8, 8), np.float32)).shape
        (3, 10, 10)
    """

    def __init__(self, smin: int = 256, smax: int = 512, generator: np.random.Generator | None = None):
        if not (isinstance(smin, (int, np.integer)) and isinstance(smax, (int, np.integer)) and 0 < smin <= smax):
            raise ValueError(f"RandomScaleJitter: need integers 0 < smin <= smax. "
                             f"Received: smin={smin!r}, smax={smax!r}.")
        self.smin, self.smax, self.generator = int(smin), int(smax), generator

    def __call__(self, img):
        F.check_image("RandomScaleJitter", img, float_arrays=True)
        scale = int(F.generator(self.generator).integers(self.smin, self.smax + 1))
        return F.resize(img, *output_size(img, scale))

    def __repr__(self) -> str:
        return f"RandomScaleJitter(smin={self.smin}, smax={self.smax})"
