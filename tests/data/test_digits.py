"""The embedded digits: split, scaling, resizing (against Pillow) and the dataset registry."""
import numpy as np
import pytest
from harness import assert_close

from barenet.data import DataLoader, Digits, get_dataset, list_datasets, resize_bilinear


@pytest.fixture(scope="module")
def raw():
    from sklearn.datasets import load_digits

    return load_digits()


def _pillow_resize(image, size):
    from PIL import Image

    return np.asarray(Image.fromarray(image.astype(np.float32), mode="F").resize((size, size), Image.BILINEAR))


def test_split_sizes_disjoint_and_stratified(raw):
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    labels = np.concatenate([train.tensors[1], test.tensors[1]])
    assert (np.bincount(labels) == np.bincount(raw.target)).all()
    per_class = np.bincount(test.tensors[1], minlength=10)
    totals = np.bincount(labels, minlength=10)
    assert (np.abs(per_class - 0.2 * totals) <= 1).all()  # stratified: 20% of every class
    both = np.concatenate([train.tensors[0], test.tensors[0]]).reshape(1797, -1)
    assert len(np.unique(both, axis=0)) == len(np.unique(both[:1437], axis=0)) + len(np.unique(both[1437:], axis=0))


def test_same_seed_same_split_other_seed_other_split():
    assert (Digits(train=False, seed=0).tensors[0] == Digits(train=False).tensors[0]).all()
    assert not (Digits(train=False, seed=1).tensors[1] == Digits(train=False).tensors[1]).all()


def test_scaling_gives_mean_zero_and_variance_one_on_the_training_part():
    train, test = Digits(train=True), Digits(train=False)
    x = train.tensors[0]
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-5
    assert np.isclose(x.min(), train.background) and np.isclose(x.max(), train.foreground)
    assert -1 < train.background < -0.9 and 2.1 < train.foreground < 2.2
    assert (test.background, test.foreground) == (train.background, train.foreground)
    assert test.tensors[0].min() >= train.background - 1e-6 and test.tensors[0].max() <= train.foreground + 1e-6


def test_range_shape_and_dtype():
    x, y = Digits(train=False).tensors
    assert x.shape == (360, 1, 32, 32) and x.dtype == np.float32
    assert y.dtype == np.int64 and set(y) == set(range(10))
    image, label = Digits(train=False)[0]
    assert image.shape == (1, 32, 32) and label.shape == ()
    assert Digits(train=False, image_size=16).tensors[0].shape == (360, 1, 16, 16)


def test_images_are_the_pillow_resized_digits(raw):
    """Every test image is one of scikit-learn's digits, enlarged as Pillow does, then rescaled."""
    test = Digits(train=False)
    reference = np.stack([_pillow_resize(img / 16.0, 32) for img in raw.images])  # (1797, 32, 32)
    reference = test.background + (test.foreground - test.background) * reference
    x, y = test.tensors
    for image, label in zip(x[:20, 0], y[:20]):
        dist = np.abs(reference - image).max(axis=(1, 2))
        assert dist.min() < 1e-5 and raw.target[dist.argmin()] == label


@pytest.mark.parametrize("shape,size", [((8, 8), 32), ((3, 8, 8), (20, 12)), ((5, 7), (9, 30)), ((6, 6), 6)])
def test_resize_bilinear_matches_pillow_when_enlarging(shape, size, rng):
    images = rng.random(shape)
    out = resize_bilinear(images, size)
    oh, ow = (size, size) if isinstance(size, int) else size
    assert out.shape == shape[:-2] + (oh, ow)
    from PIL import Image

    flat = images.reshape(-1, *shape[-2:])
    ref = np.stack([np.asarray(Image.fromarray(im.astype(np.float32), mode="F").resize((ow, oh), Image.BILINEAR))
                    for im in flat]).reshape(out.shape)
    assert_close(out, ref, rtol=1e-5)


def test_resize_errors():
    with pytest.raises(ValueError, match=r"expected images of shape \(\.\.\., H, W\).*size=0"):
        resize_bilinear(np.zeros((4, 4)), 0)
    with pytest.raises(ValueError, match="image_size must be an integer >= 8"):
        Digits(image_size=4)
    with pytest.raises(ValueError, match="test_size must lie in"):
        Digits(test_size=1.5)
    with pytest.raises(ValueError, match="max_shift must be a non-negative integer. Received: max_shift=-1"):
        Digits(max_shift=-1)


def test_transform_applies_to_items_and_batches():
    flip = Digits(train=False, transform=lambda image: image[:, :, ::-1])
    plain = Digits(train=False)
    assert (flip[3][0].numpy() == plain[3][0].numpy()[:, :, ::-1]).all()
    x, y = next(iter(DataLoader(flip, batch_size=5)))
    assert (x.numpy() == plain.tensors[0][:5, :, :, ::-1]).all() and (y.numpy() == plain.tensors[1][:5]).all()


def test_augmented_digits_are_shifted_copies_with_background_fill():
    import barenet

    data = get_dataset("digits", augment=True)
    assert (data.train.max_shift, data.test.max_shift) == (2, 0)
    barenet.manual_seed(0)
    x, y = next(iter(DataLoader(data.train, batch_size=64)))
    x, originals = x.numpy()[:, 0], data.train.tensors[0][:64, 0]
    bg = data.train.background
    for image, original in zip(x, originals):
        padded = np.pad(original, 2, constant_values=bg)
        shifts = [(dy, dx) for dy in range(5) for dx in range(5)
                  if np.array_equal(padded[dy:dy + 32, dx:dx + 32], image)]
        assert shifts, "not a shift of the original by at most 2 pixels"
    assert not np.array_equal(x, originals)  # some were moved
    barenet.manual_seed(0)
    again = next(iter(DataLoader(data.train, batch_size=64)))[0].numpy()[:, 0]
    assert np.array_equal(again, x)  # the shifts come from barenet's seeded generator
    single = data.train[0][0].numpy()[0]
    assert any(np.array_equal(np.pad(originals[0], 2, constant_values=bg)[dy:dy + 32, dx:dx + 32], single)
               for dy in range(5) for dx in range(5))


def test_registry_builds_digits_and_knows_the_folder_datasets():
    data = get_dataset("digits")
    assert (data.name, data.num_classes, data.in_channels, data.image_size) == ("digits", 10, 1, (32, 32))
    assert data.train.max_shift == 0
    assert "digits" in list_datasets()
    with pytest.raises(ValueError, match=r"dataset 'imagenet' is unknown. Supported: .*digits"):
        get_dataset("imagenet")
    with pytest.raises(ValueError, match="takes no argument"):
        get_dataset("digits:/tmp")
    assert set(list_datasets()) == {"cifar10", "cifar100", "digits", "fashion-mnist", "folder", "mnist", "shapes"}
    with pytest.raises(ValueError, match=r"'cifar10' reads the CIFAR-10 batches from a folder; pass it as 'cifar10:DIR'"):
        get_dataset("cifar10")
