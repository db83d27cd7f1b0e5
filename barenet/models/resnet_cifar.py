"""The CIFAR-10 networks of He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
Section 4.2: ResNet-20/32/44/56/110/1202 and the plain nets of the degradation experiment."""
from __future__ import annotations

from .. import backend, nn
from ..autograd import Tensor, cat
from ._common import ZooModel, fill_docstring, kaiming_init_, names_failing_layer
from .registry import register_model
from .resnet import BasicBlock

__all__ = ["CifarResNet", "PlainBlock", "ZeroPadShortcut", "resnet20", "resnet32", "resnet44", "resnet56",
           "resnet110", "resnet1202", "plain20", "plain32", "plain44", "plain56"]


class ZeroPadShortcut(nn.Module):
    """The paper's option A shortcut: keep every ``stride``-th pixel, append zero channels. No parameters.

    Args:
        in_planes: input channels.
        planes: output channels (at least ``in_planes``).
        stride: spatial subsampling factor.

    Shape:
        - Input: ``(N, in_planes, H, W)``.
        - Output: ``(N, planes, ceil(H / stride), ceil(W / stride))``, matching a 3x3/stride
          convolution with padding 1.

    Example:
        >>> import barenet
        >>> ZeroPadShortcut(16, 32, 2)(barenet.ones(1, 16, 7, 7)).shape
        (1, 32, 4, 4)
    """

    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.in_planes, self.planes, self.stride = in_planes, planes, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        if self.planes == self.in_planes:
            return x
        xp = backend.get_array_module(x.data)
        zeros = Tensor._wrap(xp.zeros((x.shape[0], self.planes - self.in_planes) + x.shape[2:], dtype=x.dtype))
        return cat([x, zeros], dim=1)

    def extra_repr(self) -> str:
        return f"{self.in_planes}, {self.planes}, stride={self.stride}"


class PlainBlock(BasicBlock):
    """``BasicBlock`` without its shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))))``."""

    def forward(self, x):
        return self.relu(self.residual(x))


class CifarResNet(ZooModel):
    """A 3x3 stem, three stages of ``n`` two-layer blocks at 16/32/64 channels, global pooling, one linear layer.

    Args:
        block: ``BasicBlock`` (residual) or ``PlainBlock`` (no shortcuts).
        n: blocks per stage; the network has ``6n + 2`` weighted layers.
        num_classes: number of output logits.
        in_channels: channels of the input image.

    Shape:
        - Input: ``(N, in_channels, H, W)``, 32x32 in the paper.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> resnet20()(barenet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """

    def __init__(self, block: type, n: int, num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        self.in_channels = in_channels
        self.inplanes = 16
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = self._make_stage(block, 16, n, 1)
        self.layer2 = self._make_stage(block, 32, n, 2)
        self.layer3 = self._make_stage(block, 64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        kaiming_init_(self)

    def _make_stage(self, block: type, planes: int, blocks: int, stride: int) -> nn.Sequential:
        shortcut = None
        if block is not PlainBlock and (stride != 1 or self.inplanes != planes):
            shortcut = ZeroPadShortcut(self.inplanes, planes, stride)
        stage = [block(self.inplanes, planes, stride, shortcut)]
        self.inplanes = planes
        stage += [block(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        x = self.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))

    @names_failing_layer
    def forward_head(self, x):
        return self.fc(self.avgpool(x).flatten(1))


_DOC = """{kind}-{depth} for CIFAR-10 ({params:,} parameters at 10 classes; n={n}).

    Input 32x32 (other sizes work, thanks to the global pooling). Kept from the paper: a 3x3
    convolution with 16 filters, then 3 stages of {n} blocks of two 3x3 convolutions at 16, 32
    and 64 channels on 32x32, 16x16 and 8x8 maps, downsampling by stride-2 convolutions, batch
    normalisation after every convolution, {shortcut} global average pooling and a 10-way
    linear layer. Changed: He initialisation in fan-out mode rather than fan-in.
    """


def _document(depth: int, residual: bool):
    n = (depth - 2) // 6
    shortcut = ("identity shortcuts everywhere (option A: stride-2 subsampling and zero channels "
                "where the shape changes, no parameters)," if residual else "no shortcuts (the plain baseline),")
    # 6n + 2 layers: the stem, 2n convolutions per stage, the linear layer; the closed form
    # below is the sum of their weights and BatchNorm affine parameters.
    params = 97_216 * n - 21_926

    def decorate(fn):
        fn.__doc__ = fill_docstring(_DOC, kind="ResNet" if residual else "Plain", depth=depth, n=n,
                                    params=params, shortcut=shortcut)
        return fn
    return decorate


@register_model
@_document(20, True)
def resnet20(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 3, num_classes, in_channels)


@register_model
@_document(32, True)
def resnet32(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 5, num_classes, in_channels)


@register_model
@_document(44, True)
def resnet44(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 7, num_classes, in_channels)


@register_model
@_document(56, True)
def resnet56(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 9, num_classes, in_channels)


@register_model
@_document(110, True)
def resnet110(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 18, num_classes, in_channels)


@register_model
@_document(1202, True)
def resnet1202(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(BasicBlock, 200, num_classes, in_channels)


@register_model
@_document(20, False)
def plain20(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(PlainBlock, 3, num_classes, in_channels)


@register_model
@_document(32, False)
def plain32(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(PlainBlock, 5, num_classes, in_channels)


@register_model
@_document(44, False)
def plain44(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(PlainBlock, 7, num_classes, in_channels)


@register_model
@_document(56, False)
def plain56(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    return CifarResNet(PlainBlock, 9, num_classes, in_channels)
