"""``python -m evaluation``: see :mod:`evaluation._cli`.

The process-wide settings below are this command's alone: they run only when the module runs as the
program (never when it is imported, by a test or a dashboard), and each is skipped where the platform
lacks it (Linux's ``prctl``, glibc's ``mallopt``), so the command works the same elsewhere, only
without the speed-up.

Run outside the project's environment (a Python without NumPy, pandas, pyarrow or SciPy, or older than
3.11), the command says what is missing and how to run it, instead of a traceback.
"""

from __future__ import annotations  # this module must load on any Python 3, to say which one it needs

import ctypes
import os
import shlex
import sys
from pathlib import Path

_REQUIRED_PYTHON = (3, 11)
_INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
_EXIT_BAD_INPUT = 2  # evaluation._cli.EXIT_BAD_INPUT, which cannot be imported without the dependencies

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
_PR_SET_THP_DISABLE = 41  # Linux's prctl option


def _one_blas_thread() -> None:
    """Keep OpenBLAS to one thread (must run before NumPy loads; a value the caller set is kept).

    The engine does no dense linear algebra, so OpenBLAS's worker threads would only spin after
    start-up, taking time from the cores the comparison uses.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _c_library() -> ctypes.CDLL | None:
    """The C library the interpreter runs on, or ``None`` where it cannot be opened by name (Windows)."""
    if os.name != "posix":
        return None
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):
        return None


def _no_huge_pages() -> None:
    """Turn off transparent huge pages for this process (Linux; elsewhere nothing changes).

    NumPy asks for them for every array of 4 MB or more, and Arrow's allocator for its whole arena.
    Where the kernel honours such a request by compacting memory on the spot (``defrag=madvise``,
    a common default), the first touch of a huge page can stall while it does. A comparison of a
    million rows touches about a gigabyte; measured with the data of
    ``benchmarks/bench_compare.py``, the stalls cost more system time than the huge pages save
    (median 3.0 s -> 2.7 s, system time 1.2 s -> 0.6 s). A kernel without the option refuses the
    call, which changes nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    prctl = getattr(_c_library(), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0)


def _reuse_freed_memory() -> None:
    """Have glibc's allocator keep freed blocks for reuse instead of handing them back to the system.

    A comparison makes and drops many arrays of megabytes; by default most are fresh mappings
    whose every page is zeroed by the kernel on first touch, which at a million rows costs more
    CPU time than any single step of the comparison. Only glibc is told: other C libraries (musl,
    macOS, Windows) keep their defaults, whatever ``mallopt`` they may have means there.
    """
    if not _glibc():
        return
    mallopt = getattr(_c_library(), "mallopt", None)
    if mallopt is None:
        return
    mallopt(_M_MMAP_THRESHOLD, 268435456)  # glibc's ceiling: larger blocks are still mapped on their own
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    mallopt(_M_TOP_PAD, 268435456)


def _glibc() -> bool:
    """Whether the interpreter runs on glibc (it alone answers ``CS_GNU_LIBC_VERSION``)."""
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False


def _project_python() -> str:
    """The project environment's interpreter, as the user would type it from where they are."""
    python = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
    try:
        return str(python.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(python)


def _how_to_run() -> str:
    """The one documented way to run the command, with this command's arguments."""
    arguments = shlex.join(sys.argv[1:]) or "compare BASELINE CANDIDATE"
    return (f"run it with the project's environment: {_project_python()} -m evaluation {arguments} "
            f"(set it up once, in the project folder: {_INSTALL})")


def _missing_dependency(error: ImportError) -> str | None:
    """What to tell a user whose Python cannot import a package the command needs; ``None`` for the engine's own modules."""
    package = (error.name or "").partition(".")[0]
    if not package or package == __package__:
        return None  # a module of the engine itself: a bug, shown as one
    return (f"error: python -m evaluation needs {package}, which this Python ({sys.executable}, "
            f"{sys.version.split()[0]}) cannot import\n{_how_to_run()}")


def _run() -> None:
    """Set up the process, run the command line and exit with its status."""
    if sys.version_info < _REQUIRED_PYTHON:
        print(f"error: python -m evaluation needs Python {'.'.join(map(str, _REQUIRED_PYTHON))} or newer; this is "
              f"{sys.version.split()[0]} ({sys.executable})\n{_how_to_run()}", file=sys.stderr)
        sys.exit(_EXIT_BAD_INPUT)
    _one_blas_thread()
    _no_huge_pages()
    _reuse_freed_memory()
    try:
        from ._cli import main  # imports every package the command needs (NumPy, pandas, pyarrow, SciPy)
    except ImportError as error:
        message = _missing_dependency(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        sys.exit(_EXIT_BAD_INPUT)

    status = main()
    # Everything is written and closed; skip tearing down a heap of large arrays (a third of a
    # second at a million rows), which a command run from a CI job or a shell only waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    _run()
