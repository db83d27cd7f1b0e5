"""Train LeNet-5 (the paper's and the modern variant) on MNIST and record test error and time.

MNIST is not shipped: pass the folder holding the four IDX files (raw or .gz)::

    python benchmarks/train_mnist.py DIR [--epochs 20] [--models lenet5 lenet5_relu] [--lr LR]

LeCun et al. 1998 report 0.95% test error for LeNet-5 without distortions; the modern variant
should reach >= 99.0% accuracy. Measured results: docs/benchmarks-mnist.md (with ``--lr 0.01``:
99.02% and 99.30%). Each model trains through the ``barenet train`` command, so the
run directories (metrics, curves, checkpoints) land under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from barenet.cli.main import main as barenet

PAPER_ERROR = {"lenet5": 0.95}


def run(model: str, data_dir: str, epochs: int, out: Path, lr: float | None) -> dict:
    before = set(out.glob(f"{model}-mnist*")) if out.exists() else set()
    start = time.perf_counter()
    extra = ["--lr", str(lr)] if lr is not None else []
    code = barenet(["train", model, "--data", f"mnist:{data_dir}", "--epochs", str(epochs), "--out", str(out),
                    *extra])
    if code != 0:
        sys.exit(code)
    run_dir = (set(out.glob(f"{model}-mnist*")) - before).pop()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {"model": model, "accuracy": metrics["test_accuracy"], "seconds": time.perf_counter() - start,
            "run": str(run_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--models", nargs="+", default=["lenet5", "lenet5_relu"])
    parser.add_argument("--out", type=Path, default=Path("runs"))
    parser.add_argument("--lr", type=float, help="initial learning rate (default: barenet train's)")
    args = parser.parse_args()
    rows = [run(m, args.data_dir, args.epochs, args.out, args.lr) for m in args.models]
    print("| model | test accuracy | test error | paper's error | wall time |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        paper = f"{PAPER_ERROR[r['model']]:.2f}%" if r["model"] in PAPER_ERROR else "-"
        acc = r["accuracy"] * 100 if r["accuracy"] <= 1 else r["accuracy"]
        print(f"| {r['model']} | {acc:.2f}% | {100 - acc:.2f}% | {paper} | {r['seconds']:.0f} s |")


if __name__ == "__main__":
    main()
