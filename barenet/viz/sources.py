"""What the ``barenet viz`` commands look at: a model from a run directory, a checkpoint or the zoo,
and images from a file, the run's test set or a bundled sample photo."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import models, nn
from ..data import get_dataset, resize_bilinear
from ..train.runs import load_run
from .hooks import in_channels

__all__ = ["Source", "default_images", "load_image", "load_source"]


class Source(NamedTuple):
    """A model ready to inspect and where it came from.

    Attributes:
        model: the network, weights loaded (random, seeded, for a bare zoo name).
        name: the zoo name it was built from.
        run_dir: its training run directory, or None.
        data: the run's ``DatasetSplits``, or None.
    """

    model: nn.Module
    name: str
    run_dir: Path | None
    data: object


def load_source(source: str, checkpoint: str = "best") -> Source:
    """Build the model that ``source`` names: a run directory (``config.json`` and
    ``checkpoints/``), a checkpoint file inside one, or a zoo model name (seeded random weights).

    Args:
        source: the run directory, checkpoint file or model name.
        checkpoint: which of a run's checkpoints to load, ``"best"`` (falling back to
            ``"last"`` when the run has no best one yet) or ``"last"``.

    Raises:
        ValueError: a source that is none of these, a run without checkpoints, an unknown model.
        FileNotFoundError: a run whose files are missing.
    """
    path = Path(source)
    if path.exists():
        run = load_run(path, checkpoint, caller="viz")
        return Source(run.model, run.name, run.run_dir, run.data)
    if source in models.list_models():
        from .. import manual_seed

        manual_seed(0)
        return Source(models.get_model(source), source, None, None)
    raise ValueError(f"viz: {source!r} is neither a run directory, a checkpoint file nor a model name. "
                     f"Models: {', '.join(models.list_models())}.")


def _ink_scale(grey: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """[0, 1] grey levels to a dataset's ``(background, foreground)`` range, ink bright on a dark
    ground as in the dataset (an image on a light ground is inverted first)."""
    ink = 1.0 - grey if grey.mean() > 0.5 else grey
    return levels[0] + (levels[1] - levels[0]) * ink


def load_image(path: str, source: Source, caller: str = "viz") -> np.ndarray:
    """Read an image file as the model's input ``(C, H, W)`` float32.

    The file is converted to the model's channel count (grey or RGB) and resized to the run's
    image size (32x32 for one-channel zoo models, 224x224 otherwise); pixels are scaled to
    [0, 1], or, for a dataset that states its ``background`` and ``foreground`` levels (the
    digits), to that range with the ink bright.

    Args:
        path: the image file.
        source: the model (and run) it feeds.
        caller: the name that starts error messages.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a file Pillow cannot read, or a model taking neither 1 nor 3 channels.
    """
    from PIL import Image, UnidentifiedImageError

    if not Path(path).is_file():
        raise FileNotFoundError(f"{caller}: no image file {str(path)!r}.")
    channels = _channels(source)
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("L" if channels == 1 else "RGB"), dtype=np.float64) / 255.0
    except UnidentifiedImageError:
        raise ValueError(f"{caller}: {str(path)!r} is not an image file Pillow can read.") from None
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)  # (C, h, w)
    pixels = resize_bilinear(pixels, _image_size(source))
    test = source.data.test if source.data is not None else None
    if hasattr(test, "background") and hasattr(test, "foreground"):
        pixels = _ink_scale(pixels, (test.background, test.foreground))
    return pixels.astype(np.float32)


def _channels(source: Source) -> int:
    channels = source.data.in_channels if source.data is not None else in_channels(source.model)
    if channels not in (1, 3):
        raise ValueError(f"viz: image files can feed models taking 1 or 3 channels; {source.name} takes {channels}.")
    return channels


def _image_size(source: Source) -> tuple[int, int]:
    if source.data is not None:
        return tuple(source.data.image_size)
    return (32, 32) if _channels(source) == 1 else (224, 224)


def default_images(source: Source, count: int = 1, start: int = 0) -> tuple[list, list, object]:
    """``(images, labels, classes)`` to show when no file is given: the run's test images from
    ``start`` on, the digits for a one-channel zoo model, else scikit-learn's sample photo."""
    data = source.data
    if data is None and _channels(source) == 1:
        data = get_dataset("digits")
    if data is not None:
        if not 0 <= start < len(data.test):
            raise ValueError(f"viz: the image index must lie in [0, {len(data.test)}). Received: {start}.")
        samples = [data.test[i] for i in range(start, min(start + count, len(data.test)))]
        return [np.asarray(x) for x, _ in samples], [int(y) for _, y in samples], getattr(data.test, "classes", None)
    from sklearn.datasets import load_sample_image

    photo = load_sample_image("china.jpg").astype(np.float64) / 255.0  # (427, 640, 3), bundled
    side = min(photo.shape[:2])
    top, left = (photo.shape[0] - side) // 2, (photo.shape[1] - side) // 2
    square = photo[top:top + side, left:left + side].transpose(2, 0, 1)  # centre crop, (3, side, side)
    return [resize_bilinear(square, _image_size(source)).astype(np.float32)], [None], None
