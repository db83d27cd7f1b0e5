"""Transforms as the classic papers used them, on float ``(C, H, W)`` arrays (and PIL images where natural).

Training: ``RandomCrop`` with padding (CIFAR), ``RandomHorizontalFlip`` (AlexNet), ``RandomScaleJitter``
(VGG), ``RandomResizedCrop`` (GoogLeNet, ResNet), ``ColorJitter``, ``Lighting`` (AlexNet's PCA noise).
Evaluation: ``Resize``, ``CenterCrop``, ``FiveCrop``/``TenCrop`` and ``multi_crop_predict``.
Random transforms draw from their ``generator`` or, at call time, from ``barenet.random.default_generator()``,
so ``barenet.manual_seed`` makes a pipeline reproducible.

Example:
    >>> import numpy as np, barenet
    >>> from barenet.data import transforms as T
    >>> train = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
    ...                    T.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    >>> _ = barenet.manual_seed(0)
    >>> train(np.zeros((3, 32, 32), np.float32)).shape
    (3, 32, 32)
"""
from .color import *  # noqa: F401,F403
from .color import __all__ as _color_all
from .geometric import *  # noqa: F401,F403
from .geometric import __all__ as _geometric_all
from .multicrop import *  # noqa: F401,F403
from .multicrop import __all__ as _multicrop_all

__all__ = list(_geometric_all) + list(_color_all) + list(_multicrop_all)
