"""Dataset, TensorDataset, Subset, random_split and DataLoader (batching, shuffling, prefetch)."""
import threading

import numpy as np
import pytest

import barenet
from barenet.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _dataset(n=10):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def _batches(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


class ListDataset(Dataset):
    """A dataset without ``__getitems__``: the loader must collate sample by sample."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full((2,), i, dtype=np.float32), float(i) / 2, i

    def __len__(self):
        return self.n


def test_tensor_dataset_items_and_errors():
    ds = _dataset(5)
    x, y = ds[3]
    assert isinstance(x, barenet.Tensor) and x.tolist() == [6.0, 7.0] and y.item() == 3
    assert len(ds) == 5
    ds = TensorDataset(barenet.zeros(4, 3), np.ones(4))
    assert ds.tensors[0].shape == (4, 3)
    with pytest.raises(ValueError, match=r"same first dimension. Received: sizes=\[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


@pytest.mark.parametrize("n,batch_size,drop_last,sizes", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (8, 4, True, [4, 4]), (3, 5, False, [3]), (3, 5, True, []),
])
def test_batching_in_order(n, batch_size, drop_last, sizes):
    loader = DataLoader(_dataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = _batches(loader)
    assert [len(y) for _, y in batches] == sizes
    assert len(loader) == len(sizes)
    seen = np.concatenate([y for _, y in batches]) if batches else np.array([])
    assert seen.tolist() == list(range(sum(sizes)))
    for x, y in batches:
        assert x.dtype == np.float32 and (x[:, 0] == 2 * y).all()


def test_shuffle_is_a_permutation_reproducible_with_a_seed():
    def epochs(generator, n=2):
        loader = DataLoader(_dataset(23), batch_size=5, shuffle=True, generator=generator)
        return [np.concatenate([y for _, y in _batches(loader)]) for _ in range(n)]

    first, second = epochs(np.random.default_rng(7))
    assert sorted(first) == list(range(23)) and sorted(second) == list(range(23))
    assert not (first == second).all()  # a new order each epoch
    again = epochs(np.random.default_rng(7))
    assert (again[0] == first).all() and (again[1] == second).all()


def test_shuffle_without_generator_follows_manual_seed():
    loader = DataLoader(_dataset(20), batch_size=6, shuffle=True)
    barenet.manual_seed(3)
    a = _batches(loader)
    barenet.manual_seed(3)
    b = _batches(loader)
    assert all((ya == yb).all() for (_, ya), (_, yb) in zip(a, b))


def test_loader_state_dict_restores_the_next_order():
    loader = DataLoader(_dataset(20), batch_size=4, shuffle=True, generator=np.random.default_rng(1))
    _batches(loader)
    state = loader.state_dict()
    expected = _batches(loader)
    loader.load_state_dict(state)
    assert all((a[1] == b[1]).all() for a, b in zip(_batches(loader), expected))
    with pytest.raises(ValueError, match="has none"):
        DataLoader(_dataset()).load_state_dict(state)


@pytest.mark.parametrize("shuffle,drop_last", [(False, False), (True, True)])
def test_prefetch_thread_gives_identical_batches(shuffle, drop_last):
    def run(prefetch):
        loader = DataLoader(_dataset(37), batch_size=4, shuffle=shuffle, drop_last=drop_last,
                            generator=np.random.default_rng(5), prefetch=prefetch)
        return [_batches(loader) for _ in range(2)]

    plain, fetched = run(0), run(3)
    assert len(plain[0]) == len(fetched[0])
    for epoch_a, epoch_b in zip(plain, fetched):
        for (xa, ya), (xb, yb) in zip(epoch_a, epoch_b):
            assert (xa == xb).all() and (ya == yb).all()


def test_prefetch_thread_stops_when_the_consumer_stops_early():
    before = threading.active_count()
    loader = DataLoader(_dataset(100), batch_size=2, prefetch=2)
    for i, _ in enumerate(loader):
        if i == 3:
            break
    it = iter(loader)
    next(it)
    it.close()
    assert threading.active_count() == before


def test_prefetch_thread_hands_errors_to_the_consumer():
    class Broken(Dataset):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is broken")
            return np.zeros(2, np.float32)

        def __len__(self):
            return 8

    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Broken(), batch_size=2, prefetch=1))


def test_collate_without_getitems():
    x, half, idx = next(iter(DataLoader(ListDataset(5), batch_size=3)))
    assert x.shape == (3, 2) and x.dtype == np.float32
    assert half.dtype == np.float32 and half.tolist() == [0.0, 0.5, 1.0]
    assert idx.dtype == np.int64 and idx.tolist() == [0, 1, 2]
    custom = DataLoader(ListDataset(4), batch_size=2, collate_fn=lambda s: np.array([t[2] for t in s]))
    assert [b.tolist() for b in custom] == [[0, 1], [2, 3]]
    single = default_collate([np.ones(3), np.zeros(3)])
    assert single.shape == (2, 3)


def test_random_split_lengths_fractions_and_reproducibility():
    ds = _dataset(10)
    parts = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7]
    ids = np.concatenate([p.indices for p in parts])
    assert sorted(ids) == list(range(10))
    again = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    assert (again[0].indices == parts[0].indices).all()
    # floor(5), floor(2.5), floor(2.5) leave one sample over, which goes to the first part (as in PyTorch)
    assert [len(p) for p in random_split(ds, [0.5, 0.25, 0.25])] == [6, 2, 2]
    x, y = next(iter(DataLoader(parts[1], batch_size=7)))
    assert (y.numpy() == parts[1].indices).all() and (x.numpy()[:, 0] == 2 * parts[1].indices).all()
    assert parts[0][1][1].item() == parts[0].indices[1]
    with pytest.raises(ValueError, match=r"summing to the dataset's length.*lengths=\[3, 6\]"):
        random_split(ds, [3, 6])


def test_subset_of_a_dataset_without_getitems():
    sub = Subset(ListDataset(6), [4, 1])
    x, _, idx = next(iter(DataLoader(sub, batch_size=2)))
    assert idx.tolist() == [4, 1] and len(sub) == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size must be a positive integer. Received: batch_size=0"),
    ({"prefetch": -1}, "prefetch must be a non-negative integer"),
])
def test_loader_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(_dataset(), **kwargs)


@pytest.mark.parametrize("call, error, match", [
    (lambda ds: DataLoader(None), TypeError, r"DataLoader: dataset must have __getitem__ and __len__"),
    (lambda ds: DataLoader(ds, shuffle=np.ones(2)), TypeError, r"DataLoader: shuffle must be a bool"),
    (lambda ds: DataLoader(ds, drop_last=None), TypeError, r"DataLoader: drop_last must be a bool"),
    (lambda ds: DataLoader(ds, collate_fn=3), TypeError, r"DataLoader: collate_fn must be callable"),
    (lambda ds: Subset(ds, 2), TypeError, r"Subset: indices must be a 1-D sequence of ints"),
    (lambda ds: Subset(ds, ["a"]), TypeError, r"Subset: indices must be a 1-D sequence of ints"),
    (lambda ds: random_split(ds, 3), TypeError, r"random_split: lengths must be a list"),
    (lambda ds: TensorDataset(np.float32(1.0)), ValueError, r"TensorDataset: every array needs a first dimension"),
    (lambda ds: ds[2.5], IndexError, r"TensorDataset: index 2.5 does not pick samples of 5"),
])
def test_bad_arguments_name_the_class(call, error, match):
    with pytest.raises(error, match=match):
        call(TensorDataset(np.zeros((5, 2), np.float32), np.arange(5)))
