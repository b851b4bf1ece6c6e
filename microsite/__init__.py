"""A static site generator for a public schedule: pages, calendar feeds and a printable schedule."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from . import persist
from .check import check_feeds, check_links
from .data import render_data
from .hosting import render_host_config
from .ics import render_calendars
from .model import ContentError, OutputFile, Problem, Schedule
from .publish import publication_time, record_publication, write_record
from .published import UNPUBLISHED, read_record
from .read import read_schedule
from .render import copy_assets, render_pages, template_environment
from .write import check_outputs, write_site

__all__ = ["ContentError", "Problem", "build", "check", "check_output_folder", "publish", "render_site"]


def build(project: Path, out: Path, base_url: str | None = None, force: bool = False,
          use_cache: bool = True) -> Schedule:
    """Build the site in `out` from project/content and project/layouts."""
    check_output_folder(project, out, force)
    if not use_cache:
        schedule = read_schedule(project / "content", base_url)
        # Pages go to the writer as they are rendered, into a staging folder that replaces `out`
        # only once everything is made: the whole site is never held in memory at once.
        write_site(site_files(project, schedule, template_environment(project / "layouts")), out)
        return schedule
    cache = _cache(project, use_cache)

    def build_reusing() -> Schedule:
        schedule = read_schedule(project / "content", base_url, cache=cache)
        layouts = template_environment(project / "layouts", reuse_pages=True, cache=cache)
        write_site(site_files(project, schedule, layouts), out, _kept(cache, "spare", out))
        return schedule

    # With the cache, a build takes up what the last one kept and redoes only what changed.
    return persist.reusing(_kept(cache, "reuse", out, ".pickle"), out, looks_built(out), build_reusing)


def render_site(project: Path, base_url: str | None = None, withdrawing: frozenset[str] = frozenset(),
                use_cache: bool = True, reuse_pages: bool = False) -> tuple[Schedule, list[OutputFile]]:
    """Read the content and render every output file in memory; write nothing (check, serve, publish)."""
    schedule = read_schedule(project / "content", base_url, withdrawing, _cache(project, use_cache))
    files = list(site_files(project, schedule, template_environment(project / "layouts", reuse_pages)))
    check_outputs(files)
    return schedule, files


def site_files(project: Path, schedule: Schedule, layouts) -> Iterator[OutputFile]:
    """Every file of the site, in one pass: pages, assets, calendars, data, host configuration."""
    calendars = render_calendars(schedule)
    yield from render_pages(schedule, layouts)
    yield from copy_assets(project / "layouts")
    yield from calendars
    yield from render_data(schedule)
    yield from render_host_config(schedule, calendars)


def _cache(project: Path, use_cache: bool) -> Path | None:
    return project / ".cache" / "microsite" if use_cache else None


def _kept(cache: Path, kind: str, out: Path, suffix: str = "") -> Path:
    """Where the cache keeps something for the builds into `out`: the site before last (spare/),
    or what the last build could reuse (reuse/); a build into another folder has its own."""
    return cache / kind / (hashlib.sha256(os.fsencode(out.resolve())).hexdigest()[:16] + suffix)


def publish(project: Path, out: Path, base_url: str | None = None, withdraw: frozenset[str] = frozenset(),
            force: bool = False) -> Schedule:
    """Record the schedule as published in content/published.yaml, then build the site from it."""
    check_output_folder(project, out, force)
    schedule, _ = render_site(project, base_url, withdraw)  # nothing is recorded unless it builds
    problems: list[Problem] = []
    old = read_record(project / "content", problems)
    write_record(project / "content", record_publication(schedule, old, publication_time(), set(withdraw)))
    return build(project, out, base_url, force)


def check(project: Path, base_url: str | None = None) -> Schedule:
    """Everything a build checks, plus links, anchors and feeds; write nothing.

    Changes not yet recorded by `publish` are errors here: this is the gate before publishing.
    """
    schedule, files = render_site(project, base_url)
    problems = [*check_links(files, schedule.site.base_url), *check_feeds(files, schedule)]
    problems += [replace(p, is_warning=False) for p in schedule.warnings if p.code == UNPUBLISHED]
    if problems:
        raise ContentError([*problems, *(p for p in schedule.warnings if p.code != UNPUBLISHED)])
    return schedule


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
