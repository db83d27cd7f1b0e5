"""Zeiler & Fergus' occlusion experiment: slide a grey square over the image and watch the class
probability — a classifier that looks at the object loses confidence when the object is hidden."""
from __future__ import annotations

import os

import numpy as np

from .. import functional as F, nn
from ..autograd import Tensor, no_grad
from .hooks import check_target, inspecting, prepare_image, run_model
from .plotting import display_image, figure, finish, overlay, show

__all__ = ["occlusion", "plot_occlusion"]


def _side(name: str, value, default: int, limit: tuple) -> tuple[int, int]:
    pair = (default, default) if value is None else (value, value) if isinstance(value, (int, np.integer)) else value
    pair = tuple(pair) if isinstance(pair, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 < v
                                 for v in pair):
        raise ValueError(f"occlusion: {name} must be a positive int or a pair of them. Received: {name}={value!r}.")
    if name == "patch" and (pair[0] > limit[0] or pair[1] > limit[1]):
        raise ValueError(f"occlusion: the patch must fit in the image. Received: patch={pair}, image size {limit}.")
    return int(pair[0]), int(pair[1])


def _starts(size: int, patch: int, stride: int) -> np.ndarray:
    """Top (or left) edges of the square: every ``stride`` pixels, plus one flush with the far edge
    so that every pixel is covered at least once."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return np.array(starts)


def _covers(starts: np.ndarray, patch: int, size: int) -> np.ndarray:
    """(positions, size) floats: 1 where the square starting at each position covers the pixel."""
    pixel = np.arange(size)
    return ((pixel >= starts[:, None]) & (pixel < starts[:, None] + patch)).astype(np.float64)


def _probabilities(model, x: Tensor, rows: np.ndarray, cols: np.ndarray, fill: np.ndarray,
                   batch_size: int) -> np.ndarray:
    """(len(rows), len(cols), num_classes) softmax outputs with the square at each position."""
    image = x.numpy()  # (1, C, H, W)
    positions = [(r, c) for r in range(len(rows)) for c in range(len(cols))]
    out = []
    for start in range(0, len(positions), batch_size):  # batches bound the memory
        r, c = np.array(positions[start:start + batch_size]).T
        hidden = rows[r][:, :, None] * cols[c][:, None, :] > 0  # (B, H, W)
        batch = np.where(hidden[:, None], fill[None, :, None, None], image).astype(image.dtype)  # (B, C, H, W)
        out.append(F.softmax(model(Tensor(batch, device=x.device)), dim=1).numpy())
    return np.concatenate(out).reshape(len(rows), len(cols), -1)


def occlusion(model: nn.Module, image, target: int | None = None, patch=None, stride=None, fill=None,
              batch_size: int = 64, return_classes: bool = False):
    """The probability of ``target`` while a grey square hides each part of the image.

    The square slides over the image ``stride`` pixels at a time; each pixel's value is the mean
    probability over the positions at which the square covers it (Zeiler & Fergus 2014, fig. 7).

    Args:
        model: a classifier returning scores ``(N, num_classes)`` (run in eval mode, restored after).
        image: an array or tensor ``(C, H, W)`` (or a batch of one).
        target: the class whose probability is mapped; the predicted class by default.
        patch: side of the square (an int or ``(h, w)``); a quarter of the shorter side by default.
        stride: step between positions; a quarter of the patch by default.
        fill: the square's value, one number or one per channel; the image's per-channel mean
            (grey for normalised images) by default.
        batch_size: positions evaluated per forward pass (bounds the memory).
        return_classes: also return the most probable class at each pixel.

    Shape:
        - image: ``(C, H, W)`` or ``(1, C, H, W)``
        - Returns: ``(H, W)`` probabilities, and with ``return_classes`` an ``(H, W)`` int64 class map.

    Returns:
        The probability map, or ``(probability_map, class_map)``.

    Raises:
        ValueError: a bad image, target, patch, stride, fill or batch size.
        TypeError: an image that is not an array or tensor.

    Example:
        >>> import numpy as np
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 3))
        >>> occlusion(net, np.ones((1, 8, 8), np.float32), patch=4, stride=2).shape
        (8, 8)
    """
    nn.module.expect_module("occlusion", model)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"occlusion: batch_size must be a positive integer. Received: batch_size={batch_size!r}.")
    with inspecting(model), no_grad():
        x = prepare_image("occlusion", model, image)
        target = check_target("occlusion", run_model("occlusion", model, x), target)
        size = tuple(x.shape[2:])
        ph, pw = _side("patch", patch, max(1, min(size) // 4), size)
        sh, sw = _side("stride", stride, max(1, min(ph, pw) // 4), size)
        fill = _fill(fill, x)
        rows = _covers(_starts(size[0], ph, sh), ph, size[0])  # (R, H)
        cols = _covers(_starts(size[1], pw, sw), pw, size[1])  # (Q, W)
        probs = _probabilities(model, x, rows, cols, fill, batch_size)  # (R, Q, K)
    # Pixel (h, w) averages the positions (i, j) with rows[i, h] * cols[j, w] = 1: separable sums.
    coverage = rows.T @ np.ones(probs.shape[:2]) @ cols  # (H, W), >= 1 everywhere
    prob_map = rows.T @ probs[:, :, target] @ cols / coverage
    if not return_classes:
        return prob_map
    candidates = np.unique(probs.argmax(axis=2))  # the classes that win somewhere, usually few
    per_class = np.einsum("ih,ijk,jw->khw", rows, probs[:, :, candidates], cols)  # (K', H, W)
    return prob_map, candidates[per_class.argmax(axis=0)].astype(np.int64)


def _fill(fill, x: Tensor) -> np.ndarray:
    channels = x.shape[1]
    if fill is None:
        return x.numpy()[0].mean(axis=(1, 2))
    values = np.asarray(fill, dtype=np.float64).reshape(-1)
    if values.size == 1:
        return np.repeat(values, channels)
    if values.size != channels:
        raise ValueError(f"occlusion: fill must be one number or one per channel ({channels}). "
                         f"Received: fill={fill!r}.")
    return values


def plot_occlusion(image, prob_map: np.ndarray, path: str | os.PathLike | None = None,
                   class_map: np.ndarray | None = None, classes=None, title: str = "occlusion") -> bytes:
    """The image, the probability map over it and, given, the most probable class at each pixel."""
    panels = 2 if class_map is None else 3
    fig = figure(3.8 * panels, 3.6)
    axes = fig.subplots(1, panels)
    show(axes[0], display_image(image), "image")
    overlay(axes[1], image, prob_map, f"{title}: p(target)", vmin=0.0, vmax=1.0)
    if class_map is not None:
        _class_panel(axes[2], class_map, classes)
    return finish(fig, path)


def _class_panel(ax, class_map: np.ndarray, classes) -> None:
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    present = np.unique(class_map)
    index = np.searchsorted(present, class_map)  # 0..len(present)-1, one colour each
    colours = colormaps["tab10" if len(present) <= 10 else "tab20"]
    show(ax, index, "most probable class", cmap=colours, vmin=0, vmax=colours.N - 1)
    names = [str(classes[c]) if classes is not None else str(c) for c in present]
    ax.legend(handles=[Patch(color=colours(i), label=n) for i, n in enumerate(names[:20])],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
