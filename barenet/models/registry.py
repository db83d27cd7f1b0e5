"""The model registry: ``register_model``, ``get_model(name, **kwargs)``, ``list_models()``."""
from __future__ import annotations

import difflib
import inspect

from .. import _args

_REGISTRY: dict = {}


def register_model(fn):
    """Decorator: make a model builder available to ``get_model`` under its function name."""
    known = _REGISTRY.get(fn.__name__)
    # The same builder imported twice (pytest's importlib mode collects doctests that way)
    # replaces itself; two different builders under one name is a bug.
    if known is not None and (known.__module__, known.__qualname__) != (fn.__module__, fn.__qualname__):
        raise ValueError(f"register_model: a model named {fn.__name__!r} is already registered.")
    _REGISTRY[fn.__name__] = fn
    return fn


def list_models() -> list[str]:
    """Names of every registered model, sorted."""
    return sorted(_REGISTRY)


def get_model(name: str, **kwargs):
    """Build a registered model by name, passing ``kwargs`` (``num_classes``, ...) to its builder.

    Raises:
        TypeError: the name is not a str, or an argument is not one its builder takes (the message
            lists those) or of the wrong kind.
        ValueError: the name is unknown (the message lists the closest valid names), or
            ``num_classes``/``in_channels`` is below 1 or ``dropout`` outside [0, 1].
    """
    if not isinstance(name, str):
        raise TypeError(f"get_model: name must be a str (see list_models()). Received: {type(name).__name__}.")
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"get_model: unknown model {name!r}.{hint} Valid names: {', '.join(list_models())}.")
    builder = _REGISTRY[name]
    _check_arguments(f"get_model({name!r})", builder, kwargs)
    return builder(**kwargs)


def _check_arguments(owner: str, builder, kwargs: dict) -> None:
    """Names the builder takes, and the common ones' kinds and ranges, checked before building (a
    wrong value would otherwise surface from the layer it reaches, e.g. ``Linear: out_features``)."""
    accepted = inspect.signature(builder).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise TypeError(f"{owner}: unknown argument {unknown[0]!r}; it takes {', '.join(accepted) or 'none'}.")
    for key in ("num_classes", "in_channels"):
        if key in kwargs:
            _args.integer(owner, key, kwargs[key], minimum=1)
    if "dropout" in kwargs:
        _args.number(owner, "dropout", kwargs["dropout"], minimum=0, maximum=1)


def get_model_builder(name: str):
    """The builder function registered under ``name`` (its docstring describes the model)."""
    if name not in _REGISTRY:
        get_model(name)  # raises the helpful error
    return _REGISTRY[name]
