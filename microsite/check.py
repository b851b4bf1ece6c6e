"""`build.py check`: everything a build checks, plus links and feeds, without writing site/."""

from __future__ import annotations

import posixpath
from datetime import timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .model import OutputFile, Problem, Schedule


class _PageLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, int]] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.anchors.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append((attributes[name], self.getpos()[0]))


def check_links(files: list[OutputFile], base_url: str) -> list[Problem]:
    """Every link and anchor between built pages resolves to a built file and an existing id."""
    by_path = {file.path: file for file in files}
    parsed: dict[str, _PageLinks] = {}

    def page(path: str) -> _PageLinks:
        if path not in parsed:
            parsed[path] = _PageLinks()
            parsed[path].feed(by_path[path].content.decode("utf-8"))
        return parsed[path]

    problems = []
    for file in files:
        if not file.path.endswith(".html"):
            continue
        for url, line in page(file.path).links:
            target = _internal_target(url, file.path, base_url)
            if target is None:
                continue
            path, fragment = target
            if path not in by_path:
                problems.append(Problem(f"site/{file.path}", line, f"links to {url}, which the build does not"
                                        f" produce; fix the link in {file.source}"))
            elif fragment and path.endswith(".html") and fragment not in page(path).anchors:
                problems.append(Problem(f"site/{file.path}", line, f"links to #{fragment} in {path}, which has"
                                        f" no such id; fix the link in {file.source}"))
    return problems


def _internal_target(url: str, from_path: str, base_url: str) -> tuple[str, str] | None:
    if url.startswith(base_url):
        url = "/" + url[len(base_url):]
        relative_to = ""
    else:
        parts = urlsplit(url)
        if parts.scheme or url.startswith(("//", "/")):
            return None
        relative_to = posixpath.dirname(from_path)
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not path:
        return from_path, parts.fragment
    joined = posixpath.normpath(posixpath.join(relative_to, path.lstrip("/")))
    if path.endswith("/") or joined == ".":
        joined = posixpath.join("" if joined == "." else joined, "index.html")
    return joined, parts.fragment


def check_feeds(files: list[OutputFile], schedule: Schedule) -> list[Problem]:
    """Every calendar file, read by vobject (an independent parser), gives the instants we meant."""
    import vobject  # only `check` needs it

    expected = {schedule.site.uid(s.id): (s.start, s.end) for s in schedule.sessions}
    problems = []
    for file in files:
        if not file.path.endswith(".ics"):
            continue
        try:
            vars(vobject.icalendar)["__tzidMap"].clear()  # read each file with its own VTIMEZONE
            calendar = vobject.readOne(file.content.decode("utf-8"))
            events = getattr(calendar, "vevent_list", [])
            for event in events:
                uid = event.uid.value
                read = (event.dtstart.value.astimezone(timezone.utc), event.dtend.value.astimezone(timezone.utc))
                meant = tuple(moment.astimezone(timezone.utc) for moment in expected[uid])
                if read != meant:
                    problems.append(Problem(f"site/{file.path}", 0, (
                        f"event {uid} reads as {read[0]:%Y-%m-%d %H:%M}Z in vobject but starts at"
                        f" {meant[0]:%Y-%m-%d %H:%M}Z; please report this as a bug")))
        except Exception as error:  # any failure to read is what this check exists to catch
            problems.append(Problem(f"site/{file.path}", 0, f"cannot be read by vobject ({error!r});"
                                    " please report this as a bug"))
    return problems


def check_deploy_address(content: Path, schedule: Schedule, deploy_url: str) -> list[Problem]:
    """A warning when a deploy publishes the site at another address than its `base_url`: its
    absolute links and feed addresses would point elsewhere, and calendar IDs name base_url's host."""
    site_url = schedule.site.base_url
    if _comparable(deploy_url) == _comparable(site_url):
        return []
    text = (content / "site.yaml").read_text(encoding="utf-8-sig")
    line = next((number for number, source in enumerate(text.splitlines(), start=1)
                 if source.startswith("base_url:")), 0)
    return [Problem(f"{content.name}/site.yaml", line, (
        f"this deploy publishes the site at {deploy_url}, but `base_url` is {site_url}, which its absolute"
        " links, feed addresses and calendar IDs use; set `base_url` to the deploy's address (before the"
        " first publication: a new host gives every event a new ID), or give the deploy base_url's address"
        " (for GitHub Pages: Settings > Pages > Custom domain)"), is_warning=True)]


def _comparable(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.path.rstrip("/") + "/"
