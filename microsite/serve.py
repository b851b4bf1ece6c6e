"""`build.py serve`: a live preview that rebuilds on save and reloads the browser.

The only importer of livereload. The preview is built into a temporary folder outside the
project (so a build never triggers itself), through the same atomic writer as `build.py`, so a
request never sees a half-written site. A broken edit keeps the last good site on disk while
every page shows the problems, until a save fixes them and the site comes back by itself.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado import ioloop, web

from . import memo, render_site
from .documents import is_editor_scratch
from .error_page import error_page
from .model import ContentError, Problem
from .notify import listen
from .write import write_site

POLL_MS = 25  # how often content/ and layouts/ are checked for saves, where saves are not heard
BACKUP_POLL_MS = 500  # how often they are checked anyway where saves are heard (microsite.notify)
QUIET_S = 0.01  # a burst of saves closer together than this becomes one rebuild
FULL_COLLECTION_EVERY = 25  # rebuilds between collections that look through everything kept
_SETTLED = itertools.count(1)


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
        try:
            await super().get(path, include_body)
        except web.HTTPError as error:
            if error.status_code != 404:
                raise
            self.set_status(404)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            page = Path(self.root) / "404.html"
            self.finish(page.read_bytes() if page.is_file() else b"<!doctype html><title>Not found</title>")

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")  # a preview is always the latest build
        if path.endswith(".ics"):
            self.set_header("Content-Type", "text/calendar; charset=utf-8")


def _is_page(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name == "" or name.endswith(".html") or "." not in name


class SaveWatcher(Watcher):
    """Finds saves in content/ and layouts/ and rebuilds once a burst of saves is over.

    Where the system tells of saves as they happen (microsite.notify), a save is heard at once
    and polling only backs it up; elsewhere the folders are polled every POLL_MS.
    """

    def __init__(self, folders: list[Path], preview: Preview):
        super().__init__()
        self.folders, self.preview = folders, preview
        self.snapshot = self._take_snapshot()
        self.changed_at: float | None = None
        self.running = False
        self.events, self.heard_at = None, None
        self.heard_paths: set[str] | None = set()  # saved since the last look; None: look at everything

    def _take_snapshot(self, files: list[str] | None = None) -> dict[str, tuple[int, int, int]]:
        """Each file's time, size and inode: of every file under the folders, or of `files` only."""
        found = {}
        for path in files if files is not None else self._every_file():
            try:
                info = os.stat(path)
            except OSError:  # deleted between listing and stat: the next poll sees it
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
        # Some network and container mounts never report saves: MICROSITE_WATCH=poll looks every POLL_MS.
        self.events = listen(self.folders) if os.environ.get("MICROSITE_WATCH") != "poll" else None
        if self.events is not None:
            loop.add_handler(self.events.fd, self._heard, ioloop.IOLoop.READ)
        ioloop.PeriodicCallback(self._poll, POLL_MS if self.events is None else BACKUP_POLL_MS).start()
        return True  # livereload need not poll on its own

    def examine(self):
        return None, None  # all work happens in _poll

    def _heard(self, fd, events) -> None:
        paths = self.events.saves()
        if paths is None or self.heard_paths is None:
            self.heard_paths = None  # look at everything
        else:
            self.heard_paths |= paths
        if paths is None or paths:
            self.heard_at = time.monotonic()
            ioloop.IOLoop.current().call_later(QUIET_S, self._poll)

    def _poll(self) -> None:
        if self.running:
            return  # a save during a rebuild is found when it ends, against the snapshot before it
        if self.heard_paths:  # look again at the saved files only
            current = dict(self.snapshot)
            for path in self.heard_paths:
                current.pop(path, None)
                current.update(self._take_snapshot([path]))
        else:
            current = self._take_snapshot()
        self.heard_paths, now = set(), time.monotonic()
        if current != self.snapshot:
            self.snapshot, self.changed_at = current, now
        # The burst is over once nothing was heard (or, polling, nothing changed) for QUIET_S.
        last_sign = self.heard_at if self.events is not None else self.changed_at
        if self.changed_at is not None and (last_sign is None or now - last_sign >= QUIET_S):
            self.changed_at, self.running = None, True
            future = ioloop.IOLoop.current().run_in_executor(self.executor, self.preview.rebuild)
            ioloop.IOLoop.current().add_future(future, self._rebuilt)

    def _rebuilt(self, future) -> None:
        self.running = False
        if self.preview.apply(future.result()):
            LiveReloadHandler.reload_waiters(path="*")
        settle_memory()
        self._poll()  # saves made while it ran


def settle_memory() -> None:
    """Collect this rebuild's garbage, then set what is kept aside from later collections.

    The preview keeps a whole site's worth of objects between rebuilds; a collection that went
    through all of them in the middle of a rebuild would stall it by a tenth of a second. Now
    and then everything is looked through again, for what was set aside and has since been
    dropped (a replaced layout environment, say).
    """
    if next(_SETTLED) % FULL_COLLECTION_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


class Preview:
    """Builds the preview in memory, then brings the served folder up to date in one step.

    The first build goes through the same atomic writer as `build.py`. Later builds reuse
    what did not change (microsite.memo) and replace only the files whose bytes changed, each
    by an atomic rename, from the server's own thread: no request is answered between the first
    and the last file of an update, so a reader never sees a mixture of two builds.
    """

    def __init__(self, project: Path, out: Path):
        self.project, self.out = project, out
        self.served: dict[str, bytes] = {}
        memo.enabled = True

    def rebuild(self):
        """Render everything (in a worker thread); return the files, or None after printing the problems."""
        began = time.perf_counter()
        try:
            schedule, files = render_site(self.project, reuse_pages=True)
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
        return schedule, files, began

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
                if (served := self.served.get(path)) is not content and served != content:
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
    preview = Path(tempfile.mkdtemp(prefix="microsite-preview-"))
    out = preview / "site"
    try:
        preview_site = Preview(project, out)
        preview_site.apply(preview_site.rebuild())
        settle_memory()
        if not out.exists():
            out.mkdir()  # serve the error page until the first good build
        watcher = SaveWatcher([project / "content", project / "layouts"], preview_site)
        watcher.executor = ThreadPoolExecutor(max_workers=1)
        server = Server(watcher=watcher)
        server.SFH = PreviewHandler
        url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        print(f"Previewing at {url} (Ctrl+C to stop). Watching content/ and layouts/;"
              f" the preview is built in {out}.", flush=True)
        server.serve(port=port, host=host, root=str(out), open_url_delay=0.5 if open_browser else None,
                     restart_delay=0)
    finally:
        shutil.rmtree(preview, ignore_errors=True)

