"""``barenet predict``: the top-k classes a trained run gives image files, with their probabilities."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from ..functional import softmax
from ..train import load_run
from ..viz.sources import Source, load_image
from .arguments import add_run_arguments, number
from .errors import UsageError

__all__ = ["add_parser", "predict_images"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "predict", help="classify image files with a trained run",
        description="Classify JPEG/PNG files with a run's model: each is converted to the run's input "
                    "(channels, size, the dataset's scaling) and its top-k classes are printed.")
    add_run_arguments(p)
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    p.add_argument("--top-k", metavar="K", type=number(int, 1, True), default=5, help="classes to print per image (default: 5)")
    p.set_defaults(run=run)


def predict_images(model, images: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``top_k`` most probable classes of each image and their softmax probabilities.

    Shape:
        - images: ``(N, C, H, W)``
        - Returns: two ``(N, min(top_k, classes))`` arrays, classes (int) and probabilities
    """
    with no_grad():
        probs = softmax(model(Tensor(images)), dim=1).numpy()  # (N, classes)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]
    return order, np.take_along_axis(probs, order, axis=1)


def run(args) -> int:
    try:
        loaded = load_run(args.run_or_checkpoint, args.checkpoint, caller="predict")
        source = Source(loaded.model, loaded.name, loaded.run_dir, loaded.data)
        images = np.stack([load_image(path, source, caller="predict") for path in args.images])  # (N, C, H, W)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc).removeprefix("predict: ")) from None
    classes = getattr(loaded.data.test, "classes", None)
    order, probs = predict_images(loaded.model, images, args.top_k)
    for path, row, row_probs in zip(args.images, order, probs):
        print(f"{path}:")
        for c, p in zip(row, row_probs):
            name = classes[c] if classes is not None else str(c)
            print(f"  {100 * p:6.2f}%  {name}")
    return 0
