"""Test-time multi-crop evaluation: AlexNet's ten crops and GoogLeNet's averaged softmax over crops."""
from __future__ import annotations

import numpy as np

from ...autograd import no_grad, tensor
from ...functional import softmax
from . import _functional as F
from .geometric import center_crop

__all__ = ["FiveCrop", "TenCrop", "multi_crop_predict"]


def five_crop(x: np.ndarray, height: int, width: int, owner: str = "FiveCrop") -> np.ndarray:
    """The four corner crops and the centre crop, in torchvision's order: top-left, top-right,
    bottom-left, bottom-right, centre. Returns ``(5, C, height, width)``."""
    h, w = x.shape[-2:]
    if height > h or width > w:
        raise ValueError(f"{owner}: the crop must fit inside the image. Received: size={(height, width)}, "
                         f"image size={(h, w)}.")
    corners = [(0, 0), (0, w - width), (h - height, 0), (h - height, w - width)]
    crops = [F.crop(x, top, left, height, width) for top, left in corners]
    return np.stack(crops + [center_crop(x, height, width)])


class FiveCrop:
    """The four corners and the centre, stacked into one batch.

    Args:
        size: an int for square crops, or ``(h, w)``.

    Shape:
        - Input: ``(C, H, W)``. Output: ``(5, C, h, w)``.

    Raises:
        ValueError: the crop is larger than the image.
        TypeError: the input is not a ``(C, H, W)`` array.

    Example:
        >>> import numpy as np
        >>> FiveCrop(3)(np.zeros((1, 4, 5), np.float32)).shape
        (5, 1, 3, 3)
    """

    def __init__(self, size):
        self.size = F.parse_size("FiveCrop", size)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        F.check_image("FiveCrop", x, pil=False)
        return five_crop(x, *self.size)

    def __repr__(self) -> str:
        return f"FiveCrop(size={self.size})"


class TenCrop:
    """``FiveCrop`` of the image, then of its mirror image (AlexNet's test-time ten patches).

    Args:
        size: an int for square crops, or ``(h, w)``.
        vertical_flip: mirror top-bottom instead of left-right for the second five.

    Shape:
        - Input: ``(C, H, W)``. Output: ``(10, C, h, w)``: five crops of the image, then the same five
          positions in the flipped image.

    Raises:
        ValueError: the crop is larger than the image.
        TypeError: the input is not a ``(C, H, W)`` array.

    Example:
        >>> import numpy as np
        >>> TenCrop(224)(np.zeros((3, 256, 256), np.float32)).shape
        (10, 3, 224, 224)
    """

    def __init__(self, size, vertical_flip: bool = False):
        self.size = F.parse_size("TenCrop", size)
        self.vertical_flip = vertical_flip

    def __call__(self, x: np.ndarray) -> np.ndarray:
        F.check_image("TenCrop", x, pil=False)
        flipped = x[:, ::-1, :] if self.vertical_flip else x[:, :, ::-1]
        return np.concatenate([five_crop(x, *self.size, owner="TenCrop"), five_crop(flipped, *self.size, owner="TenCrop")])

    def __repr__(self) -> str:
        return f"TenCrop(size={self.size}, vertical_flip={self.vertical_flip})"


def multi_crop_predict(model, image: np.ndarray, crops) -> np.ndarray:
    """Class probabilities of one image averaged over crops: softmax of each crop's logits, then the mean
    (GoogLeNet's test-time averaging; AlexNet averaged over ``TenCrop``'s patches).

    The model runs once on the batch of crops, under ``no_grad``. Put it in eval mode first.

    Args:
        model: a module (or any callable) mapping a ``(K, C, h, w)`` Tensor to ``(K, num_classes)`` logits.
        image: one ``(C, H, W)`` float image, normalised as the model expects.
        crops: a callable returning the ``(K, C, h, w)`` crops of an image, e.g. ``TenCrop(224)``.

    Shape:
        - image: ``(C, H, W)``. Returns: ``(num_classes,)``.

    Returns:
        The averaged probabilities, a NumPy array summing to 1.

    Raises:
        ValueError: ``crops`` did not return a ``(K, C, h, w)`` batch.

    Example:
        >>> import numpy as np, barenet
        >>> model = lambda x: barenet.tensor(np.zeros((x.shape[0], 4), np.float32))
        >>> multi_crop_predict(model, np.zeros((3, 8, 8), np.float32), FiveCrop(6))
        array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """
    batch = crops(image)
    if not isinstance(batch, np.ndarray) or batch.ndim != 4:
        what = f"shape {batch.shape}" if isinstance(batch, np.ndarray) else type(batch).__name__
        raise ValueError(f"multi_crop_predict: crops must return a (K, C, h, w) array. Received: {what}.")
    with no_grad():
        probs = softmax(model(tensor(batch)), dim=1)  # (K, num_classes)
    return probs.numpy().mean(axis=0)
