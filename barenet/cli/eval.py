"""``barenet eval``: a trained run's top-1/top-5 accuracy and loss on a test set, and its confusion matrix."""
from __future__ import annotations

from pathlib import Path

from ..train import draw_confusion_matrix, evaluate_run, load_run
from .arguments import add_run_arguments
from .errors import UsageError

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="test a trained run: top-1/top-5 accuracy, loss and a confusion matrix",
        description="Evaluate a run directory (or a checkpoint inside one) on the test part of its dataset "
                    "and draw the confusion matrix as a PNG.")
    add_run_arguments(p)
    p.add_argument("--data", metavar="SPEC", help="dataset spec to test on (default: the run's own)")
    p.add_argument("--out", metavar="PNG", help="confusion matrix file (default: RUN/confusion_matrix.png)")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        loaded = load_run(args.run_or_checkpoint, args.checkpoint, data=args.data, caller="eval")
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc).removeprefix("eval: ")) from None
    data = loaded.data
    result = evaluate_run(loaded.model, data.test)
    out = Path(args.out) if args.out else loaded.run_dir / "confusion_matrix.png"
    draw_confusion_matrix(loaded.name, data, result, out)
    print(f"{loaded.name} ({loaded.checkpoint}) on {data.name}: {len(result['labels'])} test images")
    print(f"test loss: {result['loss']:.4f}")
    print(f"test accuracy: {100 * result['accuracy']:.2f}%")
    print(f"test top-5 accuracy: {100 * result['top5_accuracy']:.2f}%")
    print(f"confusion matrix: {out}")
    return 0
