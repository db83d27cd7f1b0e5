"""Highway networks: Srivastava, Greff & Schmidhuber, "Highway Networks" (arXiv 1505.00387) and
"Training Very Deep Networks", NeurIPS 2015 — gated layers that let very deep plain stacks train.

A highway layer computes ``y = H(x)·T(x) + x·(1 − T(x))``: ``H`` is the plain layer (affine map
and nonlinearity), ``T(x) = sigmoid(W_T x + b_T)`` the transform gate, ``1 − T`` the carry gate.
With ``b_T`` negative the gates start nearly shut, every layer starts close to the identity, and
signals and gradients cross the whole depth (Section 2.2 of the NeurIPS paper).
"""
from __future__ import annotations

from .. import nn
from ._common import ZooModel, names_failing_layer
from .registry import register_model

__all__ = ["HighwayCNN", "HighwayConv2d", "HighwayLayer", "HighwayMLP", "highway_cnn", "highway_mlp"]

# The papers set b_T "with a negative value (e.g. -1, -3 etc.)" and tune it per network; -2 is
# the middle of that range: every gate starts at sigmoid(-2) = 0.12, each layer carries 88%.
DEFAULT_GATE_BIAS = -2.0


class _Highway(nn.Module):
    """``y = x + T(x)·(H(x) − x)``, the same as ``H·T + x·(1 − T)`` with one product fewer.

    Subclasses make ``transform`` (H's affine map) and ``gate`` (T's affine map) of equal shapes.
    The gradient needs no code of its own; through the ops it is
    ``dL/dx = dL/dy·(1 − T) + (dL/dy·T·H')·W_H + (dL/dy·(H − x)·T·(1 − T))·W_T``, whose first
    term carries the gradient unchanged wherever the gate is shut.
    """

    def __init__(self, transform: nn.Module, gate: nn.Module, activation: type, gate_bias: float):
        super().__init__()
        self.transform = transform
        self.gate = gate
        self.activation = activation()
        self.sigmoid = nn.Sigmoid()
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        h = self.activation(self.transform(x))
        t = self.sigmoid(self.gate(x))
        return x + t * (h - x)


class HighwayLayer(_Highway):
    """A fully connected highway layer: H and T are ``Linear(features, features)``.

    Args:
        features: width of input and output (a highway layer cannot change it).
        activation: the nonlinearity of H, a module class such as ``nn.ReLU`` or ``nn.Tanh``.
        gate_bias: initial ``b_T``; negative values start the layer near the identity.

    Shape:
        - Input: ``(*, features)``.
        - Output: ``(*, features)``.

    Example:
        >>> import barenet
        >>> HighwayLayer(4, gate_bias=-30.0)(barenet.ones(2, 4)).tolist()
        [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """

    def __init__(self, features: int, activation: type = nn.ReLU, gate_bias: float = DEFAULT_GATE_BIAS):
        super().__init__(nn.Linear(features, features), nn.Linear(features, features), activation, gate_bias)


class HighwayConv2d(_Highway):
    """A convolutional highway layer: H and T are ``Conv2d(channels, channels, kernel_size)``.

    "We used the same sized receptive fields for both, and zero-padding to ensure that the block
    state and transform gate feature maps match the input size" (NeurIPS paper, Section 2.2).

    Args:
        channels: channels of input and output.
        kernel_size: the odd side of H's and T's kernels; padding ``kernel_size // 2`` keeps H, W.
        activation: the nonlinearity of H, a module class.
        gate_bias: initial ``b_T`` of every gate map.

    Shape:
        - Input: ``(N, channels, H, W)``.
        - Output: ``(N, channels, H, W)``.

    Raises:
        ValueError: an even ``kernel_size``, which no symmetric padding keeps the size with.

    Example:
        >>> import barenet
        >>> HighwayConv2d(4)(barenet.zeros(2, 4, 5, 5)).shape
        (2, 4, 5, 5)
    """

    def __init__(self, channels: int, kernel_size: int = 3, activation: type = nn.ReLU,
                 gate_bias: float = DEFAULT_GATE_BIAS):
        if kernel_size % 2 != 1:
            raise ValueError(f"HighwayConv2d: kernel_size must be odd so the output keeps the input's size. "
                             f"Received: kernel_size={kernel_size}.")

        def conv():
            return nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2)
        super().__init__(conv(), conv(), activation, gate_bias)


class HighwayMLP(ZooModel):
    """A plain fully connected first layer, ``num_layers`` highway layers, a linear output layer.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        input_size: its side; the image is flattened to ``in_channels * input_size**2`` features.
        num_layers: highway layers after the first layer; the papers call the network
            ``num_layers + 1`` deep (not counting the output layer).
        width: units of every hidden layer.
        activation: the nonlinearity of the first layer and of every H.
        gate_bias: initial ``b_T`` of every gate.
        highway: False builds the plain baseline: ``Linear`` + ``activation`` in place of each
            highway layer.

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> HighwayMLP(num_layers=3).forward_features(barenet.zeros(2, 1, 28, 28)).shape
        (2, 50)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 28, num_layers: int = 9,
                 width: int = 50, activation: type = nn.ReLU, gate_bias: float = DEFAULT_GATE_BIAS,
                 highway: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Sequential(nn.Linear(in_channels * input_size * input_size, width), activation())
        if highway:
            layers = [HighwayLayer(width, activation, gate_bias) for _ in range(num_layers)]
        else:
            layers = [nn.Sequential(nn.Linear(width, width), activation()) for _ in range(num_layers)]
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(width, num_classes)

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        return self.layers(self.stem(x.flatten(1)))

    @names_failing_layer
    def forward_head(self, x):
        return self.fc(x)


class HighwayCNN(ZooModel):
    """A plain 3x3 convolution, three stages of highway convolutions split by 2x2 max pooling,
    global average pooling and a linear layer.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        num_layers: highway convolutions in all, split as evenly as the three stages allow
            (earlier stages take the remainder).
        width: channels of the first convolution and of every highway layer.
        kernel_size: odd kernel side of the highway layers' H and T.
        activation: the nonlinearity of the first convolution and of every H.
        gate_bias: initial ``b_T`` of every gate.
        highway: False builds the plain baseline (``Conv2d`` + ``activation`` per layer).

    Shape:
        - Input: ``(N, in_channels, H, W)``, at least 4x4.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> HighwayCNN().forward_features(barenet.zeros(2, 3, 32, 32)).shape
        (2, 32, 8, 8)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3, num_layers: int = 9, width: int = 32,
                 kernel_size: int = 3, activation: type = nn.ReLU, gate_bias: float = DEFAULT_GATE_BIAS,
                 highway: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), activation())

        def layer():
            if highway:
                return HighwayConv2d(width, kernel_size, activation, gate_bias)
            return nn.Sequential(nn.Conv2d(width, width, kernel_size, padding=kernel_size // 2), activation())

        sizes = [num_layers // 3 + (i < num_layers % 3) for i in range(3)]
        self.layer1 = nn.Sequential(*[layer() for _ in range(sizes[0])])
        self.layer2 = nn.Sequential(nn.MaxPool2d(2), *[layer() for _ in range(sizes[1])])
        self.layer3 = nn.Sequential(nn.MaxPool2d(2), *[layer() for _ in range(sizes[2])])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width, num_classes)

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        return self.layer3(self.layer2(self.layer1(self.stem(x))))

    @names_failing_layer
    def forward_head(self, x):
        return self.fc(self.avgpool(x).flatten(1))


@register_model
def highway_mlp(num_classes: int = 10, in_channels: int = 1, input_size: int = 28, num_layers: int = 9,
                width: int = 50, gate_bias: float = DEFAULT_GATE_BIAS) -> HighwayMLP:
    """A fully connected highway network for MNIST (85,660 parameters at the defaults).

    Input 28x28x1, flattened (``input_size`` and ``in_channels`` set other sizes). Kept from the
    papers' MNIST experiments (Fig. 1 of "Training Very Deep Networks"): a plain fully connected
    first layer, then fully connected highway layers ``y = H(x)·T(x) + x·(1 − T(x))`` with
    ``T = sigmoid(W_T x + b_T)``, 50 units each, ``b_T`` initialised negative, a softmax output
    layer; the depth (10, 20, 50 or 100 in the figure: ``num_layers`` 9, 19, 49, 99) is a
    parameter, 10 by default. Changed: ReLU for H (pass ``activation`` to ``HighwayMLP`` for
    tanh or sigmoid), PyTorch's default initialisation, ``b_T = -2`` unless asked (the papers
    tune it per network among negative values such as -1 and -3).
    """
    return HighwayMLP(num_classes, in_channels, input_size, num_layers, width, gate_bias=gate_bias)


@register_model
def highway_cnn(num_classes: int = 10, in_channels: int = 3, num_layers: int = 9, width: int = 32,
                gate_bias: float = DEFAULT_GATE_BIAS) -> HighwayCNN:
    """A convolutional highway network for CIFAR-10 (167,690 parameters at the defaults).

    Input 32x32x3 (any size from 4x4 works, thanks to the global pooling). Kept from the papers:
    a plain first convolution, then convolutional highway layers whose H and T share 3x3
    receptive fields with zero padding so the gate maps match the input, ``b_T`` initialised
    negative, max pooling to reduce the maps, a softmax output. Changed: the papers' CIFAR-10
    networks copy the layouts of FitNets (Romero et al. 2015); this compact builder has
    ``width`` channels throughout, ``num_layers`` highway layers in three stages on 32x32,
    16x16 and 8x8 maps, global average pooling into one linear layer, ReLU for H, PyTorch's
    default initialisation and ``b_T = -2`` unless asked.
    """
    return HighwayCNN(num_classes, in_channels, num_layers, width, gate_bias=gate_bias)
