"""SGEMM rates (GFLOP/s) of NumPy's BLAS on the products barenet's convolutions issue, next to
square products and PyTorch's ``matmul``: the ceiling the convolution benchmark runs against.

Run it with the OpenBLAS variables this machine presets unset::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_gemm.py [--threads N]

For each CIFAR-sized 3x3 layer of ``bench_ops.py`` (batch chunk as ``conv_rows`` picks it) it
times the row-shift GEMMs: forward and dL/dx ``(3C x 3C) @ (3C x L)``, and dL/dW
``(3C x L) @ (L x 3C)`` with both operands' long axis contiguous (as barenet lays them out) and,
for comparison, with it as the slow axis. Each product runs back to back, median of 15 runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ops import _set_threads, environment  # noqa: E402

from barenet.functional import conv_rows  # noqa: E402
from barenet.functional.conv import conv2d_geometry  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

LAYERS = [(128, 16, 32), (128, 32, 16), (128, 64, 8)]  # N, C = C_out, H = W; 3x3, padding 1


def rate(fn, flop: float, repeat: int = 15) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return flop / statistics.median(times) / 1e9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: NumPy's BLAS count)")
    args = parser.parse_args(argv)
    threads = _set_threads(args.threads)
    if torch:
        torch.set_num_threads(threads)
    print("\n".join("# " + line for line in environment()))
    rng = np.random.default_rng(0)
    for n in (1024, 2048):
        a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
        line = f"square {n}: numpy {rate(lambda: a @ b, 2 * n**3):5.0f} GF/s"
        if torch:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            line += f"   torch.matmul {rate(lambda: ta @ tb, 2 * n**3):5.0f} GF/s"
        print(line)
    for n_all, c, h in LAYERS:
        g = conv_rows.widened(conv2d_geometry((n_all, c, h, h), (c, c, 3, 3), 1, 1, 1))
        n = conv_rows._chunks(n_all, c, c, g, 4)[0][1]
        length = conv_rows._tall(g, n).length
        k = 3 * c
        w = rng.standard_normal((k, k), dtype=np.float32)
        cols, grads = (rng.standard_normal((k, length), dtype=np.float32) for _ in range(2))
        out, part = np.empty((k, length), np.float32), np.empty((k, k), np.float32)
        cols_t, grads_t = np.ascontiguousarray(cols.T), np.ascontiguousarray(grads.T)
        flop = 2 * k * k * length
        print(f"{n_all}x{c}x{h}x{h} chunk of {n} ({k} x {k} x {length}): "
              f"forward/dx {rate(lambda: np.matmul(w, cols, out=out), flop):4.0f} GF/s, "
              f"dW {rate(lambda: np.matmul(grads, cols.T, out=part), flop):4.0f} GF/s "
              f"(long axis slow: {rate(lambda: np.matmul(grads_t.T, cols_t, out=part), flop):4.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
