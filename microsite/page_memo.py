"""Pages, page groups and fragments reused when their inputs are provably the same.

Reused by the preview server and by build.py with its cache (see microsite.memo); a
`--no-cache` build reuses nothing. A rendered page is reused only if the layouts are unchanged (by
their files' size and modification time), its own inputs are equal, and every part of the
schedule that its layout actually read (recorded during rendering) is equal too. A layout that
reads something new simply records it; nothing can be reused from a different input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .memo import identity_key, same
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
    content: bytes  # or, taken up from an earlier build, a persist.StoredFile
    file_path: str  # where the page is in the site


_pages: dict[tuple[str, str], _Entry] = {}
_fragments: dict[tuple, tuple[tuple, str]] = {}  # for the layouts in _fragments_layouts
_fragments_layouts: tuple | None = None
fragment_lists_used: set[tuple] = set()  # the lists of this build: what microsite.persist keeps
_environments: dict[tuple, object] = {}


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
    pages_used.add(key)
    entry = _pages.get(key)
    if entry is None or entry.layouts != layouts or entry.inputs != inputs:
        return None
    for name, value in entry.schedule_parts:
        if getattr(schedule, name) != value:
            return None
    return entry.content


def remember(key: tuple[str, str], layouts: tuple, inputs: tuple, recorder: RecordingSchedule,
             schedule: Schedule, content: bytes, file_path: str) -> None:
    parts = tuple((name, getattr(schedule, name)) for name in sorted(recorder.read))
    _pages[key] = _Entry(layouts, inputs, parts, content, file_path)


@dataclass(frozen=True)
class _Group:
    layouts: tuple
    parts: tuple[tuple[str, object], ...]  # every part of the schedule any of the pages read, and its value
    items: tuple
    files: tuple
    keys: tuple  # each page's key in _pages


_groups: dict[str, _Group | None] = {}
pages_used: set[tuple[str, str]] = set()  # the pages of this build: what microsite.persist keeps


class PageGroup:
    """The pages one layout makes for a list of items: a page per topic, or per session.

    In the preview server, while the layouts and every part of the schedule that any of these
    pages read are as they were, the page of an item that is the very same as the one in its
    place last time is taken as it was, without even the page-by-page check of reuse().
    """

    def __init__(self, layout: str, layouts: tuple | None, schedule: Schedule, items: tuple):
        self.layout, self.layouts, self.schedule, self.items = layout, layouts, schedule, items
        self.keys: list[tuple[str, str]] = []
        self.files: list = []
        self.taken: list[bool] = []  # whether each page was taken from the last group as it was
        last = _groups.get(layout) if layouts is not None else None
        if last is not None and (last.layouts is not layouts and last.layouts != layouts
                                 or len(last.items) != len(items)
                                 or any(getattr(schedule, name) != value for name, value in last.parts)):
            last = None
        self.last = last

    def known(self, index: int):
        """The page made last time for the item at `index`, if it can be taken as it is."""
        if self.last is None or not same(self.last.items[index], self.items[index]):
            return None
        return self.last.files[index]

    def add(self, key: tuple[str, str] | None, file) -> None:
        """The page made for the next item (key None: taken from last time; file None: it failed)."""
        if self.layouts is not None:  # a one-off build keeps nothing: pages stream to the writer
            self.keys.append(key if key is not None else self.last.keys[len(self.keys)])
            self.files.append(file)
            self.taken.append(key is None)

    def remember(self) -> None:
        if self.layouts is None:
            return
        if None in self.files:  # a page failed: check them one by one next time
            _groups[self.layout] = None
            return
        names = {name for name, _ in self.last.parts} if self.last is not None else set()
        for key, taken in zip(self.keys, self.taken):
            if taken:
                continue
            if (entry := _pages.get(key)) is None:
                _groups[self.layout] = None  # made without a record of what it read
                return
            names.update(name for name, _ in entry.schedule_parts)
        pages_used.update(self.keys)
        parts = tuple((name, getattr(self.schedule, name)) for name in sorted(names))
        _groups[self.layout] = _Group(self.layouts, parts, self.items, tuple(self.files), tuple(self.keys))


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
            if index < len(last_items) and same(last_items[index], item):
                made.append(last_made[index])
                continue
            text = self.get(item)
            if text is None:
                text = make(item)
                self.add(item, text)
            made.append(text)
        self.table[("list", self.key, place)] = (self.values, items, made)
        fragment_lists_used.add(("list", self.key, place))
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
