"""Run one pure function over many items on all cores, when there are enough items to pay for it."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def workers() -> int:
    """Worker processes to use: the cores, at most 8; MICROSITE_WORKERS caps it (1: this process only)."""
    return min(os.cpu_count() or 1, 8, int(os.environ.get("MICROSITE_WORKERS", "8") or 8))


def map_in_parallel(function: Callable[..., Result], items: list, *more: list, worth_it_from: int) -> list[Result]:
    """[function(item, ...) for item in items], in order; on worker processes from `worth_it_from` items."""
    count = workers()
    if len(items) < worth_it_from or count < 2:
        return [function(*arguments) for arguments in zip(items, *more)]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        return list(pool.map(function, items, *more, chunksize=max(1, len(items) // (count * 4))))
