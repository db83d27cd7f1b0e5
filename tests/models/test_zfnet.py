"""ZFNet: Fig. 3's map sizes, parameter count by hand, LRN and init of the paper, torch parity,
one training step, the deconvnet's switches, filter renormalisation and clear errors."""
import numpy as np
import pytest
from harness import assert_close, assert_sgd_step_trains_every_parameter, output_shapes

import barenet
from barenet import functional as F
from barenet import nn
from barenet.models import zfnet as zf


@pytest.fixture(scope="module")
def model():
    """Built once (62M weights to draw); only the training-step test changes its parameters."""
    barenet.manual_seed(0)
    return zf.zfnet()


def _image(batch=1, size=224, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, size, size)).astype(np.float32)


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def _fc(n_in, n_out):
    return n_in * n_out + n_out


def test_parameter_count_by_hand(model):
    expected = (_conv(3, 96, 7) + _conv(96, 256, 5) + _conv(256, 384, 3) + _conv(384, 384, 3)
                + _conv(384, 256, 3) + _fc(256 * 6 * 6, 4096) + _fc(4096, 4096) + _fc(4096, 1000))
    assert expected == 62_357_608
    assert sum(p.numel() for p in model.parameters()) == expected


def test_feature_map_sizes_follow_fig3(model):
    # Fig. 3: 224 -> conv1 110 -> pool 55 -> conv2 26 -> pool 13 -> conv3-5 13 -> pool 6.
    figure = {0: (96, 110), 2: (96, 55), 4: (256, 26), 6: (256, 13), 8: (384, 13), 10: (384, 13),
              12: (256, 13), 14: (256, 6)}
    shapes, logits = output_shapes(model.features, figure, lambda: model.eval()(barenet.tensor(_image())))
    assert shapes == {i: (1, c, s, s) for i, (c, s) in figure.items()}
    assert logits.shape == (1, 1000)


def test_layout_is_a_flat_walkable_sequence(model):
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "LocalResponseNorm", "Conv2d", "ReLU", "MaxPool2d",
                     "LocalResponseNorm", "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert [type(m).__name__ for m in model.classifier] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU",
                                                            "Dropout", "Linear"]
    assert [m.p for m in model.classifier if isinstance(m, nn.Dropout)] == [0.5, 0.5]


def test_pool_switches_for_the_deconvnet(model):
    """A deconvnet walks ``features``, records each pool's switches and unpools with them."""
    conv1, relu, pool = model.features[0], model.features[1], model.features[2]
    pool.return_indices = True
    try:
        with barenet.no_grad():
            a = relu(conv1(barenet.tensor(_image())))
            y, switches = pool(a)
    finally:
        pool.return_indices = False
    assert y.shape == switches.shape == (1, 96, 55, 55)
    # Each switch points at its window's maximum in the (110, 110) map...
    at_switch = np.take_along_axis(a.numpy().reshape(1, 96, -1), switches.numpy().reshape(1, 96, -1), axis=2)
    np.testing.assert_array_equal(at_switch, y.numpy().reshape(1, 96, -1))
    # ...so unpooling puts every maximum back where it came from, and nothing else.
    unpooled = F.max_unpool2d(y, switches, 3, 2, output_size=a.shape[-2:]).numpy()
    taken = unpooled != 0
    np.testing.assert_array_equal(unpooled[taken], a.numpy()[taken])


def _paper_lrn(a, n=5, k=2.0, alpha=1e-4, beta=0.75):
    """AlexNet's normalisation written from its formula, a loop over channels."""
    out = np.empty_like(a)
    channels = a.shape[1]
    for c in range(channels):
        lo, hi = max(0, c - n // 2), min(channels - 1, c + n // 2)
        out[:, c] = a[:, c] / (k + alpha * (a[:, lo:hi + 1] ** 2).sum(axis=1)) ** beta
    return out


def test_contrast_normalisation_is_alexnets(model, rng):
    a = (rng.standard_normal((2, 9, 3, 4)) * 30).astype(np.float32)  # large enough for alpha to matter
    for i in (3, 7):
        assert_close(model.features[i](barenet.tensor(a)).numpy(), _paper_lrn(a), rtol=1e-5)


def _torch_zfnet(torch, state):
    """An independent torch rewrite of Fig. 3 (eval mode), loaded with barenet's weights."""
    T = torch.nn.functional

    def conv(x, i, **kw):
        return T.relu(T.conv2d(x, state[f"features.{i}.weight"], state[f"features.{i}.bias"], **kw))

    def pool_norm(x):
        x = T.max_pool2d(x, 3, 2, ceil_mode=True)
        return T.local_response_norm(x, 5, alpha=5e-4, beta=0.75, k=2.0)

    def forward(x):
        x = pool_norm(conv(x, 0, stride=2, padding=1))
        x = pool_norm(conv(x, 4, stride=2))
        x = conv(conv(conv(x, 8, padding=1), 10, padding=1), 12, padding=1)
        x = T.max_pool2d(x, 3, 2, ceil_mode=True).flatten(1)
        for i in (0, 3):
            x = T.relu(T.linear(x, state[f"classifier.{i}.weight"], state[f"classifier.{i}.bias"]))
        return T.linear(x, state["classifier.6.weight"], state["classifier.6.bias"])
    return forward


def test_matches_torch_rewrite(model):
    torch = pytest.importorskip("torch")
    x = _image(size=225, seed=1)  # an odd size: the pools' rounding up matters
    with barenet.no_grad():
        out = model.eval()(barenet.tensor(x)).numpy()
        features = model.forward_features(barenet.tensor(x)).numpy()
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    with torch.no_grad():
        ref = _torch_zfnet(torch, state)(torch.tensor(x)).numpy()
    assert features.shape == (1, 256, 6, 6)
    assert_close(out / np.abs(ref).max(), ref / np.abs(ref).max(), rtol=1e-4, what="logits")


def test_paper_init_then_one_training_step_changes_every_parameter(model):
    weights = [m.weight.numpy() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    biases = [m.bias.numpy() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weights) == 8
    assert abs(weights[5].std() - 0.01) < 1e-4 and abs(weights[5].mean()) < 1e-5  # fc6: 37.7M draws
    assert all(abs(w.std() - 0.01) < 2e-3 for w in weights) and not any(b.any() for b in biases)

    model.train()
    out = model(barenet.tensor(_image(batch=2)))
    loss = F.cross_entropy(out, barenet.tensor(np.array([3, 7])))
    assert_sgd_step_trains_every_parameter(model, loss)
    model.zero_grad()


def test_renormalize_filters_caps_rms_per_filter(rng):
    convs = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Conv2d(6, 4, 1), nn.Linear(4, 4))
    scales = np.array([0.01, 0.5, 0.09, 2.0, 0.2, 0.05], np.float32)[:, None, None, None]
    convs[0].weight.data[...] = rng.standard_normal((6, 3, 3, 3)).astype(np.float32) * scales
    w0, w2, lin = convs[0].weight.numpy().copy(), convs[2].weight.numpy().copy(), convs[3].weight.numpy().copy()
    zf.renormalize_filters_(convs, radius=0.1)

    def reference(w):  # filter by filter
        out = w.copy()
        for o in range(w.shape[0]):
            rms = np.sqrt(np.mean(w[o] ** 2))
            if rms > 0.1:
                out[o] = w[o] * (0.1 / rms)
        return out

    assert_close(convs[0].weight.numpy(), reference(w0), rtol=1e-6)
    assert_close(convs[2].weight.numpy(), reference(w2), rtol=1e-6)
    np.testing.assert_array_equal(convs[3].weight.numpy(), lin)  # linear layers are left alone
    rms = np.sqrt((convs[0].weight.numpy() ** 2).mean(axis=(1, 2, 3)))
    assert np.allclose(rms[[1, 3, 4]], 0.1, rtol=1e-5) and np.all(rms <= 0.1 + 1e-7)
    with pytest.raises(ValueError, match=r"renormalize_filters_: radius must be positive. Received: radius=0"):
        zf.renormalize_filters_(convs, radius=0)


def test_wrong_inputs_name_the_layer(model):
    with pytest.raises(ValueError, match=r"ZFNet: expected an input of shape \(N, 3, H, W\). "
                                         r"Received: x.shape=\(1, 1, 224, 224\)"):
        model(barenet.zeros(1, 1, 224, 224))
    with pytest.raises(ValueError, match=r"ZFNet: layer 'features.4' \(Conv2d\) failed .*\(1, 3, 9, 9\)"):
        model(barenet.zeros(1, 3, 9, 9))
    # 64x64 leaves a 1x1 map where fc6 wants 6x6.
    with pytest.raises(ValueError, match=r"ZFNet: layer 'classifier.0' \(Linear\) failed .*in_features=9216"):
        model(barenet.zeros(1, 3, 64, 64))
