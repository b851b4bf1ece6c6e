"""Reuse what the last build made, when its inputs are provably the same.

The preview server builds again and again in one process; `build.py` with its cache takes up
what the last build kept (microsite.persist); a `--no-cache` build reuses nothing. Parsed files
are kept by their size, time and inode; the results of pure functions (Remembered) by their
arguments, which unchanged content makes the very same objects from build to build. Pages and
fragments: microsite.page_memo.
"""

from __future__ import annotations

import operator
import os
from datetime import date, datetime
from pathlib import Path

from .model import Site

_parsed: dict[tuple, tuple] = {}
parsed_used: set[tuple] = set()  # the files of this build: what microsite.persist keeps
# Set by the preview server and by build.py with its cache; a --no-cache build would only pay
# for memory it never reads back.
enabled = False


def parsed(path: Path | str, purpose, parse, info: os.DirEntry | None = None):
    """`parse()`'s result for a file, reused while the file's size, time and inode stay the same.

    `parse` must depend on nothing but the file's bytes (and `purpose`, which names what it does).
    `info`, the file's entry from os.scandir, saves a second look up of its path.
    """
    if not enabled:
        return parse()
    try:
        status = info.stat() if info is not None else os.stat(path)
    except OSError:
        return parse()
    key = (os.fspath(path), purpose, status.st_size, status.st_mtime_ns, status.st_ino, status.st_ctime_ns)
    parsed_used.add(key)
    if key not in _parsed:
        if len(_parsed) > 100_000:
            _parsed.clear()
        _parsed[key] = parse()
    return _parsed[key]


_last_values: dict[str, object] = {}


def seen_before(role: str, value) -> bool:
    """Whether `value` equals the last one noted for `role` (never, outside the preview server)."""
    return enabled and role in _last_values and _last_values[role] == value


def note(role: str, value) -> None:
    if enabled:
        _last_values[role] = value


# Arguments compared by value (the site's settings too: few, small and read everywhere); any
# other argument is compared by identity (see Remembered).
_VALUES = frozenset((str, bytes, int, float, bool, type(None), date, datetime, Site))


def identity_key(values: tuple) -> tuple:
    """A key for `values` that is equal only for equal plain values and the very same other objects.

    Objects are taken by identity: cheap to look up, where hashing a session means hashing every
    field. Unchanged content gives the very same objects from build to build (memo.parsed, and
    Remembered results), so identity finds them. The caller must keep `values` alive while the
    key is in use, so that no other object can take an identity over.
    """
    return tuple([value if type(value) in _VALUES else identity_key(value) if type(value) is tuple
                  else (IDENTITY, id(value)) for value in values])


IDENTITY = "\0identity"  # marks an object's place in a key: such keys mean nothing in another process


def has_identity(key) -> bool:
    """Whether a key made by identity_key names any object by identity."""
    return type(key) is tuple and (key[:1] == (IDENTITY,) or any(map(has_identity, key)))


def same(old, new) -> bool:
    """Whether identity_key((old,)) == identity_key((new,)), found faster."""
    if old is new:
        return True
    kind = type(new)
    if kind is not type(old):
        return False
    if kind is tuple:  # most often the very same items in a new tuple: compared in C first
        return len(old) == len(new) and (all(map(operator.is_, old, new)) or all(map(same, old, new)))
    return kind in _VALUES and old == new


class Remembered:
    """A pure function whose results are kept between builds, by the identity of the arguments.

    While `enabled` is false it is the function itself. Arguments must be immutable:
    strings, numbers, dates, tuples, frozen dataclasses and parsed files that nothing changes.
    """

    limit = 100_000
    every: list[Remembered] = []

    def __init__(self, function):
        self.function, self.results = function, {}
        self.name = f"{function.__module__}.{function.__qualname__}"  # for keeping .last between builds
        self.last: tuple[tuple, tuple, list] = ((), (), [])  # the last call of each()
        Remembered.every.append(self)

    def __call__(self, *arguments):
        if not enabled:
            return self.function(*arguments)
        key = identity_key(arguments)
        known = self.results.get(key)
        if known is None:
            if len(self.results) > self.limit:
                self.results.clear()
            known = self.results[key] = (arguments, self.function(*arguments))  # keeps the arguments alive
        return known[1]

    def each(self, items, *shared) -> list:
        """[self(item, *shared) for item in items], looking up only the items that changed.

        The preview server rebuilds after a save with lists that differ from the last ones in a
        handful of places: where the shared arguments and the list's length are as in the last
        call, an item that is the very same as the one in its place last time keeps its result.
        """
        if not enabled:
            return [self.function(item, *shared) for item in items]
        items = tuple(items)
        last_items, last_shared, last_results = self.last
        if len(last_items) != len(items) or identity_key(last_shared) != identity_key(shared):
            results = [self(item, *shared) for item in items]
        else:
            results = list(last_results)
            for index, (old, new) in enumerate(zip(last_items, items)):
                if not same(old, new):
                    results[index] = self(new, *shared)
        self.last = (items, shared, results)
        return results
