"""Filters, feature maps, activation maximisation, embeddings, the grid helper, and the errors a
user can cause: unknown layers, images of the wrong shape, models without convolutions."""
import numpy as np
import pytest

import barenet
import barenet.functional as F
from barenet import models, nn, viz
from barenet.data import TensorDataset
from barenet.viz.plotting import make_grid


def small_cnn():
    barenet.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 5, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(5 * 2 * 2, 3))


def test_make_grid_places_each_tile_between_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = make_grid(tiles, ncols=2, pad=1, pad_value=-1)
    assert grid.shape == (3 * 3 + 1, 2 * 4 + 1)
    for n in range(5):
        r, c = divmod(n, 2)
        np.testing.assert_array_equal(grid[1 + 3 * r:3 + 3 * r, 1 + 4 * c:4 + 4 * c], tiles[n])
    assert np.all(grid[7:9, 5:8] == -1) and np.all(grid[0] == -1)  # the empty sixth slot and the border


def test_rgb_first_layer_filters_are_colour_tiles_each_scaled_alone():
    net = small_cnn()
    grid = viz.filters(net)
    weight = net[0].weight.numpy()  # (4, 3, 3, 3)
    assert grid.shape == (2 * 4 + 1, 2 * 4 + 1, 3)
    for n in range(4):
        r, c = divmod(n, 2)
        tile = grid[1 + 4 * r:4 + 4 * r, 1 + 4 * c:4 + 4 * c]
        w = weight[n].transpose(1, 2, 0)
        np.testing.assert_allclose(tile, (w - w.min()) / (w.max() - w.min()), atol=1e-6)


def test_grey_filters_one_row_per_filter():
    grid = viz.filters(small_cnn(), "3", max_channels=2)  # 5 filters x 2 of their 4 channels
    assert grid.shape == (5 * 4 + 1, 2 * 4 + 1)


def test_feature_maps_equal_the_layer_computed_directly(rng):
    net = small_cnn()
    image = rng.standard_normal((3, 11, 11)).astype(np.float32)
    conv = F.conv2d(barenet.tensor(image[None]), net[0].weight, net[0].bias).numpy()[0]
    np.testing.assert_allclose(viz.feature_maps(net, image, "1"), np.maximum(conv, 0), rtol=1e-6)
    np.testing.assert_allclose(viz.feature_maps(net, image[None], net[0]), conv, rtol=1e-6)  # a module, a batch of 1


def test_activation_maximization_climbs_steadily():
    net = small_cnn()
    image, history = viz.activation_maximization(net, "3", 2, steps=25, size=11)
    assert image.shape == (3, 11, 11) and history.shape == (26,)
    gain = history[-1] - history[0]
    assert gain > 0.5
    assert np.diff(history).min() > -0.02 * gain  # monotone within noise
    images, histories = viz.activation_maximization(net, "6", [0, 2], steps=10, size=11)  # flat output units
    assert images.shape == (2, 3, 11, 11) and np.all(histories[-1] > histories[0])


def test_activation_maximization_errors():
    net = small_cnn()
    with pytest.raises(ValueError, match=r"activation_maximization: channel must be an index in \[0, 5\) "
                                         r"for layer '4'. Received: channel=7."):
        viz.activation_maximization(net, "4", 7, steps=2, size=11)
    with pytest.raises(ValueError, match=r"activation_maximization: steps must be a positive integer"):
        viz.activation_maximization(net, "4", 0, steps=0, size=11)


def test_embedding_pca_matches_an_eigendecomposition(rng):
    features = rng.standard_normal((40, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    points = viz.pca_2d(features)
    centred = features - features.mean(0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    expected = centred @ vectors[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(points), np.abs(expected), atol=1e-8)  # up to the sign of each axis


def test_embedding_of_a_layer_over_a_dataset(rng):
    data = TensorDataset(rng.standard_normal((30, 3, 11, 11)).astype(np.float32), np.arange(30) % 3)
    points, labels = viz.embedding(small_cnn(), data, "5", method="pca", max_samples=25, batch_size=8)
    assert points.shape == (25, 2) and labels.tolist() == (np.arange(25) % 3).tolist()
    with pytest.raises(ValueError, match=r"embedding: method must be one of \('auto', 'pca', 'tsne'\)"):
        viz.embedding(small_cnn(), data, "5", method="umap")


def test_unknown_layer_lists_the_valid_names(rng):
    image = rng.standard_normal((3, 11, 11)).astype(np.float32)
    with pytest.raises(ValueError, match=r"feature_maps: unknown layer 'conv9' in Sequential. "
                                         r"Valid names: 0, 1, 2, 3, 4, 5, 6."):
        viz.feature_maps(small_cnn(), image, "conv9")
    with pytest.raises(ValueError, match=r"gradcam: unknown layer 'features.99' in LeNet5. Valid names: features, "
                                         r"features.c1, .*head.output."):
        viz.gradcam(models.get_model("lenet5_relu"), np.zeros((1, 32, 32), np.float32), layer="features.99")
    with pytest.raises(TypeError, match=r"saliency: image must be a NumPy array or a Tensor. Received: list."):
        viz.saliency(small_cnn(), [[1.0]])


def test_images_of_the_wrong_size_or_channels(rng):
    lenet = models.get_model("lenet5_relu")
    with pytest.raises(ValueError, match=r"saliency: LeNet5 takes images with 1 channel\(s\). "
                                         r"Received: image.shape=\(3, 32, 32\)."):
        viz.saliency(lenet, np.zeros((3, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"occlusion: LeNet5 cannot take an image of shape \(1, 28, 28\): "
                                         r".*expected 32x32 images"):
        viz.occlusion(lenet, np.zeros((1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"feature_maps: expected one image of shape \(C, H, W\) or \(1, C, H, W\). "
                                         r"Received: image.shape=\(2, 1, 32, 32\)."):
        viz.feature_maps(lenet, np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"feature_maps: layer 'head.f6' gives an output of shape \(1, 84\), "
                                         r"not feature maps"):
        viz.feature_maps(lenet, np.zeros((1, 32, 32), np.float32), "head.f6")


def test_filters_need_a_convolution():
    with pytest.raises(ValueError, match=r"filters: Sequential has no convolution layer \(Conv2d\)"):
        viz.filters(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match=r"filters: layer '6' \(Linear\) has no convolution kernels \(a 4-D weight\). "
                                         r"Convolution layers of Sequential: 0, 3."):
        viz.filters(small_cnn(), "6")


def test_pictures_are_pngs(tmp_path, rng):
    net, image = small_cnn(), rng.standard_normal((3, 11, 11)).astype(np.float32)
    png = viz.plot_feature_maps(viz.feature_maps(net, image, "0"), tmp_path / "maps.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "maps.png").read_bytes() == png
    viz.plot_filters(viz.filters(net), tmp_path / "filters.png")
    prob, classes = viz.occlusion(net, image, patch=3, return_classes=True)
    viz.plot_occlusion(image, prob, tmp_path / "occ.png", class_map=classes, classes=["a", "b", "c"])
    viz.plot_deconvnet(viz.deconvnet(net, image, "4", top_k=4), image, tmp_path / "deconv.png")
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("filters.png", "occ.png", "deconv.png"))
