"""``python -m evaluation``: see :mod:`evaluation._cli`."""

import ctypes
import os
import sys

# The engine does no dense linear algebra, so OpenBLAS's worker threads would only spin after
# start-up, taking time from the cores the comparison uses. Set before NumPy loads; a value the
# caller set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
_PR_SET_THP_DISABLE = 41  # Linux's prctl option


def _no_huge_pages() -> None:
    """Turn off transparent huge pages for this process (Linux; elsewhere nothing changes).

    NumPy asks for them for every array of 4 MB or more, and Arrow's allocator for its whole arena.
    Where the kernel honours such a request by compacting memory on the spot (``defrag=madvise``,
    a common default), the first touch of a huge page can stall while it does. A comparison of a
    million rows touches about a gigabyte; measured with the data of
    ``benchmarks/bench_compare.py``, the stalls cost more system time than the huge pages save
    (median 3.0 s -> 2.7 s, system time 1.2 s -> 0.6 s).
    """
    if not sys.platform.startswith("linux"):
        return
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0)


def _reuse_freed_memory() -> None:
    """Have glibc's allocator keep freed blocks for reuse instead of handing them back to the system.

    A comparison makes and drops many arrays of megabytes; by default most are fresh mappings
    whose every page is zeroed by the kernel on first touch, which at a million rows costs more
    CPU time than any single step of the comparison. Other C libraries have no ``mallopt`` and
    keep their defaults.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return
    mallopt(_M_MMAP_THRESHOLD, 268435456)  # glibc's ceiling: larger blocks are still mapped on their own
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    mallopt(_M_TOP_PAD, 268435456)


if __name__ == "__main__":
    _no_huge_pages()
    _reuse_freed_memory()
    from ._cli import main

    status = main()
    # Everything is written and closed; skip tearing down a heap of large arrays (a third of a
    # second at a million rows), which a command run from a CI job or a shell only waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
