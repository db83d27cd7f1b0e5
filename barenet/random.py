"""barenet's random-number generator: one seeded NumPy ``Generator`` for init, dropout and data.

``manual_seed`` makes runs reproducible; ``get_rng_state``/``set_rng_state`` let a training
checkpoint resume with exactly the random stream it stopped at (the state is plain JSON).
"""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (PyTorch's ``torch.manual_seed``) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer. Received: seed={seed!r}.")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator every random op draws from unless given its own."""
    return _generator


def get_rng_state() -> dict:
    """The default generator's state as a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
