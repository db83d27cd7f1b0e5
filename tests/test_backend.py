"""The array backend (NumPy; CuPy when present) and the seeded random generator."""
import json

import numpy as np
import pytest

import barenet
from barenet import backend, random


# ----- backend -----------------------------------------------------------------------------------
def test_get_array_module_is_numpy_for_cpu_data():
    assert backend.get_array_module(np.zeros(2)) is np
    assert backend.get_array_module(np.float32(1.0), [1, 2], 3.0) is np
    assert backend.get_array_module() is np


def test_array_module_of_the_fixture(xp):
    assert backend.get_array_module(xp.zeros(2)) is xp
    assert backend.device_of(xp.zeros(2)) == ("cpu" if xp is np else "cuda")


@pytest.mark.parametrize("name, expected", [("cpu", "cpu"), ("cpu:0", "cpu")])
def test_check_device(name, expected):
    assert backend.check_device(name) == expected


def test_unknown_device_is_a_value_error():
    with pytest.raises(ValueError, match=r"device: expected one of \('cpu', 'cuda'\). Received: device='tpu'"):
        backend.check_device("tpu")
    with pytest.raises(ValueError, match="device: expected one of"):
        barenet.zeros(2, device="mps")


@pytest.mark.skipif(backend.cupy_available(), reason="checks the message shown without CuPy")
def test_cuda_without_cupy_is_a_clear_runtime_error():
    for call in (lambda: backend.check_device("cuda"), lambda: backend.to_device(np.zeros(2), "cuda:0"),
                 lambda: barenet.tensor([1.0]).to("cuda"), lambda: barenet.tensor([1.0], device="cuda")):
        with pytest.raises(RuntimeError, match=r"device: 'cuda' needs CuPy and a GPU.*pip install barenet\[cuda\]"):
            call()


def test_to_numpy_and_to_device_on_cpu():
    a = np.arange(3.0)
    assert backend.to_numpy(a) is a and backend.to_device(a, "cpu") is a
    assert isinstance(backend.to_numpy([1, 2]), np.ndarray)


def test_a_graph_runs_on_the_fixture_backend(xp):
    """Forward and backward through several ops give the same numbers on either backend."""
    device = "cpu" if xp is np else "cuda"
    values = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    results = []
    for where in ("cpu", device):
        x = barenet.tensor(values, dtype=barenet.float64, device=where, requires_grad=True)
        y = ((x * x).sum(1, keepdim=True) / 3.0 + x.exp()).reshape(3, 2).transpose(0, 1)[1:].max()
        y.backward()
        assert x.device == where and x.grad.device == where
        results.append((y.item(), x.grad.numpy()))
    assert results[0][0] == pytest.approx(results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_gradcheck_on_the_fixture_backend(xp):
    device = "cpu" if xp is np else "cuda"
    x = barenet.tensor(np.array([[0.3, -1.2], [2.0, 0.5]]), dtype=barenet.float64, device=device, requires_grad=True)
    assert barenet.gradcheck(lambda t: (t * t.exp()).sum(0), [x])


# ----- random ---------------------------------------------------------------------------------------
def test_manual_seed_makes_every_draw_reproducible():
    def draws():
        return (barenet.randn(5).numpy(), barenet.rand(3).numpy(), barenet.randint(0, 100, (4,)).numpy(),
                random.default_generator().permutation(10))

    barenet.manual_seed(123)
    first = draws()
    barenet.manual_seed(123)
    second = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    barenet.manual_seed(124)
    assert not np.array_equal(barenet.randn(5).numpy(), first[0])


def test_manual_seed_reseeds_in_place_with_numpys_stream():
    kept = random.default_generator()
    assert barenet.manual_seed(5) is kept
    np.testing.assert_array_equal(kept.random(4), np.random.default_rng(5).random(4))


def test_rng_state_round_trip_through_json():
    barenet.manual_seed(7)
    barenet.randn(3)
    state = json.loads(json.dumps(barenet.get_rng_state()))
    expected = barenet.randn(6).numpy()
    barenet.manual_seed(99)
    barenet.set_rng_state(state)
    np.testing.assert_array_equal(barenet.randn(6).numpy(), expected)


def test_rng_state_is_a_snapshot():
    state = barenet.get_rng_state()
    barenet.randn(2)
    assert barenet.get_rng_state() != state


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="manual_seed: seed must be a non-negative integer"):
        barenet.manual_seed(seed)


def test_bad_rng_state():
    with pytest.raises(ValueError, match="set_rng_state: not a state from get_rng_state"):
        barenet.set_rng_state({"bit_generator": "MT19937", "state": {}})
