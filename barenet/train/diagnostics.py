"""Why deep networks stop learning, measured: a ``Trainer`` callback recording per layer and epoch
the gradient norm relative to the weight norm, the fraction of dead ReLU units and the fraction
of saturated sigmoid/tanh outputs.

The sigmoid's derivative is at most 0.25 (and tanh's vanishes once saturated), so in a deep
sigmoid network the gradient shrinks layer by layer on its way back to the input: the first
layers' weights barely move relative to their size. ReLU passes gradients through unchanged
where it is active, but a unit that outputs 0 for every input never learns again ("dead").
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from .. import backend, nn
from .checkpoint import atomic_write
from .plotting import _figure, _save

__all__ = ["Diagnostics", "plot_diagnostics"]

SATURATION = 0.99
_METRICS = ("grad_weight_ratio", "dead_relu", "saturated")


def _squashing_kind(module) -> tuple[str, float] | None:
    """``(kind, scale)`` of a bounded activation: its output divided by ``scale`` is a tanh or a sigmoid."""
    from ..models.lenet import _A, ScaledTanh

    if isinstance(module, nn.Sigmoid):
        return "sigmoid", 1.0
    if isinstance(module, nn.Tanh):
        return "tanh", 1.0
    if isinstance(module, ScaledTanh):  # LeNet-5's 1.7159 tanh(2a/3)
        return "tanh", _A
    return None


class Diagnostics:
    """A ``Trainer`` callback (``Trainer(..., callbacks=[Diagnostics(model)])``) measuring, on the
    training batches:

    - ``grad_weight_ratio``: ``||dL/dW|| / ||W||`` of each Linear/Conv weight, averaged over the epoch's steps;
    - ``dead_relu``: the fraction of a ReLU's units (one per output feature and position) that were
      zero for every training sample of the epoch;
    - ``saturated``: the fraction of a tanh's outputs with ``|tanh| > 0.99`` (LeNet-5's ``ScaledTanh``
      counts as a tanh) or of a sigmoid's below 0.01 or above 0.99.

    At each epoch's end the rows are added to ``records`` and, when the trainer has a run
    directory, written there as ``diagnostics.csv`` (``epoch,layer,metric,value``) and drawn as
    ``diagnostics.png``.

    Args:
        model: the module being trained; hooks are registered on its activation layers.
    """

    def __init__(self, model):
        self.model, self.records = model, []
        self._weights = [(name[: -len(".weight")] or name, p) for name, p in model.named_parameters()
                         if name.endswith("weight") and p.ndim >= 2]
        self._handles = []
        for name, module in model.named_modules():
            if isinstance(module, nn.ReLU) or _squashing_kind(module) is not None:
                self._handles.append(module.register_forward_hook(self._hook(name or "output")))
        self._reset()

    def _reset(self) -> None:
        self._ratios = {name: [] for name, _ in self._weights}
        self._alive, self._saturated = {}, {}

    def _hook(self, name: str):
        def record(module, inputs, output):
            if not module.training:
                return
            y = backend.to_numpy(output.data)  # (N, ...)
            squash = _squashing_kind(module)
            if squash is None:
                active = (y > 0).any(axis=0)  # (...) units that fired at least once
                self._alive[name] = active | self._alive.get(name, False)
                return
            kind, scale = squash
            y = y / scale
            hit = np.abs(y) > SATURATION if kind == "tanh" else (y < 1 - SATURATION) | (y > SATURATION)
            count, total = self._saturated.get(name, (0, 0))
            self._saturated[name] = (count + int(hit.sum()), total + hit.size)
        return record

    def on_after_backward(self, trainer) -> None:
        for name, p in self._weights:
            if p.grad is not None:
                weight_norm = float(np.linalg.norm(backend.to_numpy(p.data)))
                grad_norm = float(np.linalg.norm(backend.to_numpy(p.grad.data)))
                self._ratios[name].append(grad_norm / max(weight_norm, 1e-12))

    def on_epoch_end(self, trainer, row: dict) -> None:
        epoch = row["epoch"]
        rows = [(name, "grad_weight_ratio", float(np.mean(v))) for name, v in self._ratios.items() if v]
        rows += [(name, "dead_relu", 1.0 - float(np.mean(alive))) for name, alive in self._alive.items()]
        rows += [(name, "saturated", count / max(total, 1)) for name, (count, total) in self._saturated.items()]
        self.records += [{"epoch": epoch, "layer": n, "metric": m, "value": v} for n, m, v in rows]
        self._reset()
        if trainer.run_dir is not None:
            self.write(trainer.run_dir)

    def write(self, run_dir: str | os.PathLike) -> None:
        """Write ``diagnostics.csv`` and ``diagnostics.png`` into ``run_dir``."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["epoch", "layer", "metric", "value"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records)
        atomic_write(Path(run_dir) / "diagnostics.csv", buffer.getvalue().encode())
        plot_diagnostics(self.records, Path(run_dir) / "diagnostics.png")

    def latest(self, metric: str) -> dict[str, float]:
        """``{layer: value}`` of ``metric`` at the last recorded epoch."""
        last = max((r["epoch"] for r in self.records), default=None)
        return {r["layer"]: r["value"] for r in self.records if r["epoch"] == last and r["metric"] == metric}

    def remove(self) -> None:
        """Remove the forward hooks from the model."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def plot_diagnostics(records: list[dict], path: str | os.PathLike) -> None:
    """Draw diagnostics rows (``epoch``, ``layer``, ``metric``, ``value``) to ``path``: one panel per
    metric, one line per layer (the gradient ratio on a log scale)."""
    labels = {"grad_weight_ratio": "||grad W|| / ||W||", "dead_relu": "dead ReLU units",
              "saturated": "saturated sigmoid/tanh outputs"}
    present = [m for m in _METRICS if any(r["metric"] == m for r in records)]
    fig = _figure((4.5 * max(len(present), 1), 3.8))
    axes = np.atleast_1d(fig.subplots(1, max(len(present), 1)))
    for ax, metric in zip(axes, present):
        layers = dict.fromkeys(r["layer"] for r in records if r["metric"] == metric)
        for layer in layers:
            points = [(r["epoch"], r["value"]) for r in records if r["metric"] == metric and r["layer"] == layer]
            ax.plot(*zip(*points), marker="o", ms=3, label=layer)
        if metric == "grad_weight_ratio":
            ax.set_yscale("log")
        ax.set_title(labels[metric])
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)
