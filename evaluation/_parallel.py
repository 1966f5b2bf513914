"""Running independent pieces of numpy work on every core."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["parallel_map"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def parallel_map(function: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    """``[function(item) for item in items]`` on one thread per core (numpy work releases the GIL).

    Examples
    --------
    >>> parallel_map(lambda x: x * x, range(4))
    [0, 1, 4, 9]
    """
    items = list(items)
    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
