"""`build.py serve`: a live preview that rebuilds on save and reloads the browser.

Serving and building live here; hearing the saves lives in watch.py (the only other importer
of livereload). The preview is built into a temporary folder outside the project (so a build
never triggers itself), through the same atomic writer as `build.py`, so a request never sees
a half-written site. A broken edit keeps the last good site on disk while every page shows
the problems, until a save fixes them and the site comes back by itself.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from livereload import Server
from livereload.handlers import StaticFileHandler
from tornado import web

from . import Cache, cache_folder, render_site
from .error_page import error_page
from .model import ContentError, Problem
from .watch import SaveWatcher
from .write import write_site


class BuildState:
    """The outcome of the last build, shared by the preview's build and the request handler."""

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
