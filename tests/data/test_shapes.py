"""The synthetic shapes: seeded, consistent images/boxes/masks, and each class drawn as its shape."""
import numpy as np
import pytest

from barenet.data.shapes import SHAPES, Shapes


def test_seeded_and_split_dependent():
    a, b = Shapes(num_samples=20, seed=3), Shapes(num_samples=20, seed=3)
    for i in (0, 7, 19, -1):
        np.testing.assert_array_equal(a[i][0], b[i][0])
        assert a[i][1] == b[i][1]
    assert not np.array_equal(a[0][0], Shapes(num_samples=20, seed=4)[0][0])
    assert not np.array_equal(a[0][0], Shapes(num_samples=20, seed=3, train=False)[0][0])
    np.testing.assert_array_equal(a[-1][0], a[19][0])
    assert len(Shapes()) == 10_000 and len(Shapes(train=False)) == 2_000


@pytest.mark.parametrize("channels", [1, 3])
def test_images_masks_and_boxes_agree(channels):
    data = Shapes(num_samples=40, image_size=24, noise=0.0, channels=channels, seed=1)
    for i in range(len(data)):
        image, label, box, mask = data.sample(i)
        assert image.shape == (channels, 24, 24) and image.dtype == np.float32
        assert 0 <= image.min() and image.max() <= 1 and 0 <= label < len(SHAPES)
        # without noise: one colour on the mask, another off it, at least 0.3 apart in every channel
        inside, outside = image[:, mask], image[:, ~mask]
        assert inside.size and outside.size
        assert np.ptp(inside, axis=1).max() == 0 and np.ptp(outside, axis=1).max() == 0
        assert np.all(np.abs(inside[:, 0] - outside[:, 0]) >= 0.3 - 1e-6)
        rows, cols = np.nonzero(mask)
        np.testing.assert_array_equal(box, [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
        assert box[2] - box[0] >= 3 and box[3] - box[1] >= 3


def _crop(mask):
    rows, cols = np.nonzero(mask)
    return mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _properties(crop):
    h, w = crop.shape
    return {"fill": crop.mean(), "centre": crop[h // 2, w // 2], "corner": crop[0, 0] or crop[-1, -1],
            "top": crop[0].mean(), "bottom": crop[-1].mean(), "square": abs(h - w) <= 1}


EXPECTED = {  # independent descriptions of each class, checked on large noise-free drawings
    "square": lambda p: p["fill"] == 1,
    "circle": lambda p: abs(p["fill"] - np.pi / 4) < 0.08 and p["centre"] and not p["corner"] and p["square"],
    "diamond": lambda p: abs(p["fill"] - 0.5) < 0.08 and not p["corner"] and p["top"] < 0.2 and p["bottom"] < 0.2,
    "triangle": lambda p: abs(p["fill"] - 0.5) < 0.08 and p["top"] < 0.2 and p["bottom"] > 0.9,
    "cross": lambda p: abs(p["fill"] - 5 / 9) < 0.08 and p["centre"] and not p["corner"],
    "ring": lambda p: abs(p["fill"] - np.pi / 4 * 3 / 4) < 0.08 and not p["centre"] and not p["corner"],
}


def test_each_class_is_its_shape():
    data = Shapes(num_samples=60, image_size=64, scale=(0.6, 0.9), noise=0.0, seed=2)
    seen = set()
    for i in range(len(data)):
        sample = data.sample(i)
        name = data.classes[sample.label]
        props = _properties(_crop(sample.mask))
        assert EXPECTED[name](props), (name, props)
        seen.add(name)
    assert seen == set(SHAPES)


def test_target_types_and_class_subsets():
    data = Shapes(num_samples=30, image_size=16, classes=("ring", "square"),
                  target_type=("label", "box", "mask", "segmentation"), transform=lambda x: x.mean())
    labels = set()
    for i in range(len(data)):
        image, (label, box, mask, seg) = data[i]
        assert np.ndim(image) == 0 and mask.dtype == bool and seg.dtype == np.int64
        np.testing.assert_array_equal(seg, np.where(mask, label + 1, 0))
        np.testing.assert_array_equal(box, data.sample(i).box)
        labels.add(label)
    assert labels == {0, 1} and data.classes == ["ring", "square"]
    assert Shapes(num_samples=2, target_type="mask", image_size=8)[0][1].shape == (8, 8)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"classes must be distinct names among circle, .*\['hexagon'\]"):
        Shapes(classes=["hexagon"])
    with pytest.raises(ValueError, match=r"target_type must be one of label, box, mask, segmentation.*'boxes'"):
        Shapes(target_type="boxes")
    with pytest.raises(ValueError, match=r"image_size must be an int >= 8. Received: image_size=4"):
        Shapes(image_size=4)
    with pytest.raises(ValueError, match=r"scale must be .*Received: scale=\(0.5, 1.5\)"):
        Shapes(scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        Shapes(channels=2)
    with pytest.raises(IndexError, match="index out of range"):
        Shapes(num_samples=3)[3]
