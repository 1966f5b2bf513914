"""Running independent pieces of numpy work on every core the process may use.

Every comparison runs its work on a pool of :func:`cores` threads. Several comparisons at once (the
dashboard's sessions) take turns through :func:`comparison_slot`: at most
:data:`MAX_CONCURRENT_COMPARISONS` compute together, so the threads stay a small multiple of the cores
however many callers there are.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = [
    "MAX_CONCURRENT_COMPARISONS",
    "Cancelled",
    "carry_stop_check",
    "check_stop",
    "comparison_slot",
    "cores",
    "parallel_map",
    "stop_when",
    "worker_limit",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

MAX_CONCURRENT_COMPARISONS = 2
"""Comparisons of one process that compute at once; others wait their turn (see :func:`comparison_slot`)."""

_limits = threading.local()
_stops = threading.local()
# Process-wide on purpose: the cores are shared by every caller of this process.
_comparison_slots = threading.BoundedSemaphore(MAX_CONCURRENT_COMPARISONS)
_STOP_CHECK_SECONDS = 0.05  # how often a waiting comparison checks whether its reader has gone


class Cancelled(Exception):
    """The work was stopped because the caller's stop check said so (its dashboard session ended)."""


@contextmanager
def stop_when(check: Callable[[], bool]) -> Iterator[None]:
    """Within the block, work started on this thread stops with :class:`Cancelled` once ``check()`` is true.

    The check runs between pieces of work (a chunk of resamples, a slice, a class), so a long
    comparison whose reader has gone stops within a fraction of a second instead of running on.

    Examples
    --------
    >>> with stop_when(lambda: True):
    ...     parallel_map(abs, [-1, -2])
    Traceback (most recent call last):
    ...
    evaluation._parallel.Cancelled: the work was cancelled: its reader has gone
    """
    previous = getattr(_stops, "check", None)
    _stops.check = check
    try:
        yield
    finally:
        _stops.check = previous


def check_stop() -> None:
    """Raise :class:`Cancelled` when this thread's stop check (see :func:`stop_when`) says so."""
    check = getattr(_stops, "check", None)
    if check is not None and check():
        raise Cancelled("the work was cancelled: its reader has gone")


def carry_stop_check(function: Callable[..., _R]) -> Callable[..., _R]:
    """``function`` for another thread: it runs under this thread's stop check, checked first."""
    check = getattr(_stops, "check", None)
    if check is None:
        return function

    def run(*args: object, **kwargs: object) -> _R:
        with stop_when(check):
            check_stop()
            return function(*args, **kwargs)

    return run


def cores() -> int:
    """Cores this process may use: its CPU affinity where the platform has one (Linux), else the machine's.

    A container or ``taskset`` may give the process fewer cores than the machine has; a pool sized
    by the machine would put several threads on each.
    """
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


@contextmanager
def comparison_slot() -> Iterator[None]:
    """Hold one of the process's :data:`MAX_CONCURRENT_COMPARISONS` slots for the block, waiting for one if need be.

    Each comparison's pool has a thread per core, so more comparisons at once would only share the
    same cores among more threads. While it waits, the caller's stop check (:func:`stop_when`) is
    checked, so a dashboard session that ends stops waiting too.

    Examples
    --------
    >>> with comparison_slot():
    ...     parallel_map(abs, [-1, -2])
    [1, 2]
    """
    while not _comparison_slots.acquire(timeout=_STOP_CHECK_SECONDS):
        check_stop()
    try:
        yield
    finally:
        _comparison_slots.release()


@contextmanager
def worker_limit(workers: int) -> Iterator[None]:
    """Within the block, :func:`parallel_map` calls made on this thread use at most ``workers`` threads.

    For work split into parts that run side by side, each on its share of the cores: nested
    pools would put more threads than cores on memory-bound work, which slows every one of them.
    """
    previous = getattr(_limits, "workers", None)
    _limits.workers = max(1, workers)
    try:
        yield
    finally:
        _limits.workers = previous


def parallel_map(function: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    """``[function(item) for item in items]`` on one thread per core (numpy work releases the GIL).

    Examples
    --------
    >>> parallel_map(lambda x: x * x, range(4))
    [0, 1, 4, 9]
    """
    items = list(items)
    limit = getattr(_limits, "workers", None)
    workers = min(len(items), cores() if limit is None else limit)
    function = carry_stop_check(function)
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
