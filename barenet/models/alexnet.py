"""AlexNet: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NeurIPS 2012 — torchvision's single-GPU variant and the paper's two-GPU network."""
from __future__ import annotations

from .. import nn
from ._common import ZooModel
from .registry import register_model

__all__ = ["AlexNet", "alexnet", "alexnet_paper"]


class AlexNet(ZooModel):
    """Five convolutions and three fully connected layers.

    Args:
        features: the convolutional trunk, ending in a ``(N, 256, 6, 6)`` map at the design size.
        classifier: the fully connected layers, from the flattened map to the logits.
        in_channels: channels of the input image.
        avgpool: the pooling between trunk and classifier (``None``: none).

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)``.
    """

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential, in_channels: int,
                 avgpool: nn.Module | None = None):
        super().__init__()
        self.in_channels = in_channels
        self.features = features
        self.avgpool = nn.Identity() if avgpool is None else avgpool
        self.classifier = classifier


def _torchvision_alexnet(num_classes: int, in_channels: int, dropout: float) -> AlexNet:
    features = nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    classifier = nn.Sequential(
        nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
    return AlexNet(features, classifier, in_channels, avgpool=nn.AdaptiveAvgPool2d((6, 6)))


def _paper_features(in_channels: int) -> nn.Sequential:
    """The paper's trunk: 227x227 input to a (N, 256, 6, 6) map, through 55, 27, 13 and 6 pixel maps."""
    def lrn():
        # The paper sums squares without dividing by n: b = a / (k + alpha * sum a^2)^beta with
        # n=5, k=2, alpha=1e-4, beta=0.75. PyTorch's LocalResponseNorm divides alpha by n, so the
        # same layer is LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2).
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

    return nn.Sequential(
        nn.Conv2d(in_channels, 96, kernel_size=11, stride=4), nn.ReLU(), lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2), nn.ReLU(), lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


def _paper_alexnet(num_classes: int, in_channels: int, dropout: float) -> AlexNet:
    # Dropout acts on the outputs of fc6 and fc7 ("dropout in the first two fully-connected layers").
    classifier = nn.Sequential(
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(p=dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=dropout),
        nn.Linear(4096, num_classes),
    )
    model = AlexNet(_paper_features(in_channels), classifier, in_channels)
    # Section 5: weights N(0, 0.01^2); biases 1 in conv2, conv4, conv5 and the hidden fc
    # layers (to give the ReLUs positive inputs early on), 0 elsewhere.
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for i, layer in enumerate(layers):
        nn.init.normal_(layer.weight, 0.0, 0.01)
        nn.init.constant_(layer.bias, 1.0 if i in (1, 3, 4, 5, 6) else 0.0)
    return model


@register_model
def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """AlexNet as torchvision builds it (61,100,840 parameters at 1000 classes).

    Input 224x224 (any size >= 63 works, thanks to the adaptive pooling). Kept from the paper:
    five convolutions with 11x11/4, 5x5 and 3x3 kernels, ReLU, overlapping 3x3/2 max pooling,
    two 4096-wide hidden layers with dropout 0.5. Changed (the single-GPU variant of
    Krizhevsky 2014, "One weird trick"): 64/192/384/256/256 filters, no grouping, no local
    response normalisation, dropout before (not after) fc6 and fc7, an ``AdaptiveAvgPool2d(6)``
    before the classifier, PyTorch's default init. State-dict keys equal torchvision's.
    """
    return _torchvision_alexnet(num_classes, in_channels, dropout)


@register_model
def alexnet_paper(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """AlexNet as in the paper and its Caffe release (60,965,224 parameters at 1000 classes).

    Input 227x227 exactly: the paper's stated 224 does not give the 6x6 map fc6 needs; Caffe's
    227 does. Kept from the paper: 96 conv1 filters 11x11/4 without padding, local response
    normalisation (n=5, k=2, alpha=1e-4, beta=0.75) after the ReLUs of conv1 and conv2,
    overlapping 3x3/2 max pooling after both normalisations and conv5, conv2/conv4/conv5 split
    into two groups (the two-GPU split, ``groups=2``), dropout 0.5 on the outputs of fc6 and
    fc7, the paper's initialisation. Changed: nothing but the input size; the input is
    expected without the paper's mean subtraction and PCA colour augmentation, which belong
    to the data pipeline.
    """
    return _paper_alexnet(num_classes, in_channels, dropout)
