"""Time whole zoo models in barenet against the same networks in PyTorch CPU, side by side in one process.

Two cases, from the model-zoo issue: ResNet-50 inference (eval mode, no_grad, batch 8 at 224x224)
and ResNet-20 training steps (batch 128 at 32x32: forward, cross-entropy, backward, SGD with
momentum 0.9 and weight decay 1e-4). torchvision is not needed: the PyTorch reference networks
are written below with barenet's state-dict keys, barenet's weights are copied into them, and
their outputs are checked against barenet's before anything is timed, so that both frameworks
run the same network.

Run it with the OpenBLAS variables this machine presets unset (they halve NumPy's GEMM speed)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_models.py

Both frameworks use the thread count of NumPy's BLAS; they run alternately, after warm-up, with
a pause after each run, and the medians are reported (see ``bench_ops.py``, whose helpers this
script reuses).

Options: ``--repeat N`` (timed runs per framework), ``--warmup N``, ``--only NAME`` (repeatable),
``--markdown`` (a table for docs/benchmarks-models.md), ``--threads N`` (both frameworks).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import barenet  # noqa: E402
import barenet.functional as F  # noqa: E402
from barenet import allocator  # noqa: E402
from barenet.models import get_model  # noqa: E402
from bench_ops import PAUSE_S, _fmt, _set_threads, environment  # noqa: E402

try:
    import torch
    from torch import nn as tnn
except ImportError:  # the script still times barenet alone
    torch = None

# Largest |barenet - torch| over the largest |torch| before the timings are trusted. The stem's
# gradient gets more room: float32 rounding through 20 batch-normalised layers leaves ~1e-3 there,
# while in float64 the two agree to ~3e-14 (the networks are the same; only rounding differs).
AGREEMENT_TOL = {"outputs": 1e-3, "stem gradient": 1e-2}


def _relative_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.abs(ours - theirs).max() / np.abs(theirs).max())


if torch is not None:
    class TorchBottleneck(tnn.Module):
        """torchvision's ``Bottleneck`` (stride in the 3x3 convolution, "v1.5")."""

        def __init__(self, inplanes: int, planes: int, stride: int):
            super().__init__()
            self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = tnn.BatchNorm2d(planes * 4)
            self.relu = tnn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or inplanes != planes * 4:
                self.downsample = tnn.Sequential(tnn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(planes * 4))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            return self.relu(self.bn3(self.conv3(out)) + identity)

    class TorchBasicBlock(tnn.Module):
        """He et al.'s CIFAR block with the option A shortcut (subsample, append zero channels)."""

        def __init__(self, inplanes: int, planes: int, stride: int):
            super().__init__()
            self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU(inplace=True)
            self.stride, self.extra = stride, planes - inplanes

        def forward(self, x):
            identity = x[:, :, ::self.stride, ::self.stride]
            if self.extra:
                identity = tnn.functional.pad(identity, (0, 0, 0, 0, 0, self.extra))
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    class TorchResNet(tnn.Module):
        """ResNet-50 (torchvision layout) or ResNet-20 (CIFAR) with barenet's state-dict keys."""

        def __init__(self, cifar: bool):
            super().__init__()
            if cifar:
                block, widths, blocks, strides, inplanes, classes = TorchBasicBlock, (16, 32, 64), 3, (1, 2, 2), 16, 10
                self.conv1 = tnn.Conv2d(3, 16, 3, 1, 1, bias=False)
                self.maxpool = tnn.Identity()
            else:
                block, widths, blocks, strides, inplanes, classes = (TorchBottleneck, (64, 128, 256, 512),
                                                                     (3, 4, 6, 3), (1, 2, 2, 2), 64, 1000)
                self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
                self.maxpool = tnn.MaxPool2d(3, 2, 1)
            self.bn1 = tnn.BatchNorm2d(inplanes)
            self.relu = tnn.ReLU(inplace=True)
            expansion = 1 if cifar else 4
            for i, (planes, stride) in enumerate(zip(widths, strides)):
                n = blocks if cifar else blocks[i]
                stage = [block(inplanes, planes, stride)] + [block(planes * expansion, planes, 1) for _ in range(n - 1)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*stage))
                inplanes = planes * expansion
            self.stages = len(widths)
            self.fc = tnn.Linear(inplanes, classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for i in range(self.stages):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(x.mean((2, 3)))


def twin_models(name: str):
    """barenet's ``get_model(name)`` and the PyTorch network with the same weights."""
    model = get_model(name)
    if torch is None:
        return model, None
    twin = TorchResNet(cifar=name == "resnet20")
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    return model, twin


class ModelCase:
    """A model case: ``step(lib)`` runs one inference or training step in barenet or torch."""

    def __init__(self, name: str, model_name: str, shape: tuple, train: bool, rng):
        self.name, self.train = name, train
        self.models = dict(zip(("barenet", "torch"), twin_models(model_name)))
        x = rng.standard_normal(shape, dtype=np.float32)
        classes = 10 if model_name == "resnet20" else 1000
        y = rng.integers(0, classes, shape[0])
        self.inputs = {"barenet": (barenet.tensor(x), barenet.tensor(y))}
        if torch:
            self.inputs["torch"] = (torch.from_numpy(x), torch.from_numpy(y))
        self.optimizers = {}
        for lib, model in self.models.items():
            if model is None:
                continue
            model.train(train)
            if train:
                optim = barenet.optim if lib == "barenet" else torch.optim
                self.optimizers[lib] = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

    def libs(self) -> list[str]:
        return ["barenet"] + (["torch"] if torch else [])

    def check_agreement(self) -> dict:
        """Largest |barenet - torch| over the largest |torch| of one forward (the mode the case runs in)
        and, for a training case, of the stem's weight gradient after one step."""
        with barenet.no_grad():
            ours = self.models["barenet"](self.inputs["barenet"][0]).numpy()
        with torch.no_grad():
            theirs = self.models["torch"](self.inputs["torch"][0]).numpy()
        diffs = {"outputs": _relative_diff(ours, theirs)}
        if self.train:
            for lib in self.libs():
                self.step(lib)
            diffs["stem gradient"] = _relative_diff(self.models["barenet"].conv1.weight.grad.numpy(),
                                                    self.models["torch"].conv1.weight.grad.numpy())
        return diffs

    def step(self, lib: str) -> None:
        model, (x, y) = self.models[lib], self.inputs[lib]
        if not self.train:
            with (barenet.no_grad() if lib == "barenet" else torch.no_grad()):
                model(x)
            return
        optimizer = self.optimizers[lib]
        optimizer.zero_grad()
        loss = (F if lib == "barenet" else torch.nn.functional).cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()


def measure(case: ModelCase, repeat: int, warmup: int) -> dict:
    times = {lib: [] for lib in case.libs()}
    for _ in range(warmup + repeat):
        for lib in case.libs():  # alternate, so background load hits both frameworks alike
            t0 = time.perf_counter()
            case.step(lib)
            times[lib].append((time.perf_counter() - t0) * 1e3)
            time.sleep(PAUSE_S)  # or the spinning threads steal a core from the other's next run
    med = {lib: statistics.median(v[warmup:]) for lib, v in times.items()}
    return {"name": case.name, "barenet": med["barenet"], "torch": med.get("torch")}


CASES = {
    "resnet50": ("resnet50 inference, eval, batch 8, 224x224", "resnet50", (8, 3, 224, 224), False),
    "resnet20": ("resnet20 training step, batch 128, 32x32", "resnet20", (128, 3, 32, 32), True),
}


def _ratio(r) -> str:
    return "-" if r["torch"] is None else f"{r['barenet'] / r['torch']:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per framework and case")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", action="append", choices=sorted(CASES))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: NumPy's BLAS count)")
    parser.add_argument("--keep-freed-memory", action="store_true",
                        help="barenet.allocator.keep_freed_memory() first, as `barenet train` does (it acts on the "
                             "whole process, so on PyTorch's allocations too)")
    args = parser.parse_args(argv)
    if args.keep_freed_memory and not allocator.keep_freed_memory():
        print("--keep-freed-memory: not glibc; nothing changed", file=sys.stderr)
    threads = _set_threads(args.threads)
    if torch:
        torch.set_num_threads(threads)
    prefix = "- " if args.markdown else "# "
    print("\n".join(prefix + line for line in environment()))
    rng = np.random.default_rng(0)
    barenet.manual_seed(0)
    rows = []
    for key in args.only or list(CASES):
        name, model_name, shape, train = CASES[key]
        case = ModelCase(name, model_name, shape, train, rng)
        if torch:
            diffs = case.check_agreement()
            print(f"{prefix}{key} agrees with torch, relative to scale: "
                  + ", ".join(f"{what} {d:.1e}" for what, d in diffs.items()))
            if not all(d < AGREEMENT_TOL[what] for what, d in diffs.items()):
                print(f"{prefix}{key}: the two networks disagree; not timed")
                continue
        rows.append(measure(case, args.repeat, args.warmup))
        if not args.markdown:
            r = rows[-1]
            print(f"{r['name']:<46} barenet {r['barenet']:8.1f} ms  torch {_fmt(r['torch']):>8} ms  "
                  f"ratio {_ratio(r):>5}", flush=True)
    print(f"{prefix}load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.markdown:
        print("\n| case | barenet ms | torch ms | ratio |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['name']} | {r['barenet']:.1f} | {_fmt(r['torch'])} | {_ratio(r)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
