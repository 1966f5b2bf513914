"""Running independent pieces of numpy work on every core."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["Cancelled", "carry_stop_check", "check_stop", "cores", "parallel_map", "stop_when", "worker_limit"]

_T = TypeVar("_T")
_R = TypeVar("_R")

_limits = threading.local()
_stops = threading.local()


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
    """Cores this process may use."""
    return os.cpu_count() or 1


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
