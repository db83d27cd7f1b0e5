"""Shared fixtures; makes ``tests/harness.py`` importable from every test folder."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from barenet import backend  # noqa: E402


def _backends():
    params = [pytest.param(np, id="numpy")]
    cupy_mark = pytest.mark.skipif(not backend.cupy_available(), reason="CuPy with a GPU is not available")
    params.append(pytest.param("cupy", id="cupy", marks=cupy_mark))
    return params


@pytest.fixture(params=_backends())
def xp(request):
    """The array module under test: NumPy always, CuPy where a GPU is at hand."""
    if request.param == "cupy":
        import cupy

        return cupy
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
