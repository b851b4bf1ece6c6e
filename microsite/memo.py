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


def forget() -> None:
    _pages.clear()
    _parsed.clear()
