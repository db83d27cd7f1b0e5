"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (per thread, as in PyTorch)."""
    return getattr(_state, "enabled", True)


class _GradMode:
    """A context manager and decorator that sets graph recording to ``self.mode``."""

    mode = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            guard = _GradMode()
            guard.mode = mode
            with guard:
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Stop graph recording (inference, optimizer steps).

    Example:
        >>> import barenet
        >>> x = barenet.tensor([1.0], requires_grad=True)
        >>> with barenet.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_GradMode):
    """Turn graph recording back on inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set graph recording on or off; as a plain call it takes effect at once (PyTorch semantics)."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        _state.enabled = self.mode

    def __enter__(self):
        return self  # the state was already set by __init__; __exit__ restores self.prev
