"""GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, in
torchvision's layout (with batch normalisation, as torchvision builds it)."""
from __future__ import annotations

from collections import namedtuple

from .. import nn
from ..autograd import cat
from ._common import ZooModel, names_failing_layer
from .registry import register_model

__all__ = ["BasicConv2d", "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = "The training-mode output: main logits and both auxiliary classifiers' logits."


class BasicConv2d(nn.Module):
    """Convolution without bias, BatchNorm (eps=0.001), ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four parallel branches — 1x1; 1x1 then 3x3; 1x1 then "5x5"; 3x3 max pool then 1x1 — concatenated.

    The "5x5" branch uses a 3x3 kernel, as torchvision's weights (ported from TensorFlow) do.

    Args:
        in_channels: input channels.
        ch1x1: output channels of the 1x1 branch.
        ch3x3red: the 1x1 reduction before the 3x3.
        ch3x3: output channels of the 3x3 branch.
        ch5x5red: the 1x1 reduction before the "5x5".
        ch5x5: output channels of the "5x5" branch.
        pool_proj: output channels of the 1x1 after the pooling.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate map: 4x4 average pooling, 1x1 conv, two linear layers.

    Args:
        in_channels: channels of the map it reads.
        num_classes: number of output logits.
        dropout: drop probability before the last linear layer.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(p=dropout)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.conv(self.avgpool(x)).flatten(1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNet(ZooModel):
    """The 22-layer Inception network, with auxiliary classifiers after inception4a and inception4d.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        aux_logits: build the auxiliary classifiers ``aux1``/``aux2``; they run in training mode only.
        transform_input: map inputs normalised with ImageNet's mean and std to the (x - 0.5) / 0.5
            scaling the TensorFlow-ported weights expect (3 channels only).
        dropout: drop probability before the final linear layer.
        dropout_aux: drop probability inside the auxiliary classifiers.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)`` in eval mode; in training mode with ``aux_logits`` a
          ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``, each ``(N, num_classes)``.

    Raises:
        ValueError: ``transform_input`` with an input that does not have 3 channels.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = True,
                 transform_input: bool = False, dropout: float = 0.2, dropout_aux: float = 0.7):
        super().__init__()
        if transform_input and in_channels != 3:
            raise ValueError(f"GoogLeNet: transform_input needs 3 input channels. Received: in_channels={in_channels}.")
        self.in_channels = in_channels
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _transform_input(self, x):
        # (x * std + mean - 0.5) / 0.5 per channel, with ImageNet's mean and std.
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        return cat([x[:, c:c + 1] * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5 for c in range(3)], dim=1)

    def _run_trunk(self, x, with_aux: bool):
        self.check_input(x)
        if self.transform_input:
            x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if with_aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if with_aux else None
        x = self.maxpool4(self.inception4e(x))
        return self.inception5b(self.inception5a(x)), aux1, aux2

    @names_failing_layer
    def forward_features(self, x):
        return self._run_trunk(x, with_aux=False)[0]

    @names_failing_layer
    def forward_head(self, x):
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))

    @names_failing_layer
    def forward(self, x):
        x, aux1, aux2 = self._run_trunk(x, with_aux=self.training and self.aux_logits)
        logits = self.forward_head(x)
        return GoogLeNetOutputs(logits, aux2, aux1) if self.training and self.aux_logits else logits


@register_model
def googlenet(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> GoogLeNet:
    """GoogLeNet in torchvision's layout (13,004,888 parameters at 1000 classes, 6,624,904 without aux).

    Input 224x224 (any size >= 15 works, thanks to the adaptive pooling). Kept from the paper
    (Table 1): the stem, nine Inception modules with the paper's branch widths, max pooling
    between the stages, two auxiliary classifiers on inception4a and inception4d (4x4 pooling,
    128-channel 1x1 conv, a 1024-wide layer, dropout 0.7) that run only in training, global
    average pooling, dropout and one linear layer. Changed (torchvision's port of the TensorFlow
    weights): batch normalisation after every convolution and no local response normalisation,
    a 3x3 instead of 5x5 kernel in the third branch, dropout 0.2 instead of 0.4, adaptive
    instead of 5x5/3 average pooling in the auxiliary classifiers, truncated-normal init.
    ``transform_input`` defaults to False, as in torchvision without pretrained weights.
    State-dict keys equal torchvision's ``googlenet``.
    """
    return GoogLeNet(num_classes, in_channels, **kwargs)
