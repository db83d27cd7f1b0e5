"""MNIST / Fashion-MNIST on small IDX files the tests write themselves (raw and gzipped)."""
import gzip
import struct

import numpy as np
import pytest

from barenet.data.dataset import DataLoader
from barenet.data.mnist import MNIST, FashionMNIST, read_idx

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX as LeCun specifies it, written independently of the reader."""
    header = bytes([0, 0, _CODES[array.dtype.type], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, array, gz: bool):
    blob = idx_bytes(array)
    path.write_bytes(gzip.compress(blob) if gz else blob)


def make_split(folder, prefix, n, gz, rng, size=(28, 28)):
    images = rng.integers(0, 256, (n, *size), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, gz)
    write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz)
    return images, labels


@pytest.fixture
def mnist_dir(tmp_path, rng):
    train = make_split(tmp_path, "train", 7, gz=True, rng=rng)
    test = make_split(tmp_path, "t10k", 3, gz=False, rng=rng)
    return tmp_path, train, test


@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_every_type(tmp_path, rng, dtype, gz):
    array = (rng.standard_normal((2, 3, 5)) * 50).astype(dtype)
    write(tmp_path / "x", array, gz)
    got = read_idx(tmp_path / "x")
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_splits_raw_and_gz(mnist_dir):
    root, (train_x, train_y), (test_x, test_y) = mnist_dir
    for train, (x, y) in ((True, (train_x, train_y)), (False, (test_x, test_y))):
        data = MNIST(root, train=train)
        assert len(data) == len(x) and data.data.dtype == np.uint8
        for i in range(len(x)):
            image, label = data[i]
            assert image.dtype == np.float32 and image.shape == (1, 28, 28)
            np.testing.assert_array_equal(image[0], x[i] / np.float32(255))
            assert type(label) is int and label == y[i]


def test_getitems_batch_matches_items(mnist_dir):
    data = MNIST(mnist_dir[0])
    images, labels = data.__getitems__(np.array([4, 0, 2]))
    for row, i in enumerate([4, 0, 2]):
        np.testing.assert_array_equal(images[row], data[i][0])
        assert labels[row] == data[i][1]
    flipped = MNIST(mnist_dir[0], transform=lambda x: x[:, :, ::-1])  # per-item path, then stacked
    x, y = next(iter(DataLoader(flipped, batch_size=4)))
    assert x.shape == (4, 1, 28, 28) and y.shape == (4,)
    np.testing.assert_array_equal(x.numpy()[3], data[3][0][:, :, ::-1])


def test_transforms_and_torchvision_layout(tmp_path, rng):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = make_split(raw, "t10k", 4, gz=True, rng=rng)
    data = FashionMNIST(tmp_path, train=False, transform=lambda x: x.sum(), target_transform=lambda y: -y)
    image, label = data[1]
    assert np.ndim(image) == 0 and label == -int(labels[1])
    assert data.classes[9] == "Ankle boot"


def test_missing_folder_and_files_say_where_they_come_from(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MNIST: '.*nope' is not a folder.*LeCun"):
        MNIST(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=r"no train-images-idx3-ubyte\[\.gz\] in .*LeCun.*never downloads"):
        MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST: no t10k-images.*zalandoresearch"):
        FashionMNIST(tmp_path, train=False)


def test_wrong_magic_and_size(tmp_path, rng):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01\0\0\0\1\7")
    with pytest.raises(ValueError, match=r"not an IDX file.*Received: 0x12340801"):
        read_idx(tmp_path / "bad")
    truncated = idx_bytes(np.zeros((3, 4, 4), np.uint8))[:-5]
    (tmp_path / "short").write_bytes(truncated)
    with pytest.raises(ValueError, match=r"truncated.*promises 64 bytes.*Received: 59 bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(b"0" * 100)[:15])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(tmp_path / "broken.gz")


def test_images_and_labels_must_agree(tmp_path, rng):
    make_split(tmp_path, "train", 5, gz=False, rng=rng)
    write(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, np.uint8), gz=False)
    with pytest.raises(ValueError, match=r"one uint8 label per image.*\(5\).*shape \(4,\)"):
        MNIST(tmp_path)
    # swapped files: labels where images belong
    write(tmp_path / "train-images-idx3-ubyte", np.zeros(5, np.uint8), gz=False)
    with pytest.raises(ValueError, match=r"uint8 images of shape \(N, H, W\)"):
        MNIST(tmp_path)
    make_split(tmp_path, "train", 5, gz=False, rng=rng)
    write(tmp_path / "train-labels-idx1-ubyte", np.full(5, 12, np.uint8), gz=False)
    with pytest.raises(ValueError, match=r"labels .* must lie in 0\.\.9"):
        MNIST(tmp_path)
