"""Work that is not in the cache, spread over all cores when there is enough of it.

Workers are forked copies of this process: they start in about a millisecond, already hold
everything the work needs (the schedule, the compiled layouts), and send back only results,
pickled, through one pipe each. A pipe holds a few results at a time, so a worker is never far
ahead of the build that consumes its results: memory stays bounded by what is being written.
Where fork is missing (Windows), the work runs in this process.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator

MARKDOWN_FROM = 48  # bodies; below this, starting worker processes costs more than it saves
EVENTS_FROM = 64  # calendar events, likewise
CALENDARS_FROM = 32  # groups of calendar files (a topic's feed and its sessions' files), likewise
PAGES_FROM = 64  # pages, likewise
LAYOUTS_FROM = 8  # layouts to compile, likewise


def workers() -> int:
    """Processes to use: the cores, at most 8; MICROSITE_WORKERS caps it (1: this process only)."""
    count = min(os.cpu_count() or 1, 8, int(os.environ.get("MICROSITE_WORKERS", "8") or 8))
    return count if hasattr(os, "fork") else 1


def in_parallel(batch: Callable[..., list], items: list, worth_it_from: int, *first_arguments) -> list:
    """batch(*first_arguments, items), each process given a share of the items when there are
    at least `worth_it_from`; the results in the items' order."""
    count = workers()
    if len(items) < worth_it_from or count < 2:
        return batch(*first_arguments, items)
    shares = [items[start::count] for start in range(count)]
    helpers = _start(count, lambda start: [batch(*first_arguments, shares[start])])
    try:
        made = [batch(*first_arguments, shares[0]), *(helper.next() for helper in helpers)]
    finally:
        _stop(helpers)
    merged: list = [None] * len(items)
    for start, part in enumerate(made):
        merged[start::count] = part
    return merged


def each_in_parallel(make: Callable, items: list, worth_it_from: int) -> Iterator:
    """make(item) for each item, in the items' order, one at a time as they are asked for; the
    items are dealt out in turn to the processes when there are at least `worth_it_from`."""
    count = workers()
    if len(items) < worth_it_from or count < 2:
        yield from map(make, items)
        return
    yield make(items[0])  # before the workers start, so that what it loaded (compiled layouts) is theirs too
    helpers = _start(count, lambda start: map(make, items[start::count]))
    try:
        for index, item in enumerate(items[1:], start=1):
            yield make(item) if index % count == 0 else helpers[index % count - 1].next()
    finally:
        _stop(helpers)


def _start(count: int, results_of: Callable[[int], Iterable]) -> list[_Helper]:
    helpers: list[_Helper] = []
    for start in range(1, count):
        helpers.append(_Helper(lambda start=start: results_of(start), helpers))
    return helpers


def _stop(helpers: list[_Helper]) -> None:
    for helper in helpers:
        helper.close()


class _Helper:
    """A forked worker sending back each of `results()`; `others` are the helpers started before
    it, whose pipes it must not keep open (a pipe ends only when every copy of it is closed)."""

    def __init__(self, results: Callable[[], Iterable], others: list[_Helper]):
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.environ["MICROSITE_WORKERS"] = "1"  # a worker never starts workers of its own
            os.close(read)
            for other in others:
                other.pipe.close()
            self._serve(results, write)
        os.close(write)
        self.pipe = open(read, "rb")

    @staticmethod
    def _serve(results: Callable[[], Iterable], write: int) -> None:
        status = 1
        try:
            with open(write, "wb") as pipe:
                try:
                    for result in results():
                        pickle.dump((True, result), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                        pipe.flush()
                    status = 0
                except Exception as error:  # sent to the build, which raises it as its own
                    try:
                        sent = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:
                        sent = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
                    pipe.write(sent)
        except BaseException:  # the build stopped reading (it failed, or was interrupted)
            pass
        finally:
            os._exit(status)  # never the build's exit handlers, buffers or open files

    def next(self):
        """The next result, or the worker's exception raised here."""
        try:
            made, value = pickle.load(self.pipe)
        except EOFError:
            raise RuntimeError(f"worker process {self.pid} stopped before it finished its share") from None
        if not made:
            raise value
        return value

    def close(self) -> None:
        self.pipe.close()
        os.waitpid(self.pid, 0)
