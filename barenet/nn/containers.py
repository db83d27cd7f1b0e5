"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``."""
from __future__ import annotations

from collections import OrderedDict

from .. import _args
from .module import Module


class _ModuleSequence(Module):
    """What ``Sequential`` and ``ModuleList`` share: a list of modules named ``"0"``, ``"1"``...
    (a ``Sequential`` may carry its own names), with PyTorch's list operations. Deleting or
    inserting renumbers the modules after that point, as PyTorch does."""

    def _from_items(self, items) -> "_ModuleSequence":
        """A new container of the same kind holding ``items`` (name, module) pairs."""
        raise NotImplementedError

    def _renumber(self, modules) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return self._from_items(items[index])
        return items[_check_index(index, len(items), type(self).__name__)][1]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_check_index(index, len(self), type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_check_index(index, len(modules), type(self).__name__)]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules) -> "_ModuleSequence":
        return self.extend(modules)

    def __add__(self, other: "_ModuleSequence") -> "_ModuleSequence":
        if not isinstance(other, type(self)):
            raise TypeError(f"{type(self).__name__}: can only add another {type(self).__name__}. "
                            f"Received: {type(other).__name__}.")
        return self._from_items((str(i), m) for i, m in enumerate([*self, *other]))

    def append(self, module: Module) -> "_ModuleSequence":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "_ModuleSequence":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert before ``index`` (negative counts from the end, as ``list.insert``)."""
        modules = list(self._modules.values())
        modules.insert(_args.integer(type(self).__name__, "index", index), module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Runs its modules in order, each on the previous one's output.

    Accepts modules as arguments (named ``"0"``, ``"1"``...) or one ``OrderedDict`` of names.

    Example:
        >>> from barenet import nn
        >>> net = Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> len(net), type(net[1]).__name__
        (3, 'ReLU')
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def _from_items(self, items) -> "Sequential":
        return Sequential(OrderedDict(items))  # a slice keeps the names, as in PyTorch

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


def _check_index(index: int, length: int, owner: str) -> int:
    index = _args.integer(owner, "index", index)
    if not -length <= index < length:
        raise IndexError(f"{owner}: index {index} is out of range for {length} modules.")
    return index % length


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (named ``"0"``, ``"1"``...)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def _from_items(self, items) -> "ModuleList":
        return ModuleList(m for _, m in items)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module {key!r}. Valid keys: {', '.join(self._modules)}.")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        for name, m in dict(modules).items():
            self.add_module(name, m)

    def pop(self, key: str) -> Module:
        module = self[key]
        del self._modules[key]
        return module

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def clear(self) -> None:
        self._modules.clear()
