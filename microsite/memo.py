"""Reuse what the last build in this process made, when its inputs are provably the same.

Only the preview server builds more than once in a process; `build.py` starts empty, so a
one-off build is never affected. A rendered page is reused only if the layouts are unchanged
(by their files' size and modification time), its own inputs are equal, and every part of the
schedule that its layout actually read (recorded during rendering) is equal too. A layout that
reads something new simply records it; nothing can be reused from a different input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .model import Schedule

# Schedule methods, and the fields whose values decide their results.
_DERIVED_FROM = {"by_month": "sessions", "session": "sessions", "sessions_of": "sessions"}


class RecordingSchedule:
    """Stands in for the Schedule in a layout's context and notes which of its fields were read."""

    def __init__(self, schedule: Schedule):
        self._schedule, self.read = schedule, set()

    def __getattr__(self, name: str):
        self.read.add(_DERIVED_FROM.get(name, name))
        return getattr(self._schedule, name)


@dataclass(frozen=True)
class _Entry:
    layouts: tuple
    inputs: tuple
    schedule_parts: tuple[tuple[str, object], ...]
    content: bytes


_pages: dict[tuple[str, str], _Entry] = {}
_parsed: dict[tuple, tuple] = {}
_fragments: dict[tuple, tuple[tuple, str]] = {}  # for the layouts in _fragments_layouts
_fragments_layouts: tuple | None = None
_environments: dict[tuple, object] = {}
# Only a process that builds again and again (the preview server) keeps anything; a one-off
# build would only pay for memory it never reads back.
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


# Arguments compared by value; any other argument is compared by identity (see Remembered).
_VALUES = frozenset((str, int, float, bool, type(None), date, datetime))


def identity_key(values: tuple) -> tuple:
    """A key for `values` that is equal only for equal plain values and the very same other objects.

    Objects are taken by identity: cheap to look up, where hashing a session means hashing every
    field. Unchanged content gives the very same objects from build to build (memo.parsed, and
    Remembered results), so identity finds them. The caller must keep `values` alive while the
    key is in use, so that no other object can take an identity over.
    """
    return tuple([value if type(value) in _VALUES else identity_key(value) if type(value) is tuple
                  else (id(value),) for value in values])


def _same(old, new) -> bool:
    """Whether identity_key((old,)) == identity_key((new,)), found faster."""
    if old is new:
        return True
    kind = type(new)
    if kind is not type(old):
        return False
    if kind is tuple:
        return len(old) == len(new) and all(map(_same, old, new))
    return kind in _VALUES and old == new


class Remembered:
    """A pure function whose results the preview server keeps, by the identity of the arguments.

    In a one-off build (`enabled` false) it is the function itself. Arguments must be immutable:
    strings, numbers, dates, tuples, frozen dataclasses and parsed files that nothing changes.
    """

    limit = 100_000
    every: list[Remembered] = []

    def __init__(self, function):
        self.function, self.results = function, {}
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
                if not _same(old, new):
                    results[index] = self(new, *shared)
        self.last = (items, shared, results)
        return results


def layouts_signature(layouts: Path) -> tuple:
    """The layouts folder's files with their sizes and modification times."""
    found = []
    for root, _, files in os.walk(layouts):
        for name in files:
            path = os.path.join(root, name)
            info = os.stat(path)
            found.append((path, info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


def reuse(key: tuple[str, str], layouts: tuple, inputs: tuple, schedule: Schedule) -> bytes | None:
    """The page rendered last time for these inputs, if nothing it depended on has changed."""
    entry = _pages.get(key)
    if entry is None or entry.layouts != layouts or entry.inputs != inputs:
        return None
    for name, value in entry.schedule_parts:
        if getattr(schedule, name) != value:
            return None
    return entry.content


def remember(key: tuple[str, str], layouts: tuple, inputs: tuple, recorder: RecordingSchedule,
             schedule: Schedule, content: bytes) -> None:
    parts = tuple((name, getattr(schedule, name)) for name in sorted(recorder.read))
    _pages[key] = _Entry(layouts, inputs, parts, content)


@dataclass(frozen=True)
class _Group:
    layouts: tuple
    parts: tuple[tuple[str, object], ...]  # every part of the schedule any of the pages read, and its value
    items: tuple
    files: tuple


_groups: dict[str, _Group | None] = {}


class PageGroup:
    """The pages one layout makes for a list of items: a page per topic, or per session.

    In the preview server, while the layouts and every part of the schedule that any of these
    pages read are as they were, the page of an item that is the very same as the one in its
    place last time is taken as it was, without even the page-by-page check of reuse().
    """

    def __init__(self, layout: str, layouts: tuple | None, schedule: Schedule, items: tuple):
        self.layout, self.layouts, self.schedule, self.items = layout, layouts, schedule, items
        self.keys: list[tuple[str, str] | None] = []
        self.files: list = []
        last = _groups.get(layout) if layouts is not None else None
        if last is not None and (last.layouts is not layouts and last.layouts != layouts
                                 or len(last.items) != len(items)
                                 or any(getattr(schedule, name) != value for name, value in last.parts)):
            last = None
        self.last = last

    def known(self, index: int):
        """The page made last time for the item at `index`, if it can be taken as it is."""
        if self.last is None or not _same(self.last.items[index], self.items[index]):
            return None
        return self.last.files[index]

    def add(self, key: tuple[str, str] | None, file) -> None:
        """The page made for the next item (key None: taken from last time; file None: it failed)."""
        self.keys.append(key)
        self.files.append(file)

    def remember(self) -> None:
        if self.layouts is None:
            return
        if None in self.files:  # a page failed: check them one by one next time
            _groups[self.layout] = None
            return
        names = {name for name, _ in self.last.parts} if self.last is not None else set()
        for key in self.keys:
            if key is not None and (entry := _pages.get(key)) is not None:
                names.update(name for name, _ in entry.schedule_parts)
            elif key is not None:
                _groups[self.layout] = None  # made without a record of what it read
                return
        parts = tuple((name, getattr(self.schedule, name)) for name in sorted(names))
        _groups[self.layout] = _Group(self.layouts, parts, self.items, tuple(self.files))


class Fragments:
    """The partial layouts made, for one layout, page and set of values, by the item each shows.

    Kept only in the preview server (the page's layouts signature is None otherwise), and only
    for the same layouts: a changed partial, or a layout it includes, makes them all again.
    """

    def __init__(self, layouts: tuple | None, values: tuple):
        self.table = None if layouts is None else _fragments_for(layouts)
        self.values, self.key = values, identity_key(values)

    def get(self, item) -> str | None:
        if self.table is None:
            return None
        known = self.table.get((self.key, *identity_key((item,))))
        return None if known is None else known[2]

    def add(self, item, text: str) -> None:
        if self.table is None:
            return
        if len(self.table) > 200_000:
            self.table.clear()
        self.table[(self.key, *identity_key((item,)))] = (self.values, item, text)  # keeps the key's objects alive

    def each(self, items, make, place: int) -> list[str]:
        """[make(item) for item in items], taking the fragments already made; an item that is the
        very same as the one in its place in the last list (`place`: which list of the page) is
        not even looked up."""
        if self.table is None:
            return [make(item) for item in items]
        items = tuple(items)
        _, last_items, last_made = self.table.get(("list", self.key, place), (None, (), []))
        made = []
        for index, item in enumerate(items):
            if index < len(last_items) and _same(last_items[index], item):
                made.append(last_made[index])
                continue
            text = self.get(item)
            if text is None:
                text = make(item)
                self.add(item, text)
            made.append(text)
        self.table[("list", self.key, place)] = (self.values, items, made)
        return made


def _fragments_for(layouts: tuple) -> dict:
    """The fragments made with these layouts; those of any other layouts are dropped."""
    global _fragments_layouts
    if layouts is not _fragments_layouts and layouts != _fragments_layouts:
        _fragments.clear()
        _fragments_layouts = layouts
    return _fragments


def environment(layouts: Path, make):
    """The template environment for this layouts folder, kept while its files are unchanged.

    Compiling the layouts again on every save would cost more than rendering a changed page.
    """
    signature = layouts_signature(layouts)
    key = (str(layouts), signature)
    if key not in _environments:
        _environments.clear()
        _environments[key] = make(signature)
    return _environments[key]


def forget() -> None:
    _pages.clear()
    _parsed.clear()
    _fragments.clear()
    _environments.clear()
    _groups.clear()
    _last_values.clear()
    for remembered in Remembered.every:
        remembered.results.clear()
        remembered.last = ((), (), [])
