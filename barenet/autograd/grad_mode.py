"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True  # a class default: each thread starts with recording on, as in PyTorch


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (per thread, as in PyTorch)."""
    return _state.enabled


class _GradMode:
    """A context manager and decorator (with or without parentheses) that sets recording to ``mode``."""

    mode = True

    def __new__(cls, *args, **kwargs):
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])  # bare ``@no_grad``
        return super().__new__(cls)

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Stop graph recording (inference, optimizer steps); a context manager or a decorator.

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
    """Set graph recording on or off; as a plain call it takes effect at once (PyTorch semantics).

    Example:
        >>> import barenet
        >>> with barenet.set_grad_enabled(False):
        ...     barenet.is_grad_enabled()
        False
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        _state.enabled = self.mode  # ``prev`` was taken by __init__, before it changed the state
        return self

    def __call__(self, fn):
        _state.enabled = self.prev  # decorating must not change the mode of the caller
        return super().__call__(fn)
