"""Every registered model: output shape, features/head split, one training step, documented size, errors."""
import inspect
import re

import numpy as np
import pytest

import barenet
from barenet import functional as F
from barenet.models import get_model, get_model_builder, list_models, resnet_cifar

from harness import assert_sgd_step_trains_every_parameter, output_shapes

# The input each model is tried on: 32x32 unless it needs another size (fully connected layers
# after a fixed-size map) or accepts a smaller one, so the suite stays fast.
INPUT_SIZE = {"alexnet": 63, "alexnet_paper": 227, "zfnet": 224, "highway_mlp": 28,
              **{name: 8 for name in resnet_cifar.__all__}}
HEAVY = ("vgg", "alexnet", "zfnet", "resnet1202")  # > 60M parameters or > 1000 layers: seconds each


def _params(name):
    return pytest.param(name, marks=pytest.mark.slow) if name.startswith(HEAVY) else name


@pytest.fixture(scope="module", params=[_params(n) for n in list_models()])
def built(request):
    """``(name, model)``, built once per model for all tests of this module."""
    barenet.manual_seed(0)
    # VGG's own init is kaiming_init_ (exercised by ResNet and MobileNet); skipping it saves
    # drawing 130M normals per VGG, and the layers' default init serves these checks as well.
    kwargs = {"init_weights": False} if request.param.startswith("vgg") else {}
    return request.param, get_model(request.param, **kwargs)


def _input(name, model, batch=2):
    size = INPUT_SIZE.get(name, 32)
    rng = np.random.default_rng(0)
    return barenet.tensor(rng.standard_normal((batch, getattr(model, "in_channels", 3), size, size)).astype(np.float32))


def _num_classes(name):
    return inspect.signature(get_model_builder(name)).parameters["num_classes"].default


def test_documented_parameter_count(built):
    name, model = built
    doc = get_model_builder(name).__doc__ or ""
    found = re.search(r"(\d[\d,]*)\s+(?:trainable\s+)?parameters", doc)
    assert found, f"{name}: the builder's docstring should state its parameter count, e.g. '1,234 parameters'"
    assert sum(p.numel() for p in model.parameters()) == int(found.group(1).replace(",", ""))


# Untrained running statistics make eval mode meaningless for the deepest nets: ResNet-1202's
# activations grow by about 3x per block and overflow. Finiteness is checked in training mode.
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_output_shape_and_features_head_split(built):
    name, model = built
    model.eval()
    x = _input(name, model)
    with barenet.no_grad():
        out = model(x)
        split = model.forward_head(model.forward_features(x))
    assert out.shape == (2, _num_classes(name))
    np.testing.assert_array_equal(out.numpy(), split.numpy())


def test_one_training_step_reaches_every_parameter(built):
    name, model = built
    model.train()
    out = model(_input(name, model))
    outputs = out if isinstance(out, tuple) else (out,)  # GoogLeNet adds its auxiliary logits
    target = barenet.tensor(np.arange(2) % _num_classes(name))
    loss = sum(F.cross_entropy(o, target) for o in outputs)
    assert_sgd_step_trains_every_parameter(model, loss, name)
    model.zero_grad()


# ----- clear errors -----------------------------------------------------------------------------


def test_wrong_channel_count_is_named():
    model = get_model("resnet20")
    with pytest.raises(ValueError, match=r"CifarResNet: expected an input of shape \(N, 3, H, W\). "
                                         r"Received: x.shape=\(2, 1, 32, 32\)"):
        model(barenet.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"^CifarResNet: expected an input of shape \(N, 3, H, W\). "
                                         r"Received: x.shape=\(32, 32\).$"):
        model.forward_features(barenet.zeros(32, 32))


def test_input_too_small_names_the_layer():
    model = get_model("squeezenet1_0")
    with pytest.raises(ValueError, match=r"SqueezeNet: layer 'features.0' \(Conv2d\) failed in forward_features "
                                         r"on an input of shape \(1, 3, 5, 5\): conv2d: "):
        model(barenet.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"SqueezeNet: layer 'features.11' \(MaxPool2d\) failed .*"
                                         r"max_pool2d: .* output would be empty"):
        model(barenet.zeros(1, 3, 15, 15))


def test_head_size_mismatch_is_named():
    model = get_model("squeezenet1_0")
    features = model.forward_features(barenet.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match=r"SqueezeNet: layer 'classifier.1' \(Conv2d\) failed in forward_head"):
        model.forward_head(features[:, :100])


def test_loading_another_models_weights_lists_the_keys():
    with pytest.raises(RuntimeError, match=r"missing keys: layer1\.3\.conv1\.weight, .*layer3\.4\.bn2\.num_batches_tracked"):
        get_model("resnet32").load_state_dict(get_model("resnet20").state_dict())
    with pytest.raises(RuntimeError, match=r"unexpected keys: layer1\.3\.conv1\.weight"):
        get_model("resnet20").load_state_dict(get_model("resnet32").state_dict())
    with pytest.raises(RuntimeError, match=r"size mismatch for fc\.weight: checkpoint \(10, 64\), model \(100, 64\)"):
        get_model("resnet20", num_classes=100).load_state_dict(get_model("resnet20").state_dict())


# ----- options of the torchvision families ------------------------------------------------------------


def test_resnet50_stride_in_1x1_moves_the_stride_only():
    torchvision_layout, paper_layout = get_model("resnet50"), get_model("resnet50", stride_in_1x1=True)
    assert [(k, v.shape) for k, v in paper_layout.state_dict().items()] == \
           [(k, v.shape) for k, v in torchvision_layout.state_dict().items()]
    x = barenet.zeros(1, 3, 64, 64)
    names = ["layer2.0.conv1", "layer2.0.conv2", "layer2.0.downsample"]
    assert output_shapes(torchvision_layout.eval(), names, lambda: torchvision_layout(x))[0] == {
        "layer2.0.conv1": (1, 128, 16, 16), "layer2.0.conv2": (1, 128, 8, 8), "layer2.0.downsample": (1, 512, 8, 8)}
    assert output_shapes(paper_layout.eval(), names, lambda: paper_layout(x))[0] == {
        "layer2.0.conv1": (1, 128, 8, 8), "layer2.0.conv2": (1, 128, 8, 8), "layer2.0.downsample": (1, 512, 8, 8)}
    with pytest.raises(ValueError, match="stride_in_1x1 applies to Bottleneck blocks only"):
        get_model("resnet18", stride_in_1x1=True)


def test_resnet_zero_init_residual_starts_blocks_at_identity():
    model = get_model("resnet18", zero_init_residual=True).eval()
    last_bns = [m.bn2 for m in model.modules() if type(m).__name__ == "BasicBlock"]
    assert len(last_bns) == 8 and all(not bn.weight.numpy().any() for bn in last_bns)
    block = model.layer1[0]
    x = barenet.tensor(np.abs(np.random.default_rng(0).standard_normal((1, 64, 8, 8))).astype(np.float32))
    np.testing.assert_array_equal(block(x).numpy(), x.numpy())


def test_googlenet_aux_classifiers_and_transform_input():
    model = get_model("googlenet", num_classes=10)
    x = _input("googlenet", model)
    out = model.train()(x)
    assert type(out).__name__ == "GoogLeNetOutputs" and [o.shape for o in out] == [(2, 10)] * 3
    assert model.eval()(x).shape == (2, 10)
    without = get_model("googlenet", aux_logits=False)
    assert not any(k.startswith("aux") for k in without.state_dict())
    assert sum(p.numel() for p in without.parameters()) == 6_624_904
    transformed = get_model("googlenet", num_classes=10, transform_input=True)
    transformed.load_state_dict(model.state_dict())
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    manual = (x.numpy() * std[:, None, None] + mean[:, None, None] - 0.5) / 0.5
    with barenet.no_grad():
        np.testing.assert_allclose(transformed.eval()(x).numpy(),
                                   model(barenet.tensor(manual.astype(np.float32))).numpy(), rtol=1e-4, atol=1e-5)


def test_alexnet_paper_trunk_follows_the_paper(rng):
    from barenet.models.alexnet import _paper_features

    features = _paper_features(3).eval()
    shapes, out = output_shapes(features, (0, 3, 4, 7, 8, 10, 12, 14), lambda: features(barenet.zeros(1, 3, 227, 227)))
    assert out.shape == (1, 256, 6, 6)
    # conv1 55x55, pool1 27x27, conv2 (two groups of 128 reading 48 maps each), pool2 13x13, conv5, pool5 6x6
    assert shapes == {0: (1, 96, 55, 55), 3: (1, 96, 27, 27), 4: (1, 256, 27, 27), 7: (1, 256, 13, 13),
                      8: (1, 384, 13, 13), 10: (1, 384, 13, 13), 12: (1, 256, 13, 13), 14: (1, 256, 6, 6)}
    assert [features[i].weight.shape[1] for i in (4, 8, 10, 12)] == [48, 256, 192, 192]
    # Section 3.3, written out: b[c] = a[c] / (2 + 1e-4 * sum of a[j]^2 over the 5 maps around c)^0.75.
    a = rng.standard_normal((1, 7, 3, 3)) * 30
    expected = np.empty_like(a)
    for c in range(7):
        window = a[:, max(0, c - 2):min(7, c + 3)]
        expected[:, c] = a[:, c] / (2 + 1e-4 * (window ** 2).sum(axis=1)) ** 0.75
    np.testing.assert_allclose(features[2](barenet.tensor(a)).numpy(), expected, rtol=1e-10)


def test_get_model_names_a_bad_name():
    with pytest.raises(TypeError, match=r"get_model: name must be a str \(see list_models\(\)\). Received: NoneType"):
        get_model(None)
    with pytest.raises(ValueError, match=r"get_model: unknown model 'resnet21'. Did you mean .*resnet20"):
        get_model("resnet21")
    with pytest.raises(TypeError, match=r"get_model\('alexnet'\): unknown argument 'pretrained'; it takes num_classes, "
                                        r"in_channels, dropout"):
        get_model("alexnet", pretrained=True)
    with pytest.raises(TypeError, match=r"get_model\('lenet5_relu'\): num_classes must be an int. Received: num_classes=2.5"):
        get_model("lenet5_relu", num_classes=2.5)
    with pytest.raises(ValueError, match=r"get_model\('alexnet'\): dropout must be in \[0, 1\]. Received: dropout=1.5"):
        get_model("alexnet", dropout=1.5)
