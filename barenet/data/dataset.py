"""Datasets and the loader: the vocabulary of ``torch.utils.data`` on NumPy (or CuPy) arrays.

A ``Dataset`` is anything indexable with a length. ``DataLoader`` turns one into batches: it
draws the epoch's order in the calling thread (so a seeded ``generator`` fixes every batch), then
gathers each batch with one fancy-indexing call when the dataset offers ``__getitems__``, or by
stacking single samples otherwise. ``prefetch=k`` prepares up to ``k`` batches ahead in one
background thread; the batches are the same as without it.
"""
from __future__ import annotations

import math
import queue
import threading
from collections.abc import Sequence

import numpy as np

from .. import backend, random
from ..autograd import Tensor

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset:
    """Base class of map-style datasets: implement ``__getitem__`` and ``__len__``.

    A dataset may also implement ``__getitems__(indices)``, returning a whole batch already
    collated (a tuple of arrays with a leading batch dimension); ``DataLoader`` then fetches each
    batch in one vectorised call. (PyTorch's ``__getitems__`` returns a list of samples instead.)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}.__getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}.__len__")


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _as_array(x):
    """A Tensor's array, a CuPy array as it is, anything else through ``np.asarray``."""
    x = _raw(x)
    return np.asarray(x) if backend.get_array_module(x) is np else x


class TensorDataset(Dataset):
    """Samples are the rows of a few arrays (or tensors) sharing their first dimension.

    Args:
        *tensors: arrays or Tensors; sample ``i`` is ``(t[i] for t in tensors)``.

    Raises:
        ValueError: no arrays, or their first dimensions differ.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((5, 2), np.float32), np.arange(5))
        >>> len(ds), ds[3][1].item()
        (5, 3)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one array.")
        self.tensors = tuple(_as_array(t) for t in tensors)
        if any(t.ndim == 0 for t in self.tensors):
            raise ValueError(f"TensorDataset: every array needs a first dimension to index samples by. "
                             f"Received: shapes {[t.shape for t in self.tensors]}.")
        sizes = [len(t) for t in self.tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: every array must have the same first dimension. "
                             f"Received: sizes={sizes}.")

    def __getitem__(self, index):
        try:
            return tuple(Tensor._wrap(t[index]) for t in self.tensors)
        except IndexError as err:
            raise IndexError(f"TensorDataset: index {index!r:.40} does not pick samples of {len(self)} ({err}).") from None

    def __getitems__(self, indices):
        return tuple(t[indices] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(_raw(indices))
        if self.indices.ndim != 1 or (self.indices.size and self.indices.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a 1-D sequence of ints. Received: {indices!r:.60}.")
        self.indices = self.indices.astype(np.int64)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        return _fetch(self.dataset, self.indices[np.asarray(indices)])

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(lengths, n: int) -> list[int]:
    if not isinstance(lengths, (list, tuple)):
        raise TypeError(f"random_split: lengths must be a list of sizes or of fractions. Received: {lengths!r:.60}.")
    lengths = list(lengths)
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # hand the remainder out round-robin, as PyTorch does
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative integers summing to the dataset's "
                         f"length, or fractions summing to 1. Received: lengths={lengths}, len(dataset)={n}.")
    return lengths


def random_split(dataset, lengths: Sequence, generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets (PyTorch's ``random_split``).

    Args:
        dataset: any dataset with a length.
        lengths: sizes of the parts, or fractions summing to 1 (the remainder of flooring goes
            one by one to the first parts).
        generator: a NumPy ``Generator``; barenet's default generator when None.

    Returns:
        One ``Subset`` per length.

    Raises:
        ValueError: the lengths do not add up.

    Example:
        >>> import numpy as np
        >>> a, b = random_split(TensorDataset(np.arange(10)), [0.7, 0.3], np.random.default_rng(0))
        >>> len(a), len(b)
        (7, 3)
    """
    counts = _split_lengths(lengths, len(dataset))
    order = (generator or random.default_generator()).permutation(len(dataset))
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def default_collate(samples: list):
    """Stack a list of samples into one batch: a tuple of arrays, one per field of a sample.

    Python floats become float32 (PyTorch's default dtype); integers keep NumPy's int64.
    """
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return _stack([s for s in samples])
    return tuple(_stack([s[i] for s in samples]) for i in range(len(first)))


def _stack(values: list):
    values = [_raw(v) for v in values]
    if isinstance(values[0], float):
        return np.asarray(values, dtype=np.float32)
    return backend.get_array_module(values[0]).stack([_as_array(v) for v in values])


def _fetch(dataset, indices: np.ndarray):
    if hasattr(dataset, "__getitems__"):
        return dataset.__getitems__(indices)
    return default_collate([dataset[int(i)] for i in indices])


class DataLoader:
    """Iterates over a dataset in batches of tensors (PyTorch's ``DataLoader``, single process).

    Args:
        dataset: a ``Dataset`` (anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: draw a new random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a NumPy ``Generator`` for the order; barenet's default generator (seeded by
            ``barenet.manual_seed``) when None. Its state is part of a training checkpoint.
        collate_fn: turns a list of samples into a batch; used only when the dataset has no
            ``__getitems__``.
        prefetch: batches to prepare ahead in one background thread (0: none). The order is
            drawn before the thread starts, so the batches are identical either way, as long as
            random augmentation in the dataset is the thread's only use of its generator (a
            model with dropout draws from barenet's default generator at the same time: give
            such augmentation a generator of its own, or keep ``prefetch=0``).

    Raises:
        ValueError: ``batch_size`` or ``prefetch`` out of range.

    Example:
        >>> import numpy as np
        >>> loader = DataLoader(TensorDataset(np.arange(10)), batch_size=4, drop_last=True)
        >>> [b[0].shape for b in loader]
        [(4,), (4,)]
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None, collate_fn=None, prefetch: int = 0):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer. "
                             f"Received: batch_size={batch_size!r}.")
        if not isinstance(prefetch, (int, np.integer)) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be a non-negative integer. "
                             f"Received: prefetch={prefetch!r}.")
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must have __getitem__ and __len__ (a Dataset). "
                            f"Received: {type(dataset).__name__}.")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be a bool. Received: {name}={flag!r:.40}.")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable. Received: {type(collate_fn).__name__}.")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        self.generator, self.collate_fn, self.prefetch = generator, collate_fn, int(prefetch)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batch_indices(self) -> list[np.ndarray]:
        n = len(self.dataset)
        order = (self.generator or random.default_generator()).permutation(n) if self.shuffle else np.arange(n)
        return [order[i:i + self.batch_size] for i in range(0, len(self) * self.batch_size, self.batch_size)]

    def _load(self, indices: np.ndarray) -> list:
        if self.collate_fn is not None and not hasattr(self.dataset, "__getitems__"):
            batch = self.collate_fn([self.dataset[int(i)] for i in indices])
        else:
            batch = _fetch(self.dataset, indices)
        if not isinstance(batch, tuple):
            return Tensor._wrap(_raw(batch))
        return [Tensor._wrap(_raw(b)) for b in batch]

    def __iter__(self):
        batches = (self._load(idx) for idx in self._batch_indices())
        return _prefetched(batches, self.prefetch) if self.prefetch else batches

    def state_dict(self) -> dict:
        """The generator's state (JSON-serialisable); empty when the loader uses the default one."""
        return {} if self.generator is None else {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        if "generator" in state:
            if self.generator is None:
                raise ValueError("DataLoader.load_state_dict: the state holds a generator but this loader has none.")
            self.generator.bit_generator.state = state["generator"]


def _prefetched(batches, depth: int):
    """Yield from ``batches`` while a daemon thread computes up to ``depth`` of them ahead."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    thread = threading.Thread(target=work, name="barenet-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()  # the consumer stopped early or finished: let the worker exit
        thread.join()
