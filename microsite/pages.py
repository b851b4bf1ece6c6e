"""Schedule + layouts -> HTML, XML and text OutputFiles, and the layouts' assets as they are.

Each page is a layout and an explicit context (`PageToRender`): the values that layout is given, listed
in docs/architecture.md for layout authors. A partial included by a layout sees the same values.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import formatting, links
from .documents import is_editor_scratch
from .hosting import content_security_policy
from .markup import shift_headings
from .model import ContentError, OutputFile, Problem, Schedule, Site
from .qr import qr_code_svg
from .structured import event_json_ld


@dataclass(frozen=True)
class PageToRender:
    """One page to render: a layout, the site path it is published at and the values it is given."""

    layout: str  # the file in layouts/
    path: str  # the site path: "" for the home page, "topics/x/" for a folder, or a file name
    context: tuple[tuple[str, object], ...]  # the layout's variables by name, besides the helpers
    source: str  # what an editor opens when the page fails

    @property
    def file_path(self) -> str:
        return self.path + "index.html" if self.path == "" or self.path.endswith("/") else self.path


def template_environment(layouts: Path, compiled: jinja2.BytecodeCache | None = None,
                         template_class: type[jinja2.Template] = jinja2.Template,
                         qr_code: Callable[[str], Markup] = qr_code_svg) -> jinja2.Environment:
    """A Jinja environment that escapes by default and fails on any undefined name.

    `compiled` is where Jinja may keep compiled layouts, and `template_class` what makes them
    (microsite.cache's, which keeps partials' output), or Jinja's own. `qr_code` draws the
    layouts' `qr_code(address)`: qr_code_svg, or what gives the same (microsite.cache's).
    """
    if not layouts.is_dir():
        raise ContentError([Problem(layouts.name, 0, (
            f"folder not found at {layouts.name}/; run the build from the project folder"
            " (the one holding content/ and layouts/)"))])
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layouts),
        bytecode_cache=compiled,
        autoescape=jinja2.select_autoescape(["html", "xml", "webmanifest"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # an environment lasts one build: Jinja need not look at a layout's file at each include
        # Jinja's constant folding costs a tenth of compiling the layouts (a first build's largest
        # part) and saves nothing measurable when rendering.
        optimized=False,
    )
    environment.template_class = template_class
    filters = dict(
        long_date=formatting.long_date, short_date=formatting.short_date,
        month_heading=formatting.month_heading, time_range=formatting.time_range,
        iso=formatting.iso_minutes, start_clock=formatting.start_clock, end_clock=formatting.end_clock,
        moment=formatting.moment, change_text=formatting.change_text, webcal=links.webcal,
        google_subscribe=links.google_subscribe, shift_headings=shift_headings,
        registration_text=formatting.registration_text, names=formatting.names,
        attendance_label=formatting.ATTENDANCE_LABELS.__getitem__)
    environment.filters.update((name, _strict(function)) for name, function in filters.items())
    environment.globals.update(
        event_json_ld=event_json_ld, outlook_subscribe=links.outlook_subscribe, google_add=links.google_add,
        outlook_add=links.outlook_add, safe_html=Markup, contact_link=links.contact_link,
        qr_code=functools.cache(qr_code))  # once per address and build: every printed page shows the same code
    return environment


def _strict(filter_function: Callable) -> Callable:
    """The filter, failing as Jinja does on an undefined value (`{{ session.dya | short_date }}`)
    rather than with whatever error the filter's own code would raise on it."""
    def checked(value, *arguments):
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return filter_function(value, *arguments)
    return checked


def site_pages(schedule: Schedule, assets: dict[str, str]) -> list[PageToRender]:
    """Every page of the site, each with exactly the values its layout is given."""
    policy = content_security_policy(schedule.site, in_meta=True)

    def page(layout: str, path: str, source: str = "", feed_path: str = "schedule.ics", **values) -> PageToRender:
        # Every layout gets the site, the free pages (for the navigation), its own path, the feed it
        # offers, the assets' published paths and the security policy; then its own values.
        context = {"site": schedule.site, "pages": schedule.pages, "page_path": path, "feed_path": feed_path,
                   "assets": assets, "security_policy": policy, **values}
        return PageToRender(layout, path, tuple(sorted(context.items())), source or f"layouts/{layout}")

    return [
        page("index.html", "", schedule=schedule),
        *(page("topic.html", topic.page_path, topic.source, topic.feed_path, topic=topic,
               sessions=schedule.sessions_of(topic), by_series=schedule.series_of(topic)) for topic in schedule.topics),
        *(page("series.html", series.page_path, series.source, series.feed_path, series=series,
               months=schedule.by_month(schedule.sessions_in(series))) for series in schedule.series),
        *(page("print.html", series.print_path, series.source, series.feed_path, series=series,
               sessions=schedule.sessions_in(series)) for series in schedule.series),
        *(page("session.html", session.page_path, f"content/sessions.yaml:{session.source_line}",
               session.feed_path, session=session) for session in schedule.sessions),
        *(page("page.html", free.page_path, free.source, page=free) for free in schedule.pages),
        page("print.html", "print/", series=schedule.current_series,  # the current series, or all there is
             sessions=schedule.sessions_in(schedule.current_series) if schedule.series else schedule.sessions),
        page("changes.html", "changes/", changes=schedule.changes_with_sessions()),
        page("accessibility.html", "accessibility/"),
        page("subscribe.html", "subscribe/", series=schedule.series, topics=schedule.topics),
        page("site.webmanifest", "site.webmanifest"),
        page("changes.xml", "changes.xml", changes=schedule.changes_with_sessions(), updated=_feed_updated(schedule)),
        page("404.html", "404.html"),
        page("sitemap.xml", "sitemap.xml", paths=tuple(_sitemap_paths(schedule))),
        page("robots.txt", "robots.txt"),
    ]


def render_pages(schedule: Schedule, layouts: jinja2.Environment, assets: dict[str, str],
                 spread: Callable[[Callable, list], Iterable] = map,
                 only: Collection[str] | None = None) -> Iterator[OutputFile]:
    """Every page of the site, one at a time, so that a build need not hold them all in memory.

    `spread(function, pages)` gives function(page), or what it would give, for each page in
    order: map, or microsite.cache's, which keeps pages and shares them out to worker
    processes. `only`, if given, names the file paths of the pages wanted. A layout problem does
    not stop the other pages: all problems are raised together after the last page, before the
    writer swaps anything in.
    """
    def file_or_problems(page: PageToRender) -> OutputFile | list[Problem]:
        try:
            return render_page(layouts, page)
        except ContentError as error:
            return error.problems

    problems: list[Problem] = []
    pages = site_pages(schedule, assets)
    if only is not None:
        pages = [page for page in pages if page.file_path in only]
    for made in spread(file_or_problems, pages):
        if isinstance(made, OutputFile):
            yield made
        else:
            problems.extend(made)
    if problems:
        raise ContentError(sorted(set(problems)))


@dataclass(frozen=True)
class _Link:
    """link(target): the relative link from this page to a site path."""

    from_page: str

    def __call__(self, target: str) -> str:
        return formatting.relative_url(target, self.from_page)


@dataclass(frozen=True)
class _AssetLink:
    """asset(name): the link from this page to a file of layouts/assets/, by its published name."""

    from_page: str
    published: tuple[tuple[str, str], ...]

    def __call__(self, name: str) -> str:
        published = dict(self.published)
        if name not in published:
            raise _MissingAsset(name)
        return formatting.relative_url(published[name], self.from_page)


def render_page(layouts: jinja2.Environment, page: PageToRender) -> OutputFile:
    """One page: its layout rendered with its context and the helpers every layout has.

    The helpers are values (a page's link() is its path), so that a kept partial's key can hold them."""
    values = dict(page.context)
    context = {**values, "link": _Link(page.file_path), "absolute": values["site"].absolute,
               "asset": _AssetLink(page.file_path, tuple(sorted(values["assets"].items())))}
    try:
        content = _utf8(layouts.get_template(page.layout).generate(context))
    except jinja2.TemplateSyntaxError as error:
        raise ContentError([Problem(f"layouts/{error.name or page.layout}", error.lineno or 0, (
            f"template syntax error: {(error.message or '').rstrip('.')}; check the {{% %}} and {{{{ }}}} tags on this line"))]) from None
    except jinja2.UndefinedError as error:
        line = _template_line(error, layouts)
        raise ContentError([Problem(line[0] or f"layouts/{page.layout}", line[1], (
            f"{error.message}; check the spelling of the name, or that this layout receives it"
            " (docs/architecture.md lists what each layout receives)"))]) from None
    except _MissingAsset as error:
        line = _template_line(error, layouts)
        raise ContentError([Problem(line[0] or f"layouts/{page.layout}", line[1], (
            f"asset('{error}') names no file in layouts/assets/; check the name"))]) from None
    except jinja2.TemplateNotFound as error:
        raise ContentError([Problem(f"layouts/{page.layout}", 0, (
            f"layout '{error.name}' not found in layouts/; restore it from git"))]) from None
    return OutputFile(page.file_path, content, page.source)


def _utf8(pieces: Iterator[str]) -> bytes:
    """A page's text as UTF-8, encoded some thousands of pieces at a time. The home page of a
    large program is megabytes: joined whole, it would be held twice more, as pieces and as text
    (of two bytes a character, once one en dash is in it)."""
    encoded = io.BytesIO()
    while batch := "".join(itertools.islice(pieces, 4096)):
        encoded.write(batch.encode("utf-8"))
    return encoded.getvalue()


class _MissingAsset(LookupError):
    """asset(name) for a name that is not in layouts/assets/."""


def _feed_updated(schedule: Schedule) -> str:
    latest = schedule.changes[0].at if schedule.changes else schedule.content_changed_at
    return latest.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sitemap_paths(schedule: Schedule) -> list[str]:
    return ["", *(t.page_path for t in schedule.topics), *(s.page_path for s in schedule.sessions),
            *(p.page_path for p in schedule.pages), *(s.page_path for s in schedule.series),
            *(s.print_path for s in schedule.series), "print/", "subscribe/", "changes/", "accessibility/"]


def _template_line(error: Exception, layouts: jinja2.Environment) -> tuple[str, int]:
    """The layout file and line where rendering failed, from the traceback Jinja rewrites."""
    traceback = error.__traceback__
    found = ("", 0)
    loader_root = Path(layouts.loader.searchpath[0]).resolve()
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        try:
            relative = Path(filename).resolve().relative_to(loader_root)
            found = (f"layouts/{relative.as_posix()}", traceback.tb_lineno)
        except ValueError:
            pass
        traceback = traceback.tb_next
    return found


def copy_assets(layouts: Path) -> tuple[list[OutputFile], dict[str, str]]:
    """The layouts' static files, each published under a name that carries its content's hash
    (`style.css` as `assets/style.3f9a1c2b.css`), so hosts may keep it for a year
    (microsite.hosting): a changed file gets a new address. Returns the files and, for each name
    in layouts/assets/, its published path, which layouts ask for with `asset('style.css')`.
    In a stylesheet, a url() naming another asset is rewritten to that asset's published name."""
    assets = layouts / "assets"
    sources = []
    for path in sorted(assets.rglob("*")) if assets.is_dir() else []:
        if path.is_symlink():  # it could bring any file of the build machine into the public site
            raise ContentError([Problem(f"layouts/{path.relative_to(layouts).as_posix()}", 1,
                                        "is a symbolic link; replace it with the file itself")])
        if path.is_file() and not is_editor_scratch(path.name):  # never publish an editor's backup or swap file
            sources.append((path.relative_to(assets).as_posix(), path.read_bytes()))
    files, published = [], {}
    # Stylesheets last, so that the names they refer to are known.
    for name, content in sorted(sources, key=lambda source: (source[0].endswith(".css"), source[0])):
        if name.endswith(".css"):
            content = _with_hashed_urls(content, name, published)
        published[name] = f"assets/{_hashed_name(name, content)}"
        files.append(OutputFile(published[name], content, f"layouts/assets/{name}"))
    return files, published


def copy_content_images(content: Path, site: Site) -> tuple[list[OutputFile], dict[str, str]]:
    """The images the site settings name (the logo), published as assets are, under a hashed name;
    layouts ask for them with `asset('content/' ~ site.logo)`. read_schedule has checked they exist."""
    if not site.logo:
        return [], {}
    name, data = f"content/{site.logo}", (content / site.logo).read_bytes()
    published = f"assets/{_hashed_name(posixpath.basename(site.logo), data)}"
    return [OutputFile(published, data, name)], {name: published}


def _hashed_name(name: str, content: bytes) -> str:
    folder, _, file_name = name.rpartition("/")
    stem, dot, suffix = file_name.partition(".")
    hashed = f"{stem}.{hashlib.sha256(content).hexdigest()[:8]}{dot}{suffix}"
    return f"{folder}/{hashed}" if folder else hashed


_CSS_URL = re.compile(rb"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")


def _with_hashed_urls(css: bytes, name: str, published: dict[str, str]) -> bytes:
    folder = posixpath.dirname(name)

    def hashed(match: re.Match) -> bytes:
        target = posixpath.normpath(posixpath.join(folder, match.group(2).decode()))
        if target not in published:
            return match.group(0)  # not one of the assets: a data: URL, or an address elsewhere
        relative = posixpath.relpath(published[target], posixpath.join("assets", folder))
        return b"url(" + match.group(1) + relative.encode() + match.group(1) + b")"
    return _CSS_URL.sub(hashed, css)
