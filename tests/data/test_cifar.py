"""CIFAR-10/100 on small files the tests write in the archives' binary and python formats, and the
restricted unpickler against pickles that try to run code."""
import builtins
import io
import os
import pickle
import struct

import numpy as np
import pytest

from barenet.data.cifar import CIFAR10, CIFAR100
from barenet.data.safe_unpickle import UnsafePickleError, safe_load


class Py2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2's cPickle wrote CIFAR's files: every str and bytes object is a Python 2
    ``str`` (BINSTRING), and NumPy arrays name ``numpy.core.multiarray._reconstruct``."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str


def py2_pickle(obj) -> bytes:
    f = io.BytesIO()
    Py2Pickler(f, protocol=2).dump(obj)
    # protocol 2 has no frames and GLOBAL names end at newlines, so renaming the module is safe
    return f.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def images(rng, n):
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)


def check(data, x, labels):
    assert len(data) == len(x) and data.data.dtype == np.uint8
    for i in range(len(x)):
        image, label = data[i]
        assert image.shape == (3, 32, 32) and image.dtype == np.float32
        np.testing.assert_array_equal(image, x[i] / np.float32(255))
        assert type(label) is int and label == labels[i]


def write_cifar10_binary(folder, rng, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    parts = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        x, y = images(rng, n), rng.integers(0, 10, n, dtype=np.uint8)
        # record: <1 x label><3072 x pixel>, pixels as R plane, G plane, B plane, each row-major
        (folder / name).write_bytes(np.concatenate([y[:, None], x.reshape(n, -1)], axis=1).tobytes())
        parts[name] = (x, y)
    return parts


def test_cifar10_binary_train_and_test(tmp_path, rng):
    parts = write_cifar10_binary(tmp_path / "cifar-10-batches-bin", rng)
    train = CIFAR10(tmp_path)  # the folder above the extracted archive is found too
    names = [f"data_batch_{i}.bin" for i in range(1, 6)]
    check(train, np.concatenate([parts[n][0] for n in names]), np.concatenate([parts[n][1] for n in names]))
    check(CIFAR10(tmp_path / "cifar-10-batches-bin", train=False), *parts["test_batch.bin"])
    assert train.classes[3] == "cat"


@pytest.mark.parametrize("style", ["python2", "python3"])
def test_cifar10_python_version(tmp_path, rng, style):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    x, y = images(rng, 4), [int(v) for v in rng.integers(0, 10, 4)]
    batch = {"batch_label": "testing batch 1 of 1", "data": x.reshape(4, -1), "labels": y, "filenames": ["a.png"] * 4}
    blob = py2_pickle(batch) if style == "python2" else pickle.dumps(batch, protocol=4)
    (folder / "test_batch").write_bytes(blob)
    check(CIFAR10(folder, train=False), x, y)


def test_cifar100_binary_fine_and_coarse(tmp_path, rng):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    x, coarse, fine = images(rng, 5), rng.integers(0, 20, 5, dtype=np.uint8), rng.integers(0, 100, 5, dtype=np.uint8)
    # record: <1 x coarse label><1 x fine label><3072 x pixel>
    (folder / "test.bin").write_bytes(np.concatenate([coarse[:, None], fine[:, None], x.reshape(5, -1)], 1).tobytes())
    (folder / "coarse_label_names.txt").write_text("\n".join(f"super{i}" for i in range(20)) + "\n")
    check(CIFAR100(tmp_path, train=False), x, fine)
    coarse_data = CIFAR100(tmp_path, train=False, label_mode="coarse")
    check(coarse_data, x, coarse)
    assert coarse_data.classes[:2] == ["super0", "super1"] and len(coarse_data.classes) == 20
    assert CIFAR100(tmp_path, train=False).classes[99] == "99"  # no fine names file: numbers


def test_cifar100_python_with_meta(tmp_path, rng):
    x, coarse, fine = images(rng, 3), [1, 0, 19], [5, 99, 0]
    batch = {"data": x.reshape(3, -1), "fine_labels": fine, "coarse_labels": coarse}
    (tmp_path / "train").write_bytes(py2_pickle(batch))
    names = {"fine_label_names": [f"f{i}" for i in range(100)], "coarse_label_names": [f"c{i}" for i in range(20)]}
    (tmp_path / "meta").write_bytes(py2_pickle(names))
    data = CIFAR100(tmp_path, label_mode="coarse")
    check(data, x, coarse)
    assert data.classes[19] == "c19"
    assert CIFAR100(tmp_path).classes[5] == "f5"


class _Reduce:
    """An object that pickles as a call of ``fn(*args)``: what a malicious pickle does on load."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _payloads(marker):
    return {
        "os.system": _Reduce(os.system, f"touch '{marker}'"),
        "builtins.exec": _Reduce(builtins.exec, f"open({str(marker)!r}, 'w').close()"),
        "numpy.save": _Reduce(np.save, str(marker), np.zeros(1)),  # numpy, but outside the three allowed globals
    }


@pytest.mark.parametrize("name", ["os.system", "builtins.exec", "numpy.save"])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, rng, name):
    marker = tmp_path / "pwned"
    payload = _payloads(marker)[name]
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batch = {"data": images(rng, 2).reshape(2, -1), "labels": payload}
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=4))
    with pytest.raises(UnsafePickleError, match=r"refused to load .*test_batch.*Received: global '.*'"):
        CIFAR10(tmp_path, train=False)
    with pytest.raises(ValueError, match="arbitrary code"):  # UnsafePickleError is a ValueError
        safe_load(io.BytesIO(py2_pickle([payload])))
    assert not marker.exists() and not (tmp_path / "pwned.npy").exists()


def test_safe_load_keeps_plain_data_and_rejects_garbage(tmp_path):
    obj = {"a": [1, -2, 3.5, "s", b"b", (True, None)], "x": np.arange(6.0).reshape(2, 3)}
    got = safe_load(io.BytesIO(pickle.dumps(obj, protocol=4)))
    assert got["a"] == obj["a"]
    np.testing.assert_array_equal(got["x"], obj["x"])
    (tmp_path / "junk").write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match=r"safe_load: '.*junk' is not a valid pickle"):
        safe_load(tmp_path / "junk")


def test_missing_root_and_batches(tmp_path, rng):
    where = r"CIFAR10: '.*nope' is not a folder.*cs\.toronto\.edu.*never downloads"
    with pytest.raises(FileNotFoundError, match=where):
        CIFAR10(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=r"CIFAR100: no train\.bin or train in '.*'.*cifar-100-binary"):
        CIFAR100(tmp_path)
    write_cifar10_binary(tmp_path, rng)
    (tmp_path / "data_batch_4.bin").unlink()
    with pytest.raises(FileNotFoundError, match=r"CIFAR10: '.*' lacks data_batch_4\.bin"):
        CIFAR10(tmp_path)


def test_wrong_sizes_and_contents(tmp_path, rng):
    (tmp_path / "test.bin").write_bytes(bytes(3073 * 2))  # CIFAR-10 records given to CIFAR-100
    with pytest.raises(ValueError, match=r"whole 3074-byte records.*CIFAR-10's are 3073.*Received: 6146 bytes"):
        CIFAR100(tmp_path, train=False)
    (tmp_path / "test_batch").write_bytes(pickle.dumps({"data": [1, 2], "labels": [0]}, protocol=4))
    with pytest.raises(ValueError, match=r"not a CIFAR python batch.*Received: \['data', 'labels'\]"):
        CIFAR10(tmp_path, train=False)
    with pytest.raises(ValueError, match=r"label_mode must be 'fine' or 'coarse'.*'medium'"):
        CIFAR100(tmp_path, label_mode="medium")
