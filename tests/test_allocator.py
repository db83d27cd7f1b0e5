"""keep_freed_memory: freed activation-sized arrays come back without the kernel's page faults."""
import platform
import subprocess
import sys
import textwrap

import pytest

from barenet import allocator

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")

# Five 8 MiB arrays made and freed, four times; prints the minor page faults of the last round.
# Each process sets (or not) the allocator first: the setting is process-wide and cannot be undone.
_ROUNDS = """
import resource, sys
import numpy as np
from barenet import allocator
if sys.argv[1] == "keep":
    assert allocator.keep_freed_memory()
for _ in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(2 << 20, np.float32) for _ in range(5)]
    del arrays
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(_ROUNDS), mode], capture_output=True,
                         text=True, check=True)
    return int(run.stdout)


@glibc
def test_freed_arrays_are_reused_without_page_faults():
    default, kept = _page_faults("default"), _page_faults("keep")
    # 40 MiB are 10,240 pages of 4 KiB: glibc's defaults hand them back to the OS and fault a
    # good share in again each round; kept, the round reuses the heap's pages.
    assert default > 1000
    assert kept < 50


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert allocator.keep_freed_memory() is False
