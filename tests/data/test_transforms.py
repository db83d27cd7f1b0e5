"""Transforms: shapes, ranges and geometry against naive references, Pillow and PyTorch's antialiased
resize, and reproducibility under barenet's seed."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
from barenet import nn
from barenet.data import transforms as T

Image = pytest.importorskip("PIL.Image")


def ramp(c=3, h=10, w=12, dtype=np.float32):
    """Distinct values everywhere, so a crop's position can be read off its content."""
    return (np.arange(c * h * w, dtype=np.float64).reshape(c, h, w) / (c * h * w)).astype(dtype)


def locate(window, full):
    """(top, left) of ``window`` inside ``full`` (C, H, W), found by brute force."""
    _, h, w = window.shape
    hits = [(i, j) for i in range(full.shape[1] - h + 1) for j in range(full.shape[2] - w + 1)
            if np.array_equal(full[:, i:i + h, j:j + w], window)]
    assert len(hits) == 1
    return hits[0]


# ----- conversion and normalisation -----

def test_to_tensor(rng):
    hwc = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    for source in (hwc, Image.fromarray(hwc)):
        out = T.ToTensor()(source)
        assert out.dtype == np.float32 and out.shape == (3, 4, 5)
        np.testing.assert_array_equal(out, hwc.transpose(2, 0, 1) / np.float32(255))
    assert T.ToTensor()(Image.fromarray(hwc[..., 0])).shape == (1, 4, 5)
    with pytest.raises(TypeError, match=r"ToTensor: .*already give float32 .*need no ToTensor.*float32 array"):
        T.ToTensor()(np.zeros((3, 4, 5), np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_then_inverse(rng, dtype):
    x = rng.random((3, 5, 4)).astype(dtype)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.5)
    norm = T.Normalize(mean, std)
    y = norm(x)
    assert y.dtype == dtype
    for c in range(3):
        np.testing.assert_allclose(y[c], (x[c] - mean[c]) / std[c], rtol=1e-6)
    np.testing.assert_allclose(norm.inverse(y), x, atol=1e-6)
    z = x.copy()
    assert T.Normalize(mean, std, inplace=True)(z) is z
    np.testing.assert_allclose(z, y, rtol=1e-6)
    with pytest.raises(ValueError, match=r"one value per channel. Received: 3 values, input shape \(1, 2, 2\)"):
        norm(np.zeros((1, 2, 2), dtype))
    with pytest.raises(ValueError, match="std > 0"):
        T.Normalize((0.5,), (0.0,))


# ----- resizing -----

@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 40), w=st.integers(2, 40), oh=st.integers(1, 50), ow=st.integers(1, 50))
def test_resize_matches_pillow_and_torch(h, w, oh, ow):
    x = np.random.default_rng(h * 100 + w).random((3, h, w), dtype=np.float32)
    out = T.Resize((oh, ow))(x)
    assert out.shape == (3, oh, ow) and out.dtype == np.float32
    pillow = np.stack([np.asarray(Image.fromarray(p).resize((ow, oh), Image.Resampling.BILINEAR)) for p in x])
    np.testing.assert_allclose(out, pillow, atol=1e-5)
    torch = pytest.importorskip("torch")
    if min(oh, ow) == 1:  # torch's antialiased kernel departs from Pillow there (e.g. 2x2 -> 3x1)
        return
    ref = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(oh, ow), mode="bilinear",
                                          antialias=True, align_corners=False)[0].numpy()
    np.testing.assert_allclose(out, ref, atol=1e-4)


def test_resize_shorter_side_pil_and_errors():
    assert T.Resize(16)(np.zeros((3, 32, 48), np.float32)).shape == (3, 16, 24)
    assert T.Resize(10)(np.zeros((1, 35, 20), np.float64)).shape == (1, 17, 10)  # int(10 * 35 / 20)
    assert T.Resize(10)(np.zeros((1, 35, 20), np.float64)).dtype == np.float64
    assert T.Resize((5, 7))(Image.new("RGB", (20, 10))).size == (7, 5)
    with pytest.raises(TypeError, match=r"Resize: expected a float \(C, H, W\) array or a PIL image.*uint8 array"):
        T.Resize(4)(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"size must be a positive int or a pair.*size=0"):
        T.Resize(0)


def test_scale_jitter_draws_every_scale_and_keeps_aspect():
    gen = np.random.default_rng(0)
    jitter = T.RandomScaleJitter(8, 12, generator=gen)
    shapes = {jitter(np.zeros((3, 20, 30), np.float32)).shape for _ in range(200)}
    assert {s[1] for s in shapes} == set(range(8, 13))
    assert all(s[2] == int(s[1] * 30 / 20) for s in shapes)
    with pytest.raises(ValueError, match=r"0 < smin <= smax.*smin=512, smax=256"):
        T.RandomScaleJitter(512, 256)


# ----- cropping and flipping -----

@pytest.mark.parametrize("shape, size", [((3, 10, 12), (4, 6)), ((1, 7, 7), (3, 3)), ((2, 5, 9), (5, 2))])
def test_center_crop(shape, size):
    x = ramp(*shape)
    top, left = int(round((shape[1] - size[0]) / 2)), int(round((shape[2] - size[1]) / 2))
    np.testing.assert_array_equal(T.CenterCrop(size)(x), x[:, top:top + size[0], left:left + size[1]])
    big = T.CenterCrop((shape[1] + 3, shape[2] + 2))(x)  # larger than the image: zero padding around it
    np.testing.assert_array_equal(big[:, 1:1 + shape[1], 1:1 + shape[2]], x)
    assert big.sum() == pytest.approx(x.sum())


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_lies_inside_the_padded_image(mode):
    x, gen = ramp(2, 8, 9), np.random.default_rng(1)
    padded = np.pad(x, ((0, 0), (2, 2), (3, 3)), mode=mode)  # padding (left/right=3, top/bottom=2)
    crop = T.RandomCrop((8, 9), padding=(3, 2), padding_mode=mode, generator=gen)
    corners = set()
    for _ in range(300):
        top, left = locate(crop(x), padded) if mode != "constant" else _locate_constant(crop(x), padded)
        assert 0 <= top <= 4 and 0 <= left <= 6
        corners.add((top, left))
    assert {(0, 0), (4, 6)} <= corners


def _locate_constant(window, padded):
    # zero padding repeats values, so match on the ramp's distinct non-zero part
    nz = window[0] > 0
    value = window[0][nz][0]
    i, j = np.argwhere(padded[0] == value)[0]
    di, dj = np.argwhere(nz)[0]
    np.testing.assert_array_equal(window, padded[:, i - di:i - di + window.shape[1], j - dj:j - dj + window.shape[2]])
    return i - di, j - dj


def test_random_crop_pil_pad_if_needed_and_errors():
    img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(6, 8))
    out = T.RandomCrop(4, generator=np.random.default_rng(0))(img)
    assert out.size == (4, 4) and locate(np.asarray(out)[None], np.asarray(img)[None])
    assert T.RandomCrop(10, pad_if_needed=True)(ramp(1, 6, 8)).shape == (1, 10, 10)
    with pytest.raises(ValueError, match=r"crop must fit.*size=\(10, 10\), image size=\(6, 8\)"):
        T.RandomCrop(10)(ramp(1, 6, 8))
    with pytest.raises(ValueError, match="padding_mode must be one of constant, edge"):
        T.RandomCrop(4, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"padding must be .*padding=\(1, 2, 3\)"):
        T.RandomCrop(4, padding=(1, 2, 3))


def test_flip_is_an_involution_and_happens_with_probability_p():
    x = ramp()
    flip = T.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(flip(x), x[:, :, ::-1])
    np.testing.assert_array_equal(flip(flip(x)), x)
    np.testing.assert_array_equal(np.asarray(flip(Image.fromarray((x[0] * 255).astype(np.uint8)))),
                                  (x[0] * 255).astype(np.uint8)[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    half = T.RandomHorizontalFlip(generator=np.random.default_rng(0))
    flips = sum(not np.array_equal(half(x), x) for _ in range(1000))
    assert 430 < flips < 570


def test_random_resized_crop_params_obey_scale_and_ratio():
    x = ramp(3, 40, 60)
    rrc = T.RandomResizedCrop(16, scale=(0.2, 0.6), ratio=(0.5, 2.0), generator=np.random.default_rng(0))
    for _ in range(200):
        top, left, h, w = rrc.get_params(x)
        assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 60
        assert 0.2 - 0.05 <= h * w / 2400 <= 0.6 + 0.05  # rounding of the side lengths
        assert 0.5 * 0.9 <= w / h <= 2.0 * 1.1
    assert rrc(x).shape == (3, 16, 16)
    # no draw can fit: torchvision's fallback is the centre crop clamped to the ratio range
    wide = T.RandomResizedCrop(8, scale=(5.0, 6.0), ratio=(1.0, 1.5), generator=np.random.default_rng(0))
    assert wide.get_params(ramp(1, 10, 40)) == (0, 12, 10, 15)
    np.testing.assert_allclose(wide(ramp(1, 10, 40)), T.Resize((8, 8))(ramp(1, 10, 40)[:, :, 12:27]))


def test_five_and_ten_crop():
    x = ramp(2, 9, 12)
    five = T.FiveCrop((5, 6))(x)
    expected = [x[:, :5, :6], x[:, :5, 6:], x[:, 4:, :6], x[:, 4:, 6:], x[:, 2:7, 3:9]]
    np.testing.assert_array_equal(five, np.stack(expected))
    ten = T.TenCrop((5, 6))(x)
    assert ten.shape == (10, 2, 5, 6)
    np.testing.assert_array_equal(ten[:5], five)
    # the flipped image's corners are the mirrors of the opposite corners; the centre mirrors itself
    for k, source in enumerate([1, 0, 3, 2, 4]):
        np.testing.assert_array_equal(ten[5 + k], five[source][:, :, ::-1])
    vertical = T.TenCrop((5, 6), vertical_flip=True)(x)
    for k, source in enumerate([2, 3, 0, 1]):
        np.testing.assert_array_equal(vertical[5 + k], five[source][:, ::-1, :])
    with pytest.raises(ValueError, match=r"FiveCrop: the crop must fit.*size=\(10, 6\)"):
        T.FiveCrop((10, 6))(x)
    with pytest.raises(TypeError, match=r"TenCrop: expected a \(C, H, W\) array"):
        T.TenCrop(2)(Image.new("RGB", (4, 4)))


# ----- colour -----

def _fit_factor(out, x, anchor):
    """The single f with out - anchor = f * (x - anchor), checked to hold at every pixel."""
    f = float(np.sum((out - anchor) * (x - anchor)) / np.sum((x - anchor) ** 2))
    np.testing.assert_allclose(out, anchor + f * (x - anchor), atol=1e-5)
    return f


def test_color_jitter_each_property(rng):
    x = 0.25 + 0.5 * rng.random((3, 6, 7)).astype(np.float32)  # far enough from 0 and 1 to avoid clipping
    gen = np.random.default_rng(0)
    grey = np.tensordot([0.299, 0.587, 0.114], x, axes=1)[None]
    for _ in range(20):
        f = _fit_factor(T.ColorJitter(brightness=0.3, generator=gen)(x), x, 0.0)
        assert 0.7 - 1e-6 <= f <= 1.3 + 1e-6
        f = _fit_factor(T.ColorJitter(contrast=0.3, generator=gen)(x), x, grey.mean())
        assert 0.7 - 1e-6 <= f <= 1.3 + 1e-6
        f = _fit_factor(T.ColorJitter(saturation=(0.2, 0.4), generator=gen)(x), x, grey)
        assert 0.2 - 1e-6 <= f <= 0.4 + 1e-6
    bright = T.ColorJitter(brightness=(3.0, 3.0))(x)
    assert bright.max() == 1.0 and bright.dtype == np.float32
    grey_image = np.repeat(x[:1], 3, axis=0)  # no colour: saturation has nothing to change
    np.testing.assert_allclose(T.ColorJitter(saturation=0.9)(grey_image), grey_image, atol=1e-6)
    with pytest.raises(ValueError, match=r"brightness must be non-negative.*-0.1"):
        T.ColorJitter(brightness=-0.1)


def test_lighting_moves_colour_along_the_eigenvectors(rng):
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # an orthonormal basis as eigenvectors
    x = rng.random((3, 5, 6)).astype(np.float32)
    only_first = T.Lighting(0.5, eigval=(2.0, 0.0, 0.0), eigvec=q, generator=np.random.default_rng(0))
    shift = only_first(x) - x
    np.testing.assert_allclose(shift, np.broadcast_to(shift[:, :1, :1], shift.shape), atol=1e-6)  # same everywhere
    rgb = shift[:, 0, 0]
    np.testing.assert_allclose(np.cross(rgb, q[:, 0]), 0, atol=1e-6)  # parallel to the first eigenvector
    lighting, alphas = T.Lighting(0.1, eigval=(1.0, 2.0, 4.0), eigvec=q, generator=np.random.default_rng(1)), []
    for _ in range(400):
        rgb = (lighting(x) - x)[:, 0, 0].astype(np.float64)
        alphas.append(q.T @ rgb / np.array([1.0, 2.0, 4.0]))  # coordinates along the eigenvectors / eigval
    assert np.allclose(np.std(alphas, axis=0), 0.1, rtol=0.15)
    eigvec = np.asarray(T.IMAGENET_PCA_EIGVEC)  # the published vectors are orthonormal columns
    np.testing.assert_allclose(eigvec.T @ eigvec, np.eye(3), atol=2e-3)
    with pytest.raises(ValueError, match=r"expected an RGB \(3, H, W\) image.*\(1, 5, 6\)"):
        T.Lighting()(x[:1])


def test_pca_lighting_equals_the_pixel_covariance(rng):
    mix = np.array([[1.0, 0.2, 0.1], [0.5, 1.0, 0.0], [0.3, 0.3, 0.6]])
    images = np.einsum("ij,njhw->nihw", mix, rng.random((6, 3, 7, 5)))
    eigval, eigvec = T.pca_lighting(images)
    cov = np.cov(images.transpose(1, 0, 2, 3).reshape(3, -1), bias=True)
    np.testing.assert_allclose(eigval, np.sort(np.linalg.eigvalsh(cov))[::-1], rtol=1e-8)
    np.testing.assert_allclose(cov @ eigvec, eigvec * eigval, atol=1e-10)
    as_dataset = [(img.astype(np.float32), 0) for img in images]
    np.testing.assert_allclose(T.pca_lighting(as_dataset)[0], eigval, rtol=1e-5)
    np.testing.assert_allclose(T.pca_lighting(images, max_images=2)[0], T.pca_lighting(images[:2])[0])


# ----- reproducibility and test-time averaging -----

def pipeline(generator=None):
    return T.Compose([T.RandomResizedCrop(12, generator=generator), T.RandomHorizontalFlip(generator=generator),
                      T.ColorJitter(0.4, 0.4, 0.4, generator=generator), T.Lighting(generator=generator),
                      T.RandomCrop(10, padding=2, generator=generator)])


def test_reproducible_under_a_seed(rng):
    x = rng.random((3, 20, 24)).astype(np.float32)
    barenet.manual_seed(7)
    first = [pipeline()(x) for _ in range(3)]
    barenet.manual_seed(7)
    again = [pipeline()(x) for _ in range(3)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    own = [pipeline(np.random.default_rng(3))(x) for _ in range(2)]
    np.testing.assert_array_equal(own[0], own[1])


def test_multi_crop_predict_averages_softmax_over_crops(rng):
    barenet.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    image = rng.random((3, 6, 6)).astype(np.float32)
    probs = T.multi_crop_predict(model, image, T.TenCrop(4))
    crops = T.TenCrop(4)(image).reshape(10, -1)
    logits = crops @ model[1].weight.numpy().T + model[1].bias.numpy()
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected = (expected / expected.sum(1, keepdims=True)).mean(0)
    np.testing.assert_allclose(probs, expected, rtol=1e-5)
    assert probs.shape == (5,) and probs.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"crops must return a \(K, C, h, w\) array. Received: shape \(3, 4, 4\)"):
        T.multi_crop_predict(model, image, T.CenterCrop(4))


@pytest.mark.parametrize("call, error, match", [
    (lambda: T.Resize(4)(np.ones((3, 0, 8), np.float32)), ValueError, r"Resize: the image is empty. Received: an array of shape \(3, 0, 8\)"),
    (lambda: T.RandomResizedCrop(4)(np.ones((3, 8, 0), np.float32)), ValueError, r"RandomResizedCrop: the image is empty"),
    (lambda: T.Pad(2.5), ValueError, r"Pad: padding must be a non-negative int"),
    (lambda: T.Pad(-1), ValueError, r"Pad: padding must be a non-negative int"),
    (lambda: T.Pad(None), ValueError, r"Pad: padding must be a non-negative int"),
    (lambda: T.Pad(1)(None), TypeError, r"Pad: expected a \(C, H, W\) array"),
    (lambda: T.RandomCrop(4, padding=(1, 2, 3)), ValueError, r"RandomCrop: padding must be a non-negative int"),
    (lambda: T.TenCrop(4)(np.ones((3, 2, 2), np.float32)), ValueError, r"TenCrop: the crop must fit inside the image"),
    (lambda: T.Normalize("ab", {}), TypeError, r"Normalize: mean and std must be sequences of numbers"),
])
def test_bad_arguments_name_the_transform(call, error, match):
    with pytest.raises(error, match=match):
        call()
