"""gradcheck itself: it passes correct backwards and catches wrong ones."""
import numpy as np
import pytest

import barenet
from barenet import Function, GradcheckError, gradcheck


def leaf(values):
    return barenet.tensor(values, dtype=barenet.float64, requires_grad=True)


class Cube(Function):
    """y = x^3 with a backward that is right (scale=3) or deliberately wrong."""

    def __init__(self, scale=3.0):
        self.scale = scale

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, gy):
        return gy * self.scale * self.x ** 2


class ForgetsSecond(Function):
    """y = a * b whose backward forgets b's gradient."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, None


def test_passes_a_correct_backward(rng):
    assert gradcheck(lambda x: Cube()(x), [leaf(rng.standard_normal((3, 4)))])


def test_catches_a_wrong_backward(rng):
    x = leaf(rng.uniform(0.5, 1.5, (2, 3)))
    with pytest.raises(GradcheckError, match=r"gradient of input 0 \(shape \(2, 3\)\) differs at 6 of 6 elements"):
        gradcheck(lambda t: Cube(scale=3.3)(t), [x])
    assert gradcheck(lambda t: Cube(scale=3.3)(t), [x], raise_exception=False) is False


def test_catches_a_slightly_wrong_backward(rng):
    x = leaf(rng.uniform(0.5, 1.5, (5,)))
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Cube(scale=3.01)(t), [x])


def test_catches_a_missing_gradient(rng):
    a, b = leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3))
    with pytest.raises(GradcheckError, match="gradient of input 1"):
        gradcheck(lambda x, y: ForgetsSecond()(x, y), [a, b])


def test_error_message_shows_both_gradients(rng):
    x = leaf([1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: Cube(scale=6.0)(t), [x])
    message = str(info.value)
    assert "analytic=" in message and "numeric=" in message and "analytic:\n" in message


def test_multiple_outputs_and_non_tensor_arguments(rng):
    x = leaf(rng.standard_normal((2, 3)))
    assert gradcheck(lambda t, k: (t * k, t.exp(), barenet.tensor([1, 2])), [x, 2.5])


def test_non_contiguous_and_zero_dimensional_inputs(rng):
    base = leaf(rng.standard_normal((3, 4)))
    transposed = barenet.tensor(0.0, dtype=barenet.float64)
    transposed.data = base.data.T  # a non-contiguous view as the input
    transposed.requires_grad_()
    assert gradcheck(lambda t: Cube()(t), [transposed])
    assert gradcheck(lambda t: Cube()(t) * 2.0, [leaf(0.7)])


def test_inputs_are_restored_exactly(rng):
    values = rng.standard_normal((2, 2))
    x = leaf(values)
    gradcheck(lambda t: Cube()(t), [x])
    np.testing.assert_array_equal(x.numpy(), values)


def test_argument_errors():
    with pytest.raises(ValueError, match="gradcheck: at least one input must be a tensor with requires_grad=True"):
        gradcheck(lambda t: t * 2, [barenet.tensor([1.0])])
    with pytest.raises(ValueError, match="gradcheck: inputs must be float64.*dtype=float32"):
        gradcheck(lambda t: t * 2, [barenet.tensor([1.0], requires_grad=True)])


def test_output_independent_of_input_gives_zero_gradient():
    assert gradcheck(lambda t: barenet.tensor([1.0, 2.0], dtype=barenet.float64), [leaf([1.0])])
