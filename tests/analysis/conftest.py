"""Fixtures of the analysis tests; makes ``analysis_helpers`` importable."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from analysis_helpers import fast_builder  # noqa: E402

from barenet.analysis import summary  # noqa: E402


@pytest.fixture
def build(monkeypatch):
    """``build(name, **kwargs)``: a zoo model whose weights are zeros instead of random draws."""
    return fast_builder(monkeypatch)


@pytest.fixture(scope="session")
def zoo_summary():
    """``zoo_summary(name, size=(3, 224, 224), **kwargs)``: a cached summary of a zoo model.

    The model itself is dropped (its layers' ``module`` is None), so the cache holds no weights.
    """
    cache = {}

    def get(name, size=(3, 224, 224), **kwargs):
        key = (name, size, tuple(sorted(kwargs.items())))
        if key not in cache:
            with pytest.MonkeyPatch.context() as patch:
                result = summary(fast_builder(patch)(name, **kwargs), size)
            for layer in result.layers:
                layer.module = None
            cache[key] = result
        return cache[key]

    return get
