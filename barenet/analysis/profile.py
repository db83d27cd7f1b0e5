"""``profile(model, input_size, batch_size)``: where a training step's time goes, layer by layer.

One training-mode forward and backward pass on a random batch, repeated ``repeats`` times (the
first also warms the workspaces; each layer keeps its fastest time). A layer's forward time runs
from its forward pre-hook to its forward hook; its backward time is the sum of the backward
calls of the ops it ran (each op's ``backward`` is wrapped with a timer for the pass). Beside the
times stand the theoretical MACs and the achieved GFLOP/s (2 x MACs per second), and, for
scale, the GFLOP/s of one large float32 matrix product on this machine (``matmul_gflops``) —
how close each layer runs to the speed of the BLAS it is built on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import nn
from .summary import check_input_size, layers_of, traced_nodes

__all__ = ["LayerTiming", "Profile", "profile", "matmul_gflops"]


@dataclass
class LayerTiming:
    """One layer's measured forward/backward seconds beside its MACs for the whole batch."""

    name: str
    type: str
    macs: int
    backward_macs: int
    forward_s: float
    backward_s: float

    @property
    def forward_gflops(self) -> float:
        return 2 * self.macs / self.forward_s / 1e9 if self.forward_s > 0 else 0.0

    @property
    def backward_gflops(self) -> float:
        return 2 * self.backward_macs / self.backward_s / 1e9 if self.backward_s > 0 else 0.0


@dataclass
class Profile:
    """``layers`` in execution order; wall-clock totals of the passes; the matrix-product reference."""

    model: str
    input_shape: tuple
    batch_size: int
    layers: list
    forward_s: float
    backward_s: float
    matmul_gflops: float

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def to_dict(self) -> dict:
        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch_size": self.batch_size,
            "forward_s": self.forward_s, "backward_s": self.backward_s, "macs": self.macs,
            "matmul_gflops": self.matmul_gflops,
            "layers": [{"name": t.name, "type": t.type, "macs": t.macs, "backward_macs": t.backward_macs,
                        "forward_s": t.forward_s, "backward_s": t.backward_s,
                        "forward_gflops": t.forward_gflops, "backward_gflops": t.backward_gflops}
                       for t in self.layers],
        }

    def __str__(self) -> str:
        from .report import profile_table

        return profile_table(self)


def matmul_gflops(n: int = 1024, repeats: int = 3, dtype=np.float32) -> float:
    """The best GFLOP/s of an ``n`` x ``n`` by ``n`` x ``n`` matrix product on this machine's BLAS."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first call pays for thread start-up
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def _loss(output):
    tensors = [output] if not isinstance(output, (tuple, list)) else [t for t in output if t is not None]
    loss = tensors[0].sum()
    for t in tensors[1:]:
        loss = loss + t.sum()
    return loss


def _one_step(model, size: tuple, batch_size: int, seed: int):
    """Traced training-mode forward, then backward; returns (nodes, forward s, backward s)."""
    start = time.perf_counter()
    nodes, output = traced_nodes(model, size, batch_size=batch_size, training=True, shape_only=False, grad=True,
                                 timing=True, op="profile", fill_seed=seed)
    middle = time.perf_counter()
    _loss(output).backward()
    end = time.perf_counter()
    model.zero_grad()
    return nodes, middle - start, end - middle


def profile(model, input_size, batch_size: int = 1, repeats: int = 2, name: str | None = None) -> Profile:
    """Measure each layer's forward and backward time in a training step (see the module docstring).

    Args:
        model: any ``nn.Module``; its modes, buffers and gradients are as before afterwards.
        input_size: one sample's shape, e.g. ``(3, 224, 224)``.
        batch_size: samples per step.
        repeats: timed steps; each layer keeps its fastest.
        name: the model's name in reports.

    Raises:
        ValueError: a malformed ``input_size``, ``batch_size`` or ``repeats``; a layer that
            cannot run on the input (named).

    Example:
        >>> from barenet import nn
        >>> p = profile(nn.Sequential(nn.Linear(8, 4), nn.ReLU()), (8,), batch_size=2)
        >>> [t.name for t in p.layers], p.layers[0].macs
        (['0', '1'], 64)
    """
    nn.module.expect_module("profile", model)
    size = check_input_size(input_size, "profile")
    for arg, value in (("batch_size", batch_size), ("repeats", repeats)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"profile: {arg} must be a positive int. Received: {arg}={value!r}.")
    grads = {id(p): p.grad for p in model.parameters()}
    try:
        runs = [_one_step(model, size, int(batch_size), seed) for seed in range(int(repeats))]
    finally:
        for p in model.parameters():
            p.grad = grads[id(p)]
    layers = layers_of(runs[0][0])
    timings = [LayerTiming(layer.name, layer.type, layer.macs, layer.backward_macs,
                           min(run[0][i].forward_s for run in runs), min(run[0][i].backward_s for run in runs))
               for i, layer in enumerate(layers)]
    return Profile(name or type(model).__name__, size, int(batch_size), timings, min(r[1] for r in runs),
                   min(r[2] for r in runs), matmul_gflops())
