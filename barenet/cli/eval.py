"""``barenet eval``: a trained run's top-1/top-5 accuracy and loss on a test set, and its confusion matrix."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..autograd import no_grad
from ..data import DataLoader
from ..functional import cross_entropy
from ..train import confusion_matrix, load_run, plot_confusion_matrix, topk_correct
from .errors import UsageError

__all__ = ["add_parser", "evaluate_run"]

EVAL_BATCH_SIZE = 256


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="test a trained run: top-1/top-5 accuracy, loss and a confusion matrix",
        description="Evaluate a run directory (or a checkpoint inside one) on the test part of its dataset "
                    "and draw the confusion matrix as a PNG.")
    p.add_argument("run_or_checkpoint", metavar="RUN_OR_CHECKPOINT", help="run directory or checkpoint file")
    p.add_argument("--data", metavar="SPEC", help="dataset spec to test on (default: the run's own)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of a run directory (default: best)")
    p.add_argument("--out", metavar="PNG", help="confusion matrix file (default: RUN/confusion_matrix.png)")
    p.set_defaults(run=run)


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


def run(args) -> int:
    try:
        loaded = load_run(args.run_or_checkpoint, args.checkpoint, data=args.data, caller="eval")
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc).removeprefix("eval: ")) from None
    data = loaded.data
    result = evaluate_run(loaded.model, data.test)
    matrix = confusion_matrix(result["labels"], result["predictions"], data.num_classes)
    out = Path(args.out) if args.out else loaded.run_dir / "confusion_matrix.png"
    plot_confusion_matrix(matrix, out, getattr(data.test, "classes", None),
                          title=f"{loaded.name} on {data.name}: {100 * result['accuracy']:.2f}% top-1")
    print(f"{loaded.name} ({loaded.checkpoint}) on {data.name}: {len(result['labels'])} test images")
    print(f"test loss: {result['loss']:.4f}")
    print(f"test accuracy: {100 * result['accuracy']:.2f}%")
    print(f"test top-5 accuracy: {100 * result['top5_accuracy']:.2f}%")
    print(f"confusion matrix: {out}")
    return 0
