"""A layer's features for many images, projected to two dimensions and coloured by class: does the
network separate the classes, and from which layer on?"""
from __future__ import annotations

import os

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..data import DataLoader
from .hooks import as_input, inspecting, record, resolve_layer, run_model
from .plotting import figure, finish

__all__ = ["embedding", "pca_2d", "plot_embedding"]

_METHODS = ("auto", "pca", "tsne")


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The ``(N, 2)`` coordinates of ``(N, D)`` features on their first two principal components.

    Example:
        >>> pca_2d(np.array([[0.0, 0, 0], [1, 1, 0], [2, 2, 0.1]])).shape
        (3, 2)
    """
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # rows of vt: principal directions
    points = centred @ vt[:2].T
    return np.pad(points, ((0, 0), (0, 2 - points.shape[1])))  # D = 1 gives a flat second axis


def _tsne(features: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = min(30.0, max(2.0, (len(features) - 1) / 3))
    return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(features)


def _method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"embedding: method must be one of {_METHODS}. Received: method={method!r}.")
    if method == "pca":
        return method
    try:
        import sklearn.manifold  # noqa: F401
    except ImportError:
        if method == "tsne":
            raise ValueError("embedding: method='tsne' needs scikit-learn; install it or use method='pca'.") from None
        return "pca"
    return "tsne" if method == "auto" else method


def embedding(model: nn.Module, dataset, layer, max_samples: int = 500, method: str = "auto",
              batch_size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-dimensional coordinates of a layer's features for the first images of a dataset.

    Args:
        model: the network (run in eval mode, restored after).
        dataset: indexable ``(image, label)`` samples (a barenet ``Dataset``).
        layer: a qualified module name or a module; its output for each image is flattened.
        max_samples: use at most this many images, from the start of the dataset.
        method: ``"tsne"`` (scikit-learn's t-SNE), ``"pca"``, or ``"auto"``: t-SNE when
            scikit-learn is installed, else PCA.
        batch_size: images per forward pass.
        seed: t-SNE's random state.

    Shape:
        - Returns: points ``(N, 2)`` and labels ``(N,)``, N = min(len(dataset), max_samples).

    Returns:
        ``(points, labels)``.

    Raises:
        ValueError: an unknown layer (the valid names are listed) or method, an empty dataset,
            or images the model cannot take.

    Example:
        >>> import numpy as np
        >>> from barenet import nn
        >>> from barenet.data import TensorDataset
        >>> data = TensorDataset(np.ones((6, 1, 4, 4), np.float32), np.arange(6) % 2)
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
        >>> points, labels = embedding(net, data, "2", method="pca")
        >>> points.shape, labels.tolist()
        ((6, 2), [0, 1, 0, 1, 0, 1])
    """
    nn.module.expect_module("embedding", model)
    name, module = resolve_layer("embedding", model, layer)
    method = _method(method)
    features, labels = [], []
    seen = 0
    with inspecting(model), no_grad(), record({name: module}) as rec:
        for images, targets in DataLoader(dataset, batch_size=batch_size):
            take = min(len(targets), max_samples - seen)
            run_model("embedding", model, as_input(model, np.asarray(images)[:take]))
            features.append(rec.output(name, "embedding").numpy().reshape(take, -1))
            rec.calls.clear()  # keep one batch of activations at a time
            labels.append(np.asarray(targets)[:take])
            seen += take
            if seen >= max_samples:
                break
    if not features:
        raise ValueError("embedding: the dataset is empty.")
    features = np.concatenate(features).astype(np.float64)
    labels = np.concatenate(labels).astype(np.int64)
    points = _tsne(features, seed) if method == "tsne" and len(features) > 4 else pca_2d(features)
    return points, labels


def plot_embedding(points: np.ndarray, labels: np.ndarray, path: str | os.PathLike | None = None,
                   classes=None, title: str = "embedding") -> bytes:
    """A scatter plot of ``points`` coloured by class, with a legend."""
    from matplotlib import colormaps

    fig = figure(6.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    present = np.unique(labels)
    colours = colormaps["tab10" if len(present) <= 10 else "tab20"]
    for i, label in enumerate(present):
        mine = labels == label
        name = str(classes[label]) if classes is not None else str(label)
        ax.scatter(points[mine, 0], points[mine, 1], s=8, color=colours(i % colours.N), label=name)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(present) <= 20:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False, markerscale=2)
    return finish(fig, path)
