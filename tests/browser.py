"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, serving a built site.

Every request for the site's base URL is answered from the built folder, as a static host would;
any other request is refused and recorded, so a test can assert that pages ask nothing of
third parties.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class StaticHost:
    """Answers a browser context's requests for `base_url` from `site`, like any static host."""

    def __init__(self, site: Path, base_url: str):
        self.site, self.base_url = site, base_url
        self.foreign: list[str] = []

    def attach(self, context) -> None:
        context.route("**/*", self._answer)

    def _answer(self, route) -> None:
        url = route.request.url
        if not url.startswith(self.base_url):
            if not url.startswith(("data:", "blob:")):
                self.foreign.append(url)
            route.abort()
            return
        path = unquote(urlsplit(url).path)[len(urlsplit(self.base_url).path):]
        target = self.site / path
        if target.is_dir() or path.endswith("/") or path == "":
            target = target / "index.html"
        if target.is_file() and self.site.resolve() in target.resolve().parents:
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            route.fulfill(status=200, body=target.read_bytes(), content_type=kind)
        else:
            route.fulfill(status=404, body=(self.site / "404.html").read_bytes(), content_type="text/html")

    def pages(self) -> list[str]:
        """The URL of every HTML page of the site (404.html included)."""
        found = []
        for path in sorted(self.site.rglob("*.html")):
            relative = path.relative_to(self.site).as_posix()
            found.append(self.base_url + (relative[: -len("index.html")] if relative.endswith("index.html") else relative))
        return found


class CompressingHost:
    """A real HTTP server on 127.0.0.1 answering from `site` with gzip, as static hosts do, for
    tools that start their own browser (Lighthouse). Use it as a context manager; `.url` is its root."""

    def __init__(self, site: Path):
        import functools
        import gzip
        import http.server
        import threading

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *arguments):
                pass

            def send_head(self):
                path = Path(self.translate_path(self.path))
                if path.is_dir():
                    path = path / "index.html"
                if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
                    return super().send_head()
                body = gzip.compress(path.read_bytes(), mtime=0)
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=31536000" if "/assets/" in self.path else "max-age=300")
                self.end_headers()
                import io
                return io.BytesIO(body)

        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"

    def __enter__(self) -> "CompressingHost":
        self._thread.start()
        return self

    def __exit__(self, *exception) -> None:
        self._server.shutdown()
        self._server.server_close()


FOCUSABLE = "a[href], button:not([hidden]), input, select, textarea, [tabindex]:not([tabindex='-1'])"


def keyboard_walk(page, urls: list[str]) -> list[str]:
    """Tab through each page: the skip link first, every focusable element reached, each with a
    visible focus ring. Returns what went wrong, one line each."""
    problems = []
    for url in urls:
        page.goto(url)
        # What a closed disclosure holds (sessions that are over) is reached by opening it, not by Tab.
        expected = page.eval_on_selector_all(FOCUSABLE, "els => els.filter(e => !e.closest('details:not([open])')"
                                             " && (e.offsetParent !== null || getComputedStyle(e).position === 'absolute')).length")
        reached, first = [], None
        for _ in range(expected + 5):
            page.keyboard.press("Tab")
            info = page.evaluate("""() => {
                const e = document.activeElement, s = getComputedStyle(e);
                const r = e.getBoundingClientRect();
                return {isBody: e === document.body || e === document.documentElement,
                        key: e.outerHTML.slice(0, 120) + '|' + Array.from(document.querySelectorAll('*')).indexOf(e),
                        outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                        visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
                        text: (e.innerText || e.value || '').trim().slice(0, 40)};
            }""")
            if info["isBody"] and reached:
                break  # past the last element: focus leaves the page
            first = first or info
            if info["key"] in [r["key"] for r in reached]:
                break
            reached.append(info)
            if not info["outline"] or not info["visible"]:
                problems.append(f"{url}: focus not visible on {info['text']!r}")
        if len(reached) < expected:
            problems.append(f"{url}: Tab reached {len(reached)} of {expected} focusable elements")
        if first["text"] != "Skip to main content":
            problems.append(f"{url}: the first Tab goes to {first['text']!r}, not the skip link")
    return problems


AXE = Path(__file__).resolve().parent / "node/node_modules/axe-core/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """What axe-core finds against WCAG 2.2 AA on the page as it is now: one line per rule,
    with the elements. The context needs bypass_csp=True: the pages' policy refuses axe's
    injected script, as it would any other."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""", WCAG_TAGS)
