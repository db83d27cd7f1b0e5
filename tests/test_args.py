"""Arguments of the wrong kind or range (plain numbers, and arrays or numbers where an op takes
tensors): the error names the function or layer, the argument and what was expected (found by
fuzzing the public entry points with random values)."""
import math

import numpy as np
import pytest

import barenet
import barenet.functional as F
from barenet import _args, nn, optim


def test_integer_and_number_accept_what_they_should():
    assert _args.integer("op", "n", 3, minimum=0) == 3
    assert type(_args.integer("op", "n", np.int64(2))) is int  # NumPy integers count as ints
    assert _args.number("op", "x", 2) == 2.0 and _args.number("op", "x", 0.5, 0, 1) == 0.5
    assert _args.number("op", "x", -math.inf, finite=False) == -math.inf


@pytest.mark.parametrize("call, error, match", [
    (lambda: _args.integer("op", "n", True), TypeError, r"op: n must be an int. Received: n=True"),
    (lambda: _args.integer("op", "n", 2.0), TypeError, r"op: n must be an int"),
    (lambda: _args.integer("op", "n", -1, minimum=0), ValueError, r"op: n must be an int >= 0. Received: n=-1"),
    (lambda: _args.number("op", "x", "1"), TypeError, r"op: x must be a finite number. Received: x='1'"),
    (lambda: _args.number("op", "x", math.nan), TypeError, r"op: x must be a finite number"),
    (lambda: _args.number("op", "x", False), TypeError, r"op: x must be a finite number"),
    (lambda: _args.number("op", "x", 2, 0, 1), ValueError, r"op: x must be in \[0, 1\]. Received: x=2"),
    (lambda: _args.number("op", "x", -1, minimum=0), ValueError, r"op: x must be >= 0"),
])
def test_integer_and_number_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Linear((1,), 2), TypeError, r"Linear: in_features must be an int. Received: in_features=\(1,\)"),
    (lambda: nn.Linear(2, -1), ValueError, r"Linear: out_features must be an int >= 0"),
    (lambda: nn.PReLU("a"), TypeError, r"PReLU: num_parameters must be an int"),
    (lambda: nn.PReLU(2, None), TypeError, r"PReLU: init must be a finite number"),
    (lambda: nn.Dropout(None), TypeError, r"Dropout: p must be a finite number. Received: p=None"),
    (lambda: F.dropout(barenet.ones(2), "0.5"), TypeError, r"dropout: p must be a finite number"),
    (lambda: F.leaky_relu(barenet.ones(2), "x"), TypeError, r"leaky_relu: negative_slope must be a finite number"),
    (lambda: F.elu(barenet.ones(2), None), TypeError, r"elu: alpha must be a finite number"),
    (lambda: F.softplus(barenet.ones(2), 1.0, "20"), TypeError, r"softplus: threshold must be a finite number"),
    (lambda: nn.LocalResponseNorm((2,))(barenet.ones(1, 3, 2)), TypeError, r"local_response_norm: size must be an int"),
    (lambda: F.pad(barenet.ones(2), 2.5), TypeError, r"pad: pad must be a tuple or list of ints"),
    (lambda: F.pad(barenet.ones(2), (1, 1), value="0"), TypeError, r"pad: value must be a number"),
    (lambda: F.max_pool2d(barenet.ones(1, 1, 4, 4), 2, 2.5), TypeError, r"max_pool2d: stride must be an int or a pair"),
    (lambda: barenet.zeros(2.5), TypeError, r"zeros: size must be an int. Received: size=2.5"),
    (lambda: barenet.ones(None, 2), TypeError, r"ones: size must be an int. Received: size=None"),
    (lambda: barenet.randn(-1), ValueError, r"randn: size must be an int >= 0"),
    (lambda: F.cross_entropy(barenet.ones(2, 3), barenet.tensor([0, 1]), label_smoothing="x"), TypeError,
     r"cross_entropy: label_smoothing must be a finite number"),
    (lambda: F.cross_entropy(barenet.ones(2, 3), barenet.tensor([0, 1]), label_smoothing=1.5), ValueError,
     r"cross_entropy: label_smoothing must be in \[0, 1\]"),
    (lambda: F.nll_loss(barenet.ones(2, 3), barenet.tensor([0, 1]), ignore_index=(2, 2)), TypeError,
     r"nll_loss: ignore_index must be an int"),
    (lambda: F.smooth_l1_loss(barenet.ones(2), barenet.ones(2), beta=(1,)), TypeError,
     r"smooth_l1_loss: beta must be a finite number"),
    (lambda: F.batch_norm(barenet.ones(2, 3), None, None, training=True, eps="x"), TypeError,
     r"batch_norm: eps must be a finite number"),
    (lambda: nn.BatchNorm2d(3, momentum=(0.1,)), TypeError, r"BatchNorm2d: momentum must be a finite number"),
    (lambda: F.maxout(barenet.ones(2, 4), True), TypeError, r"maxout: pieces must be an int"),
    (lambda: F.avg_pool2d(barenet.ones(1, 1, 4, 4), 2, divisor_override=(2, 2)), TypeError,
     r"avg_pool2d: divisor_override must be an int"),
    (lambda: nn.Sequential(nn.ReLU())[0.5], TypeError, r"Sequential: index must be an int. Received: index=0.5"),
    (lambda: F.conv2d(np.ones((1, 3, 5, 5), np.float32), barenet.ones(2, 3, 3, 3)), TypeError,
     r"conv2d: input must be a Tensor. Received: ndarray"),
    (lambda: F.conv2d(barenet.ones(1, 3, 5, 5), barenet.ones(2, 3, 3, 3), 3), TypeError,
     r"conv2d: bias must be a Tensor or None. Received: int"),
    (lambda: F.conv_transpose2d(barenet.ones(1, 3, 5, 5), [[1.0]]), TypeError, r"conv_transpose2d: weight must be a Tensor"),
    (lambda: F.linear(barenet.ones(2, 3), barenet.ones(4, 3), 3), TypeError, r"linear: bias must be a Tensor or None"),
    (lambda: F.batch_norm([[1.0, 2.0]], None, None, training=True), TypeError, r"batch_norm: input must be a Tensor"),
    (lambda: F.cross_entropy(np.ones((2, 3)), barenet.tensor([0, 1])), TypeError, r"cross_entropy: input must be a Tensor"),
    (lambda: F.prelu(barenet.ones(2, 3), np.ones(3)), TypeError, r"prelu: weight must be a Tensor"),
    (lambda: optim.SGD([barenet.ones(1, requires_grad=True)], lr=None), TypeError,
     r"SGD: lr must be a finite number. Received: lr=None"),
    (lambda: optim.Adam([barenet.ones(1, requires_grad=True)], betas=0.9), TypeError,
     r"Adam: betas must be a pair of numbers. Received: betas=0.9"),
    (lambda: optim.Adam([barenet.ones(1, requires_grad=True)], betas=(0.9, "x")), TypeError,
     r"Adam: betas\[1\] must be a finite number"),
])
def test_entry_points_name_the_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


MODEL_FUNCTIONS = {  # every public analysis and viz entry point that takes a model first
    "summary": lambda m: barenet.analysis.summary(m, (1, 8, 8)),
    "profile": lambda m: barenet.analysis.profile(m, (1, 8, 8)),
    "explain": lambda m: barenet.analysis.explain(m, (1, 8, 8)),
    "filters": lambda m: barenet.viz.filters(m),
    "saliency": lambda m: barenet.viz.saliency(m, barenet.ones(1, 1, 8, 8)),
    "gradcam": lambda m: barenet.viz.gradcam(m, barenet.ones(1, 1, 8, 8)),
    "occlusion": lambda m: barenet.viz.occlusion(m, barenet.ones(1, 1, 8, 8)),
    "feature_maps": lambda m: barenet.viz.feature_maps(m, barenet.ones(1, 1, 8, 8)),
    "deconvnet": lambda m: barenet.viz.deconvnet(m, barenet.ones(1, 1, 8, 8), "0"),
    "activation_maximization": lambda m: barenet.viz.activation_maximization(m, "0", 0),
    "embedding": lambda m: barenet.viz.embedding(m, [], "0"),
}


@pytest.mark.parametrize("name", MODEL_FUNCTIONS)
@pytest.mark.parametrize("model", [None, "resnet18"])
def test_analysis_and_viz_name_a_model_that_is_not_a_module(name, model):
    import barenet.analysis  # noqa: F401
    import barenet.viz  # noqa: F401
    with pytest.raises(TypeError, match=rf"{name}: model must be a barenet nn.Module.* Received: {type(model).__name__}"):
        MODEL_FUNCTIONS[name](model)
