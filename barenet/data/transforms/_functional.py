"""The array and Pillow operations the transforms are built from; images are ``(C, H, W)`` arrays or PIL images."""
from __future__ import annotations

import math

import numpy as np

from ... import random

try:  # Pillow is optional (barenet[cli]); only PIL inputs need it
    from PIL import Image
except ImportError:  # pragma: no cover - exercised only without Pillow
    Image = None

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def generator(gen: np.random.Generator | None) -> np.random.Generator:
    """The transform's own generator, else barenet's default one, looked up at call time so that
    ``barenet.manual_seed`` (which replaces the default generator) takes effect."""
    return gen if gen is not None else random.default_generator()


def is_pil(img) -> bool:
    return Image is not None and isinstance(img, Image.Image)


def check_image(owner: str, img, float_arrays: bool = False, pil: bool = True) -> None:
    """Accept a ``(C, H, W)`` array (floating only, if ``float_arrays``) or, if ``pil``, a PIL image."""
    if pil and is_pil(img):
        return
    if isinstance(img, np.ndarray) and img.ndim == 3 and (img.dtype.kind == "f" or not float_arrays):
        if 0 in img.shape:
            raise ValueError(f"{owner}: the image is empty. Received: an array of shape {img.shape}.")
        return
    what = f"{img.dtype} array of shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
    expected = ("a float" if float_arrays else "a") + " (C, H, W) array" + (" or a PIL image" if pil else "")
    raise TypeError(f"{owner}: expected {expected} (ToTensor turns a PIL image or an HWC uint8 array into one). "
                    f"Received: {what}.")


def image_size(img) -> tuple[int, int]:
    """(H, W) of a PIL image or a (C, H, W) array."""
    return (img.height, img.width) if is_pil(img) else img.shape[-2:]


def parse_size(owner: str, size, name: str = "size") -> tuple[int, int]:
    """An int ``s`` -> ``(s, s)``; a pair -> ``(h, w)``; both positive."""
    if isinstance(size, (int, np.integer)):
        pair = (size, size)
    else:
        pair = tuple(size) if isinstance(size, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in pair):
        raise ValueError(f"{owner}: {name} must be a positive int or a pair (h, w) of them. Received: {name}={size!r}.")
    return int(pair[0]), int(pair[1])


def crop(img, top: int, left: int, height: int, width: int):
    if is_pil(img):
        return img.crop((left, top, left + width, top + height))
    return img[:, top:top + height, left:left + width]


def hflip(img):
    if is_pil(img):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img[:, :, ::-1].copy()


def pad(img, left: int, top: int, right: int, bottom: int, fill=0, padding_mode: str = "constant"):
    """Pad the two spatial dimensions (NumPy's modes; a PIL image goes through an array and back)."""
    if is_pil(img):
        array = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)  # (H, W[, C])
    else:
        array, widths = img, [(0, 0), (top, bottom), (left, right)]
    kwargs = {"constant_values": fill} if padding_mode == "constant" else {}
    out = np.pad(array, widths, mode=padding_mode, **kwargs)
    return Image.fromarray(out) if is_pil(img) else out


def resize(img, height: int, width: int):
    """Bilinear resize with Pillow's antialiasing (the triangle filter widens when shrinking)."""
    if is_pil(img):
        return img.resize((width, height), Image.Resampling.BILINEAR)
    return _resample(_resample(img, width, axis=2), height, axis=1)


def _resample(x: np.ndarray, out_size: int, axis: int) -> np.ndarray:
    """Resample one axis as Pillow's ``precompute_coeffs`` does: output pixel o is centred on input
    coordinate ``(o + 0.5) * scale`` and averages its neighbours with a triangle filter of radius
    ``max(scale, 1)``, so shrinking averages every input pixel instead of skipping some."""
    in_size = x.shape[axis]
    if in_size == out_size:
        return x
    index, weight = _bilinear_taps(in_size, out_size)  # (O, K) each
    weight = weight.astype(x.dtype)
    bshape = [1] * x.ndim
    bshape[axis] = out_size
    out = np.zeros(x.shape[:axis] + (out_size,) + x.shape[axis + 1:], dtype=x.dtype)
    for k in range(index.shape[1]):  # loop over filter taps, like a convolution's kernel offsets
        out += np.take(x, index[:, k], axis=axis) * weight[:, k].reshape(bshape)
    return out


def _bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = filter_scale  # the triangle filter's radius is 1 input pixel, widened when shrinking
    taps = 2 * math.ceil(support) + 1
    center = (np.arange(out_size) + 0.5) * scale  # (O,)
    first = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    last = np.minimum(np.trunc(center + support + 0.5), in_size).astype(np.int64)  # exclusive
    index = first[:, None] + np.arange(taps)  # (O, K)
    weight = np.maximum(1 - np.abs((index - center[:, None] + 0.5) / filter_scale), 0)
    weight[index >= last[:, None]] = 0
    weight /= weight.sum(axis=1, keepdims=True)
    return np.minimum(index, in_size - 1), weight


def pil_to_chw(img) -> np.ndarray:
    """A PIL image or an HWC / HW uint8 array -> a float32 ``(C, H, W)`` array in [0, 1]."""
    array = np.asarray(img)
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise TypeError(f"ToTensor: expected a PIL image or a uint8 (H, W, C) / (H, W) array; barenet's datasets "
                        f"already give float32 (C, H, W) images in [0, 1], which need no ToTensor. "
                        f"Received: {array.dtype} array of shape {array.shape}.")
    array = array[:, :, None] if array.ndim == 2 else array
    return np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32) / np.float32(255)
