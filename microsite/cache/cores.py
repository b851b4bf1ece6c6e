"""Work that is not in the cache, spread over all cores when there is enough of it."""

from __future__ import annotations

import os
from collections.abc import Callable

MARKDOWN_FROM = 48  # bodies; below this, starting worker processes costs more than it saves
EVENTS_FROM = 2000  # calendar events, likewise


def workers() -> int:
    """Worker processes to use: the cores, at most 8; MICROSITE_WORKERS caps it (1: this process only)."""
    return min(os.cpu_count() or 1, 8, int(os.environ.get("MICROSITE_WORKERS", "8") or 8))


def in_parallel(batch: Callable[..., list], items: list, worth_it_from: int, *first_arguments) -> list:
    """batch(*first_arguments, items), on worker processes (each given a share of the items) when
    there are at least `worth_it_from` items; the results in the items' order."""
    count = workers()
    if len(items) < worth_it_from or count < 2:
        return batch(*first_arguments, items)
    import multiprocessing  # only a large build needs them
    from concurrent.futures import ProcessPoolExecutor

    shares = [items[start::count] for start in range(count)]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        made = list(pool.map(batch, *([argument] * count for argument in first_arguments), shares))
    merged: list = [None] * len(items)
    for start, part in enumerate(made):
        merged[start::count] = part
    return merged
