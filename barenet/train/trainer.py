"""``Trainer``: the fit loop, with metrics, schedules, clipping, early stopping and exact resume."""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

from .. import _args, nn, random
from ..autograd import Tensor, no_grad
from ..optim import Optimizer
from .checkpoint import load_checkpoint, save_checkpoint
from .grad import clip_grad_norm_
from .metrics import MeanMeter, topk_correct
from .plotting import plot_curves
from .rundir import CHECKPOINT_DIR, write_history_csv, write_json

__all__ = ["Trainer"]


def _default_loss(output, target):
    from ..functional import cross_entropy

    return cross_entropy(output, target)


class Trainer:
    """Trains a classifier epoch by epoch and keeps a record of it.

    Each epoch runs the training batches (forward, loss, backward, optional gradient clipping,
    optimizer step), steps the learning-rate schedule once, evaluates the held-out loader, logs
    one line and, with a ``run_dir``, writes ``history.csv`` and a checkpoint holding everything
    needed to continue bit for bit: model, optimizer and schedule state, epoch, history, early
    stopping counters, barenet's random state and the training loader's generator.

    Args:
        model: the ``Module`` to train; its output is ``(N, C)`` scores, higher is better.
        optimizer: an optimizer over ``model``'s parameters (weight decay belongs there).
        loss: ``loss(output, target)`` giving the batch's mean loss; cross-entropy by default.
        scheduler: a learning-rate schedule stepped once per epoch, or None.
        max_grad_norm: clip the gradients' global L2 norm to this value before each step.
        patience: stop after this many epochs without a lower held-out loss (None: never).
        seed: reseed barenet's generator when a fresh ``fit`` starts (shuffling, dropout). Seed
            it yourself before building the model to make its initialisation reproducible.
        run_dir: folder for history, metrics, curves and checkpoints (None: write nothing).
        progress: show a tqdm progress bar per epoch (loss, accuracy, images per second).
        log: called with each per-epoch line; ``print`` by default, None for silence.
        val_name: the held-out split's name in logs and files (``"val"``, or ``"test"``).
        topk: the top-k accuracies to measure.
        callbacks: objects whose optional methods run during ``fit``: ``on_after_backward(trainer)``
            after each training step's backward pass (before clipping and the step) and
            ``on_epoch_end(trainer, row)`` after each epoch (e.g. ``barenet.train.diagnostics.Diagnostics``).

    Example:
        >>> import numpy as np, barenet
        >>> from barenet import nn, optim
        >>> from barenet.data import DataLoader, TensorDataset
        >>> x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
        >>> loader = DataLoader(TensorDataset(x, (x[:, 0] > 0).astype(np.int64)), batch_size=16)
        >>> net = nn.Linear(2, 2)
        >>> trainer = Trainer(net, optim.SGD(net.parameters(), lr=0.5), progress=False, log=None)
        >>> trainer.fit(loader, loader, epochs=5)[-1]["val_acc1"] > 0.9
        True
    """

    def __init__(self, model, optimizer, loss=None, scheduler=None, *, max_grad_norm: float | None = None,
                 patience: int | None = None, seed: int | None = None, run_dir: str | os.PathLike | None = None,
                 progress: bool = True, log=print, val_name: str = "val", topk: tuple[int, ...] = (1, 5),
                 callbacks=()):
        nn.module.expect_module("Trainer", model)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: optimizer must be a barenet optimizer (barenet.optim). "
                            f"Received: {type(optimizer).__name__}.")
        if loss is not None and (not callable(loss) or isinstance(loss, nn.Sequential)):
            raise TypeError(f"Trainer: loss must be a function of (output, target), or None for cross-entropy. "
                            f"Received: {type(loss).__name__}.")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"Trainer: scheduler must be a learning-rate schedule (barenet.optim.lr_scheduler) or None. "
                            f"Received: {type(scheduler).__name__}.")
        if max_grad_norm is not None:
            _args.number("Trainer", "max_grad_norm", max_grad_norm)
            if not max_grad_norm > 0:
                raise ValueError(f"Trainer: max_grad_norm must be positive. Received: max_grad_norm={max_grad_norm!r}.")
        if patience is not None:
            _args.integer("Trainer", "patience", patience, minimum=1)
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss = loss or _default_loss
        self.max_grad_norm, self.patience, self.seed = max_grad_norm, patience, seed
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.progress, self.log, self.val_name, self.topk = progress, log, val_name, tuple(topk)
        self.callbacks = list(callbacks)
        self.epoch, self.history, self.elapsed_s = 0, [], 0.0
        self.best = {"epoch": 0, "loss": math.inf}
        self.bad_epochs, self.stopped_early, self.target_epochs = 0, False, 0

    # ----- the loop -----------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs: int = 1, ckpt_path=None) -> list[dict]:
        """Train until ``epochs`` epochs are done in total (or early stopping); return the history.

        Args:
            train_loader: batches ``(input, target)`` to learn from.
            val_loader: held-out batches evaluated after every epoch, or None.
            epochs: the total number of epochs; a resumed run continues from its checkpoint's.
            ckpt_path: a checkpoint written by a previous run to resume from.

        Returns:
            One dict per epoch: ``epoch``, ``lr``, ``train_loss``, ``train_acc1``, ``train_acc5``,
            ``train_images_per_s``, ``<val_name>_loss``, ``<val_name>_acc1``..., ``time_s``.

        Raises:
            FloatingPointError: the training loss became NaN or infinite.
        """
        for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
            if (loader is not None or name == "train_loader") and not (hasattr(loader, "__iter__") and hasattr(loader, "__len__")):
                raise TypeError(f"fit: {name} must be a DataLoader (batches of (input, target) with a length). "
                                f"Received: {type(loader).__name__}.")
        epochs = _args.integer("fit", "epochs", epochs, minimum=1)
        if ckpt_path is not None:
            self.load_checkpoint(ckpt_path, train_loader)
        elif self.seed is not None:
            random.manual_seed(self.seed)
        self.target_epochs = epochs
        start = time.perf_counter() - self.elapsed_s
        while self.epoch < epochs and not self.stopped_early:
            self.epoch += 1
            row = self._run_epoch(train_loader, val_loader, epochs)
            self.history.append(row)
            self._callback("on_epoch_end", row)
            self.elapsed_s = time.perf_counter() - start
            self._end_epoch(row, train_loader)
        if self.run_dir is not None:
            self._write_summary()
        return self.history

    def _run_epoch(self, train_loader, val_loader, epochs: int) -> dict:
        lr = self.optimizer.param_groups[0]["lr"]
        tic = time.perf_counter()
        train = self.train_one_epoch(train_loader, desc=f"epoch {self.epoch}/{epochs}")
        if self.scheduler is not None:
            self.scheduler.step()
        row = {"epoch": self.epoch, "lr": lr}
        row.update({f"train_{k}": v for k, v in train.items()})
        if val_loader is not None:
            row.update({f"{self.val_name}_{k}": v for k, v in self.evaluate(val_loader).items()})
        row["time_s"] = time.perf_counter() - tic
        return row

    def train_one_epoch(self, loader, desc: str = "train") -> dict:
        """One pass over ``loader`` with parameter updates; returns the epoch's mean metrics
        (``loss``, ``acc1``...) and ``images_per_s``."""
        self.model.train()
        meters = {name: MeanMeter() for name in self._metric_names()}
        tic = time.perf_counter()
        bar = self._progress_bar(loader, desc)
        for step, batch in enumerate(bar, start=1):
            x, y = _pair("fit", batch)
            output = self.model(x)
            loss = self.loss(output, y)
            value = float(loss.item())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"fit: the training loss became {value} at epoch {self.epoch}, batch {step}. "
                    "Try a lower learning rate or gradient clipping.")
            self.optimizer.zero_grad()
            loss.backward()
            self._callback("on_after_backward")
            if self.max_grad_norm is not None:
                clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
            self.optimizer.step()
            self._update(meters, value, output, y)
            if bar is not loader:
                rate = meters["loss"].count / (time.perf_counter() - tic)
                bar.set_postfix(loss=f"{meters['loss'].mean:.4f}", acc=f"{100 * meters['acc1'].mean:.2f}%",
                                img_s=f"{rate:.0f}", refresh=False)
        result = {name: m.mean for name, m in meters.items()}
        result["images_per_s"] = meters["loss"].count / max(time.perf_counter() - tic, 1e-9)
        return result

    def evaluate(self, loader) -> dict:
        """Mean loss and top-k accuracies (fractions) of the model on ``loader``, in eval mode."""
        was_training = self.model.training
        self.model.eval()
        meters = {name: MeanMeter() for name in self._metric_names()}
        with no_grad():
            for batch in loader:
                x, y = _pair("evaluate", batch)
                output = self.model(x)
                self._update(meters, float(self.loss(output, y).item()), output, y)
        self.model.train(was_training)
        return {name: m.mean for name, m in meters.items()}

    def _callback(self, event: str, *args) -> None:
        for callback in self.callbacks:
            method = getattr(callback, event, None)
            if method is not None:
                method(self, *args)

    def _metric_names(self) -> list[str]:
        return ["loss"] + [f"acc{k}" for k in self.topk]

    def _update(self, meters: dict, loss: float, output: Tensor, target: Tensor) -> None:
        n = len(target)
        meters["loss"].update(loss, n)
        for k, correct in topk_correct(output, target, self.topk).items():
            meters[f"acc{k}"].update(correct / n, n)

    def _progress_bar(self, loader, desc: str):
        if not self.progress:
            return loader
        from tqdm.auto import tqdm

        return tqdm(loader, desc=desc, total=len(loader), leave=False, file=sys.stderr, dynamic_ncols=True)

    # ----- bookkeeping after each epoch -----------------------------------------------------------
    def _end_epoch(self, row: dict, train_loader) -> None:
        monitored = row.get(f"{self.val_name}_loss", row["train_loss"])
        improved = monitored < self.best["loss"]
        if improved:
            self.best = {"epoch": self.epoch, "loss": monitored}
        self.bad_epochs = 0 if improved else self.bad_epochs + 1
        self.stopped_early = self.patience is not None and self.bad_epochs >= self.patience
        if self.log is not None:
            self.log(self._epoch_line(row))
        if self.run_dir is None:
            return
        state = self.state_dict(train_loader)
        (self.run_dir / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
        save_checkpoint(state, self.run_dir / CHECKPOINT_DIR / "last.safetensors")
        if improved:
            save_checkpoint(state, self.run_dir / CHECKPOINT_DIR / "best.safetensors")
        write_history_csv(self.run_dir / "history.csv", self.history)

    def _epoch_line(self, row: dict) -> str:
        def part(split):
            if f"{split}_loss" not in row:
                return ""
            top5 = f" top5 {100 * row[f'{split}_acc5']:.2f}%" if f"{split}_acc5" in row else ""
            return f" | {split} loss {row[f'{split}_loss']:.4f} acc {100 * row[f'{split}_acc1']:.2f}%{top5}"

        epoch = f"epoch {row['epoch']:>{len(str(self.target_epochs))}}/{self.target_epochs}"
        return (f"{epoch}{part('train')}{part(self.val_name)} | lr {row['lr']:.4g}"
                f" | {row['time_s']:.1f} s, {row['train_images_per_s']:.0f} img/s")

    def summary(self) -> dict:
        """The run's final numbers (accuracies as fractions): what ``metrics.json`` holds."""
        last = self.history[-1] if self.history else {}
        best = next((r for r in self.history if r["epoch"] == self.best["epoch"]), {})
        v = self.val_name
        return {
            f"{v}_accuracy": last.get(f"{v}_acc1"), f"{v}_top5_accuracy": last.get(f"{v}_acc5"),
            f"{v}_loss": last.get(f"{v}_loss"), "train_accuracy": last.get("train_acc1"),
            "train_loss": last.get("train_loss"), "epochs": self.epoch, "best_epoch": self.best["epoch"],
            f"best_{v}_loss": best.get(f"{v}_loss"), f"best_{v}_accuracy": best.get(f"{v}_acc1"),
            "stopped_early": self.stopped_early, "wall_time_s": self.elapsed_s,
            "images_per_s": (sum(r["train_images_per_s"] for r in self.history) / len(self.history)
                             if self.history else None),
        }

    def _write_summary(self) -> None:
        write_json(self.run_dir / "metrics.json", self.summary())
        if self.history:
            plot_curves(self.history, self.run_dir / "curves.png", self.val_name)

    # ----- checkpoints ---------------------------------------------------------------------
    def state_dict(self, train_loader=None) -> dict:
        """Everything a resumed run needs to continue exactly where this one stands."""
        return {
            "epoch": self.epoch, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": random.get_rng_state(),
            "loader": train_loader.state_dict() if hasattr(train_loader, "state_dict") else {},
            "history": self.history, "best": self.best, "bad_epochs": self.bad_epochs,
            "stopped_early": self.stopped_early, "elapsed_s": self.elapsed_s,
        }

    def load_state_dict(self, state: dict, train_loader=None) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        random.set_rng_state(state["rng"])
        if train_loader is not None and hasattr(train_loader, "load_state_dict"):
            train_loader.load_state_dict(state["loader"])
        self.epoch, self.history, self.best = state["epoch"], list(state["history"]), dict(state["best"])
        self.bad_epochs, self.stopped_early = state["bad_epochs"], state["stopped_early"]
        self.elapsed_s = state["elapsed_s"]

    def save_checkpoint(self, path, train_loader=None) -> None:
        save_checkpoint(self.state_dict(train_loader), path)

    def load_checkpoint(self, path, train_loader=None) -> None:
        self.load_state_dict(load_checkpoint(path), train_loader)


def _pair(op: str, batch) -> tuple:
    """A batch as ``(input, target)``, or a TypeError naming ``op``."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    raise TypeError(f"{op}: each batch must be an (input, target) pair. Received: {type(batch).__name__}.")
