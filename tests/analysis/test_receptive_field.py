"""Receptive fields: against the gradient's support on real layers, the classic figures, branches."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import barenet
from barenet import nn
from barenet.analysis import ReceptiveField, Window, stack_receptive_field, summary


def _ones_(module):
    for p in module.parameters():
        p.data[...] = 1.0  # positive weights: no two paths cancel, so the gradient's support is the field
    return module


def _gradient_extent(model, size, unit) -> list:
    """Rows and columns of input pixels that reach output ``unit``: [(first, last) per axis]."""
    x = barenet.ones(1, *size, requires_grad=True)
    model(x)[(0, 0) + unit].backward()
    support = np.nonzero(x.grad.numpy()[0, 0])
    return [(int(a.min()), int(a.max())) for a in support]


_layer = st.tuples(st.sampled_from(["conv", "avg"]), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
                   st.integers(1, 2))


def _build(specs):
    layers = []
    for kind, k, s, p, d in specs:
        p = min(p, k // 2)
        layers.append(_ones_(nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)) if kind == "conv"
                      else nn.AvgPool2d(k, stride=s, padding=p))
    return nn.Sequential(*layers)


@settings(max_examples=30, deadline=None)
@given(st.lists(_layer, min_size=1, max_size=3), st.integers(36, 60), st.integers(36, 60))
def test_field_equals_the_gradient_support(specs, h, w):
    model = _build(specs)
    try:
        s = summary(model, (1, h, w))
    except ValueError:
        assume(False)  # an input too small for this stack
    rf, out = s.layers[-1].receptive_field, s.layers[-1].output_shape[2:]
    checked = 0
    for unit in {(0, 0), (out[0] // 2, out[1] // 2), (out[0] - 1, out[1] - 1), (out[0] // 2, out[1] // 2 + 1)}:
        if unit[1] >= out[1]:
            continue
        expected = [(c - (r - 1) / 2, c + (r - 1) / 2)
                    for c, r in ((st0 + i * j, r) for st0, i, j, r in zip(rf.start, unit, rf.jump, rf.size))]
        if all(lo >= 0 and hi <= n - 1 for (lo, hi), n in zip(expected, (h, w))):  # not clipped by the border
            assert _gradient_extent(model, (1, h, w), unit) == [(int(lo), int(hi)) for lo, hi in expected]
            checked += 1
    assume(checked)


def test_vgg16_conv5_3_sees_196_and_pool5_212(zoo_summary):
    layers = {layer.name: layer for layer in zoo_summary("vgg16").layers}
    assert layers["features.28"].receptive_field.size == (196, 196)  # conv5_3
    assert layers["features.30"].receptive_field.size == (212, 212)  # pool5
    assert layers["features.30"].receptive_field.jump == (32, 32)


@pytest.mark.parametrize("dilations, expected", [((1, 1), 5), ((1, 1, 1), 7), ((1, 2, 4), 15)])
def test_stacked_3x3(dilations, expected):
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in dilations])
    assert summary(model, (1, 32, 32)).layers[-1].receptive_field.size == (expected, expected)
    assert stack_receptive_field([Window.square(3, dilation=d) for d in dilations]).size == (expected, expected)


class _TwoBranches(nn.Module):
    """conv5x5 and conv3x3 branches, summed and concatenated, then a 3x3/2 pooling."""

    def __init__(self):
        super().__init__()
        self.wide, self.narrow = nn.Conv2d(1, 2, 5, padding=2), nn.Conv2d(1, 2, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        a, b = self.wide(x), self.narrow(x)
        return self.pool(barenet.cat([a + b, b], dim=1))


def test_branches_merge_to_the_union_of_their_fields():
    s = summary(_TwoBranches(), (1, 16, 16))
    by_name = {layer.name: layer for layer in s.layers}
    assert by_name["_TwoBranches.add"].receptive_field.size == (5, 5)
    assert sorted(by_name["_TwoBranches.add"].inputs) == [0, 1]
    assert by_name["_TwoBranches.cat"].receptive_field.size == (5, 5)
    assert by_name["pool"].receptive_field == ReceptiveField((7, 7), (2, 2), (1.0, 1.0))


def test_no_field_after_flattening():
    s = summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)), (1, 4, 4))
    assert s.layers[0].receptive_field.size == (3, 3)
    assert s.layers[1].receptive_field is None and s.layers[2].receptive_field is None


def test_union_of_misaligned_grids_is_unknown():
    a, b = ReceptiveField((3, 3), (1, 1), (0.0, 0.0)), ReceptiveField((3, 3), (2, 2), (0.0, 0.0))
    assert a.union(b) is None
    assert a.union(ReceptiveField((5, 1), (1, 1), (1.0, 0.0))) == ReceptiveField((5, 3), (1, 1), (1.0, 0.0))


def test_option_a_shortcut_keeps_the_field_growing():
    # CIFAR ResNet-20: a 3x3 stem (3), six 3x3 convs (+2 each: 15), a stride-2 3x3 (17, jump 2), five
    # more (+4 each: 37), a stride-2 3x3 (41, jump 4), five more (+8 each: 81), 8x8 global pooling (+28).
    fields = [summary(barenet.models.get_model(name), (3, 32, 32)).layers[-2].receptive_field
              for name in ("resnet20", "plain20")]
    assert fields[0] == fields[1] and fields[0].size == (109, 109) and fields[0].jump == (32, 32)
