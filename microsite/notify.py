"""Hear saves the moment they happen (Linux inotify, through ctypes), so the preview need not wait for a poll.

Where inotify is missing (macOS, Windows) or the system's watch limit is reached, `listen()`
returns None and the preview server finds saves by polling alone, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
from pathlib import Path

from .documents import is_editor_scratch

_MODIFY, _ATTRIB, _CLOSE_WRITE, _MOVED_FROM, _MOVED_TO = 0x2, 0x4, 0x8, 0x40, 0x80
_CREATE, _DELETE, _DELETE_SELF, _MOVE_SELF = 0x100, 0x200, 0x400, 0x800
_OVERFLOW, _IS_FOLDER = 0x4000, 0x40000000
_WANTED = _MODIFY | _ATTRIB | _CLOSE_WRITE | _MOVED_FROM | _MOVED_TO | _CREATE | _DELETE | _DELETE_SELF | _MOVE_SELF
_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


class SaveEvents:
    """An inotify descriptor watching folders and every folder under them.

    The folders' parent is watched too, for the folders themselves being deleted and made again.
    """

    def __init__(self, libc, descriptor: int, folders: list[Path]):
        self.libc, self.fd, self.folders = libc, descriptor, folders
        self.parents: set[int] = set()
        self.watched: dict[int, str] = {}  # watch number: the folder's path
        self.watch_all()

    def watch_all(self) -> None:
        """Watch every folder now present (watching one twice is harmless: it keeps its number)."""
        for parent in {folder.parent for folder in self.folders}:
            self.parents.add(self._watch(str(parent)))
        for folder in self.folders:
            for root, subfolders, _ in os.walk(folder):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                self._watch(root)

    def _watch(self, folder: str) -> int:
        number = self.libc.inotify_add_watch(self.fd, os.fsencode(folder), _WANTED)
        if number < 0 and ctypes.get_errno() == 28:  # ENOSPC: the system's limit of watches
            raise OSError("inotify watch limit reached")
        self.watched[number] = folder
        return number

    def saves(self) -> set[str] | None:
        """Read what has happened: the paths saved, moved or deleted, or None when that cannot be
        told (too many events, folders made, moved or deleted: look at everything)."""
        names = {folder.name for folder in self.folders}
        paths: set[str] | None = set()
        rewatch = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                number, mask, _, length = _HEADER.unpack_from(data, offset)
                name = data[offset + _HEADER.size: offset + _HEADER.size + length].rstrip(b"\0").decode(errors="replace")
                offset += _HEADER.size + length
                if number in self.parents:
                    rewatch = rewatch or name in names  # content/ or layouts/ itself was made, moved or deleted
                    continue
                if mask & (_OVERFLOW | _DELETE_SELF | _MOVE_SELF | _IS_FOLDER) or number not in self.watched:
                    rewatch = True
                elif not is_editor_scratch(name):
                    paths.add(os.path.join(self.watched[number], name))
        if rewatch:
            self.watch_all()
            return None
        return paths

    def close(self) -> None:
        os.close(self.fd)


def listen(folders: list[Path]) -> SaveEvents | None:
    """Watch `folders` for saves; None where the system cannot (then the caller polls)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    if not hasattr(libc, "inotify_init1"):
        return None
    descriptor = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if descriptor < 0:
        return None
    try:
        return SaveEvents(libc, descriptor, folders)
    except OSError:
        os.close(descriptor)
        return None
