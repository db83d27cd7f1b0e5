"""How the process's C allocator treats the large arrays a training step frees.

A training step allocates and frees the same activation-sized arrays every step. glibc's malloc
serves a block above its mmap threshold (128 KiB, raised up to 32 MiB as such blocks are freed)
from a fresh mapping that ``free`` unmaps, and trims the heap's free top past a trim threshold, so
the next step touches new pages and the kernel zero-fills every one of them again: 34,000 minor
page faults (134 MiB) per ResNet-20 training step at batch 128, 10-18% of the step's time on this
project's machine (docs/benchmarks-models.md). PyTorch's CPU tuning guide answers the same cost by
preloading a caching allocator (jemalloc or tcmalloc); ``keep_freed_memory`` asks glibc itself to
keep the blocks instead, from Python, with no preload.
"""
from __future__ import annotations

import ctypes
import platform

# mallopt's parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX): blocks above it,
# e.g. ResNet-50's 32x64x112x112 activations (98 MiB), are still mapped and unmapped every time.
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = (1 << 31) - 1  # mallopt takes an int: never trim in practice


def keep_freed_memory() -> bool:
    """Keep freed blocks of up to ``MMAP_THRESHOLD`` bytes in the process for the next allocation.

    Sets glibc's ``M_MMAP_THRESHOLD`` to 32 MiB (so such blocks come from the heap) and
    ``M_TRIM_THRESHOLD`` to 2 GiB (so the heap keeps them when freed). Process-wide and for the
    rest of the process: the resident memory stays at the largest the process has needed instead
    of shrinking between steps, which suits a training or evaluation process. ``barenet train``
    calls it; call it at the start of your own training script for the same effect.

    Returns:
        Whether the settings took: ``False`` where the C library is not glibc (macOS, Windows,
        musl), where nothing is changed.
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    # Both or neither: setting either stops glibc's dynamic adjustment of both, and the trim
    # threshold alone would leave every block above 128 KiB mapped (3.4x the page faults, measured).
    # mallopt returns 1 on success.
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
