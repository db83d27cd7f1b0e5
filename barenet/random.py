"""barenet's random-number generator: one seeded NumPy ``Generator`` for init, dropout and data.

``manual_seed`` makes runs reproducible; ``get_rng_state``/``set_rng_state`` let a training
checkpoint resume with exactly the random stream it stopped at (the state is plain JSON).
"""
from __future__ import annotations

import numpy as np

_generator = np.random.Generator(np.random.PCG64())


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (PyTorch's ``torch.manual_seed``) and return it.

    The generator is reseeded in place, so code that kept a reference to it (a data loader, a
    dropout layer) draws from the new stream too. The stream equals ``np.random.default_rng(seed)``.

    Raises:
        ValueError: ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer. Received: seed={seed!r}.")
    _generator.bit_generator.state = np.random.PCG64(int(seed)).state
    return _generator


def default_generator() -> np.random.Generator:
    """The generator every random op draws from unless given its own."""
    return _generator


def get_rng_state() -> dict:
    """The default generator's state as a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by ``get_rng_state``.

    Raises:
        ValueError: the state is not one of this generator's (another bit generator, malformed).
    """
    try:
        _generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError(f"set_rng_state: not a state from get_rng_state ({err}).") from None
