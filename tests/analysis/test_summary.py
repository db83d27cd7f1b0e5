"""``summary``: exact counts against the torchvision manifests, the papers' figures, other input sizes,
shape-only walk versus real forward, shared parameters, training mode, errors, speed."""
import time

import numpy as np
import pytest
from analysis_helpers import MANIFEST_MODELS, load_manifest

import barenet
from barenet import nn
from barenet.analysis import summary


# torchvision calls these as functions, not modules: ptflops counts each such call once.
_FUNCTIONAL_IN_TORCHVISION = {"googlenet": {"ReLU"}, "mobilenet_v2": {"AdaptiveAvgPool2d"}}


def _ptflops_total(name: str, s) -> int:
    """ptflops' (pytorch backend) rules on our layers: it hooks modules and also patches
    torch.nn.functional, so a ReLU or pooling *module* (whose forward calls F.relu / F.max_pool2d)
    is counted twice; bias additions join conv/linear MACs; BatchNorm is 2 per input value."""
    total = 0
    for layer in s.layers:
        out, inp = int(np.prod(layer.output_shape)), int(np.prod(layer.input_shapes[0]))
        times = 1 if layer.type in _FUNCTIONAL_IN_TORCHVISION.get(name, ()) else 2
        if layer.type in ("Conv2d", "Linear"):
            total += layer.macs + layer.ops  # a conv/linear layer's other operations are its bias additions
        elif layer.type.startswith("BatchNorm"):
            total += 2 * inp
        elif layer.type == "ReLU":
            total += times * out
        elif layer.type == "ReLU6":  # F.hardtanh is not patched
            total += out
        elif layer.type in ("MaxPool2d", "AdaptiveAvgPool2d"):
            total += times * inp
    return total


@pytest.mark.parametrize("name", MANIFEST_MODELS)
def test_counts_equal_the_manifests(zoo_summary, name):
    manifest, s = load_manifest(name), zoo_summary(name)
    assert {"conv": s.macs_by_type["conv"], "linear": s.macs_by_type["linear"]} == manifest["macs_at_1x3x224x224"]
    assert s.total_params == manifest["num_parameters"]
    # fvcore: conv and linear MACs, an inference BatchNorm as 2 per value (our "other operations"
    # for norm), adaptive average pooling as one per input value.
    fvcore = s.macs + sum(layer.ops for layer in s.layers if layer.type.startswith("BatchNorm"))
    fvcore += sum(int(np.prod(layer.input_shapes[0])) for layer in s.layers if layer.type == "AdaptiveAvgPool2d")
    assert fvcore == manifest["fvcore_at_1x3x224x224"]["total"]
    assert _ptflops_total(name, s) == manifest["ptflops_at_1x3x224x224"]["macs"]


def _hooked_macs(model, size):
    """Conv/linear MACs by forward hooks on a real forward pass, as torch users count them."""
    found = {"conv": 0, "linear": 0}

    def hook(m, args, out):
        if isinstance(m, nn.Conv2d):
            found["conv"] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            found["linear"] += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with barenet.no_grad():
        model.eval()(barenet.zeros(1, *size))
    for h in handles:
        h.remove()
    return found


@pytest.mark.parametrize("name", ["alexnet", "googlenet", "resnet18", "mobilenet_v2", "squeezenet1_0"])
def test_non_square_input_matches_hooks_on_a_real_forward(build, name):
    model = build(name)
    s = summary(model, (3, 64, 96))
    assert {k: s.macs_by_type[k] for k in ("conv", "linear")} == _hooked_macs(model, (3, 64, 96))


def test_non_square_alexnet_from_layer_shapes(build):
    # AlexNet at 3x96x128, each conv by hand: OH = (H + 2P - K)//S + 1.
    s = summary(build("alexnet"), (3, 96, 128))
    convs = [(3, 64, 11, 4, 2), (64, 192, 5, 1, 2), (192, 384, 3, 1, 1), (384, 256, 3, 1, 1), (256, 256, 3, 1, 1)]
    h, w, expected = 96, 128, 0
    for i, (c_in, c_out, k, st, p) in enumerate(convs):
        h, w = (h + 2 * p - k) // st + 1, (w + 2 * p - k) // st + 1
        expected += h * w * c_out * c_in * k * k
        if i in (0, 1, 4):  # 3x3/2 max pooling
            h, w = (h - 3) // 2 + 1, (w - 3) // 2 + 1
    assert s.macs_by_type["conv"] == expected
    assert s.macs_by_type["linear"] == 9216 * 4096 + 4096 * 4096 + 4096 * 1000


def _one_decimal(x: float) -> set:
    return {round(x, 1), np.floor(x * 10) / 10}


@pytest.mark.parametrize("name, kwargs, paper", [
    ("resnet18", {}, 1.8), ("resnet34", {}, 3.6),
    ("resnet50", {"stride_in_1x1": True}, 3.8), ("resnet101", {"stride_in_1x1": True}, 7.6),
    ("resnet152", {"stride_in_1x1": True}, 11.3),
    ("resnet50", {}, 4.1), ("resnet101", {}, 7.8), ("resnet152", {}, 11.5), ("vgg19", {}, 19.6),
])
def test_papers_figures(zoo_summary, name, kwargs, paper):
    # ResNet's Table 1 rounds inconsistently (3.66 -> 3.6 but 7.57 -> 7.6): accept rounding or truncation.
    gmacs = zoo_summary(name, **kwargs).macs / 1e9
    assert paper in _one_decimal(gmacs)


def test_lenet5_has_60000_parameters():
    s = summary(barenet.models.get_model("lenet5"), (1, 32, 32))
    assert s.total_params == s.trainable_params == 60_000
    assert [layer.params for layer in s.layers if layer.params] == [156, 12, 1516, 32, 48120, 10164]


@pytest.mark.parametrize("name, size", [("resnet18", (3, 32, 48)), ("googlenet", (3, 32, 32)), ("lenet5", (1, 32, 32)),
                                        ("mobilenet_v2", (3, 40, 56)), ("resnet20", (3, 18, 14))])
def test_shape_only_walk_equals_the_real_forward(name, size):
    model = barenet.models.get_model(name)
    fast, real = summary(model, size), summary(model, size, shape_only=False)
    assert [layer.to_dict() for layer in fast.layers] == [layer.to_dict() for layer in real.layers]


def test_transposed_convolution_counts_and_shapes():
    model = nn.Sequential(nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
                          nn.ConvTranspose2d(4, 3, (2, 3), stride=(2, 1), dilation=(1, 2)))
    fast, real = summary(model, (6, 5, 7)), summary(model, (6, 5, 7), shape_only=False)
    assert [layer.output_shape for layer in fast.layers] == [layer.output_shape for layer in real.layers]
    # Each input value meets C_out/groups*KH*KW weights.
    assert fast.layers[0].macs == 6 * 5 * 7 * (4 // 2) * 9
    h, w = fast.layers[0].output_shape[2:]
    assert fast.layers[1].macs == 4 * h * w * 3 * 6
    assert fast.macs_by_type == {"conv": 0, "linear": 0, "conv_transpose": fast.layers[0].macs + fast.layers[1].macs}


def test_residual_additions_and_concatenations_are_rows():
    s = summary(barenet.models.get_model("resnet18"), (3, 64, 64))
    adds = [layer for layer in s.layers if layer.type == "add"]
    assert len(adds) == 8 and all(len(a.inputs) == 2 for a in adds)
    assert adds[0].name == "layer1.0.add" and adds[0].ops == int(np.prod(adds[0].output_shape))
    assert s.ops_by_type["add"] == sum(a.ops for a in adds)


def test_shared_parameters_are_counted_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)  # the same layer twice
    s = summary(model, (4,))
    assert s.total_params == 20 and [layer.params for layer in s.layers] == [20, 0, 0]
    assert s.macs == 2 * 16 and s.unused_params == 0


def test_googlenet_training_mode_counts_the_auxiliary_heads_and_restores_state():
    model = barenet.models.get_model("googlenet")
    model.train()
    bn = model.conv1.bn
    before, rng = bn.running_mean.numpy().copy(), barenet.get_rng_state()
    eval_s, train_s = summary(model, (3, 224, 224)), summary(model, (3, 224, 224), training=True)
    assert eval_s.unused_params == sum(p.numel() for n, p in model.named_parameters() if n.startswith("aux"))
    assert train_s.unused_params == 0 and train_s.macs > eval_s.macs
    assert model.training and np.array_equal(bn.running_mean.numpy(), before) and barenet.get_rng_state() == rng


def test_memory_totals():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
    s = summary(model, (3, 10, 10), batch_size=4)
    assert s.param_bytes == 4 * (8 * 27 + 8) and s.activation_bytes == 2 * 8 * 10 * 10 * 4
    memory = s.training_memory(optimizer="adam")
    assert memory["activations"] == 4 * s.activation_bytes and memory["optimizer_state"] == 2 * s.param_bytes
    assert memory["total"] == sum(memory[k] for k in ("parameters", "gradients", "optimizer_state", "activations",
                                                      "workspace"))
    assert s.flops == 2 * s.macs and s.backward_macs == s.macs  # the first layer needs no dL/dx


def test_empty_output_names_the_layer(build):
    with pytest.raises(ValueError, match=r"layer 'features.11' \(MaxPool2d\).*\(1, 512, 1, 1\).*empty"):
        summary(build("squeezenet1_0"), (3, 16, 16))
    with pytest.raises(ValueError, match=r"layer '1' \(Conv2d\), whose input is \(1, 2, 3, 3\).*empty"):
        summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 5)), (1, 5, 5))


@pytest.mark.parametrize("bad", [(3, 0, 4), (), "3x224x224", (3, 2.5, 4), (True, 3, 3)])
def test_malformed_input_size(bad):
    with pytest.raises(ValueError, match="summary: input_size must be one sample's shape"):
        summary(nn.Linear(3, 2), bad)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        summary(nn.Linear(3, 2), (3,), batch_size=0)


def test_resnet152_summary_is_fast(build):
    model = build("resnet152")
    start = time.perf_counter()
    s = summary(model, (3, 224, 224))
    assert time.perf_counter() - start < 2.0
    assert s.macs_by_type["conv"] == 11_511_578_624


def test_text_json_and_csv_reports():
    import json

    from barenet.analysis.report import summary_csv, summary_json

    s = summary(barenet.models.get_model("lenet5_relu"), (1, 32, 32))
    text = str(s)
    assert "features.c1" in text and "MACs: 416,520" in text and "Training memory" in text
    data = json.loads(summary_json(s))
    assert {"model", "input_shape", "total_params", "trainable_params", "macs", "macs_by_type", "param_bytes",
            "activation_bytes", "layers"} <= set(data)
    assert data["layers"][0]["receptive_field"] == [5, 5] and data["macs_by_type"]["linear"] == 10_920
    assert summary_csv(s).splitlines()[1].startswith("features.c1,Conv2d,conv,1x6x28x28,156,156,117600,")
