"""get_dataset on real file formats: MNIST IDX files written by the test, end to end through the CLI."""
import struct

import numpy as np

from barenet.cli.main import main
from barenet.data import get_dataset


def _write_mnist(root, n=40, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, :2] = 0, 255  # background and full ink in every image
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        (root / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
        (root / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, n) + labels.tobytes())
    return images, labels


def test_mnist_digits_sit_centred_in_lenets_32x32_field_at_the_papers_levels(tmp_path):
    """LeCun et al. 1998, section III-A: a 28x28 digit centred in a 32x32 field, background -0.1,
    full ink 1.175."""
    images, labels = _write_mnist(tmp_path)
    data = get_dataset(f"mnist:{tmp_path}")
    assert (data.num_classes, data.in_channels, data.image_size) == (10, 1, (32, 32))
    x, y = data.test[3]
    assert x.shape == (1, 32, 32) and y == labels[3]
    np.testing.assert_allclose(x[0, 2:30, 2:30], -0.1 + 1.275 * images[3] / 255.0, atol=1e-6)
    np.testing.assert_allclose(x[0, 2, 2:4], [-0.1, 1.175], atol=1e-6)
    np.testing.assert_allclose(x[0, :2], -0.1, atol=1e-6)
    np.testing.assert_allclose(x[0, :, 30:], -0.1, atol=1e-6)


def test_cli_trains_lenet5_on_mnist_files(tmp_path, capsys):
    _write_mnist(tmp_path)
    assert main(["train", "--data", f"mnist:{tmp_path}", "--epochs", "1", "--out", str(tmp_path / "runs"),
                 "--no-progress"]) == 0
    assert "test accuracy:" in capsys.readouterr().out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.startswith("lenet5-mnist-2")  # named for the dataset, not for the folder it came from
