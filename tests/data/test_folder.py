"""ImageFolder on a tree of PNG and JPEG files the tests write, including broken ones."""
import io
import warnings

import numpy as np
import pytest

from barenet.data.folder import ImageFolder

Image = pytest.importorskip("PIL.Image")


def save(path, array, fmt):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


@pytest.fixture
def tree(tmp_path, rng):
    """dog/ (2 PNG, one nested), cat/ (1 JPEG, 1 grey PNG), plus files that must be ignored."""
    arrays = {name: rng.integers(0, 256, (6 + i, 9 - i, 3), dtype=np.uint8) for i, name in enumerate("abcd")}
    save(tmp_path / "dog" / "a.png", arrays["a"], "PNG")
    save(tmp_path / "dog" / "puppies" / "b.PNG", arrays["b"], "PNG")
    save(tmp_path / "cat" / "c.jpg", arrays["c"], "JPEG")
    save(tmp_path / "cat" / "d.png", arrays["d"][..., 0], "PNG")  # a grey image in an RGB dataset
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "cat" / "._c.jpg").write_bytes(b"macOS resource fork")
    (tmp_path / ".cache").mkdir()
    return tmp_path, arrays


def test_classes_labels_and_pixels(tree):
    root, arrays = tree
    data = ImageFolder(root)
    assert data.classes == ["cat", "dog"] and data.class_to_idx == {"cat": 0, "dog": 1}
    assert [p.name for p, _ in data.samples] == ["c.jpg", "d.png", "a.png", "b.PNG"]
    assert data.targets.tolist() == [0, 0, 1, 1]
    image, label = data[2]
    assert label == 1 and image.dtype == np.float32 and image.shape == (3, 6, 9)
    np.testing.assert_array_equal(image, arrays["a"].transpose(2, 0, 1) / np.float32(255))
    grey, _ = data[1]  # converted to RGB: three equal planes
    np.testing.assert_array_equal(grey, np.repeat(arrays["d"][None, ..., 0], 3, axis=0) / np.float32(255))
    jpeg, _ = data[0]  # lossy: compare with Pillow's own decoding
    np.testing.assert_array_equal(jpeg, np.asarray(Image.open(root / "cat" / "c.jpg").convert("RGB"))
                                  .transpose(2, 0, 1) / np.float32(255))
    assert 0 <= jpeg.min() and jpeg.max() <= 1


def test_grey_mode_and_transforms(tree):
    root, arrays = tree
    data = ImageFolder(root, mode="L", transform=lambda x: x.shape, target_transform=str)
    shape, label = data[3]
    assert shape == (1, 7, 8) and label == "1"
    raw = ImageFolder(root, mode="L")[3][0]
    expected = np.asarray(Image.fromarray(arrays["b"]).convert("L"))
    np.testing.assert_array_equal(raw[0], expected / np.float32(255))


def test_corrupt_file_raises_naming_it_or_is_skipped(tree):
    root, _ = tree
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    data = ImageFolder(root)
    broken = [p.name for p, _ in data.samples].index("broken.png")
    with pytest.raises(ValueError, match=r"ImageFolder: cannot read the image '.*broken\.png'.*on_error='skip'"):
        data[broken]
    data[broken - 1]  # the others still read
    with pytest.warns(UserWarning, match=r"skipping '.*broken\.png'"):
        skipped = ImageFolder(root, on_error="skip")
    assert len(skipped) == len(data) - 1 and "broken.png" not in [p.name for p, _ in skipped.samples]


def test_truncated_jpeg_is_replaced_by_the_next_item_under_skip(tree):
    root, arrays = tree
    blob = io.BytesIO()
    Image.fromarray(np.tile(arrays["c"], (8, 8, 1))).save(blob, format="JPEG")  # big enough that the header survives
    (root / "cat" / "c.jpg").write_bytes(blob.getvalue()[: len(blob.getvalue()) // 2])  # header intact, data cut
    data = ImageFolder(root, on_error="skip")
    with pytest.warns(UserWarning, match=r"skipping '.*c\.jpg'"):
        image, label = data[0]
    np.testing.assert_array_equal(image, data[1][0])  # d.png, the next readable item
    with pytest.raises(ValueError, match=r"c\.jpg"):
        ImageFolder(root)[0]


def test_clear_errors(tmp_path, tree):
    with pytest.raises(FileNotFoundError, match=r"ImageFolder: '.*nope' is not a folder.*ROOT/cat/001\.jpg"):
        ImageFolder(tmp_path / "nope")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "x.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"no class folders in '.*flat'.*one sub-folder per class"):
        ImageFolder(tmp_path / "flat")
    root, _ = tree
    (root / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no readable images in the class folder\(s\) \['empty'\]"):
        ImageFolder(root)
    with pytest.raises(ValueError, match=r"mode must be 'RGB' or 'L'.*'CMYK'"):
        ImageFolder(root, mode="CMYK")
    with pytest.raises(ValueError, match=r"on_error must be 'raise' or 'skip'.*'ignore'"):
        ImageFolder(root, on_error="ignore")


def test_index_bounds(tree):
    data = ImageFolder(tree[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(data[-1][0], data[len(data) - 1][0])
    with pytest.raises(IndexError, match="index out of range"):
        data[len(data)]
