"""Loading a finished (or running) training run: its model with trained weights and its dataset.

The one place that turns a run directory or a checkpoint inside one into a model; ``barenet
eval``, ``barenet predict`` and ``barenet viz`` all go through ``load_run``.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..autograd import no_grad
from ..data import DataLoader
from ..functional import cross_entropy
from .checkpoint import load_checkpoint
from .metrics import confusion_matrix, topk_correct
from .plotting import plot_confusion_matrix
from .rundir import CHECKPOINT_DIR, read_json

__all__ = ["LoadedRun", "draw_confusion_matrix", "evaluate_run", "load_run", "run_checkpoint"]

EVAL_BATCH_SIZE = 256

_CHECKPOINTS = ("best", "last")


class LoadedRun(NamedTuple):
    """A trained model and the run it came from.

    Attributes:
        model: the network in eval mode, weights loaded from the checkpoint.
        name: the zoo name it was built from.
        run_dir: the run directory.
        data: the run's ``DatasetSplits`` (built from ``config.json``'s ``data`` spec).
        checkpoint: the checkpoint file that was loaded.
    """

    model: object
    name: str
    run_dir: Path
    data: object
    checkpoint: Path


def run_checkpoint(run_dir, checkpoint: str = "best", caller: str = "load_run") -> Path:
    """The checkpoint file of ``run_dir`` to load: ``checkpoint`` (``"best"`` or ``"last"``),
    falling back to ``"last"`` when the run has no best one yet.

    Raises:
        ValueError: an unknown ``checkpoint``, a folder without ``config.json``, or no checkpoint.
    """
    if checkpoint not in _CHECKPOINTS:
        raise ValueError(f"{caller}: checkpoint must be one of {_CHECKPOINTS}. Received: checkpoint={checkpoint!r}.")
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise ValueError(f"{caller}: {str(run_dir)!r} is a folder but not a run directory (no config.json in it).")
    for name in (checkpoint, "last"):
        path = run_dir / CHECKPOINT_DIR / f"{name}.safetensors"
        if path.is_file():
            return path
    raise ValueError(f"{caller}: the run {str(run_dir)!r} has no checkpoint yet "
                     f"({CHECKPOINT_DIR}/{checkpoint}.safetensors).")


def load_run(path, checkpoint: str = "best", data: str | None = None, caller: str = "load_run") -> LoadedRun:
    """Rebuild the model of a run directory, or of a checkpoint file inside one, with its weights.

    Args:
        path: the run directory (``config.json`` and ``checkpoints/``) or one of its checkpoints.
        checkpoint: for a run directory, ``"best"`` (falling back to ``"last"``) or ``"last"``.
        data: a dataset spec to load instead of the run's own (same classes and channels).
        caller: the name that starts error messages.

    Returns:
        A ``LoadedRun``.

    Raises:
        ValueError: a path that is neither, a run without checkpoints, an unknown model or dataset.
        FileNotFoundError: no such path, or a run whose dataset files are missing.
    """
    path = Path(path)
    if path.is_dir():
        run_dir, ckpt = path, run_checkpoint(path, checkpoint, caller)
    elif path.is_file():
        run_dir, ckpt = path.parent.parent, path
        if path.parent.name != CHECKPOINT_DIR or not (run_dir / "config.json").is_file():
            raise ValueError(f"{caller}: the checkpoint {str(path)!r} is not inside a run directory "
                             f"(RUN/{CHECKPOINT_DIR}/*.safetensors next to RUN/config.json), so its model is unknown.")
    else:
        raise FileNotFoundError(f"{caller}: no run directory or checkpoint file {str(path)!r}.")
    return _from_run(run_dir, ckpt, data)


def _from_run(run_dir: Path, ckpt: Path, spec: str | None) -> LoadedRun:
    from .. import models
    from ..data import get_dataset

    config = read_json(run_dir / "config.json")
    data = get_dataset(spec or config["data"])
    model = models.get_model(config["model"], num_classes=data.num_classes, in_channels=data.in_channels)
    state = load_checkpoint(ckpt)
    model.load_state_dict(state["model"] if "model" in state else state)
    model.eval()
    return LoadedRun(model, config["model"], run_dir, data, ckpt)


def evaluate_run(model, dataset, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """Loss, top-1 and top-5 accuracy (fractions), labels and predictions of ``model`` on ``dataset``."""
    meters = {"loss": 0.0, 1: 0, 5: 0}
    labels, predictions = [], []
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            output = model(x)
            meters["loss"] += float(cross_entropy(output, y).item()) * len(y)
            for k, correct in topk_correct(output, y, (1, 5)).items():
                meters[k] += correct
            labels.append(np.asarray(y.numpy()))
            predictions.append(np.asarray(output.numpy()).argmax(axis=1))
    n = max(sum(len(y) for y in labels), 1)
    return {"loss": meters["loss"] / n, "accuracy": meters[1] / n, "top5_accuracy": meters[5] / n,
            "labels": np.concatenate(labels), "predictions": np.concatenate(predictions)}


def draw_confusion_matrix(name: str, data, result: dict, path) -> None:
    """Draw the confusion matrix of an ``evaluate_run`` result on ``data.test`` to ``path``."""
    matrix = confusion_matrix(result["labels"], result["predictions"], data.num_classes)
    plot_confusion_matrix(matrix, path, getattr(data.test, "classes", None),
                          title=f"{name} on {data.name}: {100 * result['accuracy']:.2f}% top-1")
