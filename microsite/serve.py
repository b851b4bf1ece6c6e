"""`build.py serve`: a live preview that rebuilds on save and reloads the browser.

Serving and building live here; hearing the saves lives in watch.py (the only other importer
of livereload). The preview is built into a temporary folder outside the project (so a build
never triggers itself), through the same atomic writer as `build.py`, so a request never sees
a half-written site. After a save, the pages open in a browser are rendered and shown first,
then the rest of the site (as Hugo's server does); meanwhile a request for any other page or
file waits for it, so no reader sees a mixture of two builds. A broken edit keeps the last
good site on disk while every page shows the problems, until a save fixes them and the site
comes back by itself.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from livereload import Server
from livereload.handlers import StaticFileHandler
from tornado import locks, web

from . import Cache, cache_folder, read_published_schedule, render_files, render_pages_at
from .error_page import error_page
from .model import ContentError, OutputFile, Problem, Schedule
from .watch import SaveWatcher
from .write import write_site


VIEWED_PAGES = 8  # how many of the pages served last a rebuild renders before the rest


class BuildState:
    """The outcome of the last build, shared by the preview's build and the request handler."""

    problems: list[Problem] = []
    # The site paths of the pages served last, oldest first: the pages open in a browser.
    viewed: dict[str, None] = {}
    # Set while the served folder holds one whole build. Cleared while the pages open in a browser
    # are already of the new build and the rest is not yet: the other files wait (`fresh` need not).
    whole = locks.Event()
    fresh: frozenset[str] = frozenset()

    @classmethod
    def saw(cls, file_path: str) -> None:
        cls.viewed.pop(file_path, None)
        cls.viewed[file_path] = None
        while len(cls.viewed) > VIEWED_PAGES:
            del cls.viewed[next(iter(cls.viewed))]


BuildState.whole.set()


class PreviewHandler(StaticFileHandler):
    """Serves the last good site, or the error page while the content has errors."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # Tornado checks the normalised path; also refuse symbolic links that lead outside the site.
        real_root, real_path = os.path.realpath(root), os.path.realpath(absolute_path)
        if real_path != real_root and not real_path.startswith(real_root + os.sep):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    async def get(self, path: str, include_body: bool = True) -> None:
        file_path = _file_path(path)
        if file_path not in BuildState.fresh and not self._is_lasting_asset(file_path):
            await BuildState.whole.wait()
        if _is_page(path):
            BuildState.saw(file_path)
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

    def _is_lasting_asset(self, file_path: str) -> bool:
        """A file under assets/ that is already there: its name holds its content's hash
        (pages.copy_assets), so it is the same in every build. One that is not there yet waits
        for the whole build, as every other file."""
        return file_path.startswith("assets/") and (Path(self.root) / file_path).is_file()

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


def _file_path(path: str) -> str:
    """The site file a request names, as served: a folder's index.html for a page's address,
    and `..` taken away as Tornado takes it away."""
    if _is_page(path) and not path.endswith(".html"):
        path = f"{path.rstrip('/')}/index.html"
    return posixpath.normpath(f"/{path}").lstrip("/")


class Preview:
    """Builds the preview in memory, then brings the served folder up to date.

    Every rebuild is a whole build, with the build's cache (microsite.cache) kept open between
    rebuilds. The first build goes through the same atomic writer as `build.py`; later builds
    replace only the files whose bytes changed, each by an atomic rename, from the server's own
    thread. After a save the watcher asks for the pages open in a browser first
    (render_viewed, show_viewed), then for the whole build (rebuild, apply); in between, the
    other files wait (BuildState.whole), so a reader never sees a mixture of two builds.
    """

    def __init__(self, project: Path, out: Path):
        self.project, self.out = project, out
        self.served: dict[str, bytes] = {}
        self.cache = Cache(cache_folder(project), in_memory=True)
        self.shown_after: float | None = None  # when show_viewed() updated pages, in seconds after the save was seen

    @staticmethod
    def viewed_pages() -> list[str]:
        """The pages open in a browser, as the server's thread sees them."""
        return list(BuildState.viewed)

    def render_viewed(self, viewed: list[str]) -> tuple[Schedule, list[OutputFile] | None, float] | None:
        """Read the content and render the pages `viewed` (in a worker thread). Returns
        the schedule, those pages with the assets they may link to (None if one of the pages has
        a problem: the whole build reports it) and the time it began; or None after printing the
        problems the content has."""
        began = time.perf_counter()
        try:
            schedule = self._read()
        except Exception as error:
            self._failed(error)
            self.cache.finish_build(store_now=False)
            return None
        try:
            files = render_pages_at(self.project, schedule, self.cache, viewed) if viewed else []
        except Exception:  # reported, with every other problem, by the whole build that follows
            files = None
        return schedule, files, began

    def show_viewed(self, first: tuple[Schedule, list[OutputFile] | None, float]) -> bool:
        """Put the pages open in a browser in the served folder, with the assets they link to (a
        stylesheet just edited has a new name), on the server's thread; the other files wait
        until apply(). Whether any of them changed: the browser reloads at once."""
        _, files, began = first
        changed = [file for file in files or () if self.served.get(file.path) != file.content]
        if not changed and not (files and BuildState.problems):
            return False
        BuildState.whole.clear()
        BuildState.fresh = frozenset(file.path for file in files)
        for file in changed:
            _replace_file(self.out / file.path, file.content)
            self.served[file.path] = file.content
        BuildState.problems = []
        self.shown_after = time.perf_counter() - began
        return True

    def rebuild(self, first: tuple[Schedule, list[OutputFile] | None, float] | None = None):
        """Render everything (in a worker thread), from the schedule render_viewed read if given;
        return the files, or None after printing the problems."""
        began = time.perf_counter() if first is None else first[2]
        try:
            schedule = self._read() if first is None else first[0]
            files = render_files(self.project, schedule, self.cache)
        except Exception as error:
            self._failed(error)
            return None
        finally:
            self.cache.finish_build(store_now=False)  # stored once the browser has been told (store_made)
        return schedule, files, began

    def _read(self) -> Schedule:
        return read_published_schedule(self.project, None, frozenset(), self.cache)

    @staticmethod
    def _failed(error: Exception) -> None:
        if isinstance(error, ContentError):
            BuildState.problems = list(error.problems)
            for problem in error.problems:
                print(problem, file=sys.stderr, flush=True)
            print("Build stopped; the browser shows the problems until you save a fix.", file=sys.stderr, flush=True)
        else:  # a bug must not stop the preview an editor is working in
            BuildState.problems = [Problem("build.py", 0, f"internal error: {error!r}; please report it")]
            print(f"internal error: {error!r}", file=sys.stderr, flush=True)

    def store_made(self) -> None:
        """Write the last rebuild's new entries to the cache's store, for the next build.py (in a
        worker thread, after the browser has been told to reload: it is 30 ms at 1,000 topics)."""
        self.cache.store_made()

    def apply(self, result) -> bool:
        """Bring the served folder to the new build (on the server's thread); whether anything changed."""
        try:
            return self._apply(result)
        finally:
            self.shown_after, BuildState.fresh = None, frozenset()
            BuildState.whole.set()  # the requests that waited are answered now

    def _apply(self, result) -> bool:
        if result is None:
            return True  # the error page is new, or lists new problems
        schedule, files, began = result
        wanted = {file.path: file.content for file in files}
        changed = bool(BuildState.problems) or wanted.keys() != self.served.keys() or self.shown_after is not None
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
        shown = "" if self.shown_after is None else f" (the pages open in a browser in {self.shown_after * 1000:.0f} ms)"
        print(f"Rebuilt in {(time.perf_counter() - began) * 1000:.0f} ms{shown}"
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
