"""Memory figures: the convolution workspace estimate against the buffers a network really holds,
and the training-memory arithmetic."""
import threading

import numpy as np
import pytest

import barenet
from barenet import nn
from barenet.analysis import summary, training_memory
from barenet.analysis.memory import conv_workspace_bytes, format_bytes
from barenet.functional import im2col


def _allocated_workspace(model, x_shape) -> int:
    """Bytes of the scratch buffers a fresh thread holds after a forward and backward of ``model``."""
    found = {}

    def run():
        model(barenet.zeros(*x_shape, requires_grad=True)).sum().backward()
        found["bytes"] = sum(b.nbytes for b in im2col._local.__dict__.get("buffers", {}).values() if b is not None)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return found["bytes"]


@pytest.mark.parametrize("model, x_shape", [
    (nn.Conv2d(16, 32, 3, padding=1), (3, 16, 20, 20)),  # row shifts
    (nn.Conv2d(8, 4, 5, stride=2, padding=2), (2, 8, 17, 15)),  # im2col
    (nn.Conv2d(64, 64, 3, padding=1), (40, 64, 28, 28)),  # row shifts, more than one chunk
    (nn.Conv2d(64, 64, 3, stride=2, padding=1), (40, 64, 28, 28)),  # im2col, more than one chunk
    (nn.Conv2d(6, 16, 5), (64, 6, 14, 14)),  # LeNet's c3: "valid", computed widened to the input width
    (nn.Conv2d(12, 6, 1), (4, 12, 9, 9)),  # 1x1: im2col is one copy
    (nn.Conv2d(8, 8, 3, padding=1, groups=8), (4, 8, 9, 9)),  # depthwise
    (nn.Conv2d(4, 8, 3, padding=1, groups=4), (4, 4, 9, 9)),  # depthwise with a channel multiplier
    (nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 32, 3, stride=2, padding=1),
                   nn.Conv2d(32, 32, 3, padding=1, groups=32), nn.Conv2d(32, 8, 1)), (6, 3, 24, 24)),
])
def test_workspace_estimate_equals_the_allocated_buffers(model, x_shape):
    """Buffer by buffer, a network holds the largest size any of its layers asked for."""
    s = summary(model, x_shape[1:], batch_size=x_shape[0])
    assert s.workspace_bytes == _allocated_workspace(model, x_shape)


@pytest.mark.parametrize("model", [nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, stride=2, padding=1),
                                   nn.Conv2d(8, 8, 3, padding=1, groups=8)])
def test_large_images_are_split_into_bands_within_the_budget(model, monkeypatch):
    """A sample above MAX_CHUNK_BYTES goes through in bands of rows, each under about that budget,
    and the estimate still equals what the bands allocate."""
    x_shape = (2, 8, 64, 48)
    whole = summary(model, x_shape[1:], batch_size=2).workspace_bytes  # both samples in one chunk
    budget = whole // 8  # a quarter of one sample's
    monkeypatch.setattr(im2col, "MAX_CHUNK_BYTES", budget)
    banded = summary(model, x_shape[1:], batch_size=2).workspace_bytes
    assert banded <= 2.5 * budget  # two samples' bands, plus the rows a band shares with the next
    assert banded == _allocated_workspace(model, x_shape)


@pytest.mark.parametrize("stride", [1, 2])
def test_chunking_bounds_the_workspace(stride):
    """Unchunked, the buffers grow with the batch; chunked, they stay a small part of that."""
    x_shape, w_shape = (64, 64, 56, 56), (64, 64, 3, 3)
    whole = conv_workspace_bytes(x_shape, w_shape, stride, padding=1, chunked=False, backward=False)
    one = conv_workspace_bytes((1, *x_shape[1:]), w_shape, stride, padding=1, backward=False)
    chunked = conv_workspace_bytes(x_shape, w_shape, stride, padding=1, backward=False)
    assert 50 * one < whole <= 64 * one
    assert chunked <= whole / 4 and chunked <= 2 * im2col.MAX_CHUNK_BYTES


def test_training_memory_items():
    memory = training_memory(100, 20, 80, 1000, 7, batch_size=3, optimizer="adam")
    assert memory == {"batch_size": 3, "optimizer": "adam", "parameters": 120, "gradients": 80,
                      "optimizer_state": 160, "activations": 3000, "workspace": 7, "total": 3367}
    assert training_memory(100, 0, 80, 10, 0, 1, "sgd")["optimizer_state"] == 0
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'. Valid names: sgd, momentum"):
        training_memory(1, 0, 1, 1, 0, 1, "lamb")
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        training_memory(1, 0, 1, 1, 0, 0, "sgd")


def test_frozen_parameters_need_no_gradient_or_state():
    model = nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 2))
    model[0].requires_grad_(False)
    s = summary(model, (10,))
    assert s.trainable_params == 22 and s.trainable_bytes == 22 * 4
    assert s.training_memory(optimizer="momentum")["gradients"] == 22 * 4
    assert s.layers[1].backward_macs == 2 * s.layers[1].macs and s.layers[0].backward_macs == 0


def test_float64_model():
    s = summary(nn.Sequential(nn.Conv2d(1, 2, 3)).double(), (1, 5, 5))
    assert s.dtype == "float64" and s.param_bytes == 20 * 8 and s.activation_bytes == 2 * 9 * 8
    assert np.dtype(s.dtype).itemsize == 8


def test_format_bytes():
    assert [format_bytes(n) for n in (12, 1536, 5 * 2**30)] == ["12 B", "1.5 KiB", "5.0 GiB"]
