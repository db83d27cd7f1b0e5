"""LeNet-5: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proc. IEEE 1998 — the paper's network, and its modern ReLU/max-pool variant."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import backend, functional as F, nn, random
from ..autograd import Function, Tensor
from ._common import ZooModel, names_failing_layer
from .registry import register_model

__all__ = ["C3_TABLE", "EuclideanRBF", "LeNet5", "PartialConv2d", "ScaledTanh", "Subsampling", "lenet5",
           "lenet5_relu", "rbf_prototypes"]

# Table I of the paper: the S2 maps (0-5) each C3 map (0-15) combines. Maps 0-5 see three
# contiguous maps, 6-11 four contiguous, 12-14 four non-contiguous, 15 all six.
C3_TABLE = ((0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
            (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
            (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
            (0, 1, 2, 3, 4, 5))

# Stylised 7x12 digit bitmaps for the RBF prototypes (figure 3 of the paper shows its own; these
# are drawn in the same spirit): '#' is +1, '.' is -1. Digits 0-9 side by side, one row a line.
_DIGIT_BITMAPS = """
....... ....... ....... ....... ....... ....... ....... ....... ....... .......
..###.. ...#... ..###.. .####.. ....#.. ####### ..###.. ####### ..###.. ..###..
.#...#. ..##... .#...#. #....#. ...##.. #...... .#..... ......# .#...#. .#...#.
#.....# .#.#... #.....# ......# ..#.#.. #...... #...... .....#. #.....# #.....#
#.....# ...#... ......# .....#. .#..#.. #####.. #...... ....#.. .#...#. #.....#
#.....# ...#... .....#. ..###.. #...#.. .....#. #.###.. ....#.. ..###.. .#...##
#.....# ...#... ....#.. .....#. ####### ......# ##...#. ...#... .#...#. ..###.#
#.....# ...#... ...#... ......# ....#.. ......# #.....# ...#... #.....# ......#
#.....# ...#... ..#.... ......# ....#.. ......# #.....# ..#.... #.....# ......#
.#...#. ...#... .#..... #....#. ....#.. #....#. .#...#. ..#.... .#...#. .....#.
..###.. .#####. ####### .####.. ....#.. .####.. ..###.. ..#.... ..###.. ..###..
....... ....... ....... ....... ....... ....... ....... ....... ....... .......
"""

_A, _S = 1.7159, 2.0 / 3.0  # f(a) = A tanh(S a): f(1) = 1, f(-1) = -1 (appendix A)


def rbf_prototypes(num_classes: int) -> np.ndarray:
    """The fixed ±1 RBF centres, shape ``(num_classes, 84)``.

    Ten classes get the stylised 7x12 digit bitmaps above, as the paper does; any other count
    gets ±1 codes drawn once from a generator with a fixed seed (the paper's alternative:
    "chosen at random with equal probabilities for -1 and +1").
    """
    if num_classes == 10:
        rows = [line.split() for line in _DIGIT_BITMAPS.strip().splitlines()]  # 12 rows of 10 glyph rows
        glyphs = np.array([[list(row[d]) for row in rows] for d in range(10)])  # (10, 12, 7)
        return np.where(glyphs == "#", 1.0, -1.0).reshape(10, 84)
    return np.random.default_rng(1998).choice([-1.0, 1.0], size=(num_classes, 84))


class ScaledTanh(nn.Module):
    """LeCun's squashing function ``f(a) = 1.7159 tanh(2a/3)`` (appendix A of the paper)."""

    def forward(self, x):
        return F.tanh(x * _S) * _A


def _paper_init_(tensor, fan_in) -> None:
    """The paper's init: U(-2.4/F, 2.4/F), F the fan-in of the unit the weight feeds (a number,
    or one per entry of the first dimension)."""
    bound = 2.4 / np.asarray(fan_in, dtype=np.float64).reshape((-1,) + (1,) * (tensor.ndim - 1))
    values = random.default_generator().uniform(-1.0, 1.0, tensor.shape) * bound
    tensor.data[...] = backend.to_device(values.astype(tensor.dtype), tensor.device)


class Subsampling(nn.Module):
    """S2 and S4: each map's non-overlapping 2x2 sums times a trainable coefficient, plus a
    trainable bias (two parameters per map); the squashing function follows as its own layer.

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: ``(N, C, H // 2, W // 2)``
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels
        self.weight = nn.Parameter(np.empty(channels, dtype=np.float32))
        self.bias = nn.Parameter(np.empty(channels, dtype=np.float32))
        _paper_init_(self.weight, 4)
        _paper_init_(self.bias, 4)

    def forward(self, x):
        # A 2x2 sum is 4 times the 2x2 mean.
        scale = (self.weight * 4.0).reshape(1, -1, 1, 1)
        return F.avg_pool2d(x, 2) * scale + self.bias.reshape(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.channels}"


class _ScatterKernels(Function):
    """Place one kernel per connection into a dense ``(C_out, C_in, KH, KW)`` weight, zeros elsewhere.

    Backward gathers the dense weight's gradient back at the connections (each connection has
    one slot, so no accumulation): dL/dw[k] = dL/dW[index[k]].
    """

    def __init__(self, index: np.ndarray, dense_shape: tuple):
        self.index, self.dense_shape = index, dense_shape

    def forward(self, weight):
        xp = backend.get_array_module(weight)
        out_c, in_c, kh, kw = self.dense_shape
        dense = xp.zeros((out_c * in_c, kh, kw), dtype=weight.dtype)
        dense[self.index] = weight  # (connections, KH, KW) into (C_out*C_in, KH, KW)
        return dense.reshape(self.dense_shape)

    def backward(self, gy):
        out_c, in_c, kh, kw = self.dense_shape
        return gy.reshape(out_c * in_c, kh, kw)[self.index]


class PartialConv2d(nn.Module):
    """A convolution in which each output map sees only the input maps its table lists (C3).

    ``weight`` holds one kernel per connection, ordered by output map and then input map, so
    the trainable parameters are exactly the paper's; the forward pass scatters them into a
    dense kernel and runs one ordinary ``conv2d``.

    Args:
        in_channels: input maps.
        table: for each output map, the input maps it combines.
        kernel_size: side of the square kernel.

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, len(table), H - K + 1, W - K + 1)``
    """

    def __init__(self, in_channels: int, table, kernel_size: int):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, len(table), kernel_size
        self.table = tuple(tuple(sorted(maps)) for maps in table)
        self._index = np.array([o * in_channels + i for o, maps in enumerate(self.table) for i in maps])
        self.weight = nn.Parameter(np.empty((len(self._index), kernel_size, kernel_size), dtype=np.float32))
        self.bias = nn.Parameter(np.empty(self.out_channels, dtype=np.float32))
        fan_in = np.array([len(maps) * kernel_size ** 2 for maps in self.table])  # 75, 100 or 150
        _paper_init_(self.weight, np.repeat(fan_in, [len(maps) for maps in self.table]))
        _paper_init_(self.bias, fan_in)

    def connection_mask(self) -> np.ndarray:
        """``(in_channels, out_channels)`` booleans: True where an input map feeds an output map."""
        mask = np.zeros(self.in_channels * self.out_channels, dtype=bool)
        mask[self._index] = True
        return mask.reshape(self.out_channels, self.in_channels).T

    def forward(self, x):
        shape = (self.out_channels, self.in_channels, self.kernel_size, self.kernel_size)
        return F.conv2d(x, _ScatterKernels(self._index, shape)(self.weight), self.bias)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"connections={len(self._index)}")


class EuclideanRBF(nn.Module):
    """The output layer: ``y_i = sum_j (x_j - w_ij)^2``, distances to fixed prototypes.

    The prototypes are a buffer (saved, never trained). Lower outputs mean a better match.

    Shape:
        - Input: ``(N, F)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, prototypes: np.ndarray):
        super().__init__()
        self.register_buffer("prototypes", Tensor(np.asarray(prototypes, dtype=np.float32)))

    def forward(self, x):
        w = self.prototypes
        # |x - w|^2 = |x|^2 - 2 x.w + |w|^2, one matmul instead of an (N, classes, F) difference.
        return (x * x).sum(1, keepdim=True) - (x @ w.T) * 2.0 + (w * w).sum(1).reshape(1, -1)

    def extra_repr(self) -> str:
        return f"in_features={self.prototypes.shape[1]}, out_features={self.prototypes.shape[0]}"


class LeNet5(ZooModel):
    """LeNet-5: C1, S2, C3, S4, C5 (``features``), then F6 and the output layer (``head``).

    Args:
        features: layers from the 32x32 input to the ``(N, 120, 1, 1)`` C5 map.
        head: layers from the flattened C5 output to the class scores.
        in_channels: channels of the input image.
        distance_output: the head ends in ``EuclideanRBF``; ``forward_head`` negates its
            distances so the model returns scores (higher is better) for ``cross_entropy``.

    Shape:
        - Input: ``(N, in_channels, 32, 32)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, features: nn.Sequential, head: nn.Sequential, in_channels: int,
                 distance_output: bool = False):
        super().__init__()
        self.in_channels, self.distance_output = in_channels, distance_output
        self.features = features
        self.head = head

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        if tuple(x.shape[2:]) != (32, 32):
            raise ValueError(f"{type(self).__name__}: expected 32x32 images (N, {self.in_channels}, 32, 32). "
                             f"Received: x.shape={tuple(x.shape)}.")
        return self.features(x)

    @names_failing_layer
    def forward_head(self, x):
        out = self.head(x.flatten(1))
        return -out if self.distance_output else out


def _paper_lenet5(num_classes: int, in_channels: int) -> LeNet5:
    c1, c5, f6 = nn.Conv2d(in_channels, 6, 5), nn.Conv2d(16, 120, 5), nn.Linear(120, 84)
    for layer in (c1, c5, f6):
        fan_in = int(np.prod(layer.weight.shape[1:]))
        _paper_init_(layer.weight, fan_in)
        _paper_init_(layer.bias, fan_in)
    features = nn.Sequential(OrderedDict([
        ("c1", c1), ("act1", ScaledTanh()), ("s2", Subsampling(6)), ("act2", ScaledTanh()),
        ("c3", PartialConv2d(6, C3_TABLE, 5)), ("act3", ScaledTanh()), ("s4", Subsampling(16)),
        ("act4", ScaledTanh()), ("c5", c5), ("act5", ScaledTanh()),
    ]))
    head = nn.Sequential(OrderedDict([
        ("f6", f6), ("act6", ScaledTanh()), ("output", EuclideanRBF(rbf_prototypes(num_classes))),
    ]))
    return LeNet5(features, head, in_channels, distance_output=True)


def _relu_lenet5(num_classes: int, in_channels: int) -> LeNet5:
    features = nn.Sequential(OrderedDict([
        ("c1", nn.Conv2d(in_channels, 6, 5)), ("act1", nn.ReLU()), ("s2", nn.MaxPool2d(2)),
        ("c3", nn.Conv2d(6, 16, 5)), ("act3", nn.ReLU()), ("s4", nn.MaxPool2d(2)),
        ("c5", nn.Conv2d(16, 120, 5)), ("act5", nn.ReLU()),
    ]))
    head = nn.Sequential(OrderedDict([
        ("f6", nn.Linear(120, 84)), ("act6", nn.ReLU()), ("output", nn.Linear(84, num_classes)),
    ]))
    return LeNet5(features, head, in_channels)


@register_model
def lenet5(num_classes: int = 10, in_channels: int = 1) -> LeNet5:
    """LeNet-5 as in the paper (60,000 trainable parameters at one input channel).

    Input 32x32, scaled to mean about 0 and variance about 1 (section II-B; on MNIST that is
    background -0.1 and ink 1.175; ``barenet.data.Digits`` applies the same rule).

    Kept from the paper: C1 6@5x5; S2 and S4 trainable subsampling (2x2 sum times a coefficient
    plus a bias per map); C3 16@5x5 wired by Table I (60 of the 96 map pairs, 1,516
    parameters); C5 120@5x5; F6 84 units; every layer up to F6 squashed by
    f(a) = 1.7159 tanh(2a/3); weights and biases initialised U(-2.4/F, 2.4/F), F the unit's
    fan-in; an output layer of Euclidean RBF units y_i = sum_j (x_j - w_ij)^2 whose ±1
    prototypes are fixed buffers.

    Changed: the prototypes are stylised 7x12 digit bitmaps drawn for barenet (the paper's are
    not published as data), or seeded random ±1 codes for other class counts. The model
    returns -y, so ``cross_entropy`` on its output is y_target + log sum_i exp(-y_i): the
    paper's MAP criterion (eq. 9) without the constant "rubbish class" term exp(-j) (adding
    it measured no difference here). Trained with SGD and momentum rather than the paper's
    stochastic diagonal Levenberg-Marquardt.
    """
    return _paper_lenet5(num_classes, in_channels)


@register_model
def lenet5_relu(num_classes: int = 10, in_channels: int = 1) -> LeNet5:
    """LeNet-5 as it is usually written today (61,706 parameters at 10 classes, one channel).

    Input 32x32. Kept from the paper: the 5x5 convolutions C1 6, C3 16, C5 120, the 2x2
    subsampling, F6 84. Changed: ReLU instead of the scaled tanh, max pooling without
    coefficients instead of trainable subsampling, a fully connected C3, a linear output layer
    (logits) instead of the RBF units, PyTorch's default init.
    """
    return _relu_lenet5(num_classes, in_channels)
