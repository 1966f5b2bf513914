"""Running independent pieces of numpy work on every core."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["cores", "parallel_map", "worker_limit"]

_T = TypeVar("_T")
_R = TypeVar("_R")

_limits = threading.local()


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
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
