"""Time barenet's core ops against PyTorch CPU, side by side in one process, forward + backward.

Run it with the OpenBLAS variables this machine presets unset (they halve NumPy's GEMM speed)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_ops.py

Both frameworks use the thread count of NumPy's BLAS (``torch.set_num_threads``). For each case
the two frameworks run alternately, after warm-up, with a pause after each run (idle BLAS and
OpenMP threads spin for a while after a call), and the medians are reported, so that load from
other processes hits both alike. Peak memory is barenet's: the tracemalloc peak of one
forward + backward (NumPy reports its allocations to tracemalloc), with the convolution
workspaces released first so that they are counted. Ops that are not implemented yet are skipped.

Options: ``--repeat N`` (timed runs per framework), ``--only conv|pool|norm|loss`` (repeatable),
``--match TEXT`` (cases whose name contains TEXT), ``--back-to-back`` (each framework runs its
warm-up and timed runs in a row without pauses, as layers run in training: threads stay awake
and caches warm, which favours whichever framework keeps more threads spinning; two such blocks
per framework, alternating),
``--markdown`` (a table for docs/benchmarks.md), ``--threads N`` (both frameworks; needs
threadpoolctl), ``--chunk-mib M`` (the convolution chunk size, for tuning).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

import barenet
import barenet.functional as F
from barenet.functional import im2col

try:
    import torch
except ImportError:  # the script still times barenet alone
    torch = None

# (N, C_in, H, W, C_out, k, stride, padding, groups): LeNet-5 c1, c3, CIFAR ResNet stages,
# ResNet-18 stage 1, AlexNet c1, a ResNet-50 1x1 reduction, MobileNet depthwise.
CONV_SHAPES = [
    (128, 1, 28, 28, 6, 5, 1, 2, 1), (128, 6, 14, 14, 16, 5, 1, 0, 1), (128, 16, 32, 32, 16, 3, 1, 1, 1),
    (128, 32, 16, 16, 32, 3, 1, 1, 1), (128, 64, 8, 8, 64, 3, 1, 1, 1), (32, 64, 56, 56, 64, 3, 1, 1, 1),
    (32, 3, 224, 224, 64, 11, 4, 2, 1), (32, 256, 56, 56, 64, 1, 1, 0, 1), (32, 128, 56, 56, 128, 3, 1, 1, 128),
]
# Idle BLAS/OpenMP threads spin for up to ~0.1 s after a call; pause so that they fall asleep.
PAUSE_S = 0.2


class Case:
    """One op on fixed inputs: ``run(lib)`` does forward + backward in barenet or torch."""

    def __init__(self, family: str, name: str, arrays: list, grads: list, fn):
        self.family, self.name, self.arrays, self.grads, self.fn = family, name, arrays, grads, fn

    def inputs(self, lib):
        if lib == "barenet":
            return [barenet.tensor(a, requires_grad=g) for a, g in zip(self.arrays, self.grads)]
        return [torch.tensor(a, requires_grad=g) for a, g in zip(self.arrays, self.grads)]

    def run(self, lib, inputs) -> None:
        out = self.fn(lib, *inputs)
        if out.ndim == 0:
            out.backward()
        else:
            out.backward(self.upstream[lib])

    def prepare(self, rng) -> None:
        """Run once (so shape errors surface here) and fix the upstream gradient."""
        out = self.fn("barenet", *self.inputs("barenet"))
        gy = rng.standard_normal(out.shape).astype(np.float32)
        self.upstream = {"barenet": barenet.tensor(gy), "torch": torch.tensor(gy) if torch else None}


def _ops(lib):
    return F if lib == "barenet" else torch.nn.functional


def conv_cases(rng):
    for n, c, h, w, o, k, s, p, g in CONV_SHAPES:
        arrays = [rng.standard_normal((n, c, h, w), dtype=np.float32),
                  rng.standard_normal((o, c // g, k, k), dtype=np.float32) * 0.1,
                  rng.standard_normal(o, dtype=np.float32)]
        fn = (lambda s, p, g: lambda lib, x, wt, b: _ops(lib).conv2d(x, wt, b, s, p, 1, g))(s, p, g)
        name = f"conv {n}x{c}x{h}x{w} -> {o} k{k} s{s} p{p}" + (f" g{g}" if g > 1 else "")
        yield Case("conv", name, arrays, [True, True, True], fn)


def other_cases(rng):
    x = rng.standard_normal((128, 64, 32, 32), dtype=np.float32)
    for k, s in ((3, 2), (2, 2)):
        fn = (lambda k, s: lambda lib, t: _ops(lib).max_pool2d(t, k, s))(k, s)
        yield Case("pool", f"max_pool2d 128x64x32x32 k{k} s{s}", [x], [True], fn)

    def bn(lib, t, weight, bias):
        make = barenet.tensor if lib == "barenet" else torch.tensor
        stats = [make(np.zeros(64, np.float32)), make(np.ones(64, np.float32))]  # running mean, var
        return _ops(lib).batch_norm(t, *stats, weight, bias, training=True)

    yield Case("norm", "batch_norm train 128x64x32x32", [x, np.ones(64, np.float32), np.zeros(64, np.float32)],
               [True, True, True], bn)
    logits = rng.standard_normal((128, 1000), dtype=np.float32)
    target = rng.integers(0, 1000, 128)
    yield Case("loss", "cross_entropy 128x1000", [logits, target], [True, False],
               lambda lib, t, y: _ops(lib).cross_entropy(t, y))


def _time_once(case: Case, lib: str, inputs, times: list) -> None:
    t0 = time.perf_counter()
    case.run(lib, inputs)
    times.append((time.perf_counter() - t0) * 1e3)


def _peak_mb(case: Case) -> float:
    im2col.release_workspaces()
    inputs = case.inputs("barenet")
    tracemalloc.start()
    case.run("barenet", inputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def measure(case: Case, repeat: int, warmup: int, back_to_back: bool = False) -> dict:
    libs = ["barenet"] + (["torch"] if torch else [])
    inputs = {lib: case.inputs(lib) for lib in libs}
    times = {lib: [] for lib in libs}
    # Paused: alternate run by run, so background load hits both frameworks alike. Back to back:
    # alternate blocks of runs, dropping each block's warm-up runs.
    blocks, runs = (2, warmup + repeat) if back_to_back else (warmup + repeat, 1)
    for _ in range(blocks):
        for lib in libs:
            block = []
            for _ in range(runs):
                _time_once(case, lib, inputs[lib], block)
                for t in inputs[lib]:
                    t.grad = None
                if not back_to_back:
                    time.sleep(PAUSE_S)  # or the spinning threads steal a core from the other's next run
            times[lib] += block[warmup:] if back_to_back else block
            if back_to_back:
                time.sleep(PAUSE_S)
    med = {lib: statistics.median(v if back_to_back else v[warmup:]) for lib, v in times.items()}
    return {"name": case.name, "barenet": med["barenet"], "torch": med.get("torch"), "peak": _peak_mb(case)}


def environment() -> list[str]:
    lines = [f"python {platform.python_version()}, numpy {np.__version__}"
             + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch missing")]
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            lines.append(f"{info['user_api']}: {info['internal_api']} {info.get('version')} "
                         f"kernel={info.get('architecture')} threads={info['num_threads']}")
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS kernel unknown")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        if var in os.environ:
            lines.append(f"{var}={os.environ[var]}" + (" (slows NumPy's GEMM: unset it)" if "OPENBLAS" in var else ""))
    lines.append(f"conv chunk target: {im2col.CHUNK_BYTES / 2**20:g} MiB "
                 "(im2col: columns; row shifts: columns and GEMM output)")
    lines.append(f"load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    return lines


def _set_threads(requested: int | None) -> int:
    """Limit NumPy's BLAS to ``requested`` threads (when given) and return its thread count."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return os.cpu_count() or 1
    if requested:
        _set_threads.limits = threadpool_limits(limits=requested, user_api="blas")  # kept alive
    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per framework and case")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", action="append", choices=["conv", "pool", "norm", "loss"])
    parser.add_argument("--match", help="only the cases whose name contains this text")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: NumPy's BLAS count)")
    parser.add_argument("--chunk-mib", type=float, help="override im2col.CHUNK_BYTES (tuning)")
    parser.add_argument("--back-to-back", action="store_true",
                        help="time runs in a row without pauses (threads awake, as in training)")
    args = parser.parse_args(argv)
    if args.chunk_mib:
        im2col.CHUNK_BYTES = int(args.chunk_mib * 2**20)
    threads = _set_threads(args.threads)
    if torch:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    print("\n".join(("- " if args.markdown else "# ") + line for line in environment()))
    rows = []
    for case in list(conv_cases(rng)) + list(other_cases(rng)):
        if (args.only and case.family not in args.only) or (args.match and args.match not in case.name):
            continue
        try:
            case.prepare(rng)
        except (AttributeError, NotImplementedError) as err:
            print(f"# skipped {case.name}: {type(err).__name__}: {err}")
            continue
        rows.append(measure(case, args.repeat, args.warmup, args.back_to_back))
        if not args.markdown:
            _print_row(rows[-1])
    print(("- " if args.markdown else "# ") + f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.markdown:
        print("\n| op (forward + backward) | barenet ms | torch ms | ratio | barenet peak MiB |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['name']} | {r['barenet']:.1f} | {_fmt(r['torch'])} | {_ratio(r)} | {r['peak']:.0f} |")
    return 0


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.1f}"


def _ratio(r) -> str:
    return "-" if r["torch"] is None else f"{r['barenet'] / r['torch']:.2f}"


def _print_row(r) -> None:
    print(f"{r['name']:<44} barenet {r['barenet']:8.1f} ms  torch {_fmt(r['torch']):>8} ms  "
          f"ratio {_ratio(r):>5}  peak {r['peak']:7.0f} MiB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
