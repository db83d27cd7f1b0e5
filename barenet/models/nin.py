"""Network in Network: Lin, Chen & Yan, "Network In Network", ICLR 2014 (arXiv 1312.4400) —
the CIFAR-10 network the authors released (cuda-convnet and Caffe model zoo configurations)."""
from __future__ import annotations

from .. import nn
from ._common import ZooModel, names_failing_layer
from .registry import register_model

__all__ = ["MlpConv", "NiN", "nin_cifar"]


class MlpConv(nn.Sequential):
    """An mlpconv layer: a KxK convolution, then two 1x1 convolutions, ReLU after each.

    The 1x1 convolutions are the paper's "micro network": the same two-layer perceptron applied
    to the feature vector at every position (its "cascaded cross channel parametric pooling").

    Args:
        in_channels: channels of the input map.
        channels: output channels of the KxK convolution and of the two 1x1 convolutions.
        kernel_size: K, the size of the first convolution.
        padding: its padding; ``kernel_size // 2`` keeps the map size.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, channels[2], H + 2*padding - K + 1, W + 2*padding - K + 1)``.

    Example:
        >>> import barenet
        >>> MlpConv(3, (8, 6, 4), 5, padding=2)(barenet.zeros(1, 3, 9, 9)).shape
        (1, 4, 9, 9)
    """

    def __init__(self, in_channels: int, channels: tuple[int, int, int], kernel_size: int, padding: int):
        conv, cccp1, cccp2 = channels
        super().__init__(
            nn.Conv2d(in_channels, conv, kernel_size, padding=padding), nn.ReLU(),
            nn.Conv2d(conv, cccp1, 1), nn.ReLU(),
            nn.Conv2d(cccp1, cccp2, 1), nn.ReLU(),
        )


class NiN(ZooModel):
    """Three mlpconv layers with pooling and dropout between them, then global average pooling.

    The last mlpconv layer has one map per class; ``forward_features`` returns these class
    confidence maps and ``forward_head`` averages each to its logit — the head has no parameters.

    Args:
        num_classes: number of output logits (maps of the last mlpconv layer).
        in_channels: channels of the input image.
        dropout: drop probability after the first and second mlpconv blocks.

    Shape:
        - Input: ``(N, in_channels, H, W)``, 32x32 for CIFAR-10.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> NiN().forward_features(barenet.zeros(2, 3, 32, 32)).shape
        (2, 10, 8, 8)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        self.in_channels = in_channels
        # Pooling rounds up as cuda-convnet and Caffe do: 32 -> 16 -> 8.
        self.features = nn.Sequential(
            MlpConv(in_channels, (192, 160, 96), 5, padding=2),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), nn.Dropout(p=dropout),
            MlpConv(96, (192, 192, 192), 5, padding=2),
            nn.AvgPool2d(kernel_size=3, stride=2, ceil_mode=True), nn.Dropout(p=dropout),
            MlpConv(192, (192, 192, num_classes), 3, padding=1),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))

    @names_failing_layer
    def forward_head(self, x):
        return self.avgpool(x).flatten(1)


@register_model
def nin_cifar(num_classes: int = 10, in_channels: int = 3, dropout: float = 0.5) -> NiN:
    """Network in Network for CIFAR-10 (966,986 parameters at 10 classes).

    Input 32x32 (other sizes work, thanks to the global pooling). Kept from the paper and the
    authors' released CIFAR-10 configuration: three mlpconv layers — a 5x5 convolution with 192
    filters and 1x1 convolutions with 160 and 96; 5x5 with 192, then 192 and 192; 3x3 with 192,
    then 192 and ``num_classes`` — ReLU after every convolution, 3x3/2 max pooling after the
    first layer and 3x3/2 average pooling after the second (both rounding up, 32 -> 16 -> 8),
    dropout 0.5 on the outputs of the first two mlpconv layers, and global average pooling of
    the ``num_classes`` maps straight into the softmax: no fully connected layer. Changed:
    PyTorch's default initialisation instead of the release's fixed small Gaussians; global
    pooling is adaptive rather than the release's fixed 8x8 window; the input is expected without
    the paper's global contrast normalisation and ZCA whitening, which belong to the data
    pipeline.
    """
    return NiN(num_classes, in_channels, dropout)
