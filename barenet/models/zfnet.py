"""ZFNet: Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014
(arXiv 1311.2901) — the network of Fig. 3, AlexNet with a finer first and second layer."""
from __future__ import annotations

from .. import backend, nn
from .alexnet import AlexNet
from .registry import register_model

__all__ = ["ZFNet", "renormalize_filters_", "zfnet"]


def _features(in_channels: int) -> nn.Sequential:
    # Section 3 of the paper gives no constants for its "contrast normalization across feature
    # maps"; the network is Krizhevsky's with layers 1-2 changed, so it takes AlexNet's local
    # response normalisation (n=5, k=2, alpha=1e-4 on the plain sum of squares, beta=0.75);
    # PyTorch's LocalResponseNorm divides alpha by n, hence alpha=5e-4 here.
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

    # Caffe's (and cuda-convnet's) rounding: a pooling window may hang over the bottom/right edge.
    def pool():
        return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)

    # Fig. 3's order is conv -> ReLU -> pool -> normalise (AlexNet normalises before pooling).
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, kernel_size=7, stride=2, padding=1), nn.ReLU(), pool(), lrn(),  # 110, 55
        nn.Conv2d(96, 256, kernel_size=5, stride=2), nn.ReLU(), pool(), lrn(),  # 26, 13
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),  # 13
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),  # 13
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(), pool(),  # 13, 6
    )


def _classifier(num_classes: int, dropout: float) -> nn.Sequential:
    # "Dropout is used in the fully connected layers (6 and 7) with a rate of 0.5" (Section 3).
    return nn.Sequential(
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(p=dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=dropout),
        nn.Linear(4096, num_classes),
    )


class ZFNet(AlexNet):
    """Zeiler & Fergus's network: ``features`` (conv/ReLU/pool/LRN) then ``classifier`` (fc6-fc8).

    The trunk is a flat ``nn.Sequential`` of ``Conv2d``, ``ReLU``, ``MaxPool2d`` and
    ``LocalResponseNorm`` so a deconvnet can walk it layer by layer; its pooling layers record
    the switches (argmax locations) when their ``return_indices`` is set.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        dropout: drop probability after fc6 and fc7.

    Shape:
        - Input: ``(N, in_channels, H, W)``, 224x224 in the paper (see ``zfnet``).
        - Output: ``(N, num_classes)``; ``forward_features`` gives ``(N, 256, 6, 6)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5):
        super().__init__(_features(in_channels), _classifier(num_classes, dropout), in_channels)
        # "All weights are initialized to 10^-2 and biases are set to 0" (Section 3): read, as
        # for AlexNet, as weights drawn from N(0, 0.01^2) — equal weights would never break symmetry.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)


def renormalize_filters_(model: nn.Module, radius: float = 0.1) -> None:
    """Scale every convolution filter whose RMS exceeds ``radius`` back to ``radius``, in place.

    The paper's remedy for a few first-layer filters dominating (Section 3): run it after each
    optimiser step. A filter is one output channel's weights, ``weight[o]``; its RMS is
    ``sqrt(mean(weight[o]^2))``. Biases are left alone.

    Args:
        model: any module; each ``Conv2d`` inside it is renormalised.
        radius: the largest RMS a filter keeps.

    Raises:
        ValueError: ``radius`` is not positive.

    Example:
        >>> import barenet
        >>> conv = barenet.nn.Conv2d(1, 2, 3)
        >>> conv.weight.data[...] = 1.0
        >>> renormalize_filters_(conv, radius=0.1)
        >>> round(float(conv.weight.data.max()), 6)
        0.1
    """
    if not radius > 0:
        raise ValueError(f"renormalize_filters_: radius must be positive. Received: radius={radius}.")
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            w = m.weight.data  # (C_out, C_in/groups, KH, KW)
            xp = backend.get_array_module(w)
            rms = xp.sqrt((w * w).mean(axis=(1, 2, 3), keepdims=True))  # (C_out, 1, 1, 1)
            w *= (radius / xp.maximum(rms, radius)).astype(w.dtype)


@register_model
def zfnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> ZFNet:
    """ZFNet as in Fig. 3 of the paper (62,357,608 parameters at 1000 classes).

    Input 224x224, the paper's; any side from 207 to 238 gives the 6x6 map fc6 needs. Kept from
    the paper: 96 conv1 filters 7x7 with stride 2 (AlexNet's were 11x11/4), 256 conv2 filters
    5x5 with stride 2, then AlexNet's 384/384/256 3x3 convolutions without the two-GPU grouping,
    ReLU, 3x3/2 max pooling after conv1, conv2 and conv5, contrast normalisation after the first
    two poolings, fc6 and fc7 with 4096 units and dropout 0.5, weights N(0, 0.01^2) and zero
    biases. The figure's map sizes 110, 55, 26, 13, 13, 13, 6 fix the paddings the paper does
    not state: conv1 padding 1 ((224 + 2 - 7)//2 + 1 = 110), conv2 padding 0
    ((55 - 5)//2 + 1 = 26), conv3-5 padding 1, and pooling that rounds up (``ceil_mode``, as
    Caffe and cuda-convnet do: 110 -> 55, 26 -> 13, 13 -> 6). Changed: the normalisation
    constants, which the paper omits, are AlexNet's (``LocalResponseNorm(5, alpha=5e-4,
    beta=0.75, k=2)``); the filter-RMS renormalisation of training is ``renormalize_filters_``;
    the input is expected without the paper's mean subtraction and cropping, which belong to the
    data pipeline.
    """
    return ZFNet(num_classes, in_channels, dropout)
