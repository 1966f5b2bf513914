"""``python -m evaluation``: see :mod:`evaluation._cli`."""

import ctypes
import os
import sys

# The engine does no dense linear algebra, so OpenBLAS's worker threads would only spin after
# start-up, taking time from the cores the comparison uses. Set before NumPy loads; a value the
# caller set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# NumPy asks the kernel for transparent huge pages for every array of 4 MB or more. Where the
# kernel honours that request by compacting memory on the spot (``defrag=madvise``, a common
# default), the first touch of a large array can stall while it does. A comparison of a million
# rows touches about a gigabyte of such arrays; in ``benchmarks/bench_compare.py`` the stalls
# cost more system time than the huge pages save. Also set before NumPy loads.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters


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
    _reuse_freed_memory()
    from ._cli import main

    status = main()
    # Everything is written and closed; skip tearing down a heap of large arrays (a third of a
    # second at a million rows), which a command run from a CI job or a shell only waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
