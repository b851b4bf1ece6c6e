"""`build.py serve`: a live preview that rebuilds on save and reloads the browser.

The only importer of livereload. The preview is built into a temporary folder outside the
project (so a build never triggers itself), through the same atomic writer as `build.py`, so a
request never sees a half-written site. A broken edit keeps the last good site on disk while
every page shows the problems, until a save fixes them and the site comes back by itself.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import watchfiles
from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado import ioloop, web

from . import Cache, cache_folder, render_site
from .documents import is_editor_scratch
from .error_page import error_page
from .model import ContentError, Problem
from .write import write_site

POLL_MS = 25  # how often content/ and layouts/ are looked at where file events are not used
BACKUP_POLL_MS = 500  # how often they are looked at anyway, where file events say when to look
QUIET_S = 0.01  # polling: a burst of saves closer together than this becomes one rebuild
# After a rebuild the browser is told to reload first; storing the cache's new entries and looking
# at the files again (30 and 20 ms at 1,000 topics) wait this long, so the reload is not kept waiting.
READER_FIRST_S = 0.1


class BuildState:
    """The outcome of the last build, shared by the watcher and the request handler."""

    problems: list[Problem] = []


class PreviewHandler(StaticFileHandler):
    """Serves the last good site, or the error page while the content has errors."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # Tornado checks the normalised path; also refuse symbolic links that lead outside the site.
        real_root, real_path = os.path.realpath(root), os.path.realpath(absolute_path)
        if real_path != real_root and not real_path.startswith(real_root + os.sep):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    async def get(self, path: str, include_body: bool = True) -> None:
        if BuildState.problems and _is_page(path):
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(error_page(BuildState.problems))
            return
        page = self._page_file(path)
        if page is not None:
            self.absolute_path = str(page)  # what Tornado's ETag is computed from
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(_allowing_live_reload(page.read_bytes()))
            return
        try:
            await super().get(path, include_body)
        except web.HTTPError as error:
            if error.status_code != 404:
                raise
            self.set_status(404)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            page = Path(self.root) / "404.html"
            self.finish(_allowing_live_reload(page.read_bytes()) if page.is_file()
                        else b"<!doctype html><title>Not found</title>")

    def _page_file(self, path: str) -> Path | None:
        """The built HTML file a page request names, if it exists inside the preview's folder."""
        root = Path(os.path.realpath(self.root))
        target = Path(os.path.realpath(root / path))
        if target.is_dir():
            target = target / "index.html"
        inside = target == root or root in target.parents
        return target if inside and target.suffix == ".html" and target.is_file() else None

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")  # a preview is always the latest build
        if path.endswith(".ics"):
            self.set_header("Content-Type", "text/calendar; charset=utf-8")


_POLICY = re.compile(rb'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(">)')


def _allowing_live_reload(page: bytes) -> bytes:
    """The page with its security policy widened for the preview alone: livereload adds an inline
    script that opens a WebSocket to this server. The built site keeps the strict policy, which
    the browser tests check."""
    def widened(match: re.Match) -> bytes:
        policy = html.unescape(match.group(2).decode())
        # connect-src 'self', already in the policy, admits the WebSocket to this same host.
        policy = policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        return match.group(1) + html.escape(policy).encode() + match.group(3)
    return _POLICY.sub(widened, page, count=1)


def _is_page(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name == "" or name.endswith(".html") or "." not in name


class SaveWatcher(Watcher):
    """Finds saves in content/ and layouts/ and rebuilds once a burst of saves is over.

    What changed is decided by comparing every file's time, size and inode with the last look,
    so no save is missed, whatever says when to look: the system's file events through
    watchfiles, backed by a look every BACKUP_POLL_MS, or (MICROSITE_WATCH=poll, for network and
    container mounts that report no saves) a look every POLL_MS.

    Listening stops while a rebuild runs: watchfiles takes Python's lock every few milliseconds
    to see whether to stop, which made a 1,000-topic rebuild a quarter slower. A save made
    meanwhile is found by the look after the rebuild, as before.
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
            future = ioloop.IOLoop.current().run_in_executor(self.executor, self.preview.rebuild)
            ioloop.IOLoop.current().add_future(future, self._rebuilt)
        elif self.changed_at is not None:
            ioloop.IOLoop.current().call_later(QUIET_S, self.look)

    def _rebuilt(self, future) -> None:
        self.running = False
        self.rebuilding.clear()
        self.listen_again.set()
        if self.preview.apply(future.result()):
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


class Preview:
    """Builds the preview in memory, then brings the served folder up to date in one step.

    Every rebuild is a whole build, with the build's cache (microsite.cache) kept open between
    rebuilds. The first build goes through the same atomic writer as `build.py`; later builds
    replace only the files whose bytes changed, each by an atomic rename, from the server's own
    thread: no request is answered between the first and the last file of an update, so a
    reader never sees a mixture of two builds.
    """

    def __init__(self, project: Path, out: Path):
        self.project, self.out = project, out
        self.served: dict[str, bytes] = {}
        self.cache = Cache(cache_folder(project), in_memory=True)

    def rebuild(self):
        """Render everything (in a worker thread); return the files, or None after printing the problems."""
        began = time.perf_counter()
        try:
            schedule, files = render_site(self.project, cache=self.cache)
        except ContentError as error:
            BuildState.problems = list(error.problems)
            for problem in error.problems:
                print(problem, file=sys.stderr, flush=True)
            print("Build stopped; the browser shows the problems until you save a fix.", file=sys.stderr, flush=True)
            return None
        except Exception as error:  # a bug must not stop the preview an editor is working in
            BuildState.problems = [Problem("build.py", 0, f"internal error: {error!r}; please report it")]
            print(f"internal error: {error!r}", file=sys.stderr, flush=True)
            return None
        finally:
            self.cache.finish_build(store_now=False)  # stored once the browser has been told (store_made)
        return schedule, files, began

    def store_made(self) -> None:
        """Write the last rebuild's new entries to the cache's store, for the next build.py (in a
        worker thread, after the browser has been told to reload: it is 30 ms at 1,000 topics)."""
        self.cache.store_made()

    def apply(self, result) -> bool:
        """Bring the served folder to the new build (on the server's thread); whether anything changed."""
        if result is None:
            return True  # the error page is new, or lists new problems
        schedule, files, began = result
        wanted = {file.path: file.content for file in files}
        changed = bool(BuildState.problems) or wanted.keys() != self.served.keys()
        if not self.served:
            write_site(files, self.out)
        else:
            for path, content in wanted.items():
                if self.served.get(path) != content:
                    _replace_file(self.out / path, content)
                    changed = True
            for path in self.served.keys() - wanted.keys():
                (self.out / path).unlink(missing_ok=True)
        self.served = wanted
        BuildState.problems = []
        for warning in schedule.warnings:
            print(warning, file=sys.stderr, flush=True)
        print(f"Rebuilt in {(time.perf_counter() - began) * 1000:.0f} ms"
              f"{'' if changed else '; nothing in the site changed'}.", flush=True)
        return changed


def _replace_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.new")
    staging.write_bytes(content)
    os.replace(staging, path)


def serve(project: Path, host: str, port: int, open_browser: bool) -> None:
    """Build, serve on host:port, and rebuild on every save until interrupted."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host} makes the preview reachable from other machines;"
              " use the default 127.0.0.1 unless you mean it", file=sys.stderr)
    # Stopped by a service manager or a terminal closing, as by Ctrl+C: the temporary folder goes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    preview = Path(tempfile.mkdtemp(prefix="microsite-preview-"))
    out = preview / "site"
    watcher = None
    try:
        preview_site = Preview(project, out)
        preview_site.apply(preview_site.rebuild())
        preview_site.store_made()
        if not out.exists():
            out.mkdir()  # serve the error page until the first good build
        watcher = SaveWatcher([project / "content", project / "layouts"], preview_site)
        server = Server(watcher=watcher)
        server.SFH = PreviewHandler
        url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        print(f"Previewing at {url} (Ctrl+C to stop). Watching content/ and layouts/;"
              f" the preview is built in {out}.", flush=True)
        server.serve(port=port, host=host, root=str(out), open_url_delay=0.5 if open_browser else None,
                     restart_delay=0)
    finally:
        if watcher is not None:
            watcher.stopping.set()
            watcher.listen_again.set()
        shutil.rmtree(preview, ignore_errors=True)
