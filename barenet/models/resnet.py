"""ResNet: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 —
the ImageNet networks of Table 1 (ResNet-18/34/50/101/152) in torchvision's layout."""
from __future__ import annotations

from .. import nn
from ._common import ZooModel, fill_docstring, kaiming_init_, names_failing_layer
from .registry import register_model

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.

    Args:
        inplanes: input channels.
        planes: output channels (``planes * expansion``).
        stride: stride of the first convolution (2 halves the map).
        downsample: the shortcut when shapes change (projection, option B); ``None`` for identity.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def residual(self, x):
        """The residual function F(x) the block learns (before the addition)."""
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.residual(x) + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) and a shortcut — the block of ResNet-50/101/152.

    Args:
        inplanes: input channels.
        planes: width of the 3x3 convolution; the block outputs ``planes * expansion``.
        stride: 2 halves the map, in the 3x3 convolution (torchvision, "ResNet v1.5") or, with
            ``stride_in_1x1``, in the first 1x1 convolution as in the paper and its Caffe models.
        downsample: the shortcut when shapes change (projection, option B); ``None`` for identity.
        stride_in_1x1: put the stride in the first 1x1 convolution.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 stride_in_1x1: bool = False):
        super().__init__()
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = conv1x1(inplanes, planes, stride_1x1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride_3x3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample
        self.stride = stride

    def residual(self, x):
        """The residual function F(x) the block learns (before the addition)."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.residual(x) + identity)


class ResNet(ZooModel):
    """A 7x7/2 stem, 3x3/2 max pooling, four stages of residual blocks, global pooling, one linear layer.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: number of blocks in each of the four stages.
        num_classes: number of output logits.
        in_channels: channels of the input image.
        zero_init_residual: start the last BatchNorm of every block at zero, so each block
            begins as the identity (Goyal et al. 2017, "Accurate, Large Minibatch SGD").
        stride_in_1x1: bottleneck blocks downsample in their first 1x1 convolution (the paper)
            instead of the 3x3 (torchvision).

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)``.

    Raises:
        ValueError: ``stride_in_1x1`` with basic blocks, which have no 1x1 convolution.
    """

    def __init__(self, block: type, layers: list[int], num_classes: int = 1000, in_channels: int = 3,
                 zero_init_residual: bool = False, stride_in_1x1: bool = False):
        super().__init__()
        if stride_in_1x1 and block is not Bottleneck:
            raise ValueError("ResNet: stride_in_1x1 applies to Bottleneck blocks only. "
                             f"Received: block={block.__name__}.")
        self.in_channels = in_channels
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        extra = {"stride_in_1x1": True} if stride_in_1x1 else {}
        self.layer1 = self._make_layer(block, 64, layers[0], 1, **extra)
        self.layer2 = self._make_layer(block, 128, layers[1], 2, **extra)
        self.layer3 = self._make_layer(block, 256, layers[2], 2, **extra)
        self.layer4 = self._make_layer(block, 512, layers[3], 2, **extra)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        kaiming_init_(self)
        if zero_init_residual:
            for m in self.modules():
                last_bn = {Bottleneck: "bn3", BasicBlock: "bn2"}.get(type(m))
                if last_bn is not None:
                    nn.init.zeros_(getattr(m, last_bn).weight)

    def _make_layer(self, block: type, planes: int, blocks: int, stride: int, **block_kwargs) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            # Projection shortcut (option B): a strided 1x1 convolution where the shape changes.
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        stage = [block(self.inplanes, planes, stride, downsample, **block_kwargs)]
        self.inplanes = planes * block.expansion
        stage += [block(self.inplanes, planes, **block_kwargs) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    @names_failing_layer
    def forward_head(self, x):
        return self.fc(self.avgpool(x).flatten(1))


_DOC = """ResNet-{depth} in torchvision's layout ({params:,} parameters at 1000 classes).

    Input 224x224 (any size works, thanks to the global pooling). Kept from the paper (Table 1):
    the 7x7/2 stem and 3x3/2 max pooling, four stages of {blocks} {kind} blocks at 64/128/256/512
    {width}, batch normalisation after every convolution, identity shortcuts with 1x1 projections
    where the shape changes (option B), global average pooling. Changed: {change}He
    initialisation in fan-out mode. State-dict keys equal torchvision's ``resnet{depth}``.
    """


def _document(depth: int, layers: list[int], bottleneck: bool, params: int):
    def decorate(fn):
        fn.__doc__ = fill_docstring(
            _DOC, depth=depth, params=params, blocks="+".join(map(str, layers)),
            kind="bottleneck" if bottleneck else "basic",
            width="widths (x4 at the block outputs)" if bottleneck else "channels",
            change="the stride-2 downsampling sits in the 3x3 convolution of a bottleneck, not the first "
                   "1x1 (torchvision's 'v1.5'; ``stride_in_1x1=True`` restores the paper); " if bottleneck else "")
        return fn
    return decorate


@register_model
@_document(18, [2, 2, 2, 2], False, 11_689_512)
def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, **kwargs)


@register_model
@_document(34, [3, 4, 6, 3], False, 21_797_672)
def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


@register_model
@_document(50, [3, 4, 6, 3], True, 25_557_032)
def resnet50(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


@register_model
@_document(101, [3, 4, 23, 3], True, 44_549_160)
def resnet101(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes, in_channels, **kwargs)


@register_model
@_document(152, [3, 8, 36, 3], True, 60_192_808)
def resnet152(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes, in_channels, **kwargs)
