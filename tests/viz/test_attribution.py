"""Occlusion, saliency and Grad-CAM must find the evidence where it is: a hand-built model whose only
evidence for class 1 is a bright blob; wherever the blob sits, the maps peak there."""
import numpy as np
import pytest

import barenet
import barenet.functional as F
from barenet import nn, viz

SIZE, BLOB = 16, 4


class BlobNet(nn.Module):
    """Class 1's score is the mean of a rectified 3x3 blob detector; class 0 is a constant.

    The activation is ``F.relu`` called inside ``forward`` (no module), on purpose.
    """

    def __init__(self):
        super().__init__()
        self.detect = nn.Conv2d(1, 2, 3, padding=1)
        self.classify = nn.Linear(2, 2)
        with barenet.no_grad():
            self.detect.weight.fill_(0.0)
            self.detect.weight[0] = 1.0 / 9.0  # channel 0: local brightness above a threshold
            self.detect.bias.copy_(np.array([-0.3, -10.0], np.float32))  # channel 1: never fires
            self.classify.weight.copy_(np.array([[0.0, 0.0], [300.0, 0.0]], np.float32))
            self.classify.bias.copy_(np.array([2.0, 0.0], np.float32))

    def forward(self, x):
        maps = F.relu(self.detect(x))
        return self.classify(F.adaptive_avg_pool2d(maps, 1).flatten(1))


def blob_image(top: int, left: int, rng) -> np.ndarray:
    image = rng.uniform(0.0, 0.1, (1, SIZE, SIZE)).astype(np.float32)  # faint noise the detector ignores
    image[0, top:top + BLOB, left:left + BLOB] = 1.0
    return image


def quadrant(index, shape) -> tuple:
    row, col = np.unravel_index(index, shape)
    return int(row >= shape[0] // 2), int(col >= shape[1] // 2)


CORNERS = [((2, 2), (0, 0)), ((10, 10), (1, 1)), ((2, 10), (0, 1))]


@pytest.mark.parametrize("position,expected", CORNERS)
def test_maps_peak_at_the_blob(position, expected, rng):
    model, image = BlobNet(), blob_image(*position, rng)
    probs = F.softmax(model(barenet.tensor(image[None])), dim=1).numpy()[0]
    assert probs[1] > 0.9  # the blob is the evidence for class 1
    sal = viz.saliency(model, image)
    cam = viz.gradcam(model, image)
    prob_map = viz.occlusion(model, image, target=1, patch=4, stride=1)
    assert quadrant(sal.argmax(), sal.shape) == expected
    assert quadrant(cam.argmax(), cam.shape) == expected
    assert quadrant(prob_map.argmin(), prob_map.shape) == expected  # hiding the blob hurts most
    assert prob_map.max() - prob_map.min() > 0.3  # a clear dip, not noise
    assert cam.min() >= 0.0 and cam.max() == pytest.approx(1.0)


def test_saliency_is_zero_where_the_detector_is_silent(rng):
    model, image = BlobNet(), blob_image(2, 2, rng)
    sal = viz.saliency(model, image)
    assert np.all(sal[9:, 9:] == 0.0) and sal[2:6, 2:6].max() > 0


def test_occlusion_class_map_and_batches_agree(rng):
    model, image = BlobNet(), blob_image(2, 2, rng)
    one = viz.occlusion(model, image, target=1, patch=5, stride=3, batch_size=1)
    many, classes = viz.occlusion(model, image, target=1, patch=5, stride=3, batch_size=64, return_classes=True)
    np.testing.assert_allclose(one, many, rtol=1e-6)
    assert classes.shape == (SIZE, SIZE) and classes.dtype == np.int64
    assert classes[3, 3] == 0 and classes[14, 14] == 1  # hidden blob: class 0 wins; far away: class 1


def test_occlusion_averages_the_positions_covering_each_pixel(rng):
    """An independent loop over positions, with the square's value and the averaging written out."""
    model, image = BlobNet(), blob_image(5, 6, rng)
    patch, stride, fill = 6, 4, 0.25
    got = viz.occlusion(model, image, target=1, patch=patch, stride=stride, fill=fill)
    total, count = np.zeros((SIZE, SIZE)), np.zeros((SIZE, SIZE))
    starts = sorted(set(range(0, SIZE - patch + 1, stride)) | {SIZE - patch})
    for top in starts:
        for left in starts:
            hidden = image.copy()
            hidden[:, top:top + patch, left:left + patch] = fill
            p = F.softmax(model(barenet.tensor(hidden[None])), dim=1).numpy()[0, 1]
            total[top:top + patch, left:left + patch] += p
            count[top:top + patch, left:left + patch] += 1
    np.testing.assert_allclose(got, total / count, rtol=1e-5)


def test_gradcam_follows_the_tensor_gradient_at_a_named_layer(rng):
    """Grad-CAM at the detector equals relu(sum_k mean(dS/dA_k) A_k), computed here with retain_grad."""
    model, image = BlobNet(), blob_image(3, 9, rng)
    x = barenet.tensor(image[None])
    maps = model.detect(x)
    maps.retain_grad()
    score = model.classify(F.adaptive_avg_pool2d(F.relu(maps), 1).flatten(1))[:, 1].sum()
    score.backward()
    alpha = maps.grad.numpy()[0].mean(axis=(1, 2))
    cam = np.maximum(np.tensordot(alpha, maps.numpy()[0], axes=1), 0)  # already at input size
    np.testing.assert_allclose(viz.gradcam(model, image, target=1, layer="detect"), cam / cam.max(), atol=1e-6)


def test_state_is_restored_and_hooks_removed_even_on_error(rng):
    model, image = BlobNet(), blob_image(2, 2, rng)
    model.train()
    with pytest.raises(ValueError, match=r"gradcam: target must be a class index in \[0, 2\). Received: target=5"):
        viz.gradcam(model, image, target=5, layer="detect")
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert all(not m._forward_hooks for m in model.modules())
    viz.saliency(model, image)
    assert all(p.grad is None for p in model.parameters())  # no weight gradients left behind


@pytest.mark.parametrize("kwargs,message", [
    ({"patch": 20}, r"occlusion: the patch must fit in the image"),
    ({"stride": 0}, r"occlusion: stride must be a positive int"),
    ({"fill": [1.0, 2.0]}, r"occlusion: fill must be one number or one per channel \(1\)"),
    ({"batch_size": 0}, r"occlusion: batch_size must be a positive integer"),
])
def test_occlusion_rejects_bad_settings(kwargs, message, rng):
    with pytest.raises(ValueError, match=message):
        viz.occlusion(BlobNet(), blob_image(2, 2, rng), **kwargs)
