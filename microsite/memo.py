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
_fragments: dict[tuple, tuple[tuple, str]] = {}
_environments: dict[tuple, object] = {}
# Only a process that builds again and again (the preview server) keeps anything; a one-off
# build would only pay for memory it never reads back.
enabled = False


def parsed(path: Path, purpose: str, parse):
    """`parse()`'s result for a file, reused while the file's size, time and inode stay the same.

    `parse` must depend on nothing but the file's bytes (and `purpose`, which names what it does).
    """
    if not enabled:
        return parse()
    try:
        info = path.stat()
    except OSError:
        return parse()
    key = (str(path), purpose, info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
    if key not in _parsed:
        if len(_parsed) > 100_000:
            _parsed.clear()
        _parsed[key] = parse()
    return _parsed[key]


# Arguments compared by value; any other argument is compared by identity (see Remembered).
_VALUES = (str, int, float, bool, type(None), date, datetime)


def identity_key(values: tuple) -> tuple:
    """A key for `values` that is equal only for equal plain values and the very same other objects.

    Objects are taken by identity: cheap to look up, where hashing a session means hashing every
    field. Unchanged content gives the very same objects from build to build (memo.parsed, and
    Remembered results), so identity finds them. The caller must keep `values` alive while the
    key is in use, so that no other object can take an identity over.
    """
    return tuple(value if type(value) in _VALUES else identity_key(value) if type(value) is tuple
                 else (id(value),) for value in values)


class Remembered:
    """A pure function whose results the preview server keeps, by the identity of the arguments.

    In a one-off build (`enabled` false) it is the function itself. Arguments must be immutable:
    strings, numbers, dates, tuples, frozen dataclasses and parsed files that nothing changes.
    """

    limit = 100_000
    every: list[Remembered] = []

    def __init__(self, function):
        self.function, self.results = function, {}
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


def fragment(layouts: tuple | None, values: tuple) -> str | None:
    """A partial layout's output from an earlier page or build, for the same layouts and values."""
    if layouts is None:
        return None
    known = _fragments.get((layouts, identity_key(values)))
    return None if known is None else known[1]


def remember_fragment(layouts: tuple | None, values: tuple, text: str) -> None:
    if layouts is None:
        return
    if len(_fragments) > 200_000:
        _fragments.clear()
    _fragments[(layouts, identity_key(values))] = (values, text)  # keeps the values alive


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
    for remembered in Remembered.every:
        remembered.results.clear()
