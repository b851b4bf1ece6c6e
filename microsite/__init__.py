"""A static site generator for a public schedule: pages, calendar feeds and a printable schedule."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path

import jinja2

from .cache import Cache
from .calendars import assemble_calendars, render_calendars, serialise_events, time_zone_lines
from .check import check_deploy_address, check_feeds, check_links
from .hosting import HOST_CONFIGS, render_host_config
from .markup import render_all
from .model import ContentError, OutputFile, Problem, Schedule
from .pages import copy_assets, copy_content_images, render_pages, template_environment
from .qr import qr_code_svg
from .read import read_schedule
from .record import UNPUBLISHED, apply_record, publication_report, publication_time, read_record, record_publication
from .record_files import OLD_RECORD, Resolution, resolve_conflicts, write_record_folder
from .schedule_json import render_schedule_json
from .sourcefile import parse_yaml
from .write import check_outputs, write_site

__all__ = ["Cache", "ContentError", "Problem", "build", "check", "check_output_folder", "host_config", "publish",
           "read_published_schedule", "render_files", "render_pages_at", "render_site", "resolve"]


def build(project: Path, out: Path, base_url: str | None = None, force: bool = False,
          use_cache: bool = True) -> Schedule:
    """Build the site in `out` from project/content and project/layouts."""
    check_output_folder(project, out, force)
    with Cache(cache_folder(project) if use_cache else None) as cache:
        schedule = read_published_schedule(project, base_url, frozenset(), cache)
        # Pages go to the writer as they are rendered, into a staging folder that replaces `out`
        # only once everything is made: the whole site is never held in memory at once.
        write_site(site_files(project, schedule, cache), out, spare=_spare_site(project, out) if use_cache else None)
    return schedule


def render_site(project: Path, base_url: str | None = None, withdrawing: frozenset[str] = frozenset(),
                cache: Cache | None = None) -> tuple[Schedule, list[OutputFile]]:
    """Read the content and render every output file in memory; write nothing (check, serve, publish)."""
    cache = cache or Cache(None)
    schedule = read_published_schedule(project, base_url, withdrawing, cache)
    return schedule, render_files(project, schedule, cache)


def render_files(project: Path, schedule: Schedule, cache: Cache) -> list[OutputFile]:
    """Every output file of a schedule already read, in memory, checked together."""
    files = list(site_files(project, schedule, cache))
    check_outputs(files)
    return files


def read_published_schedule(project: Path, base_url: str | None, withdrawing: frozenset[str],
                            cache: Cache) -> Schedule:
    """Read content/, then apply what subscribers were last given (content/published/)."""
    content = project / "content"
    parse = cache.parsing_yaml(parse_yaml)
    record, record_problems = read_record(content, parse)
    try:
        schedule = read_schedule(content, base_url, cache.rendering_markdown(render_all), parse)
    except ContentError as error:
        raise ContentError([*error.problems, *record_problems]) from None
    if any(not problem.is_warning for problem in record_problems):
        raise ContentError([*record_problems, *schedule.warnings])
    schedule = replace(schedule, warnings=(*schedule.warnings, *record_problems))
    return apply_record(schedule, record, withdrawing)


def site_files(project: Path, schedule: Schedule, cache: Cache) -> Iterator[OutputFile]:
    """Every file of the site, in one pass: pages, assets, calendars, data, host configuration."""
    layouts, assets, asset_paths = _layouts_and_assets(project, schedule, cache)
    yield from render_pages(schedule, layouts, asset_paths, cache.spreading_pages(project / "layouts"))
    yield from assets
    yield from render_calendars(schedule, cache.serialising_events(serialise_events),
                                cache.assembling_calendars(assemble_calendars),
                                cache.making_time_zones(time_zone_lines))
    yield from render_schedule_json(schedule)
    yield from render_host_config(schedule.site)


def render_pages_at(project: Path, schedule: Schedule, cache: Cache, file_paths: Collection[str]) -> list[OutputFile]:
    """The pages published at these paths alone (those that exist), rendered as site_files renders
    them, and the assets they may link to: the preview shows the pages open in a browser before
    the rest of the site."""
    layouts, assets, asset_paths = _layouts_and_assets(project, schedule, cache)
    return [*render_pages(schedule, layouts, asset_paths, cache.spreading_pages(project / "layouts"),
                          only=file_paths), *assets]


def _layouts_and_assets(project: Path, schedule: Schedule,
                        cache: Cache) -> tuple[jinja2.Environment, list[OutputFile], dict[str, str]]:
    """The layouts' environment, the assets' files, and each asset's published path by its name."""
    layouts = template_environment(project / "layouts", cache.compiled_layouts(),
                                   cache.keeping_partials(project / "layouts"), cache.drawing_qr_codes(qr_code_svg))
    assets, asset_paths = copy_assets(project / "layouts")
    images, image_paths = copy_content_images(project / "content", schedule.site)
    return layouts, [*assets, *images], {**asset_paths, **image_paths}


def publish(project: Path, out: Path, base_url: str | None = None, withdraw: frozenset[str] = frozenset(),
            force: bool = False) -> tuple[Schedule, list[str]]:
    """Record the schedule as published in content/published/, then build the site from it.
    Returns the schedule and what was recorded, in lines to show the editor."""
    check_output_folder(project, out, force)
    with Cache(cache_folder(project)) as cache:
        schedule, _ = render_site(project, base_url, withdraw, cache)  # nothing is recorded unless it builds
    content = project / "content"
    old, _ = read_record(content)
    record, recordings = record_publication(schedule, old, publication_time(), set(withdraw))
    report = publication_report(recordings, moving_old_record=(content / OLD_RECORD).is_file())
    write_record_folder(content, record.sessions)
    return build(project, out, base_url, force), report


def resolve(project: Path) -> list[Resolution]:
    """After a merge conflict in content/published/: keep each session's side with the higher SEQUENCE."""
    resolved, problems = resolve_conflicts(project / "content")
    if problems:
        raise ContentError(problems)
    return resolved


def check(project: Path, base_url: str | None = None, deploy_url: str | None = None) -> Schedule:
    """Everything a build checks, plus links, anchors and feeds; write nothing.

    Changes not yet recorded by `publish` are errors here: this is the gate before publishing.
    `deploy_url`, the address a deploy publishes at, is compared with the site's own.
    """
    with Cache(cache_folder(project)) as cache:
        schedule, files = render_site(project, base_url, cache=cache)
    problems = [*check_links(files, schedule.site.base_url), *check_feeds(files, schedule)]
    problems += [replace(p, is_warning=False) for p in schedule.warnings if p.code == UNPUBLISHED]
    if problems:
        raise ContentError([*problems, *(p for p in schedule.warnings if p.code != UNPUBLISHED)])
    if deploy_url:
        schedule = replace(schedule, warnings=(*schedule.warnings,
                                               *check_deploy_address(project / "content", schedule, deploy_url)))
    return schedule


def host_config(project: Path, server: str, base_url: str | None = None) -> str:
    """The configuration a server reads outside the site (nginx, Caddy), or that the site holds
    (apache: .htaccess, netlify: _headers), for this project's site settings."""
    schedule = read_schedule(project / "content", base_url)
    return HOST_CONFIGS[server](schedule.site)


def cache_folder(project: Path) -> Path:
    """Where builds keep what they may reuse (microsite.cache); always safe to delete."""
    return project / ".cache" / "microsite"


def _spare_site(project: Path, out: Path) -> Path:
    """Where the writer keeps the site before last for the builds into `out` (see write_site)."""
    return cache_folder(project) / "spare" / hashlib.sha256(os.fsencode(out.resolve())).hexdigest()[:16]


def check_output_folder(project: Path, out: Path, force: bool = False) -> None:
    """Refuse an output folder whose replacement would destroy the project, or anything not built here."""
    out, project = out.resolve(), project.resolve()
    precious = [project, project / "content", project / "layouts", project / "tests", project / ".git"]
    for folder in precious:
        if out == folder or out in folder.parents or (folder != project and folder in out.parents):
            raise ContentError([Problem(str(out), 0, (
                "cannot be the output folder: building replaces the whole folder;"
                " choose a new folder such as site/"))])
    if not force and out.is_dir() and any(out.iterdir()) and not looks_built(out):
        raise ContentError([Problem(str(out), 0, (
            "already holds files that build.py did not make (no index.html and schedule.json), and a build"
            " replaces the whole folder; choose a new or empty folder, or add --force to replace it anyway"))])


def looks_built(folder: Path) -> bool:
    """Whether a folder holds a site this generator built (its index.html and schedule.json)."""
    return (folder / "index.html").is_file() and (folder / "schedule.json").is_file()
