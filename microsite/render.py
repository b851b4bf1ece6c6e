"""Schedule + layouts -> HTML, XML and text OutputFiles, and the layouts' assets as they are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import formatting, links, page_memo
from .documents import is_editor_scratch
from .structured import event_json_ld
from .model import ContentError, OutputFile, Problem, Schedule


def template_environment(layouts: Path, reuse_pages: bool = False, cache: Path | None = None) -> jinja2.Environment:
    """A Jinja environment that escapes by default and fails on any undefined name.

    With `reuse_pages` (the preview server; build.py with its cache), pages whose inputs are
    unchanged since the last build are reused (microsite.page_memo). With `cache`, compiled
    layouts are kept there (Jinja checks each against its layout's source before using it).
    """
    if not layouts.is_dir():
        raise ContentError([Problem(layouts.name, 0, (
            f"folder not found at {layouts.name}/; run the build from the project folder"
            " (the one holding content/ and layouts/)"))])
    if reuse_pages:
        return page_memo.environment(layouts, lambda signature: _environment(layouts, signature, cache))
    return _environment(layouts, None, cache)


def _environment(layouts: Path, signature: tuple | None, cache: Path | None = None) -> jinja2.Environment:
    compiled = None
    if cache is not None:
        (cache / "layouts").mkdir(parents=True, exist_ok=True)
        compiled = jinja2.FileSystemBytecodeCache(str(cache / "layouts"))
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layouts),
        bytecode_cache=compiled,
        autoescape=jinja2.select_autoescape(["html", "xml", "webmanifest"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        long_date=formatting.long_date, short_date=formatting.short_date,
        month_heading=formatting.month_heading, time_range=formatting.time_range,
        iso=formatting.iso_minutes, start_clock=formatting.start_clock, end_clock=formatting.end_clock,
        moment=formatting.moment, change_text=formatting.change_text, webcal=links.webcal, google_subscribe=links.google_subscribe)
    environment.signature = signature  # the layouts' files, for reusing pages (page_memo)
    environment.globals.update(
        event_json_ld=event_json_ld, outlook_subscribe=links.outlook_subscribe, google_add=links.google_add, outlook_add=links.outlook_add)
    return environment


def render_pages(schedule: Schedule, layouts: jinja2.Environment) -> Iterator[OutputFile]:
    """Every page of the site, one at a time, so that a build need not hold them all in memory.

    A layout problem does not stop the others from being tried: all problems are raised together
    after the last page, before the writer swaps anything in.
    """
    problems: list[Problem] = []

    def attempt(layout: str, path: str, extra: dict, source: str) -> OutputFile | None:
        try:
            return _render(layouts, layout, path, schedule, extra, source)
        except ContentError as error:
            problems.extend(error.problems)
            return None

    if page := attempt("index.html", "", {}, "layouts/index.html"):
        yield page
    # A page for each topic, session and free page; a rebuild takes those of unchanged items as
    # they were (page_memo.PageGroup) without looking at each.
    groups = [("topic.html", tuple((topic, schedule.sessions_of(topic)) for topic in schedule.topics), _topic_page),
              ("session.html", schedule.sessions, _session_page),
              ("page.html", schedule.pages, _free_page)]
    for layout, items, describe in groups:
        group = page_memo.PageGroup(layout, getattr(layouts, "signature", None), schedule, items)
        for index, item in enumerate(items):
            page, key = group.known(index), None
            if page is None:
                path, extra, source = describe(item)
                page, key = attempt(layout, path, extra, source), (layout, path)
            group.add(key, page)
            if page is not None:
                yield page
        group.remember()
    for layout, path, extra, source in [
        ("print.html", "print/", {}, "layouts/print.html"),
        ("changes.html", "changes/", {}, "layouts/changes.html"),
        ("accessibility.html", "accessibility/", {}, "layouts/accessibility.html"),
        ("site.webmanifest", "site.webmanifest", {}, "layouts/site.webmanifest"),
        ("changes.xml", "changes.xml", {"updated": _feed_updated(schedule)}, "layouts/changes.xml"),
        ("404.html", "404.html", {}, "layouts/404.html"),
        ("sitemap.xml", "sitemap.xml", {"pages": tuple(_sitemap_paths(schedule))}, "layouts/sitemap.xml"),
        ("robots.txt", "robots.txt", {}, "layouts/robots.txt"),
    ]:
        if page := attempt(layout, path, extra, source):
            yield page
    if problems:
        raise ContentError(sorted(set(problems)))


def _topic_page(topic_and_sessions: tuple) -> tuple[str, dict, str]:
    topic, sessions = topic_and_sessions
    return topic.page_path, {"topic": topic, "sessions": sessions, "feed_path": topic.feed_path}, topic.source


def _session_page(session) -> tuple[str, dict, str]:
    return session.page_path, {"session": session, "feed_path": session.feed_path}, f"content/sessions.yaml:{session.source_line}"


def _free_page(page) -> tuple[str, dict, str]:
    return page.page_path, {"page": page}, page.source


def _feed_updated(schedule: Schedule) -> str:
    latest = schedule.changes[0].at if schedule.changes else schedule.published_at
    return latest.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sitemap_paths(schedule: Schedule) -> list[str]:
    return ["", *(t.page_path for t in schedule.topics), *(s.page_path for s in schedule.sessions),
            *(p.page_path for p in schedule.pages), "print/", "changes/", "accessibility/"]


def _render(layouts: jinja2.Environment, layout: str, path: str, schedule: Schedule, extra: dict,
            source: str) -> OutputFile:
    file_path = path + "index.html" if path == "" or path.endswith("/") else path

    def link(target: str) -> str:
        return formatting.relative_url(target, file_path)

    signature = getattr(layouts, "signature", None)
    inputs = (schedule.site, tuple(sorted(extra.items())))
    if signature is not None and (known := page_memo.reuse((layout, path), signature, inputs, schedule)) is not None:
        return OutputFile(file_path, known, source)
    recorder = page_memo.RecordingSchedule(schedule)
    helpers = {"site": schedule.site, "page_path": path, "link": link, "absolute": schedule.site.absolute,
               "safe_html": Markup}

    calls: dict[tuple, int] = {}

    def fragment(name: str, **values) -> Markup:
        """A partial layout rendered with `values` and the helpers only: never the schedule.

        So its output depends on nothing but the layouts, the site's settings, this page's path
        and `values`, and a rebuild can reuse it: a list of 2,000 sessions re-renders only the
        edited ones.
        """
        known = page_memo.Fragments(signature, (name, file_path, schedule.site, *sorted(values.items())))
        text = known.get(None)
        if text is None:
            text = Markup(layouts.get_template(name).render({**helpers, **values}))
            known.add(None, text)
        return text

    def fragment_list(name: str, items, item_name: str, **values) -> list[Markup]:
        """[fragment(name, item_name=item, **values) for item in items], in one call from the layout
        (a call from a layout costs more than finding a fragment already made)."""
        def make(item) -> Markup:
            return Markup(layouts.get_template(name).render({**helpers, **values, item_name: item}))

        key = (name, file_path, schedule.site, item_name, *sorted(values.items()))
        calls[key] = place = calls.get(key, -1) + 1  # one layout may list the same way several times
        return page_memo.Fragments(signature, key).each(items, make, place)

    context = {**helpers, "schedule": recorder, "fragment": fragment, "fragment_list": fragment_list,
               "feed_path": "schedule.ics", **extra}
    try:
        text = layouts.get_template(layout).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise ContentError([Problem(f"layouts/{error.name or layout}", error.lineno or 0, (
            f"template syntax error: {(error.message or '').rstrip('.')}; check the {{% %}} and {{{{ }}}} tags on this line"))]) from None
    except jinja2.UndefinedError as error:
        line = _template_line(error, layouts)
        raise ContentError([Problem(line[0] or f"layouts/{layout}", line[1], (
            f"{error.message}; check the spelling of the name, or that this layout receives it"))]) from None
    except jinja2.TemplateNotFound as error:
        raise ContentError([Problem(f"layouts/{layout}", 0, (
            f"layout '{error.name}' not found in layouts/; restore it from git"))]) from None
    content = text.encode("utf-8")
    if signature is not None:
        page_memo.remember((layout, path), signature, inputs, recorder, schedule, content, file_path)
    return OutputFile(file_path, content, source)


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


def copy_assets(layouts: Path) -> list[OutputFile]:
    """The layouts' static files (CSS, icons, script), copied byte for byte."""
    assets = layouts / "assets"
    files = []
    for path in sorted(assets.rglob("*")) if assets.is_dir() else []:
        if path.is_symlink():  # it could bring any file of the build machine into the public site
            raise ContentError([Problem(f"layouts/{path.relative_to(layouts).as_posix()}", 1,
                                        "is a symbolic link; replace it with the file itself")])
        if path.is_file() and not is_editor_scratch(path.name):  # never publish an editor's backup or swap file
            relative = path.relative_to(layouts).as_posix()
            files.append(OutputFile(relative, path.read_bytes(), f"layouts/{relative}"))
    return files
