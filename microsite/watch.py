"""Hearing an editor's saves in content/ and layouts/, for the preview (serve.py).

Saves are found by comparing every file's time, size and inode with the last look, whatever
says when to look: the system's file events through watchfiles, or a timer. The preview's
rebuilds run one at a time in a worker thread; the browser is told to reload as soon as the
pages open in it are rebuilt, or when the whole rebuild ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles
from livereload.handlers import LiveReloadHandler
from livereload.watcher import Watcher
from tornado import ioloop

from .documents import is_editor_scratch

if TYPE_CHECKING:
    from .serve import Preview

POLL_MS = 25  # how often content/ and layouts/ are looked at where file events are not used
BACKUP_POLL_MS = 500  # how often they are looked at anyway, where file events say when to look
QUIET_S = 0.01  # polling: a burst of saves closer together than this becomes one rebuild
# After a rebuild the browser is told to reload first; storing the cache's new entries and looking
# at the files again (30 and 20 ms at 1,000 topics) wait this long, so the reload is not kept waiting.
READER_FIRST_S = 0.1


class SaveWatcher(Watcher):
    """Finds saves in content/ and layouts/ and rebuilds once a burst of saves is over.

    What changed is decided by comparing every file's time, size and inode with the last look,
    so no save is missed, whatever says when to look: the system's file events through
    watchfiles, backed by a look every BACKUP_POLL_MS, or (MICROSITE_WATCH=poll, for network and
    container mounts that report no saves) a look every POLL_MS.

    Listening stops while a rebuild runs: watchfiles takes Python's lock every few milliseconds
    to see whether to stop, which made a 1,000-topic rebuild a tenth to a seventh slower (in
    process, medians of 10 and 12 rebuilds: 670 against 735 ms, 652 against 742 ms). A save
    made meanwhile is found by the look after the rebuild, as before.
    """

    def __init__(self, folders: list[Path], preview: Preview):
        super().__init__()
        self.folders, self.preview = folders, preview
        self.snapshot = self._take_snapshot()
        self.changed_at: float | None = None
        self.running = False
        self.stopping = threading.Event()
        self.rebuilding = threading.Event()  # set while a rebuild runs: listening pauses
        self.listen_again = threading.Event()  # set when it ends
        self.executor = ThreadPoolExecutor(max_workers=1)  # one rebuild at a time

    def _take_snapshot(self) -> dict[str, tuple[int, int, int]]:
        found = {}
        for path in self._every_file():
            try:
                info = os.stat(path)
            except OSError:  # deleted between listing and stat: the next look sees it
                continue
            found[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
        return found

    def _every_file(self) -> Iterator[str]:
        for folder in self.folders:
            for root, folders, files in os.walk(folder):
                folders[:] = [name for name in folders if not name.startswith(".")]
                yield from (os.path.join(root, name) for name in files if not is_editor_scratch(name))

    def start(self, callback) -> bool:
        loop = ioloop.IOLoop.current()
        polling = os.environ.get("MICROSITE_WATCH") == "poll"
        if not polling:
            threading.Thread(target=self._listen, args=(loop,), daemon=True, name="save events").start()
        ioloop.PeriodicCallback(self.look, POLL_MS if polling else BACKUP_POLL_MS).start()
        return True  # livereload need not poll on its own

    def examine(self):
        return None, None  # all work happens in look()

    def _listen(self, loop: ioloop.IOLoop) -> None:
        """Ask the event loop to look whenever watchfiles hears a save; watch a folder anew when
        it was deleted or made again (its old watch hears nothing more)."""
        while not self.stopping.is_set():
            if self.rebuilding.is_set():
                self.listen_again.wait()
                continue
            watched = self._identities()
            if not watched:
                self.stopping.wait(BACKUP_POLL_MS / 1000)
                continue
            try:
                for changes in watchfiles.watch(*watched, step=5, debounce=200, rust_timeout=BACKUP_POLL_MS,
                                                yield_on_timeout=True,
                                                stop_event=_Either(self.stopping, self.rebuilding),
                                                ignore_permission_denied=True, raise_interrupt=False):
                    if changes:
                        loop.add_callback(self.look, True)
                    if self._identities() != watched:
                        break
            except (OSError, RuntimeError):  # a folder vanished as the watch began, or no watch is possible
                self.stopping.wait(BACKUP_POLL_MS / 1000)

    def _identities(self) -> dict[str, int]:
        found = {}
        for folder in self.folders:
            try:
                found[str(folder)] = os.stat(folder).st_ino
            except OSError:
                pass
        return found

    def look(self, heard: bool = False) -> None:
        """Compare the files with the last look; rebuild once the saves have stopped for QUIET_S
        (or at once when the file events said so: watchfiles waits for a burst to end)."""
        if self.running:
            return  # a save during a rebuild is found when it ends, against the snapshot before it
        current, now = self._take_snapshot(), time.monotonic()
        if current != self.snapshot:
            self.snapshot, self.changed_at = current, (0.0 if heard else now)
        if self.changed_at is not None and now - self.changed_at >= QUIET_S:
            self.changed_at, self.running = None, True
            self.listen_again.clear()
            self.rebuilding.set()
            future = ioloop.IOLoop.current().run_in_executor(self.executor, self.preview.render_viewed,
                                                                self.preview.viewed_pages())
            ioloop.IOLoop.current().add_future(future, self._viewed_rendered)
        elif self.changed_at is not None:
            ioloop.IOLoop.current().call_later(QUIET_S, self.look)

    def _viewed_rendered(self, future) -> None:
        """Show the pages open in a browser, then rebuild the rest of the site."""
        first = future.result()
        if first is None:  # the content has problems: the browser shows them
            self._rebuilt(None, reloaded=False)
            return
        reloaded = False
        try:
            reloaded = self.preview.show_viewed(first)
            if reloaded:
                LiveReloadHandler.reload_waiters(path="*")  # a tab on another page waits for the rest
        finally:  # whatever happened, the whole rebuild follows, and lets waiting requests through
            future = ioloop.IOLoop.current().run_in_executor(self.executor, self.preview.rebuild, first)
            ioloop.IOLoop.current().add_future(future, lambda done: self._rebuilt(done.result(), reloaded))

    def _rebuilt(self, result, reloaded: bool) -> None:
        self.running = False
        self.rebuilding.clear()
        self.listen_again.set()
        changed = self.preview.apply(result)
        if changed and (not reloaded or result is None):  # once a save, or again for the problems
            LiveReloadHandler.reload_waiters(path="*")
        ioloop.IOLoop.current().call_later(READER_FIRST_S, self._after_reload)

    def _after_reload(self) -> None:
        self.executor.submit(self.preview.store_made)  # in the worker thread, which rebuilds one at a time
        self.look()  # saves made while it ran


class _Either:
    """A stop event for watchfiles that is set when either of two events is."""

    def __init__(self, first: threading.Event, second: threading.Event):
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()
