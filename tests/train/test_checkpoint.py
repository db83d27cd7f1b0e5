"""Checkpoints: exact round trips of nested state, safetensors without pickle, atomic writes."""
import json
import math
import os
import struct

import numpy as np
import pytest

import barenet
from barenet.train import atomic_write, load_checkpoint, save_checkpoint
from barenet.train import checkpoint as checkpoint_module


def _state():
    return {
        "epoch": 7,
        "weights": {"w": np.arange(6, dtype=np.float32).reshape(2, 3).T,  # not contiguous
                    "b": barenet.tensor([1.5, -2.0])},
        "optimizer": {"state": {0: {"step": np.array(3, dtype=np.int64), "buf": np.ones((2, 2), np.float64)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}]},
        "rng": barenet.get_rng_state(),  # holds 128-bit integers
        "scalars": [np.float32(0.1), np.int64(-4), np.bool_(True), None, math.inf, "text"],
        "mask": np.array([True, False]),
        "__odd_key": 1,
    }


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(_state(), path)
    back = load_checkpoint(path)
    want = _state()
    assert back["epoch"] == 7
    assert (back["weights"]["w"] == want["weights"]["w"]).all() and back["weights"]["w"].dtype == np.float32
    assert back["weights"]["b"].tolist() == [1.5, -2.0]
    state = back["optimizer"]["state"]
    assert list(state) == [0] and state[0]["step"].dtype == np.int64 and int(state[0]["step"]) == 3
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["rng"] == want["rng"]
    f32, i64, flag, none, inf, text = back["scalars"]
    assert type(f32) is np.float32 and f32 == np.float32(0.1)
    assert type(i64) is np.int64 and i64 == -4 and flag is np.True_ and none is None
    assert inf == math.inf and text == "text"
    assert back["mask"].dtype == bool and back["mask"].tolist() == [True, False]
    assert back["__odd_key"] == 1


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(_state(), path)
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])  # the safetensors header: JSON, no pickle anywhere
    assert header["__metadata__"]["format"] == "barenet-checkpoint-v1"
    assert "state.weights.w" in header and header["state.weights.w"]["shape"] == [3, 2]
    from safetensors.numpy import load_file

    assert (load_file(str(path))["state.weights.w"] == _state()["weights"]["w"]).all()


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a object at 'state.bad'"):
        save_checkpoint({"bad": object()}, tmp_path / "c.safetensors")
    with pytest.raises(TypeError, match=r"cannot store a <U5 array at 'state.names'; safetensors holds arrays of numbers"):
        save_checkpoint({"names": np.array(["cat", "horse"])}, tmp_path / "c.safetensors")
    assert not list(tmp_path.iterdir())


def test_load_errors(tmp_path):
    with pytest.raises(TypeError, match="load_checkpoint: path must be a str or a path. Received: NoneType"):
        load_checkpoint(None)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.safetensors")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load_checkpoint(garbage)
    from safetensors.numpy import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(foreign))
    with pytest.raises(ValueError, match="not a barenet checkpoint"):
        load_checkpoint(foreign)


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace"])
def test_a_crash_while_writing_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "last.safetensors"
    save_checkpoint({"epoch": 1, "w": np.zeros(1000, np.float32)}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(f"simulated crash in {fail_at}")

    if fail_at == "write":
        real_fdopen = os.fdopen

        class HalfWriter:  # writes half of the data, then dies
            def __init__(self, fd, mode):
                self.f = real_fdopen(fd, mode)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:len(data) // 2])
                crash()

        monkeypatch.setattr(checkpoint_module.os, "fdopen", HalfWriter)
    else:
        monkeypatch.setattr(checkpoint_module.os, fail_at, crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint({"epoch": 2, "w": np.ones(1000, np.float32)}, path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]
    assert path.read_bytes() == before and load_checkpoint(path)["epoch"] == 1


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write(path, b"first version, rather long")
    atomic_write(path, b"second")
    assert path.read_bytes() == b"second" and len(list(tmp_path.iterdir())) == 1


def test_atomic_write_gives_the_permissions_of_an_ordinary_file(tmp_path):
    import os
    import stat

    atomic_write(tmp_path / "a.bin", b"x")
    (tmp_path / "b.bin").write_bytes(b"x")
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(tmp_path / "a.bin") == mode(tmp_path / "b.bin")
